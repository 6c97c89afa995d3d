//go:build linux

package e2e

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/leased/leased/dhcpv4"
	"github.com/leased/leased/internal/testnet"
)

// The secrets of processConfig. Neither may ever show in config-get or
// in the log.
const (
	apiUser     = "kea-api"
	apiPassword = "pa55-for-the-api"
	hookSecret  = "hook-secret-value-7"
	apiPort     = 8000
)

// The relay subnet (198.16.0.0/14, which holds the relay's address
// 198.18.0.1) and its pools: A is the pool of the first configuration;
// the second serves B first and keeps A, so that leases in A still renew
// while new clients get addresses from B. Each holds 2^17 addresses, room
// for the clients of every perfdhcp run at the rate of processRate.
const (
	poolAFirst, poolALast = "198.16.0.0", "198.17.255.255"
	poolBFirst, poolBLast = "198.18.1.0", "198.19.255.254"
	poolASize             = 1 << 17
)

// processConfig is the configuration of TestProcessControl: the Pair's
// link and relay subnets, a unix control socket and an HTTP one with
// basic authentication on the server namespace's loopback, and a hook
// parameter holding a secret. With newPool the relay subnet serves pool
// B before pool A.
func processConfig(dir, leaseFile string, newPool bool) string {
	pools := fmt.Sprintf(`{ "pool": "%s - %s" }`, poolAFirst, poolALast)
	if newPool {
		pools = fmt.Sprintf(`{ "pool": "%s - %s" }, %s`, poolBFirst, poolBLast, pools)
	}
	return fmt.Sprintf(`// leased e2e: the controllable process.
{
  "Dhcp4": {
    "interfaces-config": { "interfaces": [ "srv0" ] },
    "lease-database": { "type": "memfile", "persist": true, "name": %q, "lfc-interval": 3600 },
    "valid-lifetime": 3600,
    "renew-timer": 900,
    "rebind-timer": 1800,
    "control-sockets": [
      { "socket-type": "unix", "socket-name": %q },
      {
        "socket-type": "http", "socket-address": "127.0.0.1", "socket-port": %d,
        "authentication": { "type": "basic", "realm": "leased-e2e",
          "clients": [ { "user": %q, "password": %q } ] }
      }
    ],
    "hooks-libraries": [
      { "library": "/usr/lib/x86_64-linux-gnu/kea/hooks/libdhcp_lease_cmds.so",
        "parameters": { "api-secret": %q } }
    ],
    "subnet4": [
      { "id": 1, "subnet": "192.0.2.0/24", "interface": "srv0",
        "pools": [ { "pool": "192.0.2.100 - 192.0.2.199" } ],
        "option-data": [ { "name": "routers", "data": "192.0.2.1" } ] },
      { "id": 2, "subnet": "198.16.0.0/14",
        "pools": [ %s ],
        "option-data": [ { "name": "routers", "data": "198.18.0.1" } ] }
    ]
  }
}
`, leaseFile, filepath.Join(dir, "leased.sock"), apiPort, apiUser, apiPassword, hookSecret, pools)
}

