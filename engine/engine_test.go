package engine

import (
	"context"
	"net"
	"net/netip"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/leased/leased/config"
	"github.com/leased/leased/dhcpserver/dhcptest"
	"github.com/leased/leased/dhcpv4"
	"github.com/leased/leased/lease"
	"github.com/leased/leased/lease/memfile"
)

const testConfig = `{"Dhcp4": {
	"valid-lifetime": 3600, "renew-timer": 900, "rebind-timer": 1800,
	"authoritative": true,
	"expired-leases-processing": {"hold-reclaimed-time": 600},
	"option-data": [{"name": "domain-name-servers", "data": "192.0.2.53"}],
	"client-classes": [
		{"name": "voip", "test": "substring(option[60].text, 0, 4) == 'voip'"},
		{"name": "others", "test": "not member('voip')"}
	],
	"subnet4": [
		{"id": 1, "subnet": "192.0.2.0/24", "interface": "test0",
		 "pools": [
			{"pool": "192.0.2.100 - 192.0.2.149", "client-classes": ["others"]},
			{"pool": "192.0.2.150 - 192.0.2.159", "client-classes": ["voip"]}
		 ],
		 "option-data": [{"name": "routers", "data": "192.0.2.1"}],
		 "reservations": [{"hw-address": "02:00:00:00:00:99", "ip-address": "192.0.2.10", "hostname": "printer",
			"option-data": [{"name": "domain-name", "data": "res.example"}]}]},
		{"id": 2, "subnet": "198.18.0.0/16", "pools": [{"pool": "198.18.1.0 - 198.18.1.255"}]}
	]}}`

var (
	serverAddr = netip.MustParseAddr("192.0.2.1")
	relayAddr  = netip.MustParseAddr("198.18.0.1")
)

