//go:build linux

package e2e

import (
	"context"
	"fmt"
	"log/slog"
	"net/netip"
	"path/filepath"
	"testing"
	"time"

	"github.com/leased/leased/config"
	"github.com/leased/leased/engine"
	"github.com/leased/leased/internal/logtest"
	"github.com/leased/leased/internal/testnet"
	"github.com/leased/leased/lease"
	"github.com/leased/leased/lease/memfile"
)

// Leased is a leased server running in this process.
type Leased struct {
	// Stop shuts the server down and closes its store.
	Stop  func(t *testing.T)
	store *memfile.Store
}

// Has reports whether the server holds a live lease of a.
func (l *Leased) Has(t *testing.T, a netip.Addr) bool {
	t.Helper()
	var ls lease.Lease
	ok, err := l.store.Get(context.Background(), a, &ls)
	if err != nil {
		t.Fatal(err)
	}
	return ok && ls.State == lease.StateDefault && !ls.Expired(time.Now().Unix())
}

// StartLeased runs the leased server in the test's server namespace, in
// this process, with the same service as the Kea and dnsmasq references:
// the client is checked against leased as against the servers nobody here
// wrote. (A test of an engine package reaching up to the server is an
// interoperability test; the package itself does not depend on it.)
func StartLeased(t *testing.T, n *Net, cfg KeaConfig) *Leased {
	t.Helper()
	pool := cfg.Pool
	if pool == "" {
		pool = testnet.DirectPoolFirst + " - " + testnet.DirectPoolLast
	}
	valid := cfg.Valid
	if valid == 0 {
		valid = 3600
	}
	timers := ""
	if cfg.Renew > 0 {
		timers += fmt.Sprintf(`"renew-timer": %d, `, cfg.Renew)
	}
	if cfg.Rebind > 0 {
		timers += fmt.Sprintf(`"rebind-timer": %d, `, cfg.Rebind)
	}
	dir := t.TempDir()
	src := fmt.Sprintf(`{"Dhcp4": {
		"interfaces-config": {"interfaces": [%q]},
		"lease-database": {"type": "memfile", "name": %q},
		"valid-lifetime": %d, %s"authoritative": true,
		"subnet4": [{"id": 1, "subnet": %q, "pools": [{"pool": %q}],
			"option-data": [
				{"name": "routers", "data": %q},
				{"name": "domain-name-servers", "data": %q},
				{"name": "domain-name", "data": "e2e.test"}]}]}}`,
		testnet.PairServerIf, filepath.Join(dir, "leases"), valid, timers, testnet.DirectNet, pool, testnet.ServerAddr, testnet.ServerAddr)
	conf, diags, err := config.Parse("leased.json", []byte(src), nil)
	if err != nil {
		t.Fatalf("%v\n%v", err, diags)
	}
	store, err := memfile.Open(memfile.Options{Path: filepath.Join(dir, "leases"), Persist: true, Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		t.Fatal(err)
	}
	logs := &logtest.Buffer{}
	log := slog.New(slog.NewTextHandler(logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	stack, err := engine.NewStack(context.Background(), conf, store, &engine.StackOptions{Options: engine.Options{Logger: log}})
	if err != nil {
		t.Fatal(err)
	}
	ds, err := stack.Listen(engine.ListenOptions{Interfaces: []string{testnet.PairServerIf}, Logger: log, Open: n.Server.Do})
	if err != nil {
		stack.Close()
		t.Fatal(err)
	}
	stopped := false
	stop := func(t *testing.T) {
		if stopped {
			return
		}
		stopped = true
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		if err := ds.Shutdown(ctx); err != nil {
			t.Error(err)
		}
		stack.Close()
		if err := store.Close(); err != nil {
			t.Error(err)
		}
	}
	t.Cleanup(func() {
		stop(t)
		if t.Failed() {
			t.Logf("leased log:\n%s", logs.String())
		}
	})
	return &Leased{Stop: stop, store: store}
}
