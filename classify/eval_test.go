package classify

import (
	"bytes"
	"errors"
	"net/netip"
	"testing"

	"github.com/leased/leased/dhcpv4"
)

var testMAC = []byte{0x00, 0x01, 0x02, 0x03, 0x04, 0x05}

// buildPacket builds and decodes a client message: op BOOTREQUEST, the
// given message type (0 for BOOTP), xid 0x01020304, chaddr testMAC,
// giaddr 192.0.2.1, plus whatever set adds.
func buildPacket(t testing.TB, mt dhcpv4.MessageType, set func(b *dhcpv4.Builder)) *dhcpv4.Packet {
	t.Helper()
	var b dhcpv4.Builder
	b.Begin(make([]byte, 1500), dhcpv4.BootRequest, mt, 0x01020304)
	b.SetMaxSize(1500)
	b.SetCHAddr(1, testMAC)
	b.SetGIAddr(netip.MustParseAddr("192.0.2.1"))
	b.SetCIAddr(netip.MustParseAddr("198.51.100.7"))
	if set != nil {
		set(&b)
	}
	out, err := b.Finish()
	if err != nil {
		t.Fatal(err)
	}
	p, err := dhcpv4.Parse(out)
	if err != nil {
		t.Fatal(err)
	}
	return p
}

// richPacket carries one of everything the expressions read.
func richPacket(t testing.TB) *dhcpv4.Packet {
	return buildPacket(t, dhcpv4.Discover, func(b *dhcpv4.Builder) {
		b.AddString(dhcpv4.OptionVendorClass, "docsis3.0")
		b.AddOption(dhcpv4.OptionClientID, []byte{1, 0, 1, 2, 3, 4, 5})
		b.AddString(dhcpv4.OptionHostName, "Host-One\x00\x00") // NUL-terminated, as some clients send
		b.AddString(dhcpv4.OptionUserClass, "iPXE")
		b.AddOption(dhcpv4.OptionVendorSpecific, []byte{1, 1, 'x', 2, 0})
		b.AddOption(dhcpv4.OptionRelayAgentInfo, []byte{
			1, 7, 'c', 'i', 'r', 'c', 'u', 'i', 't',
			2, 6, 0, 1, 2, 3, 4, 5,
			9, 7, 0, 0, 0x11, 0x8b, 2, 1, 'z', // sub-option 9 holding a nested TLV at offset 4... as raw
		})
		// Option 124: enterprise 4491, tuples "abc" and "de".
		b.AddOption(dhcpv4.OptionVIVendorClass, []byte{0, 0, 0x11, 0x8b, 3, 'a', 'b', 'c', 0, 0, 0x11, 0x8b, 2, 'd', 'e'})
		// Option 125: enterprise 4491, sub-options 1 "modem" and 2 (holding sub-option 3 = 0x07).
		b.AddOption(dhcpv4.OptionVIVendorSpecific, []byte{0, 0, 0x11, 0x8b, 12, 1, 5, 'm', 'o', 'd', 'e', 'm', 2, 3, 3, 1, 7})
		b.AddOption(225, nil)         // an empty option
		b.AddOption(66, []byte{0, 0}) // a string option holding only NULs: Kea drops it
		b.AddOption(39, []byte("a'b'c"))
	})
}

var richMeta = Meta{
	Iface: "eth0",
	Src:   netip.MustParseAddr("192.0.2.1"),
	Dst:   netip.MustParseAddr("::ffff:192.0.2.254"),
}

