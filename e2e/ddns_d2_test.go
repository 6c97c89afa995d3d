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
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/miekg/dns"
	"golang.org/x/sys/unix"

	"github.com/leased/leased/ddns/ncr"
	"github.com/leased/leased/internal/testnet"
	"github.com/leased/leased/lease"
	"github.com/leased/leased/lease/keacsv"
)

// d2Config is leased ddns's configuration: requests on the server
// namespace's loopback, updates to named with its key.
func d2Config(named *testnet.Named, port int) string {
	return fmt.Sprintf(`{ "DhcpDdns": {
  "ip-address": "127.0.0.1", "port": %d, "dns-server-timeout": 500,
  "tsig-keys": [ { "name": %q, "algorithm": "HMAC-SHA256", "secret": %q } ],
  "forward-ddns": { "ddns-domains": [ { "name": "example.org.", "key-name": %q,
    "dns-servers": [ { "ip-address": %q, "port": %d } ] } ] },
  "reverse-ddns": { "ddns-domains": [ { "name": "2.0.192.in-addr.arpa.", "key-name": %q,
    "dns-servers": [ { "ip-address": %q, "port": %d } ] } ] },
  "loggers": [ { "name": "kea-dhcp-ddns", "severity": "DEBUG", "debuglevel": 99 } ] } }`,
		port, named.KeyName, named.Secret, named.KeyName, named.Addr.Addr(), named.Addr.Port(),
		named.KeyName, named.Addr.Addr(), named.Addr.Port())
}

// startD2 runs `leased ddns -c FILE` in ns and waits until it receives.
func startD2(t *testing.T, ns *testnet.NS, file string) *testnet.Proc {
	t.Helper()
	p, err := ns.Start(context.Background(), leasedBin, "ddns", "-c", file)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		p.Stop(5 * time.Second)
		if t.Failed() {
			t.Logf("leased ddns:%s", testnet.IndentOutput(testnet.Tail(p.Output(), 6000)))
		}
	})
	for deadline := time.Now().Add(15 * time.Second); !strings.Contains(p.Output(), `msg="leased ddns started"`); time.Sleep(10 * time.Millisecond) {
		if p.Exited() || time.Now().After(deadline) {
			t.Fatalf("leased ddns -c %s not started (%v):%s", file, p.ExitErr(), testnet.IndentOutput(p.Output()))
		}
	}
	return p
}

// keaLease reads the newest row for addr from a Kea memfile CSV.
func keaLease(t *testing.T, file, mac string) (lease.Lease, bool) {
	t.Helper()
	f, err := os.Open(file)
	if err != nil {
		return lease.Lease{}, false
	}
	defer f.Close()
	r := keacsv.NewReader(f, file)
	var found lease.Lease
	ok := false
	for {
		row, err := r.Next()
		if errors.Is(err, io.EOF) {
			return found, ok
		}
		if err != nil {
			t.Fatalf("reading Kea's leases: %v", err)
		}
		if sameMACText(row.Lease.HWAddr, mac) && !row.Deleted {
			found, ok = row.Lease, true
		}
	}
}

func sameMACText(hw []byte, mac string) bool {
	var parts []string
	for _, b := range hw {
		parts = append(parts, fmt.Sprintf("%02x", b))
	}
	return strings.Join(parts, ":") == strings.ToLower(mac)
}

