//go:build linux

package e2e

import (
	"encoding/base64"
	"fmt"
	"net"
	"net/netip"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/miekg/dns"

	"github.com/leased/leased/ddns/ncr"
	"github.com/leased/leased/internal/testnet"
	"github.com/leased/leased/lease"
)

// ddnsServingConfig serves the Pair's direct subnet with DNS updates sent
// to kea-dhcp-ddns on the server namespace's loopback.
func ddnsServingConfig(leaseFile string, d2Port int) string {
	return ddnsServingConfigLifetime(leaseFile, d2Port, 3600)
}

// ddnsServingConfigLifetime is ddnsServingConfig with leases of lifetime
// seconds; expired leases are reclaimed every second.
func ddnsServingConfigLifetime(leaseFile string, d2Port, lifetime int) string {
	return fmt.Sprintf(`{
  "Dhcp4": {
    "interfaces-config": { "interfaces": [ %q ] },
    "lease-database": { "type": "memfile", "persist": true, "name": %q, "lfc-interval": 0 },
    "valid-lifetime": %d,
    "expired-leases-processing": { "reclaim-timer-wait-time": 1 },
    "ddns-qualifying-suffix": "example.org",
    "dhcp-ddns": { "enable-updates": true, "server-ip": "127.0.0.1", "server-port": %d },
    "subnet4": [ { "id": 1, "subnet": %q, "pools": [ { "pool": "%s - %s" } ] } ]
  }
}
`, testnet.PairServerIf, leaseFile, lifetime, d2Port, testnet.DirectNet, testnet.DirectPoolFirst, testnet.DirectPoolLast)
}

// startDDNSChain starts named and kea-dhcp-ddns (Kea 2.2 from Debian) in
// the Pair's server namespace, D2 listening on 127.0.0.1:53001 and
// updating named's example.org and 2.0.192.in-addr.arpa with its TSIG key.
// d2Log is kea-dhcp-ddns's log file.
func startDDNSChain(t *testing.T, p *testnet.Pair) (named *testnet.Named, d2Port int, d2Log string) {
	t.Helper()
	named = testnet.StartNamed(t, testnet.NamedOptions{NS: p.Server})
	d2Port = 53001
	d2Dir := testnet.UnprivilegedDir(t)
	d2Log = filepath.Join(d2Dir, "d2.log")
	testnet.StartKea(t, d2Dir, "kea-dhcp-ddns", fmt.Sprintf(`{ "DhcpDdns": {
  "ip-address": "127.0.0.1", "port": %d, "dns-server-timeout": 500,
  "tsig-keys": [ { "name": %q, "algorithm": "HMAC-SHA256", "secret": %q } ],
  "forward-ddns": { "ddns-domains": [ { "name": "example.org.", "key-name": %q,
    "dns-servers": [ { "ip-address": "127.0.0.1", "port": %d } ] } ] },
  "reverse-ddns": { "ddns-domains": [ { "name": "2.0.192.in-addr.arpa.", "key-name": %q,
    "dns-servers": [ { "ip-address": "127.0.0.1", "port": %d } ] } ] },
  "loggers": [ { "name": "kea-dhcp-ddns", "severity": "DEBUG", "debuglevel": 55,
    "output_options": [ { "output": %q } ] } ] } }`,
		d2Port, named.KeyName, named.Secret, named.KeyName, named.Addr.Port(), named.KeyName, named.Addr.Port(), d2Log),
		testnet.KeaOptions{NS: p.Server, LogFile: d2Log})
	return named, d2Port, d2Log
}

