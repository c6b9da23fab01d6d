package diskstore

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"time"
)

// Spare files are named by os.CreateTemp(dir, sparePattern).
const (
	sparePattern = ".spare-*.tmp"
	sparePrefix  = ".spare-"
	spareSuffix  = ".tmp"
)

func isSpare(name string) bool {
	return strings.HasPrefix(name, sparePrefix) && strings.HasSuffix(name, spareSuffix)
}

// removeSpares deletes the spare files in dir. It lists them all before
// removing any, so that a process saving in the folder meanwhile loses at
// most one spare per save to it: a spare made after the listing is safe,
// where removing while listing would chase the new spares as they appear.
// The names are read in batches, and only the spares' are kept, so that a
// folder of a million sessions costs no more memory than a thousand.
func removeSpares(dir string) error {
	names, err := spareNames(dir)
	if err != nil {
		return err
	}
	for _, name := range names {
		if err := os.Remove(filepath.Join(dir, name)); err != nil && !errors.Is(err, fs.ErrNotExist) {
			return fmt.Errorf("diskstore: removing a spare file left by an earlier process: %w", err)
		}
	}
	return nil
}

func spareNames(dir string) ([]string, error) {
	d, err := os.Open(dir)
	if err != nil {
		return nil, fmt.Errorf("diskstore: %w", err)
	}
	defer d.Close()
	var spares []string
	for {
		names, err := d.Readdirnames(1024)
		for _, name := range names {
			if isSpare(name) {
				spares = append(spares, name)
			}
		}
		if errors.Is(err, io.EOF) || (err == nil && len(names) == 0) {
			return spares, nil
		}
		if err != nil {
			return nil, fmt.Errorf("diskstore: %w", err)
		}
	}
}

// spareCount is how many spare files a Store keeps for reuse.
const spareCount = 32

// writeSpare writes data to a spare file, reused when one is at hand, and
// sets its time to deadline.
func (s *Store) writeSpare(data []byte, deadline time.Time) (string, error) {
	for vanished := 0; ; {
		name, reused := s.getSpare()
		var f *os.File
		var err error
		if reused {
			f, err = os.OpenFile(name, os.O_WRONLY, 0)
			if errors.Is(err, fs.ErrNotExist) {
				continue // removed by a cleanup or another process's New: take another
			}
		} else {
			f, err = os.CreateTemp(s.dir, sparePattern)
			if f != nil {
				name = f.Name()
			}
		}
		if err != nil {
			return "", fmt.Errorf("diskstore: %w", err)
		}
		// Writing over the old content and cutting it to length frees no
		// blocks when the size hardly changes, unlike O_TRUNC. A fresh
		// file has no old content to cut.
		_, err = f.WriteAt(data, 0)
		if err == nil && reused {
			err = f.Truncate(int64(len(data)))
		}
		err = s.finish(f, err, deadline)
		if errors.Is(err, fs.ErrNotExist) && vanished < 3 {
			vanished++
			continue // removed while written (setting its time failed): take another
		}
		if err != nil {
			return "", err
		}
		return name, nil
	}
}

func (s *Store) getSpare() (string, bool) {
	select {
	case name := <-s.spares:
		return name, true
	default:
		return "", false
	}
}

// Close removes the spare files the store keeps. The store remains usable:
// a later save makes new ones. A process that exits without Close leaves
// them for the cleanup, which removes stale spare files.
func (s *Store) Close() error {
	for {
		select {
		case name := <-s.spares:
			os.Remove(name)
		default:
			return nil
		}
	}
}

func (s *Store) putSpare(name string) {
	select {
	case s.spares <- name:
	default:
		os.Remove(name)
	}
}