// TestLeasedDDNSFromKea22 puts leased ddns where kea-dhcp-ddns would be:
// kea-dhcp4 2.2 (Debian's) serves a dhclient that sends its name in
// option 81 and sends its NameChangeRequests to leased ddns, which adds
// the A, PTR and DHCID records to named with Kea's TTL, and removes them
// when the client releases.
func TestLeasedDDNSFromKea22(t *testing.T) {
	needs(t, "dhclient", "named", "kea-dhcp4")
	p := testnet.NewPair(t)
	named := testnet.StartNamed(t, testnet.NamedOptions{NS: p.Server})
	dir := t.TempDir()
	d2File := filepath.Join(dir, "d2.json")
	d2Port := 53001
	writeFile(t, d2File, d2Config(named, d2Port))
	d2 := startD2(t, p.Server, d2File)

	keaDir := testnet.UnprivilegedDir(t)
	leaseFile := filepath.Join(keaDir, "leases4.csv")
	keaLog := filepath.Join(keaDir, "kea.log")
	testnet.StartKea(t, keaDir, "kea-dhcp4", fmt.Sprintf(`{ "Dhcp4": {
  "interfaces-config": { "interfaces": [ %q ] },
  "lease-database": { "type": "memfile", "name": %q, "lfc-interval": 0 },
  "valid-lifetime": 3600,
  "ddns-qualifying-suffix": "example.org",
  "dhcp-ddns": { "enable-updates": true, "server-ip": "127.0.0.1", "server-port": %d },
  "subnet4": [ { "id": 1, "subnet": %q, "pools": [ { "pool": "%s - %s" } ] } ],
  "loggers": [ { "name": "kea-dhcp4", "severity": "DEBUG", "debuglevel": 50, "output_options": [ { "output": %q } ] } ] } }`,
		testnet.PairServerIf, leaseFile, d2Port, testnet.DirectNet, testnet.DirectPoolFirst, testnet.DirectPoolLast, keaLog),
		testnet.KeaOptions{NS: p.Server, LogFile: keaLog,
			AmbientCaps: []uintptr{unix.CAP_NET_BIND_SERVICE, unix.CAP_NET_RAW}})

	ifname, mac := p.AddClientLink(t)
	c := testnet.NewClient(t, testnet.Dhclient, p.Client, ifname, testnet.ClientOptions{Timeout: 30 * time.Second, Config: []string{
		`send fqdn.fqdn "host1.example.org.";`, `send fqdn.server-update on;`}})
	got, err := c.Obtain(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	var l lease.Lease
	for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(50 * time.Millisecond) {
		var ok bool
		if l, ok = keaLease(t, leaseFile, mac.String()); ok && l.Addr == got.Addr {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("no lease of %v for %v in Kea's lease file", got.Addr, mac)
		}
	}
	if l.Hostname != "host1.example.org." || !l.FQDNFwd || !l.FQDNRev {
		t.Fatalf("Kea's lease: hostname %q fwd %v rev %v", l.Hostname, l.FQDNFwd, l.FQDNRev)
	}
	waitRecords(t, named, &l, leaseDHCID(t, &l))

	if err := c.Release(t.Context()); err != nil {
		t.Fatal(err)
	}
	waitGone(t, named, &l)
	if out := d2.Output(); !strings.Contains(out, `msg="DNS updated"`) || strings.Contains(out, "DNS update failed") {
		t.Errorf("leased ddns's log:%s", testnet.IndentOutput(out))
	}
}

// readmeDDNS: leased ddns -c FILE, in the server's namespace beside a
// named of its own, adds the records a NameChangeRequest asks for.
func readmeDDNS(t *testing.T, r *readmeEnv, argv []string) {
	named := testnet.StartNamed(t, testnet.NamedOptions{NS: r.pair.Server})
	d2Port := 53001
	writeFile(t, r.fixtures["ddns.json"], d2Config(named, d2Port))
	r.start(t, r.pair.Server, argv, func(out string) bool { return strings.Contains(out, `msg="leased ddns started"`) })
	fqdn := "readme.example.org."
	addr := netip.MustParseAddr("192.0.2.42")
	id, err := ncr.DHCIDFromHWAddr(1, []byte{2, 0, 0x5e, 0, 0x53, 0x42}, fqdn)
	if err != nil {
		t.Fatal(err)
	}
	req := ncr.Request{Type: ncr.Add, Forward: true, Reverse: true, FQDN: fqdn, Addr: addr, DHCID: id, TTL: 1200,
		Expires: time.Now().Add(20 * time.Minute)}
	frame, err := req.AppendFrame(nil)
	if err != nil {
		t.Fatal(err)
	}
	err = r.pair.Server.Do(func() error {
		c, err := net.Dial("udp", fmt.Sprintf("127.0.0.1:%d", d2Port))
		if err != nil {
			return err
		}
		defer c.Close()
		_, err = c.Write(frame)
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	for deadline := time.Now().Add(15 * time.Second); ; time.Sleep(50 * time.Millisecond) {
		got := named.Lookup(t, fqdn, dns.TypeA)
		if len(got) == 1 && got[0] == "readme.example.org. 1200 IN A 192.0.2.42" {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("named has %q for %s after the request to leased ddns", got, fqdn)
		}
	}
}

// TestDDNSInProcess: with a DhcpDdns section beside Dhcp4, leased serve
// makes the DNS updates itself, with no kea-dhcp-ddns and no UDP hop:
// the records of a dhclient sending option 81 appear in named with
// Kea's TTL and go on release.
func TestDDNSInProcess(t *testing.T) {
	needs(t, "dhclient", "named")
	p := testnet.NewPair(t)
	named := testnet.StartNamed(t, testnet.NamedOptions{NS: p.Server})
	dir := t.TempDir()
	leaseFile := filepath.Join(dir, "db", "dhcp4.leases")
	cfg := filepath.Join(dir, "leased.json")
	// Nothing listens on server-port: the updates must not go there.
	sock := filepath.Join(dir, "ctl.sock")
	serving := strings.TrimSuffix(strings.TrimSpace(ddnsServingConfig(leaseFile, 53001)), "}")
	serving = strings.Replace(serving, `"valid-lifetime": 3600,`,
		fmt.Sprintf(`"valid-lifetime": 3600, "control-socket": { "socket-type": "unix", "socket-name": %q },`, sock), 1)
	d2 := strings.TrimPrefix(strings.TrimSpace(d2Config(named, 53001)), "{")
	writeFile(t, cfg, serving+","+d2)
	out, err := p.Server.Run(t.Context(), leasedBin, "serve", "-t", cfg)
	if err != nil {
		t.Fatalf("leased serve -t: %v%s", err, testnet.IndentOutput(out))
	}
	srv := newServer(t, p.Server, cfg, leaseFile)
	srv.start()

	ifname, mac := p.AddClientLink(t)
	c := testnet.NewClient(t, testnet.Dhclient, p.Client, ifname, testnet.ClientOptions{Timeout: 20 * time.Second, Config: []string{
		`send fqdn.fqdn "host1.example.org.";`, `send fqdn.server-update on;`}})
	_, l := obtainStored(t, srv, c, mac)
	waitRecords(t, named, &l, leaseDHCID(t, &l))
	if err := c.Release(t.Context()); err != nil {
		t.Fatal(err)
	}
	waitGone(t, named, &l)
	// Nothing is owed any more; leased ctl shows the queue empty.
	out, err = p.Server.Run(t.Context(), leasedBin, "ctl", "-json", "-s", sock, "ddns-queue-get")
	if err != nil || !strings.Contains(out, "no DNS updates pending") || !strings.Contains(out, `"requests": []`) {
		t.Errorf("leased ctl ddns-queue-get: %v%s", err, testnet.IndentOutput(out))
	}
	srv.stop()
}

// TestDDNSInProcessDNSDown: while named is down, leased serve (making
// the updates itself) still serves; the updates owed are made once named
// is back.
func TestDDNSInProcessDNSDown(t *testing.T) {
	needs(t, "udhcpc", "named")
	p := testnet.NewPair(t)
	named := testnet.StartNamed(t, testnet.NamedOptions{NS: p.Server})
	dir := t.TempDir()
	leaseFile := filepath.Join(dir, "db", "dhcp4.leases")
	cfg := filepath.Join(dir, "leased.json")
	serving := strings.TrimSuffix(strings.TrimSpace(ddnsServingConfig(leaseFile, 53001)), "}")
	d2 := strings.TrimPrefix(strings.TrimSpace(d2Config(named, 53001)), "{")
	// Short tries, so that the retries come soon after named is back.
	d2 = strings.Replace(d2, `"dns-server-timeout": 500`, `"dns-server-timeout": 100`, 1)
	writeFile(t, cfg, serving+","+d2)
	secret, port := named.Secret, named.Addr.Port()
	named.Stop()
	srv := newServer(t, p.Server, cfg, leaseFile)
	srv.start()

	ifname, mac := p.AddClientLink(t)
	c := testnet.NewClient(t, testnet.Udhcpc, p.Client, ifname, testnet.ClientOptions{Timeout: 20 * time.Second,
		Args: []string{"-x", "hostname:down"}})
	// While named is down.
	_, l := obtainStored(t, srv, c, mac)
	for deadline := time.Now().Add(15 * time.Second); !strings.Contains(srv.log(), "DNS update not answered; tried again later"); time.Sleep(50 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("leased did not find named down:%s", srv.lastLog())
		}
	}
	named = testnet.StartNamed(t, testnet.NamedOptions{NS: p.Server, Port: int(port), Secret: secret})
	waitRecords(t, named, &l, leaseDHCID(t, &l))
	srv.stop()
}

// TestDDNSThroughLeasedDDNS: leased serve sends its NameChangeRequests
// over UDP to leased ddns, as it would to kea-dhcp-ddns; udhcpc's host
// name (option 12) gets its records, removed on release.
func TestDDNSThroughLeasedDDNS(t *testing.T) {
	needs(t, "udhcpc", "named")
	p := testnet.NewPair(t)
	named := testnet.StartNamed(t, testnet.NamedOptions{NS: p.Server})
	dir := t.TempDir()
	d2File := filepath.Join(dir, "d2.json")
	writeFile(t, d2File, d2Config(named, 53001))
	startD2(t, p.Server, d2File)
	leaseFile := filepath.Join(dir, "db", "dhcp4.leases")
	cfg := filepath.Join(dir, "leased.json")
	writeFile(t, cfg, ddnsServingConfig(leaseFile, 53001))
	srv := newServer(t, p.Server, cfg, leaseFile)
	srv.start()

	ifname, mac := p.AddClientLink(t)
	c := testnet.NewClient(t, testnet.Udhcpc, p.Client, ifname, testnet.ClientOptions{Timeout: 20 * time.Second,
		Args: []string{"-x", "hostname:host2"}})
	_, l := obtainStored(t, srv, c, mac)
	if l.Hostname != "host2.example.org" {
		t.Fatalf("stored hostname %q", l.Hostname)
	}
	waitRecords(t, named, &l, leaseDHCID(t, &l))
	if err := c.Release(t.Context()); err != nil {
		t.Fatal(err)
	}
	waitGone(t, named, &l)
	srv.stop()
}
