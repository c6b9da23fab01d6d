package web_test

import (
	"context"
	"sync/atomic"
	"testing"
	"time"

	"github.com/gowebpy/web"
	"github.com/gowebpy/web/session"
)

// loadCounter is a MemoryStore that counts its loads.
type loadCounter struct {
	*session.MemoryStore
	loads atomic.Int64
}

func (s *loadCounter) Load(ctx context.Context, key string) ([]byte, time.Time, bool, error) {
	s.loads.Add(1)
	return s.MemoryStore.Load(ctx, key)
}

// c.Session() hands out the session without reading it: a handler that
// asks for it and never uses its data costs no store I/O.
func TestSessionHandleReadsNothing(t *testing.T) {
	store := &loadCounter{MemoryStore: session.NewMemoryStore()}
	m, err := session.New(store, session.Config{SecretKeys: []string{"0123456789abcdef0123456789abcdef-web"}})
	if err != nil {
		t.Fatal(err)
	}
	defer m.Close()
	app := newApp(t, web.URLs{
		"/count", handle(func(c *web.Context) (any, error) {
			s := c.Session()
			n := s.Int("count") + 1
			return n, s.Set("count", n)
		}),
		"/ask", handle(func(c *web.Context) (any, error) {
			_ = c.Session()
			return "asked", nil
		}),
	})
	app.Use(m.Middleware)
	w := serve(app, "GET", "/count", nil)
	cookie := w.Result().Cookies()[0]
	w2 := serve(app, "GET", "/ask", nil, "Cookie", cookie.Name+"="+cookie.Value)
	if w2.Code != 200 || store.loads.Load() != 0 || w2.Header().Get("Vary") != "" {
		t.Errorf("/ask: %d, %d loads, Vary %q; want 200, no load, no Vary", w2.Code, store.loads.Load(), w2.Header().Get("Vary"))
	}
}
