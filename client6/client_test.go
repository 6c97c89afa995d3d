package client6

import (
	"context"
	"crypto/hmac"
	"crypto/md5"
	"encoding/binary"
	"maps"
	"net/netip"
	"os"
	"path/filepath"
	"slices"
	"testing"
	"testing/synctest"
	"time"

	"github.com/leased/leased/dhcpv6"
)

var naPD = Config{IANA: []IAConfig{{IAID: 1}}, IAPD: []IAConfig{{IAID: 2, Hints: []netip.Prefix{netip.MustParsePrefix("::/56")}}}}

// bind runs Solicit, Advertise, Request, Reply with one address and
// prefix1 (T1 100, T2 160, valid 300).
func bind(h *harness) {
	h.t.Helper()
	sol := h.expect(dhcpv6.Solicit)
	h.answer(sol, dhcpv6.Advertise, grant(1, addr1, 2, 100, 160, 300))
	req := h.expect(dhcpv6.Request)
	h.answer(req, dhcpv6.Reply, grant(1, addr1, 2, 100, 160, 300))
	h.event(EventBound)
}

func TestSolicitRequestBound(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		h := start(t, naPD)
		sol := h.expect(dhcpv6.Solicit)
		if sol.dst != AllServers {
			t.Errorf("Solicit to %v", sol.dst)
		}
		o := sol.msg.Options()
		if cid, _ := o.ClientID(); string(cid) != string(testDUID) || o.Has(dhcpv6.OptionServerID) {
			t.Errorf("Solicit identifiers: client %v, server id present %v", cid, o.Has(dhcpv6.OptionServerID))
		}
		if et, ok := o.ElapsedTime(); !ok || et != 0 {
			t.Errorf("first Solicit's elapsed time %d %v", et, ok)
		}
		if got := ias(sol.msg, dhcpv6.OptionIAPD); !slices.Equal(got[2], []string{"::/56"}) {
			t.Errorf("Solicit's IA_PD hint %v", got)
		}
		if !slices.Contains(o.ORO(nil), dhcpv6.OptionDNSServers) {
			t.Errorf("ORO %v", o.ORO(nil))
		}
		// Two servers advertise; the client waits out the first RT and
		// takes the one with the higher preference.
		h.answerFrom(otherDUID, sol, dhcpv6.Advertise, grant(1, netip.MustParseAddr("2001:db8:9::9"), 0, 100, 160, 300))
		h.answer(sol, dhcpv6.Advertise, both(func(b *dhcpv6.Builder) { b.AddUint8(dhcpv6.OptionPreference, 10) }, grant(1, addr1, 2, 100, 160, 300)))
		req := h.expect(dhcpv6.Request)
		if d := req.at.Sub(sol.at); d <= time.Second || d > 1100*time.Millisecond {
			t.Errorf("Request %v after Solicit; want the first RT, in (1 s, 1.1 s]", d)
		}
		if sid, _ := req.msg.Options().ServerID(); string(sid) != string(serverDUID) {
			t.Errorf("Request to server %v", sid)
		}
		if got := ias(req.msg, dhcpv6.OptionIANA); !slices.Equal(got[1], []string{addr1.String()}) {
			t.Errorf("Request's IA_NA %v", got)
		}
		h.answer(req, dhcpv6.Reply, both(grant(1, addr1, 2, 100, 160, 300), func(b *dhcpv6.Builder) {
			b.AddAddrs(dhcpv6.OptionDNSServers, netip.MustParseAddr("2001:db8::53"))
			b.AddDomainList("example.com")
		}))
		ev := h.event(EventBound)
		b := ev.Binding
		if !slices.Equal(b.Addrs(), []netip.Addr{addr1}) || !slices.Equal(b.DelegatedPrefixes(), []netip.Prefix{prefix1}) {
			t.Fatalf("bound to %v %v", b.Addrs(), b.DelegatedPrefixes())
		}
		if !slices.Equal(b.Domains, []string{"example.com"}) || len(b.DNS) != 1 {
			t.Errorf("configuration %v %v", b.DNS, b.Domains)
		}
		if got := b.RenewAt().Sub(b.Received); got != 100*time.Second {
			t.Errorf("T1 in %v", got)
		}
		st := h.status()
		if st.State != StateBound || st.Counters.Sent[dhcpv6.Solicit] != 1 || st.Counters.Received[dhcpv6.Advertise] != 2 {
			t.Errorf("status %v %+v", st.State, st.Counters)
		}
	})
}

func TestRapidCommit(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		cfg := naPD
		cfg.RapidCommit = true
		h := start(t, cfg)
		sol := h.expect(dhcpv6.Solicit)
		if !sol.msg.Options().RapidCommit() {
			t.Fatal("Solicit without Rapid Commit")
		}
		h.answer(sol, dhcpv6.Reply, both(func(b *dhcpv6.Builder) { b.AddEmpty(dhcpv6.OptionRapidCommit) }, grant(1, addr1, 2, 100, 160, 300)))
		h.event(EventBound)
		h.noMessage(90 * time.Second) // no Request, nothing until T1
		h.expect(dhcpv6.Renew)
	})
}

