package manager

import (
	"context"
	"fmt"
	"runtime/debug"
	"time"
)

// supervisor runs a function again and again after it fails, waiting an
// exponential back-off between runs.
type supervisor struct {
	// backoff returns the schedule; it is asked at every failure, so that
	// a reloaded configuration's applies to running instances.
	backoff func() Backoff
	// run is one run; it returns when ctx ends (nil) or it fails.
	run func(ctx context.Context) error
	// failed is told about each failure and the wait before the next run.
	failed func(err error, wait time.Duration)
	// started is told about each run.
	started func()
}

// loop supervises until ctx ends.
func (s *supervisor) loop(ctx context.Context) {
	wait := time.Duration(0) // zero until the first failure
	for {
		if s.started != nil {
			s.started()
		}
		began := time.Now()
		err := s.once(ctx)
		if ctx.Err() != nil {
			return
		}
		if err == nil {
			err = fmt.Errorf("stopped without an error")
		}
		// A run that lasted resets the back-off: its failure is a new
		// problem, not the same one again.
		b := s.backoff()
		if wait == 0 || b.ResetAfter > 0 && time.Since(began) >= b.ResetAfter {
			wait = b.Initial
		}
		wait = min(wait, b.Max)
		s.failed(err, wait)
		t := time.NewTimer(wait)
		select {
		case <-ctx.Done():
			t.Stop()
			return
		case <-t.C:
		}
		wait = min(wait*2, b.Max)
	}
}

// once runs s.run, turning a panic into an error.
func (s *supervisor) once(ctx context.Context) (err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("panic: %v\n%s", r, debug.Stack())
		}
	}()
	return s.run(ctx)
}
