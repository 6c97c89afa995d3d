//go:build linux

package testnet

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"net"
	"net/netip"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"golang.org/x/sys/unix"
)

// Helpers for tests of DHCPv6 clients against DHCPv6 servers nobody here
// wrote (kea-dhcp6, dibbler-server, dnsmasq), on a link between two
// namespaces of the test's own.

// Addresses of the Net6 topology, from the documentation range.
const (
	Net6ServerIf = "srv6"
	Net6ClientIf = "cli6"
	Net6Subnet   = "2001:db8:1::/64"
	Net6Server   = "2001:db8:1::1" // on srv6
	// Net6PoolFirst and Net6PoolLast bound the addresses servers hand out.
	Net6PoolFirst = "2001:db8:1::100"
	Net6PoolLast  = "2001:db8:1::1ff"
	// Net6PDPool is the pool prefixes are delegated from, as /56s.
	Net6PDPool = "2001:db8:8800::/48"
	Net6PDLen  = 56
	Net6DNS    = "2001:db8:1::53"
)

// Net6 is a link between a server namespace and a client namespace with
// IPv6 on (duplicate address detection off, as NewNS sets it), the
// server's end with Net6Server/64 and the link-local addresses of both
// ends ready.
type Net6 struct {
	Server, Client *NS
	ServerLL       netip.Addr // the server end's link-local address
}

// NewNet6 builds the Net6 topology; it goes away with the test.
func NewNet6(t testing.TB) *Net6 {
	t.Helper()
	n := &Net6{Server: NewNS(t, "srv6"), Client: NewNS(t, "cli6")}
	for _, ns := range []*NS{n.Server, n.Client} {
		for _, k := range []string{"all", "default"} {
			if err := ns.SetSysctl("net.ipv6.conf."+k+".disable_ipv6", "0"); err != nil {
				t.Fatal(err)
			}
		}
	}
	Veth(t, n.Server, Net6ServerIf, n.Client, Net6ClientIf)
	n.Server.MustRun(t, "ip", "-6", "addr", "add", Net6Server+"/64", "dev", Net6ServerIf)
	n.ServerLL = n.waitLinkLocal(t, n.Server, Net6ServerIf)
	n.waitLinkLocal(t, n.Client, Net6ClientIf)
	return n
}