func TestEvalBool(t *testing.T) {
	p := richPacket(t)
	var e Eval
	e.Begin(p, richMeta)
	e.AddClass("FOO")
	tests := []struct {
		expr string
		want bool
	}{
		// Literals.
		{"'foo' == 'foo'", true},
		{"'foo' == 'bar'", false},
		{"0x5a7d == 'Z}'", true},
		{"0x5A7 == 0x05a7", true},
		{"123 == 0x0000007b", true},
		{"10.0.0.1 == 0x0a000001", true},
		{"2001:db8::1 == 0x20010db8000000000000000000000001", true},
		{"::ffff:10.0.0.1 == 0x00000000000000000000ffff0a000001", true},
		// Options.
		{"option[60].text == 'docsis3.0'", true},
		{"option[60].hex == 'docsis3.0'", true},
		{"option[60].exists", true},
		{"option[61].hex == 0x01000102030405", true},
		{"option[12].text == 'Host-One'", true}, // trailing NULs trimmed: a string option
		{"option[12].hex == 'Host-One'", true},
		{"option[66].exists", false}, // all NULs: dropped
		{"option[66].hex == ''", true},
		{"option[225].exists", true},
		{"option[225].hex == ''", true},
		{"option[226].exists", false},
		{"option[226].hex == ''", true},
		{"option[226].text == ''", true},
		{"option[82].option[1].hex == 'circuit'", true},
		{"option[82].option[2].hex == pkt4.mac", true},
		{"option[82].option[3].exists", false},
		{"option[82].option[3].hex == ''", true},
		{"option[226].option[1].exists", false},
		{"option[43].option[1].text == 'x'", true},
		{"option[43].option[2].exists", true},
		{"option[43].option[2].hex == ''", true},
		{"option[125].option[0].exists", true}, // raw sub-option parse of 125's value: code 0 at its start
		// Relay agent information.
		{"relay4[1].hex == 'circuit'", true},
		{"relay4[1].text == 'circuit'", true},
		{"relay4[2].exists", true},
		{"relay4[5].exists", false},
		{"relay4[5].hex == ''", true},
		{"relay4[9].exists", true},
		{"relay4[9].option[0].exists", true},
		{"relay4[9].option[0].hex == 0x118b", false},
		{"relay4[9].option[0].hex == ''", true},
		// Vendor options (125).
		{"vendor[4491].exists", true},
		{"vendor[*].exists", true},
		{"vendor[0].exists", true},
		{"vendor[4492].exists", false},
		{"vendor.enterprise == 4491", true},
		{"vendor[4491].option[1].hex == 'modem'", true},
		{"vendor[*].option[1].text == 'modem'", true},
		{"vendor[4491].option[2].option[3].hex == 0x07", true},
		{"vendor[4491].option[9].exists", false},
		{"vendor[4492].option[1].exists", false},
		{"vendor[4492].option[1].hex == ''", true},
		// Vendor class (124).
		{"vendor-class[4491].exists", true},
		{"vendor-class[*].exists", true},
		{"vendor-class[1].exists", false},
		{"vendor-class.enterprise == 4491", true},
		{"vendor-class[4491].data == 'abc'", true},
		{"vendor-class[4491].data[0] == 'abc'", true},
		{"vendor-class[4491].data[1] == 'de'", true},
		{"vendor-class[4491].data[2] == ''", true},
		{"vendor-class[1].data == ''", true},
		// Packet metadata and fields.
		{"pkt.iface == 'eth0'", true},
		{"pkt.src == 192.0.2.1", true},
		{"pkt.dst == 192.0.2.254", true}, // a mapped address reads as IPv4
		{"pkt4.mac == 0x000102030405", true},
		{"pkt4.hlen == 6", true},
		{"pkt4.htype == 1", true},
		{"pkt4.ciaddr == 198.51.100.7", true},
		{"pkt4.giaddr == 192.0.2.1", true},
		{"pkt4.yiaddr == 0.0.0.0", true},
		{"pkt4.siaddr == 0.0.0.0", true},
		{"pkt4.msgtype == 1", true},
		{"pkt4.transid == 0x01020304", true},
		{"pkt4.transid == 16909060", true},
		// Substring, from Kea's documentation.
		{"substring('foobar', 0, 6) == 'foobar'", true},
		{"substring('foobar', 3, 3) == 'bar'", true},
		{"substring('foobar', 3, all) == 'bar'", true},
		{"substring('foobar', 1, 4) == 'ooba'", true},
		{"substring('foobar', -5, 4) == 'ooba'", true},
		{"substring('foobar', -1, -3) == 'oba'", true},
		{"substring('foobar', 4, -2) == 'ob'", true},
		{"substring('foobar', 10, 2) == ''", true},
		{"substring('foobar', -6, 2) == 'fo'", true},
		{"substring('foobar', -7, 2) == ''", true},
		{"substring('foobar', 6, 1) == ''", true},
		{"substring('foobar', 2, -5) == 'fo'", true},
		{"substring('foobar', 0, 0) == ''", true},
		{"substring('foobar', 0, 100) == 'foobar'", true},
		{"substring('', 0, 1) == ''", true},
		{"substring(option[61].hex, 1, 6) == pkt4.mac", true},
		// Split, from Kea's documentation.
		{"split('one.two..four', '.', 1) == 'one'", true},
		{"split('one.two..four', '.', 2) == 'two'", true},
		{"split('one.two..four', '.', 3) == ''", true},
		{"split('one.two..four', '.', 4) == 'four'", true},
		{"split('one.two..four', '.', 5) == ''", true},
		{"split('one.two..four', '.', 0) == ''", true},
		{"split('one.two..four', '.', -1) == ''", true},
		{"split('one.two..four', '', 2) == 'one.two..four'", true},
		{"split('a,b;c', ',;', 3) == 'c'", true},
		{"split('', '.', 1) == ''", true},
		{"split(option[39].text, 0x27, 2) == 'b'", true},
		// Concatenation.
		{"concat('foo', 'bar') == 'foobar'", true},
		{"'abc' + 'def' + 'ghi' == 'abcdefghi'", true},
		{"'' + option[60].text == 'docsis3.0'", true},
		{"option[60].text + '' == 'docsis3.0'", true},
		{"concat(lcase('A'), ucase('b')) + lcase('C') == 'aBc'", true},
		// Ifelse.
		{"ifelse(option[60].exists, option[60].text, 'none') == 'docsis3.0'", true},
		{"ifelse(option[230].exists, option[230].hex, 'none') == 'none'", true},
		{"sifelse('a' == 'b', 'x', 'y') == 'y'", true},
		// Conversions.
		{"hexstring('foo', '-') == '66-6f-6f'", true},
		{"hexstring(pkt4.mac, ':') == '00:01:02:03:04:05'", true},
		{"hexstring(pkt4.mac, '') == '000102030405'", true},
		{"hexstring('', ':') == ''", true},
		{"lcase('LoWeR') == 'lower'", true},
		{"ucase('uPpEr') == 'UPPER'", true},
		{"lcase(0xc3a9) == 0xc3a9", true}, // bytes outside ASCII stay
		{"addrtotext(192.10.0.1) == '192.10.0.1'", true},
		{"addrtotext(2003:db8::) == '2003:db8::'", true},
		{"addrtotext(::ffff:10.0.0.1) == '::ffff:10.0.0.1'", true},
		{"addrtotext(::10.0.0.1) == '::10.0.0.1'", true},
		{"addrtotext(::1) == '::1'", true},
		{"addrtotext(::) == '::'", true},
		{"addrtotext(pkt4.giaddr) == '192.0.2.1'", true},
		{"addrtotext('') == ''", true},
		{"int8totext(0xff) == '-1'", true},
		{"int8totext(0x7f) == '127'", true},
		{"int16totext(0xffff) == '-1'", true},
		{"int32totext(0xffffffff) == '-1'", true},
		{"uint8totext(0xff) == '255'", true},
		{"uint16totext(0xffff) == '65535'", true},
		{"uint32totext(4294967295) == '4294967295'", true},
		{"uint32totext(pkt4.msgtype) == '1'", true},
		{"uint8totext('') == ''", true},
		// Regular expressions: the whole value must match.
		{"match('foo.*', 'foobar')", true},
		{"match('foo', 'foobar')", false},
		{"match('.*foo.*', 'is it foo or bar')", true},
		{"match('^.*foo.*$', 'is it foo or bar')", true},
		{"match('docsis[0-9.]+', option[60].text)", true},
		// Logic.
		{"not ('foo' == 'bar')", true},
		{"not 'foo' == 'bar'", true},
		{"'a' == 'a' and 'b' == 'b'", true},
		{"'a' == 'a' and 'b' == 'c'", false},
		{"'a' == 'b' or 'b' == 'b'", true},
		{"'a' == 'b' or 'b' == 'c'", false},
		{"'a' == 'a' sand 'b' == 'c'", false},
		{"'a' == 'b' sor 'b' == 'b'", true},
		{"'a' == 'a' or 'a' == 'b' and 'a' == 'b'", true},
		{"('a' == 'a' or 'a' == 'b') and 'a' == 'b'", false},
		{"not 'a' == 'a' or 'a' == 'a'", true},
		// Membership.
		{"member('FOO')", true},
		{"member('BAR')", false},
		{"not member('KNOWN')", true},
	}
	for _, tt := range tests {
		x, err := Compile(tt.expr, Bool, nil)
		if err != nil {
			t.Errorf("Compile(%q): %v", tt.expr, err)
			continue
		}
		got, err := e.Bool(x)
		if err != nil {
			t.Errorf("%q: %v", tt.expr, err)
			continue
		}
		if got != tt.want {
			t.Errorf("%q = %v, want %v", tt.expr, got, tt.want)
		}
	}
}

