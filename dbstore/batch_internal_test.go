package dbstore

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gowebpy/web/session"
)

func newSQLiteStore(t *testing.T) *Store {
	t.Helper()
	NeedSQLite(t)
	db, err := OpenSQLite(filepath.Join(t.TempDir(), "s.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	s, err := New(db, "sessions", WithCreateTable())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

func testKey(i int) string { return fmt.Sprintf("%064x", i) }

// queued runs writes concurrently while a batch is (as far as they know)
// being committed, so they all queue up, then lets them through. It
// returns their errors, in order.
func queued(t *testing.T, s *Store, writes []func() error) []error {
	t.Helper()
	b := s.writes
	b.mu.Lock()
	b.leading = true
	b.mu.Unlock()
	errs := make([]error, len(writes))
	var wg sync.WaitGroup
	for i, w := range writes {
		wg.Go(func() { errs[i] = w() })
	}
	for start := time.Now(); ; time.Sleep(time.Millisecond) {
		b.mu.Lock()
		n := len(b.queue)
		if n == len(writes) {
			b.queue[0].wake <- struct{}{} // the batch "in flight" is done: the first queued leads
			b.mu.Unlock()
			break
		}
		b.mu.Unlock()
		if time.Since(start) > 10*time.Second {
			t.Fatalf("%d of %d writes queued", n, len(writes))
		}
	}
	wg.Wait()
	return errs
}

// Writes that queue up while another batch commits share one transaction,
// and each gets its own result: an Update of a missing key is still
// ErrNotFound.
func TestQueuedWritesShareOneCommit(t *testing.T) {
	s := newSQLiteStore(t)
	ctx := context.Background()
	deadline := time.Now().Add(time.Hour)
	for i := range 10 {
		if err := s.Save(ctx, testKey(i), []byte(`{"n":0}`), deadline, session.Create); err != nil {
			t.Fatal(err)
		}
	}
	batches := s.writes.batches.Load()
	// Delete 0, touch 1, update 2-9, create 10-19, update a missing key.
	writes := []func() error{
		func() error { return s.Delete(ctx, testKey(0)) },
		func() error { return s.Touch(ctx, testKey(1), deadline.Add(time.Hour)) },
	}
	for i := range 10 {
		if i >= 2 {
			writes = append(writes, func() error { return s.Save(ctx, testKey(i), []byte(`{"n":1}`), deadline, session.Update) })
		}
		writes = append(writes, func() error { return s.Save(ctx, testKey(10+i), []byte(`{"n":2}`), deadline, session.Create) })
	}
	writes = append(writes, func() error { return s.Save(ctx, testKey(99), []byte(`{}`), deadline, session.Update) })
	errs := queued(t, s, writes)
	for i, err := range errs[:len(errs)-1] {
		if err != nil {
			t.Errorf("write %d: %v", i, err)
		}
	}
	if err := errs[len(errs)-1]; !errors.Is(err, session.ErrNotFound) {
		t.Errorf("update of a missing key in a batch: %v, want ErrNotFound", err)
	}
	if n := s.writes.batches.Load() - batches; n != 1 {
		t.Errorf("%d queued writes ran in %d batches; want 1", len(writes), n)
	}
	for i := range 20 {
		data, dl, found, err := s.Load(ctx, testKey(i))
		want := map[bool]string{true: `{"n":1}`, false: `{"n":2}`}[i < 10]
		switch {
		case err != nil:
			t.Fatal(err)
		case i == 0 && found:
			t.Errorf("key 0 was deleted in the batch but is there")
		case i == 0:
		case i == 1 && (!found || string(data) != `{"n":0}` || dl.Before(deadline.Add(59*time.Minute))):
			t.Errorf("key 1 was touched in the batch: found %v, data %s, deadline %v", found, data, dl)
		case i == 1:
		case !found || string(data) != want:
			t.Errorf("key %d: found %v, data %s; want %s", i, found, data, want)
		}
	}
}

// A write that fails sinks its batch's transaction; the batch is run again
// one write at a time, so only the bad write fails.
func TestFailedWriteSinksNoOtherInItsBatch(t *testing.T) {
	s := newSQLiteStore(t)
	ctx := context.Background()
	bad := testKey(666)
	if _, err := s.db.Exec(`CREATE TRIGGER refuse BEFORE INSERT ON sessions WHEN NEW.session_key = '` + bad +
		`' BEGIN SELECT RAISE(ABORT, 'refused by the test'); END`); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(time.Hour)
	var writes []func() error
	for i := range 8 {
		key := testKey(i)
		if i == 3 {
			key = bad
		}
		writes = append(writes, func() error { return s.Save(ctx, key, []byte(`{}`), deadline, session.Create) })
	}
	errs := queued(t, s, writes)
	for i, err := range errs {
		switch {
		case i == 3 && (err == nil || !strings.Contains(err.Error(), "refused by the test")):
			t.Errorf("the bad write: %v", err)
		case i != 3 && err != nil:
			t.Errorf("write %d: %v", i, err)
		}
	}
	for i := range 8 {
		if _, _, found, _ := s.Load(ctx, testKey(i)); found != (i != 3) {
			t.Errorf("key %d: found %v", i, found)
		}
	}
}

// A queued write whose request has given up is skipped, not run later.
func TestCancelledQueuedWriteIsSkipped(t *testing.T) {
	s := newSQLiteStore(t)
	cancelled, cancel := context.WithCancel(context.Background())
	cancel()
	deadline := time.Now().Add(time.Hour)
	// Prepared beforehand, as it is once a store has served a request.
	if err := s.Save(context.Background(), testKey(0), []byte(`{}`), deadline, session.Create); err != nil {
		t.Fatal(err)
	}
	errs := queued(t, s, []func() error{
		func() error { return s.Save(context.Background(), testKey(1), []byte(`{}`), deadline, session.Create) },
		func() error { return s.Save(cancelled, testKey(2), []byte(`{}`), deadline, session.Create) },
	})
	if errs[0] != nil || !errors.Is(errs[1], context.Canceled) {
		t.Fatalf("errors %v; want nil and context.Canceled", errs)
	}
	if _, _, found, _ := s.Load(context.Background(), testKey(2)); found {
		t.Fatal("the cancelled write was run")
	}
}

// Writes under a lease share a batch with the others, and each is fenced
// by its own lease: the one whose lease was taken over is refused, and
// nothing else in the batch is.
func TestFencedWritesInABatch(t *testing.T) {
	s := newSQLiteStore(t)
	l := s.Locking()
	ctx := context.Background()
	deadline := time.Now().Add(time.Hour)
	for i := range 4 {
		if err := s.Save(ctx, testKey(i), []byte(`{"n":0}`), deadline, session.Create); err != nil {
			t.Fatal(err)
		}
	}
	held, err := l.Lock(ctx, testKey(0))
	if err != nil {
		t.Fatal(err)
	}
	defer held.Release()
	lost, err := l.Lock(ctx, testKey(1))
	if err != nil {
		t.Fatal(err)
	}
	defer lost.Release()
	// Another holder took key 1 over.
	if _, err := s.db.Exec(`UPDATE sessions_lock SET token = ? WHERE session_key = ?`, strings.Repeat("b", 32), testKey(1)); err != nil {
		t.Fatal(err)
	}
	under := func(lease session.Lease) context.Context { return session.WithLease(ctx, lease.Token) }
	batches := s.writes.batches.Load()
	errs := queued(t, s, []func() error{
		func() error { return l.Save(under(held), testKey(0), []byte(`{"n":1}`), deadline, session.Update) },
		func() error {
			return l.Save(under(lost), testKey(1), []byte(`{"n":"stale"}`), deadline, session.Update)
		},
		func() error { return l.Touch(under(lost), testKey(1), deadline.Add(time.Hour)) },
		func() error { return l.Delete(under(lost), testKey(1)) },
		func() error { return l.Save(ctx, testKey(2), []byte(`{"n":1}`), deadline, session.Update) },
		func() error { return l.Touch(under(held), testKey(0), deadline.Add(time.Hour)) },
		func() error { return l.Save(under(held), testKey(99), []byte(`{}`), deadline, session.Update) },
	})
	for i, want := range []error{nil, session.ErrFenced, session.ErrFenced, session.ErrFenced, nil, nil, session.ErrNotFound} {
		if want == nil && errs[i] != nil || want != nil && !errors.Is(errs[i], want) {
			t.Errorf("write %d of the batch = %v; want %v", i, errs[i], want)
		}
	}
	if n := s.writes.batches.Load() - batches; n != 1 {
		t.Errorf("the writes ran in %d batches; want 1", n)
	}
	for i, want := range []string{`{"n":1}`, `{"n":0}`, `{"n":1}`} {
		if got, _, _, _ := s.Load(ctx, testKey(i)); string(got) != want {
			t.Errorf("key %d holds %s; want %s", i, got, want)
		}
	}
}
