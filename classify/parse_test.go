package classify

import (
	"errors"
	"strings"
	"testing"
)

// optionNames is a stand-in for the option table the configuration passes.
func optionNames(name string) (uint8, bool) {
	switch name {
	case "host-name":
		return 12, true
	case "vendor-class-identifier":
		return 60, true
	case "dhcp-client-identifier":
		return 61, true
	case "dhcp-agent-options":
		return 82, true
	}
	return 0, false
}

var testOpts = &Options{OptionCode: optionNames}

func TestCompileCanonical(t *testing.T) {
	tests := []struct {
		kind Kind
		in   string
		want string
	}{
		{Bool, "option[60].text == 'x'", "option[60].text == 'x'"},
		{Bool, "option[vendor-class-identifier].text=='x'", "option[60].text == 'x'"},
		{Bool, "option[ host-name ].exists", "option[12].exists"},
		{Bool, "option[\nhost-name\n].exists", "option[12].exists"},
		{Bool, "substring(option[61].hex,0,3) == 'foo'", "substring(option[61].hex, 0, 3) == 'foo'"},
		{Bool, "substring('foobar', -1, -3) == 'oba'", "substring('foobar', -1, -3) == 'oba'"},
		{Bool, "substring('foobar',3,all) == 'bar'", "substring('foobar', 3, all) == 'bar'"},
		{Bool, "option[82].option[2].hex == pkt4.mac", "option[82].option[2].hex == pkt4.mac"},
		{Bool, "option[82].option[9].option[1].exists", "option[82].option[9].option[1].exists"},
		{Bool, "relay4[1].hex == 'circuit'", "relay4[1].hex == 'circuit'"},
		{Bool, "relay4[9].option[host-name].exists", "relay4[9].option[12].exists"},
		{Bool, "0x5a7d == 'Z}'", "0x5a7d == 'Z}'"},
		{Bool, "0X5A7 == 0x05a7", "0x05a7 == 0x05a7"},
		{Bool, "10.0.0.1 == pkt4.giaddr", "10.0.0.1 == pkt4.giaddr"},
		{Bool, "2001:db8::1 == ::ffff:10.0.0.1", "2001:db8::1 == ::ffff:10.0.0.1"},
		{Bool, "fe80::1 == 0xfe800000000000000000000000000001", "fe80::1 == 0xfe800000000000000000000000000001"},
		{Bool, "123 == 0x0000007b", "123 == 0x0000007b"},
		{Bool, "pkt4.msgtype == 1 or pkt4.msgtype == 3", "(pkt4.msgtype == 1 or pkt4.msgtype == 3)"},
		{Bool, "a_b_c() == 1", ""}, // placeholder, replaced below
		{Bool, "not member('KNOWN')", "not member('KNOWN')"},
		{Bool, "not not member('ALL')", "not not member('ALL')"},
		{Bool, "not 'a' == 'b'", "not 'a' == 'b'"},
		{Bool, "not member('A') and member('B')", "(not member('A') and member('B'))"},
		{Bool, "member('A') or member('B') and member('C')", "(member('A') or (member('B') and member('C')))"},
		{Bool, "(member('A') or member('B')) and member('C')", "((member('A') or member('B')) and member('C'))"},
		{Bool, "member('A') and member('B') and member('C')", "((member('A') and member('B')) and member('C'))"},
		{Bool, "member('A') sor member('B') or member('C')", "(member('A') sor (member('B') or member('C')))"},
		{Bool, "member('A') or member('B') sor member('C')", "((member('A') or member('B')) sor member('C'))"},
		{Bool, "member('A') sand member('B') and member('C')", "(member('A') sand (member('B') and member('C')))"},
		{Bool, "member('A') and member('B') sand member('C')", "((member('A') and member('B')) sand member('C'))"},
		{Bool, "member('A') or member('B') sand member('C')", "(member('A') or (member('B') sand member('C')))"},
		{Bool, "'a' + 'b' + 'c' == 'abc'", "(('a' + 'b') + 'c') == 'abc'"},
		{Bool, "'abc' == 'a' + 'bc'", "'abc' == ('a' + 'bc')"},
		{Bool, "('a') == ('a')", "'a' == 'a'"},
		{Bool, "(('a' == 'a'))", "'a' == 'a'"},
		{Bool, "concat('a', concat('b', 'c')) == 'abc'", "concat('a', concat('b', 'c')) == 'abc'"},
		{Bool, "split('one.two..four', '.', 4) == 'four'", "split('one.two..four', '.', 4) == 'four'"},
		{Bool, "ifelse(option[230].exists, option[230].hex, 'none') == 'none'", "ifelse(option[230].exists, option[230].hex, 'none') == 'none'"},
		{Bool, "sifelse('a' == 'a', 'x', 'y') == 'x'", "sifelse('a' == 'a', 'x', 'y') == 'x'"},
		{Bool, "hexstring(pkt4.mac, ':') == '00:01:02:03:04:05'", "hexstring(pkt4.mac, ':') == '00:01:02:03:04:05'"},
		{Bool, "lcase('LoWeR') == ucase('lower')", "lcase('LoWeR') == ucase('lower')"},
		{Bool, "addrtotext(pkt4.giaddr) == '192.0.2.1'", "addrtotext(pkt4.giaddr) == '192.0.2.1'"},
		{Bool, "int8totext(0xff) == uint32totext(4294967295)", "int8totext(0xff) == uint32totext(4294967295)"},
		{Bool, "int16totext(0xffff) == int32totext(1)", "int16totext(0xffff) == int32totext(1)"},
		{Bool, "uint8totext(0x01) == uint16totext(0x0001)", "uint8totext(0x01) == uint16totext(0x0001)"},
		{Bool, "vendor[4491].exists", "vendor[4491].exists"},
		{Bool, "vendor[*].exists", "vendor[*].exists"},
		{Bool, "vendor[0].exists", "vendor[*].exists"},
		{Bool, "vendor.enterprise == 4491", "vendor.enterprise == 4491"},
		{Bool, "vendor[4491].option[1].hex == 'docsis3.0'", "vendor[4491].option[1].hex == 'docsis3.0'"},
		{Bool, "vendor[4491].option[1].option[2].exists", "vendor[4491].option[1].option[2].exists"},
		{Bool, "vendor-class[4491].exists", "vendor-class[4491].exists"},
		{Bool, "vendor-class.enterprise == 4491", "vendor-class.enterprise == 4491"},
		{Bool, "vendor-class[4491].data == 'x'", "vendor-class[4491].data[0] == 'x'"},
		{Bool, "vendor-class[*].data[3] == 'x'", "vendor-class[*].data[3] == 'x'"},
		{Bool, "pkt.iface == 'eth0' and pkt.src == 10.0.0.1 and pkt.dst == 10.0.0.2 and pkt.len == 300",
			"(((pkt.iface == 'eth0' and pkt.src == 10.0.0.1) and pkt.dst == 10.0.0.2) and pkt.len == 300)"},
		{Bool, "pkt4.hlen == 6 and pkt4.htype == 1 and pkt4.ciaddr == 0.0.0.0",
			"((pkt4.hlen == 6 and pkt4.htype == 1) and pkt4.ciaddr == 0.0.0.0)"},
		{Bool, "pkt4.yiaddr == pkt4.siaddr and pkt4.transid == 0x01020304",
			"(pkt4.yiaddr == pkt4.siaddr and pkt4.transid == 0x01020304)"},
		{Bool, "match('foo.*', 'foobar')", "match('foo.*', 'foobar')"},
		{Bool, "split(option[39].text, 0x27, 1) == ''", "split(option[39].text, 0x27, 1) == ''"},
		{Bool, "\toption[60].exists\n", "option[60].exists"},
		{String, "substring(option[61].hex,0,3)", "substring(option[61].hex, 0, 3)"},
		{String, "ifelse(substring(option[61].hex,4,3) == 'foo', substring(option[12].hex,0,12), '')",
			"ifelse(substring(option[61].hex, 4, 3) == 'foo', substring(option[12].hex, 0, 12), '')"},
		{String, "'a' + 'b'", "('a' + 'b')"},
		{String, "123", "123"},
	}
	for _, tt := range tests {
		if tt.want == "" {
			continue
		}
		x, err := Compile(tt.in, tt.kind, testOpts)
		if err != nil {
			t.Errorf("Compile(%q): %v", tt.in, err)
			continue
		}
		if got := x.String(); got != tt.want {
			t.Errorf("Compile(%q).String() = %q, want %q", tt.in, got, tt.want)
		}
		if x.Source() != tt.in || x.Kind() != tt.kind {
			t.Errorf("Compile(%q): Source %q Kind %v", tt.in, x.Source(), x.Kind())
		}
		// Printing is a fixed point.
		y, err := Compile(x.String(), tt.kind, testOpts)
		if err != nil {
			t.Errorf("recompiling %q: %v", x.String(), err)
			continue
		}
		if y.String() != x.String() {
			t.Errorf("recompiling %q gave %q", x.String(), y.String())
		}
	}
}

