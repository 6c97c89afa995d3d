package manager_test

import (
	"context"
	"fmt"
	"log/slog"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/leased/leased/client/internal/e2e"
	"github.com/leased/leased/config"
	"github.com/leased/leased/dhcpserver"
	"github.com/leased/leased/internal/testnet"
	"github.com/leased/leased/lease/memfile"
	"github.com/leased/leased/server"
)

// startLeased runs the leased server in the test's server namespace, in
// this process, with the same service as the Kea and dnsmasq references:
// the client is checked against leased as against the servers nobody here
// wrote. (A test of an engine package reaching up to the server is an
// interoperability test; the package itself does not depend on it.)
func startLeased(t *testing.T, n *e2e.Net, valid int, pool string) func(t *testing.T) {
	t.Helper()
	if pool == "" {
		pool = testnet.DirectPoolFirst + " - " + testnet.DirectPoolLast
	}
	dir := t.TempDir()
	src := fmt.Sprintf(`{"Dhcp4": {
		"interfaces-config": {"interfaces": [%q]},
		"lease-database": {"type": "memfile", "name": %q},
		"valid-lifetime": %d, "authoritative": true,
		"subnet4": [{"id": 1, "subnet": %q, "pools": [{"pool": %q}],
			"option-data": [
				{"name": "routers", "data": %q},
				{"name": "domain-name-servers", "data": %q},
				{"name": "domain-name", "data": "e2e.test"}]}]}}`,
		testnet.PairServerIf, filepath.Join(dir, "leases"), valid, testnet.DirectNet, pool, testnet.ServerAddr, testnet.ServerAddr)
	cfg, diags, err := config.Parse("leased.json", []byte(src), nil)
	if err != nil {
		t.Fatalf("%v\n%v", err, diags)
	}
	store, err := memfile.Open(memfile.Options{Path: filepath.Join(dir, "leases"), Persist: true, Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		t.Fatal(err)
	}
	logs := &lockedWriter{b: &strings.Builder{}}
	log := slog.New(slog.NewTextHandler(logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	srv, err := server.New(context.Background(), cfg, store, &server.Options{Logger: log})
	if err != nil {
		t.Fatal(err)
	}
	ds := &dhcpserver.Server{Interfaces: []string{testnet.PairServerIf}, Handler: srv, Logger: log}
	if err := n.Server.Do(ds.Listen); err != nil {
		t.Fatal(err)
	}
	go ds.Serve()
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
	return stop
}

// lockedWriter serialises writes from the server's goroutines.
type lockedWriter struct {
	mu sync.Mutex
	b  *strings.Builder
}

func (w *lockedWriter) Write(p []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.b.Write(p)
}

func (w *lockedWriter) String() string {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.b.String()
}
