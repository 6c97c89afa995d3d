package client

import (
	"bytes"
	"context"
	"errors"
	"net/netip"
	"slices"
	"testing"
	"testing/synctest"
	"time"

	"github.com/leased/leased/dhcpv4"
)

func TestAcquireRenewRelease(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		h := startClient(t, func(c *Config) {
			c.VendorClass = "leased-test"
			c.RequestedLeaseTime = 2 * time.Hour
			c.ClientID = []byte{0, 'c', 'p', 'e'}
		})
		start := time.Now()
		d := h.next(time.Second)
		p := d.p
		if p.MessageType() != dhcpv4.Discover || d.dst != Broadcast || d.bound.IsValid() {
			t.Fatalf("first message %v to %v on bound=%v, want a broadcast DHCPDISCOVER on the raw socket", p.MessageType(), d.dst, d.bound)
		}
		if !d.at.Equal(start) {
			t.Errorf("DISCOVER sent after %v with no InitDelay", d.at.Sub(start))
		}
		if !bytes.Equal(p.CHAddr(), testMAC) || p.CIAddr().IsValid() && !p.CIAddr().IsUnspecified() {
			t.Errorf("chaddr %x ciaddr %v", p.CHAddr(), p.CIAddr())
		}
		if got := p.ClientID(); !bytes.Equal(got, []byte{0, 'c', 'p', 'e'}) {
			t.Errorf("client id %x", got)
		}
		if string(p.HostName()) != "cpe" || string(p.VendorClass()) != "leased-test" {
			t.Errorf("host name %q vendor class %q", p.HostName(), p.VendorClass())
		}
		if lt, ok := p.LeaseTime(); !ok || lt != 7200 {
			t.Errorf("requested lease %d %v, want 7200", lt, ok)
		}
		if !bytes.Equal(p.ParameterList(), []byte{1, 3, 6, 12, 15, 26, 28, 42, 51, 58, 59, 119, 121}) {
			t.Errorf("parameter request list %v", p.ParameterList())
		}
		if p.HasOption(dhcpv4.OptionServerID) || p.HasOption(dhcpv4.OptionRequestedIP) {
			t.Error("DISCOVER carries a server id or requested address")
		}

		time.Sleep(2 * time.Second)
		h.n.deliver(offerFor(p))
		r := h.next(time.Second)
		q := r.p
		if q.MessageType() != dhcpv4.Request || r.dst != Broadcast {
			t.Fatalf("after OFFER: %v to %v", q.MessageType(), r.dst)
		}
		if q.XID() != p.XID() || q.Secs() != p.Secs() {
			t.Errorf("REQUEST xid %x secs %d, want the DISCOVER's %x %d", q.XID(), q.Secs(), p.XID(), p.Secs())
		}
		if ip, _ := q.RequestedIP(); ip != testAddr {
			t.Errorf("requested IP %v", ip)
		}
		if sid, _ := q.ServerID(); sid != testServer {
			t.Errorf("server id %v", sid)
		}
		if !q.CIAddr().IsUnspecified() {
			t.Errorf("ciaddr %v in SELECTING REQUEST", q.CIAddr())
		}

		h.n.deliver(reply(q, dhcpv4.Ack, replyOpts{yiaddr: testAddr, server: testServer, lease: 600, t1: 200, t2: 400}))
		st := h.waitState(StateBound)
		l := st.Lease
		if l.Address != netip.MustParsePrefix("192.0.2.50/24") || l.ServerID != testServer || l.LeaseTime != 600*time.Second ||
			l.T1 != 200*time.Second || l.T2 != 400*time.Second || !l.Obtained.Equal(r.at) {
			t.Errorf("lease %+v", l)
		}
		if !slices.Equal(l.Routers, []netip.Addr{testRouter}) || !slices.Equal(l.DNS, []netip.Addr{testDNS}) || l.DomainName != "example.test" {
			t.Errorf("lease configuration %v %v %q", l.Routers, l.DNS, l.DomainName)
		}
		if !bytes.Equal(l.ClientID, []byte{0, 'c', 'p', 'e'}) {
			t.Errorf("lease client id %x", l.ClientID)
		}
		if sl, saves, _ := h.store.get(); saves != 1 || sl.Address != l.Address {
			t.Errorf("store: %d saves, lease %v", saves, sl)
		}
		if ev := h.action.last(); ev.Kind != EventBound || ev.Lease.Address != l.Address || ev.Old != nil {
			t.Errorf("action %v", ev)
		}

		// Renewal at T1: unicast to the server from the leased address.
		rn := h.next(time.Hour)
		if at := rn.at.Sub(r.at); at != 200*time.Second {
			t.Errorf("renewal after %v, want T1 = 200s", at)
		}
		if rn.p.MessageType() != dhcpv4.Request || rn.dst != testServer || rn.bound != testAddr {
			t.Fatalf("renewal %v to %v on %v", rn.p.MessageType(), rn.dst, rn.bound)
		}
		if rn.p.CIAddr() != testAddr || rn.p.HasOption(dhcpv4.OptionServerID) || rn.p.HasOption(dhcpv4.OptionRequestedIP) {
			t.Errorf("RENEWING request: ciaddr %v, server id %v, requested ip %v", rn.p.CIAddr(),
				rn.p.HasOption(dhcpv4.OptionServerID), rn.p.HasOption(dhcpv4.OptionRequestedIP))
		}
		synctest.Wait() // the status is published after the send
		if h.c.Status().State != StateRenewing {
			t.Errorf("state %v", h.c.Status().State)
		}
		time.Sleep(time.Second)
		h.n.deliver(ackFor(rn.p, 600))
		st = h.waitState(StateBound)
		if !st.Lease.Obtained.Equal(rn.at) || st.Lease.T1 != 300*time.Second {
			t.Errorf("renewed lease obtained %v T1 %v", st.Lease.Obtained, st.Lease.T1)
		}
		if ev := h.action.last(); ev.Kind != EventRenew || ev.Old == nil {
			t.Errorf("action after renewal %v", ev)
		}
		if _, saves, _ := h.store.get(); saves != 2 {
			t.Errorf("%d saves after renewal, want 2", saves)
		}

		// Release.
		if err := h.c.Release(context.Background()); err != nil {
			t.Fatal(err)
		}
		rl := h.next(time.Second)
		if rl.p.MessageType() != dhcpv4.Release || rl.dst != testServer || rl.p.CIAddr() != testAddr {
			t.Errorf("release %v to %v ciaddr %v", rl.p.MessageType(), rl.dst, rl.p.CIAddr())
		}
		if sid, _ := rl.p.ServerID(); sid != testServer || !bytes.Equal(rl.p.ClientID(), []byte{0, 'c', 'p', 'e'}) {
			t.Errorf("release server id %v client id %x", sid, rl.p.ClientID())
		}
		if rl.p.HasOption(dhcpv4.OptionParameterList) || rl.p.HasOption(dhcpv4.OptionHostName) {
			t.Error("RELEASE carries options table 5 forbids")
		}
		if st := h.c.Status(); st.State != StateReleased || st.Lease != nil {
			t.Errorf("after release: %v %v", st.State, st.Lease)
		}
		if sl, _, removes := h.store.get(); sl != nil || removes != 1 {
			t.Errorf("store after release: %v, %d removes", sl, removes)
		}
		if ev := h.action.last(); ev.Kind != EventRelease || ev.Old.Address.Addr() != testAddr {
			t.Errorf("action after release %v", ev)
		}
		h.none(time.Hour)
		if err := h.c.Release(context.Background()); !errors.Is(err, ErrNoLease) {
			t.Errorf("second release: %v", err)
		}
		if err := h.c.Renew(context.Background()); err != nil {
			t.Fatal(err)
		}
		if d := h.next(time.Second); d.p.MessageType() != dhcpv4.Discover {
			t.Errorf("after renew from RELEASED: %v", d.p.MessageType())
		}
	})
}

