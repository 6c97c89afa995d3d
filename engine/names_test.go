package engine

import (
	"net/netip"
	"testing"
	"time"

	"github.com/leased/leased/dhcpserver/dhcptest"
	"github.com/leased/leased/dhcpv4"
)

// namesConfig qualifies names with a suffix in the subnet and generates
// them in the second pool, which has its own DDNS parameters (Kea 3.x
// pool scope), with option-data host-name configured too.
const namesConfig = `{"Dhcp4": {
	"valid-lifetime": 1000, "cache-threshold": 0.25,
	"ddns-qualifying-suffix": "example.org",
	"option-data": [{"name": "host-name", "data": "configured", "always-send": true}],
	"client-classes": [{"name": "gen", "test": "substring(option[60].text, 0, 3) == 'gen'"}],
	"subnet4": [{"id": 1, "subnet": "192.0.2.0/24", "interface": "test0",
		"pools": [
			{"pool": "192.0.2.100 - 192.0.2.109", "client-classes": ["gen"],
			 "ddns-replace-client-name": "always", "ddns-generated-prefix": "dyn", "hostname-char-set": ""},
			{"pool": "192.0.2.110 - 192.0.2.119"}
		],
		"reservations": [{"hw-address": "02:00:00:00:00:99", "hostname": "Printer"}]}]}}`

func hostNameOpt(s string) dhcptest.Option {
	return dhcptest.Option{Code: dhcpv4.OptionHostName, Value: []byte(s)}
}

func fqdnOption(v string) dhcptest.Option {
	return dhcptest.Option{Code: dhcpv4.OptionClientFQDN, Value: []byte(v)}
}

// TestNames checks the name in the OFFER and the ACK and the one stored
// with the lease.
func TestNames(t *testing.T) {
	f := newFixture(t, namesConfig)
	gen := dhcptest.Option{Code: dhcpv4.OptionVendorClass, Value: []byte("gen")}
	for i, tc := range []struct {
		name     string
		hw       string
		opts     []dhcptest.Option
		code     dhcpv4.OptionCode
		value    string // in the OFFER and ACK; "" leaves the option out
		hostname string // stored with the lease
	}{
		{"option-data host-name when nothing decided", "02:00:00:00:00:01", nil, dhcpv4.OptionHostName, "configured", ""},
		{"option 12 sanitized and qualified", "02:00:00:00:00:02", []dhcptest.Option{hostNameOpt("My_Laptop")},
			dhcpv4.OptionHostName, "mylaptop.example.org", "mylaptop.example.org"},
		{"option 81 partial", "02:00:00:00:00:03", []dhcptest.Option{fqdnOption("\x01\x00\x00Desk")},
			dhcpv4.OptionClientFQDN, "\x0a\x00\x00desk.example.org.", "desk.example.org."},
		{"option 81 over 12", "02:00:00:00:00:04", []dhcptest.Option{hostNameOpt("other"), fqdnOption("\x04\x00\x00\x03tab\x00")},
			dhcpv4.OptionClientFQDN, "\x0c\x00\x00\x03tab\x00", "tab."},
		{"reservation without option 12", "02:00:00:00:00:99", nil, dhcpv4.OptionHostName, "printer.example.org", "printer.example.org"},
		{"pool generates", "02:00:00:00:00:05", []dhcptest.Option{gen, hostNameOpt("mine")},
			dhcpv4.OptionHostName, "dyn-192-0-2-100.example.org", "dyn-192-0-2-100.example.org"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			hw := mac(tc.hw)
			off := f.send(dhcptest.Message{Type: dhcpv4.Discover, XID: uint32(10 * i), CHAddr: hw, Options: tc.opts})
			if off == nil || off.Packet.MessageType() != dhcpv4.Offer {
				t.Fatalf("no OFFER: %+v", off)
			}
			a := off.Packet.YIAddr()
			ack := f.send(dhcptest.Message{Type: dhcpv4.Request, XID: uint32(10*i + 1), CHAddr: hw, RequestedIP: a, ServerID: serverAddr, Options: tc.opts})
			if ack == nil || ack.Packet.MessageType() != dhcpv4.Ack {
				t.Fatalf("no ACK: %+v", ack)
			}
			for _, rep := range []*dhcptest.Reply{off, ack} {
				v, ok := rep.Packet.Option(tc.code)
				if !ok || string(v) != tc.value {
					t.Errorf("%v option %d = %q (%v), want %q", rep.Packet.MessageType(), tc.code, v, ok, tc.value)
				}
				other := dhcpv4.OptionHostName
				if tc.code == other {
					other = dhcpv4.OptionClientFQDN
				}
				if v, ok := rep.Packet.Option(other); ok && !(other == dhcpv4.OptionHostName && string(v) == "configured") {
					t.Errorf("%v also carries option %d %q", rep.Packet.MessageType(), other, v)
				}
			}
			l, ok := f.lease(a)
			if !ok || l.Hostname != tc.hostname || l.FQDNFwd || l.FQDNRev {
				t.Errorf("stored lease hostname %q fwd %v rev %v, want %q", l.Hostname, l.FQDNFwd, l.FQDNRev, tc.hostname)
			}
		})
	}
}