func TestCompileErrors(t *testing.T) {
	tests := []struct {
		kind Kind
		in   string
		col  int
		msg  string
	}{
		{Bool, "", 1, "empty expression"},
		{Bool, "   ", 4, "empty expression"},
		{Bool, "'", 1, "unterminated string literal"},
		{Bool, "'a\n' == 'a'", 1, "string literal runs past the end of the line"},
		{Bool, "0x", 2, "unknown identifier 'x'"},
		{Bool, "0x123h == 'a'", 6, "unknown identifier 'h'"},
		{Bool, "0abc", 2, "unknown identifier 'abc'"},
		{Bool, ":1", 1, "invalid character ':'"},
		{Bool, "=", 1, "invalid character '='"},
		{Bool, "option[1].hex < 'a'", 15, "invalid character '<'"},
		{Bool, "foo", 1, "unknown identifier 'foo'"},
		{Bool, " bar", 2, "unknown identifier 'bar'"},
		{Bool, "subtring('a', 0, 1) == 'a'", 1, "unknown identifier 'subtring'"},
		{Bool, "relay[12].hex == 'foo'", 1, "unknown identifier 'relay'"},
		{Bool, "known", 1, "unknown identifier 'known'"},
		{Bool, "not unknown", 5, "unknown identifier 'unknown'"},
		{Bool, "pkt4.ziaddr == 0.0.0.0", 6, "expected mac, hlen"},
		{Bool, "pkt.foo == 'x'", 5, "expected iface, src, dst or len"},
		{Bool, "pkt6.msgtype == 1", 1, "pkt6 can only be used in DHCPv6"},
		{Bool, "relay6[0].linkaddr == ::", 1, "relay6 can only be used in DHCPv6"},
		{Bool, "10.0.1", 3, "expected end of expression, found '.'"},
		{Bool, "10.256.0.1 == 'a'", 1, "invalid IP address 10.256.0.1"},
		{Bool, "::: == 'a'", 1, "invalid IP address :::"},
		{Bool, "===", 3, "invalid character '='"},
		{Bool, "== 'ab'", 1, "unexpected '=='"},
		{Bool, "option[-1].text == 'a'", 8, "option code -1 out of range 0..255"},
		{Bool, "option[256].text == 'a'", 8, "option code 256 out of range 0..255"},
		{Bool, "option[12345678901234567890].text", 8, "integer 12345678901234567890 does not fit 64 bits"},
		{Bool, "option[123]", 12, "expected '.', found end of expression"},
		{Bool, "option[0ab].text", 9, "expected ']', found 'ab'"},
		{Bool, "option[ab_].hex", 8, "invalid option name 'ab_'"},
		{Bool, "option[ab].text == 'foo'", 8, "option 'ab' is not defined"},
		{Bool, "option['ab'].text == 'foo'", 8, "expected an option code or name, found string 'ab'"},
		{Bool, "option[0xa].text == 'ab'", 8, "expected an option code or name, found hex string 0xa"},
		{Bool, "option 'ab'", 8, "expected '[', found string 'ab'"},
		{Bool, "option(10) == 'ab'", 7, "expected '['"},
		{Bool, "option[10].bin", 12, "expected 'hex', 'text', 'exists' or 'option', found 'bin'"},
		{Bool, "option[123].option[host-name].exists", 20, "a sub-option must be given by code, not by name"},
		{Bool, "relay4[host-name].exists", 8, "a sub-option must be given by code"},
		{Bool, "option[10].exists == 'foo'", 19, "'==' compares strings, its left side is a boolean"},
		{Bool, "'foo''bar'", 6, "expected end of expression, found string 'bar'"},
		{Bool, "'foo' (", 7, "expected end of expression, found '('"},
		{Bool, "'foo' ==", 9, "unexpected end of expression, expected a value"},
		{Bool, "('foo' == 'bar'", 16, "expected ')', found end of expression"},
		{Bool, "('foo' == 'bar') ''", 18, "expected end of expression, found string ''"},
		{Bool, "not", 4, "unexpected end of expression, expected a value"},
		{Bool, "not 'foo'", 5, "'not' needs a boolean operand, this is a string"},
		{Bool, "not()", 5, "unexpected ')'"},
		{Bool, "and", 1, "unexpected 'and', expected a value"},
		{Bool, "'foo' and", 7, "'and' needs boolean operands, its left side is a string"},
		{Bool, "'foo' == 'bar' and", 19, "unexpected end of expression"},
		{Bool, "'foo' == 'bar' and ''", 20, "'and' needs boolean operands, this is a string"},
		{Bool, "'foo' or 'bar' == 'x'", 7, "'or' needs boolean operands, its left side is a string"},
		{Bool, "'true' and 'false'", 8, "'and' needs boolean operands, its left side is a string"},
		{Bool, "('foo' == 'bar') == 'false'", 18, "'==' compares strings, its left side is a boolean"},
		{Bool, "'a' == 'b' == 'c'", 12, "'==' cannot be chained"},
		{Bool, "'foobar'", 1, "a test must be a boolean expression"},
		{String, "'a' == 'b'", 1, "a template test must be a string expression"},
		{Bool, "substring('foobar') == 'f'", 19, "too few arguments to substring"},
		{Bool, "substring('foobar',3) == 'bar'", 21, "expected ',', found ')'"},
		{Bool, "substring('foobar','3',3) == 'bar'", 20, "expected an integer start position, found string '3'"},
		{Bool, "substring('foobar',1,a) == 'foo'", 22, "expected an integer length or 'all', found 'a'"},
		{Bool, "substring('foobar',all,1) == 'foo'", 20, "expected an integer start position, found 'all'"},
		{Bool, "substring('foobar',0x32,1) == 'foo'", 20, "expected an integer start position, found hex string 0x32"},
		{Bool, "substring('foo',12345678901234567890,1) == 'f'", 17, "does not fit 64 bits"},
		{Bool, "concat('foobar') == 'f'", 16, "too few arguments to concat"},
		{Bool, "concat('foo','bar','') == 'foobar'", 19, "too many arguments to concat"},
		{Bool, "ifelse('foo'=='bar','foo') == 'f'", 26, "too few arguments to ifelse"},
		{Bool, "ifelse('foobar','foo','bar') == 'f'", 8, "the condition of ifelse must be a boolean"},
		{Bool, "ifelse('foo'=='bar','foo'=='foo','bar') == 'f'", 21, "arguments of ifelse must be strings"},
		{Bool, "'a' + == 'a'", 7, "unexpected '=='"},
		{Bool, "+ 'a' == 'a'", 1, "unexpected '+'"},
		{Bool, "'a' ++ 'b' == 'ab'", 6, "unexpected '+'"},
		{Bool, "member('A') + 'b' == 'x'", 13, "'+' joins strings, its left side is a boolean"},
		{Bool, "'b' + member('A')", 7, "'+' joins strings, its right side is a boolean"},
		{Bool, "addrtotext(10.0.0.1, 10.0.0.2) == 'x'", 20, "too many arguments to addrtotext"},
		{Bool, "member(foo)", 8, "expected a quoted class name, found 'foo'"},
		{Bool, "member('x'", 11, "expected ')', found end of expression"},
		{Bool, "match('(', 'x')", 7, "invalid regular expression"},
		{Bool, "match(lcase('x'), 'x')", 7, "expected a quoted regular expression"},
		{Bool, "vendor[4491].hex == 'x'", 14, "expected 'exists' or 'option', found 'hex'"},
		{Bool, "vendor[4294967296].exists", 8, "enterprise id 4294967296 out of range"},
		{Bool, "vendor[-1].exists", 8, "enterprise id -1 out of range"},
		{Bool, "vendor.foo == 1", 8, "expected 'enterprise' after vendor."},
		{Bool, "vendor-class[1].data[256] == 'x'", 22, "data index 256 out of range 0..255"},
		{Bool, "vendor-class[1].option[1].exists", 17, "expected 'exists' or 'data', found 'option'"},
		{Bool, "4294967296 == 'x'", 1, "integer 4294967296 out of range 0..4294967295"},
		{Bool, "-1 == 'x'", 1, "integer -1 out of range 0..4294967295"},
		{Bool, "int8totext(-1) == '-1'", 12, "integer -1 out of range"},
		{Bool, "option[12].text == 'a' and all", 28, "unexpected 'all', expected a value"},
	}
	for _, tt := range tests {
		_, err := Compile(tt.in, tt.kind, testOpts)
		var se *SyntaxError
		if !errors.As(err, &se) {
			t.Errorf("Compile(%q) error = %v, want a *SyntaxError", tt.in, err)
			continue
		}
		if se.Col != tt.col || !strings.Contains(se.Msg, tt.msg) || se.Expr != tt.in {
			t.Errorf("Compile(%q) = col %d %q, want col %d containing %q", tt.in, se.Col, se.Msg, tt.col, tt.msg)
		}
	}
}