func TestEvalValue(t *testing.T) {
	p := richPacket(t)
	var e Eval
	e.Begin(p, Meta{Iface: "eth1"})
	tests := []struct {
		expr string
		want string
	}{
		{"substring(option[61].hex, 0, 3)", "\x01\x00\x01"},
		{"option[60].text", "docsis3.0"},
		{"ifelse(substring(option[60].hex, 0, 6) == 'docsis', substring(option[12].hex, 0, 4), '')", "Host"},
		{"pkt.iface + '/' + hexstring(pkt4.mac, ':')", "eth1/00:01:02:03:04:05"},
		{"pkt.src", ""},
		{"pkt4.msgtype", "\x00\x00\x00\x01"},
		{"vendor.enterprise", "\x00\x00\x11\x8b"},
		{"vendor-class.enterprise", "\x00\x00\x11\x8b"},
		{"lcase(option[12].text) + '.' + ucase('example')", "host-one.EXAMPLE"},
	}
	for _, tt := range tests {
		x, err := Compile(tt.expr, String, nil)
		if err != nil {
			t.Errorf("Compile(%q): %v", tt.expr, err)
			continue
		}
		got, err := e.Value(x)
		if err != nil {
			t.Errorf("%q: %v", tt.expr, err)
			continue
		}
		if string(got) != tt.want {
			t.Errorf("%q = %q, want %q", tt.expr, got, tt.want)
		}
	}
}

