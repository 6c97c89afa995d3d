//go:build linux

package manager_test

import (
	"encoding/json"
	"errors"
	"io/fs"
	"log/slog"
	"net/netip"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/leased/leased/client/internal/e2e"
	"github.com/leased/leased/client/leasefile"
	"github.com/leased/leased/client/manager"
	"github.com/leased/leased/internal/testnet"
)

// newEnv6 writes the configuration of a manager running DHCPv6 alone on
// the Net6 client interface with the given "dhcp6" map.
func newEnv6(t *testing.T, n *testnet.Net6, dhcp6 map[string]any) *env {
	t.Helper()
	dir := t.TempDir()
	e := &env{t: t, dir: dir, cfg: filepath.Join(dir, "client.json"), sock: filepath.Join(dir, "client.sock"),
		leases: filepath.Join(dir, "leases"), ifaces: []string{testnet.Net6ClientIf}, n: &e2e.Net{Pair: &testnet.Pair{Client: n.Client, Server: n.Server}}}
	b, _ := json.Marshal(map[string]any{"Client4": map[string]any{
		"lease-directory": e.leases,
		"control-socket":  map[string]any{"socket-type": "unix", "socket-name": e.sock},
		"restart-backoff": map[string]any{"initial": 0.3, "max": 1.2, "reset-after": 60},
		"interfaces":      []any{map[string]any{"interface": testnet.Net6ClientIf, "dhcp4": false, "dhcp6": dhcp6}},
	}})
	if err := os.WriteFile(e.cfg, b, 0o644); err != nil {
		t.Fatal(err)
	}
	return e
}

// bound6 reports a DHCPv6 client BOUND with na addresses and pd
// prefixes.
func bound6(na, pd int) func(manager.Status) bool {
	return func(s manager.Status) bool {
		return s.DHCP6 != nil && s.DHCP6.State == "BOUND" && len(s.DHCP6.Addresses) == na && len(s.DHCP6.Prefixes) == pd
	}
}

