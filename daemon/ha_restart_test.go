//go:build linux

package daemon

import (
	"fmt"
	"testing"
	"time"

	"github.com/leased/leased/ha"
	"github.com/leased/leased/internal/testnet"
)

// TestHAPairRestartAnyOrder: a load-balancing pair with leases, both
// servers stopped, comes back to load-balancing by itself whichever
// starts first (the secondary alone goes partner-down and serves until
// the primary is back), with both stores equal and no lease lost.
func TestHAPairRestartAnyOrder(t *testing.T) {
	needRoot(t)
	ctlA, ctlB := testnet.FreeTCPPort(t, "127.0.0.1"), testnet.FreeTCPPort(t, "127.0.0.2")
	urls := [2]string{fmt.Sprintf("http://127.0.0.1:%d/", ctlA), fmt.Sprintf("http://127.0.0.2:%d/", ctlB)}
	a := newHANode(t, "server1", "127.0.0.1", ctlA, haParams("server1", "load-balancing", "secondary", urls, 500))
	b := newHANode(t, "server2", "127.0.0.2", ctlB, haParams("server2", "load-balancing", "secondary", urls, 500))
	a.start()
	b.start()
	a.waitState(ha.StateLoadBalancing)
	b.waitState(ha.StateLoadBalancing)
	relay := newHARelay(t, a.dhcpPort, b.dhcpPort)
	for i := range 4 {
		if _, _, ok := relay.dora([]byte{2, 0, 0, 0, 7, byte(i)}, 5*time.Second); !ok {
			t.Fatalf("client %d: no ACK", i)
		}
	}
	want := len(a.leases())

	for round, first := range [][2]*haNode{{b, a}, {a, b}} {
		a.stop()
		b.stop()
		first[0].start()
		first[0].waitState(ha.StatePartnerDown) // alone, it serves everyone
		first[1].start()
		a.waitState(ha.StateLoadBalancing)
		b.waitState(ha.StateLoadBalancing)
		la, lb := a.leases(), b.leases()
		if fmt.Sprint(la) != fmt.Sprint(lb) || len(la) != want {
			t.Errorf("round %d (%s first): server1 holds %d leases, server2 %d, want %d each and equal", round, first[0].name, len(la), len(lb), want)
		}
	}
}
