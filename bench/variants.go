// Package bench serves the same count app (GET /count increments an int
// in the session and answers it as text, GET /reset kills the session)
// with our session layer and with its peers, so that the load harness
// (run.sh, cmd/countserver) and the in-process benchmarks measure every
// one of them the same way. See BENCHMARKS.md at the top of the
// repository.
package bench

import (
	"fmt"
	"net/http"
	"os"
	"sort"
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

// variants holds every variant by name; the init functions of the files
// of each kind fill it.
var variants = map[string]Variant{}

// register adds v to the variants; a nil Skip means it can always run.
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

// noClose is the close of a variant that holds nothing to release.
func noClose() error { return nil }

// Describe returns a one-line description of v for the tables.
func Describe(v Variant) string { return fmt.Sprintf("%s (%s)", v.Name, v.Desc) }