// TestE2EDHCPv6Servers: the manager against dibbler-server (the server
// family RDK-B uses) and dnsmasq, side by side. Against each it obtains
// its leases, renews them, resumes them after kill -9 without a Solicit
// (Rebind with a delegated prefix, Confirm with addresses only, RFC 8415
// §18.2.12), and releases them through its control socket; dibbler,
// restarted without its record of the client, answers a Renew with
// NoBinding and the manager requests the IAs again.
func TestE2EDHCPv6Servers(t *testing.T) {
	t.Run("dibbler", func(t *testing.T) {
		t.Parallel()
		n := testnet.NewNet6(t)
		d := testnet.StartDibbler(t, n, testnet.DibblerConfig{T1: 3, T2: 8, Preferred: 15, Valid: 20})
		e := newEnv6(t, n, map[string]any{
			"ia-na": []any{map[string]any{"iaid": 1}},
			"ia-pd": []any{map[string]any{"iaid": 2, "hints": []string{"::/56"}}},
		})
		name := testnet.Net6ClientIf
		e.start()
		st := e.waitFor(30*time.Second, "an address and a prefix", bound6(1, 1))[name]
		addr, pfx := st.DHCP6.Addresses[0], st.DHCP6.Prefixes[0]
		if p := netip.MustParsePrefix(pfx); p.Bits() != testnet.Net6PDLen {
			t.Errorf("delegated %v, want a /%d", p, testnet.Net6PDLen)
		}
		first := received6(t, st)
		st = e.waitFor(15*time.Second, "renewed at T1", func(s manager.Status) bool {
			return bound6(1, 1)(s) && s.DHCP6.Sent["RENEW"] > 0 && received6(t, s).After(first)
		})[name]

		// kill -9 and a restart: Rebind, no Solicit, the same leases.
		cp := n.Client.CaptureUDP(t, name, 546, 547)
		e.kill9()
		e.start()
		st = e.waitFor(20*time.Second, "rebound after the restart", func(s manager.Status) bool {
			return bound6(1, 1)(s) && s.DHCP6.Sent["REBIND"] > 0
		})[name]
		if st.DHCP6.Addresses[0] != addr || st.DHCP6.Prefixes[0] != pfx {
			t.Errorf("after the restart %v %v; before %s %s", st.DHCP6.Addresses, st.DHCP6.Prefixes, addr, pfx)
		}
		if seq := wire6(t, cp); len(seq) < 2 || seq[0] != "REBIND" || seq[1] != "REPLY" || slices.Contains(seq, "SOLICIT") {
			t.Errorf("on the wire after the restart: %v; want REBIND, REPLY and no SOLICIT", seq)
		}

		// dibbler forgets the client: NoBinding, then a Request.
		cp = n.Client.CaptureUDP(t, name, 546, 547)
		requests := st.DHCP6.Sent["REQUEST"]
		d.Restart(t, true)
		st = e.waitFor(30*time.Second, "the IAs requested again", func(s manager.Status) bool {
			return bound6(1, 1)(s) && s.DHCP6.Sent["REQUEST"] > requests
		})[name]
		seq := wire6(t, cp)
		i := slices.IndexFunc(seq, func(s string) bool { return strings.HasPrefix(s, "REPLY(NoBinding") })
		// The Renew at T1 normally meets the restarted dibbler; one sent
		// while it was down leaves the answer to a Rebind.
		if i < 1 || i+1 >= len(seq) || seq[i+1] != "REQUEST" || (seq[i-1] != "RENEW" && seq[i-1] != "REBIND") {
			t.Errorf("on the wire: %v; want RENEW (or REBIND), REPLY with NoBinding, REQUEST", seq)
		}
		releaseThroughCtl(t, e, n)
	})

	t.Run("dnsmasq", func(t *testing.T) {
		t.Parallel()
		n := testnet.NewNet6(t)
		testnet.StartDnsmasq6(t, n, 120) // dnsmasq's shortest lease: renewals come on demand
		e := newEnv6(t, n, map[string]any{"ia-na": []any{map[string]any{"iaid": 1}}})
		name := testnet.Net6ClientIf
		e.start()
		st := e.waitFor(30*time.Second, "an address", bound6(1, 0))[name]
		addr := st.DHCP6.Addresses[0]
		first := received6(t, st)
		if r, err := e.call("renew", map[string]any{"interface": name}); err != nil || r.Result != 0 {
			t.Fatalf("renew: %v %+v", err, r)
		}
		st = e.waitFor(15*time.Second, "renewed", func(s manager.Status) bool {
			return bound6(1, 0)(s) && s.DHCP6.Sent["RENEW"] > 0 && received6(t, s).After(first)
		})[name]
		if st.DHCP6.Addresses[0] != addr {
			t.Errorf("renewed %v, had %s", st.DHCP6.Addresses, addr)
		}

		// kill -9 and a restart: addresses only, so Confirm, no Solicit.
		cp := n.Client.CaptureUDP(t, name, 546, 547)
		e.kill9()
		e.start()
		st = e.waitFor(20*time.Second, "confirmed after the restart", func(s manager.Status) bool {
			return bound6(1, 0)(s) && s.DHCP6.Sent["CONFIRM"] > 0
		})[name]
		if st.DHCP6.Addresses[0] != addr {
			t.Errorf("after the restart %v; before %s", st.DHCP6.Addresses, addr)
		}
		if seq := wire6(t, cp); len(seq) < 2 || seq[0] != "CONFIRM" || seq[1] != "REPLY" || slices.Contains(seq, "SOLICIT") {
			t.Errorf("on the wire after the restart: %v; want CONFIRM, REPLY and no SOLICIT", seq)
		}
		releaseThroughCtl(t, e, n)
	})
}

// releaseThroughCtl releases the DHCPv6 leases through the control
// socket as `leased ctl release` does, and checks that a Release went
// out and that the addresses and the lease file are gone.
func releaseThroughCtl(t *testing.T, e *env, n *testnet.Net6) {
	t.Helper()
	name := testnet.Net6ClientIf
	st, err := e.status()
	if err != nil {
		t.Fatal(err)
	}
	addrs := st[name].DHCP6.Addresses
	cp := n.Client.CaptureUDP(t, name, 546, 547)
	out := ctl(t, e, "release", map[string]any{"interface": name})
	if !strings.Contains(out, "dhcp6:") || !strings.Contains(out, "RELEASED") {
		t.Errorf("leased ctl release answered:\n%s", out)
	}
	if seq := wire6(t, cp); !slices.Contains(seq, "RELEASE") {
		t.Errorf("on the wire: %v; want a RELEASE", seq)
	}
	for _, a := range addrs {
		if onLink(t, n.Client, name, netip.PrefixFrom(netip.MustParseAddr(a), 128)) {
			t.Errorf("%s still on %s after the release", a, name)
		}
	}
	d, err := leasefile.Open(e.leases, slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := d.Load6(name); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("DHCPv6 lease file after the release: %v", err)
	}
	e.stop()
}
