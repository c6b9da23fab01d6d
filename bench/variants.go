// Package bench serves the same count app (GET /count increments an int
// in the session and answers it as text, GET /reset kills the session)
// with our session layer and with its peers, so that the load harness
// (run.sh, cmd/countserver) and the in-process benchmarks measure every
// one of them the same way. See BENCHMARKS.md at the top of the
// repository.
package bench

import (
	"database/sql"
	"errors"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"sync/atomic"

	"github.com/alexedwards/scs/sqlite3store"
	"github.com/alexedwards/scs/v2"
	"github.com/gorilla/sessions"
	"github.com/gowebpy/web"
	"github.com/gowebpy/web/dbstore"
	"github.com/gowebpy/web/diskstore"
	"github.com/gowebpy/web/session"

	_ "github.com/go-sql-driver/mysql" // ours-mysql
	_ "github.com/jackc/pgx/v5/stdlib" // ours-pg
)

// Keys shared by every variant that signs or encrypts. They are fixed so
// that the benchmark needs no key file; they protect nothing.
var (
	SecretKey = "bench-secret-key-0123456789abcdef-0123456789abcdef"
	hashKey   = []byte("bench-hash-key-0123456789abcdef-0123456789abcdef0123456789abcdef")
	blockKey  = []byte("bench-block-key-0123456789abcdef")[:32]
)

// CookieName is the session cookie of every variant.
const CookieName = "sid"

// Env is what a variant may need from its surroundings.
type Env struct {
	Dir         string // a fresh folder for files and SQLite databases
	PostgresDSN string // TEST_POSTGRES_DSN
	MySQLDSN    string // TEST_MYSQL_DSN
	RedisAddr   string // TEST_REDIS_ADDR
}

// EnvFromOS reads the DSNs from the environment.
func EnvFromOS(dir string) Env {
	return Env{
		Dir:         dir,
		PostgresDSN: os.Getenv("TEST_POSTGRES_DSN"),
		MySQLDSN:    os.Getenv("TEST_MYSQL_DSN"),
		RedisAddr:   os.Getenv("TEST_REDIS_ADDR"),
	}
}

// Variant is one server of the count app.
type Variant struct {
	Name  string
	Group string // "ceiling", "peer" or "ours"
	Desc  string
	// Skip returns why the variant cannot run in env, or "".
	Skip func(env Env) string
	// New builds the handler; close releases what it holds.
	New func(env Env) (h http.Handler, close func() error, err error)
}

var variants = map[string]Variant{}

func register(v Variant) {
	if v.Skip == nil {
		v.Skip = func(Env) string { return "" }
	}
	variants[v.Name] = v
}

// order is the order of the rows of every table.
var order = []string{
	"bare",
	"scs-mem", "scs-sqlite",
	"gorilla-cookie", "gorilla-cookie-aes", "gorilla-fs",
	"ours-mem", "ours-mem-web", "ours-cookie", "ours-cookie-aes", "ours-disk",
	"ours-sqlite", "ours-pg", "ours-mysql", "ours-redis",
	"ours-pg-lock", "ours-mysql-lock", "ours-redis-lock",
}

// Variants returns every registered variant, in table order.
func Variants() []Variant {
	rank := map[string]int{}
	for i, n := range order {
		rank[n] = i
	}
	var out []Variant
	for _, v := range variants {
		out = append(out, v)
	}
	sort.Slice(out, func(i, j int) bool {
		ri, oki := rank[out[i].Name]
		rj, okj := rank[out[j].Name]
		if oki != okj {
			return oki
		}
		if ri != rj {
			return ri < rj
		}
		return out[i].Name < out[j].Name
	})
	return out
}

// Lookup returns the variant called name.
func Lookup(name string) (Variant, bool) {
	v, ok := variants[name]
	return v, ok
}

func noClose() error { return nil }

func init() {
	register(Variant{
		Name: "bare", Group: "ceiling",
		Desc: "net/http handler, no session: a global atomic counter (the ceiling)",
		New: func(Env) (http.Handler, func() error, error) {
			var n atomic.Int64
			mux := http.NewServeMux()
			mux.HandleFunc("/count", func(w http.ResponseWriter, r *http.Request) {
				w.Header().Set("Content-Type", "text/plain; charset=utf-8")
				w.Write(strconv.AppendInt(nil, n.Add(1), 10))
			})
			mux.HandleFunc("/reset", func(w http.ResponseWriter, r *http.Request) {
				n.Store(0)
				w.Write([]byte("Reset"))
			})
			return mux, noClose, nil
		},
	})

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
	register(Variant{
		Name: "ours-sqlite", Group: "ours",
		Desc: "Manager + DBStore on SQLite (dbstore.OpenSQLite)",
		New: func(env Env) (http.Handler, func() error, error) {
			db, err := dbstore.OpenSQLite(filepath.Join(env.Dir, "ours.db"))
			if err != nil {
				return nil, nil, err
			}
			return oursDB(db, false)
		},
	})
	for _, server := range serverDBs() {
		for _, locking := range []bool{false, true} {
			name, desc := "", ""
			if locking {
				name, desc = "-lock", ", with Locking (the lease of several instances)"
			}
			register(Variant{
				Name: "ours-" + server.short + name, Group: "ours",
				Desc: "Manager + DBStore on " + server.desc + desc,
				Skip: server.skip,
				New: func(env Env) (http.Handler, func() error, error) {
					db, err := server.open(env)
					if err != nil {
						return nil, nil, err
					}
					return oursDB(db, locking)
				},
			})
		}
	}
}

