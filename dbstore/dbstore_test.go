package dbstore_test

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	_ "github.com/go-sql-driver/mysql"
	_ "github.com/jackc/pgx/v5/stdlib"

	"github.com/gowebpy/web/dbstore"
	"github.com/gowebpy/web/session"
	"github.com/gowebpy/web/session/storetest"
)

func TestConformance(t *testing.T) {
	for _, b := range backends {
		t.Run(b.name, func(t *testing.T) {
			db, _ := b.open(t)
			storetest.Run(t, func(t *testing.T) session.Store { return newStore(t, db) })
		})
	}
}

// TestConformanceLocking runs the suite on the store with session.Locker,
// which adds the suite's Locker checks.
func TestConformanceLocking(t *testing.T) {
	for _, b := range backends {
		t.Run(b.name, func(t *testing.T) {
			db, _ := b.open(t)
			storetest.Run(t, func(t *testing.T) session.Store { return newStore(t, db).Locking() })
		})
	}
}

func TestDetectDialect(t *testing.T) {
	for _, b := range backends {
		t.Run(b.name, func(t *testing.T) {
			db, _ := b.open(t)
			s := newStore(t, db)
			if s.Dialect() != b.dialect {
				t.Errorf("Dialect() = %v; want %v", s.Dialect(), b.dialect)
			}
		})
	}
	t.Run("wrapped", func(t *testing.T) {
		dbstore.NeedSQLite(t)
		db, _ := openWrapped(t, dbstore.SQLite, filepath.Join(t.TempDir(), "s.db"))
		_, err := dbstore.New(db, "sessions", dbstore.WithCreateTable())
		if err == nil || !strings.Contains(err.Error(), "WithDialect") {
			t.Fatalf("New over an unknown driver = %v; want an error that points to WithDialect", err)
		}
		if _, err := dbstore.New(db, "sessions", dbstore.WithCreateTable(), dbstore.WithDialect(dbstore.SQLite)); err != nil {
			t.Fatal(err)
		}
	})
}

