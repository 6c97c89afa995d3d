package ddns

import (
	"net/netip"
	"regexp"
	"strings"
	"testing"
	"unsafe"

	"github.com/leased/leased/config"
	"github.com/leased/leased/dhcpv4"
)

var testAddr = netip.MustParseAddr("192.0.2.10")

// params returns the Params of a scope with Kea's defaults changed by
// the arguments: mode, suffix, and the character set and replacement
// ("-" for no character set).
func params(mode, suffix, charSet, repl string) *Params {
	d := &config.DDNS{ReplaceClientName: mode, GeneratedPrefix: "myhost", QualifyingSuffix: suffix, HostnameCharReplacement: repl}
	if charSet != "-" {
		d.HostnameCharSet = regexp.MustCompile(charSet)
	}
	return ParamsOf(d, d)
}

const keaCharSet = "[^A-Za-z0-9.-]" // Kea's default hostname-char-set

// fqdnOpt builds an option 81 value: flags, rcodes 0, then name.
func fqdnOpt(flags uint8, name string) []byte {
	return append([]byte{flags, 0, 0}, name...)
}

func TestDecide(t *testing.T) {
	const (
		N, O, E, S = dhcpv4.FQDNNoUpdate, dhcpv4.FQDNOverride, dhcpv4.FQDNEncoded, dhcpv4.FQDNServerUpdates
	)
	std := params("never", "example.org", keaCharSet, "")
	noSuffix := params("never", "", keaCharSet, "")
	type want struct {
		opt       dhcpv4.OptionCode
		value     string
		hostname  string
		generated bool
	}
	none := want{}
	h12 := func(v string) want { return want{dhcpv4.OptionHostName, v, v, false} }
	gen12 := func(v string) want { return want{dhcpv4.OptionHostName, v, v, true} }
	for _, tc := range []struct {
		name string
		p    *Params
		r    Request
		want want
	}{
		// Neither option.
		{"nothing sent, never", std, Request{}, none},
		{"nothing sent, when-present", params("when-present", "example.org", keaCharSet, ""), Request{}, none},
		{"nothing sent, always", params("always", "example.org", keaCharSet, ""), Request{}, gen12("myhost-192-0-2-10.example.org")},
		{"nothing sent, when-not-present", params("when-not-present", "", keaCharSet, ""), Request{}, gen12("myhost-192-0-2-10")},
		{"empty option 12 is absent", params("when-not-present", "", keaCharSet, ""), Request{HostName: []byte{}}, gen12("myhost-192-0-2-10")},
		{"zero bytes only is absent", std, Request{HostName: []byte{0, 0}}, none},

		// Option 12.
		{"single label qualified", std, Request{HostName: []byte("host")}, h12("host.example.org")},
		{"single label, no suffix", noSuffix, Request{HostName: []byte("host")}, h12("host")},
		{"sanitized and lowercased", std, Request{HostName: []byte("My_Host.Example")}, h12("myhost.example")},
		{"sanitized then qualified", std, Request{HostName: []byte("bad*chars")}, h12("badchars.example.org")},
		{"replacement", params("never", "example.org", keaCharSet, "x"), Request{HostName: []byte("bad*chars")}, h12("badxchars.example.org")},
		{"no character set", params("never", "", "-", ""), Request{HostName: []byte("My_Host.Example")}, h12("my_host.example")},
		{"blanks trimmed", std, Request{HostName: []byte(" \thost\n")}, h12("host.example.org")},
		{"trailing zero bytes cut", std, Request{HostName: []byte("host\x00\x00")}, h12("host.example.org")},
		{"suffix already there", std, Request{HostName: []byte("pc.example.org")}, h12("pc.example.org")},
		{"final dot kept on many labels", std, Request{HostName: []byte("pc.lab.")}, h12("pc.lab.")},
		{"single label with final dot", std, Request{HostName: []byte("host.")}, h12("host")},
		{"suffix is not lowercased", params("never", "Example.ORG", keaCharSet, ""), Request{HostName: []byte("HOST")}, h12("host.Example.ORG")},
		{"root means generate", std, Request{HostName: []byte(".")}, gen12("myhost-192-0-2-10.example.org")},
		{"blank is ignored", std, Request{HostName: []byte("   ")}, none},
		{"empty label is malformed", std, Request{HostName: []byte("a..b")}, none},
		{"label too long is malformed", std, Request{HostName: []byte(strings.Repeat("a", 64))}, none},
		{"nothing left after scrubbing", std, Request{HostName: []byte("***")}, none},
		{"empty label after scrubbing", std, Request{HostName: []byte("a.*.b")}, none},
		{"scrubbing leaves one label", std, Request{HostName: []byte("host.*")}, h12("host")},
		{"when-present replaces", params("when-present", "example.org", keaCharSet, ""), Request{HostName: []byte("host")}, gen12("myhost-192-0-2-10.example.org")},
		{"always replaces", params("always", "", keaCharSet, ""), Request{HostName: []byte("host")}, gen12("myhost-192-0-2-10")},
		{"when-not-present keeps", params("when-not-present", "example.org", keaCharSet, ""), Request{HostName: []byte("host")}, h12("host.example.org")},

		// Reservations.
		{"reserved, nothing sent", std, Request{Reserved: "Printer"}, h12("printer.example.org")},
		{"reserved over sent", std, Request{HostName: []byte("other"), Reserved: "printer"}, h12("printer.example.org")},
		{"reserved over always", params("always", "", keaCharSet, ""), Request{HostName: []byte("other"), Reserved: "printer"}, h12("printer")},
		{"reserved is not sanitized", std, Request{Reserved: "my_printer"}, h12("my_printer.example.org")},
		{"reserved suffix lowercased", params("never", "Example.ORG", keaCharSet, ""), Request{Reserved: "P"}, h12("p.example.org")},
		{"reserved root", std, Request{Reserved: "."}, none},
		{"reserved FQDN", std, Request{FQDN: fqdnOpt(0, "x"), HasFQDN: true, Reserved: "Printer"},
			want{dhcpv4.OptionClientFQDN, "\x08\x00\x00printer.example.org.", "printer.example.org.", false}},
		{"reserved FQDN unparsable", std, Request{FQDN: fqdnOpt(0, "x"), HasFQDN: true, Reserved: "a..b"}, none},

		// Option 81.
		{"partial text", std, Request{FQDN: fqdnOpt(0, "Host"), HasFQDN: true},
			want{dhcpv4.OptionClientFQDN, "\x08\x00\x00host.example.org.", "host.example.org.", false}},
		{"full text kept", std, Request{FQDN: fqdnOpt(0, "PC.Other.Net."), HasFQDN: true},
			want{dhcpv4.OptionClientFQDN, "\x08\x00\x00pc.other.net.", "pc.other.net.", false}},
		{"partial without suffix", noSuffix, Request{FQDN: fqdnOpt(0, "pc.lab"), HasFQDN: true},
			want{dhcpv4.OptionClientFQDN, "\x08\x00\x00pc.lab.", "pc.lab.", false}},
		{"client S overridden", std, Request{FQDN: fqdnOpt(S, "host"), HasFQDN: true},
			want{dhcpv4.OptionClientFQDN, "\x0a\x00\x00host.example.org.", "host.example.org.", false}},
		{"client N kept", std, Request{FQDN: fqdnOpt(N, "host"), HasFQDN: true},
			want{dhcpv4.OptionClientFQDN, "\x08\x00\x00host.example.org.", "host.example.org.", false}},
		{"must-be-zero flags dropped", std, Request{FQDN: fqdnOpt(0xf0|S, "host"), HasFQDN: true},
			want{dhcpv4.OptionClientFQDN, "\x0a\x00\x00host.example.org.", "host.example.org.", false}},
		{"rcodes echoed", std, Request{FQDN: []byte("\x00\xff\x01host"), HasFQDN: true},
			want{dhcpv4.OptionClientFQDN, "\x08\xff\x01host.example.org.", "host.example.org.", false}},
		{"wire partial", std, Request{FQDN: fqdnOpt(E|S, "\x04Host"), HasFQDN: true},
			want{dhcpv4.OptionClientFQDN, "\x0e\x00\x00\x04host\x07example\x03org\x00", "host.example.org.", false}},
		{"wire full", std, Request{FQDN: fqdnOpt(E, "\x02pc\x03lab\x00"), HasFQDN: true},
			want{dhcpv4.OptionClientFQDN, "\x0c\x00\x00\x02pc\x03lab\x00", "pc.lab.", false}},
		{"wire sanitized", std, Request{FQDN: fqdnOpt(E, "\x07my_host"), HasFQDN: true},
			want{dhcpv4.OptionClientFQDN, "\x0c\x00\x00\x06myhost\x07example\x03org\x00", "myhost.example.org.", false}},
		{"text sanitized per label", std, Request{FQDN: fqdnOpt(0, "My_Host.Lab"), HasFQDN: true},
			want{dhcpv4.OptionClientFQDN, "\x08\x00\x00myhost.lab.example.org.", "myhost.lab.example.org.", false}},
		{"escaped byte scrubbed", std, Request{FQDN: fqdnOpt(0, `a\032b.`), HasFQDN: true},
			want{dhcpv4.OptionClientFQDN, "\x08\x00\x00ab.", "ab.", false}},
		{"escaped byte kept without character set", params("never", "", "-", ""), Request{FQDN: fqdnOpt(0, `a\032b.`), HasFQDN: true},
			want{dhcpv4.OptionClientFQDN, "\x08\x00\x00a\\032b.", `a\032b.`, false}},
		{"empty name generates", std, Request{FQDN: fqdnOpt(S, ""), HasFQDN: true},
			want{dhcpv4.OptionClientFQDN, "\x0a\x00\x00myhost-192-0-2-10.example.org.", "myhost-192-0-2-10.example.org.", true}},
		{"empty wire name generates", noSuffix, Request{FQDN: fqdnOpt(E, ""), HasFQDN: true},
			want{dhcpv4.OptionClientFQDN, "\x0c\x00\x00\x11myhost-192-0-2-10\x00", "myhost-192-0-2-10.", true}},
		{"always generates", params("always", "example.org", keaCharSet, ""), Request{FQDN: fqdnOpt(0, "host"), HasFQDN: true},
			want{dhcpv4.OptionClientFQDN, "\x08\x00\x00myhost-192-0-2-10.example.org.", "myhost-192-0-2-10.example.org.", true}},
		{"when-not-present keeps 81", params("when-not-present", "", keaCharSet, ""), Request{FQDN: fqdnOpt(0, "host"), HasFQDN: true},
			want{dhcpv4.OptionClientFQDN, "\x08\x00\x00host.", "host.", false}},
		{"option 81 preferred to 12", std, Request{HostName: []byte("other"), FQDN: fqdnOpt(0, "host"), HasFQDN: true},
			want{dhcpv4.OptionClientFQDN, "\x08\x00\x00host.example.org.", "host.example.org.", false}},
		{"scrubbed to nothing", std, Request{FQDN: fqdnOpt(0, "***"), HasFQDN: true}, none},
		{"scrubbed to an empty label", std, Request{FQDN: fqdnOpt(0, "a.*.b."), HasFQDN: true}, none},
		{"root partial cannot be qualified", params("never", "", "-", ""), Request{FQDN: fqdnOpt(0, "@"), HasFQDN: true}, none},

		// Malformed option 81: Kea drops the message; nothing is decided.
		{"81 too short", std, Request{FQDN: []byte{0, 0}, HasFQDN: true}, none},
		{"81 with N and S", std, Request{FQDN: fqdnOpt(N|S, "host"), HasFQDN: true}, none},
		{"81 with an empty label", std, Request{FQDN: fqdnOpt(0, "a..b"), HasFQDN: true}, none},
		{"81 wire truncated", std, Request{FQDN: fqdnOpt(E, "\x05ab"), HasFQDN: true}, none},
		{"81 wire pointer", std, Request{FQDN: fqdnOpt(E, "\x01a\xc0\x00"), HasFQDN: true}, none},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got := Decide(nil, tc.r, tc.p, testAddr)
			if got.Option != tc.want.opt || string(got.Value) != tc.want.value || got.Hostname != tc.want.hostname || got.Generated != tc.want.generated {
				t.Errorf("Decide = option %d %q hostname %q generated %v\nwant option %d %q hostname %q generated %v",
					got.Option, got.Value, got.Hostname, got.Generated, tc.want.opt, tc.want.value, tc.want.hostname, tc.want.generated)
			}
			if got.FQDNFwd || got.FQDNRev {
				t.Errorf("DNS update flags set without DNS updates: fwd %v rev %v", got.FQDNFwd, got.FQDNRev)
			}
			if tc.r.HasFQDN && ValidFQDN(tc.r.FQDN) == strings.HasPrefix(tc.name, "81 ") {
				t.Errorf("ValidFQDN(%q) = %v", tc.r.FQDN, !strings.HasPrefix(tc.name, "81 "))
			}
		})
	}
}