type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *clock) add(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

type fixture struct {
	t     *testing.T
	srv   *Engine
	store lease.Store
	clock *clock
}

func loadConfig(t testing.TB, src string) *config.Config {
	t.Helper()
	cfg, diags, err := config.Parse("test.json", []byte(src), nil)
	if err != nil {
		for _, d := range diags {
			t.Log(d)
		}
		t.Fatal(err)
	}
	return cfg
}

func newFixture(t *testing.T, src string) *fixture {
	t.Helper()
	store, err := memfile.Open(memfile.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { store.Close() })
	clk := &clock{t: time.Unix(1_800_000_000, 0)}
	srv, err := New(context.Background(), loadConfig(t, src), store, &Options{Now: clk.now})
	if err != nil {
		t.Fatal(err)
	}
	return &fixture{t: t, srv: srv, store: store, clock: clk}
}

// send passes a message to the server and returns its reply, nil if none.
func (f *fixture) send(m dhcptest.Message) *dhcptest.Reply {
	f.t.Helper()
	return f.sendOn(m, nil)
}

func mac(s string) net.HardwareAddr {
	hw, err := net.ParseMAC(s)
	if err != nil {
		panic(err)
	}
	return hw
}

// dora runs DISCOVER, REQUEST and returns the acknowledged address.
func (f *fixture) dora(hw net.HardwareAddr, opts ...dhcptest.Option) netip.Addr {
	f.t.Helper()
	off := f.send(dhcptest.Message{Type: dhcpv4.Discover, XID: 1, CHAddr: hw, Options: opts})
	if off == nil || off.Packet.MessageType() != dhcpv4.Offer {
		f.t.Fatalf("no OFFER for %v: %+v", hw, off)
	}
	a := off.Packet.YIAddr()
	ack := f.send(dhcptest.Message{Type: dhcpv4.Request, XID: 2, CHAddr: hw, RequestedIP: a, ServerID: serverAddr, Options: opts})
	if ack == nil || ack.Packet.MessageType() != dhcpv4.Ack || ack.Packet.YIAddr() != a {
		f.t.Fatalf("no ACK for %v of %v: %+v", hw, a, ack)
	}
	return a
}

func (f *fixture) lease(a netip.Addr) (lease.Lease, bool) {
	var l lease.Lease
	ok, err := f.store.Get(context.Background(), a, &l)
	if err != nil {
		f.t.Fatal(err)
	}
	return l, ok
}

func inRange(a netip.Addr, first, last string) bool {
	return netip.MustParseAddr(first).Compare(a) <= 0 && a.Compare(netip.MustParseAddr(last)) <= 0
}

func TestDORAOptionsAndLease(t *testing.T) {
	f := newFixture(t, testConfig)
	hw := mac("02:00:00:00:00:01")
	off := f.send(dhcptest.Message{Type: dhcpv4.Discover, XID: 7, CHAddr: hw,
		Options: []dhcptest.Option{{Code: dhcpv4.OptionParameterList, Value: []byte{1, 3, 6, 15, 51}}}})
	if off == nil {
		t.Fatal("no OFFER")
	}
	p := off.Packet
	if p.MessageType() != dhcpv4.Offer || !inRange(p.YIAddr(), "192.0.2.100", "192.0.2.149") {
		t.Fatalf("offer %v of %v", p.MessageType(), p.YIAddr())
	}
	if sid, _ := p.ServerID(); sid != serverAddr {
		t.Errorf("server id %v", sid)
	}
	if lt, _ := p.LeaseTime(); lt != 3600 {
		t.Errorf("lease time %d", lt)
	}
	if t1, _ := p.RenewalTime(); t1 != 900 {
		t.Errorf("T1 %d", t1)
	}
	if t2, _ := p.RebindingTime(); t2 != 1800 {
		t.Errorf("T2 %d", t2)
	}
	if m, _ := p.Option(dhcpv4.OptionSubnetMask); netip.AddrFrom4([4]byte(m)).String() != "255.255.255.0" {
		t.Errorf("mask %v", m)
	}
	if r, _ := p.Option(dhcpv4.OptionRouter); len(r) != 4 || netip.AddrFrom4([4]byte(r)) != serverAddr {
		t.Errorf("router %v", r)
	}
	if d, _ := p.Option(dhcpv4.OptionDomainNameServer); len(d) != 4 || netip.AddrFrom4([4]byte(d)).String() != "192.0.2.53" {
		t.Errorf("dns from global scope %v", d)
	}
	if p.HasOption(dhcpv4.OptionDomainName) {
		t.Error("domain-name sent to a client without the reservation that has it")
	}
	if _, ok := f.lease(p.YIAddr()); ok {
		t.Error("OFFER wrote a lease with offer-lifetime 0")
	}
	a := f.dora(hw)
	if a != p.YIAddr() {
		t.Errorf("ACK for %v after an OFFER of %v", a, p.YIAddr())
	}
	l, ok := f.lease(a)
	if !ok || l.State != lease.StateDefault || l.SubnetID != 1 || l.ValidLifetime != 3600 || net.HardwareAddr(l.HWAddr).String() != hw.String() {
		t.Fatalf("lease %+v %v", l, ok)
	}
	// Renewing: unicast with ciaddr extends the same lease.
	f.clock.add(20 * time.Minute)
	ack := f.send(dhcptest.Message{Type: dhcpv4.Request, XID: 3, CHAddr: hw, CIAddr: a})
	if ack == nil || ack.Packet.MessageType() != dhcpv4.Ack || ack.Packet.YIAddr() != a || ack.Packet.CIAddr() != a {
		t.Fatalf("renew: %+v", ack)
	}
	if l2, _ := f.lease(a); l2.CLTT != f.clock.now().Unix() {
		t.Errorf("renew did not move CLTT: %d", l2.CLTT)
	}
	// A second DISCOVER from the same client gets its address again.
	again := f.send(dhcptest.Message{Type: dhcpv4.Discover, XID: 8, CHAddr: hw})
	if again == nil || again.Packet.YIAddr() != a {
		t.Errorf("second DISCOVER: %+v", again)
	}
}

func TestReservationAndGuardedPool(t *testing.T) {
	f := newFixture(t, testConfig)
	prl := dhcptest.Option{Code: dhcpv4.OptionParameterList, Value: []byte{1, 3, 6, 12, 15}}
	off := f.send(dhcptest.Message{Type: dhcpv4.Discover, XID: 1, CHAddr: mac("02:00:00:00:00:99"), Options: []dhcptest.Option{prl}})
	if off == nil || off.Packet.YIAddr().String() != "192.0.2.10" {
		t.Fatalf("reserved client offered %+v", off)
	}
	if d, _ := off.Packet.Option(dhcpv4.OptionDomainName); string(d) != "res.example" {
		t.Errorf("reservation's domain-name = %q", d)
	}
	if h := off.Packet.HostName(); string(h) != "printer" {
		t.Errorf("host name %q", h)
	}
	voip := dhcptest.Option{Code: dhcpv4.OptionVendorClass, Value: []byte("voip-phone-9")}
	for i := 0; i < 5; i++ {
		a := f.dora(mac("02:00:00:00:01:0"+string(rune('0'+i))), voip)
		if !inRange(a, "192.0.2.150", "192.0.2.159") {
			t.Errorf("voip client got %v, outside its guarded pool", a)
		}
	}
	if a := f.dora(mac("02:00:00:00:02:00")); !inRange(a, "192.0.2.100", "192.0.2.149") {
		t.Errorf("other client got %v", a)
	}
}

func TestRelayedClientGetsRelaySubnet(t *testing.T) {
	f := newFixture(t, testConfig)
	off := f.send(dhcptest.Message{Type: dhcpv4.Discover, XID: 1, CHAddr: mac("02:00:00:00:00:05"), GIAddr: relayAddr, Hops: 1})
	if off == nil || !inRange(off.Packet.YIAddr(), "198.18.1.0", "198.18.1.255") {
		t.Fatalf("relayed offer %+v", off)
	}
	if off.Dst != netip.AddrPortFrom(relayAddr, 67) {
		t.Errorf("reply goes to %v, not the relay", off.Dst)
	}
}

func TestNAKs(t *testing.T) {
	f := newFixture(t, testConfig)
	a := f.dora(mac("02:00:00:00:00:01"))
	// INIT-REBOOT for an address on another network.
	nak := f.send(dhcptest.Message{Type: dhcpv4.Request, XID: 9, CHAddr: mac("02:00:00:00:00:01"), RequestedIP: netip.MustParseAddr("10.9.9.9")})
	if nak == nil || nak.Packet.MessageType() != dhcpv4.Nak {
		t.Fatalf("wrong-network INIT-REBOOT: %+v", nak)
	}
	if nak.Dst.Addr().String() != "255.255.255.255" {
		t.Errorf("NAK to %v, not broadcast", nak.Dst)
	}
	// Another client asks for a's address.
	for _, m := range []dhcptest.Message{
		{Type: dhcpv4.Request, XID: 10, CHAddr: mac("02:00:00:00:00:02"), RequestedIP: a, ServerID: serverAddr},
		{Type: dhcpv4.Request, XID: 11, CHAddr: mac("02:00:00:00:00:02"), RequestedIP: a},
		{Type: dhcpv4.Request, XID: 12, CHAddr: mac("02:00:00:00:00:02"), CIAddr: a},
	} {
		if r := f.send(m); r == nil || r.Packet.MessageType() != dhcpv4.Nak {
			t.Errorf("request for another client's address (%+v): %+v", m, r)
		}
	}
	// INIT-REBOOT of an unknown client, authoritative: NAK; the owner: ACK.
	if r := f.send(dhcptest.Message{Type: dhcpv4.Request, XID: 13, CHAddr: mac("02:00:00:00:00:03"), RequestedIP: netip.MustParseAddr("192.0.2.120")}); r == nil || r.Packet.MessageType() != dhcpv4.Nak {
		t.Errorf("unknown INIT-REBOOT: %+v", r)
	}
	if r := f.send(dhcptest.Message{Type: dhcpv4.Request, XID: 14, CHAddr: mac("02:00:00:00:00:01"), RequestedIP: a}); r == nil || r.Packet.MessageType() != dhcpv4.Ack {
		t.Errorf("owner's INIT-REBOOT: %+v", r)
	}
	// A client with a reservation asking for another address.
	if r := f.send(dhcptest.Message{Type: dhcpv4.Request, XID: 15, CHAddr: mac("02:00:00:00:00:99"), RequestedIP: netip.MustParseAddr("192.0.2.130"), ServerID: serverAddr}); r == nil || r.Packet.MessageType() != dhcpv4.Nak {
		t.Errorf("reserved client asking for another address: %+v", r)
	}
}

func TestNotAuthoritativeStaysSilent(t *testing.T) {
	f := newFixture(t, `{"Dhcp4": {"subnet4": [{"id": 1, "subnet": "192.0.2.0/24", "interface": "test0", "pools": [{"pool": "192.0.2.100-192.0.2.110"}]}]}}`)
	if r := f.send(dhcptest.Message{Type: dhcpv4.Request, XID: 1, CHAddr: mac("02:00:00:00:00:03"), RequestedIP: netip.MustParseAddr("192.0.2.105")}); r != nil {
		t.Errorf("non-authoritative server answered an unknown INIT-REBOOT: %v", r.Packet.MessageType())
	}
}

func TestSelectingAnotherServer(t *testing.T) {
	f := newFixture(t, `{"Dhcp4": {"subnet4": [{"id": 1, "subnet": "192.0.2.0/24", "interface": "test0", "pools": [{"pool": "192.0.2.100-192.0.2.100"}]}]}}`)
	hw := mac("02:00:00:00:00:01")
	off := f.send(dhcptest.Message{Type: dhcpv4.Discover, XID: 1, CHAddr: hw})
	if off == nil {
		t.Fatal("no offer")
	}
	// The pool's one address is set aside: another client gets nothing.
	if r := f.send(dhcptest.Message{Type: dhcpv4.Discover, XID: 2, CHAddr: mac("02:00:00:00:00:02")}); r != nil {
		t.Fatalf("second client offered %v while the only address is on offer", r.Packet.YIAddr())
	}
	// The first client takes another server's offer; ours is released.
	if r := f.send(dhcptest.Message{Type: dhcpv4.Request, XID: 3, CHAddr: hw, RequestedIP: netip.MustParseAddr("10.0.0.5"), ServerID: netip.MustParseAddr("10.0.0.1")}); r != nil {
		t.Fatalf("answered a REQUEST meant for another server: %v", r.Packet.MessageType())
	}
	if r := f.send(dhcptest.Message{Type: dhcpv4.Discover, XID: 4, CHAddr: mac("02:00:00:00:00:02")}); r == nil || r.Packet.YIAddr() != off.Packet.YIAddr() {
		t.Errorf("released offer not given to the next client: %+v", r)
	}
}

func TestReleaseDeclineInform(t *testing.T) {
	f := newFixture(t, testConfig)
	hw := mac("02:00:00:00:00:01")
	a := f.dora(hw)
	if r := f.send(dhcptest.Message{Type: dhcpv4.Release, XID: 5, CHAddr: hw, CIAddr: a}); r != nil {
		t.Errorf("RELEASE answered")
	}
	if l, ok := f.lease(a); !ok || l.State != lease.StateReleased {
		t.Errorf("after release (hold-reclaimed-time 600): %+v %v", l, ok)
	}
	// Affinity: the client gets its address back.
	if b := f.dora(hw); b != a {
		t.Errorf("returning client got %v, had %v", b, a)
	}
	// Decline quarantines the address.
	if r := f.send(dhcptest.Message{Type: dhcpv4.Decline, XID: 6, CHAddr: hw, RequestedIP: a, ServerID: serverAddr}); r != nil {
		t.Errorf("DECLINE answered")
	}
	l, ok := f.lease(a)
	if !ok || l.State != lease.StateDeclined || len(l.HWAddr) != 0 || l.ValidLifetime != 86400 {
		t.Fatalf("declined lease %+v %v", l, ok)
	}
	if b := f.dora(hw); b == a {
		t.Errorf("declined address %v offered again", a)
	}
	// After the probation period the address is reclaimed.
	f.clock.add(86401 * time.Second)
	n, err := f.srv.Reclaim(context.Background())
	if err != nil || n == 0 {
		t.Fatalf("reclaim: %d %v", n, err)
	}
	if _, ok := f.lease(a); ok {
		t.Errorf("declined lease still stored after reclamation")
	}
	// INFORM: configuration without a lease.
	inf := f.send(dhcptest.Message{Type: dhcpv4.Inform, XID: 7, CHAddr: mac("02:00:00:00:00:07"), CIAddr: netip.MustParseAddr("192.0.2.77"),
		Options: []dhcptest.Option{{Code: dhcpv4.OptionParameterList, Value: []byte{3, 6}}}})
	if inf == nil || inf.Packet.MessageType() != dhcpv4.Ack || inf.Packet.HasOption(dhcpv4.OptionLeaseTime) || isSet(inf.Packet.YIAddr()) {
		t.Fatalf("inform reply %+v", inf)
	}
	if inf.Dst != netip.AddrPortFrom(netip.MustParseAddr("192.0.2.77"), 68) {
		t.Errorf("INFORM reply to %v", inf.Dst)
	}
}

func TestReclaimKeepsAffinityThenFlushes(t *testing.T) {
	f := newFixture(t, testConfig)
	hw := mac("02:00:00:00:00:01")
	a := f.dora(hw)
	f.clock.add(3601 * time.Second)
	if n, err := f.srv.Reclaim(context.Background()); err != nil || n != 1 {
		t.Fatalf("reclaim: %d %v", n, err)
	}
	if l, ok := f.lease(a); !ok || l.State != lease.StateExpiredReclaimed {
		t.Fatalf("reclaimed lease %+v %v", l, ok)
	}
	if b := f.dora(hw); b != a {
		t.Errorf("client after reclamation got %v, had %v", b, a)
	}
}

func TestReloadChangesPoolKeepsLeases(t *testing.T) {
	f := newFixture(t, testConfig)
	hw := mac("02:00:00:00:00:01")
	a := f.dora(hw)
	changed := `{"Dhcp4": {"valid-lifetime": 3600, "subnet4": [{"id": 1, "subnet": "192.0.2.0/24", "interface": "test0",
		"pools": [{"pool": "192.0.2.100 - 192.0.2.149"}, {"pool": "192.0.2.200 - 192.0.2.209"}]}]}}`
	if err := f.srv.Reload(context.Background(), loadConfig(t, changed)); err != nil {
		t.Fatal(err)
	}
	ack := f.send(dhcptest.Message{Type: dhcpv4.Request, XID: 3, CHAddr: hw, CIAddr: a})
	if ack == nil || ack.Packet.MessageType() != dhcpv4.Ack {
		t.Fatalf("renew after reload: %+v", ack)
	}
	// Fill the first pool: new clients then come from the new one.
	for i := 0; i < 49; i++ {
		f.dora(net.HardwareAddr{2, 1, 0, 0, 0, byte(i)})
	}
	if b := f.dora(mac("02:00:00:00:09:09")); !inRange(b, "192.0.2.200", "192.0.2.209") {
		t.Errorf("after filling the old pool, got %v", b)
	}
}

func TestConcurrentClientsNeverShareAnAddress(t *testing.T) {
	f := newFixture(t, `{"Dhcp4": {"subnet4": [{"id": 1, "subnet": "192.0.2.0/24", "interface": "test0", "pools": [{"pool": "192.0.2.10-192.0.2.209"}]}]}}`)
	var wg sync.WaitGroup
	var mu sync.Mutex
	got := map[netip.Addr]int{}
	for w := 0; w < 8; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; i < 25; i++ {
				hw := net.HardwareAddr{2, 0, 0, 0, byte(w), byte(i)}
				req, _ := dhcptest.NewRequest((&dhcptest.Message{Type: dhcpv4.Discover, XID: 1, CHAddr: hw}).MustBuild())
				rec := dhcptest.NewRecorder(req)
				f.srv.ServeDHCP(rec, req)
				off, _ := rec.Result()
				if off == nil {
					continue
				}
				req, _ = dhcptest.NewRequest((&dhcptest.Message{Type: dhcpv4.Request, XID: 2, CHAddr: hw, RequestedIP: off.Packet.YIAddr(), ServerID: serverAddr}).MustBuild())
				rec = dhcptest.NewRecorder(req)
				f.srv.ServeDHCP(rec, req)
				if ack, _ := rec.Result(); ack != nil && ack.Packet.MessageType() == dhcpv4.Ack {
					mu.Lock()
					got[ack.Packet.YIAddr()]++
					mu.Unlock()
				}
			}
		}()
	}
	wg.Wait()
	if len(got) != 200 {
		t.Errorf("%d distinct addresses acknowledged to 200 clients", len(got))
	}
	for a, n := range got {
		if n != 1 {
			t.Errorf("%v acknowledged to %d clients", a, n)
		}
	}
}