// kea-dhcp-ddns (Kea 2.2 from Debian) between leased and named, all in
// the server's namespace: the NameChangeRequests leased sends make D2
// add A, PTR and DHCID records with Kea's TTL for clients that send
// their names (dhclient option 81, udhcpc option 12), and remove them
// when the clients release; a request owed at a crash (in the journal
// next to the lease file) is sent after the restart.
func TestDDNSThroughKeaDHCPDDNS(t *testing.T) {
	needs(t, "dhclient", "udhcpc", "named", "kea-dhcp-ddns", "unshare", "mount")
	p := testnet.NewPair(t)
	named, d2Port, _ := startDDNSChain(t, p)

	dir := t.TempDir()
	leaseFile := filepath.Join(dir, "db", "dhcp4.leases")
	cfg := filepath.Join(dir, "kea-dhcp4.conf")
	writeFile(t, cfg, ddnsServingConfig(leaseFile, d2Port))

	// A crash left an add owed for a lease: in the journal, never sent.
	owed := &lease.Lease{
		Addr: netip.MustParseAddr("192.0.2.250"), HWType: 1, HWAddr: []byte{2, 0, 0, 0, 0, 0xfa},
		ValidLifetime: 3600, CLTT: time.Now().Unix(), SubnetID: 1,
		FQDNFwd: true, FQDNRev: true, Hostname: "owed.example.org",
	}
	owedReq, err := ncr.ForLease(ncr.Add, owed, ncr.TTLParams{}, ncr.CheckWithDHCID)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.MkdirAll(filepath.Dir(leaseFile), 0o755); err != nil {
		t.Fatal(err)
	}
	j, _, err := ncr.OpenJournal(leaseFile + ".ncr")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := j.Append([]ncr.Request{owedReq}); err != nil {
		t.Fatal(err)
	}
	j.Close()

	srv := newServer(t, p.Server, cfg, leaseFile)
	srv.start()

	t.Run("owed-before-restart", func(t *testing.T) {
		waitRecords(t, named, owed, hwDHCID(t, owed))
	})
	for _, tc := range []struct {
		kind testnet.ClientKind
		opts testnet.ClientOptions
		name string
	}{
		// Option 81 with S set and a full name.
		{testnet.Dhclient, testnet.ClientOptions{Timeout: 20 * time.Second, Config: []string{
			`send fqdn.fqdn "host1.example.org.";`, `send fqdn.server-update on;`}}, "host1.example.org."},
		// Option 12 with one label, qualified with the suffix.
		{testnet.Udhcpc, testnet.ClientOptions{Timeout: 20 * time.Second, Args: []string{"-x", "hostname:host2"}}, "host2.example.org"},
	} {
		t.Run(string(tc.kind), func(t *testing.T) {
			ifname, mac := p.AddClientLink(t)
			c := testnet.NewClient(t, tc.kind, p.Client, ifname, tc.opts)
			got, l := obtainStored(t, srv, c, mac)
			if l.Hostname != tc.name || !l.FQDNFwd || !l.FQDNRev {
				t.Fatalf("stored lease %v: hostname %q fwd %v rev %v, want %q with both directions", got.Addr, l.Hostname, l.FQDNFwd, l.FQDNRev, tc.name)
			}
			id := leaseDHCID(t, &l)
			waitRecords(t, named, &l, id)

			if err := c.Release(t.Context()); err != nil {
				t.Fatal(err)
			}
			waitGone(t, named, &l)
		})
	}
	srv.stop()
}

// hwDHCID is the DHCID, in base64, of a lease identified by its hardware
// address.
func hwDHCID(t *testing.T, l *lease.Lease) string {
	t.Helper()
	id, err := ncr.DHCIDFromHWAddr(l.HWType, l.HWAddr, l.Hostname)
	if err != nil {
		t.Fatal(err)
	}
	return base64.StdEncoding.EncodeToString(id)
}

// leaseDHCID is the DHCID, in base64, that Kea computes for the stored
// lease l: from its client identifier if it has one, else its hardware
// address.
func leaseDHCID(t *testing.T, l *lease.Lease) string {
	t.Helper()
	if len(l.ClientID) == 0 {
		return hwDHCID(t, l)
	}
	id, err := ncr.DHCIDFromClientID(l.ClientID, l.Hostname)
	if err != nil {
		t.Fatal(err)
	}
	return base64.StdEncoding.EncodeToString(id)
}

