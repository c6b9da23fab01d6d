package diskstore_test

import (
	"bytes"
	"context"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gowebpy/web/diskstore"
	"github.com/gowebpy/web/session"
	"github.com/gowebpy/web/session/storetest"
)

const testKey = "0123456789abcdef0123456789abcdef-test-key"

// count is the seed's handler on plain net/http.
var count = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
	s := session.FromContext(r.Context())
	n := s.Int("count") + 1
	s.Set("count", n)
	fmt.Fprint(w, n)
})

type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}
func (l *lockedBuffer) String() string { l.mu.Lock(); defer l.mu.Unlock(); return l.b.String() }

func setup(t *testing.T, dir string, keys ...string) (*diskstore.Store, http.Handler, *lockedBuffer) {
	t.Helper()
	store, err := diskstore.New(dir)
	if err != nil {
		t.Fatal(err)
	}
	log := &lockedBuffer{}
	m, err := session.New(store, session.Config{
		SecretKeys:  keys,
		Initializer: map[string]any{"count": 0},
		Logger:      slog.New(slog.NewTextHandler(log, nil)),
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { m.Close() })
	return store, m.Middleware(count), log
}

func get(h http.Handler, cookie string) (*httptest.ResponseRecorder, string) {
	r := httptest.NewRequest("GET", "/count", nil)
	if cookie != "" {
		r.Header.Set("Cookie", "sid="+cookie)
	}
	w := httptest.NewRecorder()
	h.ServeHTTP(w, r)
	for _, ck := range w.Result().Cookies() {
		if ck.Name == "sid" {
			cookie = ck.Value
		}
	}
	return w, cookie
}

func sessionFiles(t *testing.T, dir string) []string {
	t.Helper()
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, e := range entries {
		if session.ValidKey(e.Name()) {
			names = append(names, e.Name())
		}
	}
	return names
}

func TestFilesArePrivateJSONNamedByHash(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "sessions")
	_, h, _ := setup(t, dir, testKey)
	_, cookie := get(h, "")
	st, err := os.Stat(dir)
	if err != nil || st.Mode().Perm() != 0o700 {
		t.Fatalf("folder mode %v, %v; want 0700", st.Mode().Perm(), err)
	}
	files := sessionFiles(t, dir)
	if len(files) != 1 {
		t.Fatalf("files = %v", files)
	}
	id := cookie[:36]
	if strings.Contains(files[0], id) {
		t.Fatal("the file name holds the session id")
	}
	p := filepath.Join(dir, files[0])
	fst, _ := os.Stat(p)
	if fst.Mode().Perm() != 0o600 {
		t.Errorf("file mode %v; want 0600", fst.Mode().Perm())
	}
	data, _ := os.ReadFile(p)
	if !strings.Contains(string(data), `"values":{"count":1}`) || strings.Contains(string(data), id) {
		t.Errorf("file = %s; want readable JSON without the id", data)
	}
	// A new session's deadline is FirstTimeout away until its cookie
	// comes back.
	if d := time.Until(fst.ModTime()); d < 29*time.Minute || d > 31*time.Minute {
		t.Errorf("file time %v; the deadline (now + 30m) is kept as the modification time", fst.ModTime())
	}
	entries, _ := os.ReadDir(dir)
	for _, e := range entries {
		if strings.HasSuffix(e.Name(), ".tmp") {
			t.Errorf("temporary file %s left behind", e.Name())
		}
	}
}

func TestOpenFolderIsNarrowed(t *testing.T) {
	dir := t.TempDir()
	os.Chmod(dir, 0o755)
	if _, err := diskstore.New(dir); err != nil {
		t.Fatal(err)
	}
	if st, _ := os.Stat(dir); st.Mode().Perm() != 0o700 {
		t.Errorf("mode %v; want 0700", st.Mode().Perm())
	}
	f := filepath.Join(dir, "file")
	os.WriteFile(f, nil, 0o600)
	if _, err := diskstore.New(f); err == nil {
		t.Error("New accepted a file as its folder")
	}
}