// TestReplyWithoutRapidCommitIgnored: a Reply to a Solicit that lacks
// Rapid Commit binds nothing.
func TestReplyWithoutRapidCommitIgnored(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		h := start(t, naPD)
		sol := h.expect(dhcpv6.Solicit)
		h.answer(sol, dhcpv6.Reply, grant(1, addr1, 2, 100, 160, 300))
		h.expect(dhcpv6.Solicit) // retransmitted, not bound
		if st := h.status(); st.State != StateSoliciting {
			t.Errorf("state %v", st.State)
		}
	})
}

// TestSolicitRetransmission checks RFC 8415 §15's timing: the first RT in
// (IRT, 1.1 IRT], each next one 2 RT ± 10 %, capped at SOL_MAX_RT ± 10 %,
// and the Elapsed Time counting from the first transmission; and that a
// server's SOL_MAX_RT replaces the cap.
func TestSolicitRetransmission(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		h := start(t, naPD)
		first := h.expect(dhcpv6.Solicit)
		prev, prevRT := first, time.Duration(0)
		for i := range 14 {
			s := h.expect(dhcpv6.Solicit)
			rt := s.at.Sub(prev.at)
			switch {
			case i == 0 && (rt <= time.Second || rt > 1100*time.Millisecond):
				t.Fatalf("first RT %v", rt)
			case i > 0 && rt < solMaxRT*9/10 && (rt < prevRT*19/10 || rt > prevRT*21/10):
				t.Fatalf("RT %d is %v after %v", i, rt, prevRT)
			case rt > solMaxRT*11/10:
				t.Fatalf("RT %v above SOL_MAX_RT", rt)
			}
			want := min(s.at.Sub(first.at)/(10*time.Millisecond), 0xffff)
			if et, _ := s.msg.Options().ElapsedTime(); time.Duration(et) != want {
				t.Fatalf("elapsed time %d, want %d", et, want)
			}
			prev, prevRT = s, rt
		}
		if prevRT < solMaxRT*9/10 {
			t.Fatalf("RT %v never reached SOL_MAX_RT", prevRT)
		}
		// An Advertise without leases still sets SOL_MAX_RT (§18.2.9).
		h.answer(prev, dhcpv6.Advertise, func(b *dhcpv6.Builder) {
			b.AddUint32(dhcpv6.OptionSolMaxRT, 120)
			b.AddStatus(dhcpv6.StatusNoAddrsAvail, "none")
		})
		s := h.expect(dhcpv6.Solicit) // the one already scheduled
		s2 := h.expect(dhcpv6.Solicit)
		if rt := s2.at.Sub(s.at); rt < 108*time.Second || rt > 132*time.Second {
			t.Fatalf("RT %v after SOL_MAX_RT 120", rt)
		}
	})
}

// TestRequestGivesUp: REQ_MAX_RC transmissions of a Request without a
// Reply, then Solicit again.
func TestRequestGivesUp(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		h := start(t, naPD)
		sol := h.expect(dhcpv6.Solicit)
		h.answer(sol, dhcpv6.Advertise, both(func(b *dhcpv6.Builder) { b.AddUint8(dhcpv6.OptionPreference, 255) }, grant(1, addr1, 2, 100, 160, 300)))
		req := h.expect(dhcpv6.Request)
		if d := req.at.Sub(sol.at); d != 0 {
			t.Errorf("preference 255 Advertise taken after %v, want at once", d)
		}
		for range reqMaxRC - 1 {
			r := h.expect(dhcpv6.Request)
			if r.msg.TransactionID() != req.msg.TransactionID() {
				t.Fatal("retransmission with a new transaction id")
			}
		}
		h.expect(dhcpv6.Solicit)
	})
}

func TestRenewRebindExpire(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		h := start(t, naPD)
		bind(h)
		bound := time.Now()
		ren := h.expect(dhcpv6.Renew)
		if d := ren.at.Sub(bound); d != 100*time.Second {
			t.Errorf("Renew %v after binding, want T1", d)
		}
		if sid, _ := ren.msg.Options().ServerID(); string(sid) != string(serverDUID) || ren.dst != AllServers {
			t.Errorf("Renew to %v at %v", sid, ren.dst)
		}
		if !maps.EqualFunc(ias(ren.msg, dhcpv6.OptionIANA), map[uint32][]string{1: {addr1.String()}}, slices.Equal) ||
			!maps.EqualFunc(ias(ren.msg, dhcpv6.OptionIAPD), map[uint32][]string{2: {prefix1.String()}}, slices.Equal) {
			t.Errorf("Renew's IAs %v %v", ias(ren.msg, dhcpv6.OptionIANA), ias(ren.msg, dhcpv6.OptionIAPD))
		}
		var last sent
		for {
			s := h.next()
			if s.msg.Type() == dhcpv6.Rebind {
				last = s
				break
			}
			if s.msg.Type() != dhcpv6.Renew {
				t.Fatalf("sent %v while renewing", s.msg.Type())
			}
		}
		if d := last.at.Sub(bound); d != 160*time.Second {
			t.Errorf("Rebind %v after binding, want T2", d)
		}
		if last.msg.Options().Has(dhcpv6.OptionServerID) {
			t.Error("Rebind names a server")
		}
		ev := h.event(EventExpire)
		if d := time.Since(bound); d != 300*time.Second || ev.Binding != nil {
			t.Errorf("expired %v after binding, left %v", d, ev.Binding)
		}
		// Drain the Rebinds, then the client solicits.
		for s := h.next(); s.msg.Type() != dhcpv6.Solicit; s = h.next() {
		}
	})
}