func TestDiscoverBackoff(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		h := startClient(t, nil)
		first := h.next(time.Second)
		prev := first
		want := []time.Duration{4, 8, 16, 32, 64, 64, 64}
		for i, w := range want {
			s := h.next(2 * time.Minute)
			if s.p.MessageType() != dhcpv4.Discover || s.p.XID() != first.p.XID() {
				t.Fatalf("retransmission %d: %v xid %x", i, s.p.MessageType(), s.p.XID())
			}
			gap := s.at.Sub(prev.at)
			if gap < (w-1)*time.Second || gap > (w+1)*time.Second {
				t.Errorf("retransmission %d after %v, want %ds ± 1s", i, gap, w)
			}
			if secs := time.Duration(s.p.Secs()) * time.Second; secs != s.at.Sub(first.at).Truncate(time.Second) {
				t.Errorf("retransmission %d secs %v, want %v", i, secs, s.at.Sub(first.at))
			}
			prev = s
		}
	})
}

func TestBackoffJitterSpread(t *testing.T) {
	// The jitter must actually vary: with a fixed seed, the 50 first waits
	// are not all the same.
	c := Config{Interface: "x", HardwareAddr: testMAC, Transport: newFakeNet()}
	if err := c.normalize(); err != nil {
		t.Fatal(err)
	}
	seen := map[time.Duration]bool{}
	for range 50 {
		w := c.Backoff.Wait(0, c.Rand)
		if w < 3*time.Second || w > 5*time.Second {
			t.Fatalf("first wait %v outside 4s ± 1s", w)
		}
		seen[w] = true
	}
	if len(seen) < 10 {
		t.Errorf("only %d distinct waits in 50", len(seen))
	}
}

