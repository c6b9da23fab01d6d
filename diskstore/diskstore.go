// Package diskstore keeps sessions in a folder, one file per session, like
// web.py's DiskStore("sessions").
//
// A file is named after the session's store key (the SHA-256 of its id, so
// a listing of the folder hands out no live session) and holds the
// session as JSON, so that `cat sessions/<key>` shows it. The file's
// modification time is the session's deadline: the store sets it on every
// save and touch, and judges expiry by it alone, never by atime. So
//
//	ls -l --time-style=full-iso sessions/
//
// lists when each session expires, and refreshing a deadline costs one
// utimes call instead of a rewrite.
//
// Writes are atomic: the data goes to a spare file in the same folder,
// which is then swapped with the session's file in one rename, so a
// process killed at any moment never leaves a partial session behind. Set
// Fsync to survive power loss too, at the cost of two fsync calls per
// save. Spare files (".spare-*.tmp") hold copies of session data; Close
// removes the store's own, and New removes those a killed process left.
package diskstore

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"time"

	"github.com/gowebpy/web/session"
)

// Store is a session.Store over a folder. It is safe for concurrent use.
// Several processes may share the folder; the session package's lock
// keeps the requests of one session in order within one process only.
type Store struct {
	// Fsync makes every save wait until the file and the folder entry
	// are on disk, so that a power loss loses no acknowledged write. It
	// costs two fsync calls per save (milliseconds on most disks); the
	// default, off, still never leaves a partial file. Set it before use.
	Fsync bool

	dir    string
	spares chan string // files of the folder ready to be written and swapped in
}

// New returns a Store keeping its files in dir, which is created with mode
// 0700 if missing, or narrowed to 0700 if others could read it.
//
// New removes the spare files in dir: those of a process that was killed
// (kill -9, a crash, a power cut) would otherwise stay for a day, each a
// copy of a session, perhaps of one killed since. It reads the folder's
// names once to find them. A process that shares the folder and is
// running loses its spare files too, and makes new ones: a save whose
// spare vanishes writes another, so no session is lost or refused.
func New(dir string) (*Store, error) {
	if dir == "" {
		return nil, errors.New("diskstore: empty folder name")
	}
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, fmt.Errorf("diskstore: %w", err)
	}
	st, err := os.Stat(dir)
	if err != nil {
		return nil, fmt.Errorf("diskstore: %w", err)
	}
	if !st.IsDir() {
		return nil, fmt.Errorf("diskstore: %s is not a folder", dir)
	}
	if st.Mode().Perm()&0o077 != 0 {
		if err := os.Chmod(dir, 0o700); err != nil {
			return nil, fmt.Errorf("diskstore: narrowing the mode of %s to 0700: %w", dir, err)
		}
	}
	if err := removeSpares(dir); err != nil {
		return nil, err
	}
	return &Store{dir: dir, spares: make(chan string, spareCount)}, nil
}

// KeyDir makes the folder the home of a generated secret key, so that all
// of an application's session state is in one place.
func (s *Store) KeyDir() string { return s.dir }

// path returns the file of key, refusing anything that is not a store key
// before it can become a path.
func (s *Store) path(key string) (string, error) {
	if err := session.CheckKey(key); err != nil {
		return "", err
	}
	return filepath.Join(s.dir, key), nil
}

// live reports whether p exists and has not expired.
func live(p string) (bool, error) {
	st, err := os.Stat(p)
	if errors.Is(err, fs.ErrNotExist) {
		return false, nil
	}
	if err != nil {
		return false, fmt.Errorf("diskstore: %w", err)
	}
	return st.ModTime().After(time.Now()), nil
}

// Save implements session.Store. The data is written to a spare file of
// the folder, and its time set to the deadline, before the spare is
// swapped with the session's file in one atomic rename: readers see the
// old session or the new one, never a part, and a session's file never
// has a time that is not its deadline. (A new session written straight
// to its name would have the time of the write until the write is done,
// and a cleanup meanwhile would remove it as expired.)
//
// Where the system can exchange two names atomically (Linux renameat2
// with RENAME_EXCHANGE), an update makes the session's previous file the
// next spare, so a save creates no file: creating a file costs a journal
// commit, most of a save's time on common file systems. A new session's
// spare takes its name in a rename that refuses to replace a file
// (RENAME_NOREPLACE). A system without these renames the spare over the
// session's name. With Update, the exchange itself fails when the file
// is gone, so a session deleted meanwhile, by this process or another,
// is not written again.
func (s *Store) Save(_ context.Context, key string, data []byte, deadline time.Time, mode session.SaveMode) error {
	p, err := s.path(key)
	if err != nil {
		return err
	}
	if mode == session.Update {
		ok, err := live(p)
		if err != nil {
			return err
		}
		if !ok {
			return session.ErrNotFound
		}
	}
	// A spare removed under us (by the New of another process sharing the
	// folder) is replaced by another; three in a row would be a folder
	// being emptied on purpose.
	for range 3 {
		done, err := s.swapIn(p, data, deadline, mode)
		if done {
			return err
		}
	}
	return fmt.Errorf("diskstore: the spare files of %s keep vanishing before use", s.dir)
}

