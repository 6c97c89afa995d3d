package engine

import (
	"context"
	"encoding/binary"
	"fmt"
	"log/slog"
	"net"
	"net/netip"
	"strings"
	"testing"
	"time"

	"github.com/leased/leased/dhcpserver"
	"github.com/leased/leased/dhcpserver/dhcptest"
	"github.com/leased/leased/dhcpv4"
	"github.com/leased/leased/internal/logtest"
	"github.com/leased/leased/lease"
	"github.com/leased/leased/lease/memfile"
)

// sendOn passes m to the server as received with the changes edit makes
// to the request (interface, addresses), and returns the reply, nil if
// none.
func (f *fixture) sendOn(m dhcptest.Message, edit func(*dhcpserver.Request)) *dhcptest.Reply {
	f.t.Helper()
	req, err := dhcptest.NewRequest(m.MustBuild())
	if err != nil {
		f.t.Fatal(err)
	}
	if edit != nil {
		edit(req)
	}
	rec := dhcptest.NewRecorder(req)
	f.srv.ServeDHCP(rec, req)
	rep, err := rec.Result()
	if err != nil {
		f.t.Fatal(err)
	}
	return rep
}

func u32(b []byte) uint32 {
	if len(b) != 4 {
		return 0
	}
	return binary.BigEndian.Uint32(b)
}

// selectionConfig has a subnet on the link test0, one bound to the
// interface test1, one for relay 10.0.0.1 by its relay addresses, one
// reached by giaddr, and a shared network whose first subnet has one
// address.
const selectionConfig = `{"Dhcp4": {
	"subnet4": [
		{"id": 1, "subnet": "192.0.2.0/24", "interface": "test0", "pools": [{"pool": "192.0.2.100 - 192.0.2.109"}]},
		{"id": 2, "subnet": "198.51.100.0/24", "interface": "test1", "pools": [{"pool": "198.51.100.100 - 198.51.100.109"}]},
		{"id": 3, "subnet": "203.0.113.0/24", "relay": {"ip-addresses": ["10.0.0.1"]},
		 "pools": [{"pool": "203.0.113.100 - 203.0.113.109"}]},
		{"id": 4, "subnet": "198.18.0.0/24", "pools": [{"pool": "198.18.0.100 - 198.18.0.109"}]}
	],
	"shared-networks": [{"name": "net", "relay": {"ip-addresses": ["10.0.0.2"]}, "subnet4": [
		{"id": 5, "subnet": "100.64.0.0/24", "pools": [{"pool": "100.64.0.10 - 100.64.0.10"}]},
		{"id": 6, "subnet": "100.64.1.0/24", "pools": [{"pool": "100.64.1.10 - 100.64.1.19"}]}
	]}]}}`

