package dbstore

import (
	"context"
	"database/sql"
	"fmt"
	"sync"
	"sync/atomic"
)

// maxBatch bounds the writes one transaction carries, so that a writer
// that leads a batch waits for at most this many statements.
const maxBatch = 64

// batcher commits the writes of concurrent requests together on SQLite.
// SQLite has one writer, and most of an autocommit write's cost is its
// commit (the WAL append), so writes that queue up while another commits
// are run in one transaction and share one commit (group commit). The
// first writer to find nobody committing leads: it runs its own write
// with whatever queued meanwhile, then hands the lead to the next writer
// waiting, so no writer waits for more than the batch before its own.
// A batch that fails as a whole is run again one statement at a time, so
// that each write gets its own result and one bad write sinks no other.
type batcher struct {
	db *sql.DB

	mu      sync.Mutex
	queue   []*pendingWrite
	leading bool // a writer is running a batch

	batches atomic.Int64 // batches run, for tests
}

// pendingWrite is one write waiting for its batch.
type pendingWrite struct {
	ctx  context.Context
	st   *sql.Stmt
	args []any

	wake     chan struct{} // its batch ran (finished), or it leads the next one
	finished bool
	n        int64
	err      error
}

// exec runs st with args in the next batch and returns the rows affected.
func (b *batcher) exec(ctx context.Context, st *sql.Stmt, args []any) (int64, error) {
	w := &pendingWrite{ctx: ctx, st: st, args: args, wake: make(chan struct{}, 1)}
	b.mu.Lock()
	b.queue = append(b.queue, w)
	lead := !b.leading
	b.leading = true
	b.mu.Unlock()
	if !lead {
		// A waiting writer ignores its ctx, because it may be handed the
		// lead: it waits for the batches ahead of it (each of up to
		// maxBatch statements, which can each wait SQLite's busy timeout
		// while another process writes), and a write whose ctx is done by
		// the time its batch runs is skipped (see runTx).
		<-w.wake
		if w.finished {
			return w.n, w.err
		}
	}
	// w leads, and is the first in the queue.
	b.mu.Lock()
	n := min(len(b.queue), maxBatch)
	batch := b.queue[:n:n]
	b.queue = append([]*pendingWrite(nil), b.queue[n:]...)
	b.mu.Unlock()

	defer b.handOff()
	b.run(batch)
	return w.n, w.err
}

// handOff gives the lead to the next writer waiting, or ends it. It runs
// even if the driver panics in run, so that the store's writes do not
// stop for good.
func (b *batcher) handOff() {
	b.mu.Lock()
	defer b.mu.Unlock()
	if len(b.queue) > 0 {
		b.queue[0].wake <- struct{}{} // the next writer leads
	} else {
		b.leading = false
	}
}

// run executes batch, sets every write's result and wakes all but the
// first, the leader.
func (b *batcher) run(batch []*pendingWrite) {
	b.batches.Add(1)
	defer func() {
		p := recover()
		for i, w := range batch {
			if p != nil {
				w.n, w.err = 0, fmt.Errorf("dbstore: a write of its batch panicked: %v", p)
			}
			w.finished = true
			if i > 0 {
				w.wake <- struct{}{}
			}
		}
		if p != nil {
			panic(p)
		}
	}()
	if len(batch) == 1 || !b.runTx(batch) {
		for _, w := range batch {
			w.n, w.err = execWrite(w.ctx, w.st, w.args)
		}
	}
}

// runTx runs batch in one transaction and reports whether it committed.
// The transaction outlives a cancelled writer: its statement is skipped.
func (b *batcher) runTx(batch []*pendingWrite) bool {
	ctx := context.WithoutCancel(batch[0].ctx)
	tx, err := b.db.BeginTx(ctx, nil)
	if err != nil {
		return false
	}
	// After Commit this does nothing; after a failed write, or a panic,
	// it ends the transaction and frees its connection (SQLite's only one).
	defer tx.Rollback()
	for _, w := range batch {
		if err := w.ctx.Err(); err != nil {
			w.n, w.err = 0, err
			continue
		}
		w.n, w.err = execWrite(ctx, tx.StmtContext(ctx, w.st), w.args)
		if w.err != nil {
			return false
		}
	}
	return tx.Commit() == nil
}

// execWrite runs one statement and returns the rows it affected.
func execWrite(ctx context.Context, st *sql.Stmt, args []any) (int64, error) {
	if err := ctx.Err(); err != nil {
		return 0, err
	}
	res, err := st.ExecContext(ctx, args...)
	if err != nil {
		return 0, err
	}
	return res.RowsAffected()
}