// TestVendorOptions follows Kea's vivso example: a client whose vendor
// class is 339 gets option 125 for enterprise 339 with the always-send
// sub-options of space vendor-339.
func TestVendorOptions(t *testing.T) {
	f := newFixture(t, `{"Dhcp4": {
		"option-def": [
			{"name": "vlanid", "code": 2, "space": "vendor-339", "type": "uint32"},
			{"name": "dls", "code": 3, "space": "vendor-339", "type": "string"},
			{"name": "quiet", "code": 4, "space": "vendor-339", "type": "uint8"}],
		"client-classes": [{"name": "VENDOR_CLASS_339", "option-data": [
			{"name": "vivso-suboptions", "data": "339"},
			{"name": "vlanid", "space": "vendor-339", "data": "123", "always-send": true},
			{"name": "dls", "space": "vendor-339", "data": "sdlp://192.0.2.11:18443", "always-send": true},
			{"name": "quiet", "space": "vendor-339", "data": "7"}]}],
		"subnet4": [{"id": 1, "subnet": "192.0.2.0/24", "interface": "test0", "pools": [{"pool": "192.0.2.50-192.0.2.60"}]}]}}`)
	off := f.send(dhcptest.Message{Type: dhcpv4.Discover, XID: 1, CHAddr: mac("02:00:00:00:00:01"),
		Options: []dhcptest.Option{{Code: dhcpv4.OptionVendorClass, Value: []byte("339")}}})
	if off == nil {
		t.Fatal("no offer")
	}
	v, ok := off.Packet.Option(dhcpv4.OptionVIVendorSpecific)
	want := append([]byte{0, 0, 1, 0x53, 6 + 2 + 23, 2, 4, 0, 0, 0, 123, 3, 23}, "sdlp://192.0.2.11:18443"...)
	if !ok || string(v) != string(want) {
		t.Errorf("option 125 = %x, want %x", v, want)
	}
	// The sub-option not marked always-send goes out when asked for.
	oro := []byte{0, 0, 1, 0x53, 3, 1, 1, 4}
	off = f.send(dhcptest.Message{Type: dhcpv4.Discover, XID: 2, CHAddr: mac("02:00:00:00:00:01"),
		Options: []dhcptest.Option{{Code: dhcpv4.OptionVendorClass, Value: []byte("339")}, {Code: dhcpv4.OptionVIVendorSpecific, Value: oro}}})
	if v, _ := off.Packet.Option(dhcpv4.OptionVIVendorSpecific); !strings.Contains(string(v), "\x04\x01\x07") {
		t.Errorf("requested vendor sub-option 4 missing: %x", v)
	}
	// A client of another vendor gets no option 125.
	off = f.send(dhcptest.Message{Type: dhcpv4.Discover, XID: 3, CHAddr: mac("02:00:00:00:00:02")})
	if off.Packet.HasOption(dhcpv4.OptionVIVendorSpecific) {
		t.Errorf("option 125 sent to a client without the vendor class")
	}
}