// TestDecideAppends checks that the answer is appended to dst and that
// Previous is reused when it is the name.
func TestDecideAppends(t *testing.T) {
	p := params("never", "example.org", keaCharSet, "")
	dst := []byte("keep")
	prev := strings.Clone("host.example.org")
	got := Decide(dst, Request{HostName: []byte("host"), Previous: prev}, p, testAddr)
	if string(got.Value) != "host.example.org" || string(dst) != "keep" {
		t.Fatalf("value %q, dst %q", got.Value, dst)
	}
	if unsafe.StringData(got.Hostname) != unsafe.StringData(prev) {
		t.Errorf("hostname %q is a copy of Previous, not Previous", got.Hostname)
	}
	got = Decide(dst, Request{FQDN: fqdnOpt(0, "host"), HasFQDN: true, Previous: "other."}, p, testAddr)
	if string(got.Value) != "\x08\x00\x00host.example.org." || got.Hostname != "host.example.org." {
		t.Fatalf("value %q hostname %q", got.Value, got.Hostname)
	}
}

// TestDecideGeneratedPrefixNotAName: a prefix that is no DNS label still
// names the lease; the option 81 answer then has no name, as in Kea.
func TestDecideGeneratedPrefixNotAName(t *testing.T) {
	d := &config.DDNS{ReplaceClientName: "always", GeneratedPrefix: "a..b"}
	got := Decide(nil, Request{FQDN: fqdnOpt(0, "host"), HasFQDN: true}, ParamsOf(d, d), testAddr)
	if string(got.Value) != "\x08\x00\x00" || got.Hostname != "a..b-192-0-2-10." || !got.Generated {
		t.Errorf("value %q hostname %q generated %v", got.Value, got.Hostname, got.Generated)
	}
}

