package dhcpv4

import (
	"bytes"
	"encoding/binary"
	"errors"
	"net/netip"
	"testing"
)

var (
	testMAC    = []byte{0x02, 0x00, 0x5e, 0x10, 0x20, 0x30}
	testPRL    = []byte{1, 3, 6, 15, 28, 42, 51, 54, 58, 59, 119, 121, 12, 26, 33}
	testGI     = netip.MustParseAddr("198.18.0.1")
	testServer = netip.MustParseAddr("192.0.2.1")
	testReqIP  = netip.MustParseAddr("192.0.2.100")
)

// rawPacket assembles a message by hand, independently of Builder, so that
// decoder tests do not depend on the encoder.
func rawPacket(opts ...[]byte) []byte {
	b := make([]byte, HeaderLen)
	b[offOp], b[offHType], b[offHLen] = 1, 1, 6
	binary.BigEndian.PutUint32(b[offXID:], 0xdeadbeef)
	copy(b[offCHAddr:], testMAC)
	binary.BigEndian.PutUint32(b[offCookie:], magicCookie)
	for _, o := range opts {
		b = append(b, o...)
	}
	return append(b, 255)
}

func opt(code byte, v ...byte) []byte { return append([]byte{code, byte(len(v))}, v...) }

// discoverBytes and requestBytes are the benchmark packets of the codec
// issue: a relayed DISCOVER with 53, 61, 57, 55 (15 codes), 12, 60, 81, 82,
// and a REQUEST carrying 50 and 54 as well.
func discoverBytes(tb testing.TB) []byte { return clientPacket(tb, Discover) }
func requestBytes(tb testing.TB) []byte  { return clientPacket(tb, Request) }

func clientPacket(tb testing.TB, mt MessageType) []byte {
	tb.Helper()
	var b Builder
	b.Begin(make([]byte, 1500), BootRequest, mt, 0x3903f326)
	b.SetCHAddr(1, testMAC)
	b.SetHops(1)
	b.SetGIAddr(testGI)
	b.SetBroadcast(true)
	b.AddOption(OptionClientID, append([]byte{1}, testMAC...))
	b.AddUint16(OptionMaxMessageSize, 1500)
	b.AddOption(OptionParameterList, testPRL)
	b.AddString(OptionHostName, "laptop-7")
	b.AddString(OptionVendorClass, "MSFT 5.0")
	b.AddOption(OptionClientFQDN, append([]byte{FQDNServerUpdates | FQDNEncoded, 0, 0},
		"\x08laptop-7\x07example\x03com\x00"...))
	if mt == Request {
		b.AddIP(OptionRequestedIP, testReqIP)
		b.AddIP(OptionServerID, testServer)
	}
	b.AddOption(OptionRelayAgentInfo, append(opt(1, []byte("eth0/1/3")...), opt(2, 0x00, 0x11, 0x22, 0x33, 0x44, 0x55)...))
	out, err := b.Finish()
	if err != nil {
		tb.Fatal(err)
	}
	return out
}

func TestDecodeHeader(t *testing.T) {
	b := rawPacket(opt(53, 1))
	b[offHops] = 2
	binary.BigEndian.PutUint16(b[offSecs:], 7)
	binary.BigEndian.PutUint16(b[offFlags:], FlagBroadcast)
	copy(b[offCIAddr:], []byte{10, 0, 0, 1})
	copy(b[offYIAddr:], []byte{10, 0, 0, 2})
	copy(b[offSIAddr:], []byte{10, 0, 0, 3})
	copy(b[offGIAddr:], []byte{10, 0, 0, 4})
	copy(b[offSName:], "srv")
	copy(b[offFile:], "pxelinux.0")
	var p Packet
	if err := p.Decode(b); err != nil {
		t.Fatal(err)
	}
	checks := []struct {
		name      string
		got, want any
	}{
		{"op", p.Op(), BootRequest},
		{"htype", p.HType(), uint8(1)},
		{"hlen", p.HLen(), uint8(6)},
		{"hops", p.Hops(), uint8(2)},
		{"xid", p.XID(), uint32(0xdeadbeef)},
		{"secs", p.Secs(), uint16(7)},
		{"broadcast", p.Broadcast(), true},
		{"ciaddr", p.CIAddr(), netip.MustParseAddr("10.0.0.1")},
		{"yiaddr", p.YIAddr(), netip.MustParseAddr("10.0.0.2")},
		{"siaddr", p.SIAddr(), netip.MustParseAddr("10.0.0.3")},
		{"giaddr", p.GIAddr(), netip.MustParseAddr("10.0.0.4")},
		{"chaddr", string(p.CHAddr()), string(testMAC)},
		{"sname", string(p.SName()), "srv"},
		{"file", string(p.File()), "pxelinux.0"},
		{"type", p.MessageType(), Discover},
		{"options", p.NumOptions(), 1},
	}
	for _, c := range checks {
		if c.got != c.want {
			t.Errorf("%s = %v, want %v", c.name, c.got, c.want)
		}
	}
}

