package daemon

import (
	"bytes"
	"context"
	"io"
	"log/slog"
	"net"
	"net/http/httptest"
	"net/netip"
	"strings"
	"testing"

	"github.com/leased/leased/config"
	"github.com/leased/leased/dhcpserver"
	"github.com/leased/leased/dhcpserver/dhcptest"
	"github.com/leased/leased/dhcpv4"
	"github.com/leased/leased/engine"
	"github.com/leased/leased/lease"
	"github.com/leased/leased/lease/memfile"
	"github.com/leased/leased/logging"
	"github.com/leased/leased/stats"
)

func testRequest(t testing.TB, mt dhcpv4.MessageType) *dhcpserver.Request {
	t.Helper()
	hw, _ := net.ParseMAC("02:00:00:00:00:01")
	m := dhcptest.Message{Type: mt, XID: 0x1234, CHAddr: hw}
	req, err := dhcptest.NewRequest(m.MustBuild())
	if err != nil {
		t.Fatal(err)
	}
	return req
}

// packetLoggers returns the packets logger of a Kea loggers setup.
func packetLoggers(t testing.TB, severity string, debuglevel uint8, w io.Writer) *slog.Logger {
	t.Helper()
	lg, err := logging.New([]config.Logger{{Name: "kea-dhcp4.packets", Severity: severity, DebugLevel: debuglevel,
		OutputOptions: []config.LogOutput{{Output: "stdout"}}}}, logging.Options{Stdout: w})
	if err != nil {
		t.Fatal(err)
	}
	return lg.Logger(logging.NamePackets)
}

// TestHandlerCountsAndLogs checks that every message is counted by its
// type, also those the server ignores, and that the packets logger shows
// requests and replies only at DEBUG 40 or more.
func TestHandlerCountsAndLogs(t *testing.T) {
	m := stats.New(stats.Options{})
	pk := m.Packets()
	var out bytes.Buffer
	next := dhcpserver.HandlerFunc(func(w dhcpserver.ResponseWriter, r *dhcpserver.Request) {
		if r.Packet.MessageType() == dhcpv4.Discover {
			w.Reply(dhcpv4.Offer)
		}
	})
	h := &handler{next: next, pk: pk, log: packetLoggers(t, "INFO", 0, &out)}
	for _, mt := range []dhcpv4.MessageType{dhcpv4.Discover, dhcpv4.Discover, dhcpv4.Offer, dhcpv4.Request, dhcpv4.LeaseActive} {
		req := testRequest(t, mt)
		h.ServeDHCP(dhcptest.NewRecorder(req), req)
	}
	for name, want := range map[string]int64{
		"pkt4-discover-received": 2, "pkt4-offer-received": 1, "pkt4-request-received": 1, "pkt4-unknown-received": 1,
		"pkt4-received": 0, // the sockets' count, added by metrics.sync
	} {
		if got, _ := m.Int(name); got != want {
			t.Errorf("%s = %d, want %d", name, got, want)
		}
	}
	if out.Len() != 0 {
		t.Errorf("packets logged at INFO:\n%s", out.String())
	}

	h.log = packetLoggers(t, "DEBUG", 40, &out)
	req := testRequest(t, dhcpv4.Discover)
	h.ServeDHCP(dhcptest.NewRecorder(req), req)
	log := out.String()
	for _, want := range []string{`msg="packet received"`, "type=DHCPDISCOVER", "chaddr=02:00:00:00:00:01", "xid=0x00001234", `msg=reply`, "type=DHCPOFFER"} {
		if !strings.Contains(log, want) {
			t.Errorf("packet log lacks %q:\n%s", want, log)
		}
	}
}

// TestHandlerLogOffAllocatesNothing pins the cost of packet logging when
// it is off: no allocation on the packet path.
func TestHandlerLogOffAllocatesNothing(t *testing.T) {
	m := stats.New(stats.Options{})
	h := &handler{next: dhcpserver.HandlerFunc(func(dhcpserver.ResponseWriter, *dhcpserver.Request) {}),
		pk: m.Packets(), log: packetLoggers(t, "DEBUG", 39, io.Discard)}
	req := testRequest(t, dhcpv4.Request)
	w := dhcptest.NewRecorder(req)
	if n := testing.AllocsPerRun(1000, func() { h.ServeDHCP(w, req) }); n != 0 {
		t.Errorf("ServeDHCP with packet logging off allocates %v times per message", n)
	}
}

