package bench

import (
	"context"
	"database/sql"
	"errors"
	"os"
	"path/filepath"

	"github.com/gowebpy/web/dbstore"
	"github.com/gowebpy/web/diskstore"
	"github.com/gowebpy/web/session"
)

// GrowthStore is a store of ours measured as it fills up (cmd/growth).
type GrowthStore struct {
	Name string
	// Skip returns why the store cannot be measured in env, or "".
	Skip func(env Env) string
	// Open returns an empty store; close empties and releases it.
	Open func(env Env) (st session.Store, close func() error, err error)
}

var growthStores []GrowthStore

// RoundTripper is a store across the network that can time a no-op round
// trip to its server (PING, SELECT 1). Growth times one between every two
// operations, so that a store's latency can be read in round trips of the
// same moment: on a loopback whose round trip itself swings several-fold
// from one second to the next, raw latencies of different sizes cannot be
// compared.
type RoundTripper interface {
	RoundTrip(ctx context.Context) error
}

// roundTripStore is a Store with its RoundTrip.
type roundTripStore struct {
	session.Store
	rt func(ctx context.Context) error
}

func (s roundTripStore) RoundTrip(ctx context.Context) error { return s.rt(ctx) }

// selfCleaningRoundTripStore keeps the mark of a store that expires its
// entries by itself, which the wrapping would hide.
type selfCleaningRoundTripStore struct{ roundTripStore }

func (selfCleaningRoundTripStore) SelfCleaning() {}

// GrowthStores returns the stores cmd/growth measures, in table order.
func GrowthStores() []GrowthStore { return growthStores }

func registerGrowth(g GrowthStore) {
	if g.Skip == nil {
		g.Skip = func(Env) string { return "" }
	}
	growthStores = append(growthStores, g)
}

// GrowthTable is the table cmd/growth fills in a database.
const GrowthTable = "growth_sessions"

func init() {
	registerGrowth(GrowthStore{
		Name: "MemoryStore",
		Open: func(Env) (session.Store, func() error, error) {
			return session.NewMemoryStore(), noClose, nil
		},
	})
	registerGrowth(GrowthStore{
		Name: "DiskStore",
		Open: func(env Env) (session.Store, func() error, error) {
			dir := filepath.Join(env.Dir, "growth-disk")
			os.RemoveAll(dir)
			st, err := diskstore.New(dir)
			if err != nil {
				return nil, nil, err
			}
			return st, func() error { return os.RemoveAll(dir) }, nil
		},
	})
	registerGrowth(GrowthStore{
		Name: "DBStore SQLite",
		Open: func(env Env) (session.Store, func() error, error) {
			path := filepath.Join(env.Dir, "growth.db")
			for _, suffix := range []string{"", "-wal", "-shm"} {
				os.Remove(path + suffix)
			}
			db, err := dbstore.OpenSQLite(path)
			if err != nil {
				return nil, nil, err
			}
			return growthDB(db, func() error {
				for _, suffix := range []string{"", "-wal", "-shm"} {
					os.Remove(path + suffix)
				}
				return nil
			}, false)
		},
	})
	for _, server := range serverDBs() {
		registerGrowth(GrowthStore{
			Name: "DBStore " + server.title,
			Skip: server.skip,
			Open: func(env Env) (session.Store, func() error, error) {
				db, err := server.open(env)
				if err != nil {
					return nil, nil, err
				}
				return growthDB(db, nil, true)
			},
		})
	}
}

// growthDB returns an empty DBStore in GrowthTable of db; its close drops
// the table and closes db, then runs after. A database across the network
// gets a RoundTrip of SELECT 1.
func growthDB(db *sql.DB, after func() error, network bool) (session.Store, func() error, error) {
	dropGrowthTables(db)
	st, err := dbstore.New(db, GrowthTable, dbstore.WithCreateTable())
	if err != nil {
		db.Close()
		return nil, nil, err
	}
	var store session.Store = st
	if network {
		store = roundTripStore{st, func(ctx context.Context) error {
			var one int
			return db.QueryRowContext(ctx, "SELECT 1").Scan(&one)
		}}
	}
	return store, func() error {
		err := errors.Join(st.Close(), dropGrowthTables(db), db.Close())
		if after != nil {
			err = errors.Join(err, after())
		}
		return err
	}, nil
}

func dropGrowthTables(db *sql.DB) error {
	_, err1 := db.Exec("DROP TABLE IF EXISTS " + GrowthTable)
	_, err2 := db.Exec("DROP TABLE IF EXISTS " + GrowthTable + "_lock")
	return errors.Join(err1, err2)
}
