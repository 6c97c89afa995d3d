//go:build linux

package daemon

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httputil"
	"net/netip"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/leased/leased/config"
	"github.com/leased/leased/control"
	"github.com/leased/leased/dhcpserver/dhcptest"
	"github.com/leased/leased/dhcpv4"
	"github.com/leased/leased/engine"
	"github.com/leased/leased/ha"
	"github.com/leased/leased/internal/testnet"
	"github.com/leased/leased/lease/memfile"
)

// commandCounter is an HTTP proxy on loopback in front of a partner's
// control listener: it forwards every request and counts them by
// command, and the answers by command and result.
type commandCounter struct {
	url string
	// refuseBulk answers ha.CmdLeaseBulkApply itself, with result 2, as
	// a partner that does not know it does.
	refuseBulk atomic.Bool
	mu         sync.Mutex
	n          map[string]int
}

func newCommandCounter(t *testing.T, target string) *commandCounter {
	t.Helper()
	u, err := url.Parse(target)
	if err != nil {
		t.Fatal(err)
	}
	cc := &commandCounter{n: map[string]int{}}
	proxy := httputil.NewSingleHostReverseProxy(u)
	// A partner's control listener admits a few connections from an
	// address that is not one of its HA peers' (this proxy's): stay
	// under that bound.
	proxy.Transport = &http.Transport{MaxConnsPerHost: 4, MaxIdleConnsPerHost: 4}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	srv := &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, err := io.ReadAll(r.Body)
		if err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		if cmd, err := control.ParseCommand(body); err == nil {
			cc.mu.Lock()
			cc.n[cmd.Command]++
			cc.mu.Unlock()
			if cmd.Command == ha.CmdLeaseBulkApply && cc.refuseBulk.Load() {
				b, _ := ha.EncodeAnswer(control.Answer(control.Unsupported, fmt.Sprintf("'%s' command not supported.", cmd.Command), nil))
				w.Write(b)
				return
			}
		}
		r.Body = io.NopCloser(bytes.NewReader(body))
		proxy.ServeHTTP(w, r)
	})}
	go srv.Serve(ln)
	t.Cleanup(func() { srv.Close() })
	cc.url = "http://" + ln.Addr().String() + "/"
	return cc
}

func (cc *commandCounter) count(cmd string) int {
	cc.mu.Lock()
	defer cc.mu.Unlock()
	return cc.n[cmd]
}

// batchCounter passes the engine's group commits on to the HA service
// and counts them, and the clients in them.
type batchCounter struct {
	s                *haService
	batches, clients atomic.Int64
}

func (b *batchCounter) Replicate(batch []*engine.Replication) {
	b.batches.Add(1)
	b.clients.Add(int64(len(batch)))
	b.s.Replicate(batch)
}

// bulkActive starts, in this process, a server (server2, load-balancing,
// every client served here, as in TestHAUpdatesInFlightToLeasedPartner)
// whose partner server1 is at partnerURL, with the pool given, speaking
// dialect d. It returns its engine and the counter of its group commits.
func bulkActive(t *testing.T, partnerURL string, d ha.Dialect, pool string) (*engine.Engine, *batchCounter) {
	t.Helper()
	return bulkActiveIn(t, partnerURL, d, "192.0.2.0/24", pool)
}

// bulkActiveIn is bulkActive with subnet 1 given.
func bulkActiveIn(t *testing.T, partnerURL string, d ha.Dialect, subnet, pool string) (*engine.Engine, *batchCounter) {
	t.Helper()
	params := fmt.Sprintf(`{"high-availability": [{"this-server-name": "server2", "mode": "load-balancing",
		"sync-leases": false, "heartbeat-delay": 60000, "delayed-updates-limit": 0, "max-rejected-lease-updates": 0,
		"peers": [{"name": "server1", "url": %q, "role": "primary"},
		          {"name": "server2", "url": "http://127.0.0.1:9/", "role": "secondary"}]}]}`, partnerURL)
	hcfg, err := ha.Parse([]byte(params), ha.Options{Dialect: d})
	if err != nil {
		t.Fatal(err)
	}
	s, err := newHAService(hcfg, slog.New(slog.DiscardHandler), time.Now())
	if err != nil {
		t.Fatal(err)
	}
	loadBalancing(t, s)
	cfg, _, err := config.Parse("test.json", []byte(fmt.Sprintf(`{"Dhcp4": {"valid-lifetime": 600,
		"subnet4": [{"id": 1, "subnet": %q, "interface": "test0",
			"pools": [{"pool": %q}]}]}}`, subnet, pool)), nil)
	if err != nil {
		t.Fatal(err)
	}
	store, err := memfile.Open(memfile.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { store.Close() })
	bc := &batchCounter{s: s}
	eng, err := engine.New(context.Background(), cfg, store, &engine.Options{Replicator: bc})
	if err != nil {
		t.Fatal(err)
	}
	s.slotWait = time.Minute
	if err := s.start(eng); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(s.stop)
	return eng, bc
}

