package client

import (
	"slices"
	"testing"
	"testing/synctest"
	"time"

	"github.com/leased/leased/dhcpv4"
)

// flap turns the link down, checks that nothing happens while it is down,
// and turns it up again.
func (h *harness) flap(down time.Duration) {
	h.t.Helper()
	h.n.setLink(false)
	synctest.Wait()
	st := h.c.Status()
	if !st.LinkDown {
		h.t.Errorf("status does not show the link down: %+v", st)
	}
	h.none(down)
	if s := h.c.Status().State; !s.HasLease() {
		h.t.Errorf("state %v while the link is down, want the lease kept", s)
	}
	h.n.setLink(true)
}

// checkInitReboot checks that m is an INIT-REBOOT DHCPREQUEST for testAddr.
func checkInitReboot(t *testing.T, m sent) {
	t.Helper()
	p := m.p
	if p.MessageType() != dhcpv4.Request || m.dst != Broadcast || m.bound.IsValid() {
		t.Fatalf("%v to %v on bound=%v, want a broadcast DHCPREQUEST from an unbound connection", p.MessageType(), m.dst, m.bound)
	}
	if ip, ok := p.RequestedIP(); !ok || ip != testAddr {
		t.Errorf("requested address %v %v, want %v", ip, ok, testAddr)
	}
	if p.HasOption(dhcpv4.OptionServerID) || !p.CIAddr().IsUnspecified() {
		t.Errorf("INIT-REBOOT request with a server id (%v) or ciaddr %v", p.HasOption(dhcpv4.OptionServerID), p.CIAddr())
	}
}

// TestLinkFlapAck: a bound client whose link goes down and up again sends
// an INIT-REBOOT request at once; the ACK binds it with the new expiry.
// A link that only goes down, or reports up twice, changes nothing.
func TestLinkFlapAck(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		h := startClient(t, nil)
		first := h.bind(600)
		h.n.setLink(true) // up while up: nothing
		h.none(10 * time.Second)

		h.flap(20 * time.Second)
		up := time.Now()
		m := h.next(time.Second)
		if !m.at.Equal(up) {
			t.Errorf("INIT-REBOOT request %v after the link came up, want at once", m.at.Sub(up))
		}
		checkInitReboot(t, m)
		if m.p.XID() == first.p.XID() {
			t.Error("INIT-REBOOT request reuses the old xid")
		}
		synctest.Wait()
		st := h.c.Status()
		if st.State != StateRebooting || st.Lease == nil || st.Lease.Address.Addr() != testAddr || st.LinkDown {
			t.Errorf("after the link came up: %v, lease %v, link down %v", st.State, st.Lease, st.LinkDown)
		}
		if ks := h.action.kinds(); !slices.Equal(ks, []EventKind{EventBound}) {
			t.Errorf("events before the answer %v: the address must stay", ks)
		}

		time.Sleep(time.Second)
		h.n.deliver(ackFor(m.p, 900))
		st = h.waitState(StateBound)
		if !st.Lease.Obtained.Equal(m.at) || st.Lease.LeaseTime != 900*time.Second {
			t.Errorf("lease after the ACK: obtained %v (request sent %v), lease time %v", st.Lease.Obtained, m.at, st.Lease.LeaseTime)
		}
		if ev := h.action.last(); ev.Kind != EventReboot || ev.Lease.Address.Addr() != testAddr {
			t.Errorf("event after the ACK %v", ev)
		}
		if sl, saves, removes := h.store.get(); saves != 2 || removes != 0 || !sl.Obtained.Equal(m.at) {
			t.Errorf("store: %d saves, %d removes, lease %+v", saves, removes, sl)
		}
		// Renewal at the new T1, from the leased address.
		rn := h.next(time.Hour)
		if rn.at.Sub(m.at) != 450*time.Second || rn.dst != testServer || rn.bound != testAddr {
			t.Errorf("renewal %v after the INIT-REBOOT request to %v on %v, want 450s to the server", rn.at.Sub(m.at), rn.dst, rn.bound)
		}
		if st := h.c.Status(); st.Counters.Discovers != 1 {
			t.Errorf("%d DISCOVERs, want only the first", st.Counters.Discovers)
		}
	})
}