func TestEvalRuntimeErrors(t *testing.T) {
	p := richPacket(t)
	var e Eval
	e.Begin(p, Meta{})
	tests := []struct {
		expr string
		want error
	}{
		{"addrtotext('abc') == ''", errAddrLen},
		{"int8totext('ab') == ''", errInt8Len},
		{"int16totext('abc') == ''", errInt16Len},
		{"int32totext('ab') == ''", errInt32Len},
		{"uint8totext('ab') == ''", errUint8Len},
		{"uint16totext('a') == ''", errUint16Len},
		{"uint32totext(option[60].hex) == ''", errUint32Len},
		{"substring('foo', 2147483648, 1) == ''", errSubStart},
		{"substring('foo', 0, -2147483649) == ''", errSubLength},
		{"split('a.b', '.', 4294967296) == ''", errSplitField},
		// sor and sand evaluate both sides, so the error surfaces.
		{"'a' == 'a' sor int8totext('ab') == ''", errInt8Len},
		{"sifelse('a' == 'a', 'x', int8totext('ab')) == 'x'", errInt8Len},
	}
	for _, tt := range tests {
		x := MustCompile(tt.expr, Bool, nil)
		got, err := e.Bool(x)
		if !errors.Is(err, tt.want) || got {
			t.Errorf("%q = %v, %v; want false, %v", tt.expr, got, err, tt.want)
		}
	}
	// The checks Kea makes before converting the numbers come first.
	for _, expr := range []string{
		"substring('', 2147483648, 1) == ''",
		"split('', '.', 4294967296) == ''",
		"'a' == 'a' or int8totext('ab') == ''",             // short circuit
		"'a' == 'b' and int8totext('ab') == ''",            // short circuit
		"ifelse('a' == 'a', 'x', int8totext('ab')) == 'x'", // only one branch runs
	} {
		x := MustCompile(expr, Bool, nil)
		if _, err := e.Bool(x); err != nil {
			t.Errorf("%q: %v, want no error", expr, err)
		}
	}
	// Kind mismatch and missing packet.
	if _, err := e.Value(MustCompile("'a' == 'a'", Bool, nil)); err == nil {
		t.Error("Value of a boolean expression did not fail")
	}
	var empty Eval
	if _, err := empty.Bool(MustCompile("'a' == 'a'", Bool, nil)); err == nil {
		t.Error("Bool without Begin did not fail")
	}
}

