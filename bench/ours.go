package bench

import (
	"net/http"
	"path/filepath"
	"strconv"

	"github.com/gowebpy/web"
	"github.com/gowebpy/web/diskstore"
	"github.com/gowebpy/web/session"
)

// Ours on the stores that need no server: memory (alone and through the
// framework), cookies and disk. The database stores are in oursdb.go.
func init() {
	register(Variant{
		Name: "ours-mem", Group: "ours",
		Desc: "session.Manager middleware on a net/http mux, MemoryStore",
		New: func(Env) (http.Handler, func() error, error) {
			return oursMux(session.NewMemoryStore())
		},
	})
	register(Variant{
		Name: "ours-mem-web", Group: "ours",
		Desc: "the web framework (web.New + app.Use), MemoryStore",
		New: func(Env) (http.Handler, func() error, error) {
			m, err := newManager(session.NewMemoryStore())
			if err != nil {
				return nil, nil, err
			}
			app, err := web.New(web.URLs{
				"/count", webCount{},
				"/reset", webReset{},
			})
			if err != nil {
				m.Close()
				return nil, nil, err
			}
			app.Use(m.Middleware)
			return app, m.Close, nil
		},
	})
	register(Variant{
		Name: "ours-cookie", Group: "ours",
		Desc: "Manager + CookieStore, signed",
		New: func(Env) (http.Handler, func() error, error) {
			cs, err := session.NewCookieStore()
			if err != nil {
				return nil, nil, err
			}
			return oursMux(cs)
		},
	})
	register(Variant{
		Name: "ours-cookie-aes", Group: "ours",
		Desc: "Manager + CookieStore, signed + AES-GCM",
		New: func(Env) (http.Handler, func() error, error) {
			cs, err := session.NewCookieStore(blockKey)
			if err != nil {
				return nil, nil, err
			}
			return oursMux(cs)
		},
	})
	register(Variant{
		Name: "ours-disk", Group: "ours",
		Desc: "Manager + DiskStore (temp file + rename, no fsync)",
		New: func(env Env) (http.Handler, func() error, error) {
			st, err := diskstore.New(filepath.Join(env.Dir, "ours"))
			if err != nil {
				return nil, nil, err
			}
			return oursMux(st)
		},
	})
}

// newManager returns a session.Manager of store with the bench's key and
// cookie name.
func newManager(store session.Store) (*session.Manager, error) {
	return session.New(store, session.Config{SecretKeys: []string{SecretKey}, CookieName: CookieName})
}

// oursMux serves the count app with a session.Manager's middleware around
// a plain net/http mux: the session layer without the framework.
func oursMux(store session.Store) (http.Handler, func() error, error) {
	m, err := newManager(store)
	if err != nil {
		return nil, nil, err
	}
	mux := http.NewServeMux()
	mux.HandleFunc("/count", func(w http.ResponseWriter, r *http.Request) {
		s := session.FromContext(r.Context())
		n := s.Int("count") + 1
		s.Set("count", n)
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		w.Write(strconv.AppendInt(nil, int64(n), 10))
	})
	mux.HandleFunc("/reset", func(w http.ResponseWriter, r *http.Request) {
		session.FromContext(r.Context()).Kill()
		w.Write([]byte("Reset"))
	})
	return m.Middleware(mux), m.Close, nil
}

// The count app of examples/count, for the framework variant.
type webCount struct{}

func (webCount) GET(c *web.Context) (any, error) {
	s := c.Session()
	n := s.Int("count") + 1
	s.Set("count", n)
	return n, nil
}

type webReset struct{}

func (webReset) GET(c *web.Context) (any, error) {
	c.Session().Kill()
	return "Reset", nil
}