// TestRenewExtends: a Reply to Renew moves T1 and the lifetimes; a lease
// the Reply gives a valid lifetime of 0 is dropped.
func TestRenewExtends(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		h := start(t, naPD)
		bind(h)
		ren := h.expect(dhcpv6.Renew)
		addr2 := netip.MustParseAddr("2001:db8:1::20")
		h.answer(ren, dhcpv6.Reply, func(b *dhcpv6.Builder) {
			b.BeginIA(dhcpv6.OptionIANA, 1, 200, 320)
			b.BeginIAAddr(addr1, 0, 0)
			b.End()
			b.BeginIAAddr(addr2, 300, 600)
			b.End()
			b.End()
			grant(0, netip.Addr{}, 2, 200, 320, 600)(b)
		})
		ev := h.event(EventRenew)
		if !slices.Equal(ev.Binding.Addrs(), []netip.Addr{addr2}) || !slices.Equal(ev.Old.Addrs(), []netip.Addr{addr1}) {
			t.Fatalf("renewed to %v from %v", ev.Binding.Addrs(), ev.Old.Addrs())
		}
		renewed := time.Now()
		next := h.expect(dhcpv6.Renew)
		if d := next.at.Sub(renewed); d != 200*time.Second {
			t.Errorf("next Renew after %v, want the new T1", d)
		}
	})
}

// TestRenewNoBinding: an IA the server does not know (NoBinding) is asked
// for again with a Request carrying all IAs to that server, while the
// others are kept.
func TestRenewNoBinding(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		h := start(t, naPD)
		bind(h)
		ren := h.expect(dhcpv6.Renew)
		h.answer(ren, dhcpv6.Reply, func(b *dhcpv6.Builder) {
			b.BeginIA(dhcpv6.OptionIANA, 1, 0, 0)
			b.AddStatus(dhcpv6.StatusNoBinding, "unknown")
			b.End()
			grant(0, netip.Addr{}, 2, 100, 160, 300)(b)
		})
		h.event(EventRenew)
		req := h.expect(dhcpv6.Request)
		if sid, _ := req.msg.Options().ServerID(); string(sid) != string(serverDUID) {
			t.Errorf("Request to %v", sid)
		}
		if len(ias(req.msg, dhcpv6.OptionIANA)) != 1 || len(ias(req.msg, dhcpv6.OptionIAPD)) != 1 {
			t.Errorf("Request's IAs %v %v; want all", ias(req.msg, dhcpv6.OptionIANA), ias(req.msg, dhcpv6.OptionIAPD))
		}
		if h.status().Binding == nil || len(h.status().Binding.DelegatedPrefixes()) != 1 {
			t.Error("prefix dropped meanwhile")
		}
		addr2 := netip.MustParseAddr("2001:db8:1::30")
		h.answer(req, dhcpv6.Reply, grant(1, addr2, 2, 100, 160, 300))
		ev := h.event(EventRenew)
		if !slices.Contains(ev.Binding.Addrs(), addr2) {
			t.Errorf("after the Request: %v", ev.Binding.Addrs())
		}
		if st := h.status(); st.State != StateBound {
			t.Errorf("state %v", st.State)
		}
	})
}

// TestUseMulticast: Renew goes to the server's unicast address until the
// server answers UseMulticast.
func TestUseMulticast(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		h := start(t, naPD)
		sol := h.expect(dhcpv6.Solicit)
		h.answer(sol, dhcpv6.Advertise, grant(1, addr1, 2, 100, 160, 300))
		req := h.expect(dhcpv6.Request)
		srv := netip.MustParseAddr("2001:db8::1")
		h.answer(req, dhcpv6.Reply, both(func(b *dhcpv6.Builder) { b.AddAddrs(dhcpv6.OptionUnicast, srv) }, grant(1, addr1, 2, 100, 160, 300)))
		h.event(EventBound)
		ren := h.expect(dhcpv6.Renew)
		if ren.dst != srv {
			t.Fatalf("Renew to %v, want the server's unicast %v", ren.dst, srv)
		}
		h.answer(ren, dhcpv6.Reply, func(b *dhcpv6.Builder) { b.AddStatus(dhcpv6.StatusUseMulticast, "multicast please") })
		again := h.expect(dhcpv6.Renew)
		if again.dst != AllServers || again.at != ren.at {
			t.Fatalf("Renew again to %v after %v", again.dst, again.at.Sub(ren.at))
		}
		if h.status().Binding.Unicast.IsValid() {
			t.Error("unicast address kept")
		}
	})
}