// reverseName is the in-addr.arpa name of a.
func reverseName(a netip.Addr) string {
	b := a.As4()
	return fmt.Sprintf("%d.%d.%d.%d.in-addr.arpa.", b[3], b[2], b[1], b[0])
}

// waitRecords waits until named holds the forward and reverse records of
// lease l with Kea's TTL for its lifetime and DHCID id (base64).
func waitRecords(t *testing.T, named *testnet.Named, l *lease.Lease, id string) {
	t.Helper()
	fqdn := dns.Fqdn(l.Hostname)
	rev := reverseName(l.Addr)
	ttl := ncr.TTL(l.ValidLifetime, ncr.TTLParams{})
	want := map[uint16][]string{}
	want[dns.TypeA] = []string{fmt.Sprintf("%s %d IN A %s", fqdn, ttl, l.Addr)}
	want[dns.TypeDHCID] = []string{fmt.Sprintf("%s %d IN DHCID %s", fqdn, ttl, id)}
	want[dns.TypePTR] = []string{fmt.Sprintf("%s %d IN PTR %s", rev, ttl, fqdn)}
	lookups := []struct {
		name  string
		qtype uint16
		want  []string
	}{
		{fqdn, dns.TypeA, want[dns.TypeA]},
		{fqdn, dns.TypeDHCID, want[dns.TypeDHCID]},
		{rev, dns.TypePTR, want[dns.TypePTR]},
		{rev, dns.TypeDHCID, []string{fmt.Sprintf("%s %d IN DHCID %s", rev, ttl, id)}},
	}
	deadline := time.Now().Add(15 * time.Second)
	for _, q := range lookups {
		for {
			got := named.Lookup(t, q.name, q.qtype)
			if slices.Equal(got, q.want) {
				break
			}
			if time.Now().After(deadline) {
				t.Fatalf("%s %s: named has %q, want %q\nnamed log:%s", q.name, dns.TypeToString[q.qtype], got, q.want,
					testnet.IndentOutput(testnet.Tail(named.Log(), 3000)))
			}
			time.Sleep(50 * time.Millisecond)
		}
	}
}

// obtainStored has c obtain a lease from srv and returns what c got and
// the lease srv stored for it (c's link has hardware address mac).
func obtainStored(t *testing.T, srv *server, c *testnet.Client, mac net.HardwareAddr) (testnet.Lease, lease.Lease) {
	t.Helper()
	got, err := c.Obtain(t.Context())
	if err != nil {
		t.Fatalf("%v%s", err, srv.lastLog())
	}
	leases, ok, err := srv.waitStore(10*time.Second, func(ls []lease.Lease) bool { return storeHolds(ls, got.Addr, mac) })
	if err != nil || !ok {
		t.Fatalf("no lease of %v for %v in the store (%v)", got.Addr, mac, err)
	}
	l, _ := leaseOf(leases, got.Addr)
	return got, l
}

// waitGone waits until named holds no A, DHCID or PTR record for lease l.
func waitGone(t *testing.T, named *testnet.Named, l *lease.Lease) {
	t.Helper()
	fqdn, rev := dns.Fqdn(l.Hostname), reverseName(l.Addr)
	deadline := time.Now().Add(15 * time.Second)
	for _, q := range []struct {
		name  string
		qtype uint16
	}{{fqdn, dns.TypeA}, {fqdn, dns.TypeDHCID}, {rev, dns.TypePTR}, {rev, dns.TypeDHCID}} {
		for {
			got := named.Lookup(t, q.name, q.qtype)
			if len(got) == 0 {
				break
			}
			if time.Now().After(deadline) {
				t.Fatalf("%s %s still in DNS: %s", q.name, dns.TypeToString[q.qtype], strings.Join(got, "; "))
			}
			time.Sleep(50 * time.Millisecond)
		}
	}
}

