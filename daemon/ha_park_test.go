package daemon

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"sync/atomic"
	"testing"
	"time"

	"github.com/leased/leased/config"
	"github.com/leased/leased/control"
	"github.com/leased/leased/dhcpserver/dhcptest"
	"github.com/leased/leased/dhcpv4"
	"github.com/leased/leased/engine"
	"github.com/leased/leased/ha"
	"github.com/leased/leased/lease/memfile"
	"github.com/leased/leased/stats"
)

// slowPartner is a load-balancing partner whose answers to lease4-update
// and lease4-del wait until release is closed; it counts the updates it
// received.
type slowPartner struct {
	release chan struct{}
	updates atomic.Int32
	// instant, while true, answers at once.
	instant atomic.Bool
}

func (f *slowPartner) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(r.Body)
	var cmd control.Command
	if err := json.Unmarshal(body, &cmd); err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	var resp control.Response
	switch cmd.Command {
	case ha.CmdHeartbeat:
		resp = ha.HeartbeatResponse(ha.StateLoadBalancing, time.Now(), []string{"server1"}, 0)
	case ha.CmdLease4Update, ha.CmdLease4Del:
		f.updates.Add(1)
		if f.instant.Load() {
			resp = control.OK("lease updated")
			break
		}
		select {
		case <-f.release:
		case <-r.Context().Done():
			return
		}
		resp = control.OK("lease updated")
	default:
		// As Kea answers a command it does not know (ha.CmdLeaseBulkApply
		// among others): the server sends lease4-update instead.
		resp = control.Answer(control.Unsupported, fmt.Sprintf("'%s' command not supported.", cmd.Command), nil)
	}
	b, _ := ha.EncodeAnswer(resp)
	w.Header().Set("Content-Type", "application/json")
	w.Write(b)
}

// TestHAParkedPacketLimit: with parked-packet-limit 1, a second ACK that
// would wait for the partner while one already waits is dropped (counted
// in pkt4-queue-full) and its update is not sent, as Kea drops what its
// full parking lot cannot take; the first ACK leaves once the partner
// answers.
func TestHAParkedPacketLimit(t *testing.T) {
	s, eng, partner, pk := parkingPair(t, 1)
	first := make(chan *dhcptest.Reply, 1)
	go func() { first <- dora(t, eng, net.HardwareAddr{2, 0, 0, 0, 0, 1}) }()
	for deadline := time.Now().Add(10 * time.Second); s.parked.Load() != 1; time.Sleep(time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatal("the first ACK never waited for the partner")
		}
	}
	if rep := dora(t, eng, net.HardwareAddr{2, 0, 0, 0, 0, 2}); rep != nil {
		t.Errorf("second client, with the parking lot full: %v, want no reply", rep.Packet.MessageType())
	}
	if got := pk.QueueFull.Load(); got != 1 {
		t.Errorf("pkt4-queue-full %d, want 1", got)
	}
	close(partner.release)
	if rep := <-first; rep == nil || rep.Packet.MessageType() != dhcpv4.Ack {
		t.Errorf("first client: %+v, want an ACK once the partner answered", rep)
	}
	if got := partner.updates.Load(); got != 1 {
		t.Errorf("the partner received %d lease updates, want 1 (none for the dropped ACK)", got)
	}
}

// parkingPair is server2 of a load-balancing pair with partner, a
// slowPartner, and an engine replicating through it with
// parked-packet-limit limit; pk counts its packets.
func parkingPair(t *testing.T, limit uint32) (*haService, *engine.Engine, *slowPartner, *stats.Packets) {
	t.Helper()
	partner := &slowPartner{release: make(chan struct{})}
	srv := httptest.NewServer(partner)
	t.Cleanup(srv.Close)
	params := fmt.Sprintf(`{"high-availability": [{"this-server-name": "server2", "mode": "load-balancing",
		"sync-leases": false, "heartbeat-delay": 100, "delayed-updates-limit": 0,
		"peers": [{"name": "server1", "url": "%s/", "role": "primary"},
		          {"name": "server2", "url": "http://127.0.0.2:8000/", "role": "secondary"}]}]}`, srv.URL)
	s, _ := haServiceOf(t, params)
	loadBalancing(t, s)
	cfg, _, err := config.Parse("test.json", []byte(fmt.Sprintf(`{"Dhcp4": {"parked-packet-limit": %d, "valid-lifetime": 600,
		"subnet4": [{"id": 1, "subnet": "192.0.2.0/24", "interface": "test0",
			"pools": [{"pool": "192.0.2.100 - 192.0.2.199"}]}]}}`, limit)), nil)
	if err != nil {
		t.Fatal(err)
	}
	pk := stats.New(stats.Options{}).Packets()
	s.queueFull = pk.QueueFull
	s.parkLimit.Store(cfg.ParkedPacketLimit)
	store, err := memfile.Open(memfile.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { store.Close() })
	eng, err := engine.New(context.Background(), cfg, store, &engine.Options{Replicator: s})
	if err != nil {
		t.Fatal(err)
	}
	if err := s.start(eng); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(s.stop) // before the store closes: cleanups run last first

	return s, eng, partner, pk
}

