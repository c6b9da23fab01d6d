package dbstore_test

import (
	"context"
	"database/sql"
	"errors"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/gowebpy/web/dbstore"
	"github.com/gowebpy/web/session"
	"github.com/gowebpy/web/session/storetest"
)

// putLease writes a lease row by hand, as a process that crashed while
// holding the lock would leave it.
func putLease(t *testing.T, db *sql.DB, s *dbstore.Store, key string, until time.Time) {
	t.Helper()
	var arg any = until.UTC().Format("2006-01-02 15:04:05.000000")
	q := `INSERT INTO ` + s.Table() + `_lock (session_key, token, lease_until) VALUES (?, ?, ?)`
	if s.Dialect() == dbstore.PostgreSQL {
		arg = until
		q = strings.NewReplacer("(?, ?, ?)", "($1, $2, $3)").Replace(q)
	}
	if _, err := db.Exec(q, key, strings.Repeat("c", 32), arg); err != nil {
		t.Fatal(err)
	}
}

func TestLockLease(t *testing.T) {
	ctx := context.Background()
	for _, b := range backends {
		t.Run(b.name, func(t *testing.T) {
			t.Parallel() // each waits out a lease
			db, _ := b.open(t)
			s := newStore(t, db, dbstore.WithLockLease(time.Second))
			l := s.Locking()
			short := func() context.Context {
				c, cancel := context.WithTimeout(ctx, 100*time.Millisecond)
				t.Cleanup(cancel)
				return c
			}

			// A lease left by a crashed process blocks until it runs out...
			held := storetest.Key("held")
			putLease(t, db, s, held, time.Now().Add(time.Hour))
			if _, err := l.Lock(short(), held); !errors.Is(err, session.ErrLockTimeout) || !errors.Is(err, context.DeadlineExceeded) {
				t.Fatalf("Lock of a key leased to another process = %v; want a timeout wrapping ErrLockTimeout and context.DeadlineExceeded", err)
			}
			// ...and one that has run out is taken over at once.
			stale := storetest.Key("stale")
			putLease(t, db, s, stale, time.Now().Add(-time.Second))
			lease, err := l.Lock(short(), stale)
			if err != nil {
				t.Fatalf("Lock of a key whose lease ran out = %v", err)
			}
			lease.Release()
			lease.Release() // a second call does nothing

			// A held lease is renewed: after twice its length, another
			// process still cannot take it.
			k := storetest.Key("renewed")
			lease, err = l.Lock(ctx, k)
			if err != nil {
				t.Fatal(err)
			}
			time.Sleep(2 * time.Second)
			other, err := dbstore.New(db, s.Table(), dbstore.WithLockLease(time.Second))
			if err != nil {
				t.Fatal(err)
			}
			if next, err := other.Locking().Lock(short(), k); err == nil {
				next.Release()
				t.Fatal("a held lease ran out although its holder was alive: it was not renewed")
			}
			lease.Release()
			next, err := other.Locking().Lock(short(), k)
			if err != nil {
				t.Fatalf("Lock after unlock = %v", err)
			}
			next.Release()

			// Cleanup removes leases that ran out and keeps live ones.
			if _, err := l.Cleanup(ctx, time.Now()); err != nil {
				t.Fatal(err)
			}
			var n int
			db.QueryRow(`SELECT count(*) FROM ` + s.Table() + `_lock`).Scan(&n)
			if n != 1 {
				t.Errorf("%d leases after Cleanup; want 1 (the one held for an hour)", n)
			}
		})
	}
}

