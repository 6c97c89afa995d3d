//go:build linux

package e2e

import (
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

	"github.com/leased/leased/internal/testnet"
)

// Net is the standard topology (testnet.Pair) prepared for clients on
// macvlans of cli0 that take addresses in the same subnet as cli0 itself:
// each interface answers ARP only for its own addresses, so that a server
// reaches a leased address on the interface that holds it.
type Net struct {
	*testnet.Pair
}

// NewNet builds the topology. It requires root and ip.
func NewNet(t *testing.T) *Net {
	t.Helper()
	testnet.RequireRoot(t)
	p := testnet.NewPair(t)
	for _, kv := range [][2]string{
		{"net.ipv4.conf.all.arp_ignore", "1"},
		{"net.ipv4.conf.all.arp_announce", "2"},
		{"net.ipv4.conf.default.arp_ignore", "1"},
		{"net.ipv4.conf.default.arp_announce", "2"},
		{"net.ipv4.conf.all.rp_filter", "0"},
		{"net.ipv4.conf.default.rp_filter", "0"},
	} {
		if err := p.Client.SetSysctl(kv[0], kv[1]); err != nil {
			t.Fatal(err)
		}
	}
	return &Net{Pair: p}
}

// AddrsOf returns the IPv4 addresses of ifname in the client namespace,
// failing the test on error.
func (n *Net) AddrsOf(t *testing.T, ifname string) []netip.Prefix {
	t.Helper()
	a, err := n.Client.Addrs(ifname)
	if err != nil {
		t.Fatal(err)
	}
	return a
}

// KeaConfig is what StartKea serves.
type KeaConfig struct {
	Iface         string // default testnet.PairServerIf
	Subnet        string // default 192.0.2.0/24
	Pool          string // default "192.0.2.100 - 192.0.2.199"
	Valid         int    // valid lifetime, seconds; default 3600
	Renew, Rebind int    // T1, T2 in seconds; 0 leaves them out
	Authoritative bool
	// Leases is the memfile to use; default a new file in a new
	// temporary directory. Reuse one to keep leases across restarts.
	Leases string
}

// Kea is a running kea-dhcp4.
type Kea struct {
	Proc   *testnet.Proc
	Dir    string
	Config KeaConfig
	log    string
}

// StartKea runs kea-dhcp4 in ns with raw sockets on cfg.Iface and waits
// until it listens.
func StartKea(t *testing.T, ns *testnet.NS, cfg KeaConfig) *Kea {
	t.Helper()
	testnet.RequireBinaries(t, "kea-dhcp4")
	if cfg.Iface == "" {
		cfg.Iface = testnet.PairServerIf
	}
	if cfg.Subnet == "" {
		cfg.Subnet = "192.0.2.0/24"
	}
	if cfg.Pool == "" {
		cfg.Pool = "192.0.2.100 - 192.0.2.199"
	}
	if cfg.Valid == 0 {
		cfg.Valid = 3600
	}
	dir := t.TempDir()
	if cfg.Leases == "" {
		cfg.Leases = filepath.Join(dir, "kea-leases4.csv")
	}
	k := &Kea{Dir: dir, Config: cfg, log: filepath.Join(dir, "kea.log")}
	d4 := map[string]any{
		"interfaces-config": map[string]any{"interfaces": []string{cfg.Iface}, "dhcp-socket-type": "raw"},
		"lease-database":    map[string]any{"type": "memfile", "persist": true, "name": cfg.Leases, "lfc-interval": 0},
		"valid-lifetime":    cfg.Valid,
		"authoritative":     cfg.Authoritative,
		"subnet4": []any{map[string]any{
			"id": 1, "subnet": cfg.Subnet,
			"pools": []any{map[string]any{"pool": cfg.Pool}},
			"option-data": []any{
				map[string]any{"name": "routers", "data": testnet.ServerAddr},
				map[string]any{"name": "domain-name-servers", "data": testnet.ServerAddr},
				map[string]any{"name": "domain-name", "data": "e2e.test"},
			},
		}},
		"loggers": []any{map[string]any{
			"name": "kea-dhcp4", "severity": "DEBUG", "debuglevel": 40,
			"output_options": []any{map[string]any{"output": k.log}},
		}},
	}
	if cfg.Renew > 0 {
		d4["renew-timer"] = cfg.Renew
	}
	if cfg.Rebind > 0 {
		d4["rebind-timer"] = cfg.Rebind
	}
	js, err := json.MarshalIndent(map[string]any{"Dhcp4": d4}, "", "  ")
	if err != nil {
		t.Fatal(err)
	}
	conf := filepath.Join(dir, "kea-dhcp4.conf")
	if err := os.WriteFile(conf, js, 0o644); err != nil {
		t.Fatal(err)
	}
	p, err := ns.Start(context.Background(), "env", "KEA_PIDFILE_DIR="+dir, "KEA_LOCKFILE_DIR="+dir, "kea-dhcp4", "-c", conf)
	if err != nil {
		t.Fatal(err)
	}
	k.Proc = p
	t.Cleanup(func() {
		if t.Failed() {
			b, _ := os.ReadFile(k.log)
			s := string(b)
			if len(s) > 12000 {
				s = s[len(s)-12000:]
			}
			t.Logf("kea log (%s):\n%s", k.log, s)
		}
	})
	ctx, cancel := context.WithTimeout(context.Background(), 15*time.Second)
	defer cancel()
	if err := ns.WaitUDPListen(ctx, 67); err != nil {
		_ = p.Stop(time.Second)
		t.Fatalf("kea-dhcp4 did not start: %v\n%s", err, p.Output())
	}
	return k
}