// TestAdditionalClassesAndClassBootFields: a pool's
// evaluate-additional-classes brings in an only-in-additional-list class
// and its options; the first of the client's classes that sets boot
// fields wins.
func TestAdditionalClassesAndClassBootFields(t *testing.T) {
	f := newFixture(t, `{"Dhcp4": {
		"client-classes": [
			{"name": "pxe", "test": "substring(option[60].text, 0, 9) == 'PXEClient'", "boot-file-name": "first.efi", "next-server": "192.0.2.5"},
			{"name": "also", "test": "option[60].exists", "boot-file-name": "second.efi"},
			{"name": "late", "test": "member('KNOWN') or member('UNKNOWN')", "only-in-additional-list": true,
			 "option-data": [{"name": "domain-name", "data": "additional.example"}]}
		],
		"subnet4": [{"id": 1, "subnet": "192.0.2.0/24", "interface": "test0",
			"pools": [{"pool": "192.0.2.50-192.0.2.60", "evaluate-additional-classes": ["late"]}]}]}}`)
	off := f.send(dhcptest.Message{Type: dhcpv4.Discover, XID: 1, CHAddr: mac("02:00:00:00:00:01"),
		Options: []dhcptest.Option{{Code: dhcpv4.OptionVendorClass, Value: []byte("PXEClient:Arch:00007")},
			{Code: dhcpv4.OptionParameterList, Value: []byte{15}}}})
	if off == nil {
		t.Fatal("no offer")
	}
	if d, _ := off.Packet.Option(dhcpv4.OptionDomainName); string(d) != "additional.example" {
		t.Errorf("additional class option missing: %q", d)
	}
	if string(off.Packet.File()) != "first.efi" || off.Packet.SIAddr().String() != "192.0.2.5" {
		t.Errorf("boot fields file %q siaddr %v, want the first class's", off.Packet.File(), off.Packet.SIAddr())
	}
}