func TestGeneratedKeyLivesInTheFolder(t *testing.T) {
	t.Setenv(session.EnvSecretKey, "")
	dir := filepath.Join(t.TempDir(), "sessions")
	_, h, log := setup(t, dir)
	_, cookie := get(h, "")
	st, err := os.Stat(filepath.Join(dir, "secret.key"))
	if err != nil || st.Mode().Perm() != 0o600 {
		t.Fatalf("secret.key: %v %v", st, err)
	}
	if !strings.Contains(log.String(), "no secret key configured") {
		t.Error("no warning about the generated key")
	}
	// A restart reads the same key: the visitor keeps the session.
	_, h2, _ := setup(t, dir)
	if w, _ := get(h2, cookie); w.Body.String() != "2" {
		t.Fatalf("after a restart: %s; want 2", w.Body.String())
	}
}

func TestCorruptFileIsAFreshSession(t *testing.T) {
	dir := t.TempDir()
	_, h, log := setup(t, dir, testKey)
	_, cookie := get(h, "")
	for _, junk := range []string{"", "{\"values\":", "\x00\xff garbage", `{"values":{"count":1}}trailing`} {
		files := sessionFiles(t, dir)
		if len(files) != 1 {
			t.Fatalf("files = %v; the corrupt session must be removed", files)
		}
		p := filepath.Join(dir, files[0])
		deadline := time.Now().Add(time.Hour)
		os.WriteFile(p, []byte(junk), 0o600)
		os.Chtimes(p, deadline, deadline)
		w, c := get(h, cookie)
		if w.Code != 200 || w.Body.String() != "1" {
			t.Errorf("corrupt file %q: %d %s; want a fresh session", junk, w.Code, w.Body.String())
		}
		cookie = c
	}
	if !strings.Contains(log.String(), "corrupt") {
		t.Error("corrupt files were not logged")
	}
}

func TestFailedWriteFailsLoudly(t *testing.T) {
	if os.Geteuid() == 0 {
		t.Log("running as root: a read-only folder does not stop root; a full folder is simulated with a file in its place")
	}
	dir := t.TempDir()
	store, h, log := setup(t, dir, testKey)
	_, cookie := get(h, "")
	// Replace the folder by a file: every write fails, whoever we are.
	os.RemoveAll(dir)
	os.WriteFile(dir, []byte("not a folder"), 0o600)
	defer os.Remove(dir)
	w, _ := get(h, cookie)
	if w.Code != http.StatusServiceUnavailable || w.Header().Get("Retry-After") == "" {
		t.Fatalf("a store that cannot write answered %d %s; want 503 with Retry-After", w.Code, w.Body.String())
	}
	if !strings.Contains(log.String(), "store failed") {
		t.Errorf("the failure was not logged: %s", log.String())
	}
	_ = store
}

func TestAgeIsJudgedByDeadlineNotAtime(t *testing.T) {
	dir := t.TempDir()
	store, _, _ := setup(t, dir, testKey)
	ctx := context.Background()
	key := storetest.Key("x")
	if err := store.Save(ctx, key, []byte(`{}`), time.Now().Add(time.Hour), session.Create); err != nil {
		t.Fatal(err)
	}
	p := filepath.Join(dir, key)
	old := time.Now().Add(-48 * time.Hour)
	// An old access time (a noatime mount, a backup tool) changes nothing.
	os.Chtimes(p, old, time.Now().Add(time.Hour))
	if _, _, found, _ := store.Load(ctx, key); !found {
		t.Fatal("a live session with an old atime was taken for expired")
	}
	if n, _ := store.Cleanup(ctx, time.Now()); n != 0 {
		t.Fatal("cleanup removed a live session with an old atime")
	}
}

func TestCleanupLeavesOtherFilesAlone(t *testing.T) {
	dir := t.TempDir()
	store, _, _ := setup(t, dir, testKey)
	ctx := context.Background()
	past := time.Now().Add(-48 * time.Hour)
	for _, name := range []string{"notes.txt", "secret.key", ".hidden"} {
		p := filepath.Join(dir, name)
		os.WriteFile(p, []byte("keep me"), 0o600)
		os.Chtimes(p, past, past)
	}
	os.Mkdir(filepath.Join(dir, "subdir"), 0o700)
	stale := filepath.Join(dir, ".0123456789abcdef-123.tmp")
	os.WriteFile(stale, []byte("crash leftover"), 0o600)
	os.Chtimes(stale, past, past)
	store.Save(ctx, storetest.Key("dead"), []byte(`{}`), past, session.Create)
	n, err := store.Cleanup(ctx, time.Now())
	if err != nil || n != 2 {
		t.Fatalf("Cleanup = %d, %v; want the expired session and the stale temporary file", n, err)
	}
	for _, name := range []string{"notes.txt", "secret.key", ".hidden", "subdir"} {
		if _, err := os.Stat(filepath.Join(dir, name)); err != nil {
			t.Errorf("cleanup removed %s", name)
		}
	}
}