// TestSubnetSelection follows Kea's order: option 118, the link
// selection sub-option of option 82, relay addresses, giaddr, ciaddr, the
// receiving interface; within a shared network, a full subnet's sibling.
func TestSubnetSelection(t *testing.T) {
	linkSel := func(a string) dhcptest.Option {
		ip := netip.MustParseAddr(a).As4()
		return dhcptest.Option{Code: dhcpv4.OptionRelayAgentInfo, Value: append([]byte{5, 4}, ip[:]...)}
	}
	subnetSel := func(a string) dhcptest.Option {
		ip := netip.MustParseAddr(a).As4()
		return dhcptest.Option{Code: dhcpv4.OptionSubnetSelection, Value: ip[:]}
	}
	onTest1 := func(r *dhcpserver.Request) {
		r.IfName, r.IfIndex, r.Local = "test1", 2, netip.MustParseAddr("198.51.100.1")
	}
	for _, tc := range []struct {
		name         string
		m            dhcptest.Message
		edit         func(*dhcpserver.Request)
		first, last  string
		compatIgnore bool
	}{
		{"broadcast on test0", dhcptest.Message{}, nil, "192.0.2.100", "192.0.2.109", false},
		{"broadcast on test1", dhcptest.Message{}, onTest1, "198.51.100.100", "198.51.100.109", false},
		{"option 118", dhcptest.Message{Options: []dhcptest.Option{subnetSel("198.18.0.7")}}, nil, "198.18.0.100", "198.18.0.109", false},
		{"option 118 before giaddr", dhcptest.Message{GIAddr: netip.MustParseAddr("198.18.0.1"),
			Options: []dhcptest.Option{subnetSel("198.51.100.9")}}, nil, "198.51.100.100", "198.51.100.109", false},
		{"link selection", dhcptest.Message{GIAddr: netip.MustParseAddr("198.18.0.1"),
			Options: []dhcptest.Option{linkSel("203.0.113.5")}}, nil, "203.0.113.100", "203.0.113.109", false},
		{"link selection ignored", dhcptest.Message{GIAddr: netip.MustParseAddr("198.18.0.1"),
			Options: []dhcptest.Option{linkSel("203.0.113.5")}}, nil, "198.18.0.100", "198.18.0.109", true},
		{"relay ip-addresses", dhcptest.Message{GIAddr: netip.MustParseAddr("10.0.0.1")}, nil, "203.0.113.100", "203.0.113.109", false},
		{"giaddr", dhcptest.Message{GIAddr: netip.MustParseAddr("198.18.0.1")}, nil, "198.18.0.100", "198.18.0.109", false},
		{"shared network sibling", dhcptest.Message{GIAddr: netip.MustParseAddr("10.0.0.2")}, nil, "100.64.1.10", "100.64.1.19", false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			src := selectionConfig
			if tc.compatIgnore {
				src = src[:len(src)-2] + `, "compatibility": {"ignore-rai-link-selection": true}}}`
			}
			f := newFixture(t, src)
			if tc.name == "shared network sibling" {
				// The first subnet's one address is taken.
				f.dora(mac("02:00:00:00:ff:01"), dhcptest.Option{Code: dhcpv4.OptionSubnetSelection, Value: []byte{100, 64, 0, 1}})
			}
			m := tc.m
			m.Type, m.XID, m.CHAddr = dhcpv4.Discover, 1, mac("02:00:00:00:00:01")
			rep := f.sendOn(m, tc.edit)
			if rep == nil {
				t.Fatal("no OFFER")
			}
			if a := rep.Packet.YIAddr(); !inRange(a, tc.first, tc.last) {
				t.Errorf("offered %v, want %s - %s", a, tc.first, tc.last)
			}
		})
	}

	// ciaddr: a unicast INFORM from a client of subnet 4 arriving on
	// test0 is answered from subnet 4's options.
	f := newFixture(t, `{"Dhcp4": {"subnet4": [
		{"id": 1, "subnet": "192.0.2.0/24", "interface": "test0", "option-data": [{"name": "routers", "data": "192.0.2.1"}]},
		{"id": 4, "subnet": "198.18.0.0/24", "option-data": [{"name": "routers", "data": "198.18.0.1"}]}]}}`)
	rep := f.send(dhcptest.Message{Type: dhcpv4.Inform, XID: 2, CHAddr: mac("02:00:00:00:00:02"), CIAddr: netip.MustParseAddr("198.18.0.50")})
	if rep == nil {
		t.Fatal("no answer to INFORM")
	}
	if r, _ := rep.Packet.Option(dhcpv4.OptionRouter); u32(r) != u32(netip.MustParseAddr("198.18.0.1").AsSlice()) {
		t.Errorf("INFORM from 198.18.0.50 got routers %v, want subnet 4's 198.18.0.1", r)
	}
}

// TestMatchClientID: with match-client-id (the default) a client is
// known by its client identifier, so a new identifier on the same MAC is
// a new client; with it off, the MAC identifies the client whatever its
// identifier.
func TestMatchClientID(t *testing.T) {
	for _, match := range []bool{true, false} {
		src := `{"Dhcp4": {"subnet4": [{"id": 1, "subnet": "192.0.2.0/24", "interface": "test0",
			"pools": [{"pool": "192.0.2.100 - 192.0.2.109"}]}]}}`
		if !match {
			src = `{"Dhcp4": {"match-client-id": false, "subnet4": [{"id": 1, "subnet": "192.0.2.0/24", "interface": "test0",
				"pools": [{"pool": "192.0.2.100 - 192.0.2.109"}]}]}}`
		}
		f := newFixture(t, src)
		hw := mac("02:00:00:00:00:01")
		cid1 := dhcptest.Option{Code: dhcpv4.OptionClientID, Value: []byte{0, 'o', 'n', 'e'}}
		cid2 := dhcptest.Option{Code: dhcpv4.OptionClientID, Value: []byte{0, 't', 'w', 'o'}}
		a := f.dora(hw, cid1)
		b := f.dora(hw, cid2)
		if match && a == b {
			t.Errorf("match-client-id true: two client identifiers on one MAC share %v", a)
		}
		if !match && a != b {
			t.Errorf("match-client-id false: the MAC's client got %v, then %v with another identifier", a, b)
		}
		// With match-client-id, the same identifier from another MAC is
		// the same client.
		if match {
			if c := f.dora(mac("02:00:00:00:00:02"), cid1); c != a {
				t.Errorf("match-client-id true: client identifier 'one' from another MAC got %v, had %v", c, a)
			}
		}
	}
}

