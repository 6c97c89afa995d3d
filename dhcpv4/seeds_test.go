package dhcpv4

import (
	"bytes"
	"net/netip"
	"testing"
)

// seed is one message of the fuzzers' seed corpus.
type seed struct {
	name string
	data []byte
}

// seedMessages returns the fuzzers' seed corpus, built by this package's
// Builder: what clients, relays and servers send (every message type,
// relayed with option 82, vendor options, option overload, values longer
// than 255 bytes split as RFC 3396 says, a BOOTP request) and the shapes a
// capture or a broken sender produces (a message behind its link-layer
// headers, padding, a field without an end option).
func seedMessages(tb testing.TB) []seed {
	tb.Helper()
	var seeds []seed
	add := func(name string, data []byte) { seeds = append(seeds, seed{name, data}) }

	add("discover-relayed", discoverBytes(tb))
	add("request-selecting-relayed", requestBytes(tb))
	add("discover", buildSeed(tb, Discover, func(b *Builder) {
		b.AddOption(OptionParameterList, []byte{1, 3, 6, 15, 51, 54})
	}))
	add("request-init-reboot", buildSeed(tb, Request, func(b *Builder) {
		b.AddIP(OptionRequestedIP, testReqIP)
		b.AddOption(OptionClientID, append([]byte{1}, testMAC...))
	}))
	add("request-renewing", buildSeed(tb, Request, func(b *Builder) {
		b.SetCIAddr(testReqIP)
		b.AddOption(OptionClientID, append([]byte{1}, testMAC...))
		b.AddString(OptionHostName, "laptop-7")
	}))
	add("inform", buildSeed(tb, Inform, func(b *Builder) {
		b.SetCIAddr(testReqIP)
		b.AddOption(OptionParameterList, []byte{1, 3, 6, 15, 119, 252})
		b.AddOption(OptionVendorClass, []byte("MSFT 5.0"))
	}))
	add("decline", buildSeed(tb, Decline, func(b *Builder) {
		b.AddIP(OptionRequestedIP, testReqIP)
		b.AddIP(OptionServerID, testServer)
		b.AddString(OptionMessage, "address in use")
	}))
	add("release", buildSeed(tb, Release, func(b *Builder) {
		b.SetCIAddr(testReqIP)
		b.AddIP(OptionServerID, testServer)
	}))
	// Relayed through two agents, with every sub-option of option 82 a
	// server reads (RFC 3046 circuit and remote id, RFC 3527 link
	// selection, RFC 3993 subscriber id, RFC 5107 server identifier
	// override, RFC 6925 relay id) and option 118.
	add("discover-relay-suboptions", buildSeed(tb, Discover, func(b *Builder) {
		b.SetHops(2)
		b.SetGIAddr(testGI)
		b.AddIP(OptionSubnetSelection, netip.MustParseAddr("203.0.113.0"))
		var rai []byte
		rai = append(rai, opt(1, []byte("ge-0/0/1.100")...)...)
		rai = append(rai, opt(2, 0x02, 0x00, 0x5e, 0x00, 0x53, 0x01)...)
		rai = append(rai, opt(5, 203, 0, 113, 1)...)
		rai = append(rai, opt(6, []byte("subscriber-42")...)...)
		rai = append(rai, opt(11, 198, 18, 0, 1)...)
		rai = append(rai, opt(12, 0x00, 0x01, 0x02, 0x03)...)
		b.AddOption(OptionRelayAgentInfo, rai)
	}))
	// Vendor options: 43 with sub-options, 124 and 125 with two
	// enterprises each (DOCSIS 4491 and the example enterprise 32473).
	add("discover-vendor", buildSeed(tb, Discover, func(b *Builder) {
		b.AddOption(OptionVendorClass, []byte("docsis3.0"))
		b.AddOption(OptionVendorSpecific, append(opt(1, []byte("cfg")...), opt(2, 1, 2, 3, 4)...))
		b.AddOption(OptionVIVendorClass, append(enterprise(4491, []byte("\x07docsis3")), enterprise(32473, []byte("\x03abc"))...))
		b.AddOption(OptionVIVendorSpecific, append(enterprise(4491, opt(2, 0xc0, 0, 2, 76)), enterprise(32473, opt(1, 'x'))...))
		b.AddOption(OptionUserClass, []byte("\x04iPXE\x03abc"))
	}))
	// A client identifier of RFC 4361 form (type 255, IAID, DUID) and an
	// FQDN option in wire format, which the server echoes.
	add("request-fqdn-duid", buildSeed(tb, Request, func(b *Builder) {
		b.AddIP(OptionRequestedIP, testReqIP)
		b.AddIP(OptionServerID, testServer)
		b.AddOption(OptionClientID, []byte{255, 0, 0, 0, 1, 0, 1, 0, 1, 0x2b, 0x3c, 0x4d, 0x5e, 2, 0, 0x5e, 0x10, 0x20, 0x30})
		b.AddOption(OptionClientFQDN, append([]byte{FQDNServerUpdates | FQDNEncoded, 0, 0}, "\x04host\x07example\x03org\x00"...))
	}))
	// Values longer than 255 bytes, which Builder splits into several
	// instances of the option and a decoder joins (RFC 3396).
	add("request-long-options", buildSeed(tb, Request, func(b *Builder) {
		b.SetMaxSize(1400)
		b.AddIP(OptionRequestedIP, testReqIP)
		b.AddOption(OptionVendorSpecific, bytes.Repeat([]byte{1, 3, 'a', 'b', 'c'}, 120))
		b.AddOption(OptionRelayAgentInfo, append(opt(1, bytes.Repeat([]byte("c"), 200)...), opt(2, bytes.Repeat([]byte("r"), 200)...)...))
	}))
	add("discover-overload", overloadSeed(tb))
	// BOOTP: no message type, padded to 300 bytes.
	add("bootp-request", buildSeed(tb, 0, func(b *Builder) {
		b.SetFile("pxelinux.0")
	}))
	// The replies a server sends.
	var req Packet
	if err := req.Decode(requestBytes(tb)); err != nil {
		tb.Fatal(err)
	}
	for _, mt := range []MessageType{Offer, Ack, Nak} {
		var b Builder
		b.Reply(make([]byte, 1500), &req, mt)
		b.AddIP(OptionServerID, testServer)
		if mt != Nak {
			b.SetYIAddr(testReqIP)
			b.AddUint32(OptionLeaseTime, 3600)
			b.AddIP(OptionSubnetMask, netip.MustParseAddr("255.255.255.0"))
			b.AddIPs(OptionRouter, testGI)
			b.AddString(OptionDomainName, "example.org")
			b.SetSName("srv")
		}
		add("reply-"+mt.String(), finishSeed(tb, &b))
	}
	// A message behind its Ethernet, IPv4 and UDP headers, as a capture
	// holds it.
	add("discover-in-frame", append(make([]byte, 14+20+8), discoverBytes(tb)...))
	// Pad options between options, and a field that ends without an end
	// option.
	padded := buildSeed(tb, Discover, func(b *Builder) { b.AddString(OptionHostName, "h") })
	add("discover-padded", bytes.Replace(padded[:optionsEnd(padded)+1], []byte{byte(OptionHostName)}, []byte{0, 0, byte(OptionHostName)}, 1))
	add("discover-no-end", padded[:optionsEnd(padded)])
	return seeds
}

