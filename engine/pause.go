//go:build !darwin

package engine

import (
	"syscall"
	"time"
)

// pause sleeps for d. A short time.Sleep can last a millisecond or more,
// since the runtime waits for timers with a millisecond resolution when it
// is otherwise idle; nanosleep(2) keeps the gap short.
func pause(d time.Duration) {
	ts := syscall.NsecToTimespec(d.Nanoseconds())
	for syscall.Nanosleep(&ts, &ts) == syscall.EINTR {
	}
}
