//go:build linux && dhcpserver_udp

package dhcpserver_test

import (
	"net/netip"
	"sync"
	"testing"
	"time"

	"github.com/leased/leased/dhcpserver"
	"github.com/leased/leased/dhcpserver/dhcptest"
	"github.com/leased/leased/dhcpv4"
	"github.com/leased/leased/internal/testnet"
)

// These tests run the server's path for systems without packet sockets
// and SO_BINDTODEVICE (FreeBSD, macOS) on Linux, where the
// dhcpserver_udp build tag selects it: scripts/test runs them with
// go test -tags dhcpserver_udp.

// seenReq is what a handler saw of one request.
type seenReq struct {
	ifname     string
	local, dst netip.Addr
}

// recorder answers as offerAll does and records each request by xid.
type recorder struct {
	mu  sync.Mutex
	got map[uint32]seenReq
}

func (rc *recorder) handler() dhcpserver.Handler {
	rc.got = make(map[uint32]seenReq)
	return dhcpserver.HandlerFunc(func(w dhcpserver.ResponseWriter, r *dhcpserver.Request) {
		rc.mu.Lock()
		rc.got[r.Packet.XID()] = seenReq{ifname: r.IfName, local: r.Local, dst: r.Dst}
		rc.mu.Unlock()
		offerAll.ServeDHCP(w, r)
	})
}

