package main

import (
	"regexp"
	"sort"
	"strconv"
)

// bench is the median of the runs of one benchmark.
type bench struct {
	ns, bytes, allocs float64
	runs              int
}

// benchLine matches a result line of go test -bench: the name without its
// -GOMAXPROCS suffix, ns/op, and B/op and allocs/op when -benchmem was on.
var benchLine = regexp.MustCompile(`^(Benchmark\S+?)(?:-\d+)?\s+\d+\s+([\d.]+) ns/op(?:\s+([\d.]+) B/op)?(?:\s+([\d.]+) allocs/op)?`)

// readInproc reads the output of go test -bench into the median of each
// benchmark's runs, and the benchmarks' names in the order they ran.
func readInproc(path string) (map[string]bench, []string) {
	samples := map[string][][3]float64{}
	var names []string
	for _, l := range lines(path) {
		m := benchLine.FindStringSubmatch(l)
		if m == nil {
			continue
		}
		ns, _ := strconv.ParseFloat(m[2], 64)
		b, _ := strconv.ParseFloat(m[3], 64)
		a, _ := strconv.ParseFloat(m[4], 64)
		if _, ok := samples[m[1]]; !ok {
			names = append(names, m[1])
		}
		samples[m[1]] = append(samples[m[1]], [3]float64{ns, b, a})
	}
	out := map[string]bench{}
	for k, s := range samples {
		med := func(i int) float64 {
			x := make([]float64, len(s))
			for j := range s {
				x[j] = s[j][i]
			}
			sort.Float64s(x)
			return x[len(x)/2]
		}
		out[k] = bench{ns: med(0), bytes: med(1), allocs: med(2), runs: len(s)}
	}
	return out, names
}
