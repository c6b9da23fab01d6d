package diskstore_test

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/gowebpy/web/diskstore"
	"github.com/gowebpy/web/session"
	"github.com/gowebpy/web/session/storetest"
)

// TestKilledWriterLeavesNoPartialSession kills a process that saves
// sessions as fast as it can, at an arbitrary moment, and reads every
// session it left: each is whole, or absent, never a partial file.
func TestKilledWriterLeavesNoPartialSession(t *testing.T) {
	if os.Getenv("DISKSTORE_WRITER_DIR") != "" {
		return // the child's copy of this test; see writerProcess
	}
	dir := t.TempDir()
	for round := range 5 {
		cmd := exec.Command(os.Args[0], "-test.run=^TestWriterProcess$")
		cmd.Env = append(os.Environ(), "DISKSTORE_WRITER_DIR="+dir)
		stdout, err := cmd.StdoutPipe()
		if err != nil {
			t.Fatal(err)
		}
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		buf := make([]byte, 64)
		stdout.Read(buf) // the child says "writing" once it has started
		time.Sleep(time.Duration(20+round*13) * time.Millisecond)
		cmd.Process.Kill()
		cmd.Wait()

		store, err := diskstore.New(dir)
		if err != nil {
			t.Fatal(err)
		}
		for i := range 8 {
			data, _, found, err := store.Load(context.Background(), storetest.Key(fmt.Sprint(i)))
			if err != nil {
				t.Fatal(err)
			}
			if !found {
				continue
			}
			var v struct{ Values map[string]string }
			if err := json.Unmarshal(data, &v); err != nil || len(v.Values["blob"]) != 200000 {
				t.Fatalf("round %d: session %d is partial (%d bytes): %v", round, i, len(data), err)
			}
		}
	}
}

// TestWriterProcess is the child of the test above: it saves 200 KB
// sessions in a loop until it is killed.
func TestWriterProcess(t *testing.T) {
	dir := os.Getenv("DISKSTORE_WRITER_DIR")
	if dir == "" {
		t.Skip("run by TestKilledWriterLeavesNoPartialSession")
	}
	store, err := diskstore.New(dir)
	if err != nil {
		t.Fatal(err)
	}
	data := []byte(`{"values":{"blob":"` + strings.Repeat("x", 200000) + `"}}`)
	fmt.Println("writing")
	for i := 0; ; i++ {
		store.Save(context.Background(), storetest.Key(fmt.Sprint(i%8)), data, time.Now().Add(time.Hour), session.Create)
	}
}

// spares returns the names of the spare files in dir.
func spares(t *testing.T, dir string) []string {
	t.Helper()
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, e := range entries {
		if strings.HasPrefix(e.Name(), ".spare-") && strings.HasSuffix(e.Name(), ".tmp") {
			names = append(names, e.Name())
		}
	}
	return names
}

// TestNewRemovesTheSparesOfAKilledProcess kills (SIGKILL) a process that
// updates sessions from several goroutines, which leaves the spare files
// it kept, each a copy of some session; a new store on the folder removes
// them, and every session is still there, whole.
func TestNewRemovesTheSparesOfAKilledProcess(t *testing.T) {
	if os.Getenv("DISKSTORE_SPARES_DIR") != "" {
		return // the child's copy of this test; see TestSparesProcess
	}
	dir := t.TempDir()
	cmd := exec.Command(os.Args[0], "-test.run=^TestSparesProcess$")
	cmd.Env = append(os.Environ(), "DISKSTORE_SPARES_DIR="+dir)
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	line, err := bufio.NewReader(stdout).ReadString('\n')
	if err != nil || line != "updating\n" {
		cmd.Process.Kill()
		cmd.Wait()
		t.Fatalf("the child said %q, %v; want updating", line, err)
	}
	time.Sleep(50 * time.Millisecond) // mid-work
	if err := cmd.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	cmd.Wait()

	left := spares(t, dir)
	t.Logf("the killed process left %d spare files", len(left))
	if len(left) == 0 {
		t.Fatal("the killed process left no spare file: the test did not test anything")
	}
	store, err := diskstore.New(dir)
	if err != nil {
		t.Fatal(err)
	}
	if left := spares(t, dir); len(left) != 0 {
		t.Fatalf("New left the spare files %v", left)
	}
	for i := range 8 {
		data, _, found, err := store.Load(context.Background(), storetest.Key(fmt.Sprint(i)))
		if err != nil || !found {
			t.Fatalf("session %d after the crash: found %v, %v", i, found, err)
		}
		var v struct{ Values map[string]string }
		if err := json.Unmarshal(data, &v); err != nil || len(v.Values["blob"]) != 1000 {
			t.Fatalf("session %d is not whole (%d bytes): %v", i, len(data), err)
		}
	}
}

// TestSparesProcess is the child of the test above: it creates 8
// sessions, says "updating", and updates them from 4 goroutines until it
// is killed.
func TestSparesProcess(t *testing.T) {
	dir := os.Getenv("DISKSTORE_SPARES_DIR")
	if dir == "" {
		t.Skip("run by TestNewRemovesTheSparesOfAKilledProcess")
	}
	store, err := diskstore.New(dir)
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	for i := range 8 {
		data := []byte(`{"values":{"blob":"` + strings.Repeat(fmt.Sprint(i), 1000) + `"}}`)
		if err := store.Save(ctx, storetest.Key(fmt.Sprint(i)), data, time.Now().Add(time.Hour), session.Create); err != nil {
			t.Fatal(err)
		}
	}
	var wg sync.WaitGroup
	for w := range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for n := w; ; n++ {
				i := n % 8
				data := []byte(`{"values":{"blob":"` + strings.Repeat(fmt.Sprint(i), 1000) + `"}}`)
				if err := store.Save(ctx, storetest.Key(fmt.Sprint(i)), data, time.Now().Add(time.Hour), session.Update); err != nil {
					panic(err)
				}
				if n == w+8 && w == 0 {
					fmt.Println("updating") // every session has been swapped at least once
				}
			}
		}()
	}
	wg.Wait()
}

// TestNewOfAnotherProcessLosesNoSave: a store that starts on a folder in
// use removes the spare files of the store already working there, and
// that store's saves all succeed anyway, each writing another spare.
func TestNewOfAnotherProcessLosesNoSave(t *testing.T) {
	dir := t.TempDir()
	store, err := diskstore.New(dir)
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	for i := range 4 {
		if err := store.Save(ctx, storetest.Key(fmt.Sprint(i)), []byte(`{}`), time.Now().Add(time.Hour), session.Create); err != nil {
			t.Fatal(err)
		}
	}
	stop := make(chan struct{})
	var wg sync.WaitGroup
	var saves atomic.Int64
	errs := make(chan error, 4)
	for w := range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			key := storetest.Key(fmt.Sprint(w))
			for n := 0; ; n++ {
				select {
				case <-stop:
					return
				default:
				}
				if err := store.Save(ctx, key, []byte(fmt.Sprintf(`{"values":{"n":%d}}`, n)), time.Now().Add(time.Hour), session.Update); err != nil {
					errs <- fmt.Errorf("save %d of session %d: %w", n, w, err)
					return
				}
				saves.Add(1)
			}
		}()
	}
	// Other processes starting, one after another. (A folder emptied of
	// spares without a pause is not processes starting but an attack, to
	// which a save gives in after its spare vanished three times.)
	for range 20 {
		if _, err := diskstore.New(dir); err != nil {
			t.Error(err)
		}
		time.Sleep(20 * time.Millisecond)
	}
	close(stop)
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	t.Logf("%d saves while another store started 20 times on the folder", saves.Load())
}
