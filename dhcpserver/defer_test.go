package dhcpserver_test

import (
	"context"
	"errors"
	"net"
	"runtime"
	"testing"
	"time"

	"github.com/leased/leased/dhcpserver"
	"github.com/leased/leased/dhcpserver/dhcptest"
	"github.com/leased/leased/dhcpv4"
)

// modes runs a test against a server with workers and against an inline
// server.
func modes(t *testing.T, fn func(t *testing.T, inline bool)) {
	for _, inline := range []bool{false, true} {
		name := "workers"
		if inline {
			name = "inline"
		}
		t.Run(name, func(t *testing.T) { fn(t, inline) })
	}
}

func startServer(t *testing.T, h dhcpserver.Handler, inline bool, setup func(*dhcpserver.Server)) *dhcptest.Server {
	t.Helper()
	ts := dhcptest.NewUnstartedServer(t, h)
	ts.Config.Inline = inline
	if setup != nil {
		setup(ts.Config)
	}
	ts.Start()
	return ts
}

// deferTo returns a handler that answers a DISCOVER with an OFFER it
// defers and passes to out, after filling in part of it before and part
// after Defer.
func deferTo(t *testing.T, out chan<- dhcpserver.Deferred) dhcpserver.Handler {
	return dhcpserver.HandlerFunc(func(w dhcpserver.ResponseWriter, r *dhcpserver.Request) {
		b := w.Reply(dhcpv4.Offer)
		b.SetYIAddr(yiaddr)
		d, ok := w.(dhcpserver.Deferrer).Defer()
		if !ok {
			t.Error("Defer refused")
			return
		}
		if d2, _ := w.(dhcpserver.Deferrer).Defer(); d2 != d {
			t.Error("a second Defer returned another Deferred")
		}
		b.AddIP(dhcpv4.OptionServerID, r.Local)
		out <- d
	})
}

func TestDeferSend(t *testing.T) {
	modes(t, func(t *testing.T, inline bool) {
		pending := make(chan dhcpserver.Deferred, 4)
		ts := startServer(t, deferTo(t, pending), inline, nil)
		c := ts.Client
		if err := c.Send((&dhcptest.Message{Type: dhcpv4.Discover, XID: 1, CHAddr: hw(1)}).MustBuild()); err != nil {
			t.Fatal(err)
		}
		d := <-pending
		// The handler has returned: the server is free for other
		// clients while the reply waits.
		if err := c.Send((&dhcptest.Message{Type: dhcpv4.Discover, XID: 2, CHAddr: hw(2)}).MustBuild()); err != nil {
			t.Fatal(err)
		}
		d2 := <-pending
		c.Timeout = 100 * time.Millisecond
		if p, err := c.Receive(1); !errors.Is(err, dhcptest.ErrTimeout) {
			t.Fatalf("deferred reply arrived before Send: %v %v", p, err)
		}
		// Finished out of order: each goes out when sent.
		c.Timeout = 5 * time.Second
		for _, x := range []struct {
			d   dhcpserver.Deferred
			xid uint32
		}{{d2, 2}, {d, 1}} {
			if err := x.d.Send(); err != nil {
				t.Fatal(err)
			}
			xid := x.xid
			p, err := c.Receive(xid)
			if err != nil {
				t.Fatalf("xid %d: %v", xid, err)
			}
			if p.MessageType() != dhcpv4.Offer || p.YIAddr() != yiaddr {
				t.Errorf("xid %d: %v of %v", xid, p.MessageType(), p.YIAddr())
			}
			if sid, ok := p.ServerID(); !ok || sid != loopback {
				t.Errorf("xid %d: server id added after Defer is %v %v", xid, sid, ok)
			}
		}
		if err := d.Send(); !errors.Is(err, dhcpserver.ErrNotDeferred) {
			t.Errorf("second Send = %v, want ErrNotDeferred", err)
		}
		waitStats(t, ts.Config, func(st dhcpserver.Stats) bool {
			return st.Deferred == 2 && st.Sent == 2 && st.NoReply == 0 && st.SendErrors == 0
		})
	})
}

func TestDeferCancel(t *testing.T) {
	modes(t, func(t *testing.T, inline bool) {
		pending := make(chan dhcpserver.Deferred, 1)
		ts := startServer(t, deferTo(t, pending), inline, nil)
		if err := ts.Client.Send((&dhcptest.Message{Type: dhcpv4.Discover, XID: 1, CHAddr: hw(1)}).MustBuild()); err != nil {
			t.Fatal(err)
		}
		d := <-pending
		d.Cancel()
		d.Cancel() // harmless
		if err := d.Send(); !errors.Is(err, dhcpserver.ErrNotDeferred) {
			t.Errorf("Send after Cancel = %v, want ErrNotDeferred", err)
		}
		ts.Client.Timeout = 200 * time.Millisecond
		if p, err := ts.Client.Receive(1); !errors.Is(err, dhcptest.ErrTimeout) {
			t.Errorf("cancelled reply arrived: %v %v", p, err)
		}
		waitStats(t, ts.Config, func(st dhcpserver.Stats) bool { return st.Deferred == 1 && st.NoReply == 1 && st.Sent == 0 })
	})
}