func TestInitDelay(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		start := time.Now()
		h := startClient(t, func(c *Config) { c.InitDelay = 10 * time.Second })
		d := h.next(11 * time.Second)
		if w := d.at.Sub(start); w > 10*time.Second {
			t.Errorf("first DISCOVER after %v, InitDelay 10s", w)
		}
	})
}

func TestRequestGivesUp(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		h := startClient(t, nil)
		d := h.next(time.Second)
		h.n.deliver(offerFor(d.p))
		for i := range 5 {
			r := h.next(2 * time.Minute)
			if r.p.MessageType() != dhcpv4.Request {
				t.Fatalf("message %d: %v, want REQUEST", i, r.p.MessageType())
			}
			if r.p.Secs() != d.p.Secs() {
				t.Errorf("REQUEST %d secs %d, want the DISCOVER's %d", i, r.p.Secs(), d.p.Secs())
			}
		}
		n := h.next(2 * time.Minute)
		if n.p.MessageType() != dhcpv4.Discover || n.p.XID() == d.p.XID() {
			t.Errorf("after 4 retransmissions: %v xid %x, want a new DISCOVER", n.p.MessageType(), n.p.XID())
		}
	})
}

func TestIgnoresForeignReplies(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		h := startClient(t, nil)
		d := h.next(time.Second)
		h.n.deliver(reply(d.p, dhcpv4.Offer, replyOpts{yiaddr: testAddr, server: testServer, lease: 60, xid: d.p.XID() + 1}))
		h.n.deliver(reply(d.p, dhcpv4.Offer, replyOpts{yiaddr: testAddr, server: testServer, lease: 60, chaddr: []byte{2, 2, 2, 2, 2, 2}}))
		h.n.deliver(reply(d.p, dhcpv4.Offer, replyOpts{yiaddr: testAddr, lease: 60})) // no server id
		h.n.deliver(reply(d.p, dhcpv4.Ack, replyOpts{yiaddr: testAddr, server: testServer, lease: 60}))
		h.n.deliver([]byte("garbage"))
		synctest.Wait()
		if st := h.c.Status(); st.State != StateSelecting || st.Counters.Offers != 0 {
			t.Errorf("state %v offers %d after foreign replies", st.State, st.Counters.Offers)
		}
		// An OFFER with no lease time and an ACK with none: the ACK is
		// unusable and ignored.
		h.n.deliver(reply(d.p, dhcpv4.Offer, replyOpts{yiaddr: testAddr, server: testServer}))
		r := h.next(time.Second)
		h.n.deliver(reply(r.p, dhcpv4.Ack, replyOpts{yiaddr: testAddr, server: testServer}))
		h.n.deliver(reply(r.p, dhcpv4.Ack, replyOpts{yiaddr: testAddr, server: netip.MustParseAddr("192.0.2.2"), lease: 60}))
		h.n.deliver(reply(r.p, dhcpv4.Nak, replyOpts{server: netip.MustParseAddr("192.0.2.2")}))
		synctest.Wait()
		if st := h.c.Status(); st.State != StateRequesting {
			t.Errorf("state %v after unusable ACK and another server's replies", st.State)
		}
		h.n.deliver(ackFor(r.p, 60))
		h.waitState(StateBound)
	})
}

