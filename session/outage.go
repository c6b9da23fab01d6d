package session

import (
	"fmt"
	"sync"
	"sync/atomic"
	"time"
)

// outage keeps the log of a store that fails to a few lines, however many
// requests meet the failure: the first failure with its cause, then at
// most one summary per interval while it goes on, and one line when the
// store answers again.
type outage struct {
	failing  atomic.Bool // read without the mutex on every answer
	mu       sync.Mutex
	interval time.Duration // outageInterval; tests change it
	since    time.Time     // the first failure of this outage
	reported time.Time     // the last line logged
	errs     int           // failures since the last line
	total    int           // failures since the first
}

// outageInterval is how often, at most, a failing store is logged again.
const outageInterval = 10 * time.Second

// storeFailed logs a store failure, unless a line for this outage went
// out less than an interval ago.
func (m *Manager) storeFailed(se *StoreError) {
	o := &m.outage
	o.mu.Lock()
	defer o.mu.Unlock()
	now := time.Now()
	o.total++
	if !o.failing.Load() {
		o.failing.Store(true)
		o.since, o.reported, o.errs, o.total = now, now, 0, 1
		m.cfg.Logger.Error("session: store failed; answering 503 until it recovers",
			"session", m.cfg.Name, "store", se.Store, "op", se.Op, "err", se.Err)
		return
	}
	o.errs++
	if d := now.Sub(o.reported); d >= o.interval {
		m.cfg.Logger.Error(fmt.Sprintf("session: store still failing: %d errors in %v", o.errs, d.Round(time.Second)),
			"session", m.cfg.Name, "store", se.Store, "op", se.Op, "err", se.Err)
		o.reported, o.errs = now, 0
	}
}

// storeAnswered notes that the store answered, and logs the recovery of a
// store that was failing.
func (m *Manager) storeAnswered() {
	o := &m.outage
	if !o.failing.Load() {
		return
	}
	o.mu.Lock()
	defer o.mu.Unlock()
	if o.failing.Swap(false) {
		m.cfg.Logger.Warn(fmt.Sprintf("session: store recovered after %d failed operations in %v", o.total, time.Since(o.since).Round(time.Millisecond)),
			"session", m.cfg.Name)
	}
}
