package ddns

import (
	"bytes"
	"net/netip"
	"strings"
	"testing"

	"github.com/leased/leased/dhcpv4"
)

func TestParseText(t *testing.T) {
	long63 := strings.Repeat("a", 63)
	// 3 labels of 63 and one of 61: 4*64 - 2 + 1 = 255 bytes of wire.
	longest := long63 + "." + long63 + "." + long63 + "." + strings.Repeat("b", 61)
	for _, tc := range []struct {
		in       string
		downcase bool
		text     string // appendText(omitFinalDot false); "" for an error
		labels   int
		err      error
	}{
		{"host", false, "host.", 2, nil},
		{"host.", false, "host.", 2, nil},
		{"Host.Example", false, "Host.Example.", 3, nil},
		{"Host.Example", true, "host.example.", 3, nil},
		{".", false, ".", 1, nil},
		{"@", false, ".", 1, nil},
		{"@a", false, `\@a.`, 2, nil},
		{`a\.b`, false, `a\.b.`, 2, nil},
		{`a\032b`, false, `a\032b.`, 2, nil},
		{`a\065b`, true, `aab.`, 2, nil},
		{"a b", false, `a\032b.`, 2, nil},
		{"my_host*", false, "my_host*.", 2, nil},
		{"\xc3\xa9", false, `\195\169.`, 2, nil},
		{`\$x;y`, false, `\$x\;y.`, 2, nil},
		{long63, false, long63 + ".", 2, nil},
		{longest, false, longest + ".", 5, nil},
		{longest + ".", false, longest + ".", 5, nil},
		{"", false, "", 0, errEmpty},
		{".a", false, "", 0, errEmptyLabel},
		{"a..b", false, "", 0, errEmptyLabel},
		{"..", false, "", 0, errEmptyLabel},
		{long63 + "a", false, "", 0, errLabelTooLong},
		{longest + "b", false, "", 0, errNameTooLong},
		{longest + ".c", false, "", 0, errNameTooLong},
		{`a\25`, false, "", 0, errIncomplete},
		{`a\`, false, "", 0, errIncomplete},
		{`a\2x5`, false, "", 0, errBadEscape},
		{`a\256`, false, "", 0, errBadEscape},
		{`\[x`, false, "", 0, errBadLabelType},
	} {
		var nm name
		err := nm.parseText([]byte(tc.in), tc.downcase)
		if err != tc.err {
			t.Errorf("parseText(%q) error %v, want %v", tc.in, err, tc.err)
			continue
		}
		if err != nil {
			continue
		}
		if got := nm.appendText(nil, false); string(got) != tc.text || nm.labels != tc.labels {
			t.Errorf("parseText(%q) = %q with %d labels, want %q with %d", tc.in, got, nm.labels, tc.text, tc.labels)
		}
	}
}

func TestNameForms(t *testing.T) {
	var nm name
	if err := nm.parseText([]byte(`pc\.1.lab`), false); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		got, want string
	}{
		{string(nm.appendText(nil, true)), `pc\.1.lab`},
		{string(nm.appendText(nil, false)), `pc\.1.lab.`},
		{string(nm.bytes()), "\x04pc.1\x03lab\x00"},
	} {
		if tc.got != tc.want {
			t.Errorf("got %q, want %q", tc.got, tc.want)
		}
	}
	var root name
	if err := root.parseText([]byte("."), false); err != nil {
		t.Fatal(err)
	}
	if got := root.appendText(nil, true); string(got) != "." {
		t.Errorf("root without final dot = %q, want %q", got, ".")
	}
}

func TestParseWire(t *testing.T) {
	for _, tc := range []struct {
		in   string
		text string
		err  error
	}{
		{"\x04Host\x03lab\x00", "host.lab.", nil},
		{"\x00", ".", nil},
		{"\x02pc\x00trailing", "pc.", nil},
		{"\x02pc", "", errWireTruncated},
		{"\x05pc\x00", "", errWireTruncated},
		{"\x40" + strings.Repeat("a", 64) + "\x00", "", errWireLabelType},
		{"\x02pc\xc0\x00", "", errWireLabelType},
		{"", "", errWireTruncated},
		{strings.Repeat("\x3f"+strings.Repeat("a", 63), 4) + "\x00", "", errNameTooLong},
	} {
		var nm name
		err := nm.parseWire([]byte(tc.in), true)
		if err != tc.err {
			t.Errorf("parseWire(%q) error %v, want %v", tc.in, err, tc.err)
			continue
		}
		if err == nil && string(nm.appendText(nil, false)) != tc.text {
			t.Errorf("parseWire(%q) = %q, want %q", tc.in, nm.appendText(nil, false), tc.text)
		}
	}
}

// FuzzName checks that every name the text parser accepts prints as a
// text that parses to the same name, and that its wire form parses to
// it too.
func FuzzName(f *testing.F) {
	for _, s := range []string{"host", "Host.Example.", ".", "@", `a\.b`, `a\032b`, "a..b", `\[`, "my_host*"} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, s []byte) {
		var nm name
		if nm.parseText(s, true) != nil {
			return
		}
		if nm.n > maxWire || nm.labels < 1 || nm.wire[nm.n-1] != 0 {
			t.Fatalf("parseText(%q): %d bytes, %d labels, wire %q", s, nm.n, nm.labels, nm.bytes())
		}
		text := nm.appendText(nil, false)
		var again name
		if err := again.parseText(text, false); err != nil || !bytes.Equal(again.bytes(), nm.bytes()) || again.labels != nm.labels {
			t.Fatalf("%q printed as %q, which parses to %q (%v)", s, text, again.bytes(), err)
		}
		var wire name
		if err := wire.parseWire(nm.bytes(), false); err != nil || !bytes.Equal(wire.bytes(), nm.bytes()) || wire.labels != nm.labels {
			t.Fatalf("wire form %q of %q parses to %q (%v)", nm.bytes(), s, wire.bytes(), err)
		}
	})
}

// FuzzDecide feeds arbitrary options 12 and 81 and reservations to Decide
// under each mode: it must not panic, must answer option 81 only for a
// valid option 81, and what it answers must be well formed.
func FuzzDecide(f *testing.F) {
	f.Add([]byte("host"), []byte{}, false, "", uint8(0), true)
	f.Add([]byte("My_Host.Example"), []byte{}, false, "", uint8(1), true)
	f.Add([]byte{}, []byte("\x01\x00\x00Host"), true, "", uint8(0), true)
	f.Add([]byte{}, []byte("\x05\x00\x00\x04host"), true, "", uint8(2), false)
	f.Add([]byte{}, []byte("\x04\x00\x00\x04host\x03lab\x00"), true, "res", uint8(3), true)
	f.Add([]byte("a..b"), []byte("\x09"), true, "", uint8(0), false)
	f.Fuzz(func(t *testing.T, host, opt81 []byte, has81 bool, reserved string, mode uint8, charSet bool) {
		cs := "-"
		if charSet {
			cs = keaCharSet
		}
		modes := [...]string{"never", "always", "when-present", "when-not-present"}
		p := params(modes[mode%4], "example.org", cs, "")
		a := Decide(nil, Request{HostName: host, FQDN: opt81, HasFQDN: has81, Reserved: reserved}, p, netip.MustParseAddr("10.1.2.3"))
		switch a.Option {
		case 0:
			if len(a.Value) != 0 || a.Hostname != "" || a.Generated {
				t.Fatalf("no option but value %q hostname %q", a.Value, a.Hostname)
			}
		case dhcpv4.OptionHostName:
			if has81 {
				t.Fatalf("option 12 answered to a client that sent option 81")
			}
			if len(a.Value) == 0 || a.Value[len(a.Value)-1] == 0 || string(a.Value) != a.Hostname {
				t.Fatalf("option 12 %q, hostname %q", a.Value, a.Hostname)
			}
		case dhcpv4.OptionClientFQDN:
			if !has81 || !ValidFQDN(opt81) {
				t.Fatalf("option 81 answered to %q (sent %v)", opt81, has81)
			}
			v := a.Value
			if len(v) < 3 || v[0]&^(dhcpv4.FQDNEncoded|dhcpv4.FQDNOverride) != dhcpv4.FQDNNoUpdate || v[1] != opt81[1] || v[2] != opt81[2] {
				t.Fatalf("option 81 answer %q to %q", v, opt81)
			}
			if len(v) == 3 {
				if !a.Generated {
					t.Fatalf("option 81 without a name for %q", opt81)
				}
				break
			}
			var nm name
			var err error
			if v[0]&dhcpv4.FQDNEncoded != 0 {
				err = nm.parseWire(v[3:], false)
			} else {
				err = nm.parseText(v[3:], false)
			}
			if err != nil || (v[0]&dhcpv4.FQDNEncoded != 0 && nm.n != len(v)-3) {
				t.Fatalf("option 81 answer %q has a bad name (%v)", v, err)
			}
			if !a.Generated && string(nm.appendText(nil, false)) != a.Hostname {
				t.Fatalf("option 81 answer %q, hostname %q", v, a.Hostname)
			}
		default:
			t.Fatalf("answered with option %d", a.Option)
		}
		if a.FQDNFwd || a.FQDNRev {
			t.Fatal("DNS update flags set")
		}
	})
}