// TestDeferWithoutReply: a deferred handler that never calls Reply sends
// nothing, and the message counts as unanswered.
func TestDeferWithoutReply(t *testing.T) {
	modes(t, func(t *testing.T, inline bool) {
		ts := startServer(t, dhcpserver.HandlerFunc(func(w dhcpserver.ResponseWriter, r *dhcpserver.Request) {
			d, _ := w.(dhcpserver.Deferrer).Defer()
			go d.Send()
		}), inline, nil)
		if err := ts.Client.Send((&dhcptest.Message{Type: dhcpv4.Discover, XID: 1, CHAddr: hw(1)}).MustBuild()); err != nil {
			t.Fatal(err)
		}
		waitStats(t, ts.Config, func(st dhcpserver.Stats) bool { return st.Deferred == 1 && st.NoReply == 1 && st.Sent == 0 })
	})
}

// TestDeferLimit: beyond MaxDeferred outstanding replies, Defer refuses
// and the handler answers before it returns.
func TestDeferLimit(t *testing.T) {
	modes(t, func(t *testing.T, inline bool) {
		pending := make(chan dhcpserver.Deferred, 8)
		ts := startServer(t, dhcpserver.HandlerFunc(func(w dhcpserver.ResponseWriter, r *dhcpserver.Request) {
			w.Reply(dhcpv4.Offer).SetYIAddr(yiaddr)
			if d, ok := w.(dhcpserver.Deferrer).Defer(); ok {
				pending <- d
			}
		}), inline, func(s *dhcpserver.Server) { s.MaxDeferred = 2 })
		c := ts.Client
		for i := range 2 {
			if err := c.Send((&dhcptest.Message{Type: dhcpv4.Discover, XID: uint32(i), CHAddr: hw(i)}).MustBuild()); err != nil {
				t.Fatal(err)
			}
		}
		ds := []dhcpserver.Deferred{<-pending, <-pending}
		// Two are outstanding: the third is answered at once.
		if _, err := c.Exchange((&dhcptest.Message{Type: dhcpv4.Discover, XID: 9, CHAddr: hw(9)}).MustBuild()); err != nil {
			t.Fatalf("third message: %v", err)
		}
		if st := ts.Config.Stats(); st.DeferRefused != 1 || st.Deferred != 2 {
			t.Errorf("stats %+v, want 2 deferred and 1 refused", st)
		}
		// Finishing one makes room again.
		ds[0].Send()
		if err := c.Send((&dhcptest.Message{Type: dhcpv4.Discover, XID: 10, CHAddr: hw(10)}).MustBuild()); err != nil {
			t.Fatal(err)
		}
		ds = append(ds, <-pending)
		for _, d := range ds[1:] {
			d.Send()
		}
		waitStats(t, ts.Config, func(st dhcpserver.Stats) bool { return st.Deferred == 3 && st.Sent == 4 })
	})
}

// TestShutdownWaitsForDeferred: Shutdown returns only once every deferred
// reply is finished, and the reply still goes out.
func TestShutdownWaitsForDeferred(t *testing.T) {
	modes(t, func(t *testing.T, inline bool) {
		pending := make(chan dhcpserver.Deferred, 1)
		ts := startServer(t, deferTo(t, pending), inline, nil)
		if err := ts.Client.Send((&dhcptest.Message{Type: dhcpv4.Discover, XID: 3, CHAddr: hw(3)}).MustBuild()); err != nil {
			t.Fatal(err)
		}
		d := <-pending
		ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
		defer cancel()
		if err := ts.Config.Shutdown(ctx); !errors.Is(err, context.DeadlineExceeded) {
			t.Errorf("Shutdown with a deferred reply outstanding = %v, want deadline exceeded", err)
		}
		if err := d.Send(); err != nil {
			t.Errorf("Send during Shutdown: %v", err)
		}
		if err := ts.Config.Shutdown(context.Background()); err != nil {
			t.Errorf("Shutdown = %v", err)
		}
		if _, err := ts.Client.Receive(3); err != nil {
			t.Errorf("deferred reply sent during Shutdown: %v", err)
		}
	})
}