// TestParamsOfPoolUsesSubnetCharSet: Kea reads the character set from
// the subnet even where a pool sets another.
func TestParamsOfPoolUsesSubnetCharSet(t *testing.T) {
	subnet := &config.DDNS{ReplaceClientName: "never", GeneratedPrefix: "myhost", HostnameCharSet: regexp.MustCompile("[_]"), HostnameCharReplacement: "-"}
	pool := &config.DDNS{ReplaceClientName: "never", GeneratedPrefix: "myhost", QualifyingSuffix: "pool.example", HostnameCharSet: regexp.MustCompile("[*]")}
	got := Decide(nil, Request{HostName: []byte("a_b*c")}, ParamsOf(pool, subnet), testAddr)
	if string(got.Value) != "a-b*c.pool.example" {
		t.Errorf("value %q, want the subnet's character set and the pool's suffix", got.Value)
	}
}

func TestScrubBytes(t *testing.T) {
	re := regexp.MustCompile(keaCharSet)
	for _, tc := range []struct{ in, repl, want string }{
		{"abc", "", "abc"},
		{"a*b", "x", "axb"},
		{"h\xc3\xa9", "x", "hxx"}, // é: two bytes, two characters for Kea
		{"h\xffz", "-", "h-z"},    // not UTF-8
		{"h\xc3\xa9", "\xc3\xa9", "h\xc3\xa9\xc3\xa9"},
	} {
		if got := scrub(posix(re), tc.repl, []byte(tc.in)); string(got) != tc.want {
			t.Errorf("scrub(%q, %q) = %q, want %q", tc.in, tc.repl, got, tc.want)
		}
	}
	// Leftmost-longest, as POSIX: the whole run is one match.
	if got := scrub(posix(regexp.MustCompile("[*]+|[*]")), "x", []byte("a**b")); string(got) != "axb" {
		t.Errorf("scrub with alternatives = %q, want %q", got, "axb")
	}
}

