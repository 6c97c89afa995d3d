//go:build linux

package e2e

import (
	"context"
	"fmt"
	"math/rand/v2"
	"net"
	"net/netip"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/leased/leased/dhcpv4"
	"github.com/leased/leased/internal/testnet"
	"github.com/leased/leased/lease"
)

// TestCrashSafety drives leased with many concurrent relayed clients,
// kills it with SIGKILL at random moments and restarts it on the same
// lease file each time, while the clients keep going. Every DHCPACK a
// client received must be in the store at the end (address to the same
// MAC, assigned, not expired), no address may have been acknowledged to
// two clients, and no client may hold two addresses. A renewal of an
// acknowledged lease that is NAKed is a lost lease too.
func TestCrashSafety(t *testing.T) {
	needs(t)
	const (
		kills   = 25
		workers = 16
		opsRate = 800 // client operations started per second, all workers together
		wait    = 250 * time.Millisecond
		tries   = 4
		// The lease file is compacted every second, so that some kills
		// land in the middle of a compaction.
		lfcInterval = 1
	)
	p := testnet.NewPair(t)
	dir := t.TempDir()
	leaseFile := filepath.Join(dir, "db", "dhcp4.leases")
	cfg := filepath.Join(dir, "kea-dhcp4.conf")
	writeFile(t, cfg, servingConfig(leaseFile, testnet.NewMAC(), lfcInterval))
	srv := newServer(t, p.Server, cfg, leaseFile)
	srv.start()

	r, err := newRelay(p.Client, p.RelayAddr, p.ServerAddr)
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()

	seed := uint64(time.Now().UnixNano())
	t.Logf("random seed %d", seed)
	rng := rand.New(rand.NewPCG(seed, 1))

	var (
		mu         sync.Mutex
		acked      = map[netip.Addr]ack{} // the latest ACK of each address
		macs       = map[string]bool{}    // every client that got an ACK
		violations []string
		nAcks      int
		nRenewals  int
		nFailed    int // DORAs that gave up (server down too long, NAKs)
	)
	violate := func(format string, args ...any) {
		mu.Lock()
		defer mu.Unlock()
		if len(violations) < 50 {
			violations = append(violations, fmt.Sprintf(format, args...))
		}
	}
	record := func(a ack, renewal bool) {
		mu.Lock()
		defer mu.Unlock()
		if prev, ok := acked[a.addr]; ok && prev.mac != a.mac {
			violations = append(violations, fmt.Sprintf("%v acknowledged to %s at %s and to %s at %s",
				a.addr, prev.mac, prev.at.Format(time.StampMilli), a.mac, a.at.Format(time.StampMilli)))
		}
		acked[a.addr] = a
		macs[a.mac] = true
		nAcks++
		if renewal {
			nRenewals++
		}
	}

	ctx, cancel := context.WithCancel(t.Context())
	defer cancel()
	// A shared pace keeps the load modest on a small machine.
	tick := time.NewTicker(time.Second / opsRate)
	defer tick.Stop()
	var wg sync.WaitGroup
	for w := range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			wrng := rand.New(rand.NewPCG(seed, uint64(w)+2))
			var mine []ack
			for n := uint32(0); ; {
				select {
				case <-ctx.Done():
					return
				case <-tick.C:
				}
				if len(mine) > 0 && wrng.IntN(5) == 0 {
					a := mine[wrng.IntN(len(mine))]
					mac, _ := net.ParseMAC(a.mac)
					rep, err := r.renew(ctx, mac, a.addr, wait, tries)
					switch {
					case err != nil:
						// No answer: the server was down throughout.
					case rep.MessageType() == dhcpv4.Nak:
						violate("renewal of acknowledged %v for %s NAKed at %s: the lease was lost", a.addr, a.mac, time.Now().Format(time.StampMilli))
					case rep.YIAddr() != a.addr:
						violate("renewal of %v for %s acknowledged %v", a.addr, a.mac, rep.YIAddr())
					default:
						record(ack{addr: a.addr, mac: a.mac, at: time.Now()}, true)
					}
					continue
				}
				mac := macFor(byte(w), n)
				n++
				a, err := r.dora(ctx, mac, wait, tries)
				if err != nil {
					if ctx.Err() == nil {
						mu.Lock()
						nFailed++
						mu.Unlock()
					}
					continue
				}
				record(a, false)
				mine = append(mine, a)
			}
		}()
	}
	stopLoad := func() {
		cancel()
		wg.Wait()
	}

	start := time.Now()
	var restarts []time.Duration
	repairs := 0
	for k := range kills {
		time.Sleep(time.Duration(200+rng.IntN(1800)) * time.Millisecond)
		mu.Lock()
		before := nAcks
		mu.Unlock()
		if err := srv.kill(); err != nil {
			stopLoad()
			t.Fatalf("kill %d: %v", k+1, err)
		}
		down := time.Now()
		if err := srv.tryStart(15 * time.Second); err != nil {
			stopLoad()
			t.Fatalf("restart after kill %d (%d ACKs so far): %v", k+1, before, err)
		}
		restarts = append(restarts, time.Since(down))
		if d := time.Since(down); d > 500*time.Millisecond {
			t.Logf("restart %d took %v (killed at %s):%s", k+1, d, down.Format(time.StampMicro), testnet.IndentOutput(srv.log()))
		}
		if strings.Contains(srv.log(), "level=WARN") || strings.Contains(srv.log(), "level=ERROR") {
			repairs++
			t.Logf("restart %d logged:%s", k+1, testnet.IndentOutput(srv.log()))
		}
	}
	time.Sleep(500 * time.Millisecond) // the last server serves too
	stopLoad()
	elapsed := time.Since(start)
	srv.stop()

	mu.Lock()
	defer mu.Unlock()
	slices.Sort(restarts)
	t.Logf("%d kills in %v: %d ACKs (%d renewals) to %d clients, %d DORAs abandoned, %d stray replies; restart to serving: median %v, max %v; %d restarts logged warnings",
		kills, elapsed.Round(time.Millisecond), nAcks, nRenewals, len(macs), nFailed, r.stray.Load(),
		restarts[len(restarts)/2].Round(time.Millisecond), restarts[len(restarts)-1].Round(time.Millisecond), repairs)
	if nAcks < 1000 {
		t.Errorf("only %d ACKs: the load did not reach the server", nAcks)
	}
	for _, v := range violations {
		t.Error(v)
	}

	ls, err := readStore(leaseFile)
	if err != nil {
		t.Fatal(err)
	}
	now := time.Now().Unix()
	byAddr := make(map[netip.Addr]lease.Lease, len(ls))
	perMAC := map[string][]netip.Addr{}
	for _, l := range ls {
		byAddr[l.Addr] = l
		m := net.HardwareAddr(l.HWAddr).String()
		perMAC[m] = append(perMAC[m], l.Addr)
	}
	var missing []string
	for addr, a := range acked {
		l, ok := byAddr[addr]
		switch {
		case !ok:
			missing = append(missing, fmt.Sprintf("%v (ACKed to %s at %s): not in the store", addr, a.mac, a.at.Format(time.StampMilli)))
		case net.HardwareAddr(l.HWAddr).String() != a.mac:
			missing = append(missing, fmt.Sprintf("%v (ACKed to %s at %s): the store has it for %v", addr, a.mac, a.at.Format(time.StampMilli), net.HardwareAddr(l.HWAddr)))
		case l.State != lease.StateDefault || l.Expired(now):
			missing = append(missing, fmt.Sprintf("%v (ACKed to %s at %s): stored %v", addr, a.mac, a.at.Format(time.StampMilli), l.String()))
		}
	}
	slices.Sort(missing)
	if len(missing) > 0 {
		t.Errorf("%d of %d acknowledged leases are not in the store as acknowledged; the first:\n\t%s",
			len(missing), len(acked), strings.Join(missing[:min(len(missing), 20)], "\n\t"))
	}
	for m := range macs {
		if addrs := perMAC[m]; len(addrs) > 1 {
			t.Errorf("client %s holds %d addresses in the store: %v", m, len(addrs), addrs)
		}
	}
	t.Logf("store: %d leases, %d acknowledged addresses checked; files: %s", len(ls), len(acked), listDir(filepath.Dir(leaseFile)))
	if t.Failed() {
		t.Logf("last leased log:%s", testnet.IndentOutput(testnet.Tail(srv.log(), 4000)))
	}
}

// listDir names the files in dir with their sizes, for the log.
func listDir(dir string) string {
	ents, err := os.ReadDir(dir)
	if err != nil {
		return err.Error()
	}
	var out []string
	for _, e := range ents {
		if fi, err := e.Info(); err == nil {
			out = append(out, fmt.Sprintf("%s (%d bytes)", e.Name(), fi.Size()))
		}
	}
	return strings.Join(out, ", ")
}
