// Package servicetest tells the tests of the stores where their servers
// are, skips the tests whose server is not named, and says once per
// package how many it skipped and what to set to run them:
//
//	dbstore: 23 PostgreSQL tests skipped: set TEST_POSTGRES_DSN='postgres://postgres@127.0.0.1:5432/test?sslmode=disable' to run them
//
// A package declares a Skips and runs its tests through it:
//
//	var skips servicetest.Skips
//
//	func TestMain(m *testing.M) { os.Exit(skips.Main(m, "dbstore")) }
//
//	func TestSomething(t *testing.T) {
//		dsn := skips.Need(t, servicetest.PostgreSQL)
//		...
//	}
package servicetest

import (
	"fmt"
	"io"
	"os"
	"slices"
	"sync"
	"testing"
)

// Service is something a test needs that a machine may lack.
type Service uint8

// The services of the store tests.
const (
	PostgreSQL Service = iota + 1
	MySQL
	Redis
	// SQLite needs no server but cgo: go-sqlite3 is a C library, so a test
	// binary built with CGO_ENABLED=0 cannot open a database.
	SQLite
)

// String names the service as the summary does.
func (s Service) String() string {
	switch s {
	case PostgreSQL:
		return "PostgreSQL"
	case MySQL:
		return "MySQL/MariaDB"
	case Redis:
		return "Redis"
	case SQLite:
		return "SQLite"
	}
	return fmt.Sprintf("Service(%d)", uint8(s))
}

// Env is the environment variable that names the service's server, or ""
// for SQLite.
func (s Service) Env() string {
	switch s {
	case PostgreSQL:
		return "TEST_POSTGRES_DSN"
	case MySQL:
		return "TEST_MYSQL_DSN"
	case Redis:
		return "TEST_REDIS_ADDR"
	}
	return ""
}

// Example is a value of Env for a server on this machine, as .ci/run sets
// it.
func (s Service) Example() string {
	switch s {
	case PostgreSQL:
		return "postgres://postgres@127.0.0.1:5432/test?sslmode=disable"
	case MySQL:
		return "root@tcp(127.0.0.1:3306)/test"
	case Redis:
		return "127.0.0.1:6379"
	}
	return ""
}

// remedy says what makes the service's tests run.
func (s Service) remedy() string {
	if s == SQLite {
		return "build with CGO_ENABLED=1 (and a C compiler) to run them"
	}
	return fmt.Sprintf("set %s='%s' to run them", s.Env(), s.Example())
}

// Skips counts the tests skipped for want of each service. The zero value
// is ready to use; it is safe for concurrent use by parallel tests.
type Skips struct {
	mu      sync.Mutex
	skipped map[Service]map[string]bool // test names, so that -count=2 counts each once
}

// Need returns the value of the service's environment variable, or skips
// t, naming the variable, when it is unset. For SQLite, use Skip.
func (k *Skips) Need(t testing.TB, s Service) string {
	t.Helper()
	v := os.Getenv(s.Env())
	if v == "" {
		k.count(t, s)
		t.Skipf("%s is not set: skipping the %s tests (e.g. %s='%s')", s.Env(), s, s.Env(), s.Example())
	}
	return v
}

// Skip skips t, which needs s for a reason other than an unset variable
// (SQLite in a binary built without cgo), and counts it.
func (k *Skips) Skip(t testing.TB, s Service, why string) {
	t.Helper()
	k.count(t, s)
	t.Skipf("skipping a %s test: %s", s, why)
}

func (k *Skips) count(t testing.TB, s Service) {
	k.mu.Lock()
	defer k.mu.Unlock()
	if k.skipped == nil {
		k.skipped = make(map[Service]map[string]bool)
	}
	if k.skipped[s] == nil {
		k.skipped[s] = make(map[string]bool)
	}
	k.skipped[s][t.Name()] = true
}

// Summary returns one line per service whose tests were skipped, such as
// "dbstore: 23 PostgreSQL tests skipped: set TEST_POSTGRES_DSN=... to run
// them", in the order of the services.
func (k *Skips) Summary(pkg string) []string {
	k.mu.Lock()
	defer k.mu.Unlock()
	services := make([]Service, 0, len(k.skipped))
	for s := range k.skipped {
		services = append(services, s)
	}
	slices.Sort(services)
	lines := make([]string, 0, len(services))
	for _, s := range services {
		n := len(k.skipped[s])
		noun := "tests"
		if n == 1 {
			noun = "test"
		}
		lines = append(lines, fmt.Sprintf("%s: %d %s %s skipped: %s", pkg, n, s, noun, s.remedy()))
	}
	return lines
}

// Main runs the tests of m, then reports what was skipped, and returns the
// exit code for os.Exit.
//
// The report goes to the terminal (/dev/tty) when there is one and the
// tests are not verbose, and to the standard output otherwise. The
// terminal, because `go test ./...` shows nothing of a package that passes
// but its "ok" line unless -v is given, and a skip nobody sees is how a
// machine without the servers passes tests it never ran. Without a
// terminal (CI), the lines go to the output, which -v, -json and a failure
// show. A result that go test replays from its cache prints nothing: the
// tests did not run again.
func (k *Skips) Main(m *testing.M, pkg string) int {
	code := m.Run()
	lines := k.Summary(pkg)
	if len(lines) == 0 {
		return code
	}
	var out io.Writer = os.Stdout
	if !testing.Verbose() {
		if tty, err := os.OpenFile("/dev/tty", os.O_WRONLY, 0); err == nil {
			defer tty.Close()
			out = tty
		}
	}
	for _, l := range lines {
		fmt.Fprintln(out, l)
	}
	return code
}
