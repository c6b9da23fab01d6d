package main

import (
	"strconv"
	"strings"
)

// growthRow is a line of cmd/growth's output: the latencies of one store
// at one size, or (cleanupS, cleanupRemoved, total) its cleanup.
type growthRow struct {
	store                 string
	size                  int
	fill                  float64 // seconds
	load, save            [3]float64
	bytesPerSession       float64
	loadRT, saveRT        float64 // p50 of a no-op round trip timed between the operations; 0 for local stores
	cleanupS              float64
	cleanupRemoved, total int
}

// readGrowth reads cmd/growth's TSV: the "size" rows (13 fields for the
// stores across the network, which add the round trips), the "cleanup"
// rows, and the stores skipped with why. Other lines are ignored.
func readGrowth(path string) (rows []growthRow, cleanups []growthRow, skips [][2]string) {
	for _, l := range lines(path) {
		f := strings.Split(l, "\t")
		switch {
		case f[0] == "size" && (len(f) == 11 || len(f) == 13):
			rows = append(rows, sizeRow(f))
		case f[0] == "cleanup" && len(f) == 5:
			n, _ := strconv.Atoi(f[2])
			rm, _ := strconv.Atoi(f[4])
			cleanups = append(cleanups, growthRow{
				store:          f[1],
				total:          n,
				cleanupS:       num(f[3]),
				cleanupRemoved: rm,
			})
		case f[0] == "skip" && len(f) >= 3:
			skips = append(skips, [2]string{f[1], f[2]})
		}
	}
	return rows, cleanups, skips
}

// sizeRow reads the fields of a "size" row: store, size, fill time, the
// three Load and three Save latencies, heap per session and, with 13
// fields, the round trips of the Loads and the Saves.
func sizeRow(f []string) growthRow {
	n, _ := strconv.Atoi(f[2])
	g := growthRow{
		store:           f[1],
		size:            n,
		fill:            num(f[3]),
		load:            [3]float64{num(f[4]), num(f[5]), num(f[6])},
		save:            [3]float64{num(f[7]), num(f[8]), num(f[9])},
		bytesPerSession: num(f[10]),
	}
	if len(f) == 13 {
		g.loadRT, g.saveRT = num(f[11]), num(f[12])
	}
	return g
}

// num reads a figure of cmd/growth; one that does not parse counts as 0.
func num(s string) float64 {
	x, _ := strconv.ParseFloat(s, 64)
	return x
}
