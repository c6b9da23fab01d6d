package main

import (
	"fmt"
	"math"
	"strings"
)

// peerTarget is a target of issue 6 that sets one of our stores against
// its peer: ours must serve at least need times the peer's req/s in every
// scenario.
type peerTarget struct {
	target, ours, peer string
	need               float64
}

// againstPeers are the targets of ours against the peers, in table order.
var againstPeers = []peerTarget{
	{"CookieStore ≥ 1.5× gorilla CookieStore", "ours-cookie", "gorilla-cookie", 1.5},
	{"CookieStore ≥ 1.5× gorilla CookieStore", "ours-cookie-aes", "gorilla-cookie-aes", 1.5},
	{"DiskStore ≥ 3× gorilla FilesystemStore", "ours-disk", "gorilla-fs", 3},
	{"DBStore SQLite ≥ 1.5× scs sqlite3store", "ours-sqlite", "scs-sqlite", 1.5},
}

// writeTargets writes the table of the targets of issue 6, each with the
// ratio measured in this run and whether it is met. A part that was not
// run adds no rows; a figure missing from a part that ran says "not
// measured".
func (r *report) writeTargets() {
	r.p("### Targets of issue 6")
	r.p("")
	r.p("| target | measured (same run, same scenario) | ratio | verdict |")
	r.p("|---|---|--:|---|")
	if len(r.load.variants) > 0 {
		r.memoryTargets()
	}
	if len(r.inproc) > 0 {
		r.inprocTargets()
	}
	if len(r.load.variants) > 0 {
		r.peerTargets()
		r.lostTargets()
	}
	if len(r.growth) > 0 {
		r.growthTargets()
	}
	r.p("")
}

// atLeast writes the row of a target met when x/base ≥ need.
func (r *report) atLeast(target, what string, x, base, need float64) {
	if math.IsNaN(x) || math.IsNaN(base) || base == 0 {
		r.p("| %s | %s | - | not measured |", target, what)
		return
	}
	q := x / base
	r.p("| %s | %s | %.2f× | %s (needs ≥ %.2g×) |", target, what, q, mark(q >= need), need)
}

// atMost writes the row of a target met when x/base ≤ need.
func (r *report) atMost(target, what string, x, base, need float64) {
	if math.IsNaN(x) || math.IsNaN(base) || base == 0 {
		r.p("| %s | %s | - | not measured |", target, what)
		return
	}
	q := x / base
	r.p("| %s | %s | %.2f× | %s (needs ≤ %.2g×) |", target, what, q, mark(q <= need), need)
}

// memoryTargets: MemoryStore, bare and through the framework, against the
// bare handler over loopback.
func (r *report) memoryTargets() {
	d := r.load
	for _, v := range []string{"ours-mem", "ours-mem-web"} {
		for _, sc := range scenarios {
			r.atLeast("MemoryStore ≥ 0.85× bare req/s", fmt.Sprintf("%s / bare, %s", v, sc), d.cell(v, sc).rps(), d.cell("bare", sc).rps(), 0.85)
		}
	}
}

// inprocTargets: MemoryStore against scs memstore in process, when both ran.
func (r *report) inprocTargets() {
	o, s := r.inproc["BenchmarkCount/ours-mem"], r.inproc["BenchmarkCount/scs-mem"]
	if o.runs == 0 || s.runs == 0 {
		return
	}
	r.atMost("MemoryStore in process ≤ 0.5× scs memstore", "ns/op, Count ours-mem / scs-mem", o.ns, s.ns, 0.5)
	r.atMost("MemoryStore in process ≤ 0.5× scs memstore", "allocs/op, Count ours-mem / scs-mem", o.allocs, s.allocs, 0.5)
}

// peerTargets: each row of againstPeers, in every scenario.
func (r *report) peerTargets() {
	d := r.load
	for _, p := range againstPeers {
		for _, sc := range scenarios {
			r.atLeast(p.target, fmt.Sprintf("%s / %s req/s, %s", p.ours, p.peer, sc), d.cell(p.ours, sc).rps(), d.cell(p.peer, sc).rps(), p.need)
		}
	}
}

// lostTargets: every variant of ours loses no update of one contended
// session, and serves it at half its many-sessions rate or better.
func (r *report) lostTargets() {
	d := r.load
	for _, v := range d.variants {
		if d.group[v] != "ours" {
			continue
		}
		if why, ok := d.skips[v]; ok {
			r.p("| zero lost updates, one session | %s | - | skipped: %s |", v, why)
			continue
		}
		r.lostTarget(v)
	}
}

// lostTarget writes the rows of lostTargets for the variant v.
func (r *report) lostTarget(v string) {
	d := r.load
	one, many := d.cell(v, "one"), d.cell(v, "many")
	completed, lost := one.get("completed"), one.get("lost")
	verdict := mark(lost == 0)
	if strings.HasPrefix(v, "ours-cookie") {
		verdict += " (inherent to cookie stores: see below)"
	}
	if math.IsNaN(lost) {
		verdict = "not measured"
	}
	r.p("| zero lost updates, one session | %s: %s lost of %s | - | %s |", v, count(lost), count(completed), verdict)
	r.atLeast("… at ≥ 0.5× our many-sessions req/s", v+" one / many", one.rps(), many.rps(), 0.5)
}

// growthTargets: the Load and Save latencies of every store but
// MemoryStore at its largest size against its smallest, also in round
// trips for the stores across the network.
func (r *report) growthTargets() {
	stores, first, last := r.growthRange()
	for _, s := range stores {
		if s == "MemoryStore" {
			continue
		}
		f, l := first[s], last[s]
		what := fmt.Sprintf("%s, %s vs %s sessions", s, thousands(int64(l.size)), thousands(int64(f.size)))
		r.atMost("Load latency at 1M ≤ 1.2× at 1k", what+", p50", l.load[0], f.load[0], 1.2)
		r.atMost("Save latency at 1M ≤ 1.2× at 1k", what+", p50", l.save[0], f.save[0], 1.2)
		if f.loadRT > 0 && l.loadRT > 0 && f.saveRT > 0 && l.saveRT > 0 {
			r.atMost("Load latency at 1M ≤ 1.2× at 1k", what+", p50 in round trips", l.load[0]/l.loadRT, f.load[0]/f.loadRT, 1.2)
			r.atMost("Save latency at 1M ≤ 1.2× at 1k", what+", p50 in round trips", l.save[0]/l.saveRT, f.save[0]/f.saveRT, 1.2)
		}
	}
}

// growthRange returns the stores of the growth rows in order, and the
// first and the last row of each: its smallest and its largest size.
func (r *report) growthRange() (stores []string, first, last map[string]growthRow) {
	first, last = map[string]growthRow{}, map[string]growthRow{}
	for _, g := range r.growth {
		if _, ok := first[g.store]; !ok {
			first[g.store] = g
			stores = append(stores, g.store)
		}
		last[g.store] = g
	}
	return stores, first, last
}
