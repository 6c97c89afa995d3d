package client6

import (
	"context"
	"net/netip"
	"strings"
	"testing"
	"testing/synctest"
	"time"

	"github.com/leased/leased/dhcpv6"
)

// Tests of the timing RFC 8415 §15 and §18.2 ask for, on the fake clock.

// TestFirstSolicitDelay: the first Solicit waits a random time up to
// SOL_MAX_DELAY (§18.2.1), and its first RT is above IRT (§15).
func TestFirstSolicitDelay(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		began := time.Now()
		h := start(t, naPD)
		sol := h.expect(dhcpv6.Solicit)
		if d := sol.at.Sub(began); d < 0 || d > solMaxDelay {
			t.Errorf("first Solicit %v after the start, want within SOL_MAX_DELAY", d)
		}
		again := h.expect(dhcpv6.Solicit)
		if rt := again.at.Sub(sol.at); rt <= solTimeout || rt > solTimeout*11/10 {
			t.Errorf("first RT %v, want in (IRT, 1.1 IRT]", rt)
		}
	})
}

// TestReleaseTransmissions: a Release nobody answers goes out REL_MAX_RC
// (4) times, 1 s, then about 2 s and 4 s apart, and the client is
// RELEASED after the last one's RT (§18.2.7).
func TestReleaseTransmissions(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		h := start(t, naPD)
		bind(h)
		done := make(chan error, 1)
		go func() { done <- h.c.Release(context.Background()) }()
		h.event(EventRelease)
		checkTransmissions(t, h, dhcpv6.Release, 4, time.Second) // REL_MAX_RC, REL_TIMEOUT
		if err := <-done; err != nil {
			t.Fatal(err)
		}
		if st := h.status(); st.State != StateReleased || st.Counters.Sent[dhcpv6.Release] != 4 {
			t.Errorf("after the Releases: %v, %d sent", st.State, st.Counters.Sent[dhcpv6.Release])
		}
		h.noMessage(time.Hour)
	})
}

// TestDeclineTransmissions: a Decline nobody answers goes out DEC_MAX_RC
// times (4 in RFC 8415 §7.6; RFC 3315 had 5), then the client asks for
// its IAs again.
func TestDeclineTransmissions(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		cfg := naPD
		cfg.Interface = "lo"
		cfg.Action = &dadAction{failed: []netip.Addr{addr1}}
		h := start(t, cfg)
		bind(h)
		h.event(EventDecline)
		checkTransmissions(t, h, dhcpv6.Decline, 4, time.Second) // DEC_MAX_RC, DEC_TIMEOUT
		h.expect(dhcpv6.Request)
	})
}

// checkTransmissions reads n transmissions of mt, the first IRT apart
// with RAND in [-0.1, +0.1], each later RT twice the previous with RAND,
// all with one transaction id; then no more of mt (the next message, if
// any within an hour, is put back for the caller).
func checkTransmissions(t *testing.T, h *harness, mt dhcpv6.MessageType, n int, irt time.Duration) {
	t.Helper()
	first := h.expect(mt)
	prev, prevRT := first, time.Duration(0)
	for i := 1; i < n; i++ {
		s := h.expect(mt)
		if s.msg.TransactionID() != first.msg.TransactionID() {
			t.Fatalf("%v %d has another transaction id", mt, i+1)
		}
		rt := s.at.Sub(prev.at)
		lo, hi := irt*9/10, irt*11/10
		if i > 1 {
			lo, hi = prevRT*19/10, prevRT*21/10
		}
		if rt < lo || rt > hi {
			t.Errorf("%v %d came %v after the previous, want within [%v, %v]", mt, i+1, rt, lo, hi)
		}
		prev, prevRT = s, rt
	}
	select {
	case s := <-h.out():
		if s.msg.Type() == mt {
			t.Fatalf("%v sent a %dth time", mt, n+1)
		}
		h.conn.out <- s // not ours to judge; the caller reads it
	case <-time.After(time.Hour):
	}
}

