package engine

import (
	"context"
	"fmt"
	"net"
	"net/netip"
	"strings"
	"testing"
	"time"

	"github.com/leased/leased/dhcpserver/dhcptest"
	"github.com/leased/leased/dhcpv4"
	"github.com/leased/leased/lease"
	"github.com/leased/leased/lease/memfile"
)

// chanReplicator hands every batch to the test, which plays the partner.
type chanReplicator chan []*Replication

func (c chanReplicator) Replicate(batch []*Replication) {
	c <- append([]*Replication(nil), batch...)
}

// chanMetrics passes on each reply counted sent and each drop.
type chanMetrics struct {
	noMetrics
	sent  chan dhcpv4.MessageType
	drops chan DropReason
}

func (m chanMetrics) Sent(mt dhcpv4.MessageType) { m.sent <- mt }
func (m chanMetrics) Dropped(r DropReason)       { m.drops <- r }

func newReplicatingFixture(t *testing.T) (*Engine, *recordingStore, *eventLog, chanReplicator, chanMetrics) {
	t.Helper()
	mem, err := memfile.Open(memfile.Options{Path: t.TempDir() + "/leases", Persist: true})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { mem.Close() })
	log := &eventLog{}
	st := &recordingStore{Store: mem, log: log}
	repl := make(chanReplicator, 16)
	m := chanMetrics{sent: make(chan dhcpv4.MessageType, 16), drops: make(chan DropReason, 16)}
	// No lease cache: the renewal below writes its lease (a cached
	// renewal writes nothing, and has nothing to replicate).
	cfg := strings.Replace(testConfig, `"valid-lifetime": 3600,`, `"valid-lifetime": 3600, "cache-threshold": 0,`, 1)
	srv, err := New(context.Background(), loadConfig(t, cfg), st, &Options{Replicator: repl, Metrics: m})
	if err != nil {
		t.Fatal(err)
	}
	return srv, st, log, repl, m
}

// offerFor runs a DISCOVER for hw and returns the address offered.
func offerFor(t *testing.T, srv *Engine, log *eventLog, hw string) netip.Addr {
	t.Helper()
	off := serve(t, srv, &loggingWriter{log: log, id: -1}, dhcptest.Message{Type: dhcpv4.Discover, XID: 1, CHAddr: mac(hw)})
	if off == nil {
		t.Fatal("no OFFER")
	}
	return off.Packet.YIAddr()
}

// nextBatch waits for the replicator's next batch.
func nextBatch(t *testing.T, repl chanReplicator) []*Replication {
	t.Helper()
	select {
	case b := <-repl:
		return b
	case <-time.After(10 * time.Second):
		t.Fatal("nothing replicated in 10 s")
		return nil
	}
}