// serverDB is a database server the bench reaches at the address of an
// environment variable.
type serverDB struct {
	short, title, desc string // "pg", "PostgreSQL", what the variant's row says
	driver, envVar     string
	dsn                func(Env) string
}

func serverDBs() []serverDB {
	return []serverDB{
		{"pg", "PostgreSQL", "PostgreSQL (pgx stdlib, pool of 32)", "pgx", "TEST_POSTGRES_DSN",
			func(env Env) string { return env.PostgresDSN }},
		{"mysql", "MySQL", "MySQL/MariaDB (go-sql-driver, pool of 32)", "mysql", "TEST_MYSQL_DSN",
			func(env Env) string { return env.MySQLDSN }},
	}
}

// skip says why the server cannot be measured in env, or "".
func (d serverDB) skip(env Env) string {
	if d.dsn(env) == "" {
		return d.envVar + " is not set"
	}
	return ""
}

func (d serverDB) open(env Env) (*sql.DB, error) { return OpenServerDB(d.driver, d.dsn(env)) }

// OpenServerDB opens a PostgreSQL or MySQL database with a pool that
// keeps its connections: database/sql's default of two idle connections
// would open and close a connection for most requests under load.
func OpenServerDB(driver, dsn string) (*sql.DB, error) {
	db, err := sql.Open(driver, dsn)
	if err != nil {
		return nil, err
	}
	db.SetMaxOpenConns(32)
	db.SetMaxIdleConns(32)
	if err := db.Ping(); err != nil {
		db.Close()
		return nil, err
	}
	return db, nil
}

// BenchTable is the table of the count app's sessions in a database.
const BenchTable = "bench_sessions"

// oursDB serves the count app from a DBStore in db, emptied first; with
// locking, through its Locking lease as several instances would.
func oursDB(db *sql.DB, locking bool) (http.Handler, func() error, error) {
	st, err := dbstore.New(db, BenchTable, dbstore.WithCreateTable())
	if err == nil {
		_, err = db.Exec("DELETE FROM " + BenchTable)
	}
	if err != nil {
		db.Close()
		return nil, nil, err
	}
	var managed session.Store = st
	if locking {
		managed = st.Locking()
	}
	h, closeM, err := oursMux(managed)
	if err != nil {
		db.Close()
		return nil, nil, err
	}
	return h, func() error {
		closeErr := errors.Join(closeM(), st.Close())
		_, err1 := db.Exec("DROP TABLE IF EXISTS " + BenchTable)
		_, err2 := db.Exec("DROP TABLE IF EXISTS " + BenchTable + "_lock")
		return errors.Join(closeErr, err1, err2, db.Close())
	}, nil
}

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

// Counted wraps h so that every /count answered 200 is counted in n: the
// number of increments the server acknowledged, against which the final
// count of the one-session scenario is checked. It counts on the server
// side, so requests still in flight when the load driver stops are counted
// if and only if they were answered.
func Counted(h http.Handler, n *atomic.Int64) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/count" {
			h.ServeHTTP(w, r)
			return
		}
		sw := &statusWriter{ResponseWriter: w}
		h.ServeHTTP(sw, r)
		if sw.status == 0 || sw.status == http.StatusOK {
			n.Add(1)
		}
	})
}

type statusWriter struct {
	http.ResponseWriter
	status int
}

func (w *statusWriter) WriteHeader(code int) {
	if w.status == 0 && code >= 200 {
		w.status = code
	}
	w.ResponseWriter.WriteHeader(code)
}

func (w *statusWriter) Write(b []byte) (int, error) {
	if w.status == 0 {
		w.status = http.StatusOK
	}
	return w.ResponseWriter.Write(b)
}

func (w *statusWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }

// Describe returns a one-line description of v for the tables.
func Describe(v Variant) string { return fmt.Sprintf("%s (%s)", v.Name, v.Desc) }
