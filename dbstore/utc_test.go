package dbstore_test

import (
	"context"
	"errors"
	"math"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"
	_ "time/tzdata" // the far zones, wherever the tests run

	"github.com/gowebpy/web/dbstore"
	"github.com/gowebpy/web/session"
	"github.com/gowebpy/web/session/storetest"
)

// The zones of TestUTC: the process is 14 hours ahead of UTC, the
// database sessions 12 hours behind, so that any time taken as local
// somewhere is off by half a day or more.
const (
	processTZ = "Pacific/Kiritimati" // UTC+14
	envUTC    = "DBSTORE_UTC_CHILD"
)

// TestUTC runs TestUTCInner in a child process whose TZ is far east of
// UTC, against database sessions whose time zone is far west of it.
func TestUTC(t *testing.T) {
	if testing.Short() {
		t.Skip("runs a child process")
	}
	cmd := exec.Command(os.Args[0], "-test.run=^TestUTCInner$", "-test.v", "-test.count=1")
	cmd.Env = append(os.Environ(), "TZ="+processTZ, envUTC+"=1")
	out, err := cmd.CombinedOutput()
	if err != nil || !strings.Contains(string(out), "--- PASS: TestUTCInner") {
		t.Fatalf("TestUTCInner with TZ=%s: %v\n%s", processTZ, err, out)
	}
	for _, line := range strings.Split(string(out), "\n") {
		if strings.Contains(line, "is not set") || strings.Contains(line, "utc_test.go") {
			t.Log(strings.TrimSpace(line))
		}
	}
}

// farDSN returns dsn with the database session's time zone set 12 hours
// west of UTC, and for MySQL the driver told to read times as local ones,
// which dbstore must not depend on either.
func farDSN(b backend, dsn string) string {
	switch b.dialect {
	case dbstore.PostgreSQL:
		return addParam(dsn, "timezone=Etc/GMT%2B12")
	case dbstore.MySQL:
		return addParam(dsn, "time_zone=%27-12%3A00%27&loc=Local&parseTime=true")
	}
	return dsn
}

func TestUTCInner(t *testing.T) {
	if os.Getenv(envUTC) == "" {
		t.Skip("run by TestUTC in a child process")
	}
	if _, off := time.Now().Zone(); off != 14*3600 {
		t.Fatalf("the process's zone is %d s from UTC; TestUTC should have set TZ=%s", off, processTZ)
	}
	ctx := context.Background()
	for _, b := range backends {
		t.Run(b.name, func(t *testing.T) {
			db := openDSN(t, b.dialect, farDSN(b, b.dsn(t)))
			var zone string
			switch b.dialect {
			case dbstore.PostgreSQL:
				db.QueryRow("SHOW TimeZone").Scan(&zone)
			case dbstore.MySQL:
				db.QueryRow("SELECT @@session.time_zone").Scan(&zone)
			}
			t.Logf("%s: process zone %s, database session zone %q", b.name, processTZ, zone)
			if b.dialect != dbstore.SQLite && zone != "Etc/GMT+12" && zone != "-12:00" {
				t.Fatalf("the database session's time zone is %q; the DSN should have set it 12 hours west", zone)
			}
			s := newStore(t, db)
			table := s.Table()
			now := time.Now() // local, UTC+14
			live, dead, soon := storetest.Key("live"), storetest.Key("dead"), storetest.Key("soon")
			hour := now.Add(time.Hour)
			for key, d := range map[string]time.Time{live: hour, dead: now.Add(-time.Minute), soon: now.Add(time.Minute)} {
				if err := s.Save(ctx, key, []byte(`{}`), d, session.Create); err != nil {
					t.Fatal(err)
				}
			}

			// The row holds the UTC time.
			var stored string
			q := map[dbstore.Dialect]string{
				dbstore.SQLite:     `SELECT substr(deadline, 1, 19) FROM "` + table + `" WHERE session_key = ?`,
				dbstore.PostgreSQL: `SELECT to_char(deadline AT TIME ZONE 'UTC', 'YYYY-MM-DD HH24:MI:SS') FROM "` + table + `" WHERE session_key = $1`,
				dbstore.MySQL:      "SELECT DATE_FORMAT(deadline, '%Y-%m-%d %H:%i:%s') FROM `" + table + "` WHERE session_key = ?",
			}[b.dialect]
			if err := db.QueryRow(q, live).Scan(&stored); err != nil {
				t.Fatal(err)
			}
			if want := hour.UTC().Format("2006-01-02 15:04:05"); stored != want {
				t.Errorf("stored deadline %s; want the UTC time %s (local %s)", stored, want, hour.Format(time.DateTime))
			}

			// The database's own clock agrees: the deadline is an hour ahead.
			var ahead float64
			q = map[dbstore.Dialect]string{
				dbstore.SQLite:     `SELECT (julianday(deadline) - julianday('now')) * 86400 FROM "` + table + `" WHERE session_key = ?`,
				dbstore.PostgreSQL: `SELECT EXTRACT(EPOCH FROM deadline - now())::float8 FROM "` + table + `" WHERE session_key = $1`,
				dbstore.MySQL:      "SELECT TIMESTAMPDIFF(SECOND, UTC_TIMESTAMP(6), deadline) FROM `" + table + "` WHERE session_key = ?",
			}[b.dialect]
			if err := db.QueryRow(q, live).Scan(&ahead); err != nil {
				t.Fatal(err)
			}
			if math.Abs(ahead-3600) > 120 {
				t.Errorf("by the database's clock the deadline is %.0f s ahead; want about 3600", ahead)
			}

			// Load, Update, Touch and Cleanup judge expiry to the minute.
			if _, d, found, err := s.Load(ctx, live); err != nil || !found || d.Sub(hour).Abs() > time.Millisecond {
				t.Errorf("Load(live) = %v, %v, %v; want found, deadline %v", d, found, err, hour)
			}
			if _, _, found, err := s.Load(ctx, soon); err != nil || !found {
				t.Errorf("Load of a session expiring in a minute = %v, %v; want found", found, err)
			}
			if _, _, found, err := s.Load(ctx, dead); err != nil || found {
				t.Errorf("Load of a session expired a minute ago = %v, %v; want not found", found, err)
			}
			if err := s.Save(ctx, dead, []byte(`{}`), hour, session.Update); !errors.Is(err, session.ErrNotFound) {
				t.Errorf("Save(Update) of a session expired a minute ago = %v; want ErrNotFound", err)
			}
			if err := s.Touch(ctx, dead, hour); !errors.Is(err, session.ErrNotFound) {
				t.Errorf("Touch of a session expired a minute ago = %v; want ErrNotFound", err)
			}
			if n, err := s.Cleanup(ctx, time.Now()); err != nil || n != 1 {
				t.Errorf("Cleanup = %d, %v; want the 1 expired session", n, err)
			}

			// And the app works.
			c := &client{h: countApp(t, s, session.Config{}, nil)}
			c.mustGet(t, "/count", "1")
			c.mustGet(t, "/count", "2")
		})
	}
}