func TestDecodeErrors(t *testing.T) {
	good := rawPacket(opt(53, 1))
	badCookie := bytes.Clone(good)
	badCookie[offCookie] = 0
	overrun := rawPacket()
	overrun = append(overrun[:len(overrun)-1], 12, 10, 'a')
	lenOnly := rawPacket()
	lenOnly = append(lenOnly[:len(lenOnly)-1], 12)
	loopFile := rawPacket(opt(52, 1))
	copy(loopFile[offFile:], opt(52, 1))
	badOverload := rawPacket(opt(52, 4))
	twoOverload := rawPacket(opt(52, 1), opt(52, 2))
	fileOverrun := rawPacket(opt(52, 1))
	copy(fileOverrun[offFile+lenFile-3:], []byte{12, 9, 'x'})
	badType := rawPacket(opt(53, 1, 2))
	tooMany := rawPacket()
	tooMany = tooMany[:len(tooMany)-1]
	for i := 0; i < 300; i++ {
		tooMany = append(tooMany, 224, 0)
	}
	cases := []struct {
		name string
		in   []byte
		want error
	}{
		{"empty", nil, ErrTruncated},
		{"short", good[:239], ErrTruncated},
		{"cookie", badCookie, ErrBadCookie},
		{"overrun", overrun, ErrOptionOverrun},
		{"length byte missing", lenOnly, ErrOptionOverrun},
		{"overload loop", loopFile, ErrOverloadLoop},
		{"overload value", badOverload, ErrBadOverload},
		{"overload twice", twoOverload, ErrDuplicateHeader},
		{"overrun in file", fileOverrun, ErrOptionOverrun},
		{"message type length", badType, ErrBadMessageType},
		{"too many options", tooMany, ErrTooManyOptions},
	}
	for _, c := range cases {
		var p Packet
		err := p.Decode(c.in)
		if !errors.Is(err, c.want) {
			t.Errorf("%s: err = %v, want %v", c.name, err, c.want)
		}
		if err != nil && p.HasOption(OptionMessageType) {
			t.Errorf("%s: failed decode left options indexed", c.name)
		}
	}
}

func TestDecodeOverloadAndConcatenation(t *testing.T) {
	// Option 12 is split in three: in options, in file and in sname; RFC
	// 3396 joins them in that order. Option 67 lives only in file.
	b := rawPacket(opt(53, 3), opt(52, 3), opt(12, []byte("ab")...), opt(0x3d, 1, 2))
	copy(b[offFile:], append(append(opt(12, []byte("cd")...), opt(67, []byte("boot")...)...), 255))
	copy(b[offSName:], append(opt(12, []byte("ef")...), 255))
	var p Packet
	if err := p.Decode(b); err != nil {
		t.Fatal(err)
	}
	if got := string(p.HostName()); got != "abcdef" {
		t.Errorf("joined host name = %q, want abcdef", got)
	}
	if v, ok := p.Option(OptionBootFileName); !ok || string(v) != "boot" {
		t.Errorf("option 67 from file = %q, %v", v, ok)
	}
	if p.File() != nil || p.SName() != nil {
		t.Errorf("overloaded fields reported as names: %q %q", p.File(), p.SName())
	}
	if p.Overload() != 3 {
		t.Errorf("overload = %d", p.Overload())
	}
	var order []OptionCode
	p.Options(func(c OptionCode, v []byte) bool { order = append(order, c); return true })
	want := []OptionCode{53, 52, 12, 0x3d, 67}
	if !equalCodes(order, want) {
		t.Errorf("iteration order %v, want %v", order, want)
	}
	// Reusing the Packet for a plain message must forget everything.
	if err := p.Decode(rawPacket(opt(53, 1))); err != nil {
		t.Fatal(err)
	}
	if p.HasOption(OptionHostName) || p.HasOption(OptionBootFileName) || p.Overload() != 0 {
		t.Error("reused Packet kept options of the previous message")
	}
}

