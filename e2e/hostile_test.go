//go:build linux

package e2e

import (
	"encoding/binary"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"net/netip"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/leased/leased/internal/testnet"
)

// hostileConfig serves the Pair's link and its relay network, with a unix
// control socket for the statistics.
func hostileConfig(leaseFile, sock string) string {
	return fmt.Sprintf(`{
  "Dhcp4": {
    "interfaces-config": { "interfaces": [ "srv0" ] },
    "lease-database": { "type": "memfile", "persist": true, "name": %q, "lfc-interval": 0 },
    "valid-lifetime": 3600,
    "control-sockets": [ { "socket-type": "unix", "socket-name": %q } ],
    "subnet4": [
      { "id": 1, "subnet": "192.0.2.0/24", "interface": "srv0",
        "pools": [ { "pool": "192.0.2.100 - 192.0.2.199" } ] },
      { "id": 2, "subnet": "198.18.0.0/16", "pools": [ { "pool": "198.18.1.0 - 198.18.255.254" } ] }
    ]
  }
}
`, leaseFile, sock)
}

// bootRequest returns a BOOTREQUEST header (236 bytes) with the magic
// cookie, for chaddr 02:00:00:00:hi:lo, followed by opts.
func bootRequest(xid uint32, hi, lo byte, giaddr, ciaddr netip.Addr, opts ...[]byte) []byte {
	b := make([]byte, 240)
	b[0], b[1], b[2] = 1, 1, 6 // BOOTREQUEST, Ethernet, 6 bytes
	binary.BigEndian.PutUint32(b[4:], xid)
	if ciaddr.IsValid() {
		a := ciaddr.As4()
		copy(b[12:16], a[:])
	}
	if giaddr.IsValid() {
		a := giaddr.As4()
		copy(b[24:28], a[:])
		b[3] = 1 // hops
	}
	copy(b[28:], []byte{2, 0, 0, 0, hi, lo})
	copy(b[236:], []byte{99, 130, 83, 99})
	for _, o := range opts {
		b = append(b, o...)
	}
	return b
}

// opt returns option code with value, its length byte taken from the value.
func opt(code byte, value []byte) []byte { return append([]byte{code, byte(len(value))}, value...) }

var discover = opt(53, []byte{1})

// A hostile packet and whether it must be counted as dropped.
type hostile struct {
	name    string
	relayed bool // sent by unicast to the server, as a relay does
	payload []byte
	// dropped: the message is malformed; the server must not answer
	// and must count it in pkt4-receive-drop.
	dropped bool
}

func hostilePackets() []hostile {
	relay := netip.MustParseAddr(testnet.RelayAddr)
	none := netip.Addr{}
	var hs []hostile
	add := func(name string, dropped bool, p []byte) {
		hs = append(hs, hostile{name: name, payload: p, dropped: dropped})
	}
	addRelayed := func(name string, dropped bool, p []byte) {
		hs = append(hs, hostile{name: name, relayed: true, payload: p, dropped: dropped})
	}

	add("empty", true, nil)
	add("header cut short", true, bootRequest(1, 0, 1, none, none, discover)[:100])
	add("cookie and nothing else cut", true, bootRequest(2, 0, 2, none, none)[:238])
	add("option length past the end", true, bootRequest(3, 0, 3, none, none, discover, []byte{12, 200, 'a', 'b', 'c'}))
	add("option code without a length", true, bootRequest(4, 0, 4, none, none, discover, []byte{12}))
	add("message type of length 0", true, bootRequest(5, 0, 5, none, none, []byte{53, 0, 255}))

	// Hundreds of unknown empty options: more than the 255 options a
	// message may carry in leased (package dhcpv4), which no client sends.
	many := bootRequest(6, 0, 6, none, none, discover)
	for len(many) < 1400 {
		many = append(many, 224, 0)
	}
	add("600 empty options", true, append(many, 255))

	// Overload loops: option 52 in the file and sname fields naming them
	// again, which RFC 2131 does not allow.
	loop := bootRequest(7, 0, 7, none, none, discover, opt(52, []byte{3}), []byte{255})
	copy(loop[44:108], append(opt(52, []byte{3}), 255))  // sname
	copy(loop[108:236], append(opt(52, []byte{3}), 255)) // file
	add("overload naming itself in sname and file", true, loop)
	past := bootRequest(8, 0, 8, none, none, discover, opt(52, []byte{1}), []byte{255})
	copy(past[108:236], []byte{12, 250, 'x'}) // an option in file running past it
	add("overloaded file with an option past its end", true, past)

	// Option 55 asking for everything, once and as an RFC 3396 long option.
	all := make([]byte, 255)
	for i := range all {
		all[i] = byte(i + 1)
	}
	add("option 55 of 255 codes", false, bootRequest(9, 0, 9, none, none, discover, opt(55, all)))
	add("option 55 split in three", false, bootRequest(10, 0, 10, none, none, discover, opt(55, all), opt(55, all), opt(55, all), []byte{255}))

	// chaddr length beyond the 16-byte field.
	hlen := bootRequest(11, 0, 11, none, none, discover, []byte{255})
	hlen[2] = 255
	add("hlen 255", false, hlen)

	// Relay agent information of the largest size, and with a
	// sub-option running past the option.
	circuit := append([]byte{1, 253}, make([]byte, 253)...)
	addRelayed("option 82 of 255 bytes", false, bootRequest(12, 0, 12, relay, none, discover, opt(82, circuit), []byte{255}))
	addRelayed("option 82 sub-option past its end", false, bootRequest(13, 0, 13, relay, none, discover, opt(82, []byte{1, 200, 'x'}), []byte{255}))
	// giaddr of a network the server does not serve, and the server's own
	// address.
	addRelayed("giaddr of a foreign network", false, bootRequest(14, 0, 14, netip.MustParseAddr("203.0.113.7"), none, discover, []byte{255}))
	add("giaddr of the server itself", false, bootRequest(15, 0, 15, netip.MustParseAddr(testnet.ServerAddr), none, discover, []byte{255}))

	// Arbitrary option bytes after a valid header, from a fixed seed.
	rng := rand.New(rand.NewPCG(17, 17))
	for i := range 200 {
		junk := make([]byte, rng.IntN(1200))
		for k := range junk {
			junk[k] = byte(rng.Uint32())
		}
		add(fmt.Sprintf("random options %d", i), false, bootRequest(uint32(100+i), 1, byte(i), none, none, discover, junk))
	}
	return hs
}