func resumeBinding(now time.Time, withPrefix bool, valid time.Duration) *Binding {
	b := &Binding{
		ClientID: testDUID, ServerID: serverDUID, Received: now.Add(-50 * time.Second),
		IANA: []IA{{IAID: 1, T1: 100 * time.Second, T2: 160 * time.Second, Received: now.Add(-50 * time.Second),
			Addresses: []Address{{Addr: addr1, Preferred: valid / 2, Valid: valid}}}},
	}
	if withPrefix {
		b.IAPD = []IA{{IAID: 2, T1: 100 * time.Second, T2: 160 * time.Second, Received: now.Add(-50 * time.Second),
			Prefixes: []Prefix{{Prefix: prefix1, Preferred: 150 * time.Second, Valid: 300 * time.Second}}}}
	}
	return b
}

// TestResumeConfirm: a stored binding with addresses only is confirmed
// (RFC 8415 §18.2.12): Confirm within CNF_MAX_DELAY, no server named,
// lifetimes 0; Success keeps the binding.
func TestResumeConfirm(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		cfg := naPD
		t0 := time.Now()
		cfg.Resume = resumeBinding(t0, false, 300*time.Second)
		h := start(t, cfg)
		cnf := h.expect(dhcpv6.Confirm)
		if d := cnf.at.Sub(t0); d > cnfMaxDelay {
			t.Errorf("Confirm %v after start, want within CNF_MAX_DELAY", d)
		}
		if cnf.msg.Options().Has(dhcpv6.OptionServerID) || cnf.dst != AllServers {
			t.Error("Confirm names a server or is not multicast")
		}
		for ia := range cnf.msg.Options().IAs(dhcpv6.OptionIANA) {
			if ia.T1 != 0 || ia.T2 != 0 {
				t.Errorf("Confirm's IA T1 %d T2 %d", ia.T1, ia.T2)
			}
			for a := range ia.Addresses() {
				if a.Addr != addr1 || a.Valid != 0 || a.Preferred != 0 {
					t.Errorf("Confirm's address %+v", a)
				}
			}
		}
		if len(ias(cnf.msg, dhcpv6.OptionIAPD)) != 0 {
			t.Error("Confirm carries an IA_PD")
		}
		h.answer(cnf, dhcpv6.Reply, func(b *dhcpv6.Builder) { b.AddStatus(dhcpv6.StatusSuccess, "") })
		ev := h.event(EventConfirm)
		if !slices.Equal(ev.Binding.Addrs(), []netip.Addr{addr1}) {
			t.Errorf("confirmed %v", ev.Binding.Addrs())
		}
		// The stored T1 (100 s, 50 s ago) still holds.
		ren := h.expect(dhcpv6.Renew)
		if d := ren.at.Sub(cnf.at); d > 51*time.Second || d < 49*time.Second {
			t.Errorf("Renew %v after the Confirm, want about 50 s", d)
		}
	})
}

// TestResumeConfirmNotOnLink: NotOnLink and no Success by the end of the
// Confirm's retransmission timeout: the stored addresses go and the
// client solicits.
func TestResumeConfirmNotOnLink(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		cfg := naPD
		cfg.Resume = resumeBinding(time.Now(), false, 300*time.Second)
		h := start(t, cfg)
		cnf := h.expect(dhcpv6.Confirm)
		h.answer(cnf, dhcpv6.Reply, func(b *dhcpv6.Builder) { b.AddStatus(dhcpv6.StatusNotOnLink, "elsewhere") })
		ev := h.event(EventNotOnLink)
		if ev.Binding != nil || !slices.Equal(ev.Old.Addrs(), []netip.Addr{addr1}) {
			t.Errorf("not-on-link event %+v", ev)
		}
		if d := time.Since(cnf.at); d > cnfTimeout*11/10 {
			t.Errorf("acted on NotOnLink %v after the Confirm, want within its RT", d)
		}
		h.expect(dhcpv6.Solicit)
	})
}

// TestResumeConfirmNotOnLinkAndSuccess: one server says NotOnLink,
// another Success: the client keeps its addresses (RFC 8415 §18.2.10.2:
// a Success wins, NotOnLink counts only when no server confirms).
func TestResumeConfirmNotOnLinkAndSuccess(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		cfg := naPD
		cfg.Resume = resumeBinding(time.Now(), false, 300*time.Second)
		h := start(t, cfg)
		cnf := h.expect(dhcpv6.Confirm)
		h.answerFrom(otherDUID, cnf, dhcpv6.Reply, func(b *dhcpv6.Builder) { b.AddStatus(dhcpv6.StatusNotOnLink, "elsewhere") })
		time.Sleep(500 * time.Millisecond)
		h.answer(cnf, dhcpv6.Reply, nil) // no status: success
		ev := h.event(EventConfirm)
		if !slices.Equal(ev.Binding.Addrs(), []netip.Addr{addr1}) {
			t.Errorf("confirmed %v", ev.Binding.Addrs())
		}
		if st := h.status(); st.State != StateBound || !slices.Equal(st.Binding.Addrs(), []netip.Addr{addr1}) {
			t.Errorf("after the Success: %v %v", st.State, st.Binding)
		}
		h.expect(dhcpv6.Renew) // at the stored T1, no Solicit before
	})
}

