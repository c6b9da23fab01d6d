package diskstore

import (
	"context"
	"os"
	"path/filepath"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/gowebpy/web/session"
	"github.com/gowebpy/web/session/storetest"
)

// TestCleanupSparesSessionsBeingCreated guards the creation of a session
// against a cleanup running meanwhile. A session's file must never be
// visible under its name before its time is set to the deadline: one
// written straight to its name has the time of its writing until then,
// and the cleanup removed it as expired, so that the save failed, or
// returned nil with the session gone (a visitor logged out right after
// logging in).
func TestCleanupSparesSessionsBeingCreated(t *testing.T) {
	s, err := New(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	ctx := context.Background()
	stop := make(chan struct{})
	var wg sync.WaitGroup
	var sweeps atomic.Int64
	wg.Go(func() {
		for {
			select {
			case <-stop:
				return
			default:
			}
			s.Cleanup(ctx, time.Now())
			sweeps.Add(1)
		}
	})
	const creates = 1000
	data := make([]byte, 64<<10) // a write that takes a moment
	var lost, failed int
	for i := range creates {
		key := storetest.Key(strconv.Itoa(i))
		if err := s.Save(ctx, key, data, time.Now().Add(time.Hour), session.Create); err != nil {
			failed++
			continue
		}
		if _, err := os.Stat(filepath.Join(s.dir, key)); err != nil {
			lost++
		}
		// Deleted, so that the folder stays small and the cleanup sweeps
		// it many times per create.
		if err := s.Delete(ctx, key); err != nil {
			t.Fatal(err)
		}
	}
	close(stop)
	wg.Wait()
	if lost+failed > 0 {
		t.Fatalf("of %d creates racing %d cleanups: %d returned nil but the file is gone, %d failed", creates, sweeps.Load(), lost, failed)
	}
}
