package dhcpv4

import (
	"bytes"
	"errors"
	"net/netip"
	"testing"
)

// codesOnWire lists option codes in the order they appear in the options
// field, instances and all, read independently of Packet.
func codesOnWire(t *testing.T, b []byte) []OptionCode {
	t.Helper()
	var out []OptionCode
	for i := HeaderLen; i < len(b); {
		c := b[i]
		if c == 0 {
			i++
			continue
		}
		out = append(out, OptionCode(c))
		if c == 255 {
			break
		}
		i += 2 + int(b[i+1])
	}
	return out
}

func TestReplyCopiesAndOrders(t *testing.T) {
	var req Packet
	if err := req.Decode(requestBytes(t)); err != nil {
		t.Fatal(err)
	}
	var b Builder
	b.Reply(make([]byte, 1500), &req, Ack)
	yi := netip.MustParseAddr("198.18.1.7")
	b.SetYIAddr(yi)
	// Added out of order, and one option (43) the client did not ask for.
	b.AddOption(OptionVendorSpecific, []byte{1, 1, 1})
	b.AddUint32(OptionLeaseTime, 3600)
	b.AddIPs(OptionDomainNameServer, testServer, netip.MustParseAddr("192.0.2.2"))
	b.AddIP(OptionRouter, testGI)
	b.AddIP(OptionSubnetMask, netip.MustParseAddr("255.255.0.0"))
	b.AddIP(OptionServerID, testServer)
	b.AddUint32(OptionRenewalTime, 1800)
	out, err := b.Finish()
	if err != nil {
		t.Fatal(err)
	}
	want := []OptionCode{53, 54, 1, 3, 6, 51, 58, 43, 82, 255}
	if got := codesOnWire(t, out); !equalCodes(got, want) {
		t.Errorf("option order %v, want %v", got, want)
	}
	var p Packet
	if err := p.Decode(out); err != nil {
		t.Fatal(err)
	}
	if p.Op() != BootReply || p.XID() != req.XID() || !bytes.Equal(p.CHAddr(), testMAC) ||
		p.GIAddr() != testGI || !p.Broadcast() || p.YIAddr() != yi || p.Hops() != 0 {
		t.Errorf("header not copied: op %v xid %x chaddr %x gi %v yi %v", p.Op(), p.XID(), p.CHAddr(), p.GIAddr(), p.YIAddr())
	}
	echo, _ := p.Option(OptionRelayAgentInfo)
	orig, _ := req.Option(OptionRelayAgentInfo)
	if !bytes.Equal(echo, orig) {
		t.Errorf("option 82 echo %x, want %x", echo, orig)
	}
	if lt, _ := p.LeaseTime(); lt != 3600 {
		t.Errorf("lease time %d", lt)
	}
	if len(out) < MinReplyLen {
		t.Errorf("reply of %d bytes not padded to %d", len(out), MinReplyLen)
	}
}

func TestReplyCIAddrOnlyInAck(t *testing.T) {
	raw := rawPacket(opt(53, 8))
	copy(raw[offCIAddr:], []byte{192, 0, 2, 50})
	var req Packet
	if err := req.Decode(raw); err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		mt   MessageType
		want netip.Addr
	}{{Ack, netip.MustParseAddr("192.0.2.50")}, {Nak, netip.IPv4Unspecified()}, {Offer, netip.IPv4Unspecified()}} {
		var b Builder
		b.Reply(make([]byte, 600), &req, c.mt)
		out, err := b.Finish()
		if err != nil {
			t.Fatal(err)
		}
		p, err := Parse(out)
		if err != nil {
			t.Fatal(err)
		}
		if p.CIAddr() != c.want || p.MessageType() != c.mt {
			t.Errorf("%v: ciaddr %v type %v", c.mt, p.CIAddr(), p.MessageType())
		}
	}
}