// TestResumeConfirmNoReply: without a Reply by CNF_MAX_RD the client keeps
// the stored addresses and sends no Solicit.
func TestResumeConfirmNoReply(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		cfg := naPD
		cfg.Resume = resumeBinding(time.Now(), false, 300*time.Second)
		h := start(t, cfg)
		first := h.expect(dhcpv6.Confirm)
		var last sent
		for n := 1; ; n++ {
			select {
			case s := <-h.out():
				if s.msg.Type() != dhcpv6.Confirm {
					t.Fatalf("sent %v while confirming", s.msg.Type())
				}
				if s.at.Sub(first.at) > cnfMaxRD {
					t.Fatalf("Confirm %v after the first", s.at.Sub(first.at))
				}
				last = s
				continue
			case ev := <-h.events:
				if ev.Kind != EventTimeout || !slices.Equal(ev.Binding.Addrs(), []netip.Addr{addr1}) {
					t.Fatalf("event %v %v", ev.Kind, ev.Binding)
				}
			}
			break
		}
		if last.msg == nil {
			t.Fatal("Confirm never retransmitted")
		}
		if d := time.Since(first.at); d != cnfMaxRD {
			t.Errorf("gave up %v after the first Confirm, want CNF_MAX_RD", d)
		}
		if st := h.status(); st.State != StateBound {
			t.Errorf("state %v", st.State)
		}
		h.expect(dhcpv6.Renew) // at the stored T1, not a Solicit
	})
}

// TestResumeRebind: a stored binding with a delegated prefix is rebound
// with all IAs, with Confirm's timing, and never solicited.
func TestResumeRebind(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		cfg := naPD
		cfg.Resume = resumeBinding(time.Now(), true, 300*time.Second)
		h := start(t, cfg)
		reb := h.expect(dhcpv6.Rebind)
		if reb.msg.Options().Has(dhcpv6.OptionServerID) {
			t.Error("Rebind names a server")
		}
		if !maps.EqualFunc(ias(reb.msg, dhcpv6.OptionIANA), map[uint32][]string{1: {addr1.String()}}, slices.Equal) ||
			!maps.EqualFunc(ias(reb.msg, dhcpv6.OptionIAPD), map[uint32][]string{2: {prefix1.String()}}, slices.Equal) {
			t.Errorf("Rebind's IAs %v %v", ias(reb.msg, dhcpv6.OptionIANA), ias(reb.msg, dhcpv6.OptionIAPD))
		}
		r2 := h.expect(dhcpv6.Rebind)
		if d := r2.at.Sub(reb.at); d < 900*time.Millisecond || d > 1100*time.Millisecond {
			t.Errorf("second Rebind after %v, want CNF_TIMEOUT ± 10 %%", d)
		}
		h.answerFrom(otherDUID, r2, dhcpv6.Reply, grant(1, addr1, 2, 100, 160, 300))
		ev := h.event(EventRebind)
		if string(ev.Binding.ServerID) != string(otherDUID) || !slices.Equal(ev.Binding.DelegatedPrefixes(), []netip.Prefix{prefix1}) {
			t.Errorf("rebound to %v: %v", ev.Binding.ServerID, ev.Binding.DelegatedPrefixes())
		}
	})
}

// TestResumeRebindNoReply: no answer within CNF_MAX_RD keeps the stored
// leases (EventTimeout); the client goes on at the stored times.
func TestResumeRebindNoReply(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		cfg := naPD
		cfg.Resume = resumeBinding(time.Now(), true, 300*time.Second)
		h := start(t, cfg)
		ev := h.event(EventTimeout)
		if len(ev.Binding.DelegatedPrefixes()) != 1 {
			t.Fatalf("kept %v", ev.Binding)
		}
		for s := h.next(); s.msg.Type() != dhcpv6.Renew; s = h.next() {
			if s.msg.Type() != dhcpv6.Rebind {
				t.Fatalf("sent %v", s.msg.Type())
			}
		}
	})
}

// TestResumeDropsExpired: expired leases are dropped before anything is
// sent; with only an expired address and a valid prefix, the Rebind
// carries the IA_NA without it. With nothing valid, the client solicits.
func TestResumeDropsExpired(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		cfg := naPD
		cfg.Resume = resumeBinding(time.Now(), true, 40*time.Second)
		h := start(t, cfg)
		reb := h.expect(dhcpv6.Rebind)
		if got := ias(reb.msg, dhcpv6.OptionIANA); len(got[1]) != 0 {
			t.Errorf("Rebind carries the expired address: %v", got)
		}
	})
	synctest.Test(t, func(t *testing.T) {
		cfg := naPD
		cfg.Resume = resumeBinding(time.Now(), false, 40*time.Second)
		h := start(t, cfg)
		h.expect(dhcpv6.Solicit)
	})
}

type dadAction struct{ failed []netip.Addr }

func (d *dadAction) Apply(context.Context, Event) error { return nil }

func (d *dadAction) WatchDAD(_ string, addrs []netip.Addr) (func(context.Context) ([]netip.Addr, error), error) {
	return func(context.Context) ([]netip.Addr, error) {
		var out []netip.Addr
		for _, a := range addrs {
			if slices.Contains(d.failed, a) {
				out = append(out, a)
			}
		}
		return out, nil
	}, nil
}