// A lease that expires without a release loses its records once it is
// reclaimed: the removal goes through kea-dhcp-ddns like the add.
func TestDDNSRemovedOnExpiry(t *testing.T) {
	needs(t, "udhcpc", "named", "kea-dhcp-ddns", "unshare", "mount")
	p := testnet.NewPair(t)
	named, d2Port, _ := startDDNSChain(t, p)
	dir := t.TempDir()
	leaseFile := filepath.Join(dir, "db", "dhcp4.leases")
	cfg := filepath.Join(dir, "kea-dhcp4.conf")
	writeFile(t, cfg, ddnsServingConfigLifetime(leaseFile, d2Port, 6))
	srv := newServer(t, p.Server, cfg, leaseFile)
	srv.start()

	ifname, mac := p.AddClientLink(t)
	c := testnet.NewClient(t, testnet.Udhcpc, p.Client, ifname, testnet.ClientOptions{Timeout: 20 * time.Second, Args: []string{"-x", "hostname:gone"}})
	got, err := c.Obtain(t.Context())
	if err != nil {
		t.Fatalf("%v%s", err, srv.lastLog())
	}
	// Silenced before it renews (T1 is half the lifetime).
	if err := c.Stop(); err != nil {
		t.Fatal(err)
	}
	leases, ok, err := srv.waitStore(10*time.Second, func(ls []lease.Lease) bool {
		l, ok := leaseOf(ls, got.Addr)
		return ok && sameMAC(l.HWAddr, mac)
	})
	if err != nil || !ok {
		t.Fatalf("no lease of %v for %v in the store (%v)", got.Addr, mac, err)
	}
	l, _ := leaseOf(leases, got.Addr)
	if l.Hostname != "gone.example.org" || !l.FQDNFwd || !l.FQDNRev {
		t.Fatalf("stored lease: %s", l.String())
	}
	// The TTL is Kea's minimum, 600 s, for a lifetime of 6 s.
	waitRecords(t, named, &l, leaseDHCID(t, &l))
	waitGone(t, named, &l)
	// Reclamation's writes reach the lease file at the next flush.
	if _, ok, err := srv.waitStore(10*time.Second, func(ls []lease.Lease) bool {
		l, ok := leaseOf(ls, got.Addr)
		return !ok || l.State == lease.StateExpiredReclaimed
	}); err != nil || !ok {
		t.Errorf("the records are gone but the lease of %v is not reclaimed (%v)", got.Addr, err)
	}
	srv.stop()
}

// A client that finds its new address in use declines it (udhcpc -a
// asks ARP after the ACK): the records added for that address go, as
// Kea removes them on a decline, and the client's next address gets the
// name.
func TestDDNSRemovedOnDecline(t *testing.T) {
	needs(t, "udhcpc", "named", "kea-dhcp-ddns", "unshare", "mount")
	p := testnet.NewPair(t)
	named, d2Port, _ := startDDNSChain(t, p)
	// The pool's first address, the one offered first, answers ARP
	// from the server's end of the link.
	inUse := netip.MustParseAddr(testnet.DirectPoolFirst)
	p.Server.AddAddr(t, testnet.PairServerIf, inUse.String()+"/32")
	dir := t.TempDir()
	leaseFile := filepath.Join(dir, "db", "dhcp4.leases")
	cfg := filepath.Join(dir, "kea-dhcp4.conf")
	writeFile(t, cfg, ddnsServingConfig(leaseFile, d2Port))
	srv := newServer(t, p.Server, cfg, leaseFile)
	srv.start()

	ifname, mac := p.AddClientLink(t)
	c := testnet.NewClient(t, testnet.Udhcpc, p.Client, ifname, testnet.ClientOptions{Timeout: 30 * time.Second,
		Args: []string{"-a", "-x", "hostname:decl"}})
	got, l := obtainStored(t, srv, c, mac)
	if got.Addr == inUse {
		t.Fatalf("the client kept %v, which the server's side answers ARP for", inUse)
	}
	if _, ok, err := srv.waitStore(10*time.Second, func(ls []lease.Lease) bool {
		d, ok := leaseOf(ls, inUse)
		return ok && d.State == lease.StateDeclined
	}); err != nil || !ok {
		t.Fatalf("%v was not declined (%v)%s", inUse, err, srv.lastLog())
	}
	waitRecords(t, named, &l, leaseDHCID(t, &l))
	// The declined address's PTR and DHCID, added at its ACK, are gone.
	rev := reverseName(inUse)
	deadline := time.Now().Add(15 * time.Second)
	for _, qtype := range []uint16{dns.TypePTR, dns.TypeDHCID} {
		for len(named.Lookup(t, rev, qtype)) != 0 {
			if time.Now().After(deadline) {
				t.Fatalf("%s %s still in DNS after the decline: %q", rev, dns.TypeToString[qtype], named.Lookup(t, rev, qtype))
			}
			time.Sleep(50 * time.Millisecond)
		}
	}
	srv.stop()
}