// TestReplicationHoldsAck: an ACK waits, after its lease is durable, for
// the replicator's verdict; Done(true) sends it, Done(false) withholds it
// and counts the drop. The replication carries the lease written (a new
// lease, then the renewal with the lease it replaced).
func TestReplicationHoldsAck(t *testing.T) {
	for _, deferred := range []bool{true, false} {
		name := "deferred"
		if !deferred {
			name = "inline"
		}
		t.Run(name, func(t *testing.T) {
			srv, _, log, repl, m := newReplicatingFixture(t)
			hw := "02:00:00:00:00:51"
			yi := offerFor(t, srv, log, hw)
			<-m.sent // the OFFER

			request := func() (*dhcptest.ResponseRecorder, chan struct{}) {
				req, err := dhcptest.NewRequest((&dhcptest.Message{Type: dhcpv4.Request, XID: 2, CHAddr: mac(hw), RequestedIP: yi, ServerID: serverAddr}).MustBuild())
				if err != nil {
					t.Fatal(err)
				}
				rec := dhcptest.NewRecorder(req)
				rec.NoDefer = !deferred
				returned := make(chan struct{})
				go func() { srv.ServeDHCP(rec, req); close(returned) }()
				return rec, returned
			}

			rec, returned := request()
			b := nextBatch(t, repl)
			if len(b) != 1 || len(b[0].Changes) != 1 {
				t.Fatalf("batch %+v: want one replication of one change", b)
			}
			r := b[0]
			if !r.Waits() {
				t.Error("Waits is false for the replication an ACK waits for")
			}
			if c := r.Changes[0]; c.Old != nil || c.New == nil || c.New.Addr != yi || c.New.SubnetID != 1 {
				t.Fatalf("change %+v: want a new lease of %v in subnet 1", c, yi)
			}
			if net.HardwareAddr(r.HWAddr).String() != hw {
				t.Errorf("HWAddr %v, want %s", r.HWAddr, hw)
			}
			select {
			case mt := <-m.sent:
				t.Fatalf("%v sent before the replication was done", mt)
			case <-time.After(50 * time.Millisecond):
			}
			r.Done(true)
			r.Done(false) // ignored
			<-returned
			ack, err := rec.Result()
			if err != nil || ack == nil || ack.Packet.MessageType() != dhcpv4.Ack || ack.Packet.YIAddr() != yi {
				t.Fatalf("after Done(true): %+v %v, want the ACK of %v", ack, err, yi)
			}
			if mt := <-m.sent; mt != dhcpv4.Ack {
				t.Errorf("counted %v sent, want ACK", mt)
			}

			// The renewal replaces the lease: Old is the first one.
			rec, returned = request()
			b = nextBatch(t, repl)
			if len(b) != 1 || len(b[0].Changes) != 1 || b[0].Changes[0].Old == nil || b[0].Changes[0].Old.Addr != yi || b[0].Changes[0].New == nil {
				t.Fatalf("renewal batch %+v: want the old and the new lease of %v", b, yi)
			}
			b[0].Done(false)
			<-returned
			if rep, err := rec.Result(); err != nil || rep != nil {
				t.Fatalf("ACK sent although the partner did not take the lease: %+v %v", rep, err)
			}
			if d := <-m.drops; d != DropNotReplicated {
				t.Errorf("dropped as %v, want %v", d, DropNotReplicated)
			}
		})
	}
}

// TestReplicationRelease: a RELEASE's change is replicated once durable,
// with no reply waiting for it.
func TestReplicationRelease(t *testing.T) {
	srv, _, log, repl, _ := newReplicatingFixture(t)
	hw := "02:00:00:00:00:52"
	yi := offerFor(t, srv, log, hw)
	ack := serveAsync(t, srv, dhcptest.Message{Type: dhcpv4.Request, XID: 2, CHAddr: mac(hw), RequestedIP: yi, ServerID: serverAddr})
	nextBatch(t, repl)[0].Done(true)
	if rep := <-ack; rep == nil {
		t.Fatal("no ACK")
	}
	req, err := dhcptest.NewRequest((&dhcptest.Message{Type: dhcpv4.Release, XID: 3, CHAddr: mac(hw), CIAddr: yi, ServerID: serverAddr}).MustBuild())
	if err != nil {
		t.Fatal(err)
	}
	srv.ServeDHCP(dhcptest.NewRecorder(req), req)
	b := nextBatch(t, repl)
	if len(b) != 1 || len(b[0].Changes) != 1 {
		t.Fatalf("release batch %+v", b)
	}
	if b[0].Waits() {
		t.Error("Waits is true for a RELEASE, which no reply waits for")
	}
	c := b[0].Changes[0]
	if c.Old == nil || c.Old.Addr != yi || (c.New != nil && c.New.State != lease.StateReleased) {
		t.Fatalf("release change %+v: want the lease of %v deleted or released", c, yi)
	}
	b[0].Done(true) // nothing to send; must not panic
}

// TestReplicationNotDurable: a batch whose sync fails is never handed to
// the replicator (the partner must not hold a lease this server lost).
func TestReplicationNotDurable(t *testing.T) {
	srv, st, log, repl, m := newReplicatingFixture(t)
	hw := "02:00:00:00:00:53"
	yi := offerFor(t, srv, log, hw)
	st.mu.Lock()
	st.fail = true
	st.mu.Unlock()
	ack := serveAsync(t, srv, dhcptest.Message{Type: dhcpv4.Request, XID: 2, CHAddr: mac(hw), RequestedIP: yi, ServerID: serverAddr})
	if rep := <-ack; rep != nil {
		t.Fatalf("ACK sent although the lease is not durable: %+v", rep)
	}
	select {
	case b := <-repl:
		t.Fatalf("replicated %d writes that are not durable", len(b))
	default:
	}
	select {
	case d := <-m.drops:
		if d != DropNotDurable {
			t.Errorf("dropped as %v, want %v", d, DropNotDurable)
		}
	case <-time.After(10 * time.Second):
		t.Error("the withheld ACK was not counted as dropped")
	}
}

