package dbstore_test

import (
	"context"
	"crypto/rand"
	"database/sql"
	"database/sql/driver"
	"encoding/hex"
	"errors"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/go-sql-driver/mysql"
	"github.com/jackc/pgx/v5/stdlib"

	"github.com/gowebpy/web/dbstore"
	"github.com/gowebpy/web/internal/counttest"
	"github.com/gowebpy/web/internal/servicetest"
	"github.com/gowebpy/web/session"
)

// backend is one database the tests run on. The servers' DSNs come from
// the environment variables of their servicetest.Service
// (TEST_POSTGRES_DSN, TEST_MYSQL_DSN); unset, the tests of that database
// are skipped and counted, and TestMain says so.
type backend struct {
	name    string
	dialect dbstore.Dialect
	service servicetest.Service
}

var backends = []backend{
	{"sqlite", dbstore.SQLite, servicetest.SQLite},
	{"postgres", dbstore.PostgreSQL, servicetest.PostgreSQL},
	{"mariadb", dbstore.MySQL, servicetest.MySQL},
}

// dsn returns the backend's data source name: for SQLite a new file in a
// temporary folder, for the servers the environment variable's value. It
// skips the test when that variable is unset, or SQLite when this binary
// has no cgo.
func (b backend) dsn(t testing.TB) string {
	t.Helper()
	if b.service == servicetest.SQLite {
		dbstore.NeedSQLite(t)
		return filepath.Join(t.TempDir(), "sessions.db")
	}
	return dbstore.Skips.Need(t, b.service)
}

