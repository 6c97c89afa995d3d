//go:build linux

package testnet

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"os"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"
)

func TestNSCreatedAndRemoved(t *testing.T) {
	RequireRoot(t)
	var names []string
	t.Run("inner", func(t *testing.T) {
		a := NewNS(t, "a")
		b := NewNS(t, "b")
		names = append(names, a.Name(), b.Name())
		if a.Name() == b.Name() {
			t.Fatalf("two namespaces named %s", a.Name())
		}
		for _, ns := range []*NS{a, b} {
			if _, err := os.Stat(ns.Path()); err != nil {
				t.Fatalf("namespace handle: %v", err)
			}
		}
		Veth(t, a, "x0", b, "y0")
		// A process left running must not keep the namespace alive.
		if _, err := a.Start(context.Background(), "sleep", "600"); err != nil {
			t.Fatal(err)
		}
	})
	for _, n := range names {
		if _, err := os.Stat(netnsDir + "/" + n); !errors.Is(err, os.ErrNotExist) {
			t.Errorf("namespace %s still exists after its test ended (stat: %v)", n, err)
		}
	}
}

func TestDoRunsInNamespaceAndRestores(t *testing.T) {
	RequireRoot(t)
	ns := NewNS(t, "do")
	ns.MustRun(t, "ip", "link", "add", "dummy7", "type", "veth", "peer", "name", "dummy8")

	hostIfs, err := net.Interfaces()
	if err != nil {
		t.Fatal(err)
	}
	var inside []string
	if err := ns.Do(func() error {
		ifs, err := net.Interfaces()
		for _, ifi := range ifs {
			inside = append(inside, ifi.Name)
		}
		return err
	}); err != nil {
		t.Fatal(err)
	}
	slices.Sort(inside)
	if strings.Join(inside, ",") != "dummy7,dummy8,lo" {
		t.Errorf("interfaces inside namespace = %v, want [lo dummy8 dummy7]", inside)
	}
	// Run Do many times from several goroutines; afterwards the test
	// process must still see the host's interfaces everywhere.
	var wg sync.WaitGroup
	for range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for range 20 {
				_ = ns.Do(func() error { return nil })
			}
		}()
	}
	wg.Wait()
	for range 20 {
		ifs, err := net.Interfaces()
		if err != nil {
			t.Fatal(err)
		}
		if len(ifs) != len(hostIfs) {
			t.Fatalf("after Do: %d interfaces visible, host has %d", len(ifs), len(hostIfs))
		}
		for _, ifi := range ifs {
			if ifi.Name == "dummy7" {
				t.Fatal("namespace's interface visible outside Do")
			}
		}
	}
	if err := ns.Do(func() error { return errors.New("boom") }); err == nil || err.Error() != "boom" {
		t.Errorf("Do returned %v, want fn's error", err)
	}
	if err := ns.Do(func() error { panic("oops") }); err == nil || !strings.Contains(err.Error(), "oops") {
		t.Errorf("Do with panicking fn returned %v", err)
	}
}

func TestRunReportsOutputAndCancels(t *testing.T) {
	RequireRoot(t)
	ns := NewNS(t, "run")
	out, err := ns.Run(context.Background(), "sh", "-c", "echo hello; echo oops >&2; exit 3")
	if err == nil {
		t.Fatal("exit 3 reported as success")
	}
	if !strings.Contains(err.Error(), "oops") || !strings.Contains(out, "hello") {
		t.Errorf("error %q / output %q lack the command's output", err, out)
	}
	// Cancelling must kill the whole group, including a grandchild that
	// holds the output pipe.
	ctx, cancel := context.WithTimeout(context.Background(), 300*time.Millisecond)
	defer cancel()
	start := time.Now()
	_, err = ns.Run(ctx, "sh", "-c", "sleep 600 & sleep 600")
	if err == nil {
		t.Fatal("cancelled command reported success")
	}
	if d := time.Since(start); d > 10*time.Second {
		t.Errorf("cancelled command took %v to return", d)
	}
}

