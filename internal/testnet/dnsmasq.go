//go:build linux

package testnet

import (
	"bufio"
	"context"
	"fmt"
	"net"
	"net/netip"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"
)

// DnsmasqConfig configures StartDnsmasq.
type DnsmasqConfig struct {
	Iface   string   // the interface to serve on (required)
	Ranges  []string // --dhcp-range values: "192.0.2.100,192.0.2.199,255.255.255.0,2h"
	Options []string // --dhcp-option values: "option:router,192.0.2.1"
	Args    []string // further dnsmasq arguments
}

// PairDnsmasqConfig serves the Pair topology like the bench harness does:
// DirectNet's pool and RelayNet's pool, two-hour leases, router and DNS
// server ServerAddr.
func PairDnsmasqConfig() DnsmasqConfig {
	return DnsmasqConfig{
		Iface: PairServerIf,
		Ranges: []string{
			DirectPoolFirst + "," + DirectPoolLast + ",255.255.255.0,2h",
			RelayPoolFirst + "," + RelayPoolLast + ",255.255.0.0,2h",
		},
		Options: []string{"option:router," + ServerAddr, "option:dns-server," + ServerAddr},
	}
}

// Dnsmasq is a dnsmasq DHCP server (DNS off) started by StartDnsmasq.
type Dnsmasq struct {
	proc      *Proc
	leaseFile string
	logFile   string
}

// StartDnsmasq runs dnsmasq in ns as a DHCP-only reference server: in the
// foreground, DNS disabled (--port=0), no config file, bound to cfg.Iface
// only, authoritative, no ping before offers, with its lease, pid and log
// files in the test's temporary directory. It returns once dnsmasq listens
// on UDP port 67, and stops it when the test ends.
func StartDnsmasq(t testing.TB, ns *NS, cfg DnsmasqConfig) *Dnsmasq {
	t.Helper()
	RequireBinaries(t, "dnsmasq")
	if cfg.Iface == "" {
		t.Fatal("StartDnsmasq: no interface")
	}
	dir := t.TempDir()
	d := &Dnsmasq{leaseFile: filepath.Join(dir, "dnsmasq.leases"), logFile: filepath.Join(dir, "dnsmasq.log")}
	if err := os.WriteFile(d.leaseFile, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	args := []string{
		"--keep-in-foreground", "--conf-file=/dev/null", "--port=0",
		"--no-resolv", "--no-hosts", "--user=root", "--group=root",
		"--pid-file=" + filepath.Join(dir, "dnsmasq.pid"),
		"--log-facility=" + d.logFile,
		"--interface=" + cfg.Iface, "--except-interface=lo", "--bind-interfaces",
		"--dhcp-authoritative", "--no-ping", "--dhcp-lease-max=70000",
		"--dhcp-leasefile=" + d.leaseFile,
	}
	for _, r := range cfg.Ranges {
		args = append(args, "--dhcp-range="+r)
	}
	for _, o := range cfg.Options {
		args = append(args, "--dhcp-option="+o)
	}
	args = append(args, cfg.Args...)
	p, err := ns.Start(context.Background(), "dnsmasq", args...)
	if err != nil {
		t.Fatal(err)
	}
	d.proc = p
	t.Cleanup(func() {
		if t.Failed() {
			t.Logf("dnsmasq log:%s", IndentOutput(Tail(d.Log(), 8192)))
		}
	})
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := ns.WaitUDPListen(ctx, 67); err != nil {
		p.Stop(time.Second)
		t.Fatalf("dnsmasq did not start: %v\n\toutput:%s\n\tlog:%s", err, IndentOutput(p.Output()), IndentOutput(d.Log()))
	}
	return d
}

// DnsmasqLease is one line of dnsmasq's lease file.
type DnsmasqLease struct {
	Expiry   time.Time
	MAC      net.HardwareAddr
	Addr     netip.Addr
	Hostname string // "*" when unknown
	ClientID string // "*" when none
}

// Leases reads dnsmasq's lease file.
func (d *Dnsmasq) Leases() ([]DnsmasqLease, error) {
	f, err := os.Open(d.leaseFile)
	if err != nil {
		return nil, fmt.Errorf("dnsmasq leases: %w", err)
	}
	defer f.Close()
	var out []DnsmasqLease
	sc := bufio.NewScanner(f)
	for n := 1; sc.Scan(); n++ {
		fs := strings.Fields(sc.Text())
		if len(fs) == 0 {
			continue
		}
		if len(fs) < 5 {
			return nil, fmt.Errorf("dnsmasq leases line %d: %q: want 5 fields", n, sc.Text())
		}
		exp, err1 := strconv.ParseInt(fs[0], 10, 64)
		mac, err2 := net.ParseMAC(fs[1])
		addr, err3 := netip.ParseAddr(fs[2])
		if err1 != nil || err2 != nil || err3 != nil {
			return nil, fmt.Errorf("dnsmasq leases line %d: %q: bad expiry, MAC or address", n, sc.Text())
		}
		out = append(out, DnsmasqLease{Expiry: time.Unix(exp, 0), MAC: mac, Addr: addr, Hostname: fs[3], ClientID: fs[4]})
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("dnsmasq leases: %w", err)
	}
	return out, nil
}

// LeaseFor returns dnsmasq's lease for a MAC address, if it has one.
func (d *Dnsmasq) LeaseFor(mac net.HardwareAddr) (DnsmasqLease, bool, error) {
	ls, err := d.Leases()
	if err != nil {
		return DnsmasqLease{}, false, err
	}
	for _, l := range ls {
		if l.MAC.String() == mac.String() {
			return l, true, nil
		}
	}
	return DnsmasqLease{}, false, nil
}

// Log returns dnsmasq's log.
func (d *Dnsmasq) Log() string {
	b, err := os.ReadFile(d.logFile)
	if err != nil {
		return fmt.Sprintf("(log unavailable: %v)", err)
	}
	return string(b)
}

// Stop stops dnsmasq.
func (d *Dnsmasq) Stop() error { return d.proc.Stop(5 * time.Second) }