// TestDecline: an address whose duplicate address detection failed is
// removed and declined, then the IA is requested again.
func TestDecline(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		cfg := naPD
		cfg.Interface = "lo" // DAD is checked only for a named interface
		cfg.Action = &dadAction{failed: []netip.Addr{addr1}}
		h := start(t, cfg)
		bind(h)
		ev := h.event(EventDecline)
		if len(ev.Binding.Addrs()) != 0 || len(ev.Binding.DelegatedPrefixes()) != 1 {
			t.Errorf("after decline: %v %v", ev.Binding.Addrs(), ev.Binding.DelegatedPrefixes())
		}
		dec := h.expect(dhcpv6.Decline)
		if sid, _ := dec.msg.Options().ServerID(); string(sid) != string(serverDUID) {
			t.Errorf("Decline to %v", sid)
		}
		if got := ias(dec.msg, dhcpv6.OptionIANA); !slices.Equal(got[1], []string{addr1.String()}) || len(ias(dec.msg, dhcpv6.OptionIAPD)) != 0 {
			t.Errorf("Decline's IAs %v", got)
		}
		h.answer(dec, dhcpv6.Reply, nil)
		req := h.expect(dhcpv6.Request)
		if got := ias(req.msg, dhcpv6.OptionIANA); len(got) != 1 || len(got[1]) != 0 {
			t.Errorf("Request after Decline asks for %v", got)
		}
	})
}

func TestRelease(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		h := start(t, naPD)
		bind(h)
		done := make(chan error, 1)
		go func() { done <- h.c.Release(context.Background()) }()
		ev := h.event(EventRelease)
		if ev.Binding != nil || len(ev.Old.Addrs()) != 1 {
			t.Errorf("release event %+v", ev)
		}
		rel := h.expect(dhcpv6.Release)
		if sid, _ := rel.msg.Options().ServerID(); string(sid) != string(serverDUID) {
			t.Errorf("Release to %v", sid)
		}
		h.answer(rel, dhcpv6.Reply, func(b *dhcpv6.Builder) { b.AddStatus(dhcpv6.StatusSuccess, "") })
		if err := <-done; err != nil {
			t.Fatal(err)
		}
		if st := h.status(); st.State != StateReleased || st.Binding != nil {
			t.Errorf("after release: %v %v", st.State, st.Binding)
		}
		h.noMessage(time.Hour)
		if err := h.c.Renew(context.Background()); err != nil {
			t.Fatal(err)
		}
		h.expect(dhcpv6.Solicit)
	})
}

func TestInformationRequest(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		h := start(t, Config{InformationOnly: true})
		ir := h.expect(dhcpv6.InformationRequest)
		if len(ias(ir.msg, dhcpv6.OptionIANA)) != 0 || !slices.Contains(ir.msg.Options().ORO(nil), dhcpv6.OptionInfoRefreshTime) {
			t.Errorf("Information-request: IAs %v, ORO %v", ias(ir.msg, dhcpv6.OptionIANA), ir.msg.Options().ORO(nil))
		}
		h.answer(ir, dhcpv6.Reply, func(b *dhcpv6.Builder) {
			b.AddAddrs(dhcpv6.OptionDNSServers, netip.MustParseAddr("2001:db8::53"))
			b.AddUint32(dhcpv6.OptionInfoRefreshTime, 100) // below IRT_MINIMUM
		})
		ev := h.event(EventInformed)
		if len(ev.Binding.DNS) != 1 {
			t.Errorf("informed %+v", ev.Binding)
		}
		got := time.Now()
		h.expect(dhcpv6.InformationRequest)
		if d := time.Since(got); d != irtMinimum {
			t.Errorf("refreshed after %v, want IRT_MINIMUM", d)
		}
	})
}

// reconfigureMsg builds a Reconfigure asking for mt, signed with key
// (HMAC-MD5, RFC 8415 §20.4) and replay counter rd.
func reconfigureMsg(t *testing.T, mt dhcpv6.MessageType, key []byte, rd uint64) []byte {
	var b dhcpv6.Builder
	b.Begin(make([]byte, 0, 300), dhcpv6.Reconfigure, 0)
	b.AddOption(dhcpv6.OptionServerID, serverDUID)
	b.AddOption(dhcpv6.OptionClientID, testDUID)
	b.AddUint8(dhcpv6.OptionReconfigureMsg, uint8(mt))
	auth := []byte{authProtoReconfigureKey, authAlgHMACMD5, authRDMCounter}
	auth = binary.BigEndian.AppendUint64(auth, rd)
	auth = append(auth, authTypeHMAC)
	auth = append(auth, make([]byte, 16)...)
	b.AddOption(dhcpv6.OptionAuth, auth)
	msg, err := b.Finish()
	if err != nil {
		t.Fatal(err)
	}
	mac := hmac.New(md5.New, key)
	mac.Write(msg)
	copy(msg[len(msg)-16:], mac.Sum(nil))
	return msg
}