// TestProcessControl shows the controllable-process issue end to end, on
// one leased serving a Pair: a second instance is refused by the PID
// file; `leased serve -T` checks without touching the network; `leased
// ctl` lists the lease dhclient got; kea-shell talks to the HTTP control
// socket with basic authentication; perfdhcp runs while SIGHUP brings a
// broken configuration (kept out, error logged with its position, no
// more drops than without SIGHUP) and then a changed pool (new clients
// get the new pool, existing leases renew); no secret ever shows; and
// SIGTERM under load leaves a clean state that the next start loads with
// every acknowledged lease.
func TestProcessControl(t *testing.T) {
	needs(t, "perfdhcp", "dhclient", "kea-shell", "strace", "unshare", "mount")
	p := testnet.NewPair(t)
	if err := p.Client.SetSysctl("net.ipv6.conf.default.disable_ipv6", "1"); err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	leaseFile := filepath.Join(dir, "db", "dhcp4.leases")
	cfg := filepath.Join(dir, "kea-dhcp4.conf")
	sock := filepath.Join(dir, "leased.sock")
	pidFile := filepath.Join(dir, "db", "kea-dhcp4.leased.pid")
	good := processConfig(dir, leaseFile, false)
	writeFile(t, cfg, good)
	srv := newServer(t, p.Server, cfg, leaseFile)
	srv.start()
	ctl := &ctlRunner{t: t, ns: p.Server, sock: sock}

	t.Run("second-instance", func(t *testing.T) {
		out, err := p.Server.Run(t.Context(), leasedBin, "serve", "-c", cfg)
		if code := exitCode(err); code != 1 {
			t.Fatalf("a second leased on the same configuration exited %d (%v), want 1:%s", code, err, testnet.IndentOutput(out))
		}
		if want := fmt.Sprintf("leased is already running as process %d (PID file %s)", srv.cur.Pid(), pidFile); !strings.Contains(out, want) {
			t.Errorf("second instance's message lacks %q:%s", want, testnet.IndentOutput(out))
		}
		if !srv.running() {
			t.Fatalf("the first leased died%s", srv.lastLog())
		}
	})

	t.Run("check-T", func(t *testing.T) {
		out, calls := checkOutput(t, p.Server, dir, 0, leasedBin, "serve", "-T", cfg)
		if !strings.Contains(out, "lease-database "+leaseFile+": 0 leases") {
			t.Errorf("leased serve -T did not read the lease database:%s", testnet.IndentOutput(out))
		}
		if len(calls) > 0 {
			t.Errorf("leased serve -T made network system calls:%s", testnet.IndentOutput(strings.Join(calls, "\n")))
		}
	})

	// dhclient gets a lease on the link; leased ctl lists it.
	ifname, mac := p.AddClientLink(t)
	dhc := testnet.NewClient(t, testnet.Dhclient, p.Client, ifname, clientOpts)
	got, err := dhc.Obtain(t.Context())
	if err != nil {
		t.Fatalf("dhclient: %v%s", err, srv.lastLog())
	}
	t.Logf("dhclient %v got %v", mac, got.Addr)
	t.Run("ctl-lists-dhclient", func(t *testing.T) {
		out := ctl.run("lease4-get-all")
		t.Logf("leased ctl lease4-get-all:%s", testnet.IndentOutput(out))
		row := regexp.MustCompile(`(?m)^` + regexp.QuoteMeta(got.Addr.String()) + `\s+` + regexp.QuoteMeta(mac.String()) + `\s.*\s1\s+default\s`)
		if !row.MatchString(out) || !strings.HasPrefix(out, "ADDRESS") {
			t.Errorf("leased ctl lease4-get-all has no row for %v %v:%s", got.Addr, mac, testnet.IndentOutput(out))
		}
		out = ctl.runWith("-c", cfg, "lease4-get", fmt.Sprintf(`{"ip-address": %q}`, got.Addr))
		if !row.MatchString(out) {
			t.Errorf("leased ctl -c CONFIG lease4-get %v:%s", got.Addr, testnet.IndentOutput(out))
		}
		out = ctl.run("statistic-get", `{"name": "subnet[1].assigned-addresses"}`)
		if !regexp.MustCompile(`(?m)^subnet\[1\]\.assigned-addresses\s+1\s`).MatchString(out) {
			t.Errorf("statistics table:%s", testnet.IndentOutput(out))
		}
	})

	t.Run("kea-shell", func(t *testing.T) {
		var cmds []string
		shell(t, p.Server, "list-commands", &cmds)
		for _, c := range []string{"config-get", "lease4-get-all", "statistic-get", "shutdown"} {
			if !contains(cmds, c) {
				t.Errorf("list-commands over HTTP lacks %s: %v", c, cmds)
			}
		}
		var conf map[string]json.RawMessage
		text := shell(t, p.Server, "config-get", &conf)
		t.Logf("kea-shell config-get: %.400s...", text)
		var hash string
		if err := json.Unmarshal(conf["hash"], &hash); err != nil || !regexp.MustCompile(`^[0-9A-F]{64}$`).MatchString(hash) {
			t.Errorf("config-get hash %s", conf["hash"])
		}
		if _, ok := conf["Dhcp4"]; !ok {
			t.Errorf("config-get has no Dhcp4 map")
		}
		noSecrets(t, "config-get over HTTP", text)
		if strings.Count(text, `"*****"`) != 2 {
			t.Errorf("config-get over HTTP should show the password and the hook secret as *****:%s", testnet.IndentOutput(text))
		}
		var leases struct {
			Leases []struct {
				IP string `json:"ip-address"`
				HW string `json:"hw-address"`
			} `json:"leases"`
		}
		shell(t, p.Server, "lease4-get-all", &leases)
		found := false
		for _, l := range leases.Leases {
			found = found || (l.IP == got.Addr.String() && l.HW == mac.String())
		}
		if !found {
			t.Errorf("lease4-get-all over HTTP lacks %v %v: %+v", got.Addr, mac, leases)
		}
		out, err := p.Server.Run(t.Context(), "env", "-u", "http_proxy", "-u", "HTTP_PROXY", "kea-shell",
			"--host", "127.0.0.1", "--port", fmt.Sprint(apiPort), "--auth-user", apiUser, "--auth-password", "wrong", "list-commands")
		if err == nil || !strings.Contains(out, "401") {
			t.Errorf("kea-shell with a wrong password: %v%s", err, testnet.IndentOutput(out))
		}
	})

	// Prometheus scrapes /metrics on the same listener, behind the same
	// authentication.
	t.Run("metrics", func(t *testing.T) {
		scrape := func(user, pw string) string {
			var out []byte
			err := p.Server.Do(func() error {
				c, err := net.DialTimeout("tcp", fmt.Sprintf("127.0.0.1:%d", apiPort), 5*time.Second)
				if err != nil {
					return err
				}
				defer c.Close()
				c.SetDeadline(time.Now().Add(10 * time.Second))
				cred := base64.StdEncoding.EncodeToString([]byte(user + ":" + pw))
				if _, err := fmt.Fprintf(c, "GET /metrics HTTP/1.0\r\nAuthorization: Basic %s\r\n\r\n", cred); err != nil {
					return err
				}
				out, err = io.ReadAll(c)
				return err
			})
			if err != nil {
				t.Fatalf("GET /metrics: %v", err)
			}
			return string(out)
		}
		if out := scrape(apiUser, "wrong"); !strings.HasPrefix(out, "HTTP/1.0 401") {
			t.Errorf("GET /metrics with a wrong password:%s", testnet.IndentOutput(out))
		}
		out := scrape(apiUser, apiPassword)
		if !strings.HasPrefix(out, "HTTP/1.0 200") || !strings.Contains(out, "leased_pkt4_received") || !strings.Contains(out, `leased_subnet_total_addresses{subnet_id="1"}`) {
			t.Errorf("GET /metrics: want Kea's statistics in Prometheus form:%.2000s", testnet.IndentOutput(out))
		}
	})

	// perfdhcp through the relay: a run without SIGHUP, then one with a
	// broken configuration sent by SIGHUP.
	rate, secs := processRate(t), 3
	base := perf(t, p, srv, rate, secs, 0x10, nil)
	// A run with SIGHUP may drop no more than the run without, give or
	// take one exchange in a thousand: on a loaded 2-core machine with
	// the race detector, perfdhcp itself loses the odd exchange whatever
	// the server does. A reload that stalled or dropped the socket loses
	// far more. bench/reload.sh measures the same at half the knee.
	baseDrops := drops(base)
	dropSlack := 1 + int64(rate*secs)/1000
	t.Run("statistics", func(t *testing.T) { checkStatistics(t, srv, ctl, base) })
	hash0 := ctl.hash()

	t.Run("sighup-broken", func(t *testing.T) {
		broken := strings.Replace(good, `"valid-lifetime": 3600`, `"valid-lifetime": "an hour"`, 1)
		writeFile(t, cfg, broken)
		rep := perf(t, p, srv, rate, secs, 0x20, func() {
			if err := srv.cur.Signal(syscall.SIGHUP); err != nil {
				t.Error(err)
			}
		})
		if d := drops(rep); d > baseDrops+dropSlack {
			t.Errorf("%d exchanges dropped with SIGHUP and a broken configuration, %d without (%d allowed for noise)", d, baseDrops, dropSlack)
		}
		want := regexp.MustCompile(regexp.QuoteMeta(cfg+":"+posOf(broken, `"an hour"`, 1)) + `: error: valid-lifetime`)
		if !want.MatchString(srv.log()) {
			t.Errorf("no error at %s:%s in the log%s", cfg, posOf(broken, `"an hour"`, 1), srv.lastLog())
		}
		if !strings.Contains(srv.log(), "configuration not reloaded; the previous one stays in force") {
			t.Errorf("the log does not say the configuration was kept%s", srv.lastLog())
		}
		if h := ctl.hash(); h != hash0 {
			t.Errorf("the configuration hash changed from %s to %s", hash0, h)
		}
	})

	// Leases in pool A, held by clients that will renew after the change.
	r, err := newRelay(p.Client, p.RelayAddr, p.ServerAddr)
	if err != nil {
		t.Fatal(err)
	}
	var before []ack
	for i := range 20 {
		a, err := r.dora(t.Context(), macFor(0x30, uint32(i)), 300*time.Millisecond, 4)
		if err != nil {
			t.Fatal(err)
		}
		if !inRange(a.addr, poolAFirst, poolALast) {
			t.Errorf("%s got %v, outside pool A", a.mac, a.addr)
		}
		before = append(before, a)
	}
	r.Close()

	t.Run("sighup-new-pool", func(t *testing.T) {
		writeFile(t, cfg, processConfig(dir, leaseFile, true))
		rep := perf(t, p, srv, rate, secs, 0x40, func() {
			if err := srv.cur.Signal(syscall.SIGHUP); err != nil {
				t.Error(err)
			}
		})
		if d := drops(rep); d > baseDrops+dropSlack {
			t.Errorf("%d exchanges dropped with SIGHUP and a new pool, %d without (%d allowed for noise)", d, baseDrops, dropSlack)
		}
		if !strings.Contains(srv.log(), `msg="configuration applied"`) {
			t.Fatalf("the new configuration was not applied%s", srv.lastLog())
		}
		if h := ctl.hash(); h == hash0 {
			t.Errorf("the configuration hash did not change")
		}
		ls, err := srv.store()
		if err != nil {
			t.Fatal(err)
		}
		inB := 0
		for _, l := range ls {
			if inRange(l.Addr, poolBFirst, poolBLast) {
				inB++
			}
		}
		t.Logf("after the reload, perfdhcp's new clients hold %d leases in the new pool", inB)
		// SIGHUP came a quarter into the run, halfway through its new
		// clients (see perf): about rate*secs/4 came after the reload.
		if inB < rate*secs/8 {
			t.Errorf("%d leases in the new pool %s-%s after the reload; want about %d", inB, poolBFirst, poolBLast, rate*secs/4)
		}
		r, err := newRelay(p.Client, p.RelayAddr, p.ServerAddr)
		if err != nil {
			t.Fatal(err)
		}
		defer r.Close()
		for _, a := range before {
			hw, _ := net.ParseMAC(a.mac)
			rep, err := r.renew(t.Context(), hw, a.addr, 300*time.Millisecond, 4)
			switch {
			case err != nil:
				t.Errorf("renewal of %v for %s: %v", a.addr, a.mac, err)
			case rep.MessageType() != dhcpv4.Ack || rep.YIAddr() != a.addr:
				t.Errorf("renewal of %v for %s: %v of %v", a.addr, a.mac, rep.MessageType(), rep.YIAddr())
			}
		}
		for i := range 20 {
			a, err := r.dora(t.Context(), macFor(0x50, uint32(i)), 300*time.Millisecond, 4)
			if err != nil {
				t.Fatal(err)
			}
			if !inRange(a.addr, poolBFirst, poolBLast) {
				t.Errorf("new client %s got %v, outside the new pool %s-%s", a.mac, a.addr, poolBFirst, poolBLast)
			}
		}
		if l, err := dhc.Renew(t.Context()); err != nil || l.Addr != got.Addr {
			t.Errorf("dhclient renewal after the reload: %v %v", l.Addr, err)
		}
	})

	t.Run("dhcp-disable", func(t *testing.T) {
		r, err := newRelay(p.Client, p.RelayAddr, p.ServerAddr)
		if err != nil {
			t.Fatal(err)
		}
		defer r.Close()
		if out := ctl.run("dhcp-disable"); !strings.Contains(out, "DHCPv4 service disabled") {
			t.Errorf("dhcp-disable answered %q", out)
		}
		if out := ctl.runWith("-json", "status-get"); !strings.Contains(out, `"globally-disabled": true`) {
			t.Errorf("status-get while disabled:\n%s", out)
		}
		if a, err := r.dora(t.Context(), macFor(0x50, 0), 300*time.Millisecond, 2); err == nil {
			t.Errorf("the disabled service acknowledged %v", a.addr)
		}
		if out := ctl.run("dhcp-enable"); !strings.Contains(out, "DHCP service successfully enabled") {
			t.Errorf("dhcp-enable answered %q", out)
		}
		if _, err := r.dora(t.Context(), macFor(0x50, 1), 300*time.Millisecond, 4); err != nil {
			t.Fatalf("after dhcp-enable: %v%s", err, srv.lastLog())
		}
		// With max-period the service comes back by itself.
		if out := ctl.run("dhcp-disable", `{"max-period": 1}`); !strings.Contains(out, "DHCPv4 service disabled for 1 seconds") {
			t.Errorf("dhcp-disable with max-period answered %q", out)
		}
		deadline := time.Now().Add(15 * time.Second)
		for i := 2; ; i++ {
			if _, err := r.dora(t.Context(), macFor(0x50, uint32(i)), 300*time.Millisecond, 1); err == nil {
				break
			}
			if time.Now().After(deadline) {
				t.Fatalf("no answer 15 s after dhcp-disable with a max-period of 1 s%s", srv.lastLog())
			}
		}
		if out := ctl.runWith("-json", "leases-reclaim", `{"remove": false}`); !strings.Contains(out, "Reclamation of expired leases is complete.") {
			t.Errorf("leases-reclaim answered %q", out)
		}
	})

	t.Run("no-secrets", func(t *testing.T) {
		noSecrets(t, "leased ctl -json config-get", ctl.runWith("-json", "config-get"))
		noSecrets(t, "the log", srv.log())
	})

	t.Run("sigterm-under-load", func(t *testing.T) { testSigtermUnderLoad(t, p, srv, ctl, pidFile, sock) })
}