func TestRebindAndExpire(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		h := startClient(t, nil)
		r := h.bind(1000) // T1 500 s, T2 875 s
		rn := h.next(time.Hour)
		if rn.at.Sub(r.at) != 500*time.Second || rn.dst != testServer {
			t.Fatalf("renewal at %v to %v", rn.at.Sub(r.at), rn.dst)
		}
		// Retransmissions after half the time left to T2, at least 60 s:
		// at 687.5 s, 781.25 s, 841.25 s; then T2 at 875 s.
		for _, want := range []time.Duration{687500 * time.Millisecond, 781250 * time.Millisecond, 841250 * time.Millisecond} {
			rn2 := h.next(time.Hour)
			if rn2.at.Sub(r.at) != want || rn2.dst != testServer {
				t.Errorf("RENEWING retransmission at %v to %v, want at %v to the server", rn2.at.Sub(r.at), rn2.dst, want)
			}
		}
		rb := h.next(time.Hour)
		if rb.at.Sub(r.at) != 875*time.Second || rb.dst != Broadcast || rb.p.CIAddr() != testAddr || rb.bound != testAddr {
			t.Fatalf("rebinding at %v to %v ciaddr %v", rb.at.Sub(r.at), rb.dst, rb.p.CIAddr())
		}
		if rb.p.HasOption(dhcpv4.OptionServerID) {
			t.Error("REBINDING request carries a server id")
		}
		synctest.Wait() // the status is published after the send
		if h.c.Status().State != StateRebinding {
			t.Errorf("state %v", h.c.Status().State)
		}
		// 125 s left: retransmissions after half the time left, at least
		// 60 s (at 937.5 s and 997.5 s), then the expiry at 1000 s.
		for _, want := range []time.Duration{937500 * time.Millisecond, 997500 * time.Millisecond} {
			rb2 := h.next(time.Hour)
			if rb2.at.Sub(r.at) != want || rb2.dst != Broadcast || rb2.p.MessageType() != dhcpv4.Request {
				t.Errorf("REBINDING retransmission %v at %v to %v, want at %v", rb2.p.MessageType(), rb2.at.Sub(r.at), rb2.dst, want)
			}
		}
		d := h.next(time.Hour)
		if d.p.MessageType() != dhcpv4.Discover || d.at.Sub(r.at) != 1000*time.Second {
			t.Fatalf("after expiry: %v at %v", d.p.MessageType(), d.at.Sub(r.at))
		}
		if ip, _ := d.p.RequestedIP(); ip != testAddr {
			t.Errorf("DISCOVER after expiry asks for %v, want the old address", ip)
		}
		if ks := h.action.kinds(); !slices.Equal(ks, []EventKind{EventBound, EventExpire}) {
			t.Errorf("events %v", ks)
		}
		if sl, _, removes := h.store.get(); sl != nil || removes != 1 {
			t.Errorf("store after expiry: %v, %d removes", sl, removes)
		}
	})
}