// TestSharedNetworkGuard: a shared network's class guard applies to its
// subnets together with their own.
func TestSharedNetworkGuard(t *testing.T) {
	f := newFixture(t, `{"Dhcp4": {
		"client-classes": [{"name": "staff", "test": "option[60].text == 'staff'"}],
		"shared-networks": [{"name": "office", "interface": "test0", "client-classes": ["staff"],
			"subnet4": [{"id": 1, "subnet": "192.0.2.0/24", "pools": [{"pool": "192.0.2.50-192.0.2.60"}]}]}]}}`)
	if r := f.send(dhcptest.Message{Type: dhcpv4.Discover, XID: 1, CHAddr: mac("02:00:00:00:00:01")}); r != nil {
		t.Errorf("client outside the network's class offered %v", r.Packet.YIAddr())
	}
	r := f.send(dhcptest.Message{Type: dhcpv4.Discover, XID: 2, CHAddr: mac("02:00:00:00:00:02"),
		Options: []dhcptest.Option{{Code: dhcpv4.OptionVendorClass, Value: []byte("staff")}}})
	if r == nil {
		t.Error("staff client got no offer")
	}
}

// TestLeaseCache: with cache-threshold, a renewal early in the lease's
// life is answered from the stored lease with its remaining lifetime and
// nothing is written; a later one extends the lease.
func TestLeaseCache(t *testing.T) {
	f := newFixture(t, `{"Dhcp4": {"valid-lifetime": 1000, "cache-threshold": 0.25,
		"subnet4": [{"id": 1, "subnet": "192.0.2.0/24", "interface": "test0", "pools": [{"pool": "192.0.2.50-192.0.2.60"}]}]}}`)
	hw := mac("02:00:00:00:00:01")
	a := f.dora(hw)
	before, _ := f.lease(a)
	f.clock.add(100 * time.Second)
	ack := f.send(dhcptest.Message{Type: dhcpv4.Request, XID: 3, CHAddr: hw, CIAddr: a})
	if lt, _ := ack.Packet.LeaseTime(); ack.Packet.MessageType() != dhcpv4.Ack || lt != 900 {
		t.Fatalf("cached renewal: %v lease time %d, want ACK 900", ack.Packet.MessageType(), lt)
	}
	if l, _ := f.lease(a); l.CLTT != before.CLTT {
		t.Errorf("cached renewal wrote the lease (CLTT %d, was %d)", l.CLTT, before.CLTT)
	}
	f.clock.add(200 * time.Second) // 300 s old: past 25 % of 1000
	ack = f.send(dhcptest.Message{Type: dhcpv4.Request, XID: 4, CHAddr: hw, CIAddr: a})
	if lt, _ := ack.Packet.LeaseTime(); lt != 1000 {
		t.Errorf("renewal past the threshold: lease time %d, want 1000", lt)
	}
	if l, _ := f.lease(a); l.CLTT != f.clock.now().Unix() {
		t.Errorf("renewal past the threshold did not extend the lease")
	}
}