// processRate is the rate at which perfdhcp runs while the test sends
// SIGHUP: $LEASED_E2E_RELOAD_RATE if set, else 4,000 DORAs a second, or
// 1,500 with the race detector, which slows leased down several times.
// The issue asks for half the knee, which bench/RESULTS.md puts at
// 24,000/s for a build without the race detector, measured with the
// bench harness on a quiet machine. This test's topology is not the
// harness's: asked for 24,000/s here, perfdhcp sent about 17,700/s and
// 1.9 % of the exchanges dropped before any SIGHUP (once, with other work
// on the machine), so the default stays well below that, where a loaded
// machine (CI runs other tests beside this one) does not turn into
// drops. Other rates, to look for the limit:
//
//	LEASED_E2E_RELOAD_RATE=12000 go test -count=1 -run TestProcessControl ./e2e
func processRate(t *testing.T) int {
	if v := os.Getenv("LEASED_E2E_RELOAD_RATE"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n <= 0 || n*3/2 > poolASize/2 {
			t.Fatalf("LEASED_E2E_RELOAD_RATE=%q: want a rate from 1 to %d", v, poolASize/3)
		}
		return n
	}
	if raceEnabled {
		return 1500
	}
	return 4000
}

// testSigtermUnderLoad stops leased with SIGTERM while relayed clients
// run DORAs, and starts it again: it must have exited 0, removed its PID
// file and control socket, and the next start must serve every lease
// that was acknowledged.
func testSigtermUnderLoad(t *testing.T, p *testnet.Pair, srv *server, ctl *ctlRunner, pidFile, sock string) {
	r, err := newRelay(p.Client, p.RelayAddr, p.ServerAddr)
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	ctx, cancel := context.WithCancel(t.Context())
	var (
		mu    sync.Mutex
		acked []ack
		wg    sync.WaitGroup
	)
	for w := range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for n := uint32(0); ctx.Err() == nil; n++ {
				a, err := r.dora(ctx, macFor(byte(0x60+w), n), 200*time.Millisecond, 2)
				if err == nil {
					mu.Lock()
					acked = append(acked, a)
					mu.Unlock()
				}
			}
		}()
	}
	time.Sleep(1500 * time.Millisecond)
	srv.stop() // SIGTERM; fails the test unless leased exits 0 within 10 s
	cancel()
	wg.Wait()
	t.Logf("%d DORAs acknowledged before and during the stop", len(acked))
	if len(acked) == 0 {
		t.Fatal("the load generator got no ACK")
	}
	for _, f := range []string{pidFile, sock} {
		if _, err := os.Lstat(f); !errors.Is(err, os.ErrNotExist) {
			t.Errorf("%s is still there after SIGTERM (%v)", f, err)
		}
	}
	if !strings.Contains(srv.log(), `msg="lease store closed"`) {
		t.Errorf("the lease store was not closed in order%s", srv.lastLog())
	}

	srv.start()
	var answer struct {
		Arguments struct {
			Leases []struct {
				IP string `json:"ip-address"`
				HW string `json:"hw-address"`
			} `json:"leases"`
		} `json:"arguments"`
	}
	if err := json.Unmarshal([]byte(ctl.runWith("-json", "lease4-get-all")), &answer); err != nil {
		t.Fatal(err)
	}
	leases := answer.Arguments
	have := map[string]string{}
	for _, l := range leases.Leases {
		have[l.IP] = l.HW
	}
	lost := 0
	for _, a := range acked {
		if have[a.addr.String()] != a.mac {
			lost++
			if lost <= 5 {
				t.Errorf("acknowledged %v for %s is not served after the restart (has %q)", a.addr, a.mac, have[a.addr.String()])
			}
		}
	}
	if lost > 0 {
		t.Errorf("%d of %d acknowledged leases lost across SIGTERM", lost, len(acked))
	}
	if strings.Contains(srv.log(), "damaged") || strings.Contains(srv.log(), "quarantine") {
		t.Errorf("the restart found damage%s", srv.lastLog())
	}
	stored, err := srv.store()
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("restart: %d leases in the store, %d served by lease4-get-all", len(stored), len(leases.Leases))
	if len(stored) != len(leases.Leases) {
		t.Errorf("the store holds %d leases, the server lists %d", len(stored), len(leases.Leases))
	}
}