// TestLifetimesAndTimers: option 51 is honoured within min- and
// max-valid-lifetime; calculate-tee-times derives T1 and T2 from the
// lifetime given; explicit timers win.
func TestLifetimesAndTimers(t *testing.T) {
	f := newFixture(t, `{"Dhcp4": {"valid-lifetime": 3600, "min-valid-lifetime": 1800, "max-valid-lifetime": 7200,
		"calculate-tee-times": true, "t1-percent": 0.25, "t2-percent": 0.75,
		"subnet4": [
			{"id": 1, "subnet": "192.0.2.0/24", "interface": "test0", "pools": [{"pool": "192.0.2.100 - 192.0.2.109"}]},
			{"id": 2, "subnet": "198.18.0.0/24", "renew-timer": 100, "rebind-timer": 200, "pools": [{"pool": "198.18.0.100 - 198.18.0.109"}]}]}}`)
	ask := func(secs uint32) dhcptest.Option {
		return dhcptest.Option{Code: dhcpv4.OptionLeaseTime, Value: binary.BigEndian.AppendUint32(nil, secs)}
	}
	for i, tc := range []struct {
		opts         []dhcptest.Option
		giaddr       string
		lt, t1, t2   uint32
		hasT1, hasT2 bool
		what         string
	}{
		{nil, "", 3600, 900, 2700, true, true, "no option 51: valid-lifetime"},
		{[]dhcptest.Option{ask(60)}, "", 1800, 450, 1350, true, true, "below the minimum"},
		{[]dhcptest.Option{ask(5000)}, "", 5000, 1250, 3750, true, true, "within the bounds"},
		{[]dhcptest.Option{ask(100000)}, "", 7200, 1800, 5400, true, true, "above the maximum"},
		{nil, "198.18.0.1", 3600, 100, 200, true, true, "configured timers"},
	} {
		m := dhcptest.Message{Type: dhcpv4.Discover, XID: uint32(i), CHAddr: net.HardwareAddr{2, 0, 0, 0, 1, byte(i)}, Options: tc.opts}
		if tc.giaddr != "" {
			m.GIAddr = netip.MustParseAddr(tc.giaddr)
		}
		rep := f.send(m)
		if rep == nil {
			t.Fatalf("%s: no OFFER", tc.what)
		}
		lt, _ := rep.Packet.LeaseTime()
		t1, has1 := rep.Packet.RenewalTime()
		t2, has2 := rep.Packet.RebindingTime()
		if lt != tc.lt || t1 != tc.t1 || t2 != tc.t2 || has1 != tc.hasT1 || has2 != tc.hasT2 {
			t.Errorf("%s: lease %d T1 %d (%v) T2 %d (%v); want %d, %d, %d", tc.what, lt, t1, has1, t2, has2, tc.lt, tc.t1, tc.t2)
		}
	}
}

