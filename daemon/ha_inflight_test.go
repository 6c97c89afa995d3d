//go:build linux

package daemon

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"net"
	"sync"
	"testing"
	"time"

	"github.com/leased/leased/config"
	"github.com/leased/leased/control"
	"github.com/leased/leased/dhcpserver/dhcptest"
	"github.com/leased/leased/dhcpv4"
	"github.com/leased/leased/engine"
	"github.com/leased/leased/ha"
	"github.com/leased/leased/internal/testnet"
	"github.com/leased/leased/lease/memfile"
)

// heldUpdates is a leased partner's lease4-update handler that holds
// every update until release is closed, and records how many were under
// way at once.
type heldUpdates struct {
	release chan struct{}
	mu      sync.Mutex
	now     int // under way
	most    int // the most under way at once
	total   int
}

func (h *heldUpdates) handle(ctx context.Context, _ json.RawMessage) control.Response {
	h.mu.Lock()
	h.now++
	h.total++
	h.most = max(h.most, h.now)
	h.mu.Unlock()
	defer func() {
		h.mu.Lock()
		h.now--
		h.mu.Unlock()
	}()
	select {
	case <-h.release:
		return control.OK("IPv4 lease updated.")
	case <-ctx.Done():
		return control.Errorf("cancelled")
	}
}

func (h *heldUpdates) counts() (now, most, total int) {
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.now, h.most, h.total
}

// TestHAUpdatesInFlightToLeasedPartner: the lease updates of many clients
// go to a leased partner at once, each on its own connection to the
// partner's control listener, which admits that many from its peer's
// address (more than from any other): the partner holds
// ha.MaxUpdatesInFlight updates at the same time, never more, and every client is ACKed once
// it answers.
func TestHAUpdatesInFlightToLeasedPartner(t *testing.T) {
	port := testnet.FreeTCPPort(t, "127.0.0.1")
	urls := fmt.Sprintf(`"peers": [{"name": "server1", "url": "http://127.0.0.1:%d/", "role": "primary"},
		{"name": "server2", "url": "http://127.0.0.1:%d/", "role": "secondary"}]`, port, port+1)
	relation := func(this string) string {
		return fmt.Sprintf(`{"high-availability": [{"this-server-name": %q, "mode": "load-balancing",
			"sync-leases": false, "heartbeat-delay": 100, "delayed-updates-limit": 0, %s}]}`, this, urls)
	}

	// server1, the partner: leased's control listener as the daemon
	// configures it for its relationship, serving the HA commands.
	_, partnerCfg := haServiceOf(t, relation("server1"))
	partnerHA, err := newHASet(partnerCfg, slog.New(slog.DiscardHandler), nil)
	if err != nil {
		t.Fatal(err)
	}
	held := &heldUpdates{release: make(chan struct{})}
	reg := control.NewRegistry(control.DefaultBuildInfo(), nil)
	for name, h := range map[string]control.Handler{
		ha.CmdLease4Update: held.handle,
		ha.CmdHeartbeat: func(context.Context, json.RawMessage) control.Response {
			return ha.HeartbeatResponse(ha.StateLoadBalancing, time.Now(), []string{"server1"}, 0)
		},
	} {
		if err := reg.Register(name, h); err != nil {
			t.Fatal(err)
		}
	}
	var opts control.Options
	partnerHA.admitPeers(&opts)
	ctl := control.NewServer(reg, opts)
	if err := ctl.Apply([]config.ControlSocket{{Type: "http", Address: "127.0.0.1", Port: uint16(port)}}); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ctl.Shutdown(context.Background()) })

	// server2, replicating its clients' leases to server1.
	s, _ := haServiceOf(t, relation("server2"))
	loadBalancing(t, s)
	cfg, _, err := config.Parse("test.json", []byte(`{"Dhcp4": {"valid-lifetime": 600,
		"subnet4": [{"id": 1, "subnet": "192.0.2.0/24", "interface": "test0",
			"pools": [{"pool": "192.0.2.10 - 192.0.2.250"}]}]}}`), nil)
	if err != nil {
		t.Fatal(err)
	}
	store, err := memfile.Open(memfile.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { store.Close() })
	eng, err := engine.New(context.Background(), cfg, store, &engine.Options{Replicator: s})
	if err != nil {
		t.Fatal(err)
	}
	// A client waits for a slot to the partner as long as the test may
	// take: the bound must hold by waiting, not by failing updates.
	s.slotWait = time.Minute
	if err := s.start(eng); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(s.stop)

	// Twice as many clients as updates may be under way, each asking
	// for a lease at once (the engine is not behind the load-balancing
	// split: every client is served here and replicated).
	want := ha.MaxUpdatesInFlight
	clients := 2 * want
	acks := make(chan *dhcptest.Reply, clients)
	for i := range clients {
		hw := net.HardwareAddr{2, 0, 0, 0, byte(i >> 8), byte(i)}
		go func() { acks <- dora(t, eng, hw) }()
	}
	for deadline := time.Now().Add(20 * time.Second); ; time.Sleep(5 * time.Millisecond) {
		now, most, _ := held.counts()
		if now == want {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the partner holds %d lease updates at once (at most %d), want %d", now, most, want)
		}
	}
	close(held.release)
	for range clients {
		if rep := <-acks; rep == nil || rep.Packet.MessageType() != dhcpv4.Ack {
			t.Errorf("client: %+v, want an ACK once the partner answered", rep)
		}
	}
	_, most, total := held.counts()
	if most != want {
		t.Errorf("the partner held at most %d lease updates at once, want %d", most, want)
	}
	if total != clients {
		t.Errorf("the partner received %d lease updates, want %d", total, clients)
	}
}