// checkStatistics compares the server's statistics after a perfdhcp run
// with what perfdhcp saw and what the store holds.
func checkStatistics(t *testing.T, srv *server, ctl *ctlRunner, rep *testnet.PerfdhcpReport) {
	var answer struct {
		Arguments map[string][][2]json.RawMessage `json:"arguments"`
	}
	if err := json.Unmarshal([]byte(ctl.runWith("-json", "statistic-get-all")), &answer); err != nil {
		t.Fatal(err)
	}
	stat := func(name string) int64 {
		samples := answer.Arguments[name]
		if len(samples) == 0 {
			t.Errorf("no statistic %s", name)
			return -1
		}
		var v int64
		if err := json.Unmarshal(samples[0][0], &v); err != nil {
			t.Errorf("%s: %v", name, err)
		}
		return v
	}
	do, ra := rep.DiscoverOffer(), rep.RequestAck()
	for _, c := range []struct {
		name string
		min  int64
	}{
		{"pkt4-received", do.Sent + ra.Sent},
		{"pkt4-discover-received", do.Sent},
		{"pkt4-request-received", ra.Sent},
		{"pkt4-offer-sent", do.Received},
		{"pkt4-ack-sent", ra.Received},
		{"pkt4-sent", do.Received + ra.Received},
	} {
		if v := stat(c.name); v < c.min {
			t.Errorf("%s = %d, but perfdhcp alone accounts for %d", c.name, v, c.min)
		}
	}
	for _, name := range []string{"pkt4-parse-failed", "pkt4-receive-drop"} {
		if v := stat(name); v != 0 {
			t.Errorf("%s = %d, want 0", name, v)
		}
	}
	if v, want := stat("subnet[2].total-addresses"), int64(poolASize); v != want {
		t.Errorf("subnet[2].total-addresses = %d, want %d (pool A)", v, want)
	}
	ls, err := srv.store()
	if err != nil {
		t.Fatal(err)
	}
	var inSubnet2 int64
	for _, l := range ls {
		if l.SubnetID == 2 && l.State == 0 {
			inSubnet2++
		}
	}
	if v := stat("subnet[2].assigned-addresses"); v != inSubnet2 {
		t.Errorf("subnet[2].assigned-addresses = %d, the store holds %d", v, inSubnet2)
	}
	if v := stat("subnet[2].cumulative-assigned-addresses"); v != inSubnet2 {
		t.Errorf("subnet[2].cumulative-assigned-addresses = %d, want the %d leases assigned so far", v, inSubnet2)
	}
	t.Logf("statistics: pkt4-received %d, pkt4-ack-sent %d, subnet[2].assigned-addresses %d of %d",
		stat("pkt4-received"), stat("pkt4-ack-sent"), stat("subnet[2].assigned-addresses"), stat("subnet[2].total-addresses"))
}

