// Command report turns the raw results of bench/run.sh into the Markdown
// of BENCHMARKS.md: the load matrix with every figure also as a ratio to
// the bare handler of the same run, the in-process benchmarks, the growth
// tables, and the targets of issue 6, each met or missed.
//
//	report -meta meta.txt -load load.tsv -inproc bench.txt -growth growth.tsv > full.md
//	report -splice ../BENCHMARKS.md < full.md
//
// -splice replaces what lies between the BEGIN and END markers of the
// generated part of the file (appending them when missing), so the prose
// around the tables survives a re-run.
package main

import (
	"bufio"
	"flag"
	"io"
	"log"
	"os"
)

func main() {
	metaFile := flag.String("meta", "", "key=value lines about the run")
	loadFile := flag.String("load", "", "the load matrix (TSV)")
	inprocFile := flag.String("inproc", "", "go test -bench output")
	growthFile := flag.String("growth", "", "cmd/growth output (TSV)")
	splice := flag.String("splice", "", "replace the generated part of this file with standard input")
	flag.Parse()
	log.SetFlags(0)
	log.SetPrefix("report: ")
	if *splice != "" {
		if err := spliceInto(*splice, os.Stdin); err != nil {
			log.Fatal(err)
		}
		return
	}
	in := inputs{meta: *metaFile, load: *loadFile, inproc: *inprocFile, growth: *growthFile}
	if err := generate(os.Stdout, in); err != nil {
		log.Fatal(err)
	}
}

// inputs names the raw results of one run, a file per part; a name that
// is empty or names no file stands for a part that was not run.
type inputs struct {
	meta, load, inproc, growth string
}

// generate reads the results named by in and writes their report to w.
// It is main's work without the flags, so that the golden tests run it
// on saved inputs.
func generate(w io.Writer, in inputs) error {
	r := &report{w: bufio.NewWriter(w)}
	r.meta = readMeta(in.meta)
	r.load = readLoad(in.load)
	r.inproc, r.inprocOrder = readInproc(in.inproc)
	r.growth, r.cleanup, r.growthSkips = readGrowth(in.growth)
	r.write()
	return r.w.Flush()
}
