package main

import (
	"bytes"
	"flag"
	"os"
	"path/filepath"
	"testing"
)

// update rewrites the expected outputs from the code under test, for a
// change of the report's output that is meant.
var update = flag.Bool("update", false, "rewrite testdata/*/want.md and testdata/splice/*.want.md")

// The report of saved inputs is byte for byte the one in testdata: full
// is the run of bench/results/full-*, edge the paths a full run rarely
// takes (skips, failed cells, an even number of rounds, a store that
// expires by itself, lines the readers ignore), empty a run of none of
// the parts, lostnan one-session cells without a final count (printed
// "-" since the split; before, int64(NaN)). The other expected outputs
// were written by the report before it was split into files.
func TestGolden(t *testing.T) {
	for _, name := range []string{"full", "edge", "empty", "lostnan"} {
		t.Run(name, func(t *testing.T) {
			dir := filepath.Join("testdata", name)
			in := inputs{
				meta:   filepath.Join(dir, "meta.txt"),
				load:   filepath.Join(dir, "load.tsv"),
				inproc: filepath.Join(dir, "inproc.txt"),
				growth: filepath.Join(dir, "growth.tsv"),
			}
			var got bytes.Buffer
			if err := generate(&got, in); err != nil {
				t.Fatal(err)
			}
			compare(t, filepath.Join(dir, "want.md"), got.Bytes())
		})
	}
}

// -splice replaces the part between the markers, appends it to a file
// without them (or with them in the wrong order), and creates a missing
// file.
func TestSplice(t *testing.T) {
	for _, name := range []string{"marked", "unmarked", "reversed", "missing"} {
		t.Run(name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "BENCHMARKS.md")
			if name != "missing" {
				old, err := os.ReadFile(filepath.Join("testdata", "splice", name+".md"))
				if err != nil {
					t.Fatal(err)
				}
				if err := os.WriteFile(path, old, 0o644); err != nil {
					t.Fatal(err)
				}
			}
			gen, err := os.Open(filepath.Join("testdata", "splice", "gen.md"))
			if err != nil {
				t.Fatal(err)
			}
			defer gen.Close()
			if err := spliceInto(path, gen); err != nil {
				t.Fatal(err)
			}
			got, err := os.ReadFile(path)
			if err != nil {
				t.Fatal(err)
			}
			compare(t, filepath.Join("testdata", "splice", name+".want.md"), got)
		})
	}
}

// compare fails t unless got is the content of the file want, or with
// -update writes got there.
func compare(t *testing.T, want string, got []byte) {
	t.Helper()
	if *update {
		if err := os.WriteFile(want, got, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	w, err := os.ReadFile(want)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, w) {
		t.Errorf("output differs from %s; got:\n%s", want, got)
	}
}
