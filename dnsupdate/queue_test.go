//go:build linux

package dnsupdate

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/netip"
	"sync/atomic"
	"testing"
	"time"

	"github.com/leased/leased/config"
	"github.com/leased/leased/ddns/ncr"
)

// countHandler counts the records logged at Warn and above.
type countHandler struct{ n *atomic.Int64 }

func (h countHandler) Enabled(_ context.Context, l slog.Level) bool { return l >= slog.LevelWarn }
func (h countHandler) Handle(context.Context, slog.Record) error    { h.n.Add(1); return nil }
func (h countHandler) WithAttrs([]slog.Attr) slog.Handler           { return h }
func (h countHandler) WithGroup(string) slog.Handler                { return h }

// While DNS is slower than DHCP the queue stays full and every Send, on
// the DHCP reply path, drops what it brings: each drop is counted, and
// the log says so once a second, not once per Send.
func TestQueueFullDropsCountedAndLoggedOnceASecond(t *testing.T) {
	var logged atomic.Int64
	c := &config.DhcpDdns{
		DNSServerTimeout: 200,
		Forward: []config.DdnsDomain{{Name: "example.org.",
			Servers: []config.DNSServer{{Addr: netip.MustParseAddr("127.0.0.1"), Port: 9}}}},
	}
	// Not running: nothing leaves the queue.
	u, err := New(c, nil, Options{MaxQueueSize: 4, Logger: slog.New(countHandler{&logged})})
	if err != nil {
		t.Fatal(err)
	}
	const sends = 200
	start := time.Now()
	var full int
	for i := range sends {
		r := request(t, ncr.Add, fmt.Sprintf("h%d.example.org", i), "192.0.2.10", fmt.Sprintf("02:00:00:00:%02x:%02x", i>>8, i&0xff), ncr.CheckWithDHCID)
		r.Reverse = false
		if err := u.Send(r); errors.Is(err, ErrQueueFull) {
			full++
		} else if err != nil {
			t.Fatalf("Send %d: %v", i, err)
		}
	}
	elapsed := time.Since(start)
	if full != sends-4 {
		t.Errorf("%d Sends found the queue full, want %d", full, sends-4)
	}
	if st := u.Stats(); st.Dropped != sends-4 || st.Received != 4 || st.Pending != 4 {
		t.Errorf("stats %+v, want 4 received and pending, %d dropped", st, sends-4)
	}
	// One line when the queue is first full, then at most one a second.
	if most := 1 + int64(elapsed/fullLogEvery); logged.Load() > most || logged.Load() == 0 {
		t.Errorf("%d warnings logged for %d full Sends in %v, want 1 to %d", logged.Load(), full, elapsed, most)
	}
}
