package config

import (
	"errors"
	"fmt"
	"net/netip"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

const d2Example = `{
  // leased ddns reads kea-dhcp-ddns's section
  "DhcpDdns": {
    "ip-address": "127.0.0.1",
    "port": 53001,
    "dns-server-timeout": 250,
    "ncr-protocol": "udp",
    "tsig-keys": [
      { "name": "kea-ddns", "algorithm": "hmac-sha256", "secret": "c2VjcmV0c2VjcmV0c2VjcmV0" },
      { "name": "short", "algorithm": "HMAC-SHA512", "digest-bits": 256, "secret": "c2VjcmV0" }
    ],
    "forward-ddns": { "ddns-domains": [
      { "name": "example.org.", "key-name": "kea-ddns",
        "dns-servers": [ { "ip-address": "192.0.2.53" }, { "ip-address": "192.0.2.54", "port": 5353, "key-name": "short" } ] }
    ] },
    "reverse-ddns": { "ddns-domains": [
      { "name": "2.0.192.in-addr.arpa.", "dns-servers": [ { "ip-address": "192.0.2.53" } ] }
    ] },
    "control-socket": { "socket-type": "unix", "socket-name": "/run/d2.sock" },
    "loggers": [ { "name": "kea-dhcp-ddns", "severity": "DEBUG", "debuglevel": 10 } ]
  }
}`

func TestParseDdns(t *testing.T) {
	d, diags, err := ParseDdns("d2.json", []byte(d2Example), nil)
	if err != nil {
		t.Fatalf("ParseDdns: %v %v", err, diags)
	}
	if d.IPAddress != netip.MustParseAddr("127.0.0.1") || d.Port != 53001 || d.DNSServerTimeout != 250 {
		t.Errorf("listener %v:%d timeout %d", d.IPAddress, d.Port, d.DNSServerTimeout)
	}
	if len(d.TSIGKeys) != 2 || d.TSIGKeys[0].Algorithm != "HMAC-SHA256" || d.TSIGKeys[0].Secret.Reveal() != "c2VjcmV0c2VjcmV0c2VjcmV0" || d.TSIGKeys[1].DigestBits != 256 {
		t.Errorf("keys %+v", d.TSIGKeys)
	}
	if len(d.Forward) != 1 || d.Forward[0].Name != "example.org." || d.Forward[0].KeyName != "kea-ddns" || len(d.Forward[0].Servers) != 2 {
		t.Fatalf("forward %+v", d.Forward)
	}
	if s := d.Forward[0].Servers[1]; s.Addr != netip.MustParseAddr("192.0.2.54") || s.Port != 5353 || s.KeyName != "short" {
		t.Errorf("second server %+v", s)
	}
	if s := d.Forward[0].Servers[0]; s.Port != 53 || s.Pos.Line != 14 {
		t.Errorf("first server %+v: want port 53 at line 14", s)
	}
	if len(d.Reverse) != 1 || d.Reverse[0].KeyName != "" {
		t.Errorf("reverse %+v", d.Reverse)
	}
	if text := fmt.Sprintf("%+v %#v", d, d.TSIGKeys); strings.Contains(text, "c2VjcmV0") {
		t.Errorf("printing the section shows a secret: %s", text)
	}
	if len(d.ControlSockets) != 1 || d.ControlSockets[0].Name != "/run/d2.sock" || len(d.Loggers) != 1 || d.Loggers[0].Name != "kea-dhcp-ddns" {
		t.Errorf("control sockets %+v, loggers %+v", d.ControlSockets, d.Loggers)
	}
}

func TestParseDdnsDefaults(t *testing.T) {
	d, _, err := ParseDdns("d2.json", []byte(`{"DhcpDdns": {}}`), nil)
	if err != nil {
		t.Fatal(err)
	}
	if d.IPAddress.String() != "127.0.0.1" || d.Port != 53001 || d.DNSServerTimeout != 500 || d.NCRProtocol != "UDP" || d.Forward != nil {
		t.Errorf("defaults %+v", d)
	}
}

// TestParseDdnsErrors checks that each mistake is reported where it was
// written, and that no message quotes a secret.
func TestParseDdnsErrors(t *testing.T) {
	for _, tc := range []struct{ name, src, want string }{
		{"bad base64", `{"DhcpDdns": {"tsig-keys": [{"name": "k", "algorithm": "HMAC-MD5", "secret": "not*base64!"}]}}`,
			`d2.json:1:78: error: tsig-keys: key "k": the secret is not valid base64`},
		{"unknown algorithm", `{"DhcpDdns": {"tsig-keys": [{"name": "k", "algorithm": "HMAC-SHA3", "secret": "c2VjcmV0"}]}}`,
			`d2.json:1:56: error: algorithm in tsig-keys: expected one of`},
		{"digest bits", `{"DhcpDdns": {"tsig-keys": [{"name": "k", "algorithm": "HMAC-SHA256", "digest-bits": 64, "secret": "c2VjcmV0"}]}}`,
			`d2.json:1:86: error: tsig-keys: key "k": digest-bits 64: must be 0 (the whole MAC) or a multiple of 8 of at least 128`},
		{"duplicate key", `{"DhcpDdns": {"tsig-keys": [{"name": "k", "algorithm": "HMAC-MD5", "secret": "c2VjcmV0"},
{"name": "k", "algorithm": "HMAC-MD5", "secret": "c2VjcmV0"}]}}`, `d2.json:2:1: error: tsig-keys: the key "k" is defined twice`},
		{"unknown key name", `{"DhcpDdns": {"forward-ddns": {"ddns-domains": [{"name": "example.org.", "key-name": "nokey", "dns-servers": [{"ip-address": "192.0.2.1"}]}]}}}`,
			`d2.json:1:86: error: ddns-domains: key-name "nokey": no tsig-keys are defined`},
		{"no servers", `{"DhcpDdns": {"forward-ddns": {"ddns-domains": [{"name": "example.org."}]}}}`,
			`d2.json:1:49: error: forward-ddns: domain "example.org." needs at least one entry in "dns-servers"`},
		{"hostname", `{"DhcpDdns": {"reverse-ddns": {"ddns-domains": [{"name": "2.0.192.in-addr.arpa.", "dns-servers": [{"hostname": "ns1"}]}]}}}`,
			`d2.json:1:100: error: dns-servers: hostname is not supported`},
		{"tcp", `{"DhcpDdns": {"ncr-protocol": "TCP"}}`, `d2.json:1:31: error: DhcpDdns: ncr-protocol TCP is not supported`},
		{"any address", `{"DhcpDdns": {"ip-address": "0.0.0.0"}}`, `d2.json:1:29: error: DhcpDdns: ip-address 0.0.0.0 would accept`},
		{"unknown keyword", `{"DhcpDdns": {"forward": {}}}`, `d2.json:1:15: error: unknown keyword "forward" in DhcpDdns`},
		{"empty label", `{"DhcpDdns": {"forward-ddns": {"ddns-domains": [{"name": "a..org", "dns-servers": [{"ip-address": "192.0.2.1"}]}]}}}`,
			`d2.json:1:58: error: forward-ddns: domain "a..org": has an empty label`},
		{"no section", `{"Dhcp4": {}}`, `d2.json:1:1: error: no "DhcpDdns" section`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, diags, err := ParseDdns("d2.json", []byte(tc.src), nil)
			if !errors.Is(err, ErrInvalid) {
				t.Fatalf("err = %v, want ErrInvalid", err)
			}
			var all []string
			for _, d := range diags {
				all = append(all, d.String())
				if strings.Contains(d.String(), "not*base64") || strings.Contains(d.String(), "c2VjcmV0") {
					t.Errorf("a diagnostic quotes the secret: %s", d)
				}
			}
			if !strings.HasPrefix(strings.Join(all, "\n"), tc.want) {
				t.Errorf("diagnostics:\n%s\nwant first: %s", strings.Join(all, "\n"), tc.want)
			}
		})
	}
}