// buildSeed builds a message of type mt (a BOOTP message when 0) from the
// test client's MAC address, with what set adds.
func buildSeed(tb testing.TB, mt MessageType, set func(*Builder)) []byte {
	tb.Helper()
	var b Builder
	b.Begin(make([]byte, 1500), BootRequest, mt, 0x1c2d3e4f)
	b.SetCHAddr(1, testMAC)
	set(&b)
	return finishSeed(tb, &b)
}

func finishSeed(tb testing.TB, b *Builder) []byte {
	tb.Helper()
	out, err := b.Finish()
	if err != nil {
		tb.Fatal(err)
	}
	if b.Dropped() != 0 {
		tb.Fatalf("seed left out %d options", b.Dropped())
	}
	return out
}

// enterprise is one enterprise's block of option 124 or 125.
func enterprise(num uint32, data []byte) []byte {
	return append([]byte{byte(num >> 24), byte(num >> 16), byte(num >> 8), byte(num), byte(len(data))}, data...)
}

// optionsEnd returns the offset of the end option of the message's options
// field, which Builder always writes.
func optionsEnd(msg []byte) int {
	i := HeaderLen
	for msg[i] != byte(OptionEnd) {
		if msg[i] == byte(OptionPad) {
			i++
			continue
		}
		i += 2 + int(msg[i+1])
	}
	return i
}