func TestSyntaxErrorText(t *testing.T) {
	_, err := Compile("substring(option[61].hex,0,3 == 'foo'", Bool, nil)
	var se *SyntaxError
	if !errors.As(err, &se) {
		t.Fatalf("error %v is not a *SyntaxError", err)
	}
	want := `expected ')', found '==' at column 30 in "substring(option[61].hex,0,3 == 'foo'"`
	if se.Error() != want {
		t.Errorf("Error() = %q, want %q", se.Error(), want)
	}
	wantPtr := "substring(option[61].hex,0,3 == 'foo'\n" + strings.Repeat(" ", 29) + "^"
	if se.Pointer() != wantPtr {
		t.Errorf("Pointer() =\n%s\nwant\n%s", se.Pointer(), wantPtr)
	}
	// On a multi-line expression the pointer shows the line of the column.
	_, err = Compile("option[12].exists and\n  foo", Bool, nil)
	if !errors.As(err, &se) || se.Col != 25 {
		t.Fatalf("error %v, want column 25", err)
	}
	if got, want := se.Pointer(), "  foo\n  ^"; got != want {
		t.Errorf("Pointer() = %q, want %q", got, want)
	}
}

func TestOptionNamesNeedLookup(t *testing.T) {
	_, err := Compile("option[host-name].exists", Bool, nil)
	var se *SyntaxError
	if !errors.As(err, &se) || se.Col != 8 || !strings.Contains(se.Msg, "no option name lookup") {
		t.Errorf("error %v, want a lookup error at column 8", err)
	}
}

