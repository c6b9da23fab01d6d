package deadline_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/gowebpy/web/internal/deadline"
)

func TestErr(t *testing.T) {
	if err := deadline.Err(context.Background()); err != nil {
		t.Errorf("a context without a deadline: %v", err)
	}
	live, cancel := context.WithTimeout(context.Background(), time.Hour)
	defer cancel()
	if err := deadline.Err(live); err != nil {
		t.Errorf("a context an hour from its deadline: %v", err)
	}
	canceled, cancel2 := context.WithCancel(context.Background())
	cancel2()
	if err := deadline.Err(canceled); !errors.Is(err, context.Canceled) {
		t.Errorf("a canceled context: %v", err)
	}
	// A deadline in the past whose timer has not fired yet: WithDeadline
	// fires at once for a past deadline, so wrap one that does not cancel.
	passed := pastDeadline{context.Background(), time.Now().Add(-time.Millisecond)}
	if err := deadline.Err(passed); !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("a context past its deadline, not yet done: %v", err)
	}
}

// pastDeadline is a context whose deadline has passed but which is not
// done, as one is between its deadline and its timer.
type pastDeadline struct {
	context.Context
	d time.Time
}

func (p pastDeadline) Deadline() (time.Time, bool) { return p.d, true }