// TestOptionPrecedence: an option comes from the most specific scope
// that has it for the client — reservation, pool, subnet, shared
// network, classes, global — and never-send keeps one out even when the
// client asks; always-send sends one the client did not ask for.
func TestOptionPrecedence(t *testing.T) {
	f := newFixture(t, `{"Dhcp4": {
		"client-classes": [{"name": "cls", "test": "option[60].text == 'cls'", "option-data": [
			{"name": "domain-name", "data": "class.example"},
			{"name": "ntp-servers", "data": "192.0.2.123"},
			{"name": "time-offset", "data": "60"}]}],
		"option-data": [
			{"name": "domain-name", "data": "global.example"},
			{"name": "ntp-servers", "data": "192.0.2.124"},
			{"name": "time-offset", "data": "120"},
			{"name": "log-servers", "data": "192.0.2.125"},
			{"name": "cookie-servers", "data": "192.0.2.126", "always-send": true}],
		"shared-networks": [{"name": "net", "interface": "test0",
			"option-data": [{"name": "domain-name", "data": "network.example"}, {"name": "time-offset", "data": "180"}],
			"subnet4": [{"id": 1, "subnet": "192.0.2.0/24",
				"option-data": [{"name": "domain-name", "data": "subnet.example"}, {"name": "log-servers", "never-send": true}],
				"pools": [{"pool": "192.0.2.100 - 192.0.2.109", "option-data": [{"name": "domain-name", "data": "pool.example"}]}],
				"reservations": [{"hw-address": "02:00:00:00:00:99", "ip-address": "192.0.2.105",
					"option-data": [{"name": "domain-name", "data": "host.example"}]},
					{"hw-address": "02:00:00:00:00:98", "ip-address": "192.0.2.50"}]}]}]}}`)
	prl := dhcptest.Option{Code: dhcpv4.OptionParameterList, Value: []byte{2, 7, 15, 42}}
	cls := dhcptest.Option{Code: dhcpv4.OptionVendorClass, Value: []byte("cls")}
	for _, tc := range []struct {
		what   string
		hw     string
		opts   []dhcptest.Option
		domain string
		ntp    string
		offset uint32
	}{
		{"reservation first", "02:00:00:00:00:99", []dhcptest.Option{prl, cls}, "host.example", "192.0.2.123", 180},
		{"pool before subnet", "02:00:00:00:00:01", []dhcptest.Option{prl}, "pool.example", "192.0.2.124", 180},
		{"subnet for an out-of-pool reservation", "02:00:00:00:00:98", []dhcptest.Option{prl}, "subnet.example", "192.0.2.124", 180},
		{"class before global", "02:00:00:00:00:02", []dhcptest.Option{prl, cls}, "pool.example", "192.0.2.123", 180},
	} {
		rep := f.send(dhcptest.Message{Type: dhcpv4.Discover, XID: 1, CHAddr: mac(tc.hw), Options: tc.opts})
		if rep == nil {
			t.Fatalf("%s: no OFFER", tc.what)
		}
		p := rep.Packet
		if d, _ := p.Option(dhcpv4.OptionDomainName); string(d) != tc.domain {
			t.Errorf("%s: domain-name %q, want %q", tc.what, d, tc.domain)
		}
		if n, _ := p.Option(42); u32(n) != u32(netip.MustParseAddr(tc.ntp).AsSlice()) {
			t.Errorf("%s: ntp-servers %v, want %s", tc.what, n, tc.ntp)
		}
		if o, _ := p.Option(2); u32(o) != tc.offset {
			t.Errorf("%s: time-offset %d, want %d (the shared network's, before the class's and global)", tc.what, u32(o), tc.offset)
		}
		if p.HasOption(7) {
			t.Errorf("%s: log-servers sent although the subnet says never-send", tc.what)
		}
		if c, ok := p.Option(8); !ok || u32(c) != u32(netip.MustParseAddr("192.0.2.126").AsSlice()) {
			t.Errorf("%s: always-send cookie-servers missing (%v)", tc.what, c)
		}
	}
	// Not asked for, not always-send: not sent.
	rep := f.send(dhcptest.Message{Type: dhcpv4.Discover, XID: 2, CHAddr: mac("02:00:00:00:00:03")})
	if rep == nil || rep.Packet.HasOption(42) || rep.Packet.HasOption(2) {
		t.Errorf("options the client did not ask for were sent: %+v", rep)
	}
}

