//go:build linux

package e2e

import (
	"bufio"
	"context"
	"encoding/hex"
	"fmt"
	"net"
	"net/netip"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/leased/leased/internal/pgtest"
	"github.com/leased/leased/internal/testnet"
)

// multiPool is the relayed pool the three servers of
// TestPostgreSQLThreeServersOneDatabase share: 1,024 addresses for the
// 900 clients perfdhcp plays, so that the servers fill one pool together.
const multiPool = "198.18.1.0 - 198.18.4.255"

// TestPostgreSQLThreeServersOneDatabase: two leased and one kea-dhcp4 2.2
// keep their leases in one database (Kea's schema, from kea-admin
// db-init pgsql) and serve at the same time, each its own perfdhcp run of
// 300 clients from one 1,024-address pool. None of them knows the
// others' leases but through the database: every address the three
// perfdhcp runs were acknowledged went to one client only, and every
// acknowledged lease is that client's row of lease4.
func TestPostgreSQLThreeServersOneDatabase(t *testing.T) {
	needs(t, "kea-dhcp4", "perfdhcp")
	c := pgtest.New(t, pgtest.Options{})
	db := c.NewDB(t)
	pairs := []*testnet.Pair{testnet.NewPair(t), testnet.NewPair(t), testnet.NewPair(t)}
	for i := range 2 {
		dir := t.TempDir()
		cfg := strings.Replace(pgLeasedConfig(db, filepath.Join(dir, "ctl.sock"), ""), "198.18.1.0 - 198.18.255.254", multiPool, 1)
		if !strings.Contains(cfg, multiPool) {
			t.Fatal("the leased configuration has no relayed pool to replace")
		}
		startPgLeased(t, pairs[i].Server, dir, cfg)
	}
	keaDir := testnet.UnprivilegedDir(t)
	keaCfg := fmt.Sprintf(`{"Dhcp4": {
		"interfaces-config": {"interfaces": ["srv0"]},
		"lease-database": {"type": "postgresql", "name": %q, "host": %q, "port": %d, "user": %q, "password": %q},
		"valid-lifetime": 3600, "renew-timer": 900, "rebind-timer": 1800,
		"subnet4": [{"id": 1, "subnet": "192.0.2.0/24", "interface": "srv0", "pools": [{"pool": "192.0.2.100 - 192.0.2.199"}]},
		            {"id": 2, "subnet": "198.18.0.0/16", "pools": [{"pool": %q}]}],
		"loggers": [{"name": "kea-dhcp4", "severity": "INFO", "output_options": [{"output": "stdout"}]}]}}`,
		db.Name, db.Host, db.Port, db.User, db.Password, multiPool)
	kea := startKeaDHCP4(t, pairs[2].Server, keaDir, keaCfg)

	// The three runs at once, each with MACs of its own (02:0N:...).
	reports := make([]*testnet.PerfdhcpReport, len(pairs))
	errs := make([]error, len(pairs))
	var wg sync.WaitGroup
	for i, p := range pairs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			reports[i], errs[i] = testnet.RunPerfdhcp(context.Background(), p.Client, testnet.PerfdhcpOptions{
				Server:    p.ServerAddr,
				LocalAddr: p.RelayAddr,
				Rate:      100,
				Clients:   300,
				Duration:  4 * time.Second,
				Args:      []string{"-b", fmt.Sprintf("mac=02:%02x:00:00:00:00", i+1), "-x", "l"},
			})
		}()
	}
	wg.Wait()
	names := []string{"leased 1", "leased 2", "kea-dhcp4"}
	holder := map[netip.Addr]string{} // address → MAC acknowledged
	for i, rep := range reports {
		if errs[i] != nil {
			t.Fatalf("perfdhcp against %s: %v", names[i], errs[i])
		}
		acks := perfdhcpLeases(t, rep.Output)
		do, ra := rep.DiscoverOffer(), rep.RequestAck()
		t.Logf("%s: DISCOVER-OFFER sent %d received %d; REQUEST-ACK sent %d received %d rejected %d; %d leases listed",
			names[i], do.Sent, do.Received, ra.Sent, ra.Received, ra.Rejected, len(acks))
		// leased must not lose its clients to the others' leases: a lost
		// race is decided again, never a NAK (when it was a NAK, leased
		// answered two thirds of them). The share of ACKs is left loose:
		// on a quiet machine every server answers 99 % of its REQUESTs,
		// under a CI run's load perfdhcp's 1 s wait loses a third of
		// them to timeouts, which are not NAKs. kea-dhcp4,
		// single-threaded with a commit per lease, falls behind on a
		// busy machine, and need only take part.
		want := ra.Sent / 2
		if i == 2 {
			want = ra.Sent / 4
		}
		if ra.Received < want || len(acks) == 0 {
			t.Errorf("%s acknowledged %d of %d REQUESTs (%d leases listed), want at least %d: the servers were to share the pool",
				names[i], ra.Received, ra.Sent, len(acks), want)
		}
		if i < 2 && ra.Rejected > ra.Sent/20 {
			t.Errorf("%s refused %d of %d REQUESTs (NAK): a race lost to another server must be decided again, not refused",
				names[i], ra.Rejected, ra.Sent)
		}
		for _, a := range acks {
			if other, ok := holder[a.addr]; ok && other != a.mac {
				t.Errorf("%v acknowledged to %s and, by %s, to %s", a.addr, other, names[i], a.mac)
			}
			holder[a.addr] = a.mac
		}
	}
	rows := leaseRows(t, c, db.Name)
	for a, mac := range holder {
		if r, ok := rows[a]; !ok || r.hwaddr != mac || r.state != 0 {
			t.Errorf("acknowledged lease of %v to %s: row %+v (found %t)", a, mac, r, ok)
		}
	}
	t.Logf("%d addresses acknowledged, %d rows in lease4", len(holder), len(rows))
	select {
	case <-kea.Done():
		t.Errorf("kea-dhcp4 exited during the run: %v%s", kea.ExitErr(), testnet.IndentOutput(testnet.Tail(kea.Output(), 4000)))
	default:
	}
}

