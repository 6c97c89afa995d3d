package engine

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"sync"
	"testing"
	"time"

	"github.com/leased/leased/dhcpserver"
	"github.com/leased/leased/dhcpserver/dhcptest"
	"github.com/leased/leased/dhcpv4"
	"github.com/leased/leased/lease"
	"github.com/leased/leased/lease/memfile"
)

// event is one step seen by the recording store or ResponseWriter.
type event struct {
	kind string // "write", "sync-start", "sync-done", "send", "returned"
	addr netip.Addr
	id   int // the request, for "send" and "returned"
}

// eventLog records events in the order they happen, across goroutines.
type eventLog struct {
	mu     sync.Mutex
	events []event
}

func (l *eventLog) add(e event) {
	l.mu.Lock()
	l.events = append(l.events, e)
	l.mu.Unlock()
}

func (l *eventLog) snapshot() []event {
	l.mu.Lock()
	defer l.mu.Unlock()
	return append([]event(nil), l.events...)
}

// recordingStore is a lease.Store that logs writes and the start and end
// of every Sync, and can hold or fail Syncs.
type recordingStore struct {
	lease.Store
	log  *eventLog
	fail bool          // Sync fails (after the inner Sync)
	hold chan struct{} // when not nil, Sync waits for it to be closed
	mu   sync.Mutex
}

func (s *recordingStore) Add(ctx context.Context, l *lease.Lease, d lease.Durability) error {
	err := s.Store.Add(ctx, l, d)
	if err == nil {
		s.log.add(event{kind: "write", addr: l.Addr})
	}
	return err
}

func (s *recordingStore) Update(ctx context.Context, prev, l *lease.Lease, d lease.Durability) error {
	err := s.Store.Update(ctx, prev, l, d)
	if err == nil {
		s.log.add(event{kind: "write", addr: l.Addr})
	}
	return err
}

func (s *recordingStore) Sync(ctx context.Context) error {
	s.log.add(event{kind: "sync-start"})
	s.mu.Lock()
	hold, fail := s.hold, s.fail
	s.mu.Unlock()
	if hold != nil {
		<-hold
	}
	err := s.Store.Sync(ctx)
	if err == nil && fail {
		err = errors.New("disk on fire")
	}
	if err == nil {
		s.log.add(event{kind: "sync-done"})
	}
	return err
}

// loggingWriter records when its deferred reply is sent.
type loggingWriter struct {
	*dhcptest.ResponseRecorder
	log *eventLog
	id  int
}

func (w *loggingWriter) Defer() (dhcpserver.Deferred, bool) {
	d, ok := w.ResponseRecorder.Defer()
	if !ok {
		return nil, false
	}
	return loggingDeferred{d, w}, true
}

type loggingDeferred struct {
	dhcpserver.Deferred
	w *loggingWriter
}

func (d loggingDeferred) Send() error {
	d.w.log.add(event{kind: "send", id: d.w.id})
	return d.Deferred.Send()
}

func newRecordingFixture(t *testing.T) (*Engine, *recordingStore, *eventLog) {
	return newRecordingFixtureConfig(t, testConfig)
}

func newRecordingFixtureConfig(t *testing.T, cfg string) (*Engine, *recordingStore, *eventLog) {
	t.Helper()
	mem, err := memfile.Open(memfile.Options{Path: t.TempDir() + "/leases", Persist: true})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { mem.Close() })
	log := &eventLog{}
	st := &recordingStore{Store: mem, log: log}
	srv, err := New(context.Background(), loadConfig(t, cfg), st, nil)
	if err != nil {
		t.Fatal(err)
	}
	return srv, st, log
}