// perf runs perfdhcp through the relay for secs seconds at rate, with
// MACs based on macByte so that each run has its own clients, and calls
// during (if not nil) a quarter into the run. perfdhcp takes its
// clients in turn: the first half of the run are new clients, the second
// half the same clients again, who are given their leases again. The
// pools must hold rate*secs/2 more leases.
func perf(t *testing.T, p *testnet.Pair, srv *server, rate, secs int, macByte byte, during func()) *testnet.PerfdhcpReport {
	t.Helper()
	done := make(chan struct{})
	if during != nil {
		go func() {
			select {
			case <-time.After(time.Duration(secs) * time.Second / 4):
				during()
			case <-done:
			}
		}()
	}
	rep, err := testnet.RunPerfdhcp(t.Context(), p.Client, testnet.PerfdhcpOptions{
		Server:    p.ServerAddr,
		LocalAddr: p.RelayAddr,
		Rate:      rate,
		Clients:   rate * secs / 2,
		Duration:  time.Duration(secs) * time.Second,
		Args:      []string{"-b", fmt.Sprintf("mac=02:%02x:00:00:00:00", macByte)},
	})
	close(done)
	if err != nil {
		t.Fatalf("%v%s", err, srv.lastLog())
	}
	do, ra := rep.DiscoverOffer(), rep.RequestAck()
	t.Logf("perfdhcp -r %d -p %d (SIGHUP: %v): DISCOVER-OFFER sent %d received %d drops %d; REQUEST-ACK sent %d received %d drops %d rejected %d; rate %.0f/s; avg delay %v/%v, max %v/%v",
		rate, secs, during != nil, do.Sent, do.Received, do.Drops, ra.Sent, ra.Received, ra.Drops, ra.Rejected, rep.Rate, do.AvgDelay, ra.AvgDelay, do.MaxDelay, ra.MaxDelay)
	if do.Sent < int64(rate*secs*8/10) {
		t.Errorf("perfdhcp sent %d DISCOVERs, want about %d", do.Sent, rate*secs)
	}
	if !srv.running() {
		t.Fatalf("leased exited%s", srv.lastLog())
	}
	return rep
}