// swapIn writes data to a spare file and swaps it in for the file p. It
// returns done == false, and no error, when the spare vanished before the
// swap, so that the caller can try again with another.
func (s *Store) swapIn(p string, data []byte, deadline time.Time, mode session.SaveMode) (done bool, err error) {
	spare, err := s.writeSpare(data, deadline)
	if err != nil {
		return true, err
	}
	// A new session has no file to exchange with: its spare takes the
	// session's name, in a rename that fails if the name exists. The key
	// comes from a fresh random id; should it exist after all, the
	// exchange replaces that file, atomically too.
	if mode == session.Create {
		err = renameNew(spare, p)
		if err == nil {
			return true, s.syncAfterRename()
		}
	}
	if mode == session.Update || errors.Is(err, fs.ErrExist) {
		err = exchange(spare, p)
	}
	switch {
	case err == nil:
		s.putSpare(spare) // now the session's old file
	case errors.Is(err, fs.ErrNotExist) && vanished(spare):
		return false, nil
	case errors.Is(err, fs.ErrNotExist) && mode == session.Update:
		s.putSpare(spare)
		return true, session.ErrNotFound
	case errors.Is(err, fs.ErrNotExist), errors.Is(err, errUnsupported):
		if err := os.Rename(spare, p); err != nil {
			if errors.Is(err, fs.ErrNotExist) && vanished(spare) {
				return false, nil
			}
			os.Remove(spare)
			return true, fmt.Errorf("diskstore: %w", err)
		}
	default:
		os.Remove(spare)
		return true, fmt.Errorf("diskstore: %w", err)
	}
	return true, s.syncAfterRename()
}

// vanished reports whether the spare file at name is gone.
func vanished(name string) bool {
	_, err := os.Lstat(name)
	return errors.Is(err, fs.ErrNotExist)
}

// finish ends the writing of f, whose write gave err: it syncs f when
// Fsync is set, closes it and sets its time to deadline. On any failure
// the file is removed, so that no partial session stays.
func (s *Store) finish(f *os.File, err error, deadline time.Time) error {
	if err == nil && s.Fsync {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Chtimes(f.Name(), deadline, deadline)
	}
	if err != nil {
		os.Remove(f.Name())
		return fmt.Errorf("diskstore: %w", err)
	}
	return nil
}

// syncAfterRename makes the new name durable when Fsync is set.
func (s *Store) syncAfterRename() error {
	if s.Fsync {
		if err := syncDir(s.dir); err != nil {
			return fmt.Errorf("diskstore: %w", err)
		}
	}
	return nil
}

func syncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return err
	}
	err = d.Sync()
	if cerr := d.Close(); err == nil {
		err = cerr
	}
	return err
}

// Touch implements session.Toucher: it only moves the file's time.
func (s *Store) Touch(_ context.Context, key string, deadline time.Time) error {
	p, err := s.path(key)
	if err != nil {
		return err
	}
	ok, err := live(p)
	if err != nil {
		return err
	}
	if !ok {
		return session.ErrNotFound
	}
	if err := os.Chtimes(p, deadline, deadline); err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			return session.ErrNotFound
		}
		return fmt.Errorf("diskstore: %w", err)
	}
	return nil
}

// Delete implements session.Store.
func (s *Store) Delete(_ context.Context, key string) error {
	p, err := s.path(key)
	if err != nil {
		return err
	}
	if err := os.Remove(p); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("diskstore: %w", err)
	}
	return nil
}

// errUnsupported reports a system or file system that cannot swap two
// names atomically, or rename a file in a step that refuses to replace
// another.
var errUnsupported = errors.New("diskstore: atomic exchange or exclusive rename not supported")