// TestServerTimesZero: T1 and T2 of 0 leave the times to the client,
// 0.5 and 0.8 of the shortest preferred lifetime (§14.2, §21.4); with
// only one of them 0, the one the client picks stays on its side of the
// other (T1 never after T2); deprecated leases count by their valid
// lifetime.
func TestServerTimesZero(t *testing.T) {
	t0 := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	for _, tc := range []struct {
		name           string
		t1, t2         time.Duration
		wantT1, wantT2 time.Duration
	}{
		{"both 0", 0, 0, 50 * time.Second, 80 * time.Second},
		{"T1 0, T2 below half", 0, 30 * time.Second, 30 * time.Second, 30 * time.Second},
		{"T1 0, T2 above half", 0, 90 * time.Second, 50 * time.Second, 90 * time.Second},
		{"T2 0, T1 above 0.8", 95 * time.Second, 0, 95 * time.Second, 95 * time.Second},
		{"T2 0, T1 below 0.8", 20 * time.Second, 0, 20 * time.Second, 80 * time.Second},
		{"both given", 20 * time.Second, 40 * time.Second, 20 * time.Second, 40 * time.Second},
		{"deprecated: by the valid lifetime", 0, 0, 100 * time.Second, 160 * time.Second},
	} {
		pref := 100 * time.Second
		if strings.HasPrefix(tc.name, "deprecated") {
			pref = 0
		}
		b := &Binding{IANA: []IA{{IAID: 1, T1: tc.t1, T2: tc.t2, Received: t0,
			Addresses: []Address{{Addr: addr1, Preferred: pref, Valid: 200 * time.Second}}}}}
		if got, want := b.RenewAt(), t0.Add(tc.wantT1); !got.Equal(want) {
			t.Errorf("%s: RenewAt %v, want %v", tc.name, got.Sub(t0), tc.wantT1)
		}
		if got, want := b.RebindAt(), t0.Add(tc.wantT2); !got.Equal(want) {
			t.Errorf("%s: RebindAt %v, want %v", tc.name, got.Sub(t0), tc.wantT2)
		}
	}
}

// TestReplyT1AboveT2: an IA_NA whose T1 is above its T2 (both nonzero)
// is discarded (§21.4): a Request answered only with such an IA gives no
// leases, and the client solicits again.
func TestReplyT1AboveT2(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		cfg := Config{IANA: []IAConfig{{IAID: 1}}}
		h := start(t, cfg)
		sol := h.expect(dhcpv6.Solicit)
		h.answer(sol, dhcpv6.Advertise, grant(1, addr1, 0, 100, 160, 300))
		req := h.expect(dhcpv6.Request)
		h.answer(req, dhcpv6.Reply, grant(1, addr1, 0, 160, 100, 300))
		h.expect(dhcpv6.Solicit)
		if st := h.status(); st.Binding != nil {
			t.Errorf("bound to %v from an IA with T1 above T2", st.Binding.Addrs())
		}
	})
}

// TestRenewUntilT2RebindUntilExpiry: Renews go to the server from T1
// with REN_TIMEOUT (10 s) doubling, the last before T2; Rebinds, to no
// server in particular, from T2 until the valid lifetime ends; then the
// leases go and the client solicits (§18.2.4, §18.2.5).
func TestRenewUntilT2RebindUntilExpiry(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		h := start(t, naPD)
		bind(h) // T1 100, T2 160, valid 300
		bound := time.Now()
		var renews, rebinds []time.Duration
		for {
			s := h.next()
			at := s.at.Sub(bound)
			switch s.msg.Type() {
			case dhcpv6.Renew:
				if sid, _ := s.msg.Options().ServerID(); string(sid) != string(serverDUID) {
					t.Errorf("Renew at %v names server %v", at, sid)
				}
				renews = append(renews, at)
				continue
			case dhcpv6.Rebind:
				if s.msg.Options().Has(dhcpv6.OptionServerID) {
					t.Errorf("Rebind at %v names a server", at)
				}
				rebinds = append(rebinds, at)
				continue
			case dhcpv6.Solicit:
			default:
				t.Fatalf("sent %v at %v", s.msg.Type(), at)
			}
			if at < 300*time.Second {
				t.Errorf("solicited at %v, before the valid lifetime ended", at)
			}
			break
		}
		if len(renews) < 3 || renews[0] != 100*time.Second || renews[len(renews)-1] >= 160*time.Second {
			t.Errorf("Renews at %v; want from T1 (100s), all before T2 (160s)", renews)
		}
		if d := renews[1] - renews[0]; d < 9*time.Second || d > 11*time.Second {
			t.Errorf("first Renew RT %v, want REN_TIMEOUT ±10%%", d)
		}
		if len(rebinds) < 2 || rebinds[0] != 160*time.Second || rebinds[len(rebinds)-1] >= 300*time.Second {
			t.Errorf("Rebinds at %v; want from T2 (160s), all before the valid lifetime's end (300s)", rebinds)
		}
	})
}