// TestHAReleaseNotParked: a RELEASE whose update the partner has not
// answered yet holds no reply back, so it takes no place in the parking
// lot: with parked-packet-limit 1 a client's ACK still waits for the
// partner and leaves once it answers, instead of being dropped as if the
// lot were full.
func TestHAReleaseNotParked(t *testing.T) {
	s, eng, partner, pk := parkingPair(t, 1)
	hw := net.HardwareAddr{2, 0, 0, 0, 0, 1}
	rel := serve(t, eng, dhcptest.Message{Type: dhcpv4.Release, XID: 1, CHAddr: hw, CIAddr: leaseFor(t, eng, partner, hw)})
	if rel != nil {
		t.Fatalf("RELEASE answered: %v", rel.Packet.MessageType())
	}
	// The RELEASE's update is at the partner, unanswered.
	for deadline := time.Now().Add(10 * time.Second); partner.updates.Load() != 2; time.Sleep(time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("the partner received %d updates, want the ACK's and the RELEASE's", partner.updates.Load())
		}
	}
	if n := s.parked.Load(); n != 0 {
		t.Errorf("%d replies parked while only a RELEASE's update is under way, want 0", n)
	}
	ack := make(chan *dhcptest.Reply, 1)
	go func() { ack <- dora(t, eng, net.HardwareAddr{2, 0, 0, 0, 0, 2}) }()
	for deadline := time.Now().Add(10 * time.Second); partner.updates.Load() != 3 && pk.QueueFull.Load() == 0; time.Sleep(time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatal("the second client's update never reached the partner")
		}
	}
	close(partner.release)
	if rep := <-ack; rep == nil || rep.Packet.MessageType() != dhcpv4.Ack {
		t.Errorf("second client: %+v, want an ACK once the partner answered", rep)
	}
	if got := pk.QueueFull.Load(); got != 0 {
		t.Errorf("pkt4-queue-full %d, want 0", got)
	}
}

// leaseFor gives client hw a lease through eng, the partner answering
// its update at once, and returns its address.
func leaseFor(t *testing.T, eng *engine.Engine, partner *slowPartner, hw net.HardwareAddr) netip.Addr {
	t.Helper()
	partner.instant.Store(true)
	defer partner.instant.Store(false)
	rep := dora(t, eng, hw)
	if rep == nil || rep.Packet.MessageType() != dhcpv4.Ack {
		t.Fatalf("client %v: %+v, want an ACK", hw, rep)
	}
	return rep.Packet.YIAddr()
}

// dora runs DISCOVER and REQUEST for client hw and returns the reply
// to the REQUEST, nil for none.
func dora(t *testing.T, eng *engine.Engine, hw net.HardwareAddr) *dhcptest.Reply {
	off := serve(t, eng, dhcptest.Message{Type: dhcpv4.Discover, XID: 1, CHAddr: hw})
	if off == nil {
		t.Errorf("client %v: no OFFER", hw)
		return nil
	}
	sid, _ := off.Packet.ServerID()
	return serve(t, eng, dhcptest.Message{Type: dhcpv4.Request, XID: 2, CHAddr: hw,
		RequestedIP: off.Packet.YIAddr(), ServerID: sid})
}

// serve passes one message to eng and returns its reply, nil for none.
func serve(t *testing.T, eng *engine.Engine, m dhcptest.Message) *dhcptest.Reply {
	t.Helper()
	req, err := dhcptest.NewRequest(m.MustBuild())
	if err != nil {
		t.Fatal(err)
	}
	rec := dhcptest.NewRecorder(req)
	eng.ServeDHCP(rec, req)
	rep, err := rec.Result()
	if err != nil {
		t.Fatal(err)
	}
	return rep
}