// checkDurableBeforeSend checks, for every ACK sent, that its lease's last
// write before the send was followed by the start of a Sync that completed
// before the send.
func checkDurableBeforeSend(t *testing.T, evs []event, acked map[int]netip.Addr) {
	t.Helper()
	for id, a := range acked {
		send := -1
		for i, e := range evs {
			if (e.kind == "send" || e.kind == "returned") && e.id == id {
				send = i
				break
			}
		}
		if send < 0 {
			t.Errorf("request %d: ACK of %v with no send recorded", id, a)
			continue
		}
		write := -1
		for i := send - 1; i >= 0; i-- {
			if evs[i].kind == "write" && evs[i].addr == a {
				write = i
				break
			}
		}
		if write < 0 {
			t.Errorf("request %d: ACK of %v sent with no write of the lease before it", id, a)
			continue
		}
		ok, started := false, false
		for _, e := range evs[write+1 : send] {
			switch e.kind {
			case "sync-start":
				started = true
			case "sync-done":
				ok = ok || started
			}
		}
		if !ok {
			t.Errorf("request %d: ACK of %v sent (event %d) before a Sync that began after its write (event %d) completed", id, a, send, write)
		}
	}
}

// TestAckAfterDurable runs many clients through DORA at once, with the
// ACKs deferred to the committer, and checks from the recorded order of
// events that no ACK was sent before its lease was synced, and that
// syncs were shared.
func TestAckAfterDurable(t *testing.T) {
	srv, _, log := newRecordingFixture(t)
	const clients = 64
	var wg sync.WaitGroup
	var mu sync.Mutex
	acked := map[int]netip.Addr{}
	for c := range clients {
		wg.Add(1)
		go func() {
			defer wg.Done()
			hw := net.HardwareAddr{2, 0, 0, 0, 1, byte(c)}
			off := serve(t, srv, &loggingWriter{log: log, id: -1}, dhcptest.Message{Type: dhcpv4.Discover, XID: 1, CHAddr: hw, GIAddr: relayAddr, Hops: 1})
			if off == nil {
				t.Errorf("client %d: no OFFER", c)
				return
			}
			w := &loggingWriter{log: log, id: c}
			ack := serve(t, srv, w, dhcptest.Message{Type: dhcpv4.Request, XID: 2, CHAddr: hw, GIAddr: relayAddr, Hops: 1,
				RequestedIP: off.Packet.YIAddr(), ServerID: serverAddr})
			if ack == nil || ack.Packet.MessageType() != dhcpv4.Ack {
				t.Errorf("client %d: no ACK: %+v", c, ack)
				return
			}
			if !w.Deferred() {
				t.Errorf("client %d: ACK not deferred", c)
			}
			mu.Lock()
			acked[c] = ack.Packet.YIAddr()
			mu.Unlock()
		}()
	}
	wg.Wait()
	evs := log.snapshot()
	if len(acked) != clients {
		t.Fatalf("%d ACKs for %d clients", len(acked), clients)
	}
	checkDurableBeforeSend(t, evs, acked)
	syncs := 0
	for _, e := range evs {
		if e.kind == "sync-done" {
			syncs++
		}
	}
	t.Logf("%d ACKs, %d syncs", clients, syncs)
	if syncs == 0 || syncs > clients {
		t.Errorf("%d syncs for %d ACKs", syncs, clients)
	}
}

// serve hands one message to the server through w and returns the reply
// (nil if none), waiting for a deferred one.
func serve(t *testing.T, srv *Engine, w *loggingWriter, m dhcptest.Message) *dhcptest.Reply {
	t.Helper()
	req, err := dhcptest.NewRequest(m.MustBuild())
	if err != nil {
		t.Error(err)
		return nil
	}
	w.ResponseRecorder = dhcptest.NewRecorder(req)
	srv.ServeDHCP(w, req)
	if !w.ResponseRecorder.Deferred() {
		w.log.add(event{kind: "returned", id: w.id})
	}
	rep, err := w.Result()
	if err != nil {
		t.Error(err)
		return nil
	}
	return rep
}

