//go:build linux

package testnet

import (
	"crypto/rand"
	"encoding/base64"
	"fmt"
	"net"
	"net/netip"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/miekg/dns"
)

// NamedOptions are the optional parts of StartNamed.
type NamedOptions struct {
	// NS, when set, is the namespace named runs in; else it runs on the
	// host's loopback. Either way it listens on Addr only.
	NS *NS
	// Addr is the address named listens on; 127.0.0.1 when unset.
	Addr netip.Addr
	// Port is the DNS port; a free one when 0 (in a namespace, 53).
	Port int
	// Zones are the dynamic zones, without final dot; "example.org" and
	// "2.0.192.in-addr.arpa" when unset.
	Zones []string
	// KeyName names the TSIG key that may update the zones ("leased-ddns"
	// when unset); Algorithm is its algorithm in BIND's spelling
	// ("hmac-sha256" when unset). The secret is random.
	KeyName, Algorithm string
	// ZoneTTL is the TTL of the zones' SOA and NS records (300 when 0).
	ZoneTTL uint32
	// Secret is the key's secret in base64; random when unset (set it
	// to start a named again with the key of one stopped before).
	Secret string
}

// Named is a BIND named started by StartNamed: a primary server for
// dynamic zones that accept updates signed with its TSIG key.
type Named struct {
	Addr      netip.AddrPort
	Zones     []string
	KeyName   string
	Algorithm string // BIND's spelling, e.g. hmac-sha256
	Secret    string // base64
	ns        *NS
	proc      *KeaProc
}

// StartNamed runs named (Debian's bind9) as nobody in a directory of the
// test's, in the foreground, serving o.Zones on o.Addr with updates
// allowed to the TSIG key, and waits until it answers. It is stopped
// when the test ends, and its log is shown if the test failed. Without
// named the test is skipped, or fails under LEASED_REQUIRE_E2E=1.
func StartNamed(t testing.TB, o NamedOptions) *Named {
	t.Helper()
	RequireBinaries(t, "named")
	if !o.Addr.IsValid() {
		o.Addr = netip.AddrFrom4([4]byte{127, 0, 0, 1})
	}
	if o.Port == 0 {
		if o.NS != nil {
			o.Port = 53
		} else {
			o.Port = freeUDPAndTCPPort(t, o.Addr.String())
		}
	}
	if len(o.Zones) == 0 {
		o.Zones = []string{"example.org", "2.0.192.in-addr.arpa"}
	}
	if o.KeyName == "" {
		o.KeyName = "leased-ddns"
	}
	if o.Algorithm == "" {
		o.Algorithm = "hmac-sha256"
	}
	if o.ZoneTTL == 0 {
		o.ZoneTTL = 300
	}
	if o.Secret == "" {
		secret := make([]byte, 32)
		rand.Read(secret)
		o.Secret = base64.StdEncoding.EncodeToString(secret)
	}
	n := &Named{
		Addr: netip.AddrPortFrom(o.Addr, uint16(o.Port)), Zones: o.Zones,
		KeyName: o.KeyName, Algorithm: o.Algorithm,
		Secret: o.Secret, ns: o.NS,
	}
	dir := UnprivilegedDir(t)
	var conf strings.Builder
	fmt.Fprintf(&conf, `options {
	directory %q;
	pid-file none;
	session-keyfile none;
	managed-keys-directory %q;
	listen-on port %d { %s; };
	listen-on-v6 { none; };
	recursion no;
	dnssec-validation no;
	notify no;
};
controls { };
key %q { algorithm %s; secret %q; };
`, dir, dir, o.Port, o.Addr, o.KeyName, o.Algorithm, n.Secret)
	for _, z := range o.Zones {
		file := z + ".db"
		zone := fmt.Sprintf(`$TTL %d
@	IN SOA ns.%s. hostmaster.%s. 1 3600 600 86400 %d
@	IN NS ns.%s.
ns	IN A %s
`, o.ZoneTTL, z, z, o.ZoneTTL, z, o.Addr)
		if err := os.WriteFile(filepath.Join(dir, file), []byte(zone), 0o644); err != nil {
			t.Fatalf("zone file for %s: %v", z, err)
		}
		fmt.Fprintf(&conf, "zone %q { type primary; file %q; update-policy { grant %q zonesub ANY; }; };\n", z, file, o.KeyName)
	}
	// StartKea runs any program that takes "-c file"; named also gets -g
	// (foreground, log to stderr) and one worker thread.
	n.proc = StartKea(t, dir, "named", conf.String(), KeaOptions{
		Args:        []string{"-g", "-n", "1", "-4"},
		NS:          o.NS,
		AmbientCaps: bindCaps(o.Port),
	})
	deadline := time.Now().Add(20 * time.Second)
	for {
		_, err := n.exchange(soaQuery(o.Zones[0]))
		if err == nil {
			break
		}
		select {
		case <-n.proc.Done():
			t.Fatalf("named exited at start: %v", n.proc.ExitErr())
		default:
		}
		if time.Now().After(deadline) {
			t.Fatalf("named on %v does not answer: %v", n.Addr, err)
		}
		time.Sleep(50 * time.Millisecond)
	}
	return n
}