// TestBootFieldsAndEcho: siaddr, sname and file come from the
// reservation, else the client's classes, else the subnet; echo-client-id
// returns the client's identifier.
func TestBootFieldsAndEcho(t *testing.T) {
	src := `{"Dhcp4": {
		"client-classes": [{"name": "pxe", "test": "option[60].text == 'pxe'", "boot-file-name": "class.efi", "next-server": "192.0.2.6"}],
		"subnet4": [{"id": 1, "subnet": "192.0.2.0/24", "interface": "test0", "boot-file-name": "subnet.efi",
			"next-server": "192.0.2.7", "server-hostname": "subnet-srv",
			"pools": [{"pool": "192.0.2.100 - 192.0.2.109"}],
			"reservations": [{"hw-address": "02:00:00:00:00:99", "ip-address": "192.0.2.20", "boot-file-name": "host.efi"}]}]}}`
	f := newFixture(t, src)
	pxe := dhcptest.Option{Code: dhcpv4.OptionVendorClass, Value: []byte("pxe")}
	cid := []byte{0, 'c', 'i', 'd'}
	for _, tc := range []struct {
		hw         string
		opts       []dhcptest.Option
		file, next string
	}{
		{"02:00:00:00:00:01", nil, "subnet.efi", "192.0.2.7"},
		{"02:00:00:00:00:02", []dhcptest.Option{pxe}, "class.efi", "192.0.2.6"},
		{"02:00:00:00:00:99", []dhcptest.Option{pxe}, "host.efi", "192.0.2.6"},
	} {
		rep := f.send(dhcptest.Message{Type: dhcpv4.Discover, XID: 1, CHAddr: mac(tc.hw), ClientID: cid, Options: tc.opts})
		if rep == nil {
			t.Fatalf("%s: no OFFER", tc.hw)
		}
		p := rep.Packet
		if string(p.File()) != tc.file || p.SIAddr().String() != tc.next || string(p.SName()) != "subnet-srv" {
			t.Errorf("%s: file %q siaddr %v sname %q; want %q %s %q", tc.hw, p.File(), p.SIAddr(), p.SName(), tc.file, tc.next, "subnet-srv")
		}
		if c := p.ClientID(); string(c) != string(cid) {
			t.Errorf("%s: client identifier echoed %x, want %x (echo-client-id defaults to true)", tc.hw, c, cid)
		}
	}
	f = newFixture(t, src[:len(src)-2]+`, "echo-client-id": false}}`)
	rep := f.send(dhcptest.Message{Type: dhcpv4.Discover, XID: 1, CHAddr: mac("02:00:00:00:00:01"), ClientID: cid})
	if rep == nil || rep.Packet.HasOption(dhcpv4.OptionClientID) {
		t.Errorf("echo-client-id false: client identifier echoed: %+v", rep)
	}
}

// TestOfferLifetime: with offer-lifetime the OFFER is written to the
// store for that long, and the REQUEST then gives the full lifetime; the
// address is not offered to anyone else meanwhile.
func TestOfferLifetime(t *testing.T) {
	f := newFixture(t, `{"Dhcp4": {"valid-lifetime": 3600, "offer-lifetime": 60,
		"subnet4": [{"id": 1, "subnet": "192.0.2.0/24", "interface": "test0", "pools": [{"pool": "192.0.2.100 - 192.0.2.100"}]}]}}`)
	hw := mac("02:00:00:00:00:01")
	off := f.send(dhcptest.Message{Type: dhcpv4.Discover, XID: 1, CHAddr: hw})
	if off == nil {
		t.Fatal("no OFFER")
	}
	a := off.Packet.YIAddr()
	if lt, _ := off.Packet.LeaseTime(); lt != 3600 {
		t.Errorf("OFFER lease time %d, want the valid lifetime 3600", lt)
	}
	l, ok := f.lease(a)
	if !ok || l.ValidLifetime != 60 || net.HardwareAddr(l.HWAddr).String() != hw.String() {
		t.Fatalf("offered lease in the store: %v %v; want one of 60 s for %v", l.String(), ok, hw)
	}
	if r := f.send(dhcptest.Message{Type: dhcpv4.Discover, XID: 2, CHAddr: mac("02:00:00:00:00:02")}); r != nil {
		t.Errorf("the offered address went to another client: %v", r.Packet.YIAddr())
	}
	ack := f.send(dhcptest.Message{Type: dhcpv4.Request, XID: 3, CHAddr: hw, RequestedIP: a, ServerID: serverAddr})
	if ack == nil || ack.Packet.MessageType() != dhcpv4.Ack {
		t.Fatalf("REQUEST after an offer-lifetime OFFER: %+v", ack)
	}
	if l, _ := f.lease(a); l.ValidLifetime != 3600 {
		t.Errorf("acknowledged lease lifetime %d, want 3600", l.ValidLifetime)
	}
}

