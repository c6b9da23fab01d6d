package diskstore

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"time"

	"github.com/gowebpy/web/session"
)

// Load implements session.Store.
func (s *Store) Load(_ context.Context, key string) ([]byte, time.Time, bool, error) {
	p, err := s.path(key)
	if err != nil {
		return nil, time.Time{}, false, err
	}
	return s.load(p, 3)
}

// load reads the session of the file p, trying again up to retries times
// when the file is swapped out of p while it is read.
func (s *Store) load(p string, retries int) ([]byte, time.Time, bool, error) {
	f, err := os.Open(p)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, time.Time{}, false, nil
	}
	if err != nil {
		return nil, time.Time{}, false, fmt.Errorf("diskstore: %w", err)
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return nil, time.Time{}, false, fmt.Errorf("diskstore: %w", err)
	}
	deadline := st.ModTime()
	expired := !deadline.After(time.Now())
	var data []byte
	if !expired {
		if !st.Mode().IsRegular() {
			return nil, time.Time{}, false, fmt.Errorf("%w: %s is not a regular file", session.ErrCorrupt, filepath.Base(p))
		}
		data, err = readAll(f, make([]byte, 0, st.Size()+1))
		if err != nil {
			return nil, time.Time{}, false, fmt.Errorf("diskstore: %w", err)
		}
	}
	// A process sharing the folder may have swapped the file out while it
	// was read, and reused it as a spare for another session, whose write
	// moves the file's time too: then what was read, and the expiry judged
	// by that time, may be the other session's. Such a load tries again,
	// and fails when its last try meets a swap too, rather than hand the
	// other session's data out as this one's, or take this one for
	// expired.
	now, err := os.Stat(p)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return nil, time.Time{}, false, nil // deleted meanwhile
	case err != nil:
		return nil, time.Time{}, false, fmt.Errorf("diskstore: %w", err)
	case !os.SameFile(st, now) && retries > 0:
		return s.load(p, retries-1)
	case !os.SameFile(st, now):
		return nil, time.Time{}, false, fmt.Errorf("diskstore: %s was replaced while it was read, on every try", filepath.Base(p))
	case expired:
		return nil, time.Time{}, false, nil
	}
	return data, deadline, true, nil
}

func readAll(r io.Reader, b []byte) ([]byte, error) {
	for {
		n, err := r.Read(b[len(b):cap(b)])
		b = b[:len(b)+n]
		if err == io.EOF {
			return b, nil
		}
		if err != nil {
			return b, err
		}
		if len(b) == cap(b) {
			b = append(b, 0)[:len(b)]
		}
	}
}