// overloadSeed builds a DISCOVER whose options continue in the file and
// sname fields (option 52 = 3), each field's options written by Builder.
func overloadSeed(tb testing.TB) []byte {
	tb.Helper()
	fileOpts := buildSeed(tb, 0, func(b *Builder) {
		b.AddString(OptionHostName, "over")
		b.AddOption(OptionParameterList, []byte{1, 3, 6})
	})
	snameOpts := buildSeed(tb, 0, func(b *Builder) {
		b.AddString(OptionBootFileName, "boot.ipxe")
	})
	msg := buildSeed(tb, Discover, func(b *Builder) {
		b.AddUint8(OptionOverload, 3)
		b.AddOption(OptionClientID, append([]byte{1}, testMAC...))
	})
	copy(msg[offFile:offFile+lenFile], fileOpts[HeaderLen:optionsEnd(fileOpts)+1])
	copy(msg[offSName:offSName+lenSName], snameOpts[HeaderLen:optionsEnd(snameOpts)+1])
	return msg
}

// TestSeedMessages checks that the seeds are what their names say, so
// the fuzzers start from the shapes they are meant to start from.
func TestSeedMessages(t *testing.T) {
	seeds := seedMessages(t)
	names := map[string]bool{}
	for _, s := range seeds {
		if names[s.name] {
			t.Errorf("two seeds named %s", s.name)
		}
		names[s.name] = true
		var p Packet
		err := p.Decode(s.data)
		if s.name == "discover-in-frame" {
			if err == nil && p.MessageType() == Discover {
				t.Errorf("%s: the link-layer headers were read as a DHCP message", s.name)
			}
			continue
		}
		if err != nil {
			t.Errorf("%s: %v", s.name, err)
			continue
		}
		switch s.name {
		case "discover-overload":
			if p.Overload() != 3 || !p.HasOption(OptionHostName) || !p.HasOption(OptionBootFileName) || !p.HasOption(OptionClientID) {
				t.Errorf("%s: overload %d, options in file and sname not read", s.name, p.Overload())
			}
		case "request-long-options":
			v43, _ := p.Option(OptionVendorSpecific)
			v82, _ := p.Option(OptionRelayAgentInfo)
			if len(v43) != 600 || len(v82) != 404 {
				t.Errorf("%s: joined lengths %d and %d, want 600 and 404", s.name, len(v43), len(v82))
			}
		case "discover-relay-suboptions":
			rai, ok := p.RelayAgentInfo()
			if sel, _ := rai.LinkSelection(); !ok || !rai.Valid() || sel != netip.MustParseAddr("203.0.113.1") || p.Hops() != 2 {
				t.Errorf("%s: option 82 %x, hops %d", s.name, rai, p.Hops())
			}
		case "bootp-request":
			if p.HasOption(OptionMessageType) || len(s.data) != MinReplyLen {
				t.Errorf("%s: %d bytes, message type present %v", s.name, len(s.data), p.HasOption(OptionMessageType))
			}
		case "discover-no-end":
			if s.data[len(s.data)-1] == byte(OptionEnd) {
				t.Errorf("%s ends with an end option", s.name)
			}
		}
	}
	for _, want := range []string{"discover", "request-init-reboot", "request-renewing", "inform", "decline", "release", "reply-DHCPOFFER", "reply-DHCPACK", "reply-DHCPNAK"} {
		if !names[want] {
			t.Errorf("no seed %s (names: %v)", want, names)
		}
	}
}
