package main

import "fmt"

// scenarioTitle heads the table of each scenario.
var scenarioTitle = map[string]string{
	"one":  "One contended session: every request carries the same cookie",
	"many": "Many sessions: 1,000 cookies (made by a warm-up) sent round-robin",
	"new":  "New visitors: no cookie, every request creates a session",
}

// writeLoad writes the load matrix: a table per scenario, every figure
// with its ratio to the bare handler; the one-session table adds the
// increments answered and the updates lost.
func (r *report) writeLoad() {
	r.p("### Load over loopback (wrk -t2 -c16 -d%s, one server process per row)", r.meta["duration"])
	r.p("")
	r.p("Every figure is followed by its ratio to the bare handler (`bare`) in the same scenario of the same run: for requests/s higher is better, for latency lower is better.")
	for _, sc := range scenarios {
		r.writeScenario(sc)
	}
	r.p("")
	r.p("req/s, p50 and p99 are the medians of %s rounds; errors, increments and lost updates are summed over the rounds.", r.meta["rounds"])
	r.p("Lost updates: in each round the one cookie has count 1 before wrk starts; `increments answered` is the number of /count requests the server answered 200 during the run (counted by the server, so requests still in flight when wrk stopped are included once answered); then one more /count reads the final count. Without loss it is 1 + answered + 1; lost = that − final count. `bare` counts in one global integer, so it loses nothing by construction.")
}

// writeScenario writes the table of the scenario sc, a row per variant.
func (r *report) writeScenario(sc string) {
	d := r.load
	base := d.cell("bare", sc)
	r.p("")
	r.p("#### %s", scenarioTitle[sc])
	r.p("")
	if sc == "one" {
		r.p("| variant | req/s | × bare | p50 | × bare | p99 | × bare | errors | increments answered | lost updates |")
		r.p("|---|--:|--:|--:|--:|--:|--:|--:|--:|--:|")
	} else {
		r.p("| variant | req/s | × bare | p50 | × bare | p99 | × bare | errors |")
		r.p("|---|--:|--:|--:|--:|--:|--:|--:|")
	}
	for _, v := range d.variants {
		if why, ok := d.skips[v]; ok {
			extra := ""
			if sc == "one" {
				extra = " | | "
			}
			r.p("| %s | skipped: %s | | | | | | %s|", v, why, extra)
			continue
		}
		c := d.cell(v, sc)
		if c == nil {
			continue
		}
		if c.skip != "" {
			r.p("| %s | %s | | | | | | |", v, c.skip)
			continue
		}
		row := fmt.Sprintf("| %s | %s | %s | %s | %s | %s | %s | %s |", v,
			rpsStr(c.rps()), ratio(c.rps(), base.rps()),
			usStr(c.get("p50_us")), ratio(c.get("p50_us"), base.get("p50_us")),
			usStr(c.get("p99_us")), ratio(c.get("p99_us"), base.get("p99_us")),
			count(c.get("errors")))
		if sc == "one" {
			row += fmt.Sprintf(" %s | %s |", count(c.get("completed")), lostStr(v, c.get("completed"), c.get("lost")))
		}
		r.p("%s", row)
	}
}
