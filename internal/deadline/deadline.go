// Package deadline tells whether a context has run out, for the stores'
// clients: dbstore's and redisstore's Lock decide by it whether a failed
// statement was cut short by the caller's deadline.
package deadline

import (
	"context"
	"time"
)

// Err returns ctx.Err(), or context.DeadlineExceeded once the deadline of
// ctx has passed. A client that sets its connection's deadline from ctx's
// (database/sql's drivers, go-redis) can fail a call with its own i/o
// timeout an instant before ctx's timer fires; ctx.Err() alone would then
// say nil.
func Err(ctx context.Context) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	if d, ok := ctx.Deadline(); ok && !time.Now().Before(d) {
		return context.DeadlineExceeded
	}
	return nil
}