// drops counts the exchanges of a perfdhcp run that did not complete.
func drops(r *testnet.PerfdhcpReport) int64 {
	do, ra := r.DiscoverOffer(), r.RequestAck()
	return do.Drops + ra.Drops + ra.Rejected
}

// ctlRunner runs `leased ctl` in the server namespace.
type ctlRunner struct {
	t    *testing.T
	ns   *testnet.NS
	sock string
}

func (c *ctlRunner) run(args ...string) string {
	c.t.Helper()
	return c.runWith(append([]string{"-s", c.sock}, args...)...)
}

func (c *ctlRunner) runWith(args ...string) string {
	c.t.Helper()
	if !contains(args, "-s") && !contains(args, "-c") {
		args = append([]string{"-s", c.sock}, args...)
	}
	ctx, cancel := context.WithTimeout(c.t.Context(), 20*time.Second)
	defer cancel()
	out, err := c.ns.Run(ctx, leasedBin, append([]string{"ctl"}, args...)...)
	if err != nil {
		c.t.Fatalf("leased ctl %s: %v", strings.Join(args, " "), err)
	}
	return out
}

func (c *ctlRunner) hash() string {
	c.t.Helper()
	var a struct {
		Arguments struct{ Hash string } `json:"arguments"`
	}
	if err := json.Unmarshal([]byte(c.runWith("-json", "config-hash-get")), &a); err != nil || a.Arguments.Hash == "" {
		c.t.Fatalf("config-hash-get: %v", err)
	}
	return a.Arguments.Hash
}

