package main

import (
	"fmt"
	"math"
)

// writeGrowth writes the growth tables: each store's latencies by size
// against its smallest, the network stores in round trips, and cleanup.
func (r *report) writeGrowth() {
	r.p("")
	r.p("### Growth: one Load and one Save(Update) of a random session, with N sessions already in the store (sizes %s)", r.meta["sizes"])
	r.p("")
	r.p("Stores filled through Store.Save by 8 goroutines; each latency is over 2,000 operations from one goroutine after a warm-up; `× smallest` is the p50 against the p50 at the smallest size (the target: at most 1.2× at 1M).")
	r.p("")
	r.p("| store | sessions | filled at | Load p50 | p99 | × smallest | Save p50 | p99 | × smallest | heap per session |")
	r.p("|---|--:|--:|--:|--:|--:|--:|--:|--:|--:|")
	first := map[string]growthRow{}
	for _, g := range r.growth {
		f, ok := first[g.store]
		if !ok {
			first[g.store] = g
			f = g
		}
		per := ""
		if g.store == "MemoryStore" {
			per = fmt.Sprintf("%.0f B", g.bytesPerSession)
		}
		r.p("| %s | %s | %s | %s | %s | %s | %s | %s | %s | %s |", g.store, thousands(int64(g.size)), r.fillRate(g),
			usStr(g.load[0]), usStr(g.load[1]), ratio(g.load[0], f.load[0]),
			usStr(g.save[0]), usStr(g.save[1]), ratio(g.save[0], f.save[0]), per)
	}
	for _, s := range r.growthSkips {
		r.p("| %s | skipped: %s | | | | | | | | |", s[0], s[1])
	}
	r.writeRoundTrips()
	r.writeCleanup()
}

// fillRate is the rate at which g's store was filled to g's size: the
// sessions added since the next smaller size over the time it took.
func (r *report) fillRate(g growthRow) string {
	if g.fill > 0 {
		added := g.size
		for _, h := range r.growth {
			if h.store == g.store && h.size < g.size && h.size > g.size-added {
				added = g.size - h.size
			}
		}
		return thousands(int64(float64(added)/g.fill)) + "/s"
	}
	return "-" // filled within the millisecond the TSV records
}

// writeRoundTrips writes the latencies of the stores across the network
// in round trips timed between their operations.
func (r *report) writeRoundTrips() {
	var rows []growthRow
	for _, g := range r.growth {
		if g.loadRT > 0 && g.saveRT > 0 {
			rows = append(rows, g)
		}
	}
	if len(rows) == 0 {
		return
	}
	r.p("")
	r.p("#### The stores across the network, in round trips")
	r.p("")
	r.p("A no-op round trip to the same server (Redis PING, SQL `SELECT 1`) is timed after every Load and every Save above; each latency's p50 divided by the round trip's p50 of the same phase says how many round trips the operation costs, which the loopback's swings between phases do not move. `× smallest` compares that with the smallest size.")
	r.p("")
	r.p("| store | sessions | round trip p50 (Loads) | Load in round trips | × smallest | round trip p50 (Saves) | Save in round trips | × smallest |")
	r.p("|---|--:|--:|--:|--:|--:|--:|--:|")
	first := map[string]growthRow{}
	for _, g := range rows {
		f, ok := first[g.store]
		if !ok {
			first[g.store] = g
			f = g
		}
		r.p("| %s | %s | %s | %.2f | %s | %s | %.2f | %s |", g.store, thousands(int64(g.size)),
			usStr(g.loadRT), g.load[0]/g.loadRT, ratio(g.load[0]/g.loadRT, f.load[0]/f.loadRT),
			usStr(g.saveRT), g.save[0]/g.saveRT, ratio(g.save[0]/g.saveRT, f.save[0]/f.saveRT))
	}
}

// writeCleanup writes the time of one Cleanup of each store, all of whose
// sessions have expired.
func (r *report) writeCleanup() {
	r.p("")
	r.p("#### Cleanup: one Store.Cleanup once every session in the store has expired")
	r.p("")
	r.p("| store | expired sessions | removed | time | per second |")
	r.p("|---|--:|--:|--:|--:|")
	for _, c := range r.cleanup {
		if c.cleanupS < 0 {
			r.p("| %s | %s | - | n/a | the store expires entries by itself (session.SelfCleaning) |", c.store, thousands(int64(c.total)))
			continue
		}
		r.p("| %s | %s | %s | %.2f s | %s |", c.store, thousands(int64(c.total)), thousands(int64(c.cleanupRemoved)), c.cleanupS,
			thousands(int64(float64(c.cleanupRemoved)/math.Max(c.cleanupS, 1e-9))))
	}
	r.p("")
	r.p("DBStore deletes in batches of 1,000 with a 10 ms pause between batches (its defaults, `dbstore.WithCleanupBatch`), so 1M expired rows include about 10 s of deliberate pauses.")
}