func TestTableNames(t *testing.T) {
	dbstore.NeedSQLite(t)
	db, err := dbstore.OpenSQLite(filepath.Join(t.TempDir(), "s.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	for _, name := range []string{"", "Sessions", "1sessions", "sessions; DROP TABLE x", `s"x`, "s`x", "s.x", "s x",
		"sessions--", strings.Repeat("s", 49), "séssions"} {
		if _, err := dbstore.New(db, name, dbstore.WithCreateTable()); err == nil {
			t.Errorf("New(%q) = nil error; want the name refused", name)
		}
	}
	for _, name := range []string{"sessions", "_s", "web_sessions_2", "order", strings.Repeat("s", 48)} {
		if _, err := dbstore.New(db, name, dbstore.WithCreateTable()); err != nil {
			t.Errorf("New(%q) = %v", name, err)
		}
	}
	tables := 0
	db.QueryRow(`SELECT count(*) FROM sqlite_master WHERE type = 'table'`).Scan(&tables)
	if tables != 10 {
		t.Errorf("%d tables in the database; want 10 (5 good names, each with a lock table)", tables)
	}
}

func TestMissingTable(t *testing.T) {
	dbstore.NeedSQLite(t)
	db, err := dbstore.OpenSQLite(filepath.Join(t.TempDir(), "s.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	_, err = dbstore.New(db, "sessions")
	if err == nil || !strings.Contains(err.Error(), "schema.sql") {
		t.Fatalf("New without the table = %v; want an error that points to schema.sql", err)
	}
}

func TestOptions(t *testing.T) {
	dbstore.NeedSQLite(t)
	db, err := dbstore.OpenSQLite(filepath.Join(t.TempDir(), "s.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	for name, opt := range map[string]dbstore.Option{
		"batch 0":       dbstore.WithCleanupBatch(0, 0),
		"pause < 0":     dbstore.WithCleanupBatch(10, -time.Second),
		"short lease":   dbstore.WithLockLease(time.Millisecond),
		"dialect 9":     dbstore.WithDialect(9),
		"nil db (skip)": nil,
	} {
		if opt == nil {
			continue
		}
		if _, err := dbstore.New(db, "sessions", dbstore.WithCreateTable(), opt); err == nil {
			t.Errorf("New with %s = nil error", name)
		}
	}
	if _, err := dbstore.New(nil, "sessions"); err == nil {
		t.Error("New(nil) = nil error")
	}
}

// TestSchemaFile keeps schema.sql equal to the DDL of WithCreateTable:
// the SQLite statements are the file's plain lines, the PostgreSQL and
// MySQL ones its lines starting "--pg " and "--my ".
func TestSchemaFile(t *testing.T) {
	b, err := os.ReadFile("../schema.sql")
	if err != nil {
		t.Fatal(err)
	}
	sections := map[dbstore.Dialect][]string{}
	for _, line := range strings.Split(string(b), "\n") {
		line = strings.TrimRight(line, " \t\r")
		switch {
		case strings.HasPrefix(line, "--pg "):
			sections[dbstore.PostgreSQL] = append(sections[dbstore.PostgreSQL], strings.TrimPrefix(line, "--pg "))
		case strings.HasPrefix(line, "--my "):
			sections[dbstore.MySQL] = append(sections[dbstore.MySQL], strings.TrimPrefix(line, "--my "))
		case strings.HasPrefix(line, "--"), line == "":
		default:
			sections[dbstore.SQLite] = append(sections[dbstore.SQLite], line)
		}
	}
	for _, d := range []dbstore.Dialect{dbstore.SQLite, dbstore.PostgreSQL, dbstore.MySQL} {
		ddl, err := dbstore.Schema(d, "sessions")
		if err != nil {
			t.Fatal(err)
		}
		want := strings.Join(ddl, ";\n") + ";"
		got := strings.Join(sections[d], "\n")
		if got != want {
			t.Errorf("schema.sql's %v DDL differs from dbstore.Schema:\n--- schema.sql\n%s\n--- dbstore.Schema\n%s", d, got, want)
		}
	}
}

// TestSchemaRunsByHand runs schema.sql's statements the way its header
// says, on every database, and checks that New accepts the result.
func TestSchemaRunsByHand(t *testing.T) {
	for _, b := range backends {
		t.Run(b.name, func(t *testing.T) {
			db, _ := b.open(t)
			table := uniqueTable(t, db)
			ddl, err := dbstore.Schema(b.dialect, table)
			if err != nil {
				t.Fatal(err)
			}
			for _, stmt := range ddl {
				if _, err := db.Exec(stmt); err != nil {
					t.Fatalf("%s: %v", stmt, err)
				}
			}
			if _, err := dbstore.New(db, table); err != nil {
				t.Fatal(err)
			}
		})
	}
}

func TestOpenSQLite(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "a ?#% b.db")
	db, err := dbstore.OpenSQLite(path)
	if !dbstore.SQLiteAvailable() {
		if err == nil || !strings.Contains(err.Error(), "CGO_ENABLED=0") {
			t.Fatalf("OpenSQLite without cgo = %v; want an error that says why", err)
		}
		return
	}
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	var mode string
	var busy int
	if err := db.QueryRow("PRAGMA journal_mode").Scan(&mode); err != nil || mode != "wal" {
		t.Errorf("journal_mode = %q, %v; want wal", mode, err)
	}
	if err := db.QueryRow("PRAGMA busy_timeout").Scan(&busy); err != nil || busy < 1000 {
		t.Errorf("busy_timeout = %d, %v; want a few seconds", busy, err)
	}
	if st := db.Stats(); st.MaxOpenConnections != 1 {
		t.Errorf("MaxOpenConnections = %d; want 1", st.MaxOpenConnections)
	}
	if _, err := os.Stat(path); err != nil {
		t.Errorf("the database file is not where asked: %v", err)
	}
	if _, err := dbstore.OpenSQLite(filepath.Join(dir, "missing", "dir", "s.db")); err == nil {
		t.Error("OpenSQLite in a missing folder = nil error")
	}
	if _, err := dbstore.OpenSQLite(""); err == nil {
		t.Error(`OpenSQLite("") = nil error`)
	}
}

// TestUpdateUnchanged saves a session twice with the same data and
// deadline: MySQL reports 0 rows affected for the second UPDATE unless
// clientFoundRows is set, and the store must not take that for a missing
// session. Run with and without clientFoundRows.
func TestUpdateUnchanged(t *testing.T) {
	ctx := context.Background()
	for _, b := range backends {
		dsns := []string{""}
		if b.dialect == dbstore.MySQL {
			dsns = append(dsns, "clientFoundRows=true")
		}
		for _, extra := range dsns {
			t.Run(b.name+extra, func(t *testing.T) {
				dsn := b.dsn(t)
				if extra != "" {
					dsn = addParam(dsn, extra)
				}
				db := openDSN(t, b.dialect, dsn)
				s := newStore(t, db)
				key := storetest.Key("same")
				deadline := time.Now().Add(time.Hour)
				for _, mode := range []session.SaveMode{session.Create, session.Update, session.Update} {
					if err := s.Save(ctx, key, []byte(`{"v":1}`), deadline, mode); err != nil {
						t.Fatalf("Save(%v) = %v", mode, err)
					}
				}
				if err := s.Touch(ctx, key, deadline); err != nil {
					t.Fatalf("Touch to the same deadline = %v", err)
				}
				if err := s.Delete(ctx, key); err != nil {
					t.Fatal(err)
				}
				if err := s.Save(ctx, key, []byte(`{"v":1}`), deadline, session.Update); !errors.Is(err, session.ErrNotFound) {
					t.Fatalf("Save(Update) after Delete = %v; want ErrNotFound", err)
				}
				if err := s.Touch(ctx, key, deadline); !errors.Is(err, session.ErrNotFound) {
					t.Fatalf("Touch after Delete = %v; want ErrNotFound", err)
				}
			})
		}
	}
}

func addParam(dsn, param string) string {
	if strings.Contains(dsn, "?") {
		return dsn + "&" + param
	}
	return dsn + "?" + param
}

// TestCorruptDeadline: a row whose deadline cannot be read is corrupt
// data, which the Manager logs and replaces, not a 500.
func TestCorruptDeadline(t *testing.T) {
	dbstore.NeedSQLite(t)
	db, err := dbstore.OpenSQLite(filepath.Join(t.TempDir(), "s.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	s, err := dbstore.New(db, "sessions", dbstore.WithCreateTable())
	if err != nil {
		t.Fatal(err)
	}
	key := storetest.Key("bad")
	if _, err := db.Exec(`INSERT INTO sessions VALUES (?, ?, ?)`, key, []byte(`{}`), "9999-not a time"); err != nil {
		t.Fatal(err)
	}
	_, _, _, err = s.Load(context.Background(), key)
	if !errors.Is(err, session.ErrCorrupt) {
		t.Fatalf("Load of an unreadable deadline = %v; want ErrCorrupt", err)
	}
}

// TestFarDeadlines: deadlines past year 9999 (a huge RememberMe) are kept
// at the last moment every dialect can hold, not wrapped around.
func TestFarDeadlines(t *testing.T) {
	ctx := context.Background()
	for _, b := range backends {
		t.Run(b.name, func(t *testing.T) {
			db, _ := b.open(t)
			s := newStore(t, db)
			key := storetest.Key("far")
			if err := s.Save(ctx, key, []byte(`{}`), time.Date(12026, 1, 1, 0, 0, 0, 0, time.UTC), session.Create); err != nil {
				t.Fatal(err)
			}
			_, d, found, err := s.Load(ctx, key)
			if err != nil || !found || d.Year() != 9999 {
				t.Fatalf("Load = %v, %v, %v; want found, in year 9999", d, found, err)
			}
		})
	}
}