func TestClassDefinedCheck(t *testing.T) {
	opts := &Options{ClassDefined: func(n string) bool { return n == "A" }}
	if _, err := Compile("member('A')", Bool, opts); err != nil {
		t.Errorf("member of a defined class: %v", err)
	}
	_, err := Compile("member('A') and member('B')", Bool, opts)
	var se *SyntaxError
	if !errors.As(err, &se) || se.Col != 24 || se.Msg != "client class 'B' is not defined" {
		t.Errorf("error %v, want class B not defined at column 24", err)
	}
}

func TestMembers(t *testing.T) {
	x := MustCompile("member('A') or not member('B') and member('A') or ifelse(member('C'), 'a', 'b') == 'a'", Bool, nil)
	got := strings.Join(x.Members(), ",")
	if got != "A,B,C" {
		t.Errorf("Members() = %s, want A,B,C", got)
	}
}

func TestMustCompilePanics(t *testing.T) {
	defer func() {
		if recover() == nil {
			t.Error("MustCompile of a bad expression did not panic")
		}
	}()
	MustCompile("(", Bool, nil)
}

func TestNestingLimit(t *testing.T) {
	deep := strings.Repeat("(", 10000) + "'a' == 'a'" + strings.Repeat(")", 10000)
	nots := strings.Repeat("not ", 10000) + "'a' == 'a'"
	chain := "'a'" + strings.Repeat(" + 'a'", 10000) + " == 'a'"
	ands := "'a' == 'a'" + strings.Repeat(" and 'a' == 'a'", 10000)
	for _, src := range []string{deep, nots, chain, ands} {
		_, err := Compile(src, Bool, nil)
		var se *SyntaxError
		if !errors.As(err, &se) || !strings.Contains(se.Msg, "nested too deeply") {
			t.Errorf("Compile(%.20q...) = %v, want a nesting error", src, err)
		}
	}
	ok := strings.Repeat("(", 100) + "'a'" + strings.Repeat(" + 'a'", 100) + " == 'a'" + strings.Repeat(")", 100)
	if _, err := Compile(ok, Bool, nil); err != nil {
		t.Errorf("moderate nesting rejected: %v", err)
	}
}
