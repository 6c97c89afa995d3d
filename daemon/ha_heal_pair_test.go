//go:build linux

package daemon

import (
	"fmt"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/leased/leased/ha"
	"github.com/leased/leased/internal/testnet"
)

// TestHAPairHealsAfterClockSkew: a leased load-balancing pair whose
// server2 clock jumps 70 s ahead goes terminated on both sides (each
// sees the other's clock off); once the clock is set right both leave
// terminated by themselves, server1 (the primary) first, sync, and are
// back in load-balancing with equal stores.
func TestHAPairHealsAfterClockSkew(t *testing.T) {
	needRoot(t)
	ctlA, ctlB := testnet.FreeTCPPort(t, "127.0.0.1"), testnet.FreeTCPPort(t, "127.0.0.2")
	urls := [2]string{fmt.Sprintf("http://127.0.0.1:%d/", ctlA), fmt.Sprintf("http://127.0.0.2:%d/", ctlB)}
	a := newHANode(t, "server1", "127.0.0.1", ctlA, haParams("server1", "load-balancing", "secondary", urls, 1000))
	b := newHANode(t, "server2", "127.0.0.2", ctlB, haParams("server2", "load-balancing", "secondary", urls, 1000))
	var offset atomic.Int64
	b.clock = func() time.Time { return time.Now().Add(time.Duration(offset.Load())) }
	a.start()
	b.start()
	a.waitState(ha.StateLoadBalancing)
	b.waitState(ha.StateLoadBalancing)
	relay := newHARelay(t, a.dhcpPort, b.dhcpPort)
	if _, _, ok := relay.dora([]byte{2, 0, 0, 0, 6, 1}, 5*time.Second); !ok {
		t.Fatal("no ACK before the skew")
	}

	offset.Store(int64(70 * time.Second))
	a.waitState(ha.StateTerminated)
	b.waitState(ha.StateTerminated)
	if r := a.local().Reason; !strings.Contains(r, "off ours") {
		t.Errorf("server1 terminated by skew: reason %q, want it to say the partner's clock is off", r)
	}
	// Terminated, each serves its own scope, without lease updates.
	if _, _, ok := relay.dora([]byte{2, 0, 0, 0, 6, 2}, 5*time.Second); !ok {
		t.Fatal("no ACK while terminated")
	}

	offset.Store(0)
	a.waitState(ha.StateLoadBalancing)
	b.waitState(ha.StateLoadBalancing)
	for _, step := range []string{"terminated -> waiting", "waiting -> syncing"} {
		for _, n := range []*haNode{a, b} {
			if !strings.Contains(n.p.out.String(), step) {
				t.Errorf("%s's log has no transition %q", n.name, step)
			}
		}
	}
	if la, lb := a.leases(), b.leases(); fmt.Sprint(la) != fmt.Sprint(lb) || len(la) != 2 {
		t.Errorf("after healing: server1 holds %v, server2 %v; want the same 2 leases", sortedKeys(la), sortedKeys(lb))
	}
}