// wait returns what the handler saw of xid, failing the test when it saw
// nothing within 10 seconds.
func (rc *recorder) wait(t *testing.T, xid uint32) seenReq {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		rc.mu.Lock()
		r, ok := rc.got[xid]
		rc.mu.Unlock()
		if ok {
			return r
		}
		if time.Now().After(deadline) {
			t.Fatalf("the handler never saw xid %d", xid)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

func (rc *recorder) saw(xid uint32) bool {
	rc.mu.Lock()
	defer rc.mu.Unlock()
	_, ok := rc.got[xid]
	return ok
}

// TestUDPSocketsPerInterface: two servers in one namespace, each naming
// one link, share port 67 as leased serve's servers do. Each handles the
// broadcasts of its own link only, and a unicast to a link's address
// reaches that link's server; the replies that RFC 2131 unicasts to a
// client without an address are broadcast on the link the request came
// from, from the server's address there.
func TestUDPSocketsPerInterface(t *testing.T) {
	testnet.RequireRoot(t)
	if dhcpserver.HardwareUnicast {
		t.Fatal("built without the dhcpserver_udp tag's socket path")
	}
	p := testnet.NewPair(t)
	cli2 := testnet.NewNS(t, "cli2")
	testnet.Veth(t, p.Server, "srv1", cli2, "cli1")
	p.Server.AddAddr(t, "srv1", "203.0.113.1/24")
	cli2.AddAddr(t, "cli1", "203.0.113.2/24")
	p.Server.SetUp(t, "srv1")
	cli2.SetUp(t, "cli1")
	srv1Addr := netip.MustParseAddr("203.0.113.1")

	var recA, recB recorder
	a := &dhcpserver.Server{Interfaces: []string{testnet.PairServerIf}, Handler: recA.handler()}
	b := &dhcpserver.Server{Interfaces: []string{"srv1"}, Handler: recB.handler()}
	startIn(t, p.Server, a)
	startIn(t, p.Server, b)
	capA := p.Server.CaptureUDP(t, testnet.PairServerIf, 67, 68)
	capB := p.Server.CaptureUDP(t, "srv1", 67, 68)

	discover := func(xid uint32, hwIndex int) []byte {
		return (&dhcptest.Message{Type: dhcpv4.Discover, XID: xid, CHAddr: hw(hwIndex)}).MustBuild()
	}
	bcast := netip.MustParseAddr("255.255.255.255")

	// A broadcast on srv1 reaches server b only. The kernel queued it on
	// a's wildcard socket as on b's before b's handler saw it, so by the
	// time a has handled the broadcast that follows on its own link, it
	// has read and dropped this one.
	if err := cli2.SendBroadcastUDP("cli1", 68, 67, discover(1, 1)); err != nil {
		t.Fatal(err)
	}
	if got := recB.wait(t, 1); got.ifname != "srv1" || got.local != srv1Addr || got.dst != bcast {
		t.Errorf("b saw the broadcast on srv1 as %+v, want srv1, local %v, dst %v", got, srv1Addr, bcast)
	}
	if err := p.Client.SendBroadcastUDP(testnet.PairClientIf, 68, 67, discover(2, 2)); err != nil {
		t.Fatal(err)
	}
	if got := recA.wait(t, 2); got.ifname != testnet.PairServerIf || got.local != p.ServerAddr || got.dst != bcast {
		t.Errorf("a saw the broadcast on %s as %+v, want local %v, dst %v", testnet.PairServerIf, got, p.ServerAddr, bcast)
	}
	if recA.saw(1) || recB.saw(2) {
		t.Errorf("a server handled the other link's broadcast (a saw xid 1: %v, b saw xid 2: %v)", recA.saw(1), recB.saw(2))
	}

	// A unicast to a's address goes to a's socket bound to that address.
	conn, err := p.Client.ListenUDP(netip.AddrPortFrom(p.ClientAddr, 0), "")
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	if _, err := conn.WriteToUDPAddrPort(discover(3, 3), netip.AddrPortFrom(p.ServerAddr, 67)); err != nil {
		t.Fatal(err)
	}
	if got := recA.wait(t, 3); got.ifname != testnet.PairServerIf || got.local != p.ServerAddr || got.dst != p.ServerAddr {
		t.Errorf("a saw the unicast as %+v, want %s, local and dst %v", got, testnet.PairServerIf, p.ServerAddr)
	}

	// Every OFFER went to the client's hardware address by RFC 2131, and
	// is broadcast instead, on the link of its request.
	waitStats(t, a, func(st dhcpserver.Stats) bool { return st.Sent == 2 })
	waitStats(t, b, func(st dhcpserver.Stats) bool { return st.Sent == 1 })
	if st := a.Stats(); st.Fallbacks != 2 || st.Received != 2 {
		t.Errorf("a: stats %+v, want 2 received (the other link's broadcast dropped unseen) and 2 fallbacks", st)
	}
	if st := b.Stats(); st.Fallbacks != 1 || st.Received != 1 {
		t.Errorf("b: stats %+v, want 1 received and 1 fallback", st)
	}
	checkBroadcastReplies(t, capA, p.ServerAddr, 2, 3)
	checkBroadcastReplies(t, capB, srv1Addr, 1)
}

// checkBroadcastReplies waits for the OFFERs of xids on capture c and
// checks that they, and nothing else, left through c's link, broadcast
// from src.
func checkBroadcastReplies(t *testing.T, c *testnet.Capture, src netip.Addr, xids ...uint32) {
	t.Helper()
	want := make(map[uint32]bool)
	for _, x := range xids {
		want[x] = true
	}
	deadline := time.Now().Add(10 * time.Second)
	for {
		got := make(map[uint32]bool)
		for _, pk := range c.Packets() {
			if !pk.Outgoing || pk.Src.Port() != 67 {
				continue
			}
			var m dhcpv4.Packet
			if err := m.Decode(pk.Payload); err != nil {
				t.Fatalf("captured reply: %v", err)
			}
			if !want[m.XID()] {
				t.Errorf("reply to xid %d left through the wrong link", m.XID())
			}
			if pk.Src.Addr() != src || pk.Dst.Addr() != netip.MustParseAddr("255.255.255.255") || pk.Dst.Port() != 68 {
				t.Errorf("reply to xid %d went %v → %v, want %v → 255.255.255.255:68", m.XID(), pk.Src, pk.Dst, src)
			}
			got[m.XID()] = true
		}
		if len(got) == len(want) {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("replies seen for xids %v, want %v", got, want)
		}
		time.Sleep(10 * time.Millisecond)
	}
}
