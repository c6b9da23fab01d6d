package redisstore_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/gowebpy/web/redisstore"
	"github.com/gowebpy/web/session"
	"github.com/gowebpy/web/session/storetest"
)

// TestFencedWrites: under a lease, Save(Update), Touch and Delete write
// while the lease key has the lease's token, and refuse with ErrFenced
// once another holder has it or it ran out (in Redis a lease that ran out
// is gone, so its holder cannot tell whether another instance wrote
// meanwhile); a session that is gone is ErrNotFound, whoever holds its
// lock (a Delete: nil). A store without Locking ignores the token.
func TestFencedWrites(t *testing.T) {
	s, client := newStore(t)
	l := s.Locking()
	ctx := context.Background()
	key := storetest.Key("fenced")
	leaseKey := redisstore.LeaseKey(s, key)
	deadline := time.Now().Add(time.Hour).Truncate(time.Millisecond)
	if err := s.Save(ctx, key, []byte(`{"v":0}`), deadline, session.Create); err != nil {
		t.Fatal(err)
	}
	mine, err := l.Lock(ctx, key)
	if err != nil {
		t.Fatal(err)
	}
	defer mine.Release()
	under := session.WithLease(ctx, mine.Token)
	if err := l.Save(under, key, []byte(`{"v":1}`), deadline, session.Update); err != nil {
		t.Fatalf("a save under the lease = %v", err)
	}
	if err := l.Touch(under, key, deadline.Add(time.Minute)); err != nil {
		t.Fatalf("a touch under the lease = %v", err)
	}
	if got, dl, _, _ := s.Load(ctx, key); string(got) != `{"v":1}` || !dl.Equal(deadline.Add(time.Minute)) {
		t.Fatalf("after a save and a touch under the lease the store holds %s until %v; want {\"v\":1} until %v", got, dl, deadline.Add(time.Minute))
	}

	// Another holder has the lease now; then nobody has it.
	for _, took := range []func() error{
		func() error { return client.Set(ctx, leaseKey, "another-holder", time.Minute).Err() },
		func() error { return client.Del(ctx, leaseKey).Err() },
	} {
		if err := took(); err != nil {
			t.Fatal(err)
		}
		if err := l.Save(under, key, []byte(`{"v":"stale"}`), deadline, session.Update); !errors.Is(err, session.ErrFenced) {
			t.Errorf("a save under a lease that is not its own = %v; want ErrFenced", err)
		}
		if err := l.Touch(under, key, deadline.Add(time.Hour)); !errors.Is(err, session.ErrFenced) {
			t.Errorf("a touch under a lease that is not its own = %v; want ErrFenced", err)
		}
		if err := l.Delete(under, key); !errors.Is(err, session.ErrFenced) {
			t.Errorf("a delete under a lease that is not its own = %v; want ErrFenced", err)
		}
		if got, dl, _, _ := s.Load(ctx, key); string(got) != `{"v":1}` || !dl.Equal(deadline.Add(time.Minute)) {
			t.Errorf("after refused writes the store holds %s until %v; want {\"v\":1} until %v", got, dl, deadline.Add(time.Minute))
		}
	}
	// A store without Locking has no fence: it ignores the token.
	if err := s.Save(under, key, []byte(`{"v":2}`), deadline, session.Update); err != nil {
		t.Errorf("a plain store's save with a stale token = %v; want it written", err)
	}

	// A session that is gone is ErrNotFound, fenced or not.
	if err := client.Set(ctx, leaseKey, mine.Token, time.Minute).Err(); err != nil {
		t.Fatal(err)
	}
	if err := l.Delete(under, key); err != nil {
		t.Fatalf("a delete under the lease = %v", err)
	}
	if err := l.Delete(under, key); err != nil {
		t.Errorf("a delete of a deleted session under its lease = %v; want nil", err)
	}
	if err := l.Save(under, key, []byte(`{}`), deadline, session.Update); !errors.Is(err, session.ErrNotFound) {
		t.Errorf("a save of a deleted session under its lease = %v; want ErrNotFound", err)
	}
	if err := l.Touch(under, key, deadline); !errors.Is(err, session.ErrNotFound) {
		t.Errorf("a touch of a deleted session under its lease = %v; want ErrNotFound", err)
	}
	if n, _ := client.Exists(ctx, redisstore.SessionKey(s, key)).Result(); n != 0 {
		t.Error("a refused save brought a deleted session back")
	}
}