// TestAckAfterDurableNotDeferred: a ResponseWriter that cannot defer gets
// its ACK only after ServeDHCP itself synced the store.
func TestAckAfterDurableNotDeferred(t *testing.T) {
	srv, _, log := newRecordingFixture(t)
	hw := mac("02:00:00:00:00:31")
	w := &loggingWriter{log: log, id: 1}
	off := serve(t, srv, &loggingWriter{log: log, id: -1}, dhcptest.Message{Type: dhcpv4.Discover, XID: 1, CHAddr: hw})
	if off == nil {
		t.Fatal("no OFFER")
	}
	m := dhcptest.Message{Type: dhcpv4.Request, XID: 2, CHAddr: hw, RequestedIP: off.Packet.YIAddr(), ServerID: serverAddr}
	req, err := dhcptest.NewRequest(m.MustBuild())
	if err != nil {
		t.Fatal(err)
	}
	w.ResponseRecorder = dhcptest.NewRecorder(req)
	w.NoDefer = true
	srv.ServeDHCP(w, req)
	log.add(event{kind: "returned", id: 1})
	ack, err := w.Result()
	if err != nil || ack == nil || ack.Packet.MessageType() != dhcpv4.Ack {
		t.Fatalf("no ACK: %+v %v", ack, err)
	}
	checkDurableBeforeSend(t, log.snapshot(), map[int]netip.Addr{1: ack.Packet.YIAddr()})
}

// TestSyncFailureCancelsAcks: when the store cannot make the leases
// durable, the deferred ACKs are cancelled, not sent.
func TestSyncFailureCancelsAcks(t *testing.T) {
	for _, deferred := range []bool{true, false} {
		t.Run(fmt.Sprintf("deferred=%v", deferred), func(t *testing.T) {
			srv, st, log := newRecordingFixture(t)
			hw := mac("02:00:00:00:00:32")
			off := serve(t, srv, &loggingWriter{log: log, id: -1}, dhcptest.Message{Type: dhcpv4.Discover, XID: 1, CHAddr: hw})
			if off == nil {
				t.Fatal("no OFFER")
			}
			st.mu.Lock()
			st.fail = true
			st.mu.Unlock()
			m := dhcptest.Message{Type: dhcpv4.Request, XID: 2, CHAddr: hw, RequestedIP: off.Packet.YIAddr(), ServerID: serverAddr}
			req, err := dhcptest.NewRequest(m.MustBuild())
			if err != nil {
				t.Fatal(err)
			}
			rec := dhcptest.NewRecorder(req)
			rec.NoDefer = !deferred
			srv.ServeDHCP(rec, req)
			if rep, err := rec.Result(); err != nil || rep != nil {
				t.Errorf("ACK sent although the lease is not durable: %+v %v", rep, err)
			}
			if rec.Deferred() != deferred {
				t.Errorf("deferred = %v", rec.Deferred())
			}
		})
	}
}

// TestAckWaitsForSyncE2E serves over loopback with an inline
// dhcpserver.Server, whose replies the server defers: while the store's
// Sync is held, the ACK does not arrive, and other clients' OFFERs still
// do; once Sync completes, the ACK arrives.
func TestAckWaitsForSyncE2E(t *testing.T) {
	// The test client relays from 127.0.0.1 and receives the replies sent
	// to the relay.
	srv, st, _ := newRecordingFixtureConfig(t, `{"Dhcp4": {"subnet4": [{"id": 1, "subnet": "127.0.0.0/8", "pools": [{"pool": "127.0.1.1 - 127.0.1.100"}]}]}}`)
	lo := netip.MustParseAddr("127.0.0.1")
	relayAddr, serverAddr := lo, lo
	ts := dhcptest.NewUnstartedServer(t, srv)
	ts.Config.Inline = true
	ts.Start()
	c := ts.Client
	off, err := c.Exchange((&dhcptest.Message{Type: dhcpv4.Discover, XID: 1, CHAddr: mac("02:00:00:00:00:41"), GIAddr: relayAddr, Hops: 1}).MustBuild())
	if err != nil {
		t.Fatal(err)
	}
	yi := off.YIAddr()
	hold := make(chan struct{})
	st.mu.Lock()
	st.hold = hold
	st.mu.Unlock()
	if err := c.Send((&dhcptest.Message{Type: dhcpv4.Request, XID: 2, CHAddr: mac("02:00:00:00:00:41"), GIAddr: relayAddr, Hops: 1,
		RequestedIP: yi, ServerID: serverAddr}).MustBuild()); err != nil {
		t.Fatal(err)
	}
	// Another client is served while the first one's ACK waits.
	if _, err := c.Exchange((&dhcptest.Message{Type: dhcpv4.Discover, XID: 3, CHAddr: mac("02:00:00:00:00:42"), GIAddr: relayAddr, Hops: 1}).MustBuild()); err != nil {
		t.Fatalf("OFFER while a sync is held: %v", err)
	}
	c.Timeout = 200 * time.Millisecond
	if p, err := c.Receive(2); !errors.Is(err, dhcptest.ErrTimeout) {
		t.Fatalf("ACK arrived while its lease's sync was held: %v %v", p, err)
	}
	st.mu.Lock()
	st.hold = nil
	st.mu.Unlock()
	close(hold)
	c.Timeout = 5 * time.Second
	ack, err := c.Receive(2)
	if err != nil {
		t.Fatalf("ACK after the sync: %v", err)
	}
	if ack.MessageType() != dhcpv4.Ack || ack.YIAddr() != yi {
		t.Errorf("got %v of %v", ack.MessageType(), ack.YIAddr())
	}
	if s := ts.Config.Stats(); s.Deferred != 1 {
		t.Errorf("stats %+v", s)
	}
}