func TestReconfigure(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		cfg := naPD
		cfg.ReconfigureAccept = true
		h := start(t, cfg)
		key := []byte("0123456789abcdef")
		sol := h.expect(dhcpv6.Solicit)
		if !sol.msg.Options().ReconfigureAccept() {
			t.Error("Solicit without Reconfigure Accept")
		}
		h.answer(sol, dhcpv6.Advertise, grant(1, addr1, 2, 100, 160, 300))
		req := h.expect(dhcpv6.Request)
		h.answer(req, dhcpv6.Reply, both(grant(1, addr1, 2, 100, 160, 300), func(b *dhcpv6.Builder) {
			auth := append([]byte{authProtoReconfigureKey, authAlgHMACMD5, authRDMCounter}, make([]byte, 8)...)
			b.AddOption(dhcpv6.OptionAuth, append(append(auth, authTypeKey), key...))
		}))
		h.event(EventBound)
		// A forged one (wrong key) is ignored; a signed one starts a Renew.
		h.conn.in <- reconfigureMsg(t, dhcpv6.Renew, []byte("fedcba9876543210"), 1)
		h.noMessage(10 * time.Second)
		sentAt := time.Now()
		h.conn.in <- reconfigureMsg(t, dhcpv6.Renew, key, 2)
		ren := h.expect(dhcpv6.Renew)
		if d := ren.at.Sub(sentAt); d != 0 {
			t.Errorf("Renew %v after the Reconfigure, want at once (T1 is 100 s away)", d)
		}
		// A replayed counter is ignored.
		h.answer(ren, dhcpv6.Reply, grant(1, addr1, 2, 100, 160, 300))
		h.event(EventRenew)
		h.conn.in <- reconfigureMsg(t, dhcpv6.Renew, key, 2)
		h.noMessage(10 * time.Second)
	})
}

func TestDUIDFile(t *testing.T) {
	path := filepath.Join(t.TempDir(), "duid")
	cfg := Config{Interface: "lo", DUIDFile: path, DUIDType: dhcpv6.DUIDUUID, Transport: &fakeConn{}}
	c1, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	if c1.DUID().Type() != dhcpv6.DUIDUUID {
		t.Fatalf("DUID %v", c1.DUID())
	}
	c2, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	if string(c1.DUID()) != string(c2.DUID()) {
		t.Fatalf("DUID changed: %v, then %v", c1.DUID(), c2.DUID())
	}
	b, _ := os.ReadFile(path)
	if string(b) != c1.DUID().String()+"\n" {
		t.Errorf("file holds %q", b)
	}
	os.WriteFile(path, []byte("zz"), 0o600)
	if _, err := New(cfg); err == nil {
		t.Error("a corrupt DUID file was accepted")
	}
}

// TestRenewNoAddrsAvail: a Reply to Renew that grants nothing for an IA
// leaves its leases as they are, and the Renew goes on at its own pace,
// not at once.
func TestRenewNoAddrsAvail(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		h := start(t, naPD)
		bind(h)
		ren := h.expect(dhcpv6.Renew)
		h.answer(ren, dhcpv6.Reply, func(b *dhcpv6.Builder) {
			b.BeginIA(dhcpv6.OptionIANA, 1, 0, 0)
			b.AddStatus(dhcpv6.StatusNoAddrsAvail, "")
			b.End()
			b.BeginIA(dhcpv6.OptionIAPD, 2, 0, 0)
			b.AddStatus(dhcpv6.StatusNoPrefixAvail, "")
			b.End()
		})
		h.event(EventRenew)
		again := h.expect(dhcpv6.Renew)
		if d := again.at.Sub(ren.at); d < 9*time.Second {
			t.Errorf("Renew again after %v; want REN_TIMEOUT's pace", d)
		}
		if b := h.status().Binding; !slices.Equal(b.Addrs(), []netip.Addr{addr1}) || len(b.DelegatedPrefixes()) != 1 {
			t.Errorf("binding after NoAddrsAvail: %v %v", b.Addrs(), b.DelegatedPrefixes())
		}
	})
}

// TestRenewUngrantedIA: an IA_PD the server never granted (it has no
// prefixes) is asked for in every Renew; a Reply that answers the IA_NA
// and says NoPrefixAvail for it completes the Renew, which does not go on
// retransmitting.
func TestRenewUngrantedIA(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		h := start(t, naPD)
		sol := h.expect(dhcpv6.Solicit)
		h.answer(sol, dhcpv6.Advertise, grant(1, addr1, 0, 100, 160, 300))
		req := h.expect(dhcpv6.Request)
		h.answer(req, dhcpv6.Reply, grant(1, addr1, 0, 100, 160, 300))
		h.event(EventBound)
		ren := h.expect(dhcpv6.Renew)
		if got := ias(ren.msg, dhcpv6.OptionIAPD); len(got) != 1 {
			t.Errorf("Renew does not ask for the IA_PD again: %v", got)
		}
		h.answer(ren, dhcpv6.Reply, both(grant(1, addr1, 0, 100, 160, 300), func(b *dhcpv6.Builder) {
			b.BeginIA(dhcpv6.OptionIAPD, 2, 0, 0)
			b.AddStatus(dhcpv6.StatusNoPrefixAvail, "")
			b.End()
		}))
		h.event(EventRenew)
		if st := h.status(); st.State != StateBound {
			t.Errorf("state %v after the Reply", st.State)
		}
		next := h.expect(dhcpv6.Renew)
		if d := next.at.Sub(ren.at); d != 100*time.Second {
			t.Errorf("next Renew after %v, want the new T1", d)
		}
	})
}

