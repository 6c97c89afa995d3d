package dhcpserver_test

import (
	"net"
	"testing"

	"github.com/leased/leased/dhcpserver"
	"github.com/leased/leased/dhcpserver/dhcptest"
	"github.com/leased/leased/dhcpv4"
)

// TestQuickStart is the package documentation's quick start test, with a
// check that the quick start's replies carry option 54 although the
// handler does not add it.
func TestQuickStart(t *testing.T) {
	ts := dhcptest.NewServer(t, dhcpserver.HandlerFunc(static))
	got, err := ts.Client.DORA(1, net.HardwareAddr{2, 0, 0, 0, 0, 1})
	if err != nil {
		t.Fatal(err)
	}
	if got != staticAddr {
		t.Errorf("leased %v, want %v", got, staticAddr)
	}
	offer, err := ts.Client.Exchange((&dhcptest.Message{Type: dhcpv4.Discover, XID: 2, CHAddr: net.HardwareAddr{2, 0, 0, 0, 0, 2}}).MustBuild())
	if err != nil {
		t.Fatal(err)
	}
	if sid, ok := offer.ServerID(); !ok || sid != loopback {
		t.Errorf("the quick start's OFFER has server id %v, %v; want %v", sid, ok, loopback)
	}
}