// Stop stops Kea.
func (k *Kea) Stop(t *testing.T) {
	t.Helper()
	if err := k.Proc.Stop(5 * time.Second); err != nil {
		t.Fatal(err)
	}
}

// Log returns Kea's log so far.
func (k *Kea) Log() string {
	b, _ := os.ReadFile(k.log)
	return string(b)
}

// KeaLease is the last state of one address in Kea's memfile.
type KeaLease struct {
	Addr     netip.Addr
	HW       net.HardwareAddr
	ClientID string
	Valid    int
	Expire   time.Time
	Hostname string
	State    int // 0 default, 1 declined, 2 expired-reclaimed
}

// Leases reads the memfile: the last line for each address, which is the
// lease's current state (a deleted lease's last line has valid lifetime
// 0).
func (k *Kea) Leases(t *testing.T) map[netip.Addr]KeaLease {
	t.Helper()
	b, err := os.ReadFile(k.Config.Leases)
	if err != nil {
		t.Fatal(err)
	}
	out := map[netip.Addr]KeaLease{}
	for i, line := range strings.Split(string(b), "\n") {
		f := strings.Split(line, ",")
		if i == 0 || len(f) < 10 {
			continue
		}
		a, err := netip.ParseAddr(f[0])
		if err != nil {
			continue
		}
		hw, _ := net.ParseMAC(f[1])
		valid, _ := strconv.Atoi(f[3])
		exp, _ := strconv.ParseInt(f[4], 10, 64)
		state, _ := strconv.Atoi(f[9])
		out[a] = KeaLease{Addr: a, HW: hw, ClientID: f[2], Valid: valid, Expire: time.Unix(exp, 0), Hostname: f[8], State: state}
	}
	return out
}

// Eventually polls cond every 50 ms until it returns nil or timeout
// passes, and then fails the test with cond's last error.
func Eventually(t *testing.T, timeout time.Duration, what string, cond func() error) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for {
		err := cond()
		if err == nil {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s: not within %v: %v", what, timeout, err)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// HasAddr reports whether addrs holds a.
func HasAddr(addrs []netip.Prefix, a netip.Addr) bool {
	for _, p := range addrs {
		if p.Addr() == a {
			return true
		}
	}
	return false
}

// Describe formats addresses for messages.
func Describe(addrs []netip.Prefix) string {
	s := make([]string, len(addrs))
	for i, a := range addrs {
		s[i] = a.String()
	}
	return "[" + strings.Join(s, " ") + "]"
}

var _ = fmt.Sprint