func TestFsync(t *testing.T) {
	storetest.Run(t, func(t *testing.T) session.Store {
		store, err := diskstore.New(t.TempDir())
		if err != nil {
			t.Fatal(err)
		}
		store.Fsync = true
		return store
	})
}

func TestForgedCookieWritesNothingOutside(t *testing.T) {
	root := t.TempDir()
	dir := filepath.Join(root, "sessions")
	_, h, _ := setup(t, dir, testKey)
	for _, c := range []string{"../../x", "..%2f..%2fx", strings.Repeat("a", 80), "../" + strings.Repeat("a", 77)} {
		get(h, c)
	}
	entries, _ := os.ReadDir(root)
	if len(entries) != 1 {
		t.Errorf("files beside the store: %v", entries)
	}
	if files := sessionFiles(t, dir); len(files) != 0 {
		t.Errorf("forged cookies created sessions: %v", files)
	}
}

func TestConcurrentCountOnDisk(t *testing.T) {
	dir := t.TempDir()
	_, h, _ := setup(t, dir, testKey)
	_, cookie := get(h, "")
	var wg sync.WaitGroup
	for range 50 {
		wg.Add(1)
		go func() { defer wg.Done(); get(h, cookie) }()
	}
	wg.Wait()
	if w, _ := get(h, cookie); w.Body.String() != "52" {
		t.Fatalf("count = %s; want 52 (1 + 50 + this one)", w.Body.String())
	}
}

func BenchmarkCountDiskStore(b *testing.B) { benchCount(b, false) }

// BenchmarkCountDiskStoreFsync is the price of Fsync: compare its ns/op
// with BenchmarkCountDiskStore.
func BenchmarkCountDiskStoreFsync(b *testing.B) { benchCount(b, true) }

// benchCount measures one /count round trip of an existing session.
func benchCount(b *testing.B, fsync bool) {
	store, err := diskstore.New(b.TempDir())
	if err != nil {
		b.Fatal(err)
	}
	store.Fsync = fsync
	m, err := session.New(store, session.Config{SecretKeys: []string{testKey}, CleanupInterval: -1})
	if err != nil {
		b.Fatal(err)
	}
	h := m.Middleware(count)
	_, cookie := get(h, "")
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		if w, _ := get(h, cookie); w.Code != 200 {
			b.Fatal(w.Code)
		}
	}
}

// Saves reuse a bounded set of spare files instead of creating one each.
func TestSparesAreReusedAndBounded(t *testing.T) {
	dir := t.TempDir()
	_, h, _ := setup(t, dir, testKey)
	var cookies []string
	for range 40 {
		_, c := get(h, "")
		cookies = append(cookies, c)
	}
	for range 5 {
		for _, c := range cookies {
			get(h, c)
		}
	}
	entries, _ := os.ReadDir(dir)
	spares := 0
	for _, e := range entries {
		if strings.HasSuffix(e.Name(), ".tmp") {
			spares++
		}
	}
	if spares > 32 {
		t.Errorf("%d spare files; want at most 32", spares)
	}
	if n := len(sessionFiles(t, dir)); n != 40 {
		t.Errorf("%d sessions; want 40", n)
	}
	for _, c := range cookies {
		if w, _ := get(h, c); w.Body.String() != "7" {
			t.Fatalf("count = %s; want 7", w.Body.String())
		}
	}
}

func TestCloseRemovesSpares(t *testing.T) {
	dir := t.TempDir()
	store, h, _ := setup(t, dir, testKey)
	_, c := get(h, "")
	get(h, c)
	store.Close()
	entries, _ := os.ReadDir(dir)
	for _, e := range entries {
		if strings.HasSuffix(e.Name(), ".tmp") {
			t.Errorf("spare %s left after Close", e.Name())
		}
	}
	if w, _ := get(h, c); w.Body.String() != "3" {
		t.Errorf("after Close: %s; the store must stay usable", w.Body.String())
	}
}