func TestRebindByAnotherServer(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		h := startClient(t, func(c *Config) { c.MinRenewInterval = time.Hour })
		h.bind(100)
		h.next(time.Hour) // renew, unanswered
		rb := h.next(time.Hour)
		other := netip.MustParseAddr("192.0.2.2")
		h.n.deliver(reply(rb.p, dhcpv4.Ack, replyOpts{yiaddr: testAddr, server: other, lease: 100}))
		st := h.waitState(StateBound)
		if st.Lease.ServerID != other {
			t.Errorf("server after rebinding %v, want %v", st.Lease.ServerID, other)
		}
		if ev := h.action.last(); ev.Kind != EventRebind {
			t.Errorf("event %v", ev.Kind)
		}
		rn := h.next(time.Hour)
		if rn.dst != other {
			t.Errorf("next renewal to %v, want %v", rn.dst, other)
		}
	})
}

func TestNakWhileRenewing(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		h := startClient(t, nil)
		h.bind(100)
		rn := h.next(time.Hour)
		h.n.deliver(reply(rn.p, dhcpv4.Nak, replyOpts{server: testServer, message: "wrong network"}))
		d := h.next(time.Second)
		if d.p.MessageType() != dhcpv4.Discover || d.p.HasOption(dhcpv4.OptionRequestedIP) {
			t.Errorf("after NAK: %v (requested ip %v)", d.p.MessageType(), d.p.HasOption(dhcpv4.OptionRequestedIP))
		}
		if ev := h.action.last(); ev.Kind != EventNak || ev.Old == nil || ev.Lease != nil {
			t.Errorf("event %+v", ev)
		}
		if sl, _, removes := h.store.get(); sl != nil || removes != 1 {
			t.Errorf("store after NAK: %v, %d removes", sl, removes)
		}
	})
}

func storedLease(obtained time.Time, lease time.Duration) *Lease {
	t1, t2 := DefaultTimers(lease)
	return &Lease{
		Address:   netip.MustParsePrefix("192.0.2.50/24"),
		Routers:   []netip.Addr{testRouter},
		ServerID:  testServer,
		LeaseTime: lease, T1: t1, T2: t2,
		Obtained: obtained,
		ClientID: append([]byte{1}, testMAC...),
	}
}

func TestResumeAck(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		start := time.Now()
		stored := storedLease(start.Add(-100*time.Second), 1000*time.Second)
		h := startClient(t, func(c *Config) { c.Resume = stored; c.InitDelay = 10 * time.Second })
		r := h.next(time.Second)
		if r.at.Sub(start) > time.Second {
			t.Errorf("INIT-REBOOT request after %v, want within 1s", r.at.Sub(start))
		}
		p := r.p
		if p.MessageType() != dhcpv4.Request || r.dst != Broadcast || r.bound.IsValid() {
			t.Fatalf("resume sent %v to %v", p.MessageType(), r.dst)
		}
		if ip, _ := p.RequestedIP(); ip != testAddr || p.HasOption(dhcpv4.OptionServerID) || !p.CIAddr().IsUnspecified() {
			t.Errorf("INIT-REBOOT request: requested %v, server id %v, ciaddr %v", ip, p.HasOption(dhcpv4.OptionServerID), p.CIAddr())
		}
		synctest.Wait() // the status is published after the send
		if st := h.c.Status(); st.State != StateRebooting || st.Lease == nil {
			t.Errorf("state %v lease %v", st.State, st.Lease)
		}
		time.Sleep(3 * time.Second)
		h.n.deliver(ackFor(p, 1000))
		st := h.waitState(StateBound)
		if !st.Lease.Obtained.Equal(r.at) || !st.Lease.Expires().Equal(r.at.Add(1000*time.Second)) {
			t.Errorf("resumed lease obtained %v expires %v, want from the send time %v", st.Lease.Obtained, st.Lease.Expires(), r.at)
		}
		if ks := h.action.kinds(); !slices.Equal(ks, []EventKind{EventReboot}) {
			t.Errorf("events %v", ks)
		}
		if _, saves, _ := h.store.get(); saves != 1 {
			t.Errorf("%d saves", saves)
		}
		if c := h.c.Status().Counters; c.Discovers != 0 {
			t.Errorf("%d DISCOVERs during resume", c.Discovers)
		}
	})
}