func TestPktLen(t *testing.T) {
	p := buildPacket(t, dhcpv4.Discover, func(b *dhcpv4.Builder) {
		b.AddString(dhcpv4.OptionHostName, "abc\x00") // counts as 3 bytes, as Kea trims it
		b.AddOption(66, []byte{0})                    // dropped by Kea
	})
	// 236 + option 53 (3) + option 12 (5).
	var e Eval
	e.Begin(p, Meta{})
	if v, err := e.Value(MustCompile("pkt.len", String, nil)); err != nil || !bytes.Equal(v, []byte{0, 0, 0, 244}) {
		t.Errorf("pkt.len = %x, %v; want 000000f4", v, err)
	}
	e.Begin(p, Meta{Len: 512})
	if ok, _ := e.Bool(MustCompile("pkt.len == 512", Bool, nil)); !ok {
		t.Error("Meta.Len does not override pkt.len")
	}
}

func TestStringOptionTable(t *testing.T) {
	p := buildPacket(t, dhcpv4.Discover, func(b *dhcpv4.Builder) {
		b.AddOption(224, []byte("ab\x00"))
		b.AddString(dhcpv4.OptionHostName, "h\x00")
	})
	var e Eval
	e.Begin(p, Meta{})
	// By default 224 is not a string option and 12 is.
	if ok, _ := e.Bool(MustCompile("option[224].hex == 0x616200 and option[12].hex == 'h'", Bool, nil)); !ok {
		t.Error("default string option table not applied")
	}
	opts := &Options{StringOption: func(c uint8) bool { return c == 224 }}
	if ok, _ := e.Bool(MustCompile("option[224].hex == 'ab' and option[12].hex == 0x6800", Bool, opts)); !ok {
		t.Error("Options.StringOption not applied")
	}
}

