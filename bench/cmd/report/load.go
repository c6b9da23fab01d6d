package main

import (
	"math"
	"slices"
	"sort"
	"strconv"
	"strings"
)

// cell is one (variant, scenario) of the load matrix.
type cell struct {
	variant, group, scenario string
	skip                     string
	f                        map[string]float64
}

// rps returns the requests per second of c, the median of its rounds.
func (c *cell) rps() float64 { return c.get("rps") }

// get returns the figure k of c, or NaN when c was not measured (nil or
// skipped) or has no such figure, so that every ratio to it prints "-".
func (c *cell) get(k string) float64 {
	if c == nil || c.skip != "" {
		return math.NaN()
	}
	v, ok := c.f[k]
	if !ok {
		return math.NaN()
	}
	return v
}

// loadData is the load matrix of a run: a cell per variant and scenario,
// each the summary of its rounds.
type loadData struct {
	variants []string // in order
	group    map[string]string
	cells    map[string]*cell // variant/scenario
	skips    map[string]string
}

// cell returns the cell of variant v in scenario sc, or nil.
func (d *loadData) cell(v, sc string) *cell { return d.cells[v+"/"+sc] }

// errorKinds are the kinds of wrk errors of a round, summed into one.
var errorKinds = []string{"errors_connect", "errors_read", "errors_write", "errors_status", "errors_timeout"}

// readLoad reads the load matrix run.sh writes: a line per variant,
// scenario and round, "variant group scenario figures" separated by tabs,
// where figures is "skip=why" or key=value pairs (scenario "-" with a skip
// stands for the whole variant).
func readLoad(path string) *loadData {
	d := &loadData{group: map[string]string{}, cells: map[string]*cell{}, skips: map[string]string{}}
	rounds := map[string][]map[string]float64{}
	for _, l := range lines(path) {
		d.addLine(l, rounds)
	}
	// A cell is the median of its rounds; errors, increments and lost
	// updates are summed over them.
	for key, rs := range rounds {
		c := d.cells[key]
		if c.skip != "" {
			continue
		}
		c.f = summarize(rs)
	}
	return d
}

// addLine records one line of the load matrix in d, and its figures, if
// any, as one more round of its cell in rounds. A skip replaces the cell
// even after rounds were measured, so one failed round marks it skipped.
func (d *loadData) addLine(l string, rounds map[string][]map[string]float64) {
	f := strings.SplitN(l, "\t", 4)
	if len(f) != 4 {
		return
	}
	v, g, sc, rest := f[0], f[1], f[2], f[3]
	if !slices.Contains(d.variants, v) {
		d.variants = append(d.variants, v)
	}
	d.group[v] = g
	if why, ok := strings.CutPrefix(rest, "skip="); ok {
		if sc == "-" {
			d.skips[v] = why
			return
		}
		d.cells[v+"/"+sc] = &cell{variant: v, group: g, scenario: sc, skip: why}
		return
	}
	rounds[v+"/"+sc] = append(rounds[v+"/"+sc], parseFigures(rest))
	if d.cells[v+"/"+sc] == nil {
		d.cells[v+"/"+sc] = &cell{variant: v, group: g, scenario: sc}
	}
}

// parseFigures reads the key=value pairs of a round; a value that is not
// a number is left out.
func parseFigures(s string) map[string]float64 {
	fig := map[string]float64{}
	for _, kv := range strings.Fields(s) {
		k, val, _ := strings.Cut(kv, "=")
		x, err := strconv.ParseFloat(val, 64)
		if err == nil {
			fig[k] = x
		}
	}
	return fig
}

// summarize returns the figures of a cell measured in the rounds rs.
func summarize(rs []map[string]float64) map[string]float64 {
	f := map[string]float64{"rounds": float64(len(rs))}
	f["rps"] = median(rs, func(r map[string]float64) float64 { return r["requests"] / (r["duration_us"] / 1e6) })
	f["p50_us"] = median(rs, func(r map[string]float64) float64 { return r["p50_us"] })
	f["p99_us"] = median(rs, func(r map[string]float64) float64 { return r["p99_us"] })
	for _, r := range rs {
		addCounts(f, r)
	}
	return f
}

// median returns the median over rs of the figure get reads from each.
func median(rs []map[string]float64, get func(map[string]float64) float64) float64 {
	x := make([]float64, len(rs))
	for i, r := range rs {
		x[i] = get(r)
	}
	sort.Float64s(x)
	if len(x)%2 == 1 {
		return x[len(x)/2]
	}
	return (x[len(x)/2-1] + x[len(x)/2]) / 2
}

// addCounts adds the errors of the round r to f and, for the one-session
// scenario (the rounds with a final count), its increments and lost updates.
func addCounts(f, r map[string]float64) {
	for _, k := range errorKinds {
		f["errors"] += r[k]
	}
	fin, ok := r["final"]
	if !ok {
		return
	}
	f["completed"] += r["completed"]
	if fin < 0 {
		f["lost"] = math.NaN() // the final read failed
	}
	// The cookie had count 1; the final read adds one more.
	f["lost"] += 1 + r["completed"] + 1 - fin
}