// serveAsync serves m with a deferring recorder and returns the reply
// (nil if none) on a channel once it is known.
func serveAsync(t *testing.T, srv *Engine, m dhcptest.Message) <-chan *dhcptest.Reply {
	t.Helper()
	req, err := dhcptest.NewRequest(m.MustBuild())
	if err != nil {
		t.Fatal(err)
	}
	rec := dhcptest.NewRecorder(req)
	out := make(chan *dhcptest.Reply, 1)
	go func() {
		srv.ServeDHCP(rec, req)
		rep, err := rec.Result()
		if err != nil {
			t.Error(err)
		}
		out <- rep
	}()
	return out
}

// noReleasedStore refuses released leases, as lease/pgsql on Kea 2.2's
// schema does.
type noReleasedStore struct{ lease.Store }

func (s noReleasedStore) Update(ctx context.Context, prev, l *lease.Lease, d lease.Durability) error {
	if l.State == lease.StateReleased {
		return fmt.Errorf("lease %v: %w", l.Addr, lease.ErrStateUnsupported)
	}
	return s.Store.Update(ctx, prev, l, d)
}

// TestReleaseWithoutReleasedState: in a store with no released state, a
// RELEASE deletes the lease (as Kea 2.2 does) instead of leaving it held.
func TestReleaseWithoutReleasedState(t *testing.T) {
	mem, err := memfile.Open(memfile.Options{Path: t.TempDir() + "/leases", Persist: true})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { mem.Close() })
	srv, err := New(context.Background(), loadConfig(t, testConfig), noReleasedStore{mem}, nil)
	if err != nil {
		t.Fatal(err)
	}
	log := &eventLog{}
	hw := "02:00:00:00:00:54"
	yi := offerFor(t, srv, log, hw)
	if ack := serve(t, srv, &loggingWriter{log: log, id: 1}, dhcptest.Message{Type: dhcpv4.Request, XID: 2, CHAddr: mac(hw), RequestedIP: yi, ServerID: serverAddr}); ack == nil {
		t.Fatal("no ACK")
	}
	req, err := dhcptest.NewRequest((&dhcptest.Message{Type: dhcpv4.Release, XID: 3, CHAddr: mac(hw), CIAddr: yi, ServerID: serverAddr}).MustBuild())
	if err != nil {
		t.Fatal(err)
	}
	srv.ServeDHCP(dhcptest.NewRecorder(req), req)
	var l lease.Lease
	if ok, err := mem.Get(context.Background(), yi, &l); err != nil || ok {
		t.Fatalf("after RELEASE the store holds %+v (%v), want no lease", l, err)
	}
}

// TestReplicationCachedRenewal: a renewal the lease cache answers without
// writing is still replicated before its ACK leaves, so a client whose
// previous ACK was dropped before its lease reached the partner is not
// acknowledged with the partner unaware.
func TestReplicationCachedRenewal(t *testing.T) {
	mem, err := memfile.Open(memfile.Options{Path: t.TempDir() + "/leases", Persist: true})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { mem.Close() })
	repl := make(chanReplicator, 16)
	// testConfig leaves cache-threshold at its default, 0.25.
	srv, err := New(context.Background(), loadConfig(t, testConfig), mem, &Options{Replicator: repl})
	if err != nil {
		t.Fatal(err)
	}
	log := &eventLog{}
	hw := "02:00:00:00:00:55"
	yi := offerFor(t, srv, log, hw)
	for i, what := range []string{"first request", "cached renewal"} {
		ack := serveAsync(t, srv, dhcptest.Message{Type: dhcpv4.Request, XID: uint32(2 + i), CHAddr: mac(hw), RequestedIP: yi, ServerID: serverAddr})
		b := nextBatch(t, repl)
		if len(b) != 1 || len(b[0].Changes) != 1 || b[0].Changes[0].New == nil || b[0].Changes[0].New.Addr != yi {
			t.Fatalf("%s: batch %+v, want the lease of %v", what, b, yi)
		}
		b[0].Done(true)
		if rep := <-ack; rep == nil || rep.Packet.MessageType() != dhcpv4.Ack {
			t.Fatalf("%s: no ACK", what)
		}
	}
}