// TestDeclineIsSynced: a DECLINE's quarantine reaches a Sync although no
// reply waits for it.
func TestDeclineIsSynced(t *testing.T) {
	srv, _, log := newRecordingFixture(t)
	f := &fixture{t: t, srv: srv}
	hw := mac("02:00:00:00:00:51")
	a := f.dora(hw)
	n := len(log.snapshot())
	f.send(dhcptest.Message{Type: dhcpv4.Decline, XID: 6, CHAddr: hw, RequestedIP: a, ServerID: serverAddr})
	deadline := time.Now().Add(5 * time.Second)
	for {
		evs := log.snapshot()[n:]
		wrote, synced := false, false
		for _, e := range evs {
			switch {
			case e.kind == "write" && e.addr == a:
				wrote = true
			case e.kind == "sync-done" && wrote:
				synced = true
			}
		}
		if synced {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("DECLINE of %v never synced: %+v", a, evs)
		}
		time.Sleep(time.Millisecond)
	}
}

// TestLargeGroup holds the store's Sync while hundreds of clients' ACKs
// queue up, then lets it go: the whole group, sent in paced slices, goes
// out, and only after the sync.
func TestLargeGroup(t *testing.T) {
	srv, st, log := newRecordingFixture(t)
	hold := make(chan struct{})
	st.mu.Lock()
	st.hold = hold
	st.mu.Unlock()
	const clients = 250 // several slices of sendSlice; the pool has 256
	type pending struct {
		w  *loggingWriter
		id int
	}
	ps := make([]pending, clients)
	for c := range clients {
		hw := net.HardwareAddr{2, 0, 0, 1, byte(c >> 8), byte(c)}
		off := serve(t, srv, &loggingWriter{log: log, id: -1}, dhcptest.Message{Type: dhcpv4.Discover, XID: 1, CHAddr: hw, GIAddr: relayAddr, Hops: 1})
		if off == nil {
			t.Fatalf("client %d: no OFFER", c)
		}
		m := dhcptest.Message{Type: dhcpv4.Request, XID: 2, CHAddr: hw, GIAddr: relayAddr, Hops: 1, RequestedIP: off.Packet.YIAddr(), ServerID: serverAddr}
		req, err := dhcptest.NewRequest(m.MustBuild())
		if err != nil {
			t.Fatal(err)
		}
		w := &loggingWriter{ResponseRecorder: dhcptest.NewRecorder(req), log: log, id: c}
		srv.ServeDHCP(w, req) // returns at once: the ACK waits for the held sync
		if !w.Deferred() {
			t.Fatalf("client %d: ACK not deferred", c)
		}
		ps[c] = pending{w, c}
	}
	st.mu.Lock()
	st.hold = nil
	st.mu.Unlock()
	close(hold)
	acked := map[int]netip.Addr{}
	for _, p := range ps {
		ack, err := p.w.Result()
		if err != nil || ack == nil || ack.Packet.MessageType() != dhcpv4.Ack {
			t.Fatalf("client %d: %+v %v", p.id, ack, err)
		}
		acked[p.id] = ack.Packet.YIAddr()
	}
	checkDurableBeforeSend(t, log.snapshot(), acked)
}