func TestQualify(t *testing.T) {
	for _, tc := range []struct {
		partial, suffix string
		dot             bool
		want            string
		ok              bool
	}{
		{"host", "example.org", false, "host.example.org", true},
		{"host", "example.org", true, "host.example.org.", true},
		{"host", "example.org.", false, "host.example.org", true},
		{"host", "example.org.", true, "host.example.org.", true},
		{"host.example.org", "example.org", false, "host.example.org", true},
		{"example.org", "example.org", true, "example.org.", true},
		{"hostexample.org", "example.org", false, "hostexample.org.example.org", true},
		{"host.", "example.org", false, "host", true},
		{"host.", "example.org", true, "host.", true},
		{"host", "", true, "host.", true},
		{"host", "", false, "host", true},
		{"host", ".", false, "host.", true},
		{"", "example.org", true, "", false},
	} {
		got, ok := qualify([]byte(tc.partial), 0, tc.suffix, tc.dot)
		if string(got) != tc.want || ok != tc.ok {
			t.Errorf("qualify(%q, %q, %v) = %q, %v; want %q, %v", tc.partial, tc.suffix, tc.dot, got, ok, tc.want, tc.ok)
		}
	}
	if got := generate(nil, "dyn", netip.MustParseAddr("10.0.100.255"), "lan", false); string(got) != "dyn-10-0-100-255.lan" {
		t.Errorf("generate = %q", got)
	}
}