// The conflict-resolution mode reaches kea-dhcp-ddns 2.2: under
// check-with-dhcid a second client asking for a name that carries the
// first one's DHCID is refused (the first keeps its A record, the second
// gets no PTR); after a reload with no-check-with-dhcid
// (use-conflict-resolution false on the wire) a third client takes the
// name over.
func TestDDNSConflictModes(t *testing.T) {
	needs(t, "udhcpc", "named", "kea-dhcp-ddns", "unshare", "mount")
	p := testnet.NewPair(t)
	named, d2Port, d2Log := startDDNSChain(t, p)
	dir := t.TempDir()
	leaseFile := filepath.Join(dir, "db", "dhcp4.leases")
	cfg := filepath.Join(dir, "kea-dhcp4.conf")
	writeFile(t, cfg, ddnsServingConfig(leaseFile, d2Port))
	srv := newServer(t, p.Server, cfg, leaseFile)
	srv.start()

	obtain := func() lease.Lease {
		t.Helper()
		ifname, mac := p.AddClientLink(t)
		c := testnet.NewClient(t, testnet.Udhcpc, p.Client, ifname, testnet.ClientOptions{Timeout: 20 * time.Second, Args: []string{"-x", "hostname:shared"}})
		_, l := obtainStored(t, srv, c, mac)
		if l.Hostname != "shared.example.org" || !l.FQDNFwd || !l.FQDNRev {
			t.Fatalf("stored lease: %s", l.String())
		}
		return l
	}
	first := obtain()
	waitRecords(t, named, &first, leaseDHCID(t, &first))

	second := obtain()
	// kea-dhcp-ddns logs the refusal once named answered its replace.
	deadline := time.Now().Add(15 * time.Second)
	for {
		b, _ := os.ReadFile(d2Log)
		if strings.Contains(string(b), "DHCP_DDNS_FORWARD_REPLACE_REJECTED") {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("kea-dhcp-ddns did not refuse the second client's add:%s", testnet.IndentOutput(testnet.Tail(string(b), 3000)))
		}
		time.Sleep(50 * time.Millisecond)
	}
	waitRecords(t, named, &first, leaseDHCID(t, &first))
	if ptr := named.Lookup(t, reverseName(second.Addr), dns.TypePTR); len(ptr) != 0 {
		t.Errorf("the refused client got a PTR record: %q", ptr)
	}

	applied := strings.Count(srv.log(), `msg="configuration applied"`)
	writeFile(t, cfg, strings.Replace(ddnsServingConfig(leaseFile, d2Port),
		`"ddns-qualifying-suffix": "example.org",`, `"ddns-qualifying-suffix": "example.org", "ddns-conflict-resolution-mode": "no-check-with-dhcid",`, 1))
	if err := srv.cur.Signal(syscall.SIGHUP); err != nil {
		t.Fatal(err)
	}
	for deadline := time.Now().Add(15 * time.Second); strings.Count(srv.log(), `msg="configuration applied"`) == applied; {
		if time.Now().After(deadline) {
			t.Fatalf("SIGHUP: the configuration was not applied%s", srv.lastLog())
		}
		time.Sleep(20 * time.Millisecond)
	}
	third := obtain()
	waitRecords(t, named, &third, leaseDHCID(t, &third))
	srv.stop()
}