// TestHASlowPartnerUpdatesBounded: behind a partner that holds every
// lease update unanswered, a client's update that cannot start because
// the haInFlight requests under way fill its peer's slots fails once it
// waited slotWait: its ACK is dropped (and the partner counts as
// unavailable, as after a request that timed out), instead of the ACK
// waiting, and the update going out stale, whenever the partner answers
// again.
func TestHASlowPartnerUpdatesBounded(t *testing.T) {
	s, eng, partner, _ := parkingPair(t, 0)
	s.slotWait = 50 * time.Millisecond
	acks := make(chan *dhcptest.Reply, haInFlight)
	for i := range haInFlight {
		go func() { acks <- dora(t, eng, net.HardwareAddr{2, 0, 0, 0, 1, byte(i)}) }()
	}
	for deadline := time.Now().Add(10 * time.Second); partner.updates.Load() != haInFlight; time.Sleep(time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("the partner received %d updates, want %d under way", partner.updates.Load(), haInFlight)
		}
	}
	late := make(chan *dhcptest.Reply, 1)
	go func() { late <- dora(t, eng, net.HardwareAddr{2, 0, 0, 0, 2, 0}) }()
	select {
	case rep := <-late:
		if rep != nil {
			t.Errorf("client behind %d unanswered updates: %v, want no reply", haInFlight, rep.Packet.MessageType())
		}
	case <-time.After(10 * time.Second): // a hang, not a speed: slotWait is 50 ms
		t.Error("the client's reply still waits for a slot to the partner")
	}
	close(partner.release)
	for range haInFlight {
		if rep := <-acks; rep == nil || rep.Packet.MessageType() != dhcpv4.Ack {
			t.Errorf("a client whose update was under way: %+v, want its ACK once the partner answered", rep)
		}
	}
	if got := partner.updates.Load(); got != haInFlight {
		t.Errorf("the partner received %d updates, want %d (none for the client whose update failed)", got, haInFlight)
	}
}

// TestHAParkedPacketLimitConcurrent: two REQUESTs whose replies cannot be
// deferred replicate from their own goroutines at the same moment, with
// parked-packet-limit 1: one reply parks and the other is dropped, never
// both parked (the check and the count of parked replies are one step).
// The test holds the service's lock while both reach Replicate, so that
// they contend for the last place.
func TestHAParkedPacketLimitConcurrent(t *testing.T) {
	s, eng, partner, pk := parkingPair(t, 1)
	type result struct {
		hw  net.HardwareAddr
		rep *dhcptest.Reply
	}
	results := make(chan result, 2)
	var reqs []dhcptest.Message
	for i := range 2 {
		hw := net.HardwareAddr{2, 0, 0, 0, 1, byte(i)}
		off := serve(t, eng, dhcptest.Message{Type: dhcpv4.Discover, XID: 1, CHAddr: hw})
		if off == nil {
			t.Fatalf("client %v: no OFFER", hw)
		}
		sid, _ := off.Packet.ServerID()
		reqs = append(reqs, dhcptest.Message{Type: dhcpv4.Request, XID: 2, CHAddr: hw, RequestedIP: off.Packet.YIAddr(), ServerID: sid})
	}
	s.mu.Lock()
	for _, m := range reqs {
		go func() {
			req, err := dhcptest.NewRequest(m.MustBuild())
			if err != nil {
				t.Error(err)
				results <- result{m.CHAddr, nil}
				return
			}
			rec := dhcptest.NewRecorder(req)
			rec.NoDefer = true
			eng.ServeDHCP(rec, req)
			rep, err := rec.Result()
			if err != nil {
				t.Error(err)
			}
			results <- result{m.CHAddr, rep}
		}()
	}
	// Both messages commit their leases and call Replicate, which waits
	// for the lock; how long that takes is not known, only that it is
	// short next to this.
	time.Sleep(500 * time.Millisecond)
	s.mu.Unlock()
	var dropped result
	select {
	case dropped = <-results:
	case <-time.After(20 * time.Second):
		t.Fatalf("no reply dropped within 20 s: %d replies parked with parked-packet-limit 1", s.parked.Load())
	}
	if dropped.rep != nil {
		t.Errorf("client %v: %v before the partner answered, want no reply", dropped.hw, dropped.rep.Packet.MessageType())
	}
	if got := pk.QueueFull.Load(); got != 1 {
		t.Errorf("pkt4-queue-full %d, want 1", got)
	}
	if n := s.parked.Load(); n != 1 {
		t.Errorf("%d replies parked, want 1", n)
	}
	close(partner.release)
	if r := <-results; r.rep == nil || r.rep.Packet.MessageType() != dhcpv4.Ack {
		t.Errorf("client %v: %+v, want an ACK once the partner answered", r.hw, r.rep)
	}
}
