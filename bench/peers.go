package bench

import (
	"database/sql"
	"net/http"
	"os"
	"path/filepath"
	"strconv"

	"github.com/alexedwards/scs/sqlite3store"
	"github.com/alexedwards/scs/v2"
	"github.com/gorilla/sessions"
	"github.com/gowebpy/web/dbstore"
)

// The peers: scs and gorilla/sessions, each with the stores ours are
// compared with.
func init() {
	register(Variant{
		Name: "scs-mem", Group: "peer",
		Desc: "alexedwards/scs/v2 v2.9.0, memstore",
		New: func(Env) (http.Handler, func() error, error) {
			sm := scs.New() // memstore is its default
			sm.Cookie.Name = CookieName
			return scsHandler(sm), noClose, nil
		},
	})
	register(Variant{
		Name: "scs-sqlite", Group: "peer",
		Desc: "scs v2 + scs/sqlite3store, same SQLite file settings as ours (WAL, synchronous=NORMAL, one connection)",
		New: func(env Env) (http.Handler, func() error, error) {
			db, err := sql.Open("sqlite3", dbstore.SQLiteDSN(filepath.Join(env.Dir, "scs.db")))
			if err != nil {
				return nil, nil, err
			}
			dbstore.ConfigureSQLite(db)
			for _, q := range []string{
				`CREATE TABLE IF NOT EXISTS sessions (token TEXT PRIMARY KEY, data BLOB NOT NULL, expiry REAL NOT NULL)`,
				`CREATE INDEX IF NOT EXISTS sessions_expiry_idx ON sessions(expiry)`,
			} {
				if _, err := db.Exec(q); err != nil {
					db.Close()
					return nil, nil, err
				}
			}
			store := sqlite3store.New(db)
			sm := scs.New()
			sm.Store = store
			sm.Cookie.Name = CookieName
			return scsHandler(sm), func() error { store.StopCleanup(); return db.Close() }, nil
		},
	})

	register(Variant{
		Name: "gorilla-cookie", Group: "peer",
		Desc: "gorilla/sessions v1.4.0 CookieStore, signed",
		New: func(Env) (http.Handler, func() error, error) {
			return gorillaHandler(sessions.NewCookieStore(hashKey)), noClose, nil
		},
	})
	register(Variant{
		Name: "gorilla-cookie-aes", Group: "peer",
		Desc: "gorilla/sessions CookieStore, signed + AES",
		New: func(Env) (http.Handler, func() error, error) {
			return gorillaHandler(sessions.NewCookieStore(hashKey, blockKey)), noClose, nil
		},
	})
	register(Variant{
		Name: "gorilla-fs", Group: "peer",
		Desc: "gorilla/sessions FilesystemStore",
		New: func(env Env) (http.Handler, func() error, error) {
			dir := filepath.Join(env.Dir, "gorilla")
			if err := os.MkdirAll(dir, 0o700); err != nil {
				return nil, nil, err
			}
			return gorillaHandler(sessions.NewFilesystemStore(dir, hashKey)), noClose, nil
		},
	})
}

// scsHandler serves the count app with scs's LoadAndSave middleware.
func scsHandler(sm *scs.SessionManager) http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("/count", func(w http.ResponseWriter, r *http.Request) {
		n := sm.GetInt(r.Context(), "count") + 1
		sm.Put(r.Context(), "count", n)
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		w.Write(strconv.AppendInt(nil, int64(n), 10))
	})
	mux.HandleFunc("/reset", func(w http.ResponseWriter, r *http.Request) {
		if err := sm.Destroy(r.Context()); err != nil {
			http.Error(w, err.Error(), http.StatusInternalServerError)
			return
		}
		w.Write([]byte("Reset"))
	})
	return sm.LoadAndSave(mux)
}

// gorillaHandler serves the count app with a gorilla/sessions store, saving
// the session on every request, as gorilla's examples do.
func gorillaHandler(store sessions.Store) http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("/count", func(w http.ResponseWriter, r *http.Request) {
		// An undecodable cookie gives a new session and an error, which
		// gorilla's own examples ignore; so does this.
		s, _ := store.Get(r, CookieName)
		n, _ := s.Values["count"].(int)
		n++
		s.Values["count"] = n
		if err := s.Save(r, w); err != nil {
			http.Error(w, err.Error(), http.StatusInternalServerError)
			return
		}
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		w.Write(strconv.AppendInt(nil, int64(n), 10))
	})
	mux.HandleFunc("/reset", func(w http.ResponseWriter, r *http.Request) {
		s, _ := store.Get(r, CookieName)
		s.Options.MaxAge = -1
		if err := s.Save(r, w); err != nil {
			http.Error(w, err.Error(), http.StatusInternalServerError)
			return
		}
		w.Write([]byte("Reset"))
	})
	return mux
}