func (n *Net6) waitLinkLocal(t testing.TB, ns *NS, ifname string) netip.Addr {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		addrs, err := ns.Addrs6(ifname)
		if err != nil {
			t.Fatal(err)
		}
		for _, a := range addrs {
			if a.Addr().Is6() && a.Addr().IsLinkLocalUnicast() {
				return a.Addr()
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("netns %s: %s has no IPv6 link-local address: %v", ns.name, ifname, addrs)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// WaitUDP6Listen waits until a socket in ns listens on UDP port over
// IPv6.
func (ns *NS) WaitUDP6Listen(ctx context.Context, port uint16) error {
	want := fmt.Sprintf(":%04X", port)
	for {
		found := false
		err := ns.Do(func() error {
			b, err := os.ReadFile("/proc/thread-self/net/udp6")
			if err != nil {
				return err
			}
			for _, line := range strings.Split(string(b), "\n")[1:] {
				if f := strings.Fields(line); len(f) > 2 && strings.HasSuffix(f[1], want) {
					found = true
				}
			}
			return nil
		})
		if err != nil {
			return fmt.Errorf("netns %s: %w", ns.name, err)
		}
		if found {
			return nil
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("netns %s: nothing listens on UDP port %d over IPv6: %w", ns.name, port, ctx.Err())
		case <-time.After(50 * time.Millisecond):
		}
	}
}

// Kea6Config is what StartKea6 puts in kea-dhcp6's configuration.
type Kea6Config struct {
	// T1, T2, Preferred and Valid are the timers, in seconds.
	T1, T2, Preferred, Valid int
	// ServerID is the hex identifier of the server's DUID-EN; servers
	// that must look different need different ones. Default "0102".
	ServerID    string
	RapidCommit bool
	// NoPD leaves out the prefix pool.
	NoPD bool
	// OneLease shrinks the pools to one address (Net6PoolFirst) and one
	// prefix (the first /56 of Net6PDPool).
	OneLease bool
	// LeaseCmds loads the lease_cmds hook library, for commands such as
	// lease6-del.
	LeaseCmds bool
}

// Kea6 is a kea-dhcp6 started by StartKea6.
type Kea6 struct {
	*KeaProc
	Dir       string
	LeaseFile string
	Socket    string
	LogFile   string
}

// StartKea6 runs kea-dhcp6 2.2 in n.Server as nobody on Net6ServerIf:
// addresses from Net6PoolFirst to Net6PoolLast, /56 prefixes from
// Net6PDPool, DNS server Net6DNS and search list example.com, a memfile
// lease file and a control socket in its directory. It returns once Kea
// listens on port 547.
func StartKea6(t testing.TB, n *Net6, c Kea6Config) *Kea6 {
	t.Helper()
	RequireBinaries(t, KeaBinary("kea-dhcp6"))
	dir := UnprivilegedDir(t)
	if c.ServerID == "" {
		c.ServerID = "0102"
	}
	k := &Kea6{Dir: dir, LeaseFile: filepath.Join(dir, "leases6.csv"), Socket: filepath.Join(dir, "kea6.sock"), LogFile: filepath.Join(dir, "kea6.log")}
	lastAddr, pdLen := Net6PoolLast, netip.MustParsePrefix(Net6PDPool).Bits()
	if c.OneLease {
		lastAddr, pdLen = Net6PoolFirst, Net6PDLen
	}
	subnet := map[string]any{
		"id": 1, "subnet": Net6Subnet, "interface": Net6ServerIf,
		"pools":        []any{map[string]any{"pool": Net6PoolFirst + "-" + lastAddr}},
		"rapid-commit": c.RapidCommit,
		"option-data": []any{
			map[string]any{"name": "dns-servers", "data": Net6DNS},
			map[string]any{"name": "domain-search", "data": "example.com"},
		},
	}
	if !c.NoPD {
		p := netip.MustParsePrefix(Net6PDPool)
		subnet["pd-pools"] = []any{map[string]any{"prefix": p.Addr().String(), "prefix-len": pdLen, "delegated-len": Net6PDLen}}
	}
	cfg := map[string]any{"Dhcp6": map[string]any{
		"interfaces-config": map[string]any{"interfaces": []string{Net6ServerIf}},
		"control-socket":    map[string]any{"socket-type": "unix", "socket-name": k.Socket},
		"lease-database":    map[string]any{"type": "memfile", "persist": true, "name": k.LeaseFile, "lfc-interval": 0},
		"server-id":         map[string]any{"type": "EN", "enterprise-id": 2495, "identifier": c.ServerID, "persist": false},
		"renew-timer":       c.T1, "rebind-timer": c.T2, "preferred-lifetime": c.Preferred, "valid-lifetime": c.Valid,
		"subnet6": []any{subnet},
		"loggers": []any{map[string]any{
			"name": "kea-dhcp6", "severity": "DEBUG", "debuglevel": 55,
			"output_options": []any{map[string]any{"output": k.LogFile}},
		}},
	}}
	if c.LeaseCmds {
		lib := filepath.Join(KeaHooksDir(t, "libdhcp_lease_cmds.so"), "libdhcp_lease_cmds.so")
		cfg["Dhcp6"].(map[string]any)["hooks-libraries"] = []any{map[string]any{"library": lib}}
	}
	text, err := json.MarshalIndent(cfg, "", "  ")
	if err != nil {
		t.Fatal(err)
	}
	k.KeaProc = StartKea(t, dir, "kea-dhcp6", string(text), KeaOptions{
		NS: n.Server, LogFile: k.LogFile, AmbientCaps: []uintptr{unix.CAP_NET_BIND_SERVICE},
	})
	ctx, cancel := context.WithTimeout(context.Background(), 15*time.Second)
	defer cancel()
	go func() {
		select {
		case <-k.Done(): // no use waiting for a program that exited
			cancel()
		case <-ctx.Done():
		}
	}()
	if err := n.Server.WaitUDP6Listen(ctx, 547); err != nil {
		t.Fatalf("kea-dhcp6 did not start: %v\n%s", err, IndentOutput(Tail(k.Output(), 4000)))
	}
	return k
}

// Kea6Lease is the last line of Kea's lease file for one address or
// prefix.
type Kea6Lease struct {
	Prefix netip.Prefix // the address as a /128, or the delegated prefix
	DUID   string
	Valid  int // 0 once released
	Expire time.Time
	Type   int // 0 IA_NA, 2 IA_PD
	IAID   uint32
	State  int // 0 default, 1 declined, 2 expired-reclaimed
}

// Leases reads Kea's lease file; the last line for each lease counts.
func (k *Kea6) Leases(t testing.TB) map[netip.Prefix]Kea6Lease {
	t.Helper()
	f, err := os.Open(k.LeaseFile)
	if err != nil {
		t.Fatalf("kea-dhcp6 lease file: %v", err)
	}
	defer f.Close()
	out := map[netip.Prefix]Kea6Lease{}
	sc := bufio.NewScanner(f)
	var cols map[string]int
	for sc.Scan() {
		fs := strings.Split(sc.Text(), ",")
		if cols == nil {
			cols = map[string]int{}
			for i, c := range fs {
				cols[c] = i
			}
			continue
		}
		get := func(c string) string {
			if i, ok := cols[c]; ok && i < len(fs) {
				return fs[i]
			}
			return ""
		}
		a, err := netip.ParseAddr(get("address"))
		if err != nil {
			continue
		}
		plen, _ := strconv.Atoi(get("prefix_len"))
		valid, _ := strconv.Atoi(get("valid_lifetime"))
		exp, _ := strconv.ParseInt(get("expire"), 10, 64)
		typ, _ := strconv.Atoi(get("lease_type"))
		iaid, _ := strconv.ParseUint(get("iaid"), 10, 32)
		state, _ := strconv.Atoi(get("state"))
		if typ != 2 {
			plen = 128
		}
		p := netip.PrefixFrom(a, plen)
		out[p] = Kea6Lease{Prefix: p, DUID: get("duid"), Valid: valid, Expire: time.Unix(exp, 0), Type: typ, IAID: uint32(iaid), State: state}
	}
	return out
}

// Command sends a command over Kea's control socket and returns the
// result and text of its answer.
func (k *Kea6) Command(t testing.TB, command string, args any) (int, string) {
	t.Helper()
	c, err := net.Dial("unix", k.Socket)
	if err != nil {
		t.Fatalf("kea-dhcp6 control socket: %v", err)
	}
	defer c.Close()
	req, _ := json.Marshal(map[string]any{"command": command, "arguments": args})
	if _, err := c.Write(req); err != nil {
		t.Fatalf("kea-dhcp6 %s: %v", command, err)
	}
	c.SetReadDeadline(time.Now().Add(10 * time.Second))
	var ans struct {
		Result int    `json:"result"`
		Text   string `json:"text"`
	}
	if err := json.NewDecoder(c).Decode(&ans); err != nil {
		t.Fatalf("kea-dhcp6 %s: reading the answer: %v", command, err)
	}
	return ans.Result, ans.Text
}

// Addrs6 returns the IPv6 addresses on an interface.
func (ns *NS) Addrs6(ifname string) ([]netip.Prefix, error) {
	var out []netip.Prefix
	err := ns.Do(func() error {
		ifi, err := net.InterfaceByName(ifname)
		if err != nil {
			return err
		}
		addrs, err := ifi.Addrs()
		if err != nil {
			return err
		}
		for _, a := range addrs {
			ipn, ok := a.(*net.IPNet)
			if !ok || ipn.IP.To4() != nil {
				continue
			}
			ip, _ := netip.AddrFromSlice(ipn.IP)
			ones, _ := ipn.Mask.Size()
			out = append(out, netip.PrefixFrom(ip, ones))
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("netns %s: IPv6 addresses of %s: %w", ns.name, ifname, err)
	}
	return out, nil
}

// DibblerConfig is what StartDibbler puts in dibbler-server's
// configuration.
type DibblerConfig struct {
	T1, T2, Preferred, Valid int
	NoPD                     bool
}

// Dibbler is a dibbler-server started by StartDibbler.
type Dibbler struct {
	proc *Proc
	ns   *NS
	Dir  string // holds etc (its /etc/dibbler) and lib (its /var/lib/dibbler)
}

// StartDibbler runs dibbler-server in n.Server on Net6ServerIf, serving
// the same pools as StartKea6. dibbler reads its configuration from
// /etc/dibbler and keeps its state in /var/lib/dibbler, names it cannot
// be given another way: it runs in a mount namespace of its own where
// directories of the test's are mounted over those two, so the host's
// stay untouched. It runs as root (in the test's namespaces), as it
// expects to. It returns once dibbler listens on port 547.
func StartDibbler(t testing.TB, n *Net6, c DibblerConfig) *Dibbler {
	t.Helper()
	RequireBinaries(t, "dibbler-server", "unshare", "mount")
	d := &Dibbler{ns: n.Server, Dir: t.TempDir()}
	for _, sub := range []string{"etc", "lib"} {
		if err := os.MkdirAll(filepath.Join(d.Dir, sub), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	p := netip.MustParsePrefix(Net6PDPool)
	pd := fmt.Sprintf("  pd-class {\n    pd-pool %s\n    pd-length %d\n  }\n", p, Net6PDLen)
	if c.NoPD {
		pd = ""
	}
	conf := fmt.Sprintf(`log-level 8
log-mode full
iface "%s" {
  t1 %d
  t2 %d
  prefered-lifetime %d
  valid-lifetime %d
  class {
    pool %s-%s
  }
%s  option dns-server %s
  option domain example.com
}
`, Net6ServerIf, c.T1, c.T2, c.Preferred, c.Valid, Net6PoolFirst, Net6PoolLast, pd, Net6DNS)
	if err := os.WriteFile(filepath.Join(d.Dir, "etc", "server.conf"), []byte(conf), 0o644); err != nil {
		t.Fatal(err)
	}
	d.start(t)
	return d
}

func (d *Dibbler) start(t testing.TB) {
	t.Helper()
	script := fmt.Sprintf("mount --bind %s /etc/dibbler && mount --bind %s /var/lib/dibbler && exec dibbler-server run",
		filepath.Join(d.Dir, "etc"), filepath.Join(d.Dir, "lib"))
	p, err := d.ns.Start(context.Background(), "unshare", "--mount", "--propagation", "private", "sh", "-c", script)
	if err != nil {
		t.Fatal(err)
	}
	d.proc = p
	ctx, cancel := context.WithTimeout(context.Background(), 15*time.Second)
	defer cancel()
	go func() {
		select {
		case <-p.Done():
			cancel()
		case <-ctx.Done():
		}
	}()
	if err := d.ns.WaitUDP6Listen(ctx, 547); err != nil {
		t.Fatalf("dibbler-server did not start: %v\n%s", err, IndentOutput(Tail(p.Output(), 4000)))
	}
}

// Restart stops dibbler and starts it again; with forget, its record of
// the clients (server-AddrMgr.xml, server-cache.xml) is removed in
// between, so that it no longer knows their bindings.
func (d *Dibbler) Restart(t testing.TB, forget bool) {
	t.Helper()
	if err := d.proc.Stop(5 * time.Second); err != nil {
		t.Logf("stopping dibbler-server: %v", err)
	}
	if forget {
		for _, f := range []string{"server-AddrMgr.xml", "server-cache.xml"} {
			if err := os.Remove(filepath.Join(d.Dir, "lib", f)); err != nil && !os.IsNotExist(err) {
				t.Fatal(err)
			}
		}
	}
	d.start(t)
}

// Output returns what dibbler wrote so far.
func (d *Dibbler) Output() string { return d.proc.Output() }

// Dnsmasq6 is a dnsmasq serving DHCPv6 (IA_NA only), started by
// StartDnsmasq6.
type Dnsmasq6 struct {
	proc      *Proc
	LeaseFile string
	LogFile   string
}

// StartDnsmasq6 runs dnsmasq in n.Server as a DHCPv6-only server (DNS
// off) on Net6ServerIf, handing out Net6PoolFirst to Net6PoolLast for
// lease seconds, with DNS server Net6DNS. It drops its privileges to
// nobody after binding its port. It returns once dnsmasq listens on port
// 547.
func StartDnsmasq6(t testing.TB, n *Net6, lease int) *Dnsmasq6 {
	t.Helper()
	RequireBinaries(t, "dnsmasq")
	dir := UnprivilegedDir(t)
	d := &Dnsmasq6{LeaseFile: filepath.Join(dir, "dnsmasq6.leases"), LogFile: filepath.Join(dir, "dnsmasq6.log")}
	if err := os.WriteFile(d.LeaseFile, nil, 0o666); err != nil {
		t.Fatal(err)
	}
	args := []string{
		"--keep-in-foreground", "--conf-file=/dev/null", "--port=0",
		"--no-resolv", "--no-hosts", "--user=nobody",
		"--pid-file=" + filepath.Join(dir, "dnsmasq6.pid"),
		"--log-facility=" + d.LogFile, "--log-dhcp",
		"--interface=" + Net6ServerIf, "--except-interface=lo", "--bind-interfaces",
		"--dhcp-authoritative", "--dhcp-leasefile=" + d.LeaseFile,
		fmt.Sprintf("--dhcp-range=%s,%s,64,%d", Net6PoolFirst, Net6PoolLast, lease),
		"--dhcp-option=option6:dns-server,[" + Net6DNS + "]",
	}
	p, err := n.Server.Start(context.Background(), "dnsmasq", args...)
	if err != nil {
		t.Fatal(err)
	}
	d.proc = p
	t.Cleanup(func() {
		if t.Failed() {
			b, _ := os.ReadFile(d.LogFile)
			t.Logf("dnsmasq log:%s", IndentOutput(Tail(string(b), 8192)))
		}
	})
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	go func() {
		select {
		case <-p.Done():
			cancel()
		case <-ctx.Done():
		}
	}()
	if err := n.Server.WaitUDP6Listen(ctx, 547); err != nil {
		t.Fatalf("dnsmasq did not start: %v\n%s", err, IndentOutput(p.Output()))
	}
	return d
}

// Leases returns the addresses in dnsmasq's lease file with the DUIDs
// of their clients.
func (d *Dnsmasq6) Leases(t testing.TB) map[netip.Addr]string {
	t.Helper()
	b, err := os.ReadFile(d.LeaseFile)
	if err != nil {
		t.Fatalf("dnsmasq lease file: %v", err)
	}
	out := map[netip.Addr]string{}
	for _, line := range strings.Split(string(b), "\n") {
		// expiry IAID address hostname client-DUID
		f := strings.Fields(line)
		if len(f) < 5 {
			continue
		}
		if a, err := netip.ParseAddr(f[2]); err == nil && a.Is6() {
			out[a] = f[4]
		}
	}
	return out
}