// leasedStandby runs a leased server whose lease commands are on an HTTP
// control listener (no HA of its own: it only stores what it is sent),
// with subnet 1 as given, and returns its URL and process.
func leasedStandby(t *testing.T, subnet string) (string, *testProc) {
	t.Helper()
	dir := t.TempDir()
	port := freePort(t, "tcp")
	cfgFile := filepath.Join(dir, "kea-dhcp4.conf")
	conf := fmt.Sprintf(`{"Dhcp4": {
		"interfaces-config": {"interfaces": ["lo"]},
		"lease-database": {"type": "memfile", "persist": true, "name": %q},
		"valid-lifetime": 600,
		"control-sockets": [
			{"socket-type": "unix", "socket-name": %q},
			{"socket-type": "http", "socket-address": "127.0.0.1", "socket-port": %d}],
		"subnet4": [{"id": 1, "subnet": %q}]}}`,
		filepath.Join(dir, "leases", "dhcp4.leases"), filepath.Join(dir, "ctl.sock"), port, subnet)
	if err := os.WriteFile(cfgFile, []byte(conf), 0o600); err != nil {
		t.Fatal(err)
	}
	p := launch(t, dir, cfgFile, Options{ServerPort: uint16(freePort(t, "udp")), ClientPort: uint16(freePort(t, "udp")), PIDFileDir: dir})
	p.waitFor("serving", func() bool {
		if p.exited() {
			t.Fatalf("standby: Run returned %d, %v before serving; log:\n%s", p.code, p.err, p.out.String())
		}
		return p.serving()
	})
	return fmt.Sprintf("http://127.0.0.1:%d/", port), p
}

// concurrentDORA runs n clients at once through eng and returns each
// one's reply (nil for none), by hardware address.
func concurrentDORA(t *testing.T, eng *engine.Engine, n int) map[string]*dhcptest.Reply {
	t.Helper()
	type got struct {
		hw  string
		rep *dhcptest.Reply
	}
	ch := make(chan got, n)
	for i := range n {
		hw := net.HardwareAddr{2, 0, 0, 7, byte(i >> 8), byte(i)}
		go func() { ch <- got{hw.String(), dora(t, eng, hw)} }()
	}
	out := map[string]*dhcptest.Reply{}
	for range n {
		g := <-ch
		out[g.hw] = g.rep
	}
	return out
}

// standbyLeases is what the standby stores: address → hw-address.
func standbyLeases(t *testing.T, p *testProc) map[string]string {
	t.Helper()
	r := p.call("lease4-get-all", nil)
	out := map[string]string{}
	if r.Result == control.Empty {
		return out
	}
	var a struct {
		Leases []struct {
			IP string `json:"ip-address"`
			HW string `json:"hw-address"`
		} `json:"leases"`
	}
	if err := decodeArgsInto(r, &a); err != nil {
		t.Fatalf("lease4-get-all: %v", err)
	}
	for _, l := range a.Leases {
		out[l.IP] = l.HW
	}
	return out
}

