package main

import (
	"math"
	"strings"
)

// benchName is the name go test gives the benchmark of variant v in group.
func benchName(group, v string) string { return "Benchmark" + group + "/" + v }

// writeInproc writes the in-process benchmarks: a table per group, in the
// order they ran, with ratios to the bare handler and to scs memstore.
func (r *report) writeInproc() {
	r.p("")
	r.p("### In process: one round trip through the handler (go test -bench . -benchmem, httptest; median of %s)", r.meta["benchtime"])
	r.p("")
	r.p("`Count` sends the cookie of an existing session (load, +1, save); `NewVisitor` sends none (create, save, set the cookie). Ratios are to scs memstore in the same run (the target: ours at most 0.5× in ns/op and allocs/op) and to the bare handler.")
	for _, group := range []string{"Count", "NewVisitor"} {
		var vs []string
		for _, n := range r.inprocOrder {
			if strings.HasPrefix(n, "Benchmark"+group+"/") {
				vs = append(vs, strings.TrimPrefix(n, "Benchmark"+group+"/"))
			}
		}
		if len(vs) == 0 {
			continue
		}
		scs := r.inproc[benchName(group, "scs-mem")]
		bare := r.inproc[benchName(group, "bare")]
		r.p("")
		r.p("#### %s", group)
		r.p("")
		r.p("| variant | ns/op | × bare | × scs-mem | B/op | × scs-mem | allocs/op | × scs-mem |")
		r.p("|---|--:|--:|--:|--:|--:|--:|--:|")
		// A base that did not run gives NaN, so its ratios print "-".
		nan := func(b bench, x float64) float64 {
			if b.runs == 0 {
				return math.NaN()
			}
			return x
		}
		for _, v := range vs {
			b := r.inproc[benchName(group, v)]
			r.p("| %s | %s | %s | %s | %s | %s | %s | %s |", v,
				thousands(int64(b.ns)), ratio(b.ns, nan(bare, bare.ns)), ratio(b.ns, nan(scs, scs.ns)),
				thousands(int64(b.bytes)), ratio(b.bytes, nan(scs, scs.bytes)),
				thousands(int64(b.allocs)), ratio(b.allocs, nan(scs, scs.allocs)))
		}
	}
}
