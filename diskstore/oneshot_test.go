package diskstore_test

import (
	"context"
	"net/http/httptest"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/gowebpy/web/diskstore"
	"github.com/gowebpy/web/session"
)

// BenchmarkOneShotVisitors is the figure of 100,000 visitors who each
// send one cookieless /count and never come back: the session files and
// the bytes they take at once, and an hour later, after the cleanup
// (session.Config.FirstTimeout, 30 minutes by default, has passed). The
// folder's own blocks are reported apart: ext4 keeps a folder at the size
// of its longest listing (about 10 MB for 100,000 names) until it is
// removed, whatever the store does.
func BenchmarkOneShotVisitors(b *testing.B) {
	const visitors = 100_000
	for b.Loop() {
		dir := b.TempDir()
		store, err := diskstore.New(dir)
		if err != nil {
			b.Fatal(err)
		}
		m, err := session.New(store, session.Config{SecretKeys: []string{testKey}, CleanupInterval: -1})
		if err != nil {
			b.Fatal(err)
		}
		h := m.Middleware(count)
		for range visitors {
			h.ServeHTTP(httptest.NewRecorder(), httptest.NewRequest("GET", "/count", nil))
		}
		files, bytes, _ := usage(b, dir)
		b.ReportMetric(float64(files), "files-at-once")
		b.ReportMetric(float64(bytes)/1e6, "file-MB-at-once")
		if _, err := store.Cleanup(context.Background(), time.Now().Add(time.Hour)); err != nil {
			b.Fatal(err)
		}
		files, bytes, folder := usage(b, dir)
		b.ReportMetric(float64(files), "files-after-1h")
		b.ReportMetric(float64(bytes)/1e6, "file-MB-after-1h")
		b.ReportMetric(float64(folder)/1e6, "folder-MB-after-1h")
		m.Close()
		store.Close()
	}
}

// usage returns the number of session files in dir, the bytes they take
// on disk (blocks, as du counts them), and the bytes of the folder itself.
// The key file is the application's, not the sessions'.
func usage(b *testing.B, dir string) (files int, bytes, folder int64) {
	b.Helper()
	err := filepath.Walk(dir, func(path string, info os.FileInfo, err error) error {
		switch {
		case err != nil:
			return err
		case info.IsDir():
			folder += blocks(info)
		case session.ValidKey(info.Name()):
			files++
			bytes += blocks(info)
		}
		return nil
	})
	if err != nil {
		b.Fatal(err)
	}
	return files, bytes, folder
}
