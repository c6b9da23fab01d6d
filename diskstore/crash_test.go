package diskstore_test

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"strings"
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
