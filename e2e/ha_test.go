//go:build linux

package e2e

import (
	"context"
	"fmt"
	"net"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/leased/leased/control"
	"github.com/leased/leased/internal/testnet"
)

// haNodeConfig is the configuration of one leased of an HA pair on a
// shared segment: DHCP on lan0, its HTTP control listener on its own
// address (where its partner sends heartbeats and lease updates), and
// Kea's libdhcp_ha.so hook entry, hot-standby with short delays.
func haNodeConfig(dir, this, addr string) string {
	return fmt.Sprintf(`{"Dhcp4": {
		"interfaces-config": {"interfaces": ["lan0"]},
		"lease-database": {"type": "memfile", "persist": true, "name": %q},
		"valid-lifetime": 600,
		"control-sockets": [
			{"socket-type": "unix", "socket-name": %q},
			{"socket-type": "http", "socket-address": %q, "socket-port": 8000}],
		"hooks-libraries": [
			{"library": "/usr/lib/x86_64-linux-gnu/kea/hooks/libdhcp_lease_cmds.so"},
			{"library": "/usr/lib/x86_64-linux-gnu/kea/hooks/libdhcp_ha.so", "parameters": {"high-availability": [{
				"this-server-name": %q, "mode": "hot-standby",
				"heartbeat-delay": 200, "max-response-delay": 1500, "max-ack-delay": 100, "max-unacked-clients": 0,
				"peers": [{"name": "server1", "url": "http://192.0.2.1:8000/", "role": "primary"},
				          {"name": "server2", "url": "http://192.0.2.2:8000/", "role": "standby"}]}]}}],
		"subnet4": [{"id": 1, "subnet": "192.0.2.0/24", "pools": [{"pool": "192.0.2.100 - 192.0.2.199"}]}]}}`,
		filepath.Join(dir, "dhcp4.leases"), filepath.Join(dir, "ctl.sock"), addr, this)
}

// haCall sends a command to a server's unix control socket.
func haCall(t *testing.T, sock, cmd string, args any) *control.Response {
	t.Helper()
	r, err := (&control.Client{Target: sock}).Call(context.Background(), cmd, args)
	if err != nil {
		t.Fatalf("%s to %s: %v", cmd, sock, err)
	}
	return r
}

// haState returns a server's HA state and the reason status-get gives.
func haState(t *testing.T, sock string) (state, reason string) {
	t.Helper()
	var st struct {
		HA []struct {
			Servers struct {
				Local struct {
					State  string `json:"state"`
					Reason string `json:"reason"`
				} `json:"local"`
			} `json:"ha-servers"`
		} `json:"high-availability"`
	}
	if err := haCall(t, sock, "status-get", nil).Decode(&st); err != nil || len(st.HA) != 1 {
		t.Fatalf("status-get of %s: %v %+v", sock, err, st)
	}
	return st.HA[0].Servers.Local.State, st.HA[0].Servers.Local.Reason
}