func TestResumeNak(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		stored := storedLease(time.Now(), 1000*time.Second)
		h := startClient(t, func(c *Config) { c.Resume = stored })
		r := h.next(time.Second)
		h.n.deliver(reply(r.p, dhcpv4.Nak, replyOpts{server: netip.MustParseAddr("192.0.2.9")}))
		d := h.next(time.Second)
		if d.p.MessageType() != dhcpv4.Discover {
			t.Fatalf("after NAK: %v", d.p.MessageType())
		}
		ev := h.action.last()
		if ev.Kind != EventNak || ev.Old == nil || ev.Old.Address != stored.Address {
			t.Errorf("event %+v", ev)
		}
		if _, _, removes := h.store.get(); removes != 1 {
			t.Errorf("%d removes", removes)
		}
	})
}

func TestResumeNoAnswer(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		start := time.Now()
		// 600 s left of a 700 s lease: T1 at 250 s from now, T2 at 512.5,
		// expiry at 600.
		stored := storedLease(start.Add(-100*time.Second), 700*time.Second)
		h := startClient(t, func(c *Config) { c.Resume = stored })
		var last sent
		for i := range 5 {
			last = h.next(2 * time.Minute)
			if last.p.MessageType() != dhcpv4.Request || last.p.HasOption(dhcpv4.OptionServerID) {
				t.Fatalf("message %d: %v", i, last.p.MessageType())
			}
		}
		st := h.waitState(StateBound)
		if st.Lease.Obtained != stored.Obtained || st.Lease.LeaseTime != stored.LeaseTime {
			t.Errorf("kept lease %+v, want the stored one", st.Lease)
		}
		if ks := h.action.kinds(); !slices.Equal(ks, []EventKind{EventTimeout}) {
			t.Errorf("events %v", ks)
		}
		if _, saves, _ := h.store.get(); saves != 0 {
			t.Errorf("timeout rewrote the stored lease %d times", saves)
		}
		// Until expiry: only unicast renewals and broadcast rebinds, never a
		// DISCOVER.
		for {
			s := h.next(time.Hour)
			if s.p.MessageType() == dhcpv4.Discover {
				if at := s.at.Sub(start); at != 600*time.Second {
					t.Errorf("DISCOVER at %v, want at the stored expiry 600s", at)
				}
				break
			}
			if s.p.MessageType() != dhcpv4.Request || s.p.CIAddr() != testAddr {
				t.Fatalf("unexpected %v ciaddr %v", s.p.MessageType(), s.p.CIAddr())
			}
			if at := s.at.Sub(start); at < 250*time.Second {
				t.Errorf("renewal at %v, before the stored T1", at)
			}
		}
		if ks := h.action.kinds(); !slices.Equal(ks, []EventKind{EventTimeout, EventExpire}) {
			t.Errorf("events %v", ks)
		}
	})
}

func TestResumeExpired(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		stored := storedLease(time.Now().Add(-2000*time.Second), 1000*time.Second)
		h := startClient(t, func(c *Config) { c.Resume = stored })
		d := h.next(time.Second)
		if d.p.MessageType() != dhcpv4.Discover {
			t.Errorf("with an expired stored lease: %v, want DISCOVER", d.p.MessageType())
		}
		if _, _, removes := h.store.get(); removes != 1 {
			t.Errorf("expired stored lease not removed (%d removes)", removes)
		}
		if len(h.action.kinds()) != 0 {
			t.Errorf("events %v", h.action.kinds())
		}
	})
}