func TestEvalZeroAlloc(t *testing.T) {
	p := richPacket(t)
	var e Eval
	e.Begin(p, richMeta)
	for _, expr := range []string{
		"option[60].text == 'docsis3.0'",
		"substring(option[61].hex, 0, 3) == 0x010001 and relay4[1].hex == 'circuit'",
		"hexstring(pkt4.mac, ':') + '/' + lcase(option[12].text) == 'x' or addrtotext(pkt4.giaddr) == '192.0.2.1'",
		"vendor[4491].option[1].hex == 'modem' and vendor-class[4491].data[1] == 'de' and match('docsis.*', option[60].text)",
		"uint32totext(pkt4.transid) == '16909060' and int8totext(0xff) == '-1' and pkt.len == 0",
	} {
		x := MustCompile(expr, Bool, nil)
		if _, err := e.Bool(x); err != nil { // warm the scratch space
			t.Fatal(err)
		}
		if n := testing.AllocsPerRun(100, func() { _, _ = e.Bool(x) }); n != 0 {
			t.Errorf("%q: %v allocations per evaluation, want 0", expr, n)
		}
	}
}

// TestValueAliasing checks that values in the scratch space survive the
// space growing during one evaluation.
func TestValueAliasing(t *testing.T) {
	p := richPacket(t)
	var e Eval
	e.Begin(p, Meta{})
	expr := "hexstring(option[61].hex, ':') + '|' + hexstring(pkt4.mac + pkt4.mac + pkt4.mac, '-') + '|' + lcase(option[12].text)"
	x := MustCompile(expr, String, nil)
	want := "01:00:01:02:03:04:05|00-01-02-03-04-05-00-01-02-03-04-05-00-01-02-03-04-05|host-one"
	for i := 0; i < 3; i++ {
		e.buf = nil // start small so that appends move the buffer
		got, err := e.Value(x)
		if err != nil || string(got) != want {
			t.Fatalf("got %q, %v; want %q", got, err, want)
		}
	}
}

func TestVendorOptionsMalformed(t *testing.T) {
	tests := []struct {
		name string
		code dhcpv4.OptionCode
		val  []byte
		expr string
		want bool
	}{
		{"124 ok", 124, []byte{0, 0, 0, 9, 1, 'a', 0, 0, 0, 9, 1, 'b'}, "vendor-class[9].data[1] == 'b'", true},
		{"124 two enterprises", 124, []byte{0, 0, 0, 9, 1, 'a', 0, 0, 0, 8, 1, 'b'}, "vendor-class[*].exists", false},
		{"124 truncated tuple", 124, []byte{0, 0, 0, 9, 5, 'a'}, "vendor-class[*].exists", false},
		{"124 truncated id", 124, []byte{0, 0, 0, 9, 1, 'a', 0, 0}, "vendor-class[*].exists", false},
		{"124 empty last tuple", 124, []byte{0, 0, 0, 9, 1, 'a', 0, 0, 0, 9, 0}, "vendor-class[*].exists", false},
		{"124 too short", 124, []byte{0, 0, 0, 9}, "vendor-class[*].exists", false},
		{"124 data of absent", 124, []byte{0, 0, 0, 9}, "vendor-class[*].data == ''", true},
		{"125 ok", 125, []byte{0, 0, 0, 9, 3, 1, 1, 'x'}, "vendor[9].option[1].hex == 'x'", true},
		{"125 truncated", 125, []byte{0, 0, 0, 9, 4, 1, 1, 'x'}, "vendor[*].exists", false},
		{"125 short", 125, []byte{0, 0, 0}, "vendor.enterprise == ''", true},
		{"125 second block ignored", 125, []byte{0, 0, 0, 9, 0, 0, 0, 0, 8, 3, 1, 1, 'x'}, "vendor[8].exists or vendor[9].option[1].exists", false},
	}
	for _, tt := range tests {
		p := buildPacket(t, dhcpv4.Discover, func(b *dhcpv4.Builder) { b.AddOption(tt.code, tt.val) })
		var e Eval
		e.Begin(p, Meta{})
		got, err := e.Bool(MustCompile(tt.expr, Bool, nil))
		if err != nil || got != tt.want {
			t.Errorf("%s: %q = %v, %v; want %v", tt.name, tt.expr, got, err, tt.want)
		}
	}
}
