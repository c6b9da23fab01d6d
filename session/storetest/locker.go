package storetest

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/gowebpy/web/session"
)

func testLocker(t *testing.T, s session.Store) {
	ctx := context.Background()
	l, ok := s.(session.Locker)
	if !ok {
		t.Skip("store does not implement session.Locker")
	}
	held, err := l.Lock(ctx, Key("l"))
	if err != nil {
		t.Fatal(err)
	}
	short, cancel := context.WithTimeout(ctx, 200*time.Millisecond)
	defer cancel()
	if second, err := l.Lock(short, Key("l")); err == nil {
		second.Release()
		t.Fatal("a second Lock of a held key succeeded")
	} else if !errors.Is(err, session.ErrLockTimeout) {
		t.Errorf("a Lock that timed out waiting for another holder = %v; want an error wrapping ErrLockTimeout", err)
	}
	other, err := l.Lock(ctx, Key("other"))
	if err != nil {
		t.Fatalf("Lock of another key blocked: %v", err)
	}
	other.Release()
	held.Release()
	again, err := l.Lock(ctx, Key("l"))
	if err != nil {
		t.Fatalf("Lock after unlock = %v", err)
	}
	again.Release()
}

// takeOver stores key, takes its lock as first and gives it back, as
// when the lease runs out under a stalled holder, then takes it again as
// second and saves {"v":2} under it. underFirst, if not nil, runs while
// first holds the lock. The caller releases second.
func takeOver(t *testing.T, s session.Store, key string, underFirst func(token string)) (first, second session.Lease) {
	t.Helper()
	ctx := context.Background()
	l, ok := s.(session.Locker)
	if !ok {
		t.Skip("store does not implement session.Locker")
	}
	deadline := time.Now().Add(time.Hour)
	if err := s.Save(ctx, key, []byte(`{"v":0}`), deadline, session.Create); err != nil {
		t.Fatal(err)
	}
	first, err := l.Lock(ctx, key)
	if err != nil {
		t.Fatal(err)
	}
	if underFirst != nil {
		underFirst(first.Token)
	}
	first.Release() // as if it ran out under a stalled holder
	second, err = l.Lock(ctx, key)
	if err != nil {
		t.Fatal(err)
	}
	if second.Token == first.Token {
		second.Release()
		t.Fatalf("two holds of the lock have the same token %q", first.Token)
	}
	if err := s.Save(session.WithLease(ctx, second.Token), key, []byte(`{"v":2}`), deadline, session.Update); err != nil {
		second.Release()
		t.Fatalf("a save of the new holder = %v", err)
	}
	return first, second
}

// testFencing: a write made under a lease that another holder has taken
// since is refused, and the other holder's writes stand.
func testFencing(t *testing.T, s session.Store) {
	ctx := context.Background()
	key := Key("fenced")
	deadline := time.Now().Add(time.Hour)
	first, second := takeOver(t, s, key, func(token string) {
		if err := s.Save(session.WithLease(ctx, token), key, []byte(`{"v":1}`), deadline, session.Update); err != nil {
			t.Fatalf("a save under the lease that holds the lock = %v", err)
		}
	})
	defer second.Release()
	stale := session.WithLease(ctx, first.Token)
	if err := s.Save(stale, key, []byte(`{"v":"stale"}`), deadline, session.Update); !errors.Is(err, session.ErrFenced) {
		t.Errorf("a save under a lease taken over = %v; want an error wrapping ErrFenced", err)
	}
	if toucher, ok := s.(session.Toucher); ok {
		if err := toucher.Touch(stale, key, deadline.Add(time.Hour)); !errors.Is(err, session.ErrFenced) {
			t.Errorf("a touch under a lease taken over = %v; want an error wrapping ErrFenced", err)
		}
	}
	if got, _, _, _ := s.Load(ctx, key); string(got) != `{"v":2}` {
		t.Errorf("after the stale writes the store holds %s; want the new holder's {\"v\":2}", got)
	}
}

// testFencedDelete: a Delete made under a lease that another holder has
// taken since is refused and the data stay; a Delete under the lease that
// holds the lock removes them; and a Delete of a key that is gone is no
// error, whichever lease it is made under.
func testFencedDelete(t *testing.T, s session.Store) {
	ctx := context.Background()
	key := Key("fenced-delete")
	first, second := takeOver(t, s, key, nil)
	defer second.Release()
	stale, current := session.WithLease(ctx, first.Token), session.WithLease(ctx, second.Token)
	if err := s.Delete(stale, key); !errors.Is(err, session.ErrFenced) {
		t.Errorf("a delete under a lease taken over = %v; want an error wrapping ErrFenced", err)
	}
	if got, _, found, err := s.Load(ctx, key); err != nil || !found || string(got) != `{"v":2}` {
		t.Errorf("after the stale delete the store holds %s (found %v, err %v); want the new holder's {\"v\":2}", got, found, err)
	}
	if err := s.Delete(current, key); err != nil {
		t.Fatalf("a delete under the lease that holds the lock = %v", err)
	}
	if _, _, found, err := s.Load(ctx, key); err != nil || found {
		t.Errorf("after a delete under the lease Load = found %v, err %v; want gone", found, err)
	}
	for name, c := range map[string]context.Context{"taken over": stale, "that holds the lock": current} {
		if err := s.Delete(c, key); err != nil {
			t.Errorf("a delete of a key that is gone, under a lease %s = %v; want nil", name, err)
		}
	}
}