// TestHABulkToLeasedPartner: 64 clients at once, replicated to a real
// leased partner: every group commit goes to it as one bulk request (the
// partner receives exactly as many as there were group commits, and no
// lease4-update), every client is ACKed, and the partner stores every
// lease.
func TestHABulkToLeasedPartner(t *testing.T) {
	standbyURL, standby := leasedStandby(t, "192.0.2.0/24")
	cc := newCommandCounter(t, standbyURL)
	eng, bc := bulkActive(t, cc.url, ha.Kea22, "192.0.2.10 - 192.0.2.250")
	const clients = 64
	replies := concurrentDORA(t, eng, clients)
	want := map[string]string{}
	for hw, rep := range replies {
		if rep == nil || rep.Packet.MessageType() != dhcpv4.Ack {
			t.Errorf("client %s: %+v, want an ACK", hw, rep)
			continue
		}
		want[rep.Packet.YIAddr().String()] = hw
	}
	bulk, single := cc.count(ha.CmdLeaseBulkApply), cc.count(ha.CmdLease4Update)
	t.Logf("%d clients in %d group commits; the partner received %d bulk requests and %d lease4-update", bc.clients.Load(), bc.batches.Load(), bulk, single)
	if single != 0 {
		t.Errorf("the partner received %d lease4-update, want none", single)
	}
	if int64(bulk) != bc.batches.Load() {
		t.Errorf("the partner received %d bulk requests for %d group commits, want one each", bulk, bc.batches.Load())
	}
	if got := standbyLeases(t, standby); fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("the partner stores %v, want the %d ACKed leases %v", got, len(want), want)
	}
}

// TestHABulkRefusedLease: a partner that refuses some leases of a bulk
// request (its subnet 1 is only the lower half of ours: result 4 for an
// address outside it, and for its broadcast address 192.0.2.127)
// withholds the ACKs of those clients alone; the others are ACKed, in
// the same group commits.
func TestHABulkRefusedLease(t *testing.T) {
	standbyURL, standby := leasedStandby(t, "192.0.2.0/25")
	cc := newCommandCounter(t, standbyURL)
	eng, _ := bulkActive(t, cc.url, ha.Kea3, "192.0.2.119 - 192.0.2.134")
	replies := concurrentDORA(t, eng, 16)
	half := netip.MustParsePrefix("192.0.2.0/25")
	acked, withheld := 0, 0
	for hw, rep := range replies {
		if rep == nil {
			withheld++
			continue
		}
		if rep.Packet.MessageType() != dhcpv4.Ack {
			t.Errorf("client %s: %v, want an ACK or nothing", hw, rep.Packet.MessageType())
			continue
		}
		acked++
		if a := rep.Packet.YIAddr(); !half.Contains(a) || a == netip.MustParseAddr("192.0.2.127") {
			t.Errorf("client %s ACKed %v, which the partner refused", hw, a)
		}
	}
	// The pool has 8 addresses the partner takes (.119 to .126) and 8
	// it refuses (.127 to .134).
	if acked != 8 || withheld != 8 {
		t.Errorf("%d clients ACKed and %d withheld, want 8 and 8", acked, withheld)
	}
	if cc.count(ha.CmdLease4Update) != 0 || cc.count(ha.CmdLeaseBulkApply) == 0 {
		t.Errorf("the partner received %d bulk requests and %d lease4-update, want bulk only", cc.count(ha.CmdLeaseBulkApply), cc.count(ha.CmdLease4Update))
	}
	for a := range standbyLeases(t, standby) {
		if !half.Contains(netip.MustParseAddr(a)) {
			t.Errorf("the partner stores %s, outside its subnet", a)
		}
	}
}