func TestFinishHonoursMaxMessageSize(t *testing.T) {
	var req Packet
	if err := req.Decode(rawPacket(opt(53, 1), opt(55, 1, 3, 6, 15))); err != nil {
		t.Fatal(err)
	}
	var b Builder
	b.Reply(make([]byte, 4096), &req, Offer)
	b.AddIP(OptionServerID, testServer)
	b.AddIP(OptionSubnetMask, netip.MustParseAddr("255.255.255.0"))
	b.AddOption(OptionDomainNameServer, make([]byte, 200)) // requested, fits
	b.AddOption(OptionDomainName, make([]byte, 250))       // requested, does not fit
	b.AddOption(OptionVendorSpecific, make([]byte, 20))    // fits in what is left
	out, err := b.Finish()
	if err != nil {
		t.Fatal(err)
	}
	if len(out) > MinMessageSize {
		t.Errorf("reply of %d bytes exceeds the 548 bytes the client accepts", len(out))
	}
	p, err := Parse(out)
	if err != nil {
		t.Fatal(err)
	}
	if p.HasOption(OptionDomainName) || !p.HasOption(OptionDomainNameServer) || !p.HasOption(OptionVendorSpecific) {
		t.Errorf("wrong options kept: %v", codesOnWire(t, out))
	}
	if b.Dropped() != 1 {
		t.Errorf("dropped %d, want 1", b.Dropped())
	}

	// With option 57 = 1500 the same reply keeps everything.
	if err := req.Decode(rawPacket(opt(53, 1), opt(55, 1, 3, 6, 15), opt(57, 0x05, 0xdc))); err != nil {
		t.Fatal(err)
	}
	b.Reply(make([]byte, 4096), &req, Offer)
	b.AddOption(OptionDomainNameServer, make([]byte, 200))
	b.AddOption(OptionDomainName, make([]byte, 250))
	b.AddOption(OptionVendorSpecific, make([]byte, 20))
	if _, err := b.Finish(); err != nil || b.Dropped() != 0 {
		t.Errorf("with mms 1500: err %v dropped %d", err, b.Dropped())
	}
}

func TestLongOptionSplitAndRejoined(t *testing.T) {
	long := make([]byte, 600)
	for i := range long {
		long[i] = byte(i)
	}
	var b Builder
	b.Begin(make([]byte, 1500), BootRequest, Discover, 1)
	b.SetMaxSize(1500)
	b.AddOption(OptionClasslessRoute, long)
	out, err := b.Finish()
	if err != nil {
		t.Fatal(err)
	}
	if got := codesOnWire(t, out); !equalCodes(got, []OptionCode{53, 121, 121, 121, 255}) {
		t.Errorf("instances %v", got)
	}
	p, err := Parse(out)
	if err != nil {
		t.Fatal(err)
	}
	v, _ := p.Option(OptionClasslessRoute)
	if !bytes.Equal(v, long) {
		t.Error("split option did not rejoin to the original value")
	}
}

func TestBuilderReplaceRemoveAndErrors(t *testing.T) {
	var b Builder
	b.Begin(make([]byte, 600), BootRequest, Request, 9)
	b.AddString(OptionHostName, "first")
	b.AddUint8(OptionInterfaceMTU, 1)
	b.AddString(OptionHostName, "second")
	b.RemoveOption(OptionInterfaceMTU)
	if v, _ := b.Option(OptionHostName); string(v) != "second" || b.HasOption(OptionInterfaceMTU) {
		t.Errorf("replace/remove: %q %v", v, b.HasOption(OptionInterfaceMTU))
	}
	out, err := b.Finish()
	if err != nil {
		t.Fatal(err)
	}
	if got := codesOnWire(t, out); !equalCodes(got, []OptionCode{53, 12, 255}) {
		t.Errorf("codes %v", got)
	}

	b.Begin(make([]byte, 600), BootRequest, Request, 9)
	b.AddOption(OptionEnd, nil)
	if _, err := b.Finish(); !errors.Is(err, ErrReservedCode) {
		t.Errorf("end as a value: %v", err)
	}
	b.Begin(make([]byte, 100), BootRequest, Request, 9)
	if _, err := b.Finish(); !errors.Is(err, ErrBufferTooSmall) {
		t.Errorf("small buffer: %v", err)
	}
	b.Begin(make([]byte, 600), BootRequest, Request, 9)
	b.SetFile(string(make([]byte, 128)))
	if _, err := b.Finish(); !errors.Is(err, ErrFieldTooLong) {
		t.Errorf("long file: %v", err)
	}
	var zero Builder
	if _, err := zero.Finish(); !errors.Is(err, ErrNotStarted) {
		t.Errorf("zero builder: %v", err)
	}
}