// shell runs kea-shell against the HTTP control socket with basic
// authentication and decodes the arguments of its answer into v. It
// checks that the answer is Kea's: a list of one map with result 0. It
// returns the whole answer text.
func shell(t *testing.T, ns *testnet.NS, command string, v any) string {
	t.Helper()
	ctx, cancel := context.WithTimeout(t.Context(), 20*time.Second)
	defer cancel()
	// kea-shell is Python's urllib, which would go through a proxy named
	// in the environment.
	out, err := ns.Run(ctx, "env", "-u", "http_proxy", "-u", "HTTP_PROXY", "-u", "all_proxy", "kea-shell",
		"--host", "127.0.0.1", "--port", fmt.Sprint(apiPort), "--auth-user", apiUser, "--auth-password", apiPassword,
		"--service", "dhcp4", command)
	if err != nil {
		t.Fatalf("kea-shell %s: %v", command, err)
	}
	var answer []struct {
		Result    *int            `json:"result"`
		Text      string          `json:"text"`
		Arguments json.RawMessage `json:"arguments"`
	}
	if err := json.Unmarshal([]byte(out), &answer); err != nil {
		t.Fatalf("kea-shell %s: the answer is not a JSON list: %v%s", command, err, testnet.IndentOutput(out))
	}
	if len(answer) != 1 || answer[0].Result == nil || *answer[0].Result != 0 {
		t.Fatalf("kea-shell %s: want one answer with result 0:%s", command, testnet.IndentOutput(out))
	}
	if err := json.Unmarshal(answer[0].Arguments, v); err != nil {
		t.Fatalf("kea-shell %s: arguments: %v%s", command, err, testnet.IndentOutput(out))
	}
	return out
}

func noSecrets(t *testing.T, where, text string) {
	t.Helper()
	for _, s := range []string{apiPassword, hookSecret} {
		if strings.Contains(text, s) {
			t.Errorf("%s shows the secret %q", where, s)
		}
	}
}

func contains(list []string, s string) bool {
	for _, e := range list {
		if e == s {
			return true
		}
	}
	return false
}
