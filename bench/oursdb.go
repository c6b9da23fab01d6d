package bench

import (
	"database/sql"
	"errors"
	"net/http"
	"path/filepath"

	"github.com/gowebpy/web/dbstore"
	"github.com/gowebpy/web/session"
)

// Ours on DBStore: SQLite in the run's folder, and each database server
// of serverDBs, without and with Locking.
func init() {
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