// TestAllocators: each allocator hands out every address of a pool once,
// then nothing.
func TestAllocators(t *testing.T) {
	for _, kind := range []string{"iterative", "random", "flq"} {
		t.Run(kind, func(t *testing.T) {
			f := newFixture(t, `{"Dhcp4": {"allocator": "`+kind+`", "subnet4": [{"id": 1, "subnet": "192.0.2.0/24", "interface": "test0",
				"pools": [{"pool": "192.0.2.100 - 192.0.2.131"}]}]}}`)
			seen := map[netip.Addr]bool{}
			for i := range 32 {
				a := f.dora(net.HardwareAddr{2, 0, 0, 0, 0, byte(i)})
				if seen[a] || !inRange(a, "192.0.2.100", "192.0.2.131") {
					t.Fatalf("client %d got %v (seen before: %v)", i, a, seen[a])
				}
				seen[a] = true
			}
			if r := f.send(dhcptest.Message{Type: dhcpv4.Discover, XID: 9, CHAddr: mac("02:00:00:00:01:00")}); r != nil {
				t.Errorf("a full pool offered %v", r.Packet.YIAddr())
			}
		})
	}
}

// TestDeclineProbationPeriod: a declined address stays out of service
// for decline-probation-period, then is reclaimed.
func TestDeclineProbationPeriod(t *testing.T) {
	f := newFixture(t, `{"Dhcp4": {"decline-probation-period": 120,
		"subnet4": [{"id": 1, "subnet": "192.0.2.0/24", "interface": "test0", "pools": [{"pool": "192.0.2.100 - 192.0.2.100"}]}]}}`)
	hw := mac("02:00:00:00:00:01")
	a := f.dora(hw)
	f.send(dhcptest.Message{Type: dhcpv4.Decline, XID: 5, CHAddr: hw, RequestedIP: a, ServerID: serverAddr})
	if l, ok := f.lease(a); !ok || l.State != lease.StateDeclined || l.ValidLifetime != 120 {
		t.Fatalf("declined lease %v %v; want declined for 120 s", l.String(), ok)
	}
	f.clock.add(119 * time.Second)
	if n, _ := f.srv.Reclaim(context.Background()); n != 0 {
		t.Errorf("reclaimed %d leases during probation", n)
	}
	if r := f.send(dhcptest.Message{Type: dhcpv4.Discover, XID: 6, CHAddr: mac("02:00:00:00:00:02")}); r != nil {
		t.Errorf("declined address offered during probation: %v", r.Packet.YIAddr())
	}
	f.clock.add(2 * time.Second)
	if n, err := f.srv.Reclaim(context.Background()); n != 1 || err != nil {
		t.Fatalf("after probation reclaimed %d (%v), want 1", n, err)
	}
	if b := f.dora(mac("02:00:00:00:00:02")); b != a {
		t.Errorf("after probation got %v, want the declined %v back in service", b, a)
	}
}