func TestParseDdnsSecretFile(t *testing.T) {
	dir := t.TempDir()
	file := filepath.Join(dir, "key")
	if err := os.WriteFile(file, []byte("c2VjcmV0c2VjcmV0\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	src := `{"DhcpDdns": {"tsig-keys": [{"name": "k", "algorithm": "HMAC-SHA1", "secret-file": "` + file + `"}]}}`
	d, diags, err := ParseDdns("d2.json", []byte(src), nil)
	if err != nil {
		t.Fatalf("%v %v", err, diags)
	}
	if got := d.TSIGKeys[0].Secret.Reveal(); got != "c2VjcmV0c2VjcmV0" {
		t.Errorf("secret from file = %q", got)
	}
	src = strings.Replace(src, file, filepath.Join(dir, "missing"), 1)
	if _, diags, err = ParseDdns("d2.json", []byte(src), nil); err == nil || !strings.Contains(diags[0].Msg, "reading secret-file") {
		t.Errorf("missing secret-file: %v %v", err, diags)
	}
}

// TestLoadDhcpDdnsBesideDhcp4 checks that Load reads a DhcpDdns section
// beside Dhcp4 (leased's in-process DNS updates) and reports its errors.
func TestLoadDhcpDdnsBesideDhcp4(t *testing.T) {
	src := `{"Dhcp4": {"dhcp-ddns": {"enable-updates": true}}, "DhcpDdns": {"forward-ddns": {"ddns-domains": [{"name": "example.org.", "dns-servers": [{"ip-address": "192.0.2.1"}]}]}}}`
	c, diags, err := Parse("both.json", []byte(src), nil)
	if err != nil || len(diags) != 0 {
		t.Fatalf("%v %v", err, diags)
	}
	if c.DhcpDdns == nil || len(c.DhcpDdns.Forward) != 1 {
		t.Fatalf("DhcpDdns = %+v", c.DhcpDdns)
	}
	_, diags, err = Parse("off.json", []byte(`{"Dhcp4": {}, "DhcpDdns": {}}`), nil)
	if err != nil || len(diags) != 1 || !strings.HasPrefix(diags[0].String(), "off.json:1:27: warning: the DhcpDdns section has no effect while dhcp-ddns enable-updates is false") {
		t.Errorf("DhcpDdns with updates off: %v %v", err, diags)
	}
	if c2, _, _ := Parse("one.json", []byte(`{"Dhcp4": {}}`), nil); c2.DhcpDdns != nil {
		t.Errorf("DhcpDdns without the section: %+v", c2.DhcpDdns)
	}
	_, diags, err = Parse("both.json", []byte(`{"Dhcp4": {}, "DhcpDdns": {"port": "x"}}`), nil)
	if err == nil || !strings.Contains(err.Error(), "both.json:1:36: error: port in DhcpDdns") {
		t.Errorf("bad DhcpDdns beside Dhcp4: %v %v", err, diags)
	}
}

func FuzzParseDdns(f *testing.F) {
	f.Add([]byte(d2Example))
	f.Add([]byte(`{"DhcpDdns": {}}`))
	f.Add([]byte(`{"DhcpDdns": {"tsig-keys": [{"name": "k", "algorithm": "HMAC-MD5", "digest-bits": 80, "secret": "c2VjcmV0"}]}}`))
	f.Add([]byte(`{"DhcpDdns": {"reverse-ddns": {"ddns-domains": [{"name": "*", "dns-servers": [{"ip-address": "::1", "port": 53}]}]}}}`))
	noFiles := &Options{ReadFile: func(string) ([]byte, error) { return nil, os.ErrNotExist }}
	f.Fuzz(func(t *testing.T, src []byte) {
		d, diags, err := ParseDdns("fuzz.json", src, noFiles)
		if (err == nil) != (d != nil) {
			t.Fatalf("err %v with section %v", err, d)
		}
		for _, g := range diags {
			if g.Severity == Error && err == nil {
				t.Fatalf("error diagnostic %s but no error", g)
			}
		}
		if d == nil {
			return
		}
		for _, k := range d.TSIGKeys {
			if k.Name == "" || k.Secret == "" {
				t.Fatalf("accepted key %+v", k)
			}
		}
		for _, dom := range append(d.Forward, d.Reverse...) {
			if len(dom.Servers) == 0 || checkDomainName(dom.Name) != nil {
				t.Fatalf("accepted domain %+v", dom)
			}
		}
	})
}
