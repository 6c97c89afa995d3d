package logtest

import (
	"fmt"
	"sync"
	"testing"
)

// TestBufferConcurrent writes from several goroutines while reading, which
// the race detector would flag without the lock, and checks that every
// line arrived whole.
func TestBufferConcurrent(t *testing.T) {
	var b Buffer
	const writers, lines = 4, 200
	var wg sync.WaitGroup
	for w := range writers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range lines {
				fmt.Fprintf(&b, "writer=%d line=%d\n", w, i)
			}
		}()
	}
	for b.Count("\n") < writers*lines {
		_ = b.String()
	}
	wg.Wait()
	if got := b.Count("line="); got != writers*lines {
		t.Errorf("Count(line=) = %d, want %d", got, writers*lines)
	}
	if got := b.Count("writer=3 line=199\n"); got != 1 {
		t.Errorf("the last line of writer 3 occurs %d times, want 1:\n%s", got, b.String())
	}
	b.Reset()
	if s := b.String(); s != "" {
		t.Errorf("after Reset, String() = %q, want \"\"", s)
	}
}
