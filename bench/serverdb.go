package bench

import (
	"database/sql"

	_ "github.com/go-sql-driver/mysql" // ours-mysql
	_ "github.com/jackc/pgx/v5/stdlib" // ours-pg
)

// serverDB is a database server the bench reaches at the address of an
// environment variable.
type serverDB struct {
	short, title, desc string // "pg", "PostgreSQL", what the variant's row says
	driver, envVar     string
	dsn                func(Env) string
}

// serverDBs are the servers of the ours-pg and ours-mysql rows and of
// cmd/growth's DBStore rows.
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

// open opens the server's database with the pool of OpenServerDB.
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
