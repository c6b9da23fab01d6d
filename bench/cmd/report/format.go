package main

import (
	"fmt"
	"math"
	"strconv"
	"strings"
)

// The figures of the tables as text. A figure that was not measured is
// NaN and prints "-".

// or returns s, or def when s is empty.
func or(s, def string) string {
	if s == "" {
		return def
	}
	return s
}

// rpsStr writes requests per second, rounded to a whole request.
func rpsStr(x float64) string {
	if math.IsNaN(x) {
		return "-"
	}
	return thousands(int64(math.Round(x)))
}

// thousands writes n with a comma between groups of three digits.
func thousands(n int64) string {
	s := strconv.FormatInt(n, 10)
	neg := strings.HasPrefix(s, "-")
	s = strings.TrimPrefix(s, "-")
	var b strings.Builder
	for i, c := range s {
		if i > 0 && (len(s)-i)%3 == 0 {
			b.WriteByte(',')
		}
		b.WriteRune(c)
	}
	if neg {
		return "-" + b.String()
	}
	return b.String()
}

// usStr writes a latency in µs or ms with three or so significant digits.
func usStr(us float64) string {
	switch {
	case math.IsNaN(us):
		return "-"
	case us < 10:
		return fmt.Sprintf("%.2f µs", us)
	case us < 1000:
		return fmt.Sprintf("%.0f µs", us)
	case us < 10000:
		return fmt.Sprintf("%.2f ms", us/1000)
	default:
		return fmt.Sprintf("%.1f ms", us/1000)
	}
}

// ratio writes x/base as "1.23×", with fewer decimals as it grows.
func ratio(x, base float64) string {
	if math.IsNaN(x) || math.IsNaN(base) || base == 0 {
		return "-"
	}
	r := x / base
	switch {
	case r >= 100:
		return fmt.Sprintf("%.0f×", r)
	case r >= 10:
		return fmt.Sprintf("%.1f×", r)
	default:
		return fmt.Sprintf("%.2f×", r)
	}
}

// count writes a count of errors or increments, summed over rounds.
func count(x float64) string {
	if math.IsNaN(x) {
		return "-"
	}
	return thousands(int64(x))
}

// lostStr writes the lost updates of variant v as a count and a share of
// the increments answered; the bare handler cannot lose any.
func lostStr(v string, completed, lost float64) string {
	if math.IsNaN(completed) || math.IsNaN(lost) {
		return "-"
	}
	if v == "bare" {
		return "n/a"
	}
	pct := 0.0
	if completed > 0 {
		pct = 100 * lost / completed
	}
	return fmt.Sprintf("%s (%.1f%%)", thousands(int64(lost)), pct)
}

// mark is the verdict of a target.
func mark(ok bool) string {
	if ok {
		return "**met**"
	}
	return "**missed**"
}