func TestPairUDP(t *testing.T) {
	RequireRoot(t)
	p := NewPair(t)
	srvConn, err := p.Server.ListenUDP(netip.MustParseAddrPort("0.0.0.0:6767"), PairServerIf)
	if err != nil {
		t.Fatal(err)
	}
	defer srvConn.Close()
	cliConn, err := p.Client.ListenUDP(netip.MustParseAddrPort("198.18.0.1:6768"), "")
	if err != nil {
		t.Fatal(err)
	}
	defer cliConn.Close()

	ifname, mac := p.AddClientLink(t)
	if got := p.Client.HardwareAddr(t, ifname); !bytes.Equal(got, mac) {
		t.Errorf("client link MAC %v, want %v", got, mac)
	}

	type sent struct {
		name    string
		send    func(payload []byte) error
		wantSrc string
	}
	cases := []sent{
		{"unicast", func(b []byte) error {
			return p.Client.SendUDP(netip.AddrPort{}, netip.MustParseAddrPort("192.0.2.1:6767"), b)
		}, "192.0.2.2"},
		{"unicast-from", func(b []byte) error {
			return p.Client.SendUDP(netip.MustParseAddrPort("198.18.0.1:6700"), netip.MustParseAddrPort("192.0.2.1:6767"), b)
		}, "198.18.0.1:6700"},
		{"broadcast", func(b []byte) error { return p.Client.SendBroadcastUDP(PairClientIf, 6701, 6767, b) }, ":6701"},
		{"raw", func(b []byte) error {
			return p.Client.SendRawUDP(ifname, nil, netip.MustParseAddrPort("0.0.0.0:68"), netip.MustParseAddrPort("255.255.255.255:6767"), b)
		}, "0.0.0.0:68"},
	}
	for i, c := range cases {
		payload := fmt.Appendf(nil, "payload %d %s \x00\xff", i, c.name)
		if err := c.send(payload); err != nil {
			t.Fatalf("%s: %v", c.name, err)
		}
		srvConn.SetReadDeadline(time.Now().Add(5 * time.Second))
		buf := make([]byte, 1500)
		n, from, err := srvConn.ReadFromUDPAddrPort(buf)
		if err != nil {
			t.Fatalf("%s: server did not receive: %v", c.name, err)
		}
		if !bytes.Equal(buf[:n], payload) {
			t.Errorf("%s: received %q, want %q", c.name, buf[:n], payload)
		}
		if !strings.Contains(from.String(), c.wantSrc) {
			t.Errorf("%s: source %v, want %s", c.name, from, c.wantSrc)
		}
	}
	// The server reaches the relay address over its on-link route.
	if err := p.Server.SendUDP(netip.AddrPort{}, netip.MustParseAddrPort("198.18.0.1:6768"), []byte("to relay")); err != nil {
		t.Fatal(err)
	}
	cliConn.SetReadDeadline(time.Now().Add(5 * time.Second))
	buf := make([]byte, 100)
	n, _, err := cliConn.ReadFromUDPAddrPort(buf)
	if err != nil || string(buf[:n]) != "to relay" {
		t.Fatalf("relay address got %q, %v", buf[:n], err)
	}
}

func TestWaitUDPListen(t *testing.T) {
	RequireRoot(t)
	ns := NewNS(t, "listen")
	ctx, cancel := context.WithTimeout(context.Background(), 200*time.Millisecond)
	defer cancel()
	if err := ns.WaitUDPListen(ctx, 6767); err == nil {
		t.Fatal("WaitUDPListen succeeded with no listener")
	}
	// A listener in the test process's own namespace must not count.
	host, err := net.ListenUDP("udp4", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1)})
	if err != nil {
		t.Fatal(err)
	}
	defer host.Close()
	ctx1, cancel1 := context.WithTimeout(context.Background(), 200*time.Millisecond)
	defer cancel1()
	if err := ns.WaitUDPListen(ctx1, uint16(host.LocalAddr().(*net.UDPAddr).Port)); err == nil {
		t.Fatal("WaitUDPListen saw a socket of the host's namespace")
	}
	if c, err := ns.ListenUDP(netip.MustParseAddrPort("127.0.0.1:6767"), ""); err != nil {
		t.Fatal(err)
	} else {
		defer c.Close()
	}
	ctx2, cancel2 := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel2()
	if err := ns.WaitUDPListen(ctx2, 6767); err != nil {
		t.Fatal(err)
	}
}

