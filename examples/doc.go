// Package examples holds what is true of all the examples at once: its
// test runs every curl transcript of the README and of the examples'
// documentation against the example it belongs to, built and started as
// `go run ./examples/NAME 8080` would start it, and compares what curl
// prints with what the documentation says it prints.
//
// The examples themselves are the commands in the folders beside this
// file; examples/internal/site holds the stylesheet and icon their pages
// share.
package examples