// TestLockTimeout503: a session held by another process for longer than
// the Manager's LockTimeout answers 503, and works again once released.
func TestLockTimeout503(t *testing.T) {
	for _, b := range backends {
		t.Run(b.name, func(t *testing.T) {
			db, _ := b.open(t)
			s := newStore(t, db)
			c := &client{h: countApp(t, s.Locking(), session.Config{LockTimeout: 200 * time.Millisecond}, nil)}
			c.mustGet(t, "/count", "1")
			id, _, _ := strings.Cut(strings.TrimPrefix(c.cookie, "sid="), ".")
			key := storetest.Key(id) // the store key is the SHA-256 of the id

			other, err := dbstore.New(db, s.Table()) // another process's store
			if err != nil {
				t.Fatal(err)
			}
			lease, err := other.Locking().Lock(context.Background(), key)
			if err != nil {
				t.Fatal(err)
			}
			if code, body := c.get("/count"); code != http.StatusServiceUnavailable || body != "session busy, try again" {
				t.Fatalf("/count while another process holds the session = %d %q; want 503 \"session busy, try again\"", code, body)
			}
			lease.Release()
			c.mustGet(t, "/count", "2")
		})
	}
}

// TestLeaseOutlivesFailedRenewals guards the retry of a failed renewal:
// it must come before the lease's known end, not a third of a lease
// later. A lease taken near the Lock's deadline ends a grace after that
// deadline, sooner than a third of a lease, and a full lease whose
// renewals failed twice has only a third of a lease left; a retry after
// that end let another process take the lock from a holder still at
// work, whose save was then refused (ErrFenced) and its change lost,
// after a mere blip of the database.
func TestLeaseOutlivesFailedRenewals(t *testing.T) {
	const length = time.Second
	cases := []struct {
		name     string
		lockWait time.Duration // the Lock's timeout, as the Manager's StoreTimeout bounds it
		failures int64         // renewals that fail in a row
		checkAt  time.Duration // when another process tries, after the lease's first end
	}{
		// Ends at 400 ms; the renewal at 200 ms fails.
		{"near the deadline, one failure", 300 * time.Millisecond, 1, 450 * time.Millisecond},
		// Ends at 1 s; the renewal at 333 ms fails, the one at 667 ms
		// does not (this one held before the retries were fixed too).
		{"full lease, one failure", 5 * time.Second, 1, 1100 * time.Millisecond},
		// Ends at 1 s; the renewals at 333 ms and 667 ms fail, and the
		// one 167 ms later too.
		{"full lease, three failures", 5 * time.Second, 3, 1100 * time.Millisecond},
	}
	bg := context.Background()
	for _, b := range backends {
		for _, tc := range cases {
			t.Run(b.name+"/"+tc.name, func(t *testing.T) {
				t.Parallel() // each waits a lease out
				dsn := b.dsn(t)
				other := newStore(t, openDSN(t, b.dialect, dsn), dbstore.WithLockLease(length))
				db, p := openWrapped(t, b.dialect, dsn)
				mine, err := dbstore.New(db, other.Table(), dbstore.WithDialect(b.dialect), dbstore.WithLockLease(length))
				if err != nil {
					t.Fatal(err)
				}
				key := storetest.Key("renewed")
				if err := mine.Save(bg, key, []byte(`{}`), time.Now().Add(time.Hour), session.Create); err != nil {
					t.Fatal(err)
				}
				start := time.Now()
				ctx, cancel := context.WithTimeout(bg, tc.lockWait)
				lease, err := mine.Locking().Lock(ctx, key)
				cancel()
				if err != nil {
					t.Fatal(err)
				}
				defer lease.Release()

				p.failWrite.Store(true)
				for p.writeFails.Load() < tc.failures {
					time.Sleep(time.Millisecond)
				}
				p.failWrite.Store(false)
				time.Sleep(time.Until(start.Add(tc.checkAt)))

				octx, ocancel := context.WithTimeout(bg, 50*time.Millisecond)
				defer ocancel()
				if ol, err := other.Locking().Lock(octx, key); err == nil {
					defer ol.Release()
					serr := mine.Locking().Save(session.WithLease(bg, lease.Token), key, []byte(`{"x":1}`), time.Now().Add(time.Hour), session.Update)
					t.Fatalf("another process took the lock %v after this one took it, after %d failed renewal(s), and never released it; the holder's save then = %v", tc.checkAt, tc.failures, serr)
				}
			})
		}
	}
}