func TestSetFields(t *testing.T) {
	var b Builder
	b.Begin(make([]byte, 600), BootRequest, Inform, 0x01020304)
	b.SetCHAddr(32, bytes.Repeat([]byte{7}, 16))
	b.SetCIAddr(netip.MustParseAddr("192.0.2.5"))
	b.SetSIAddr(netip.MustParseAddr("192.0.2.6"))
	b.SetSecs(30)
	b.SetSName("next")
	b.SetFile("boot.efi")
	b.SetFlags(FlagBroadcast)
	b.SetBroadcast(false)
	out, err := b.Finish()
	if err != nil {
		t.Fatal(err)
	}
	p, err := Parse(out)
	if err != nil {
		t.Fatal(err)
	}
	if p.HType() != 32 || p.HLen() != 16 || len(p.CHAddr()) != 16 || p.CIAddr().String() != "192.0.2.5" ||
		p.SIAddr().String() != "192.0.2.6" || p.Secs() != 30 || string(p.SName()) != "next" ||
		string(p.File()) != "boot.efi" || p.Broadcast() || p.XID() != 0x01020304 || p.MessageType() != Inform {
		t.Errorf("fields not set: %+v", p)
	}
}

func TestBuilderReuseAllocatesNothing(t *testing.T) {
	disc := discoverBytes(t)
	var req Packet
	var b Builder
	out := make([]byte, 1500)
	allocs := testing.AllocsPerRun(100, func() {
		if err := req.Decode(disc); err != nil {
			t.Fatal(err)
		}
		buildOffer(&b, out, &req)
		if _, err := b.Finish(); err != nil {
			t.Fatal(err)
		}
	})
	if allocs != 0 {
		t.Errorf("decode+build+encode allocates %.1f times per message", allocs)
	}
}

// TestFinishLongRelayInfo replies to requests whose relay agent information
// is longer than the client's size limit or the output buffer. The message
// type and server identifier are never left out; the echoed option 82 is
// never cut; a reply that cannot hold them is an error, never a panic or a
// write past the buffer.
func TestFinishLongRelayInfo(t *testing.T) {
	for _, n82 := range []int{100, 400, 700, 1200, 1530} {
		var parts [][]byte
		rai := make([]byte, n82)
		for i := range rai {
			rai[i] = byte(i)
		}
		parts = append(parts, opt(53, 1))
		for v := rai; len(v) > 0; {
			k := min(len(v), 255)
			parts = append(parts, opt(82, v[:k]...))
			v = v[k:]
		}
		req := rawPacket(parts...)
		var p Packet
		if err := p.Decode(req); err != nil {
			t.Fatal(err)
		}
		for _, size := range []int{MinReplyLen, MinMessageSize, 1472, 4096} {
			var b Builder
			buf := make([]byte, size)
			func() {
				defer func() {
					if v := recover(); v != nil {
						t.Errorf("82 of %d bytes, buffer %d: panic: %v", n82, size, v)
					}
				}()
				b.Reply(buf, &p, Offer)
				b.AddIP(OptionServerID, testServer)
				b.AddUint32(OptionLeaseTime, 3600)
				out, err := b.Finish()
				need := HeaderLen + 3 + 6 + encodedLen(n82) + 1
				if need > size {
					if !errors.Is(err, ErrBufferTooSmall) {
						t.Errorf("82 of %d bytes, buffer %d: err %v, want ErrBufferTooSmall", n82, size, err)
					}
					return
				}
				if err != nil {
					t.Fatalf("82 of %d bytes, buffer %d: %v", n82, size, err)
				}
				var r Packet
				if err := r.Decode(out); err != nil {
					t.Fatalf("82 of %d bytes, buffer %d: reply does not decode: %v", n82, size, err)
				}
				if r.MessageType() != Offer {
					t.Errorf("82 of %d bytes, buffer %d: message type %v, want OFFER", n82, size, r.MessageType())
				}
				if id, _ := r.ServerID(); id != testServer {
					t.Errorf("82 of %d bytes, buffer %d: server id %v", n82, size, id)
				}
				if echo, _ := r.Option(OptionRelayAgentInfo); !bytes.Equal(echo, rai) {
					t.Errorf("82 of %d bytes, buffer %d: echo of %d bytes, want the %d sent", n82, size, len(echo), n82)
				}
				// What the client sees once the relay strips option 82
				// stays within its limit.
				if stripped := len(out) - encodedLen(n82); stripped > MinMessageSize {
					t.Errorf("82 of %d bytes, buffer %d: %d bytes without option 82, limit %d", n82, size, stripped, MinMessageSize)
				}
			}()
		}
	}
}