func TestDeclineAfterConflict(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		prober := &fakeProber{busy: map[netip.Addr]bool{testAddr: true}, delay: 3 * time.Second}
		h := startClient(t, func(c *Config) { c.Prober = prober })
		d := h.next(time.Second)
		h.n.deliver(offerFor(d.p))
		r := h.next(time.Second)
		h.n.deliver(ackFor(r.p, 600))
		synctest.Wait()
		if st := h.c.Status(); !st.Probing || st.State != StateRequesting {
			t.Errorf("while probing: %v probing=%v", st.State, st.Probing)
		}
		dec := h.next(time.Minute)
		if dec.p.MessageType() != dhcpv4.Decline || dec.dst != Broadcast || !dec.p.CIAddr().IsUnspecified() {
			t.Fatalf("after conflict: %v to %v", dec.p.MessageType(), dec.dst)
		}
		if ip, _ := dec.p.RequestedIP(); ip != testAddr {
			t.Errorf("DECLINE for %v", ip)
		}
		if sid, _ := dec.p.ServerID(); sid != testServer {
			t.Errorf("DECLINE server id %v", sid)
		}
		if dec.at.Sub(r.at) != 3*time.Second {
			t.Errorf("DECLINE %v after the REQUEST, want after the 3 s probe", dec.at.Sub(r.at))
		}
		n := h.next(time.Minute)
		if n.p.MessageType() != dhcpv4.Discover || n.at.Sub(dec.at) != 10*time.Second {
			t.Errorf("after DECLINE: %v after %v, want DISCOVER after 10s", n.p.MessageType(), n.at.Sub(dec.at))
		}
		if len(h.action.kinds()) != 0 {
			t.Errorf("declined lease was applied: %v", h.action.kinds())
		}
		if _, saves, _ := h.store.get(); saves != 0 {
			t.Errorf("declined lease stored")
		}
		// A free address is taken after its probe.
		prober.busy = nil
		h.n.deliver(offerFor(n.p))
		r = h.next(time.Second)
		h.n.deliver(ackFor(r.p, 600))
		h.waitState(StateBound)
		if ks := h.action.kinds(); !slices.Equal(ks, []EventKind{EventBound}) {
			t.Errorf("events %v", ks)
		}
	})
}

func TestShortDeclineWaitRefused(t *testing.T) {
	_, err := New(Config{HardwareAddr: testMAC, Transport: newFakeNet(), DeclineWait: time.Second})
	if err == nil {
		t.Error("a 1 s decline wait was accepted")
	}
}

func TestActionFailureStopsRun(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		h := startClient(t, nil)
		h.action.err = errors.New("script failed")
		d := h.next(time.Second)
		h.n.deliver(offerFor(d.p))
		r := h.next(time.Second)
		h.n.deliver(ackFor(r.p, 600))
		select {
		case err := <-h.errc:
			if err == nil || !errors.Is(err, h.action.err) {
				t.Errorf("Run returned %v", err)
			}
			close(h.errc)
		case <-time.After(time.Minute):
			t.Fatal("Run did not stop after the action failed")
		}
		// The lease was stored before the action ran, so a restart can
		// resume it.
		if sl, _, _ := h.store.get(); sl == nil {
			t.Error("lease not stored before the action")
		}
		if h.n.openConns() != 0 {
			t.Errorf("%d connections left open", h.n.openConns())
		}
	})
}

func TestRenewCommand(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		h := startClient(t, nil)
		h.bind(3600)
		time.Sleep(10 * time.Second)
		if err := h.c.Renew(context.Background()); err != nil {
			t.Fatal(err)
		}
		rn := h.next(time.Second)
		if rn.p.MessageType() != dhcpv4.Request || rn.dst != testServer || rn.p.CIAddr() != testAddr {
			t.Errorf("forced renewal %v to %v", rn.p.MessageType(), rn.dst)
		}
		h.n.deliver(ackFor(rn.p, 3600))
		h.waitState(StateBound)
	})
}

func TestStopKeepsLease(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		h := startClient(t, nil)
		h.bind(3600)
		if err := h.stop(); err != nil {
			t.Fatal(err)
		}
		if sl, _, removes := h.store.get(); sl == nil || removes != 0 {
			t.Error("stopping dropped the stored lease")
		}
		if ks := h.action.kinds(); !slices.Equal(ks, []EventKind{EventBound}) {
			t.Errorf("events %v", ks)
		}
		if h.n.openConns() != 0 {
			t.Errorf("%d connections left open", h.n.openConns())
		}
		if err := h.c.Renew(context.Background()); !errors.Is(err, ErrNotRunning) {
			t.Errorf("Renew on a stopped client: %v", err)
		}
	})
}