// TestReservationIdentifiers: reservations are found by each identifier
// type host-reservation-identifiers lists, in its order, in the subnet
// and globally; a type left out of the list finds nothing.
func TestReservationIdentifiers(t *testing.T) {
	const src = `{"Dhcp4": {"host-reservation-identifiers": [%s],
		"reservations-global": true, "reservations-in-subnet": true,
		"reservations": [{"hw-address": "02:00:00:00:00:05", "ip-address": "192.0.2.55"}],
		"subnet4": [{"id": 1, "subnet": "192.0.2.0/24", "pools": [{"pool": "192.0.2.100 - 192.0.2.109"}],
			"reservations": [
				{"hw-address": "02:00:00:00:00:01", "ip-address": "192.0.2.11"},
				{"client-id": "01:02:00:00:00:00:02", "ip-address": "192.0.2.12"},
				{"duid": "00:03:00:01:02:00:00:00:00:03", "ip-address": "192.0.2.13"},
				{"circuit-id": "'port-4'", "ip-address": "192.0.2.14"},
				{"hw-address": "02:00:00:00:00:06", "ip-address": "192.0.2.16"},
				{"client-id": "01:02:00:00:00:00:06", "ip-address": "192.0.2.26"}]}]}}`
	relay := netip.MustParseAddr("192.0.2.1")
	circuit := dhcptest.Option{Code: dhcpv4.OptionRelayAgentInfo, Value: append([]byte{1, 6}, "port-4"...)}
	duidCID := append([]byte{255, 0, 0, 0, 1}, 0, 3, 0, 1, 2, 0, 0, 0, 0, 3)
	cases := []struct {
		what string
		m    dhcptest.Message
		want string
	}{
		{"hw-address", dhcptest.Message{CHAddr: mac("02:00:00:00:00:01")}, "192.0.2.11"},
		{"client-id", dhcptest.Message{CHAddr: mac("02:00:00:00:00:99"), ClientID: []byte{1, 2, 0, 0, 0, 0, 2}}, "192.0.2.12"},
		{"duid", dhcptest.Message{CHAddr: mac("02:00:00:00:00:98"), ClientID: duidCID}, "192.0.2.13"},
		{"circuit-id", dhcptest.Message{CHAddr: mac("02:00:00:00:00:97"), GIAddr: relay, Options: []dhcptest.Option{circuit}}, "192.0.2.14"},
		{"global", dhcptest.Message{CHAddr: mac("02:00:00:00:00:05")}, "192.0.2.55"},
		// Both the MAC and the client-id have a reservation: the type
		// listed first wins.
		{"order", dhcptest.Message{CHAddr: mac("02:00:00:00:00:06"), ClientID: []byte{1, 2, 0, 0, 0, 0, 6}}, "192.0.2.16"},
	}
	f := newFixture(t, fmt.Sprintf(src, `"hw-address", "duid", "circuit-id", "client-id"`))
	for _, tc := range cases {
		m := tc.m
		m.Type, m.XID = dhcpv4.Discover, 1
		rep := f.send(m)
		if rep == nil || rep.Packet.YIAddr().String() != tc.want {
			t.Errorf("%s: offered %+v, want the reservation %s", tc.what, rep, tc.want)
		}
	}
	// client-id before hw-address, and circuit-id not listed.
	f = newFixture(t, fmt.Sprintf(src, `"client-id", "hw-address"`))
	if rep := f.send(dhcptest.Message{Type: dhcpv4.Discover, XID: 2, CHAddr: mac("02:00:00:00:00:06"), ClientID: []byte{1, 2, 0, 0, 0, 0, 6}}); rep == nil || rep.Packet.YIAddr().String() != "192.0.2.26" {
		t.Errorf("client-id listed first: offered %+v, want 192.0.2.26", rep)
	}
	if rep := f.send(dhcptest.Message{Type: dhcpv4.Discover, XID: 3, CHAddr: mac("02:00:00:00:00:97"), GIAddr: relay, Options: []dhcptest.Option{circuit}}); rep == nil || !inRange(rep.Packet.YIAddr(), "192.0.2.100", "192.0.2.109") {
		t.Errorf("circuit-id not listed: offered %+v, want an address from the pool", rep)
	}
}