// openDSN opens a database of dialect d at dsn with the driver the
// package documents.
func openDSN(t testing.TB, d dbstore.Dialect, dsn string) *sql.DB {
	t.Helper()
	var db *sql.DB
	var err error
	switch d {
	case dbstore.SQLite:
		db, err = dbstore.OpenSQLite(dsn)
	case dbstore.PostgreSQL:
		db, err = sql.Open("pgx", dsn)
	case dbstore.MySQL:
		db, err = sql.Open("mysql", dsn)
	}
	if err == nil {
		err = db.Ping()
	}
	if err != nil {
		t.Fatalf("opening %v database: %v", d, err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}

// open opens the backend's database, or skips.
func (b backend) open(t testing.TB) (*sql.DB, string) {
	dsn := b.dsn(t)
	return openDSN(t, b.dialect, dsn), dsn
}

// uniqueTable returns a table name no other test uses, and drops the
// table and its lock table when the test ends.
func uniqueTable(t testing.TB, db *sql.DB) string {
	var raw [6]byte
	rand.Read(raw[:])
	name := "t_" + hex.EncodeToString(raw[:])
	t.Cleanup(func() {
		for _, tbl := range []string{name, name + "_lock"} {
			db.Exec("DROP TABLE IF EXISTS " + tbl)
		}
	})
	return name
}

// newStore returns a store over a new table of db.
func newStore(t testing.TB, db *sql.DB, opts ...dbstore.Option) *dbstore.Store {
	t.Helper()
	s, err := dbstore.New(db, uniqueTable(t, db), append([]dbstore.Option{dbstore.WithCreateTable()}, opts...)...)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

// testKey signs the cookies of every test manager, in every process.
const testKey = "0123456789abcdef0123456789abcdef-dbstore-tests"

// countApp is web.py's count example over net/http: /count increments,
// /peek only reads, /reset kills, /none does not use the session. delay,
// if set, is how long /count works between reading and writing the count,
// and /reset between reading the session and killing it.
func countApp(t testing.TB, store session.Store, cfg session.Config, delay func()) http.Handler {
	t.Helper()
	cfg.SecretKeys = []string{testKey}
	return counttest.App(t, store, cfg, delay)
}

// client sends requests to a handler with one cookie jar, like curl -c
// jar -b jar.
type client struct {
	h      http.Handler
	cookie string // "sid=..." or ""
}

// get sends GET path and returns the status and body.
func (c *client) get(path string) (int, string) {
	req := httptest.NewRequest("GET", path, nil)
	if c.cookie != "" {
		req.Header.Set("Cookie", c.cookie)
	}
	rec := httptest.NewRecorder()
	c.h.ServeHTTP(rec, req)
	for _, ck := range rec.Result().Cookies() {
		if ck.Name == session.DefaultCookieName {
			if ck.MaxAge < 0 || ck.Value == "" {
				c.cookie = ""
			} else {
				c.cookie = ck.Name + "=" + ck.Value
			}
		}
	}
	return rec.Code, rec.Body.String()
}

func (c *client) mustGet(t testing.TB, path string, want string) {
	t.Helper()
	code, body := c.get(path)
	if code != http.StatusOK || body != want {
		t.Fatalf("GET %s = %d %q; want 200 %q", path, code, body, want)
	}
}

// ---------------------------------------------------------------------
// A database/sql driver wrapper that counts statements and injects faults.

// probe watches the connections of a wrapped driver.
type probe struct {
	execs, queries, prepares atomic.Int64

	down       atomic.Bool  // the server is gone: every call fails, no new connection
	failWrite  atomic.Bool  // statements that write fail; reads work
	writeFails atomic.Int64 // the writes failWrite failed

	mu   sync.Mutex
	log  []string
	thaw chan struct{} // while not nil, statements wait for it to close (see stall)
}

// stall makes every statement wait before it reaches the database, as on
// a server that stopped, until resume or the statement's context ends.
func (p *probe) stall() {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.thaw == nil {
		p.thaw = make(chan struct{})
	}
}

// resume lets the statements stall held, and those after them, through.
func (p *probe) resume() {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.thaw != nil {
		close(p.thaw)
		p.thaw = nil
	}
}

// gate waits out a stall, or returns the error of ctx when it ends first.
func (p *probe) gate(ctx context.Context) error {
	p.mu.Lock()
	thaw := p.thaw
	p.mu.Unlock()
	if thaw == nil {
		return nil
	}
	select {
	case <-thaw:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// errDown is what a dead server gives.
var errDown = errors.New("dial tcp 127.0.0.1:5432: connect: connection refused (injected)")

// errWrite is what a failing disk gives.
var errWrite = errors.New("disk I/O error (injected)")

func (p *probe) statements() int64 { return p.execs.Load() + p.queries.Load() }

func (p *probe) reset() {
	p.execs.Store(0)
	p.queries.Store(0)
	p.prepares.Store(0)
	p.mu.Lock()
	p.log = nil
	p.mu.Unlock()
}

func (p *probe) record(query string) {
	p.mu.Lock()
	p.log = append(p.log, strings.Join(strings.Fields(query), " "))
	p.mu.Unlock()
}

func (p *probe) statementLog() []string {
	p.mu.Lock()
	defer p.mu.Unlock()
	return append([]string(nil), p.log...)
}

func isWrite(query string) bool {
	q := strings.ToUpper(strings.TrimSpace(query))
	return !strings.HasPrefix(q, "SELECT")
}

// openWrapped opens dsn of dialect d through the probe's wrapper. The
// dialect cannot be detected through the wrapper, so the store needs
// WithDialect.
func openWrapped(t testing.TB, d dbstore.Dialect, dsn string) (*sql.DB, *probe) {
	t.Helper()
	p := &probe{}
	var drv driver.Driver
	switch d {
	case dbstore.SQLite:
		dbstore.NeedSQLite(t)
		drv, dsn = sqliteDriver(), dbstore.SQLiteDSN(dsn)
	case dbstore.PostgreSQL:
		drv = stdlib.GetDefaultDriver()
	case dbstore.MySQL:
		drv = &mysql.MySQLDriver{}
	}
	db := sql.OpenDB(&wrapConnector{dsn: dsn, drv: drv, p: p})
	if d == dbstore.SQLite {
		dbstore.ConfigureSQLite(db)
	}
	t.Cleanup(func() { db.Close() })
	return db, p
}

type wrapConnector struct {
	dsn string
	drv driver.Driver
	p   *probe
}

func (c *wrapConnector) Connect(ctx context.Context) (driver.Conn, error) {
	if c.p.down.Load() {
		return nil, errDown
	}
	conn, err := c.drv.Open(c.dsn)
	if err != nil {
		return nil, err
	}
	return &wrapConn{Conn: conn, p: c.p}, nil
}

func (c *wrapConnector) Driver() driver.Driver { return wrapDriver{} }

// wrapDriver is what db.Driver() returns: a type dbstore cannot recognise.
type wrapDriver struct{}

func (wrapDriver) Open(string) (driver.Conn, error) {
	return nil, errors.New("wrapDriver: use the connector")
}

type wrapConn struct {
	driver.Conn
	p *probe
}

func (c *wrapConn) check(query string) error {
	if c.p.down.Load() {
		return driver.ErrBadConn
	}
	if c.p.failWrite.Load() && isWrite(query) {
		c.p.writeFails.Add(1)
		return errWrite
	}
	return nil
}

func (c *wrapConn) PrepareContext(ctx context.Context, query string) (driver.Stmt, error) {
	if c.p.down.Load() {
		return nil, driver.ErrBadConn
	}
	c.p.prepares.Add(1)
	var st driver.Stmt
	var err error
	if pc, ok := c.Conn.(driver.ConnPrepareContext); ok {
		st, err = pc.PrepareContext(ctx, query)
	} else {
		st, err = c.Conn.Prepare(query)
	}
	if err != nil {
		return nil, err
	}
	return &wrapStmt{Stmt: st, c: c, query: query}, nil
}

func (c *wrapConn) Prepare(query string) (driver.Stmt, error) {
	return c.PrepareContext(context.Background(), query)
}

func (c *wrapConn) ExecContext(ctx context.Context, query string, args []driver.NamedValue) (driver.Result, error) {
	ec, ok := c.Conn.(driver.ExecerContext)
	if !ok {
		return nil, driver.ErrSkip
	}
	if err := c.check(query); err != nil {
		return nil, err
	}
	if err := c.p.gate(ctx); err != nil {
		return nil, err
	}
	c.p.execs.Add(1)
	c.p.record(query)
	return ec.ExecContext(ctx, query, args)
}

func (c *wrapConn) QueryContext(ctx context.Context, query string, args []driver.NamedValue) (driver.Rows, error) {
	qc, ok := c.Conn.(driver.QueryerContext)
	if !ok {
		return nil, driver.ErrSkip
	}
	if err := c.check(query); err != nil {
		return nil, err
	}
	if err := c.p.gate(ctx); err != nil {
		return nil, err
	}
	c.p.queries.Add(1)
	c.p.record(query)
	return qc.QueryContext(ctx, query, args)
}

func (c *wrapConn) BeginTx(ctx context.Context, opts driver.TxOptions) (driver.Tx, error) {
	if c.p.down.Load() {
		return nil, driver.ErrBadConn
	}
	// The three drivers the tests wrap implement ConnBeginTx; the
	// deprecated Begin is not worth a fallback.
	bc, ok := c.Conn.(driver.ConnBeginTx)
	if !ok {
		return nil, errors.New("wrapConn: driver lacks ConnBeginTx")
	}
	return bc.BeginTx(ctx, opts)
}

func (c *wrapConn) Ping(ctx context.Context) error {
	if c.p.down.Load() {
		return driver.ErrBadConn
	}
	if pg, ok := c.Conn.(driver.Pinger); ok {
		return pg.Ping(ctx)
	}
	return nil
}

func (c *wrapConn) ResetSession(ctx context.Context) error {
	if c.p.down.Load() {
		return driver.ErrBadConn
	}
	if sr, ok := c.Conn.(driver.SessionResetter); ok {
		return sr.ResetSession(ctx)
	}
	return nil
}

func (c *wrapConn) IsValid() bool {
	if c.p.down.Load() {
		return false
	}
	if v, ok := c.Conn.(driver.Validator); ok {
		return v.IsValid()
	}
	return true
}

func (c *wrapConn) CheckNamedValue(nv *driver.NamedValue) error {
	if nc, ok := c.Conn.(driver.NamedValueChecker); ok {
		return nc.CheckNamedValue(nv)
	}
	return driver.ErrSkip
}

type wrapStmt struct {
	driver.Stmt
	c     *wrapConn
	query string
}

func (s *wrapStmt) ExecContext(ctx context.Context, args []driver.NamedValue) (driver.Result, error) {
	if err := s.c.check(s.query); err != nil {
		return nil, err
	}
	if err := s.c.p.gate(ctx); err != nil {
		return nil, err
	}
	s.c.p.execs.Add(1)
	s.c.p.record(s.query)
	if ec, ok := s.Stmt.(driver.StmtExecContext); ok {
		return ec.ExecContext(ctx, args)
	}
	return nil, errors.New("wrapStmt: driver lacks StmtExecContext")
}

func (s *wrapStmt) QueryContext(ctx context.Context, args []driver.NamedValue) (driver.Rows, error) {
	if err := s.c.check(s.query); err != nil {
		return nil, err
	}
	if err := s.c.p.gate(ctx); err != nil {
		return nil, err
	}
	s.c.p.queries.Add(1)
	s.c.p.record(s.query)
	if qc, ok := s.Stmt.(driver.StmtQueryContext); ok {
		return qc.QueryContext(ctx, args)
	}
	return nil, errors.New("wrapStmt: driver lacks StmtQueryContext")
}

func (s *wrapStmt) CheckNamedValue(nv *driver.NamedValue) error {
	if nc, ok := s.Stmt.(driver.NamedValueChecker); ok {
		return nc.CheckNamedValue(nv)
	}
	return s.c.CheckNamedValue(nv)
}

// endOfTimeMinusADay is a "now" after every session's deadline but before
// the kept key's.
func endOfTimeMinusADay() time.Time { return time.Date(9999, 12, 30, 0, 0, 0, 0, time.UTC) }
