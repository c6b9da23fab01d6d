package release_test

import (
	"context"
	"errors"
	"sync/atomic"
	"testing"
	"time"

	"github.com/gowebpy/web/internal/release"
)

const soon = 5 * time.Second

func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	for end := time.Now().Add(soon); !cond(); {
		if time.Now().After(end) {
			t.Fatalf("%s did not happen within %v", what, soon)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

var errAway = errors.New("the server is away")

// server is a fake server that fails until it is back.
type server struct {
	back      atomic.Bool
	delivered atomic.Int64
}

func (s *server) deliver(context.Context) (bool, error) {
	if !s.back.Load() {
		return false, errAway
	}
	s.delivered.Add(1)
	return true, nil
}

func TestDeliversOnceTheServerIsBack(t *testing.T) {
	var s server
	q := release.New(time.Second, nil)
	q.Add("a", time.Now().Add(time.Minute), s.deliver)
	q.Add("b", time.Now().Add(time.Minute), s.deliver)
	time.Sleep(200 * time.Millisecond) // a few failed tries
	if q.Len() != 2 || s.delivered.Load() != 0 {
		t.Fatalf("with the server away: %d pending, %d delivered", q.Len(), s.delivered.Load())
	}
	s.back.Store(true)
	waitFor(t, "both requests delivered", func() bool { return q.Len() == 0 })
	if n := s.delivered.Load(); n != 2 {
		t.Errorf("%d deliveries; want 2", n)
	}
}

func TestExpiredRequestsAreDropped(t *testing.T) {
	var s server
	q := release.New(time.Second, nil)
	q.Add("a", time.Now().Add(100*time.Millisecond), s.deliver)
	waitFor(t, "the expired request dropped", func() bool { return q.Len() == 0 })
	if s.delivered.Load() != 0 {
		t.Error("a request delivered while the server was away")
	}
}

func TestFlushDeliversTheKeysRequestsNow(t *testing.T) {
	var s server
	q := release.New(time.Second, nil)
	q.Add("a", time.Now().Add(time.Minute), s.deliver)
	q.Add("b", time.Now().Add(time.Minute), s.deliver)
	if q.Flush(context.Background(), "a") {
		t.Error("Flush with the server away reported a removed lease")
	}
	s.back.Store(true)
	if !q.Flush(context.Background(), "a") {
		t.Error("Flush did not report the removed lease")
	}
	if q.Flush(context.Background(), "c") {
		t.Error("Flush of a key with nothing queued reported a removed lease")
	}
	waitFor(t, "the other request delivered", func() bool { return q.Len() == 0 })
	if n := s.delivered.Load(); n < 2 {
		t.Errorf("%d deliveries; want both", n)
	}
}

func TestFatalErrorEmptiesTheQueue(t *testing.T) {
	errClosed := errors.New("client closed")
	q := release.New(time.Second, func(err error) bool { return errors.Is(err, errClosed) })
	q.Add("a", time.Now().Add(time.Minute), func(context.Context) (bool, error) { return false, errClosed })
	q.Add("b", time.Now().Add(time.Minute), func(context.Context) (bool, error) { return false, errAway })
	waitFor(t, "the queue emptied", func() bool { return q.Len() == 0 })
}

func TestTriesHaveTheTimeout(t *testing.T) {
	q := release.New(50*time.Millisecond, nil)
	var sawDeadline atomic.Bool
	q.Add("a", time.Now().Add(time.Minute), func(ctx context.Context) (bool, error) {
		dl, ok := ctx.Deadline()
		sawDeadline.Store(ok && time.Until(dl) <= 50*time.Millisecond)
		return false, nil
	})
	waitFor(t, "the request delivered", func() bool { return q.Len() == 0 })
	if !sawDeadline.Load() {
		t.Error("a try's context had no deadline within the timeout")
	}
}

func TestBounded(t *testing.T) {
	block := make(chan struct{})
	defer close(block)
	q := release.New(time.Second, nil)
	for range 2000 {
		q.Add("a", time.Now().Add(time.Minute), func(ctx context.Context) (bool, error) {
			select {
			case <-block:
			case <-ctx.Done():
			}
			return false, errAway
		})
	}
	if n := q.Len(); n > 1024 {
		t.Errorf("%d requests pending; want at most 1024", n)
	}
}

// TestKeptForFlushWhenItRemovedNothing is the race of a frozen server
// that wakes up: the background's release runs before the late lock
// attempt it cancels, so it removes nothing; the attempt then takes the
// lease, and the Flush of the next Lock must still remove it.
func TestKeptForFlushWhenItRemovedNothing(t *testing.T) {
	var leased atomic.Bool // the lease the late attempt takes
	var deliveries atomic.Int64
	q := release.New(time.Second, nil)
	q.Add("a", time.Now().Add(time.Minute), func(context.Context) (bool, error) {
		deliveries.Add(1)
		return leased.Swap(false), nil
	})
	waitFor(t, "the background's delivery", func() bool { return deliveries.Load() == 1 && q.Len() == 0 })
	time.Sleep(100 * time.Millisecond)
	if n := deliveries.Load(); n != 1 {
		t.Fatalf("%d deliveries by the background; want 1: a request that removed nothing is kept for Flush, not tried again", n)
	}
	leased.Store(true) // the late attempt reaches the server
	if !q.Flush(context.Background(), "a") {
		t.Fatal("Flush did not deliver again the request the background delivered too early")
	}
	if leased.Load() {
		t.Error("the lease is still there")
	}
	if q.Flush(context.Background(), "a") {
		t.Error("a request that removed its lease was delivered again")
	}
}

func TestKeptRequestsExpire(t *testing.T) {
	var deliveries atomic.Int64
	q := release.New(time.Second, nil)
	q.Add("a", time.Now().Add(100*time.Millisecond), func(context.Context) (bool, error) {
		deliveries.Add(1)
		return false, nil
	})
	waitFor(t, "the background's delivery", func() bool { return deliveries.Load() == 1 })
	time.Sleep(150 * time.Millisecond)
	q.Flush(context.Background(), "a")
	if n := deliveries.Load(); n != 1 {
		t.Errorf("%d deliveries; an expired request was delivered again", n)
	}
}