func TestReleaseOnStop(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		h := startClient(t, func(c *Config) { c.ReleaseOnStop = true })
		h.bind(3600)
		if err := h.stop(); err != nil {
			t.Fatal(err)
		}
		if s := h.next(time.Second); s.p.MessageType() != dhcpv4.Release {
			t.Errorf("on stop: %v", s.p.MessageType())
		}
		if ks := h.action.kinds(); !slices.Equal(ks, []EventKind{EventBound, EventRelease}) {
			t.Errorf("events %v", ks)
		}
	})
}

func TestFQDNOption(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		h := startClient(t, func(c *Config) { c.FQDN = "cpe.example.test."; c.FQDNFlags = dhcpv4.FQDNServerUpdates })
		d := h.next(time.Second)
		f, ok := d.p.ClientFQDN()
		if !ok || f.Flags != dhcpv4.FQDNServerUpdates|dhcpv4.FQDNEncoded {
			t.Fatalf("FQDN option %+v %v", f, ok)
		}
		if want := []byte("\x03cpe\x07example\x04test\x00"); !bytes.Equal(f.Name, want) {
			t.Errorf("FQDN name %q, want %q", f.Name, want)
		}
		if d.p.HasOption(dhcpv4.OptionHostName) {
			t.Error("host name sent along with the FQDN")
		}
	})
}

func TestBroadcastFlag(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		h := startClient(t, func(c *Config) { c.BroadcastFlag = true })
		d := h.next(time.Second)
		if !d.p.Broadcast() {
			t.Error("DISCOVER without the broadcast flag")
		}
		h.n.deliver(offerFor(d.p))
		r := h.next(time.Second)
		h.n.deliver(ackFor(r.p, 100))
		h.waitState(StateBound)
		if rn := h.next(time.Hour); rn.p.Broadcast() {
			t.Error("RENEWING request with ciaddr set carries the broadcast flag")
		}
	})
}

func TestManyClientsOneNet(t *testing.T) {
	// Clients with different hardware addresses on one transport each get
	// their own lease.
	synctest.Test(t, func(t *testing.T) {
		n := newFakeNet()
		const N = 20
		var clients []*Client
		ctx, cancel := context.WithCancel(context.Background())
		defer cancel()
		done := make(chan error, N)
		for i := range N {
			c, err := New(Config{HardwareAddr: []byte{2, 0, 0, 0, 1, byte(i)}, Transport: n, Logger: quietLogger()})
			if err != nil {
				t.Fatal(err)
			}
			clients = append(clients, c)
			go func() { done <- c.Run(ctx) }()
		}
		// A tiny server: address .100+i by the last chaddr byte.
		go func() {
			for {
				select {
				case s := <-n.out:
					yi := netip.AddrFrom4([4]byte{192, 0, 2, 100 + s.p.CHAddr()[5]})
					switch s.p.MessageType() {
					case dhcpv4.Discover:
						n.deliver(reply(s.p, dhcpv4.Offer, replyOpts{yiaddr: yi, server: testServer, lease: 3600}))
					case dhcpv4.Request:
						n.deliver(reply(s.p, dhcpv4.Ack, replyOpts{yiaddr: yi, server: testServer, lease: 3600}))
					}
				case <-ctx.Done():
					return
				}
			}
		}()
		for i, c := range clients {
			st, err := c.WaitFor(ctx, func(s Status) bool { return s.State == StateBound })
			if err != nil {
				t.Fatal(err)
			}
			if want := netip.AddrFrom4([4]byte{192, 0, 2, 100 + byte(i)}); st.Lease.Address.Addr() != want {
				t.Errorf("client %d got %v, want %v", i, st.Lease.Address, want)
			}
		}
		cancel()
		for range N {
			if err := <-done; err != nil {
				t.Error(err)
			}
		}
	})
}
