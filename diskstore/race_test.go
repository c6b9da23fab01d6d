package diskstore

import (
	"bytes"
	"context"
	"errors"
	"fmt"
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

// TestLoadRefusesAFileSwappedOnEveryTry guards load against handing out
// the data of a file that was swapped out of the session's name while it
// was read: the file may have been reused, as a spare, for another
// session, whose write also gives it a time that is no deadline. A load
// retries then, and when its last try meets a swap too, it fails rather
// than return what it read, or take the session for expired.
func TestLoadRefusesAFileSwappedOnEveryTry(t *testing.T) {
	dir := t.TempDir()
	s, err := New(dir)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	p := filepath.Join(dir, storetest.Key("mine"))
	held := filepath.Join(dir, "held")
	mine, theirs := []byte(`{"who":"mine"}`), []byte(`{"who":"them"}`)
	deadline := time.Now().Add(time.Hour)
	write := func(name string, data []byte) {
		if err := os.WriteFile(name, data, 0o600); err != nil {
			t.Error(err)
		}
		if err := os.Chtimes(name, deadline, deadline); err != nil {
			t.Error(err)
		}
	}
	write(p, mine)

	// Another process: it puts a new file with this session's data under
	// the session's name, and reuses the file it took out for another
	// session, as a save does with its spares.
	stop := make(chan struct{})
	var wg sync.WaitGroup
	wg.Go(func() {
		tmp := filepath.Join(dir, "tmp")
		for {
			select {
			case <-stop:
				return
			default:
			}
			write(tmp, mine)
			if err := os.Link(p, held); err != nil {
				t.Error(err)
				return
			}
			if err := os.Rename(tmp, p); err != nil {
				t.Error(err)
				return
			}
			write(held, theirs)
			os.Remove(held)
		}
	})
	var refused int
	var wrong error
	for start := time.Now(); wrong == nil && refused < 50 && time.Since(start) < time.Second; {
		data, _, found, err := s.load(p, 0)
		switch {
		case err != nil:
			refused++
		case !found:
			wrong = errors.New("load found no session; the file was always there")
		case !bytes.Equal(data, mine):
			wrong = fmt.Errorf("load returned %q; want %s: it handed out another session's data", data, mine)
		}
	}
	close(stop)
	wg.Wait()
	if wrong != nil {
		t.Fatal(wrong)
	}
	t.Logf("%d loads met a swap and failed", refused)
}