// TestCloseDiscardsDeferred: after Close, Send sends nothing.
func TestCloseDiscardsDeferred(t *testing.T) {
	modes(t, func(t *testing.T, inline bool) {
		pending := make(chan dhcpserver.Deferred, 1)
		ts := startServer(t, deferTo(t, pending), inline, nil)
		if err := ts.Client.Send((&dhcptest.Message{Type: dhcpv4.Discover, XID: 4, CHAddr: hw(4)}).MustBuild()); err != nil {
			t.Fatal(err)
		}
		d := <-pending
		ts.Config.Close()
		if err := d.Send(); err != nil {
			t.Errorf("Send after Close: %v", err)
		}
		ts.Client.Timeout = 200 * time.Millisecond
		if _, err := ts.Client.Receive(4); !errors.Is(err, dhcptest.ErrTimeout) {
			t.Errorf("reply sent after Close: %v", err)
		}
		if st := ts.Config.Stats(); st.Sent != 0 {
			t.Errorf("stats %+v", st)
		}
	})
}

// TestInline runs the basic exchanges against an inline server: replies
// by every route, several clients' messages in one batch.
func TestInline(t *testing.T) {
	ts := startServer(t, offerAll, true, nil)
	if got, err := ts.Client.DORA(42, hw(1)); err != nil || got != yiaddr {
		t.Fatalf("DORA: %v %v", got, err)
	}
	// A burst: the replies of one read batch go out with one sendmmsg.
	const n = 50
	for i := range n {
		if err := ts.Client.Send((&dhcptest.Message{Type: dhcpv4.Discover, XID: uint32(1000 + i), CHAddr: hw(i), GIAddr: loopback}).MustBuild()); err != nil {
			t.Fatal(err)
		}
	}
	for i := range n {
		if _, err := ts.Client.Receive(uint32(1000 + i)); err != nil {
			t.Fatalf("burst reply %d: %v", i, err)
		}
	}
	waitStats(t, ts.Config, func(st dhcpserver.Stats) bool {
		return st.Received == n+2 && st.Sent == n+2 && st.Dropped == 0 && st.SendErrors == 0
	})
}

// TestInlineZeroAllocs checks that an inline server allocates nothing per
// message, for replies sent at once and for deferred ones.
func TestInlineZeroAllocs(t *testing.T) {
	if testing.Short() {
		t.Skip("exchanges a thousand messages")
	}
	pending := make(chan dhcpserver.Deferred, 16)
	pendingAll := make(chan dhcpserver.Deferred, 16)
	go func() {
		for d := range pending {
			d.Send()
		}
	}()
	// After the server's own cleanup (last in, first out).
	t.Cleanup(func() { close(pending); close(pendingAll) })
	ts := startServer(t, dhcpserver.Mux{
		Discover: offerAll.Discover,
		Request: dhcpserver.HandlerFunc(func(w dhcpserver.ResponseWriter, r *dhcpserver.Request) {
			d, ok := w.(dhcpserver.Deferrer).Defer()
			offerAll.Request.ServeDHCP(w, r)
			switch {
			case !ok:
			case r.Packet.Secs()%2 == 0:
				pending <- d
			default:
				pendingAll <- d
			}
		}),
	}, true, nil)
	// Half the deferred replies go out through SendAll.
	go func() {
		var batch [1]dhcpserver.Deferred
		for d := range pendingAll {
			batch[0] = d
			dhcpserver.SendAll(batch[:])
		}
	}()
	disc := (&dhcptest.Message{Type: dhcpv4.Discover, XID: 1, CHAddr: hw(1)}).MustBuild()
	req := (&dhcptest.Message{Type: dhcpv4.Request, XID: 2, CHAddr: hw(1), RequestedIP: yiaddr}).MustBuild()
	req2 := append([]byte(nil), req...)
	req2[9] = 1 // secs 1: sent through SendAll
	exchange := func() {
		for _, m := range [][]byte{disc, req, disc, req2} {
			if _, err := ts.Client.Exchange(m); err != nil {
				t.Fatal(err)
			}
		}
	}
	for range 200 {
		exchange()
	}
	// AllocsPerRun sets GOMAXPROCS to 1. The inline reader chose raw
	// blocking reads when it started with 2; it must notice the drop and
	// read as an ordinary system call, or it holds the only P and other
	// goroutines run only when it yields or is preempted, tens of
	// milliseconds per exchange (these 500 runs took a minute before
	// reader.recv checked GOMAXPROCS; now well under a second).
	if n := testing.AllocsPerRun(500, exchange); n != 0 {
		t.Errorf("%v allocations per exchange, want 0", n)
	}
	if st := ts.Config.Stats(); st.Deferred < 500 {
		t.Errorf("stats %+v: REQUESTs not deferred", st)
	}
}

// otherDeferred is a Deferred of another implementation, for SendAll.
type otherDeferred struct{ sent *int }

func (o otherDeferred) Send() error { *o.sent++; return nil }
func (o otherDeferred) Cancel()     {}