// TestHostilePackets sends a running leased a burst of malformed and
// hostile DHCP messages (options running past the end, hundreds of
// options, overload loops, the largest option 82 and option 55, chaddr
// length 255, spoofed giaddr, arbitrary option bytes) and checks that it
// keeps running and serving a real client, drops and counts each
// malformed one, answers or counts as dropped every message it received,
// and gives no other client that real client's address.
func TestHostilePackets(t *testing.T) {
	needs(t, "dhclient")
	p := testnet.NewPair(t)
	if err := p.Client.SetSysctl("net.ipv6.conf.default.disable_ipv6", "1"); err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	leaseFile := filepath.Join(dir, "db", "dhcp4.leases")
	cfg := filepath.Join(dir, "kea-dhcp4.conf")
	sock := filepath.Join(dir, "leased.sock")
	writeFile(t, cfg, hostileConfig(leaseFile, sock))
	srv := newServer(t, p.Server, cfg, leaseFile)
	srv.start()
	ctl := &ctlRunner{t: t, ns: p.Server, sock: sock}

	stats := func() map[string]int64 {
		t.Helper()
		var answer struct {
			Arguments map[string][][2]json.RawMessage `json:"arguments"`
		}
		if err := json.Unmarshal([]byte(ctl.runWith("-json", "statistic-get-all")), &answer); err != nil {
			t.Fatal(err)
		}
		m := map[string]int64{}
		for name, samples := range answer.Arguments {
			var v int64
			if len(samples) > 0 && json.Unmarshal(samples[0][0], &v) == nil {
				m[name] = v
			}
		}
		return m
	}
	before := stats()

	client := netip.AddrPortFrom(netip.IPv4Unspecified(), 68)
	bcast := netip.AddrPortFrom(netip.AddrFrom4([4]byte{255, 255, 255, 255}), 67)
	relaySrc := netip.AddrPortFrom(p.RelayAddr, 67)
	toServer := netip.AddrPortFrom(p.ServerAddr, 67)
	hs := hostilePackets()
	malformed := 0
	for _, h := range hs {
		var err error
		if h.relayed {
			err = p.Client.SendRawUDP(testnet.PairClientIf, p.Server.HardwareAddr(t, testnet.PairServerIf), relaySrc, toServer, h.payload)
		} else {
			err = p.Client.SendRawUDP(testnet.PairClientIf, nil, client, bcast, h.payload)
		}
		if err != nil {
			t.Fatalf("%s: %v", h.name, err)
		}
		if h.dropped {
			malformed++
		}
		// A burst, but not one that overflows the socket buffer: what
		// is measured is how messages are handled, not queue limits.
		time.Sleep(2 * time.Millisecond)
	}
	// Let the server work through the burst.
	var after map[string]int64
	deadline := time.Now().Add(10 * time.Second)
	for {
		after = stats()
		if after["pkt4-received"]-before["pkt4-received"] > int64(len(hs)) || time.Now().After(deadline) {
			break
		}
		time.Sleep(100 * time.Millisecond)
	}
	if !srv.running() {
		t.Fatalf("leased died during the burst (%v)%s", srv.cur.ExitErr(), srv.lastLog())
	}
	delta := func(name string) int64 { return after[name] - before[name] }
	t.Logf("%d messages sent, %d malformed; pkt4-received +%d, pkt4-parse-failed +%d, pkt4-receive-drop +%d, pkt4-offer-sent +%d",
		len(hs), malformed, delta("pkt4-received"), delta("pkt4-parse-failed"), delta("pkt4-receive-drop"), delta("pkt4-offer-sent"))
	// One more than sent: the OFFER the server sends itself (see below).
	if d := delta("pkt4-received"); d != int64(len(hs))+1 {
		t.Errorf("pkt4-received went up by %d for %d messages sent and one OFFER the server sent itself", d, len(hs))
	}
	if d := delta("pkt4-parse-failed"); d < int64(malformed) {
		t.Errorf("pkt4-parse-failed went up by %d, but %d messages were malformed", d, malformed)
	}
	if d := delta("pkt4-receive-drop"); d < delta("pkt4-parse-failed") {
		t.Errorf("pkt4-receive-drop went up by %d, less than pkt4-parse-failed (%d)", d, delta("pkt4-parse-failed"))
	}
	// Every message received was answered or counted as dropped. The
	// server's OFFER to the client that named the server's address as
	// giaddr reaches the server itself, and counts as a drop.
	if r, o, d := delta("pkt4-received"), delta("pkt4-offer-sent"), delta("pkt4-receive-drop"); r != o+d {
		t.Errorf("pkt4-received +%d, but pkt4-offer-sent +%d and pkt4-receive-drop +%d: %d messages neither answered nor counted as dropped", r, o, d, r-o-d)
	}
	if out := srv.cur.Output(); strings.Contains(out, "panic") || strings.Contains(out, "goroutine ") {
		t.Errorf("leased logged a panic:%s", testnet.IndentOutput(testnet.Tail(out, 40)))
	}

	// A real client is still served.
	ifname, mac := p.AddClientLink(t)
	dhc := testnet.NewClient(t, testnet.Dhclient, p.Client, ifname, clientOpts)
	got, err := dhc.Obtain(t.Context())
	if err != nil {
		t.Fatalf("dhclient after the burst: %v%s", err, srv.lastLog())
	}
	t.Logf("dhclient %v got %v after the burst", mac, got.Addr)

	// Another client claims that address: renewing it by ciaddr from its
	// source address, and asking for it in INIT-REBOOT. Neither is
	// acknowledged, and the lease stays dhclient's.
	st := stats()
	acks, naks := st["pkt4-ack-sent"], st["pkt4-nak-sent"]
	spoofer := bootRequest(0xbad, 0xee, 0xee, netip.Addr{}, got.Addr, opt(53, []byte{3}), []byte{255})
	if err := p.Client.SendRawUDP(testnet.PairClientIf, p.Server.HardwareAddr(t, testnet.PairServerIf),
		netip.AddrPortFrom(got.Addr, 68), toServer, spoofer); err != nil {
		t.Fatal(err)
	}
	a4 := got.Addr.As4()
	reboot := bootRequest(0xbad+1, 0xee, 0xee, netip.Addr{}, netip.Addr{}, opt(53, []byte{3}), opt(50, a4[:]), []byte{255})
	if err := p.Client.SendRawUDP(testnet.PairClientIf, nil, client, bcast, reboot); err != nil {
		t.Fatal(err)
	}
	time.Sleep(500 * time.Millisecond)
	st = stats()
	if n := st["pkt4-ack-sent"] - acks; n != 0 {
		t.Errorf("%d ACKs for another client's requests for %v", n, got.Addr)
	}
	if n := st["pkt4-nak-sent"] - naks; n != 2 {
		t.Errorf("%d NAKs for another client's two requests for %v, want 2", n, got.Addr)
	}
	if out := ctl.run("lease4-get", fmt.Sprintf(`{"ip-address": %q}`, got.Addr)); !strings.Contains(out, mac.String()) {
		t.Errorf("the lease of %v is no longer dhclient's (%v):%s", got.Addr, mac, testnet.IndentOutput(out))
	}
	srv.stop()
}
