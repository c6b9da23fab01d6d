package diskstore

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/gowebpy/web/session"
)

// staleTemp is the age after which a temporary file is taken for the
// leftover of a crashed process and removed by Cleanup.
const staleTemp = time.Hour

// Cleanup implements session.Store. It reads the folder in batches and
// removes session files whose deadline has passed, and temporary files
// left by a crashed process. Other files are never touched, so a folder
// set up by mistake loses nothing but sessions.
func (s *Store) Cleanup(ctx context.Context, now time.Time) (int, error) {
	d, err := os.Open(s.dir)
	if err != nil {
		return 0, fmt.Errorf("diskstore: %w", err)
	}
	defer d.Close()
	removed := 0
	for {
		if err := ctx.Err(); err != nil {
			return removed, err
		}
		entries, err := d.ReadDir(1024)
		for _, e := range entries {
			if expired(e, now) {
				if err := os.Remove(filepath.Join(s.dir, e.Name())); err == nil {
					removed++
				}
			}
		}
		if errors.Is(err, io.EOF) || (err == nil && len(entries) == 0) {
			return removed, nil
		}
		if err != nil {
			return removed, fmt.Errorf("diskstore: %w", err)
		}
	}
}

// expired reports whether Cleanup removes e: a session file whose
// deadline is not after now, or a temporary file older than staleTemp.
func expired(e fs.DirEntry, now time.Time) bool {
	name := e.Name()
	isTemp := strings.HasPrefix(name, ".") && strings.HasSuffix(name, ".tmp")
	if !isTemp && !session.ValidKey(name) {
		return false
	}
	info, err := e.Info()
	if err != nil || !info.Mode().IsRegular() {
		return false
	}
	if isTemp {
		return now.Sub(info.ModTime()) > staleTemp && info.ModTime().Before(now)
	}
	return !info.ModTime().After(now)
}
