//go:build linux

package e2e

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/netip"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/leased/leased/dhcpv4"
	"github.com/leased/leased/internal/testnet"
	"github.com/leased/leased/lease"
	"github.com/leased/leased/lease/keacsv"
)

// namesConfig serves four relayed subnets that decide clients' names
// differently, in a configuration both Kea 2.2 and leased read: by
// default names are sanitized with Kea's character set and qualified with
// example.org; the second subnet generates names ("dyn-...") for clients
// that send none and replaces bad characters with a dash; the third
// generates a name for every client that sends one; the fourth neither
// sanitizes nor qualifies. The first has reservations that name two
// clients.
func namesConfig(leaseFile string) string {
	return fmt.Sprintf(`{
  "Dhcp4": {
    "interfaces-config": { "interfaces": [ "srv0" ] },
    "lease-database": { "type": "memfile", "persist": true, "name": %q, "lfc-interval": 0 },
    "valid-lifetime": 3600,
    "ddns-qualifying-suffix": "example.org",
    "subnet4": [
      { "id": 1, "subnet": "198.18.0.0/18", "pools": [ { "pool": "198.18.1.0 - 198.18.1.255" } ],
        "reservations": [ { "hw-address": %q, "hostname": "Printer" }, { "hw-address": %q, "hostname": "scanner" } ] },
      { "id": 2, "subnet": "198.18.64.0/18", "pools": [ { "pool": "198.18.65.0 - 198.18.65.255" } ],
        "ddns-replace-client-name": "when-not-present", "ddns-generated-prefix": "dyn",
        "hostname-char-replacement": "-" },
      { "id": 3, "subnet": "198.18.128.0/18", "pools": [ { "pool": "198.18.129.0 - 198.18.129.255" } ],
        "ddns-replace-client-name": "when-present" },
      { "id": 4, "subnet": "198.18.192.0/18", "pools": [ { "pool": "198.18.193.0 - 198.18.193.255" } ],
        "hostname-char-set": "", "ddns-qualifying-suffix": "" }
    ]
  }
}
`, leaseFile, printerMAC.String(), scannerMAC.String())
}

// The reserved clients of namesConfig.
var printerMAC, scannerMAC = macFor(0x0d, 0xfe), macFor(0x0d, 0xff)

// The relay addresses, one in each subnet of namesConfig.
var namesRelays = [4]string{testnet.RelayAddr, "198.18.64.1", "198.18.128.1", "198.18.192.1"}

// nameCase is one client: the subnet it is relayed to and the options 12
// and 81 it sends.
type nameCase struct {
	name   string
	subnet int // index into namesRelays
	opt12  string
	opt81  string // the option's value; "" sends none
	// mac is the client's, when it is one of the reserved clients.
	mac net.HardwareAddr
	// dropped: Kea cannot parse the message; nobody answers.
	dropped bool
	// kea22 is Kea 2.2's answer where it differs from current Kea's,
	// which leased gives: option value and stored hostname. fixedIn is
	// the Kea version that changed it.
	kea22, kea22Host string
	fixedIn          string
}

func nameCases() []nameCase {
	return []nameCase{
		{name: "12 sanitized", opt12: "My_Host.Example"},
		{name: "12 qualified", opt12: "host"},
		{name: "12 bad characters", opt12: "bad*chars"},
		{name: "12 blanks", opt12: "  Spaced\t"},
		{name: "12 root", opt12: "."},
		{name: "nothing sent"},
		{name: "81 partial, S", opt81: "\x01\x00\x00Laptop"},
		{name: "81 wire, full", opt81: "\x04\x00\x00\x04Desk\x03Lab\x00"},
		{name: "81 wire, partial", opt81: "\x05\x00\x00\x05Phone"},
		{name: "81 full sanitized", opt81: "\x00\x00\x00My_PC.Corp."},
		{name: "81 empty, rcodes", opt81: "\x00\xff\x01"},
		{name: "81 scrubbed away", opt81: "\x00\x00\x00***"},
		{name: "81 over 12", opt12: "other", opt81: "\x00\x00\x00Tablet"},
		{name: "81 with N and S", opt81: "\x09\x00\x00host", dropped: true},
		{name: "generated, nothing sent", subnet: 1},
		{name: "generated, 12 replaced chars", subnet: 1, opt12: "bad*chars"},
		{name: "generated, 81 replaced chars", subnet: 1, opt81: "\x00\x00\x00x_y"},
		{name: "when-present, 12", subnet: 2, opt12: "host"},
		{name: "when-present, 81", subnet: 2, opt81: "\x04\x00\x00\x04host"},
		{name: "when-present, nothing sent", subnet: 2},
		{name: "raw, 12", subnet: 3, opt12: "My_Host"},
		{name: "raw, 12 final dot", subnet: 3, opt12: "Host."},
		{name: "raw, 81", subnet: 3, opt81: "\x00\x00\x00Under_Score"},
		{name: "reserved, nothing sent", mac: printerMAC},
		{name: "reserved, 81", mac: scannerMAC, opt81: "\x00\x00\x00other"},
		// Where Kea 2.2 differs from current Kea.
		{name: "12 final dot", opt12: "host.", kea22: "host.example.org", kea22Host: "host.example.org", fixedIn: "3.0.1"},
		{name: "12 empty label once scrubbed", opt12: "a.*.b", kea22: "a..b", kea22Host: "a..b", fixedIn: "3.3.0"},
	}
}