// slowDAD is a DADChecker whose answer waits for the test: until a value
// comes on result, or the check's context ends.
type slowDAD struct {
	started chan []netip.Addr
	result  chan []netip.Addr
}

func (d *slowDAD) Apply(context.Context, Event) error { return nil }

func (d *slowDAD) WatchDAD(_ string, addrs []netip.Addr) (func(context.Context) ([]netip.Addr, error), error) {
	d.started <- addrs
	return func(ctx context.Context) ([]netip.Addr, error) {
		select {
		case failed := <-d.result:
			return failed, nil
		case <-ctx.Done():
			return nil, ctx.Err()
		}
	}, nil
}

// TestDADDoesNotBlock: while duplicate address detection of a new
// address is under way, the client renews at T1 and answers commands
// and a Reconfigure; the Decline comes when the check reports the
// address in use.
func TestDADDoesNotBlock(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		cfg := naPD
		cfg.Interface = "lo" // DAD is checked only for a named interface
		cfg.DADTimeout = time.Hour
		dad := &slowDAD{started: make(chan []netip.Addr, 4), result: make(chan []netip.Addr)}
		cfg.Action = dad
		cfg.ReconfigureAccept = true
		key := []byte("0123456789abcdef")
		h := start(t, cfg)
		sol := h.expect(dhcpv6.Solicit)
		h.answer(sol, dhcpv6.Advertise, grant(1, addr1, 2, 2, 3, 300))
		req := h.expect(dhcpv6.Request)
		h.answer(req, dhcpv6.Reply, both(grant(1, addr1, 2, 2, 3, 300), func(b *dhcpv6.Builder) {
			auth := append([]byte{authProtoReconfigureKey, authAlgHMACMD5, authRDMCounter}, make([]byte, 8)...)
			b.AddOption(dhcpv6.OptionAuth, append(append(auth, authTypeKey), key...))
		}))
		h.event(EventBound)
		bound := time.Now()
		if got := <-dad.started; !slices.Equal(got, []netip.Addr{addr1}) {
			t.Fatalf("DAD checks %v", got)
		}
		// The check is still running: T1 (2 s) must not wait for it.
		ren := h.expect(dhcpv6.Renew)
		if d := ren.at.Sub(bound); d != 2*time.Second {
			t.Errorf("Renew %v after the Reply, want T1 = 2s", d)
		}
		h.answer(ren, dhcpv6.Reply, grant(1, addr1, 2, 2, 3, 300))
		h.event(EventRenew)
		// A command is answered too.
		ctx, cancel := context.WithTimeout(context.Background(), time.Second)
		defer cancel()
		if err := h.c.Renew(ctx); err != nil {
			t.Fatalf("Renew command while DAD runs: %v", err)
		}
		ren = h.expect(dhcpv6.Renew)
		h.answer(ren, dhcpv6.Reply, grant(1, addr1, 2, 2, 3, 300))
		h.event(EventRenew)
		// And a server's Reconfigure.
		sentAt := time.Now()
		h.conn.in <- reconfigureMsg(t, dhcpv6.Renew, key, 1)
		ren = h.expect(dhcpv6.Renew)
		if d := ren.at.Sub(sentAt); d != 0 {
			t.Errorf("Renew %v after the Reconfigure, want at once", d)
		}
		h.answer(ren, dhcpv6.Reply, grant(1, addr1, 2, 2, 3, 300))
		h.event(EventRenew)
		if st := h.status(); st.State != StateBound {
			t.Fatalf("state %v while DAD runs", st.State)
		}
		// Now detection fails: the address is declined.
		dad.result <- []netip.Addr{addr1}
		ev := h.event(EventDecline)
		if len(ev.Binding.Addrs()) != 0 || len(ev.Binding.DelegatedPrefixes()) != 1 {
			t.Errorf("after decline: %v %v", ev.Binding.Addrs(), ev.Binding.DelegatedPrefixes())
		}
		dec := h.expect(dhcpv6.Decline)
		if got := ias(dec.msg, dhcpv6.OptionIANA); !slices.Equal(got[1], []string{addr1.String()}) {
			t.Errorf("Decline's IAs %v", got)
		}
	})
}

// TestDADResultAfterRelease: a check that reports failure after the
// leases were released declines nothing.
func TestDADResultAfterRelease(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		cfg := naPD
		cfg.Interface = "lo"
		cfg.DADTimeout = time.Hour
		dad := &slowDAD{started: make(chan []netip.Addr, 4), result: make(chan []netip.Addr)}
		cfg.Action = dad
		h := start(t, cfg)
		bind(h)
		<-dad.started
		done := make(chan error, 1)
		go func() { done <- h.c.Release(context.Background()) }()
		h.event(EventRelease)
		rel := h.expect(dhcpv6.Release)
		h.answer(rel, dhcpv6.Reply, nil)
		if err := <-done; err != nil {
			t.Fatal(err)
		}
		dad.result <- []netip.Addr{addr1}
		h.noMessage(time.Hour)
		if st := h.status(); st.State != StateReleased {
			t.Errorf("state %v after a late DAD failure", st.State)
		}
	})
}
