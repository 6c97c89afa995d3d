package client

import "time"

// Clock tells the time and makes timers. The client reads time only
// through its Clock, so tests can run it on fake time.
type Clock interface {
	Now() time.Time
	NewTimer(d time.Duration) Timer
}

// Timer is the part of [time.Timer] the client uses.
type Timer interface {
	C() <-chan time.Time
	Reset(d time.Duration)
	Stop()
}

// SystemClock is the [Clock] of package time. It is the default, and the
// right one under testing/synctest, whose bubbles fake package time.
type SystemClock struct{}

// Now returns time.Now().
func (SystemClock) Now() time.Time { return time.Now() }

// NewTimer returns a timer from time.NewTimer.
func (SystemClock) NewTimer(d time.Duration) Timer { return sysTimer{time.NewTimer(d)} }

type sysTimer struct{ t *time.Timer }

func (s sysTimer) C() <-chan time.Time   { return s.t.C }
func (s sysTimer) Reset(d time.Duration) { s.t.Reset(d) }
func (s sysTimer) Stop()                 { s.t.Stop() }

// Random is the source of the client's transaction ids and jitter.
// *math/rand/v2.Rand satisfies it. The client uses it from one goroutine.
type Random interface {
	Uint32() uint32
	Int64N(n int64) int64
}