// TestHABulkFallbackToKea22: a kea-dhcp4 2.2 partner (behind its
// kea-ctrl-agent) answers the bulk request with result 2; the server
// then sends it lease4-update, one lease a request, from that group
// commit on without asking again, and every client is ACKed with its
// lease in Kea's store.
func TestHABulkFallbackToKea22(t *testing.T) {
	needRoot(t)
	testnet.RequireBinaries(t, "kea-dhcp4", "kea-ctrl-agent")
	hooks := testnet.KeaHooksDir(t, "libdhcp_lease_cmds.so")
	keaDir := testnet.UnprivilegedDir(t)
	caPort := testnet.FreeTCPPort(t, "127.0.0.1")
	keaLog := filepath.Join(keaDir, "kea-dhcp4.log")
	kea := testnet.StartKea(t, keaDir, "kea-dhcp4", fmt.Sprintf(`{"Dhcp4": {
		"interfaces-config": {"interfaces": []},
		"control-socket": {"socket-type": "unix", "socket-name": %q},
		"lease-database": {"type": "memfile", "name": %q, "lfc-interval": 0},
		"valid-lifetime": 600,
		"hooks-libraries": [{"library": %q}],
		"subnet4": [{"id": 1, "subnet": "192.0.2.0/24"}],
		"loggers": [{"name": "kea-dhcp4", "severity": "INFO", "output_options": [{"output": %q}]}]}}`,
		filepath.Join(keaDir, "kea4.sock"), filepath.Join(keaDir, "leases4.csv"), filepath.Join(hooks, "libdhcp_lease_cmds.so"), keaLog),
		testnet.KeaOptions{LogFile: keaLog, Args: []string{"-p", fmt.Sprint(freePort(t, "udp")), "-P", fmt.Sprint(freePort(t, "udp"))}})
	testnet.StartKea(t, keaDir, "kea-ctrl-agent", fmt.Sprintf(`{"Control-agent": {"http-host": "127.0.0.1", "http-port": %d,
		"control-sockets": {"dhcp4": {"socket-type": "unix", "socket-name": %q}},
		"loggers": [{"name": "kea-ctrl-agent", "severity": "WARN", "output_options": [{"output": "stdout"}]}]}}`,
		caPort, filepath.Join(keaDir, "kea4.sock")), testnet.KeaOptions{})
	keaURL := fmt.Sprintf("http://127.0.0.1:%d/", caPort)
	cc := newCommandCounter(t, keaURL)

	// Kea's lease commands answer once both programs are up.
	peer := &ha.Peer{Name: "kea", URL: mustURL(t, keaURL), Addr: netip.MustParseAddrPort(fmt.Sprintf("127.0.0.1:%d", caPort))}
	kc, err := ha.NewClient(peer, ha.Kea22)
	if err != nil {
		t.Fatal(err)
	}
	defer kc.Close()
	for deadline := time.Now().Add(30 * time.Second); ; time.Sleep(100 * time.Millisecond) {
		cmd, _ := ha.NewCommand("lease4-get-all", nil)
		if _, err := kc.Send(context.Background(), cmd, 0); err == nil {
			break
		} else if time.Now().After(deadline) {
			t.Fatalf("Kea's lease commands do not answer: %v", err)
		}
		select {
		case <-kea.Done():
			t.Fatalf("kea-dhcp4 exited: %v", kea.ExitErr())
		default:
		}
	}

	eng, _ := bulkActive(t, cc.url, ha.Kea22, "192.0.2.10 - 192.0.2.250")
	const clients = 32
	replies := concurrentDORA(t, eng, clients)
	for hw, rep := range replies {
		if rep == nil || rep.Packet.MessageType() != dhcpv4.Ack {
			t.Errorf("client %s: %+v, want an ACK", hw, rep)
			continue
		}
		cmd, _ := ha.NewCommand("lease4-get", map[string]string{"ip-address": rep.Packet.YIAddr().String()})
		r, err := kc.Send(context.Background(), cmd, 0)
		if err != nil || r.Result != control.Success {
			t.Errorf("client %s: its lease %v in Kea: %+v %v", hw, rep.Packet.YIAddr(), r, err)
		}
	}
	// Only the first group commit asked (some may have started before
	// its answer came back: at most one bulk request per group commit
	// under way then, and none after).
	bulk, single := cc.count(ha.CmdLeaseBulkApply), cc.count(ha.CmdLease4Update)
	t.Logf("Kea received %d bulk requests and %d lease4-update", bulk, single)
	if bulk == 0 || single != clients {
		t.Errorf("Kea received %d bulk requests and %d lease4-update, want some and %d", bulk, single, clients)
	}
	before := bulk
	if rep := concurrentDORA(t, eng, 1); len(rep) != 1 {
		t.Fatal("no reply")
	}
	if bulk = cc.count(ha.CmdLeaseBulkApply); bulk != before {
		t.Errorf("Kea was asked the bulk command again (%d, then %d) after refusing it", before, bulk)
	}
	if strings.Contains(fmt.Sprint(replies), "<nil>") {
		t.Log("some clients got no reply (see above)")
	}
}

