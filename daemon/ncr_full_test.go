package daemon

import (
	"context"
	"log/slog"
	"net/netip"
	"sync/atomic"
	"testing"
	"time"

	"github.com/leased/leased/config"
	"github.com/leased/leased/dnsupdate"
	"github.com/leased/leased/engine"
	"github.com/leased/leased/lease"
)

// errorCount counts the records logged at Error.
type errorCount struct{ n *atomic.Int64 }

func (h errorCount) Enabled(_ context.Context, l slog.Level) bool { return l >= slog.LevelError }
func (h errorCount) Handle(context.Context, slog.Record) error    { h.n.Add(1); return nil }
func (h errorCount) WithAttrs([]slog.Attr) slog.Handler           { return h }
func (h errorCount) WithGroup(string) slog.Handler                { return h }

// NameChanges runs on the DHCP reply path: while the DNS update queue is
// full (named slower than DHCP) each call's requests are dropped and
// counted, and the failure is logged once a second, not once per call.
func TestNameChangesQueueFullLoggedOnceASecond(t *testing.T) {
	cfg := ncrTestConfig(t, 53001, true)
	d := &config.DhcpDdns{DNSServerTimeout: 200, Forward: []config.DdnsDomain{{Name: "example.org.",
		Servers: []config.DNSServer{{Addr: netip.MustParseAddr("127.0.0.1"), Port: 9}}}}}
	// Not running: nothing leaves the queue of 2.
	u, err := dnsupdate.New(d, nil, dnsupdate.Options{MaxQueueSize: 2})
	if err != nil {
		t.Fatal(err)
	}
	var logged atomic.Int64
	s := &ncrService{log: slog.New(errorCount{&logged}), sender: &inProcessDNS{u: u}}
	s.cfg.Store(cfg)
	const calls = 200
	start := time.Now()
	for i := range calls {
		l := &lease.Lease{Addr: netip.AddrFrom4([4]byte{192, 0, 2, byte(i)}), HWType: 1, HWAddr: []byte{2, 0, 0, 0, 1, byte(i)},
			ValidLifetime: 3600, CLTT: time.Now().Unix(), SubnetID: 1, FQDNFwd: true, Hostname: "h.example.org"}
		s.NameChanges([]engine.Change{{New: l}})
	}
	elapsed := time.Since(start)
	if st := u.Stats(); st.Received != 2 || st.Dropped != calls-2 {
		t.Errorf("updater stats %+v, want 2 received, %d dropped", st, calls-2)
	}
	if most := 1 + int64(elapsed/sendErrLogEvery); logged.Load() == 0 || logged.Load() > most {
		t.Errorf("%d errors logged for %d calls that found the queue full in %v, want 1 to %d", logged.Load(), calls-2, elapsed, most)
	}
}