func TestParseMode(t *testing.T) {
	for s, m := range map[string]Mode{"never": Never, "always": Always, "when-present": WhenPresent, "when-not-present": WhenNotPresent} {
		if got, ok := ParseMode(s); !ok || got != m {
			t.Errorf("ParseMode(%q) = %v, %v", s, got, ok)
		}
	}
	if _, ok := ParseMode("sometimes"); ok {
		t.Error(`ParseMode("sometimes") succeeded`)
	}
}

func BenchmarkDecideNoName(b *testing.B) {
	p := params("never", "example.org", keaCharSet, "")
	buf := make([]byte, 0, 300)
	b.ReportAllocs()
	for b.Loop() {
		if a := Decide(buf, Request{}, p, testAddr); a.Option != 0 {
			b.Fatal(a.Option)
		}
	}
}

func BenchmarkDecideHostName(b *testing.B) {
	p := params("never", "example.org", keaCharSet, "")
	buf := make([]byte, 0, 300)
	r := Request{HostName: []byte("My_Host"), Previous: "myhost.example.org"}
	b.ReportAllocs()
	for b.Loop() {
		Decide(buf, r, p, testAddr)
	}
}

func BenchmarkDecideFQDN(b *testing.B) {
	p := params("never", "example.org", keaCharSet, "")
	buf := make([]byte, 0, 300)
	r := Request{FQDN: fqdnOpt(dhcpv4.FQDNEncoded, "\x06laptop"), HasFQDN: true, Previous: "laptop.example.org."}
	b.ReportAllocs()
	for b.Loop() {
		Decide(buf, r, p, testAddr)
	}
}

func TestQuiet(t *testing.T) {
	for mode, quiet := range map[string]bool{"never": true, "when-present": true, "always": false, "when-not-present": false} {
		p := params(mode, "example.org", keaCharSet, "")
		if p.Quiet() != quiet {
			t.Errorf("%s: Quiet() = %v", mode, !quiet)
		}
		if a := Decide(nil, Request{HostName: []byte{}}, p, testAddr); (a.Option == 0) != quiet {
			t.Errorf("%s: Quiet() = %v but Decide answers option %d", mode, quiet, a.Option)
		}
	}
}
