//go:build linux

package e2e

import (
	"encoding/json"
	"fmt"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/leased/leased/internal/testnet"
)

// TestDDNSInProcessRestart: an update owed when leased stops is made by
// the next leased on the same lease file. leased serve (making the
// updates itself, DhcpDdns beside Dhcp4) acknowledges udhcpc's lease
// while named is down, so the update is queued and journaled; leased is
// then killed with SIGKILL, or stopped with SIGTERM; named comes back
// with the same key and zones; the restarted leased makes the A, PTR and
// DHCID records with Kea's TTL and counts the update as sent.
func TestDDNSInProcessRestart(t *testing.T) {
	needs(t, "udhcpc", "named")
	for _, tc := range []struct {
		name string
		sig  syscall.Signal
	}{{"SIGKILL", syscall.SIGKILL}, {"SIGTERM", syscall.SIGTERM}} {
		t.Run(tc.name, func(t *testing.T) { ddnsInProcessRestart(t, tc.sig) })
	}
}

func ddnsInProcessRestart(t *testing.T, sig syscall.Signal) {
	p := testnet.NewPair(t)
	named := testnet.StartNamed(t, testnet.NamedOptions{NS: p.Server})
	dir := t.TempDir()
	leaseFile := filepath.Join(dir, "db", "dhcp4.leases")
	cfg := filepath.Join(dir, "leased.json")
	sock := filepath.Join(dir, "ctl.sock")
	serving := strings.TrimSuffix(strings.TrimSpace(ddnsServingConfig(leaseFile, 53001)), "}")
	serving = strings.Replace(serving, `"valid-lifetime": 3600,`,
		fmt.Sprintf(`"valid-lifetime": 3600, "control-socket": { "socket-type": "unix", "socket-name": %q },`, sock), 1)
	d2 := strings.TrimPrefix(strings.TrimSpace(d2Config(named, 53001)), "{")
	// Short tries, so that a try made before named is back ends soon.
	d2 = strings.Replace(d2, `"dns-server-timeout": 500`, `"dns-server-timeout": 100`, 1)
	writeFile(t, cfg, serving+","+d2)
	secret, port := named.Secret, named.Addr.Port()
	named.Stop()
	srv := newServer(t, p.Server, cfg, leaseFile)
	srv.start()
	ctl := &ctlRunner{t: t, ns: p.Server, sock: sock}

	ifname, mac := p.AddClientLink(t)
	c := testnet.NewClient(t, testnet.Udhcpc, p.Client, ifname, testnet.ClientOptions{Timeout: 20 * time.Second,
		Args: []string{"-x", "hostname:restart"}})
	// The client holds its ACK while named is down.
	_, l := obtainStored(t, srv, c, mac)
	if l.Hostname != "restart.example.org" || !l.FQDNFwd || !l.FQDNRev {
		t.Fatalf("stored lease %v: hostname %q fwd %v rev %v, want restart.example.org both directions", l.Addr, l.Hostname, l.FQDNFwd, l.FQDNRev)
	}
	for deadline := time.Now().Add(15 * time.Second); !strings.Contains(srv.log(), "DNS update not answered; tried again later"); time.Sleep(50 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("leased did not find named down:%s", srv.lastLog())
		}
	}
	if out := ctl.runWith("-json", "ddns-queue-get"); !strings.Contains(out, "restart.example.org") {
		t.Fatalf("leased ctl ddns-queue-get does not show the owed update of restart.example.org:%s", testnet.IndentOutput(out))
	}

	first := srv.cur
	if sig == syscall.SIGKILL {
		if err := srv.kill(); err != nil {
			t.Fatal(err)
		}
	} else {
		srv.stop()
	}
	if strings.Contains(first.Output(), `msg="DNS updated"`) {
		t.Fatalf("the first leased made the update with named down:%s", srv.lastLog())
	}

	named = testnet.StartNamed(t, testnet.NamedOptions{NS: p.Server, Port: int(port), Secret: secret})
	srv.start()
	if !strings.Contains(srv.log(), "owed-from-before=1") {
		t.Errorf("the restarted leased does not log one update owed from before:%s", srv.lastLog())
	}
	waitRecords(t, named, &l, leaseDHCID(t, &l))

	// The statistics are published every second: poll them.
	want := map[string]int64{statNCRSentName: 1, statNCRFailedName: 0, statNCRQueuedName: 0}
	var got map[string]int64
	for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(100 * time.Millisecond) {
		got = ncrStats(t, ctl)
		if fmt.Sprint(got) == fmt.Sprint(want) {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("statistics after the restart %v, want %v%s", got, want, srv.lastLog())
		}
	}
	srv.stop()
}

// The names of leased's NameChangeRequest statistics (daemon's).
const (
	statNCRSentName   = "ncr-sent"
	statNCRFailedName = "ncr-send-failed"
	statNCRQueuedName = "ncr-queued"
)

// ncrStats reads leased's NameChangeRequest statistics with leased ctl.
func ncrStats(t *testing.T, ctl *ctlRunner) map[string]int64 {
	t.Helper()
	var answer struct {
		Arguments map[string][][2]json.RawMessage `json:"arguments"`
	}
	out := ctl.runWith("-json", "statistic-get-all")
	if err := json.Unmarshal([]byte(out), &answer); err != nil {
		t.Fatalf("statistic-get-all: %v%s", err, testnet.IndentOutput(out))
	}
	got := map[string]int64{}
	for _, name := range []string{statNCRSentName, statNCRFailedName, statNCRQueuedName} {
		samples := answer.Arguments[name]
		if len(samples) == 0 {
			got[name] = -1
			continue
		}
		var v int64
		if err := json.Unmarshal(samples[0][0], &v); err != nil {
			t.Fatalf("statistic %s: %v", name, err)
		}
		got[name] = v
	}
	return got
}
