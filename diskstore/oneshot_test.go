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
// send one cookieless /count and never come back: the files and bytes of
// the store's folder at once, and an hour later, after the cleanup
// (session.Config.FirstTimeout, 30 minutes by default, has passed).
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
		files, bytes := usage(b, dir)
		b.ReportMetric(float64(files), "files-at-once")
		b.ReportMetric(float64(bytes)/1e6, "MB-at-once")
		if _, err := store.Cleanup(context.Background(), time.Now().Add(time.Hour)); err != nil {
			b.Fatal(err)
		}
		files, bytes = usage(b, dir)
		b.ReportMetric(float64(files), "files-after-1h")
		b.ReportMetric(float64(bytes)/1e6, "MB-after-1h")
		m.Close()
		store.Close()
	}
}

// usage returns the number of files in dir and the bytes they take on
// disk, folder included, counting blocks as du does.
func usage(b *testing.B, dir string) (files int, bytes int64) {
	b.Helper()
	err := filepath.Walk(dir, func(path string, info os.FileInfo, err error) error {
		if err != nil {
			return err
		}
		if info.Mode().IsRegular() {
			files++
		}
		bytes += blocks(info)
		return nil
	})
	if err != nil {
		b.Fatal(err)
	}
	return files, bytes
}