// TestLinkFlapNak: the server refuses the lease after the link came back:
// the address goes and the client starts over.
func TestLinkFlapNak(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		h := startClient(t, nil)
		h.bind(600)
		h.flap(time.Second)
		m := h.next(time.Second)
		checkInitReboot(t, m)
		h.n.deliver(reply(m.p, dhcpv4.Nak, replyOpts{server: testServer, message: "wrong network"}))
		d := h.next(time.Second)
		if d.p.MessageType() != dhcpv4.Discover || d.p.HasOption(dhcpv4.OptionRequestedIP) {
			t.Errorf("after the NAK: %v (requested address %v), want a plain DISCOVER", d.p.MessageType(), d.p.HasOption(dhcpv4.OptionRequestedIP))
		}
		if ks := h.action.kinds(); !slices.Equal(ks, []EventKind{EventBound, EventNak}) {
			t.Errorf("events %v", ks)
		}
		if sl, _, removes := h.store.get(); sl != nil || removes != 1 {
			t.Errorf("store after the NAK: %v, %d removes", sl, removes)
		}
	})
}

// TestLinkFlapNoAnswer: nobody answers after the link came back. The
// client retransmits, never with a DISCOVER, then keeps the lease with its
// old timers: it renews at the old T1 and gives the address up at the old
// expiry.
func TestLinkFlapNoAnswer(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		h := startClient(t, nil)
		r := h.bind(600) // T1 300 s, T2 525 s
		time.Sleep(10 * time.Second)
		h.flap(time.Second)
		for i := range 5 {
			m := h.next(time.Minute)
			checkInitReboot(t, m)
			if i == 0 && m.at.Sub(r.at) != 11*time.Second {
				t.Errorf("first INIT-REBOOT request %v after the lease, want 11s", m.at.Sub(r.at))
			}
		}
		rn := h.next(5 * time.Minute)
		if rn.at.Sub(r.at) != 300*time.Second || rn.dst != testServer || rn.p.CIAddr() != testAddr || rn.bound != testAddr {
			t.Errorf("after the unanswered INIT-REBOOT: %v at %v to %v, want the renewal at the old T1 = 300s",
				rn.p.MessageType(), rn.at.Sub(r.at), rn.dst)
		}
		if ks := h.action.kinds(); !slices.Equal(ks, []EventKind{EventBound, EventTimeout}) {
			t.Errorf("events %v", ks)
		}
		if _, saves, removes := h.store.get(); saves != 1 || removes != 0 {
			t.Errorf("store: %d saves, %d removes; the unconfirmed lease must not be stored again", saves, removes)
		}
		// Unanswered renewals and rebinds: the lease ends at the old expiry.
		for {
			m := h.next(10 * time.Minute)
			if m.p.MessageType() == dhcpv4.Discover {
				if at := m.at.Sub(r.at); at != 600*time.Second {
					t.Errorf("DISCOVER %v after the lease, want at the old expiry 600s", at)
				}
				break
			}
		}
	})
}

// TestLinkFlapWhileRebooting: a link that flaps while a stored lease is
// being confirmed starts the exchange again at once; a client that
// ignores the link does nothing.
func TestLinkFlapWhileRebooting(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		h := startClient(t, func(c *Config) { c.Resume = storedLease(time.Now().Add(-time.Minute), time.Hour) })
		m1 := h.next(time.Second)
		checkInitReboot(t, m1)
		time.Sleep(2 * time.Second)
		h.n.setLink(false)
		synctest.Wait()
		h.n.setLink(true)
		m2 := h.next(time.Second)
		checkInitReboot(t, m2)
		if m2.at.Sub(m1.at) != 2*time.Second || m2.p.XID() == m1.p.XID() {
			t.Errorf("second request %v after the first, xid %x and %x; want a new exchange when the link came up", m2.at.Sub(m1.at), m1.p.XID(), m2.p.XID())
		}
	})
	synctest.Test(t, func(t *testing.T) {
		h := startClient(t, func(c *Config) { c.IgnoreLink = true })
		h.bind(600)
		if n := h.n.watching(); n != 0 {
			t.Fatalf("%d link watches with IgnoreLink", n)
		}
		h.none(time.Minute)
	})
}

// TestLinkWatchClosed: the watch ends with the client.
func TestLinkWatchClosed(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		h := startClient(t, nil)
		h.bind(600)
		if n := h.n.watching(); n != 1 {
			t.Fatalf("%d link watches while running, want 1", n)
		}
		if err := h.stop(); err != nil {
			t.Fatal(err)
		}
		if n := h.n.watching(); n != 0 {
			t.Errorf("%d link watches after Run returned", n)
		}
	})
}