// nameResult is what one server answered one client.
type nameResult struct {
	answered   bool
	addr       netip.Addr
	offer, ack string // "12:value" or "81:value" or "" (neither)
}

// TestNamesLikeKea runs the same clients against kea-dhcp4 and leased,
// one server after the other on the same configuration, and compares the
// options 12 and 81 of their OFFERs and ACKs and the host names of the
// leases they stored.
func TestNamesLikeKea(t *testing.T) {
	needs(t, "kea-dhcp4")
	kv := keaVersion(t)
	p := testnet.NewPair(t)
	for _, a := range namesRelays[1:] {
		p.Client.AddAddr(t, testnet.PairClientIf, a+"/16")
	}
	cases := nameCases()
	dir := t.TempDir()

	// kea-dhcp4 first.
	keaLeases := filepath.Join(dir, "kea", "leases4.csv")
	keaConf := filepath.Join(dir, "kea", "kea-dhcp4.conf")
	if err := os.MkdirAll(filepath.Dir(keaConf), 0o755); err != nil {
		t.Fatal(err)
	}
	writeFile(t, keaConf, namesConfig(keaLeases))
	kea, err := p.Server.Start(context.Background(), "env", "KEA_PIDFILE_DIR="+filepath.Dir(keaConf), "KEA_LOCKFILE_DIR="+filepath.Dir(keaConf), "kea-dhcp4", "-c", keaConf)
	if err != nil {
		t.Fatal(err)
	}
	defer kea.Stop(5 * time.Second)
	waitListen(t, p.Server, kea)
	keaGot := runNameCases(t, p, cases)
	if err := kea.Stop(5 * time.Second); err != nil {
		t.Fatalf("stopping kea-dhcp4: %v", err)
	}
	keaStored := keaHostnames(t, keaLeases)

	// Then leased.
	leasedLeases := filepath.Join(dir, "leased", "dhcp4.leases")
	leasedConf := filepath.Join(dir, "leased.conf")
	writeFile(t, leasedConf, namesConfig(leasedLeases))
	srv := newServer(t, p.Server, leasedConf, leasedLeases)
	srv.start()
	leasedGot := runNameCases(t, p, cases)
	srv.stop()
	leasedStored, err := srv.store()
	if err != nil {
		t.Fatal(err)
	}

	for i, c := range cases {
		k, l := keaGot[i], leasedGot[i]
		if c.dropped {
			if k.answered || l.answered {
				t.Errorf("%s: answered (Kea %v, leased %v); both must drop it", c.name, k.answered, l.answered)
			}
			continue
		}
		if !k.answered || !l.answered {
			t.Errorf("%s: no lease (Kea %v, leased %v)", c.name, k.answered, l.answered)
			continue
		}
		kh, kok := keaStored[k.addr]
		lh, lok := storedName(leasedStored, l.addr)
		if !kok || !lok {
			t.Errorf("%s: lease not stored (Kea %v at %v, leased %v at %v)", c.name, kok, k.addr, lok, l.addr)
			continue
		}
		// Generated names hold the address, which may differ.
		norm := func(s string, a netip.Addr) string {
			return strings.ReplaceAll(s, strings.ReplaceAll(a.String(), ".", "-"), "ADDR")
		}
		kOffer, kAck, kHost := norm(k.offer, k.addr), norm(k.ack, k.addr), norm(kh, k.addr)
		lOffer, lAck, lHost := norm(l.offer, l.addr), norm(l.ack, l.addr), norm(lh, l.addr)
		if c.fixedIn != "" && versionBefore(kv, c.fixedIn) {
			// This Kea predates the change leased follows: check that
			// Kea still gives its documented answer.
			want := "12:" + c.kea22
			if kAck != want || kHost != c.kea22Host {
				t.Errorf("%s: Kea %s answered %q and stored %q; expected its old behaviour %q, %q", c.name, kv, kAck, kHost, want, c.kea22Host)
			}
			t.Logf("%s: Kea %s answers %q, stores %q; leased (as Kea %s and later) answers %q, stores %q", c.name, kv, kAck, kHost, c.fixedIn, lAck, lHost)
			continue
		}
		if kOffer != lOffer || kAck != lAck || kHost != lHost {
			t.Errorf("%s:\n  Kea    OFFER %q ACK %q stored %q\n  leased OFFER %q ACK %q stored %q", c.name, kOffer, kAck, kHost, lOffer, lAck, lHost)
		} else {
			t.Logf("%s: both answer %q, store %q", c.name, lAck, lHost)
		}
	}
}