// TestLeaseChecks applies sanity-checks.lease-checks when the server
// starts, to a lease whose subnet is gone but whose address another subnet
// holds (fixable) and to one whose address no subnet holds.
func TestLeaseChecks(t *testing.T) {
	fixable := netip.MustParseAddr("192.0.2.100")
	lost := netip.MustParseAddr("203.0.113.5")
	for _, tc := range []struct {
		mode             string
		fixable, lostSub uint32 // subnet ids after the check; 0: deleted
		warns            bool
	}{
		{"none", 9, 9, false},
		{"warn", 9, 9, true},
		{"fix", 1, 9, true},
		{"fix-del", 1, 0, false},
		{"del", 0, 0, false},
	} {
		t.Run(tc.mode, func(t *testing.T) {
			store, err := memfile.Open(memfile.Options{})
			if err != nil {
				t.Fatal(err)
			}
			defer store.Close()
			ctx := context.Background()
			for i, a := range []netip.Addr{fixable, lost} {
				l := lease.Lease{Addr: a, HWType: 1, HWAddr: []byte{2, 0, 0, 0, 0, byte(i)}, ValidLifetime: 3600,
					CLTT: 1_800_000_000, SubnetID: 9}
				if err := store.Add(ctx, &l, lease.Async); err != nil {
					t.Fatal(err)
				}
			}
			logs := &logtest.Buffer{}
			src := `{"Dhcp4": {"sanity-checks": {"lease-checks": "` + tc.mode + `"},
				"subnet4": [{"id": 1, "subnet": "192.0.2.0/24", "interface": "test0", "pools": [{"pool": "192.0.2.100 - 192.0.2.101"}]}]}}`
			clk := &clock{t: time.Unix(1_800_000_000, 0)}
			srv, err := New(ctx, loadConfig(t, src), store, &Options{Now: clk.now, Logger: slog.New(slog.NewTextHandler(logs, nil))})
			if err != nil {
				t.Fatal(err)
			}
			f := &fixture{t: t, srv: srv, store: store, clock: clk}
			for _, c := range []struct {
				a    netip.Addr
				want uint32
			}{{fixable, tc.fixable}, {lost, tc.lostSub}} {
				l, ok := f.lease(c.a)
				switch {
				case c.want == 0 && ok:
					t.Errorf("%v kept (subnet %d), want it deleted", c.a, l.SubnetID)
				case c.want != 0 && (!ok || l.SubnetID != c.want):
					t.Errorf("%v: stored %v in subnet %d, want subnet %d", c.a, ok, l.SubnetID, c.want)
				}
			}
			if got := logs.Count("level=WARN"); (got > 0) != tc.warns {
				t.Errorf("%d warnings logged, want some: %v\n%s", got, tc.warns, logs.String())
			}
			// A lease moved into subnet 1 holds its address there.
			a := f.dora(mac("02:00:00:00:01:01"))
			if tc.fixable == 1 && a == fixable {
				t.Errorf("offered %v, which the fixed lease holds", a)
			}
		})
	}
}

// TestMaxMessageSize: a reply fits the client's maximum message size
// (option 57), 576 bytes when it sends none; what does not fit is left
// out, and a client that allows more gets it all.
func TestMaxMessageSize(t *testing.T) {
	long := func(c byte) string { return strings.Repeat(string(c), 250) }
	f := newFixture(t, `{"Dhcp4": {"option-data": [
		{"name": "merit-dump", "data": "`+long('m')+`"},
		{"name": "root-path", "data": "`+long('r')+`"},
		{"name": "extensions-path", "data": "`+long('e')+`"}],
		"subnet4": [{"id": 1, "subnet": "192.0.2.0/24", "interface": "test0", "pools": [{"pool": "192.0.2.100 - 192.0.2.109"}]}]}}`)
	prl := dhcptest.Option{Code: dhcpv4.OptionParameterList, Value: []byte{14, 17, 18}}
	count := func(p *dhcpv4.Packet) int {
		n := 0
		for _, c := range []dhcpv4.OptionCode{14, 17, 18} {
			if p.HasOption(c) {
				n++
			}
		}
		return n
	}
	rep := f.send(dhcptest.Message{Type: dhcpv4.Discover, XID: 1, CHAddr: mac("02:00:00:00:00:01"), Options: []dhcptest.Option{prl}})
	if rep == nil {
		t.Fatal("no OFFER")
	}
	if n := len(rep.Bytes); n > 576-28 {
		t.Errorf("reply of %d bytes to a client that sent no option 57, want at most 548", n)
	}
	if count(rep.Packet) != 1 {
		t.Errorf("%d of the 3 long options in 548 bytes, want the 1 that fits", count(rep.Packet))
	}
	mms := dhcptest.Option{Code: dhcpv4.OptionMaxMessageSize, Value: []byte{1500 >> 8, 1500 & 0xff}}
	rep = f.send(dhcptest.Message{Type: dhcpv4.Discover, XID: 2, CHAddr: mac("02:00:00:00:00:01"), Options: []dhcptest.Option{mms, prl}})
	if rep == nil || count(rep.Packet) != 3 || len(rep.Bytes) > 1500-28 {
		t.Errorf("client allowing 1500 bytes: %d of 3 long options in %d bytes", count(rep.Packet), len(rep.Bytes))
	}
}