func BenchmarkHandlerLogOff(b *testing.B) {
	m := stats.New(stats.Options{})
	h := &handler{next: dhcpserver.HandlerFunc(func(dhcpserver.ResponseWriter, *dhcpserver.Request) {}),
		pk: m.Packets(), log: packetLoggers(b, "INFO", 0, io.Discard)}
	req := testRequest(b, dhcpv4.Request)
	w := dhcptest.NewRecorder(req)
	b.ReportAllocs()
	for b.Loop() {
		h.ServeDHCP(w, req)
	}
}

// TestMetricsFromStoreAndConfig checks the statistics the store and the
// configuration give: total-addresses per subnet and pool (pools sharing
// a pool-id share it), assigned and declined addresses from the store,
// subnets dropped by a new configuration removed; and that the
// Prometheus export shows them by client_golang's conventions.
func TestMetricsFromStoreAndConfig(t *testing.T) {
	ctx := context.Background()
	store, err := memfile.Open(memfile.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer store.Close()
	cfg, _, err := config.Parse("t.json", []byte(`{"Dhcp4": {"subnet4": [
		{"id": 1, "subnet": "192.0.2.0/24", "pools": [{"pool": "192.0.2.10 - 192.0.2.19"}, {"pool": "192.0.2.30 - 192.0.2.34"}, {"pool": "192.0.2.50 - 192.0.2.51", "pool-id": 7}]},
		{"id": 2, "subnet": "198.18.0.0/16", "pools": [{"pool": "198.18.1.0 - 198.18.1.255"}]}]}}`), nil)
	if err != nil {
		t.Fatal(err)
	}
	for i, st := range []lease.State{lease.StateDefault, lease.StateDefault, lease.StateDeclined, lease.StateReleased} {
		l := lease.Lease{Addr: netip.MustParseAddr("192.0.2.1" + string(rune('0'+i))), HWType: 1, HWAddr: []byte{2, 0, 0, 0, 0, byte(i)},
			ValidLifetime: 3600, CLTT: 1_800_000_000, SubnetID: 1, State: st}
		if err := store.Add(ctx, &l, lease.Durable); err != nil {
			t.Fatal(err)
		}
	}
	m := stats.New(stats.Options{})
	mt := newMetrics(m, store, slog.New(slog.DiscardHandler))
	mt.configure(ctx, cfg)
	for name, want := range map[string]int64{
		"subnet[1].total-addresses": 17, "subnet[1].pool[0].total-addresses": 15, "subnet[1].pool[7].total-addresses": 2,
		// Two assigned leases and a declined one, which Kea counts as
		// assigned too; the released one is not.
		"subnet[2].total-addresses": 256, "subnet[1].assigned-addresses": 3, "subnet[1].declined-addresses": 1,
		"subnet[1].pool[0].assigned-addresses": 3, "assigned-addresses": 3, "declined-addresses": 1, "subnet[2].assigned-addresses": 0,
	} {
		if got, ok := m.Int(name); !ok || got != want {
			t.Errorf("%s = %d (present %v), want %d", name, got, ok, want)
		}
	}
	// Messages the sockets counted that Kea would not have come off
	// pkt4-received.
	mt.pk.Received.Add(5)
	mt.unseen.Add(2)
	mt.sync(ctx)
	if got := mt.pk.Received.Load(); got != 3 {
		t.Errorf("pkt4-received %d after 5 read and 2 unseen, want 3", got)
	}
	mt.Assigned(1, 7)
	mt.Reclaimed(1, 0, false)
	mt.Reclaimed(1, 0, true)
	mt.Dropped(engine.DropNotForUs)
	mt.Dropped(engine.DropNoAddress)
	mt.Sent(dhcpv4.Ack)
	for name, want := range map[string]int64{
		"subnet[1].cumulative-assigned-addresses": 1, "subnet[1].pool[7].cumulative-assigned-addresses": 1,
		"cumulative-assigned-addresses": 1, "subnet[1].reclaimed-leases": 2, "reclaimed-leases": 2,
		"subnet[1].reclaimed-declined-addresses": 1, "reclaimed-declined-addresses": 1, "subnet[1].pool[0].reclaimed-declined-addresses": 1,
		"pkt4-not-for-us": 1, "pkt4-receive-drop": 1, "v4-allocation-fail": 1, "pkt4-ack-sent": 1, "pkt4-sent": 1,
	} {
		if got, _ := m.Int(name); got != want {
			t.Errorf("%s = %d, want %d", name, got, want)
		}
	}

	rec := httptest.NewRecorder()
	mt.handler().ServeHTTP(rec, httptest.NewRequest("GET", "/metrics", nil))
	body := rec.Body.String()
	for _, want := range []string{
		"# TYPE leased_subnet_total_addresses gauge",
		`leased_subnet_total_addresses{subnet_id="1"} 17`,
		`leased_pool_assigned_addresses{pool_id="0",subnet_id="1"} 3`,
		"# TYPE leased_pkt4_ack_sent_total counter",
		"leased_pkt4_ack_sent_total 1",
		// The lease store's journal, beside Kea's statistics.
		"# TYPE leased_lease_store_fsyncs_total counter",
		"leased_lease_store_fsync_seconds_total ",
		"leased_lease_store_slow_fsyncs_total 0",
		"leased_lease_store_healthy 1",
	} {
		if !strings.Contains(body, want) {
			t.Errorf("/metrics lacks %q", want)
		}
	}

	// A new configuration without subnet 2 and pool 7.
	cfg2, _, err := config.Parse("t.json", []byte(`{"Dhcp4": {"subnet4": [
		{"id": 1, "subnet": "192.0.2.0/24", "pools": [{"pool": "192.0.2.10 - 192.0.2.29"}]}]}}`), nil)
	if err != nil {
		t.Fatal(err)
	}
	mt.configure(ctx, cfg2)
	if got, _ := m.Int("subnet[1].total-addresses"); got != 20 {
		t.Errorf("total-addresses after reconfiguration %d, want 20", got)
	}
	for _, gone := range []string{"subnet[2].total-addresses", "subnet[1].pool[7].total-addresses"} {
		if _, ok := m.Int(gone); ok {
			t.Errorf("%s still there after its subnet or pool was removed", gone)
		}
	}
}

// TestDropReasons checks that each reason the server gives for dropping a
// message lands in Kea's counter for it, if Kea has one, and in
// pkt4-receive-drop, and that an allocation failure is not a drop. Every
// reason must be decided here: one the table lacks fails.
func TestDropReasons(t *testing.T) {
	m := stats.New(stats.Options{})
	mt := newMetrics(m, nil, slog.New(slog.DiscardHandler))
	pk := m.Packets()
	own := map[engine.DropReason]*stats.Counter{
		engine.DropNotClientMessage:  nil,
		engine.DropUnsupportedType:   nil,
		engine.DropMalformedOption81: pk.ParseFailed,
		engine.DropClass:             pk.AdminFiltered,
		engine.DropNoSubnet:          nil,
		engine.DropNotForUs:          pk.NotForUs,
		engine.DropMalformedRequest:  pk.RFCViolation,
		engine.DropUnknownInitReboot: nil,
		engine.DropUnknownRelease:    nil,
		engine.DropUnknownDecline:    nil,
		engine.DropNotDurable:        nil,
		engine.DropNotReplicated:     nil,
	}
	for i := range engine.NumDropReasons {
		r := engine.DropReason(i)
		if strings.HasPrefix(r.String(), "DropReason(") {
			t.Errorf("reason %d has no name", i)
		}
		all := func() map[string]int64 {
			got := map[string]int64{}
			for name := range m.GetAllGlobal() {
				got[name], _ = m.Int(name)
			}
			return got
		}
		before := all()
		mt.Dropped(r)
		after := all()
		want := map[string]int64{}
		switch c, ok := own[r]; {
		case r == engine.DropNoAddress:
			want["v4-allocation-fail"] = 1
		case !ok:
			t.Errorf("%v: the test does not say which counter Kea counts it in", r)
			continue
		case c != nil:
			want[c.Name()] = 1
			want["pkt4-receive-drop"] = 1
		default:
			want["pkt4-receive-drop"] = 1
		}
		for name, v := range after {
			if d := v - before[name]; d != want[name] {
				t.Errorf("%v: %s went up by %d, want %d", r, name, d, want[name])
			}
		}
	}
}
