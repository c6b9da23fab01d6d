// Command growth measures how the stores of ours behave as they fill up:
// Load and Save(Update) latency of one session with 1k, 100k and 1M
// sessions already in the store, the memory a MemoryStore takes per
// session, and the time one Cleanup takes to remove every session once
// all have expired. Stores are filled through Store.Save directly.
//
//	growth -sizes 1000,100000,1000000 -dir /tmp/x -out growth.tsv
package main

import (
	"context"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"flag"
	"fmt"
	"log"
	"math/rand/v2"
	"os"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/gowebpy/web/bench"
	"github.com/gowebpy/web/session"
)

func main() {
	sizesFlag := flag.String("sizes", "1000,100000,1000000", "comma-separated store sizes, increasing")
	dir := flag.String("dir", os.TempDir(), "a folder for DiskStore's files and SQLite's database")
	out := flag.String("out", "", "write the TSV here (default: standard output)")
	samples := flag.Int("samples", 2000, "timed Loads and Saves at each size")
	workers := flag.Int("workers", 8, "goroutines that fill a store")
	only := flag.String("stores", "", "comma-separated store names to measure (default: all)")
	flag.Parse()
	log.SetFlags(0)
	log.SetPrefix("growth: ")

	var sizes []int
	for _, f := range strings.Split(*sizesFlag, ",") {
		n, err := strconv.Atoi(strings.TrimSpace(f))
		if err != nil || n <= 0 || (len(sizes) > 0 && n <= sizes[len(sizes)-1]) {
			log.Fatalf("bad -sizes %q: positive and increasing", *sizesFlag)
		}
		sizes = append(sizes, n)
	}
	w := os.Stdout
	if *out != "" {
		f, err := os.Create(*out)
		if err != nil {
			log.Fatal(err)
		}
		defer f.Close()
		w = f
	}
	env := bench.EnvFromOS(*dir)
	for _, g := range bench.GrowthStores() {
		if *only != "" && !slices.Contains(strings.Split(*only, ","), g.Name) {
			continue
		}
		if why := g.Skip(env); why != "" {
			log.Printf("%s: skipped (%s)", g.Name, why)
			fmt.Fprintf(w, "skip\t%s\t%s\n", g.Name, why)
			continue
		}
		if err := measure(w, g, env, sizes, *samples, *workers); err != nil {
			log.Printf("%s: %v", g.Name, err)
			fmt.Fprintf(w, "skip\t%s\tfailed: %v\n", g.Name, err)
		}
	}
}

// keyOf is the store key of the i-th session: deterministic, so a sample
// needs no table of keys (which would count as the store's memory).
func keyOf(i int) string {
	var b [8]byte
	binary.LittleEndian.PutUint64(b[:], uint64(i))
	sum := sha256.Sum256(b[:])
	return hex.EncodeToString(sum[:])
}

// record is what the count app keeps: the session package's JSON for
// {"count": n}, with its creation time and client address.
func record(n int) []byte {
	return []byte(`{"created":"` + time.Now().UTC().Format(time.RFC3339Nano) + `","ip":"127.0.0.1","values":{"count":` + strconv.Itoa(n) + `}}`)
}

func heap() uint64 {
	runtime.GC()
	runtime.GC()
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	return ms.HeapAlloc
}