// runNameCases runs DISCOVER and REQUEST for each case through the relay
// of its subnet, each case a client of its own.
func runNameCases(t *testing.T, p *testnet.Pair, cases []nameCase) []nameResult {
	t.Helper()
	var relays [len(namesRelays)]*relay
	for i, a := range namesRelays {
		r, err := newRelay(p.Client, netip.MustParseAddr(a), p.ServerAddr)
		if err != nil {
			t.Fatal(err)
		}
		defer r.Close()
		relays[i] = r
	}
	ctx, cancel := context.WithTimeout(t.Context(), 30*time.Second)
	defer cancel()
	out := make([]nameResult, len(cases))
	for i, c := range cases {
		wait, tries := 500*time.Millisecond, 4
		if c.dropped {
			wait, tries = time.Second, 1
		}
		mac := c.mac
		if mac == nil {
			mac = macFor(0x0d, uint32(i+1))
		}
		res, err := nameDORA(ctx, relays[c.subnet], mac, c, wait, tries)
		if err != nil && !(c.dropped && errors.Is(err, errNoReply)) {
			t.Errorf("%s: %v", c.name, err)
		}
		out[i] = res
	}
	return out
}

// nameDORA gets a lease for mac with the options of c, and returns the
// names in the OFFER and the ACK.
func nameDORA(ctx context.Context, r *relay, mac net.HardwareAddr, c nameCase, wait time.Duration, tries int) (nameResult, error) {
	offer, rep, err := r.offerAndAck(ctx, mac, wait, tries, func(b *dhcpv4.Builder) {
		if c.opt12 != "" {
			b.AddString(dhcpv4.OptionHostName, c.opt12)
		}
		if c.opt81 != "" {
			b.AddString(dhcpv4.OptionClientFQDN, c.opt81)
		}
	})
	if err != nil {
		return nameResult{}, err
	}
	return nameResult{answered: true, addr: rep.YIAddr(), offer: nameOptions(offer), ack: nameOptions(rep)}, nil
}

// nameOptions returns the options 12 and 81 of a reply, as "12:value" and
// "81:value" (flags and rcodes in hex).
func nameOptions(p *dhcpv4.Packet) string {
	var out []string
	if v, ok := p.Option(dhcpv4.OptionHostName); ok {
		out = append(out, "12:"+string(v))
	}
	if v, ok := p.Option(dhcpv4.OptionClientFQDN); ok {
		s := fmt.Sprintf("81:%x", v)
		if len(v) >= 3 {
			s = fmt.Sprintf("81:%02x %02x %02x %q", v[0], v[1], v[2], v[3:])
		}
		out = append(out, s)
	}
	return strings.Join(out, " ")
}

// keaHostnames reads the host names of the live leases in Kea's lease
// file, with the DNS update flags when set.
func keaHostnames(t *testing.T, path string) map[netip.Addr]string {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	out := map[netip.Addr]string{}
	r := keacsv.NewReader(f, path)
	for {
		row, err := r.Next()
		if err == io.EOF {
			return out
		}
		if err != nil {
			t.Fatal(err)
		}
		if row.Deleted {
			delete(out, row.Lease.Addr)
			continue
		}
		out[row.Lease.Addr] = withFlags(row.Lease.Hostname, row.Lease.FQDNFwd, row.Lease.FQDNRev)
	}
}

// storedName returns the host name of leased's lease of a.
func storedName(ls []lease.Lease, a netip.Addr) (string, bool) {
	l, ok := leaseOf(ls, a)
	return withFlags(l.Hostname, l.FQDNFwd, l.FQDNRev), ok
}

func withFlags(h string, fwd, rev bool) string {
	if fwd || rev {
		return fmt.Sprintf("%s (fwd %v rev %v)", h, fwd, rev)
	}
	return h
}

// keaVersion returns the version kea-dhcp4 -v prints (2.2.0).
func keaVersion(t *testing.T) string {
	t.Helper()
	out, err := exec.CommandContext(t.Context(), "kea-dhcp4", "-v").Output()
	if err != nil {
		t.Fatalf("kea-dhcp4 -v: %v", err)
	}
	return strings.TrimSpace(string(out))
}

// versionBefore reports whether dotted version v is older than w.
func versionBefore(v, w string) bool {
	a, b := strings.Split(v, "."), strings.Split(w, ".")
	for i := 0; i < len(a) && i < len(b); i++ {
		x, _ := strconv.Atoi(strings.TrimFunc(a[i], func(r rune) bool { return r < '0' || r > '9' }))
		y, _ := strconv.Atoi(b[i])
		if x != y {
			return x < y
		}
	}
	return len(a) < len(b)
}

// waitListen waits until kea-dhcp4 listens on port 67 in ns.
func waitListen(t *testing.T, ns *testnet.NS, kea *testnet.Proc) {
	t.Helper()
	ctx, cancel := context.WithTimeout(t.Context(), 15*time.Second)
	defer cancel()
	if err := ns.WaitUDPListen(ctx, 67); err != nil {
		t.Fatalf("kea-dhcp4 did not start: %v%s", err, testnet.IndentOutput(kea.Output()))
	}
}