// TestSendAll finishes a group of deferred replies with one call: all of
// them arrive, in order, across more than one sendmmsg batch; one the
// handler never answered counts as unanswered; a nil entry is skipped and
// a Deferred of another implementation is sent with its own Send.
func TestSendAll(t *testing.T) {
	modes(t, func(t *testing.T, inline bool) {
		type deferredXID struct {
			d   dhcpserver.Deferred
			xid uint32
		}
		pending := make(chan deferredXID, 80)
		// The replies of a burst go to a socket with room for them all.
		sink, err := net.ListenUDP("udp4", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1)})
		if err != nil {
			t.Fatal(err)
		}
		defer sink.Close()
		sink.SetReadBuffer(1 << 20)
		dst := sink.LocalAddr().(*net.UDPAddr).AddrPort()
		ts := startServer(t, dhcpserver.HandlerFunc(func(w dhcpserver.ResponseWriter, r *dhcpserver.Request) {
			d, _ := w.(dhcpserver.Deferrer).Defer()
			if r.Packet.XID() != 999 { // 999: no reply
				b := w.Reply(dhcpv4.Offer)
				b.SetYIAddr(yiaddr)
				w.SetDestination(dst)
			}
			pending <- deferredXID{d, r.Packet.XID()}
		}), inline, nil)
		const n = 70 // more than one sendmmsg batch
		for i := range n {
			if err := ts.Client.Send((&dhcptest.Message{Type: dhcpv4.Discover, XID: uint32(i), CHAddr: hw(i)}).MustBuild()); err != nil {
				t.Fatal(err)
			}
		}
		if err := ts.Client.Send((&dhcptest.Message{Type: dhcpv4.Discover, XID: 999, CHAddr: hw(999)}).MustBuild()); err != nil {
			t.Fatal(err)
		}
		// Workers hand the replies over in any order; they go out in
		// the order of ds.
		var ds []dhcpserver.Deferred
		var xids []uint32
		for range n + 1 {
			p := <-pending
			if p.xid == 5 {
				// Cancelled, and so finished: it must not go to
				// SendAll, since its buffer may already serve
				// another message.
				p.d.Cancel()
				continue
			}
			ds = append(ds, p.d)
			if p.xid != 999 {
				xids = append(xids, p.xid)
			}
		}
		other := 0
		ds = append(ds, nil, otherDeferred{&other})
		if err := dhcpserver.SendAll(ds); err != nil {
			t.Fatal(err)
		}
		if other != 1 {
			t.Errorf("the other Deferred was sent %d times", other)
		}
		sink.SetReadDeadline(time.Now().Add(5 * time.Second))
		buf := make([]byte, 1500)
		for _, xid := range xids {
			n, err := sink.Read(buf)
			if err != nil {
				t.Fatalf("reply %d: %v", xid, err)
			}
			p, err := dhcpv4.Parse(buf[:n])
			if err != nil || p.XID() != xid {
				t.Fatalf("got %v %v, want the reply to %d", p, err, xid)
			}
		}
		waitStats(t, ts.Config, func(st dhcpserver.Stats) bool {
			return st.Deferred == n+1 && st.Sent == n-1 && st.NoReply == 2 && st.SendErrors == 0
		})
		// Everything is finished: Shutdown does not wait.
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		if err := ts.Config.Shutdown(ctx); err != nil {
			t.Errorf("Shutdown: %v", err)
		}
	})
}

// TestInlineServersHoldingEveryP runs more inline servers than the program
// has Ps. Each reader blocks in a raw system call and holds its P, so the
// goroutines that finish deferred replies only run because readers yield
// their P: every exchange must still complete.
func TestInlineServersHoldingEveryP(t *testing.T) {
	defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(2))
	pending := make(chan dhcpserver.Deferred, 64)
	go func() {
		for d := range pending {
			d.Send()
		}
	}()
	// Cleanups run last in first out: this one after the servers are
	// shut down, when no handler sends any more.
	t.Cleanup(func() { close(pending) })
	h := dhcpserver.HandlerFunc(func(w dhcpserver.ResponseWriter, r *dhcpserver.Request) {
		d, ok := w.(dhcpserver.Deferrer).Defer()
		w.Reply(dhcpv4.Offer).SetYIAddr(yiaddr)
		if ok {
			pending <- d
		}
	})
	servers := make([]*dhcptest.Server, 3)
	for i := range servers {
		servers[i] = startServer(t, h, true, nil)
	}
	for round := range 20 {
		for i, ts := range servers {
			if _, err := ts.Client.Exchange((&dhcptest.Message{Type: dhcpv4.Discover, XID: uint32(round), CHAddr: hw(i)}).MustBuild()); err != nil {
				t.Fatalf("server %d, round %d: %v", i, round, err)
			}
		}
	}
}