// TestNamesMalformedFQDNDropped: Kea cannot parse a message whose option
// 81 sets both N and S, and drops it.
func TestNamesMalformedFQDNDropped(t *testing.T) {
	f := newFixture(t, namesConfig)
	for _, v := range []string{"\x09\x00\x00host", "\x00\x00", "\x00\x00\x00a..b"} {
		if r := f.send(dhcptest.Message{Type: dhcpv4.Discover, XID: 1, CHAddr: mac("02:00:00:00:00:01"),
			Options: []dhcptest.Option{fqdnOption(v)}}); r != nil {
			t.Errorf("option 81 %q: answered %v", v, r.Packet.MessageType())
		}
	}
}

// TestNamesInformAndNAK: an INFORM and a NAK carry no name decided for
// the client.
func TestNamesInformAndNAK(t *testing.T) {
	f := newFixture(t, namesConfig)
	res := mac("02:00:00:00:00:99")
	inf := f.send(dhcptest.Message{Type: dhcpv4.Inform, XID: 1, CHAddr: res, CIAddr: serverAddr.Next()})
	if inf == nil {
		t.Fatal("no answer to INFORM")
	}
	if v, _ := inf.Packet.Option(dhcpv4.OptionHostName); string(v) != "configured" {
		t.Errorf("INFORM ACK host name %q, want only the configured one", v)
	}
	nak := f.send(dhcptest.Message{Type: dhcpv4.Request, XID: 2, CHAddr: res, RequestedIP: netip.MustParseAddr("203.0.113.9"),
		Options: []dhcptest.Option{hostNameOpt("pc")}})
	if nak == nil || nak.Packet.MessageType() != dhcpv4.Nak {
		t.Fatalf("want a NAK, got %+v", nak)
	}
	if nak.Packet.HasOption(dhcpv4.OptionHostName) {
		t.Error("NAK carries a host name")
	}
}

// TestNamesLeaseCache: a renewal with the same name is answered from the
// cache; one with another name, or with a generated name, is written.
func TestNamesLeaseCache(t *testing.T) {
	f := newFixture(t, namesConfig)
	hw := mac("02:00:00:00:00:01")
	a := f.dora(hw, hostNameOpt("pc"))
	before, _ := f.lease(a)
	renew := func(xid uint32, opts ...dhcptest.Option) {
		t.Helper()
		f.clock.add(10 * time.Second)
		ack := f.send(dhcptest.Message{Type: dhcpv4.Request, XID: xid, CHAddr: hw, CIAddr: a, Options: opts})
		if ack == nil || ack.Packet.MessageType() != dhcpv4.Ack {
			t.Fatalf("renewal %d: %+v", xid, ack)
		}
	}
	renew(3, hostNameOpt("PC"))
	if l, _ := f.lease(a); l.CLTT != before.CLTT || l.Hostname != "pc.example.org" {
		t.Errorf("same name: lease written (CLTT %d, was %d; hostname %q)", l.CLTT, before.CLTT, l.Hostname)
	}
	renew(4, hostNameOpt("laptop"))
	if l, _ := f.lease(a); l.CLTT == before.CLTT || l.Hostname != "laptop.example.org" {
		t.Errorf("new name: lease CLTT %d hostname %q", l.CLTT, l.Hostname)
	}

	gen := dhcptest.Option{Code: dhcpv4.OptionVendorClass, Value: []byte("gen")}
	hw = mac("02:00:00:00:00:02")
	a = f.dora(hw, gen)
	before, _ = f.lease(a)
	renew(5, gen)
	if l, _ := f.lease(a); l.CLTT == before.CLTT || l.Hostname != "dyn-192-0-2-100.example.org" {
		t.Errorf("generated name: lease CLTT %d (was %d) hostname %q; Kea never reuses it", l.CLTT, before.CLTT, l.Hostname)
	}
}