func mustURL(t *testing.T, s string) *url.URL {
	t.Helper()
	u, err := url.Parse(s)
	if err != nil {
		t.Fatal(err)
	}
	return u
}

// decodeArgsInto decodes a response's arguments into v.
func decodeArgsInto(r *control.Response, v any) error {
	raw, err := r.RawArguments()
	if err != nil {
		return err
	}
	return json.Unmarshal(raw, v)
}

// TestHAReplicationCost measures what replication costs the partner per
// lease, independently of the machine's speed: 64 clients at a time, each
// starting its next DORA as soon as its last one ended, replicate 2,048
// leases to a real leased partner whose leases are on disk, once in bulk
// and once one lease a request (the partner refusing the bulk command, as
// before it existed). It logs the HTTP requests and the partner's journal
// fsyncs per lease of each (bench/RESULTS.md, "High availability"), and
// checks what does not depend on timing: in bulk, one request per group
// commit; one lease a request, one request per lease.
func TestHAReplicationCost(t *testing.T) {
	leases := 2048
	if testing.Short() {
		leases = 256
	}
	const concurrent = 64
	for _, bulk := range []bool{false, true} {
		name := map[bool]string{false: "per-lease", true: "bulk"}[bulk]
		t.Run(name, func(t *testing.T) {
			standbyURL, standby := leasedStandby(t, "10.0.0.0/16")
			cc := newCommandCounter(t, standbyURL)
			cc.refuseBulk.Store(!bulk)
			eng, bc := bulkActiveIn(t, cc.url, ha.Kea22, "10.0.0.0/16", "10.0.0.10 - 10.0.255.200")
			fsyncs0 := standbyFsyncs(t, standby)
			var next, acked atomic.Int64
			var wg sync.WaitGroup
			start := time.Now()
			for range concurrent {
				wg.Add(1)
				go func() {
					defer wg.Done()
					for {
						i := next.Add(1) - 1
						if i >= int64(leases) {
							return
						}
						hw := net.HardwareAddr{2, 1, 0, byte(i >> 16), byte(i >> 8), byte(i)}
						if rep := dora(t, eng, hw); rep != nil && rep.Packet.MessageType() == dhcpv4.Ack {
							acked.Add(1)
						}
					}
				}()
			}
			wg.Wait()
			elapsed := time.Since(start)
			fsyncs := standbyFsyncs(t, standby) - fsyncs0
			reqs := cc.count(ha.CmdLeaseBulkApply) + cc.count(ha.CmdLease4Update) + cc.count(ha.CmdLease4Del)
			if acked.Load() != int64(leases) {
				t.Errorf("%d of %d clients ACKed", acked.Load(), leases)
			}
			t.Logf("%s: %d leases, %d clients at a time, in %d group commits: %d requests to the partner (%.3f a lease), %d partner fsyncs (%.3f a lease), %v",
				name, leases, concurrent, bc.batches.Load(), reqs, float64(reqs)/float64(leases), fsyncs, float64(fsyncs)/float64(leases), elapsed.Round(time.Millisecond))
			if bulk && int64(cc.count(ha.CmdLeaseBulkApply)) != bc.batches.Load() {
				t.Errorf("%d bulk requests for %d group commits, want one each", cc.count(ha.CmdLeaseBulkApply), bc.batches.Load())
			}
			if !bulk && cc.count(ha.CmdLease4Update) != leases {
				t.Errorf("%d lease4-update for %d leases, want one each", cc.count(ha.CmdLease4Update), leases)
			}
		})
	}
}

// standbyFsyncs is the partner's journal fsyncs so far (status-get's
// lease-store fsyncs).
func standbyFsyncs(t *testing.T, p *testProc) uint64 {
	t.Helper()
	r := p.want("status-get", nil, 0)
	var a struct {
		Store struct {
			Fsyncs uint64 `json:"fsyncs"`
		} `json:"lease-store"`
	}
	if err := decodeArgsInto(r, &a); err != nil {
		t.Fatal(err)
	}
	return a.Store.Fsyncs
}