func TestMesh(t *testing.T) {
	RequireRoot(t)
	m := NewMesh(t, 3)
	if len(m.Nodes) != 3 {
		t.Fatalf("%d nodes", len(m.Nodes))
	}
	last := m.Nodes[2]
	conn, err := last.NS.ListenUDP(netip.AddrPortFrom(last.MeshAddr.Addr(), 7000), "")
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	for i, n := range m.Nodes[:2] {
		if err := n.NS.SendUDP(netip.AddrPort{}, netip.AddrPortFrom(last.MeshAddr.Addr(), 7000), []byte{byte(i)}); err != nil {
			t.Fatal(err)
		}
		conn.SetReadDeadline(time.Now().Add(5 * time.Second))
		buf := make([]byte, 10)
		_, from, err := conn.ReadFromUDPAddrPort(buf)
		if err != nil {
			t.Fatalf("node %d -> node 2 over the bridge: %v", i, err)
		}
		if from.Addr() != n.MeshAddr.Addr() {
			t.Errorf("from %v, want %v", from.Addr(), n.MeshAddr.Addr())
		}
	}
	// IPv6 link-local multicast crosses the bridge at once (no DAD wait),
	// as mesh protocols such as ddhcpd's need.
	group := &net.UDPAddr{IP: net.ParseIP("ff02::1234"), Port: 1234}
	var mc *net.UDPConn
	if err := last.NS.Do(func() error {
		ifi, err := net.InterfaceByName(last.MeshIf)
		if err != nil {
			return err
		}
		mc, err = net.ListenMulticastUDP("udp6", ifi, group)
		return err
	}); err != nil {
		t.Fatal(err)
	}
	defer mc.Close()
	if err := m.Nodes[0].NS.Do(func() error {
		c, err := net.DialUDP("udp6", nil, &net.UDPAddr{IP: group.IP, Port: group.Port, Zone: m.Nodes[0].MeshIf})
		if err != nil {
			return err
		}
		defer c.Close()
		_, err = c.Write([]byte("mesh hello"))
		return err
	}); err != nil {
		t.Fatal(err)
	}
	mc.SetReadDeadline(time.Now().Add(5 * time.Second))
	mbuf := make([]byte, 100)
	n, from, err := mc.ReadFromUDP(mbuf)
	if err != nil || string(mbuf[:n]) != "mesh hello" || !from.IP.IsLinkLocalUnicast() {
		t.Fatalf("multicast over the bridge: %q from %v, %v", mbuf[:n], from, err)
	}

	// Each client link is a separate segment.
	n0 := m.Nodes[0]
	n0.NS.AddAddr(t, n0.LANIf, "198.19.0.1/24")
	n0.Client.AddAddr(t, n0.ClientIf, "198.19.0.2/24")
	cc, err := n0.NS.ListenUDP(netip.MustParseAddrPort("198.19.0.1:7001"), "")
	if err != nil {
		t.Fatal(err)
	}
	defer cc.Close()
	if err := n0.Client.SendUDP(netip.AddrPort{}, netip.MustParseAddrPort("198.19.0.1:7001"), []byte("lan")); err != nil {
		t.Fatal(err)
	}
	cc.SetReadDeadline(time.Now().Add(5 * time.Second))
	if _, _, err := cc.ReadFromUDPAddrPort(make([]byte, 10)); err != nil {
		t.Fatalf("client link: %v", err)
	}
}

func TestBuildIPv4UDP(t *testing.T) {
	pkt, err := BuildIPv4UDP(netip.MustParseAddrPort("0.0.0.0:68"), netip.MustParseAddrPort("255.255.255.255:67"), []byte("abc"))
	if err != nil {
		t.Fatal(err)
	}
	if len(pkt) != 31 {
		t.Fatalf("length %d, want 31", len(pkt))
	}
	if c := checksum(pkt[:20], 0); c != 0 {
		t.Errorf("IP header does not verify: %#x", c)
	}
	// Verify UDP checksum over pseudo-header + segment.
	var pseudo []byte
	pseudo = append(pseudo, pkt[12:20]...)
	pseudo = append(pseudo, 0, 17, 0, byte(len(pkt)-20))
	if c := checksum(append(pseudo, pkt[20:]...), 0); c != 0 {
		t.Errorf("UDP checksum does not verify: %#x", c)
	}
	if _, err := BuildIPv4UDP(netip.MustParseAddrPort("[::1]:1"), netip.MustParseAddrPort("1.2.3.4:5"), nil); err == nil {
		t.Error("IPv6 source accepted")
	}
	if _, err := BuildIPv4UDP(netip.MustParseAddrPort("0.0.0.0:1"), netip.MustParseAddrPort("0.0.0.0:2"), make([]byte, 70000)); err == nil {
		t.Error("oversized payload accepted")
	}
}

func TestSanitizeLabel(t *testing.T) {
	for in, want := range map[string]string{
		"srv":                       "srv",
		"a b/c":                     "a-b-c",
		"--x--":                     "x",
		"averyveryverylonglabel123": "averyveryverylon",
		"":                          "",
	} {
		if got := sanitizeLabel(in); got != want {
			t.Errorf("sanitizeLabel(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestSweepStale(t *testing.T) {
	RequireRoot(t)
	// A pid that does not run: one past the largest possible.
	b, err := os.ReadFile("/proc/sys/kernel/pid_max")
	if err != nil {
		t.Fatal(err)
	}
	dead := strings.TrimSpace(string(b))
	stale := nsPrefix + dead + "-1-stale"
	live := fmt.Sprintf("%s%d-999999-live", nsPrefix, os.Getpid())
	for _, n := range []string{stale, live} {
		if out, err := runIP(context.Background(), "netns", "add", n); err != nil {
			t.Fatalf("%v: %s", err, out)
		}
		t.Cleanup(func() { _ = removeNS(n) })
	}
	sweepStale(t)
	if _, err := os.Stat(netnsDir + "/" + stale); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("stale namespace %s survived the sweep", stale)
	}
	if _, err := os.Stat(netnsDir + "/" + live); err != nil {
		t.Errorf("namespace %s of a running process was swept: %v", live, err)
	}
}