func TestDecodeMissingEndAndPadding(t *testing.T) {
	b := rawPacket(opt(53, 1), []byte{0, 0, 0}, opt(50, 192, 0, 2, 9))
	b = b[:len(b)-1] // no end option
	var p Packet
	if err := p.Decode(b); err != nil {
		t.Fatal(err)
	}
	if a, ok := p.RequestedIP(); !ok || a != netip.MustParseAddr("192.0.2.9") {
		t.Errorf("requested ip = %v %v", a, ok)
	}
}

func TestTypedOptions(t *testing.T) {
	var p Packet
	if err := p.Decode(requestBytes(t)); err != nil {
		t.Fatal(err)
	}
	if p.MessageType() != Request {
		t.Errorf("type %v", p.MessageType())
	}
	if a, ok := p.RequestedIP(); !ok || a != testReqIP {
		t.Errorf("requested %v", a)
	}
	if a, ok := p.ServerID(); !ok || a != testServer {
		t.Errorf("server id %v", a)
	}
	if m, ok := p.MaxMessageSize(); !ok || m != 1500 {
		t.Errorf("mms %d", m)
	}
	if !bytes.Equal(p.ParameterList(), testPRL) || !p.Requested(119) || p.Requested(100) {
		t.Errorf("prl %v", p.ParameterList())
	}
	if string(p.HostName()) != "laptop-7" || string(p.VendorClass()) != "MSFT 5.0" {
		t.Errorf("hostname %q vendor %q", p.HostName(), p.VendorClass())
	}
	if !bytes.Equal(p.ClientID(), append([]byte{1}, testMAC...)) {
		t.Errorf("client id %x", p.ClientID())
	}
	f, ok := p.ClientFQDN()
	if !ok || f.Flags != FQDNServerUpdates|FQDNEncoded || string(f.Name) != "\x08laptop-7\x07example\x03com\x00" {
		t.Errorf("fqdn %+v %v", f, ok)
	}
	ri, ok := p.RelayAgentInfo()
	if !ok || string(ri.CircuitID()) != "eth0/1/3" || !bytes.Equal(ri.RemoteID(), []byte{0, 0x11, 0x22, 0x33, 0x44, 0x55}) || !ri.Valid() {
		t.Errorf("relay info %x", []byte(ri))
	}
	if _, ok := ri.LinkSelection(); ok {
		t.Error("link selection reported present")
	}
	if p.GIAddr() != testGI || p.Hops() != 1 || !p.Broadcast() {
		t.Errorf("giaddr %v hops %d", p.GIAddr(), p.Hops())
	}
}

func TestRelayInfoMalformed(t *testing.T) {
	ri := RelayInfo{1, 3, 'a', 'b', 'c', 5, 9, 1}
	if ri.Valid() {
		t.Error("truncated sub-option reported valid")
	}
	if string(ri.CircuitID()) != "abc" {
		t.Errorf("circuit id before the damage = %q", ri.CircuitID())
	}
	if _, ok := ri.LinkSelection(); ok {
		t.Error("truncated link selection reported present")
	}
}

func TestVendorData(t *testing.T) {
	v := []byte{0, 0, 0x11, 0x8b, 3, 'a', 'b', 'c', 0, 0, 0, 9, 1, 'z'}
	var p Packet
	if err := p.Decode(rawPacket(opt(125, v...))); err != nil {
		t.Fatal(err)
	}
	var ents []uint32
	var datas []string
	ok := p.VendorData(OptionVIVendorSpecific, func(e uint32, d []byte) bool {
		ents = append(ents, e)
		datas = append(datas, string(d))
		return true
	})
	if !ok || len(ents) != 2 || ents[0] != 4491 || datas[0] != "abc" || ents[1] != 9 || datas[1] != "z" {
		t.Errorf("vendor data %v %v %v", ok, ents, datas)
	}
	bad := append(bytes.Clone(v), 0, 0)
	if err := p.Decode(rawPacket(opt(125, bad...))); err != nil {
		t.Fatal(err)
	}
	if p.VendorData(OptionVIVendorSpecific, func(uint32, []byte) bool { return true }) {
		t.Error("truncated vendor entry reported well formed")
	}
}

func equalCodes(a, b []OptionCode) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}