func waitHAState(t *testing.T, srv *server, sock, want string) {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for {
		state, reason := haState(t, sock)
		if state == want {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s is %s (%s), want %s%s", sock, state, reason, want, srv.lastLog())
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// haLeases returns a server's leases, address → client and times.
func haLeases(t *testing.T, sock string) map[string]string {
	t.Helper()
	var all struct {
		Leases []struct {
			IP    string `json:"ip-address"`
			HW    string `json:"hw-address"`
			CLTT  int64  `json:"cltt"`
			Valid uint32 `json:"valid-lft"`
		} `json:"leases"`
	}
	r := haCall(t, sock, "lease4-get-all", nil)
	if r.Result == control.Success {
		if err := r.Decode(&all); err != nil {
			t.Fatal(err)
		}
	}
	out := map[string]string{}
	for _, l := range all.Leases {
		out[l.IP] = fmt.Sprintf("%s %d %d", l.HW, l.CLTT, l.Valid)
	}
	return out
}

// TestHAPairFailover runs two `leased serve` processes as a hot-standby
// pair on one Ethernet segment (a bridge), each configured by Kea's
// libdhcp_ha.so hook entry, with real DHCP clients (udhcpc) on the
// segment: the primary answers and the standby holds every lease the
// client got by the time it got it; kill -9 of the primary → the standby
// goes partner-down within max-response-delay and serves a new client;
// the primary restarted goes waiting, syncing, ready, hot-standby, and
// both stores are equal.
func TestHAPairFailover(t *testing.T) {
	needs(t, "udhcpc")
	br := testnet.NewBridge(t, "ha")
	ns1, ns2, cli := testnet.NewNS(t, "ha1"), testnet.NewNS(t, "ha2"), testnet.NewNS(t, "hacli")
	br.Attach(t, ns1, "lan0")
	br.Attach(t, ns2, "lan0")
	br.Attach(t, cli, "cli0")
	ns1.AddAddr(t, "lan0", "192.0.2.1/24")
	ns2.AddAddr(t, "lan0", "192.0.2.2/24")
	if err := cli.SetSysctl("net.ipv6.conf.default.disable_ipv6", "1"); err != nil {
		t.Fatal(err)
	}
	dir1, dir2 := t.TempDir(), t.TempDir()
	cfg1, cfg2 := filepath.Join(dir1, "kea-dhcp4.conf"), filepath.Join(dir2, "kea-dhcp4.conf")
	writeFile(t, cfg1, haNodeConfig(dir1, "server1", "192.0.2.1"))
	writeFile(t, cfg2, haNodeConfig(dir2, "server2", "192.0.2.2"))
	sock1, sock2 := filepath.Join(dir1, "ctl.sock"), filepath.Join(dir2, "ctl.sock")
	srv1 := newServer(t, ns1, cfg1, filepath.Join(dir1, "dhcp4.leases"))
	srv2 := newServer(t, ns2, cfg2, filepath.Join(dir2, "dhcp4.leases"))
	srv1.start()
	srv2.start()
	waitHAState(t, srv1, sock1, "hot-standby")
	waitHAState(t, srv2, sock2, "hot-standby")

	obtain := func(ifname string) testnet.Lease {
		t.Helper()
		mac := cli.AddMacvlan(t, "cli0", ifname, nil)
		c := testnet.NewClient(t, testnet.Udhcpc, cli, ifname, testnet.ClientOptions{Timeout: 20 * time.Second})
		l, err := c.Obtain(context.Background())
		if err != nil {
			t.Fatalf("client %s (%v): %v", ifname, mac, err)
		}
		c.Stop()
		var got struct {
			HW string `json:"hw-address"`
		}
		for _, sock := range []string{sock1, sock2} {
			if srv1.running() || sock == sock2 {
				r := haCall(t, sock, "lease4-get", map[string]any{"ip-address": l.Addr.String()})
				if r.Result != control.Success || r.Decode(&got) != nil || got.HW != net.HardwareAddr(mac).String() {
					t.Errorf("client %v bound %v: %s holds %q (%d %s)", mac, l.Addr, sock, got.HW, r.Result, r.Text)
				}
			}
		}
		return l
	}
	for i := 1; i <= 2; i++ {
		if l := obtain(fmt.Sprintf("c%d", i)); l.ServerID.String() != "192.0.2.1" {
			t.Errorf("client c%d served by %v, want the primary 192.0.2.1", i, l.ServerID)
		}
	}

	if err := srv1.kill(); err != nil {
		t.Fatal(err)
	}
	waitHAState(t, srv2, sock2, "partner-down")
	if l := obtain("c3"); l.ServerID.String() != "192.0.2.2" {
		t.Errorf("client c3 served by %v in partner-down, want the standby 192.0.2.2", l.ServerID)
	}

	srv1.start()
	waitHAState(t, srv1, sock1, "hot-standby")
	waitHAState(t, srv2, sock2, "hot-standby")
	out := srv1.cur.Output()
	for _, step := range []string{"waiting -> syncing", "syncing -> ready", "ready -> hot-standby"} {
		if !strings.Contains(out, step) {
			t.Errorf("the restarted primary's log has no transition %q", step)
		}
	}
	l1, l2 := haLeases(t, sock1), haLeases(t, sock2)
	if len(l1) != 3 || fmt.Sprint(l1) != fmt.Sprint(l2) {
		t.Errorf("stores after the restart:\nserver1 %v\nserver2 %v\nwant the same 3 leases", l1, l2)
	}
}
