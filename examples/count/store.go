package main

import (
	"database/sql"
	"fmt"
	"strings"
	"time"

	_ "github.com/go-sql-driver/mysql" // SESSION_STORE=mysql:...
	_ "github.com/jackc/pgx/v5/stdlib" // SESSION_STORE=postgres://...
	"github.com/redis/go-redis/v9"

	"github.com/gowebpy/web/dbstore"
	"github.com/gowebpy/web/diskstore"
	"github.com/gowebpy/web/redisstore"
	"github.com/gowebpy/web/session"
)

// openStore returns the store named by spec, the SESSION_STORE environment
// variable, so that the same program grows from one process on a laptop
// to several instances behind a load balancer without a code change:
//
//	""  or "disk:DIR"            DiskStore in DIR (default ./sessions)
//	"sqlite" or "sqlite:FILE"    DBStore on SQLite (default ./sessions.db)
//	"postgres://USER@HOST/DB"    DBStore on PostgreSQL, locked across instances
//	"mysql:USER@tcp(HOST)/DB"    DBStore on MySQL or MariaDB, locked across instances
//	"redis://HOST:PORT"          Redis, locked across instances
//	"memory"                     MemoryStore (lost on restart)
//	"cookie"                     CookieStore (the session in the cookie)
//
// The stores shared by several instances are given their Locker, so that
// concurrent requests of one visitor served by different instances lose no
// count either. close releases what the store opened.
func openStore(spec, dir string) (store session.Store, close func() error, err error) {
	nothing := func() error { return nil }
	kind, arg, _ := strings.Cut(spec, ":")
	switch kind {
	case "", "disk":
		if arg != "" {
			dir = arg
		}
		s, err := diskstore.New(dir)
		if err != nil {
			return nil, nil, err
		}
		return s, s.Close, nil
	case "sqlite", "postgres", "postgresql", "mysql":
		return openDB(kind, arg, spec)
	case "redis":
		return openRedis(spec)
	case "memory":
		return session.NewMemoryStore(), nothing, nil
	case "cookie":
		s, err := session.NewCookieStore()
		return s, nothing, err
	}
	return nil, nil, fmt.Errorf("SESSION_STORE=%q: want disk, sqlite, postgres://..., mysql:..., redis://..., memory or cookie", spec)
}

// maxConns bounds the connections one instance opens to a database or
// Redis server. Without a bound, a server that hangs collects one more
// connection per waiting request until it refuses everybody, other
// clients too; with one, requests beyond it wait in the pool until their
// deadline. A request holds a connection for one statement at a time, so
// 20 serve thousands of requests a second; mind the server's own limit
// (PostgreSQL's max_connections is 100, MariaDB's 151) over all instances.
const maxConns = 20

// openDB opens the DBStore of kind ("sqlite", "postgres" or "mysql").
func openDB(kind, arg, spec string) (session.Store, func() error, error) {
	var db *sql.DB
	var err error
	switch kind {
	case "sqlite":
		if arg == "" {
			arg = "sessions.db"
		}
		db, err = dbstore.OpenSQLite(arg) // one connection: SQLite has one writer
	case "mysql":
		db, err = sql.Open("mysql", arg)
	default:
		db, err = sql.Open("pgx", spec)
	}
	if err != nil {
		return nil, nil, err
	}
	if kind != "sqlite" {
		db.SetMaxOpenConns(maxConns)
		db.SetMaxIdleConns(maxConns)           // no reconnecting between bursts
		db.SetConnMaxIdleTime(5 * time.Minute) // but none kept for hours after one
	}
	s, err := dbstore.New(db, "sessions", dbstore.WithCreateTable())
	if err != nil {
		db.Close()
		return nil, nil, err
	}
	if kind == "sqlite" {
		return s, db.Close, nil // one machine: the in-process lock suffices
	}
	return s.Locking(), db.Close, nil
}

// openRedis opens the Redis store at the redis:// URL spec. The client
// honours the requests' deadlines (go-redis ignores them otherwise, and
// waits its ReadTimeout, 5 s, on a Redis that hangs) and has a bounded
// pool, unless the URL sets pool_size.
func openRedis(spec string) (session.Store, func() error, error) {
	opts, err := redis.ParseURL(spec)
	if err != nil {
		return nil, nil, err
	}
	opts.ContextTimeoutEnabled = true
	if opts.PoolSize == 0 {
		opts.PoolSize = maxConns
	}
	client := redis.NewClient(opts)
	s, err := redisstore.New(client)
	if err != nil {
		client.Close()
		return nil, nil, err
	}
	return s.Locking(), client.Close, nil
}
