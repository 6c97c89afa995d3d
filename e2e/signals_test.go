//go:build linux

package e2e

import (
	"context"
	"net"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/leased/leased/internal/testnet"
)

// TestSignals sends a running leased signals at bad moments while relayed
// clients run DORAs: a storm of SIGHUPs, SIGSTOP and SIGCONT, SIGTERM
// right after SIGHUP (during the reload), SIGHUPs right after SIGTERM
// (during the shutdown), and SIGTERM while stopped. leased must keep serving, exit 0 when told to,
// and the next start must serve every lease it acknowledged.
func TestSignals(t *testing.T) {
	needs(t)
	p := testnet.NewPair(t)
	dir := t.TempDir()
	leaseFile := filepath.Join(dir, "db", "dhcp4.leases")
	cfg := filepath.Join(dir, "kea-dhcp4.conf")
	sock := filepath.Join(dir, "leased.sock")
	writeFile(t, cfg, hostileConfig(leaseFile, sock))
	srv := newServer(t, p.Server, cfg, leaseFile)
	srv.start()
	ctl := &ctlRunner{t: t, ns: p.Server, sock: sock}
	r, err := newRelay(p.Client, p.RelayAddr, p.ServerAddr)
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()

	var (
		mu    sync.Mutex
		acked []ack
	)
	// load runs DORAs from four workers until stop is called; each
	// phase's clients have their own MACs.
	load := func(phase byte) (stop func() int) {
		ctx, cancel := context.WithCancel(t.Context())
		var wg sync.WaitGroup
		n := 0
		for w := range 4 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for i := uint32(0); ctx.Err() == nil; i++ {
					a, err := r.dora(ctx, macFor(phase<<2|byte(w), i), 200*time.Millisecond, 3)
					if err == nil {
						mu.Lock()
						acked = append(acked, a)
						n++
						mu.Unlock()
					}
				}
			}()
		}
		return func() int {
			cancel()
			wg.Wait()
			mu.Lock()
			defer mu.Unlock()
			return n
		}
	}
	signal := func(t *testing.T, sig syscall.Signal) {
		t.Helper()
		if err := srv.cur.Signal(sig); err != nil {
			t.Fatalf("%v: %v%s", sig, err, srv.lastLog())
		}
	}
	// served checks that a client gets a lease now.
	served := func(t *testing.T, when string, mac byte) {
		t.Helper()
		a, err := r.dora(t.Context(), macFor(0xee, uint32(mac)), time.Second, 5)
		if err != nil {
			t.Fatalf("%s: no lease for a new client: %v%s", when, err, srv.lastLog())
		}
		mu.Lock()
		acked = append(acked, a)
		mu.Unlock()
	}
	// exits waits for leased to exit after a signal and checks status 0.
	exits := func(t *testing.T, what string) {
		t.Helper()
		ctx, cancel := context.WithTimeout(t.Context(), 10*time.Second)
		defer cancel()
		if err := srv.cur.Wait(ctx); err != nil {
			t.Fatalf("%s: leased did not exit 0 within 10 s: %v%s", what, err, srv.lastLog())
		}
	}

	t.Run("sighup-storm", func(t *testing.T) {
		stop := load(1)
		for range 500 {
			signal(t, syscall.SIGHUP)
			time.Sleep(time.Millisecond)
		}
		time.Sleep(500 * time.Millisecond)
		n := stop()
		if !srv.running() {
			t.Fatalf("leased died in a SIGHUP storm%s", srv.lastLog())
		}
		reloads := strings.Count(srv.log(), "reloading the configuration (SIGHUP)")
		t.Logf("500 SIGHUPs: %d reloads, %d DORAs acknowledged meanwhile", reloads, n)
		if reloads == 0 || reloads > 500 {
			t.Errorf("%d reloads for 500 SIGHUPs", reloads)
		}
		if n == 0 {
			t.Error("no DORA was acknowledged during the SIGHUP storm")
		}
		if out := ctl.run("config-get"); !strings.Contains(out, "198.18.0.0/16") {
			t.Errorf("config-get after the storm:%s", testnet.IndentOutput(out))
		}
		served(t, "after the SIGHUP storm", 1)
	})

	t.Run("sigstop-sigcont", func(t *testing.T) {
		stop := load(2)
		time.Sleep(300 * time.Millisecond)
		signal(t, syscall.SIGSTOP)
		time.Sleep(2 * time.Second)
		signal(t, syscall.SIGCONT)
		time.Sleep(500 * time.Millisecond)
		n := stop()
		t.Logf("%d DORAs acknowledged around a 2 s SIGSTOP", n)
		if !srv.running() {
			t.Fatalf("leased died after SIGSTOP and SIGCONT%s", srv.lastLog())
		}
		served(t, "after SIGCONT", 2)
		if out := ctl.run("status-get"); !strings.Contains(strings.ToLower(out), "pid") {
			t.Errorf("status-get after SIGCONT:%s", testnet.IndentOutput(out))
		}
	})

	t.Run("sigterm-during-reload", func(t *testing.T) {
		stop := load(3)
		time.Sleep(300 * time.Millisecond)
		signal(t, syscall.SIGHUP)
		signal(t, syscall.SIGTERM)
		exits(t, "SIGTERM right after SIGHUP")
		stop()
		checkServed(t, srv, ctl, acked)
	})

	t.Run("sighup-during-shutdown", func(t *testing.T) {
		stop := load(4)
		time.Sleep(300 * time.Millisecond)
		signal(t, syscall.SIGTERM)
		for range 50 {
			if srv.cur.Signal(syscall.SIGHUP) != nil {
				break // gone already
			}
		}
		exits(t, "SIGHUPs right after SIGTERM")
		stop()
		checkServed(t, srv, ctl, acked)
	})
	t.Run("sigterm-while-stopped", func(t *testing.T) {
		stop := load(5)
		time.Sleep(300 * time.Millisecond)
		signal(t, syscall.SIGSTOP)
		signal(t, syscall.SIGTERM)
		time.Sleep(500 * time.Millisecond)
		signal(t, syscall.SIGCONT)
		exits(t, "SIGTERM while stopped, then SIGCONT")
		stop()
		checkServed(t, srv, ctl, acked)
	})
	srv.stop()
}

// checkServed starts leased again and checks that it serves every lease
// in acked.
func checkServed(t *testing.T, srv *server, ctl *ctlRunner, acked []ack) {
	t.Helper()
	srv.start()
	stored, err := srv.store()
	if err != nil {
		t.Fatal(err)
	}
	have := map[string]string{}
	for _, l := range stored {
		have[l.Addr.String()] = net.HardwareAddr(l.HWAddr).String()
	}
	lost := 0
	for _, a := range acked {
		if have[a.addr.String()] != a.mac {
			lost++
			if lost <= 5 {
				t.Errorf("acknowledged %v for %s is not in the store after the restart (has %q)", a.addr, a.mac, have[a.addr.String()])
			}
		}
	}
	t.Logf("restart: %d leases in the store, %d acknowledged so far, %d lost", len(stored), len(acked), lost)
	if len(acked) == 0 {
		t.Error("no DORA was acknowledged")
	}
	if out := ctl.run("config-get"); !strings.Contains(out, "198.18.0.0/16") {
		t.Errorf("config-get after the restart:%s", testnet.IndentOutput(out))
	}
}