func measure(w *os.File, g bench.GrowthStore, env bench.Env, sizes []int, samples, workers int) error {
	st, closeStore, err := g.Open(env)
	if err != nil {
		return err
	}
	defer func() {
		if err := closeStore(); err != nil {
			log.Printf("%s: closing: %v", g.Name, err)
		}
	}()
	ctx := context.Background()
	deadline := time.Now().Add(24 * time.Hour)
	filled := 0
	for _, size := range sizes {
		before := heap()
		t0 := time.Now()
		if err := fill(ctx, st, filled, size, deadline, workers); err != nil {
			return err
		}
		fillTime := time.Since(t0)
		perSession := 0.0
		if g.Name == "MemoryStore" {
			perSession = float64(int64(heap())-int64(before)) / float64(size-filled)
		}
		filled = size
		log.Printf("%s: %d sessions (filled in %v)", g.Name, size, fillTime.Round(time.Millisecond))

		rng := rand.New(rand.NewPCG(uint64(size), 7))
		data := record(2)
		load := func() error {
			_, _, found, err := st.Load(ctx, keyOf(rng.IntN(size)))
			if err == nil && !found {
				err = fmt.Errorf("a filled session was not found")
			}
			return err
		}
		save := func() error {
			return st.Save(ctx, keyOf(rng.IntN(size)), data, deadline, session.Update)
		}
		var rt func() error // a no-op round trip between every two operations
		if r, ok := st.(bench.RoundTripper); ok {
			rt = func() error { return r.RoundTrip(ctx) }
		}
		lt, lrt, err := timeOps(load, rt, samples)
		if err != nil {
			return fmt.Errorf("load at %d: %w", size, err)
		}
		stt, srt, err := timeOps(save, rt, samples)
		if err != nil {
			return fmt.Errorf("save at %d: %w", size, err)
		}
		fmt.Fprintf(w, "size\t%s\t%d\t%.3f\t%s\t%s\t%.1f", g.Name, size, fillTime.Seconds(), lt, stt, perSession)
		if rt != nil {
			fmt.Fprintf(w, "\t%.2f\t%.2f", lrt.p50, srt.p50)
		}
		fmt.Fprintln(w)
	}
	if _, ok := st.(session.SelfCleaning); ok {
		// Redis expires its keys by itself: there is no cleanup to time.
		fmt.Fprintf(w, "cleanup\t%s\t%d\t-1\t0\n", g.Name, filled)
		return nil
	}
	// Every session expires a day from now: a cleanup as of two days
	// from now finds all of them expired.
	t0 := time.Now()
	removed, err := st.Cleanup(ctx, time.Now().Add(48*time.Hour))
	d := time.Since(t0)
	if err != nil {
		return fmt.Errorf("cleanup: %w", err)
	}
	log.Printf("%s: cleanup removed %d in %v", g.Name, removed, d.Round(time.Millisecond))
	fmt.Fprintf(w, "cleanup\t%s\t%d\t%.3f\t%d\n", g.Name, filled, d.Seconds(), removed)
	return nil
}

// fill saves sessions from..to-1 with workers goroutines.
func fill(ctx context.Context, st session.Store, from, to int, deadline time.Time, workers int) error {
	var next atomic.Int64
	next.Store(int64(from))
	var wg sync.WaitGroup
	errs := make(chan error, workers)
	for range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				i := int(next.Add(1) - 1)
				if i >= to {
					return
				}
				if err := st.Save(ctx, keyOf(i), record(1), deadline, session.Create); err != nil {
					errs <- fmt.Errorf("filling: %w", err)
					return
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	return <-errs
}

// stats are latencies in microseconds: "p50 p99 mean", tab-separated.
type stats struct{ p50, p99, mean float64 }

func (s stats) String() string { return fmt.Sprintf("%.2f\t%.2f\t%.2f", s.p50, s.p99, s.mean) }

// timeOps runs op n times after a warm-up of n/10 and returns the spread;
// with rt, it runs rt after every op and returns rt's spread too.
func timeOps(op, rt func() error, n int) (ops, rts stats, err error) {
	for range n / 10 {
		if err := op(); err != nil {
			return stats{}, stats{}, err
		}
	}
	d := make([]float64, n)
	var r []float64
	if rt != nil {
		r = make([]float64, n)
	}
	for i := range d {
		t0 := time.Now()
		if err := op(); err != nil {
			return stats{}, stats{}, err
		}
		d[i] = float64(time.Since(t0).Nanoseconds()) / 1e3
		if rt != nil {
			t0 = time.Now()
			if err := rt(); err != nil {
				return stats{}, stats{}, fmt.Errorf("round trip: %w", err)
			}
			r[i] = float64(time.Since(t0).Nanoseconds()) / 1e3
		}
	}
	ops = spread(d)
	if rt != nil {
		rts = spread(r)
	}
	return ops, rts, nil
}

// spread sorts d and returns its p50, p99 and mean.
func spread(d []float64) stats {
	sum := 0.0
	for _, x := range d {
		sum += x
	}
	slices.Sort(d)
	n := len(d)
	return stats{p50: d[n/2], p99: d[n*99/100], mean: sum / float64(n)}
}