// perfdhcpLease is a lease perfdhcp -x l reports acknowledged.
type perfdhcpLease struct {
	addr netip.Addr
	mac  string
}

// perfdhcpLeaseLine is how perfdhcp 2.2's -x l lists a lease, after a
// heading for each exchange ("***Leases for REQUEST-ACK***"): the client
// identifier in hex (type 1, then the MAC), the address.
var perfdhcpLeaseLine = regexp.MustCompile(`^01([0-9a-f]{12}),([0-9.]+),`)

// perfdhcpLeases reads the leases a perfdhcp -x l report lists as
// acknowledged (offered ones are listed apart).
func perfdhcpLeases(t *testing.T, out string) []perfdhcpLease {
	t.Helper()
	var leases []perfdhcpLease
	sc := bufio.NewScanner(strings.NewReader(out))
	acks := false
	for sc.Scan() {
		if h, ok := strings.CutPrefix(sc.Text(), "***Leases for "); ok {
			acks = strings.HasPrefix(h, "REQUEST-ACK")
			continue
		}
		m := perfdhcpLeaseLine.FindStringSubmatch(sc.Text())
		if m == nil || !acks {
			continue
		}
		a, err := netip.ParseAddr(m[2])
		if err != nil {
			t.Fatalf("perfdhcp lease line %q: %v", sc.Text(), err)
		}
		b, err := hex.DecodeString(m[1])
		if err != nil {
			t.Fatalf("perfdhcp lease line %q: %v", sc.Text(), err)
		}
		hw := net.HardwareAddr(b)
		leases = append(leases, perfdhcpLease{addr: a, mac: hw.String()})
	}
	if len(leases) == 0 {
		t.Logf("perfdhcp listed no leases:%s", testnet.IndentOutput(testnet.Tail(out, 3000)))
	}
	return leases
}
