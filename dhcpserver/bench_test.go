package dhcpserver_test

import (
	"syscall"
	"testing"
	"time"

	"github.com/leased/leased/dhcpserver/dhcptest"
	"github.com/leased/leased/dhcpv4"
)

// TestZeroAllocs exchanges messages with a server over loopback and checks
// that, once warm, the whole path allocates nothing: the server's read,
// decode, dispatch, handler, build, routing and send, and the test
// client's side too.
func TestZeroAllocs(t *testing.T) {
	if testing.Short() {
		t.Skip("exchanges a thousand messages")
	}
	ts := dhcptest.NewServer(t, offerAll)
	msg := (&dhcptest.Message{Type: dhcpv4.Discover, XID: 1, CHAddr: hw(1)}).MustBuild()
	exchange := func() {
		if _, err := ts.Client.Exchange(msg); err != nil {
			t.Fatal(err)
		}
	}
	for range 200 {
		exchange()
	}
	if n := testing.AllocsPerRun(1000, exchange); n != 0 {
		t.Errorf("%v allocations per exchange, want 0", n)
	}
}

// BenchmarkExchange measures one request→reply round trip over loopback
// through the whole library path (client send, server read, worker,
// handler, build, route, send, client read).
func BenchmarkExchange(b *testing.B) {
	ts := dhcptest.NewServer(b, offerAll)
	msg := (&dhcptest.Message{Type: dhcpv4.Discover, XID: 1, CHAddr: hw(1)}).MustBuild()
	b.ReportAllocs()
	start := cpuTime(b)
	for b.Loop() {
		if _, err := ts.Client.Exchange(msg); err != nil {
			b.Fatal(err)
		}
	}
	// CPU (user+system, all threads: the client's share included) per
	// round trip.
	b.ReportMetric(float64(cpuTime(b)-start)/float64(b.N)/1e3, "cpu-µs/op")
}

func cpuTime(b *testing.B) time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		b.Fatal(err)
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