// bindCaps are the capabilities named needs as nobody: binding a port
// below 1024.
func bindCaps(port int) []uintptr {
	if port < 1024 {
		const capNetBindService = 10
		return []uintptr{capNetBindService}
	}
	return nil
}

// freeUDPAndTCPPort returns a port free for both UDP and TCP on host
// (named listens on both).
func freeUDPAndTCPPort(t testing.TB, host string) int {
	t.Helper()
	for range 20 {
		p := FreeUDPPort(t, host)
		l, err := net.Listen("tcp4", net.JoinHostPort(host, strconv.Itoa(p)))
		if err == nil {
			l.Close()
			return p
		}
	}
	t.Fatalf("no port free for both UDP and TCP on %s", host)
	return 0
}

func soaQuery(zone string) *dns.Msg {
	m := new(dns.Msg)
	m.SetQuestion(dns.Fqdn(zone), dns.TypeSOA)
	return m
}

// exchange sends m to named over UDP, from inside its namespace if it
// has one.
func (n *Named) exchange(m *dns.Msg) (*dns.Msg, error) {
	return n.exchangeWith(&dns.Client{Net: "udp", Timeout: 2 * time.Second}, m)
}

// exchangeWith is exchange through c (which may sign with TSIG).
func (n *Named) exchangeWith(c *dns.Client, m *dns.Msg) (*dns.Msg, error) {
	var r *dns.Msg
	do := func() error {
		var err error
		r, _, err = c.Exchange(m, n.Addr.String())
		return err
	}
	if n.ns != nil {
		return r, n.ns.Do(do)
	}
	return r, do()
}

// Exchange sends m to named and returns its answer, failing the test if
// there is none.
func (n *Named) Exchange(t testing.TB, m *dns.Msg) *dns.Msg {
	t.Helper()
	r, err := n.exchange(m)
	if err != nil {
		t.Fatalf("asking named on %v: %v", n.Addr, err)
	}
	return r
}

// Lookup returns the records of type qtype at name (a final dot is
// added), each in presentation form ("name TTL IN TYPE data"), sorted;
// none when the name or type does not exist.
func (n *Named) Lookup(t testing.TB, name string, qtype uint16) []string {
	t.Helper()
	m := new(dns.Msg)
	m.SetQuestion(dns.Fqdn(name), qtype)
	m.RecursionDesired = false
	r := n.Exchange(t, m)
	if r.Rcode != dns.RcodeSuccess && r.Rcode != dns.RcodeNameError {
		t.Fatalf("named answers %s for %s %s", dns.RcodeToString[r.Rcode], name, dns.TypeToString[qtype])
	}
	var rrs []string
	for _, rr := range r.Answer {
		if rr.Header().Rrtype == qtype {
			rrs = append(rrs, strings.ReplaceAll(rr.String(), "\t", " "))
		}
	}
	sort.Strings(rrs)
	return rrs
}

// Update sends a dynamic update for zone signed with the server's key
// (nsupdate's job, for tests that pre-seed records) and returns the
// answer's rcode.
func (n *Named) Update(t testing.TB, zone string, insert, remove []dns.RR) int {
	t.Helper()
	m := new(dns.Msg)
	m.SetUpdate(dns.Fqdn(zone))
	if len(insert) > 0 {
		m.Insert(insert)
	}
	if len(remove) > 0 {
		m.RemoveRRset(remove)
	}
	key := dns.Fqdn(n.KeyName)
	m.SetTsig(key, dns.Fqdn(n.Algorithm), 300, time.Now().Unix())
	c := &dns.Client{Net: "udp", Timeout: 2 * time.Second, TsigSecret: map[string]string{key: n.Secret}}
	r, err := n.exchangeWith(c, m)
	if err != nil {
		t.Fatalf("update of %s on named %v: %v", zone, n.Addr, err)
	}
	return r.Rcode
}

// Log returns what named has written so far.
func (n *Named) Log() string { return n.proc.Output() }

// Stop stops named (it is also stopped when the test ends).
func (n *Named) Stop() { n.proc.Stop() }
