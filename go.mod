module github.com/gowebpy/web

go 1.24.0

require (
	github.com/google/uuid v1.6.0
	github.com/julienschmidt/httprouter v1.3.0
)
