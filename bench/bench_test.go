//go:build linux

// Package bench_test checks that the benchmark harness (bench/run) works
// from this tree: its smoke mode builds leased and the ceiling responder,
// runs every server under perfdhcp, the crash audit and the reload phases,
// and prints its tables. It never looks at the figures: speed is measured
// by running bench/run by hand (bench/README.md), not asserted here.
package bench_test

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/leased/leased/internal/testnet"
)

// TestHarnessQuick runs `bench/run all -quick` and fails on any error of
// the harness: a server that does not start or dies, perfdhcp without a
// report, a lease store that misses an ACKed lease after kill -9, or a
// table that is not printed.
func TestHarnessQuick(t *testing.T) {
	testnet.RequireRoot(t, "perfdhcp", "kea-dhcp4", "dnsmasq", "ss", "go")
	ctx, cancel := context.WithTimeout(context.Background(), 4*time.Minute)
	defer cancel()
	out := t.TempDir()
	cmd := exec.CommandContext(ctx, "./run", "all", "-quick", "-o", out)
	// SIGTERM lets the harness stop its servers and remove its namespaces.
	cmd.Cancel = func() error { return cmd.Process.Signal(syscall.SIGTERM) }
	cmd.WaitDelay = 30 * time.Second
	// perfdhcp, kea-dhcp4 and dnsmasq live in /usr/sbin, which a user's
	// PATH may leave out; the binaries under test are built by the harness.
	cmd.Env = append(withoutEnv(os.Environ(), "LEASED_BIN", "CEILING_BIN", "BENCH_QUIET", "PATH"),
		"PATH="+os.Getenv("PATH")+":/usr/local/sbin:/usr/sbin:/sbin")
	var stdout, stderr strings.Builder
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	start := time.Now()
	err := cmd.Run()
	t.Logf("bench/run all -quick took %v", time.Since(start).Round(time.Second))
	if err != nil {
		t.Fatalf("bench/run all -quick: %v\nstdout:\n%s\nstderr:\n%s", err, testnet.IndentOutput(stdout.String()),
			testnet.IndentOutput(testnet.Tail(stderr.String(), 60)))
	}
	got := stdout.String()
	for _, want := range []string{
		"## Rate sweep",
		"### ceiling: ",
		"### leased ",
		"### Kea 2.2",
		"multi-threaded",
		"### dnsmasq ",
		"| offered DORA/s | sent DISCOVER/s | leases/s | drop % |",
		"## CPU per lease",
		"| server | offered DORA/s | leases | drop % | CPU s | **µs CPU per lease** |",
		"## Serving summary",
		"## Crash audit",
		"| ok |",
		"## Reload under load",
		"RELOADMED phase=newpool",
		"VERDICT overall=",
	} {
		if !strings.Contains(got, want) {
			t.Errorf("the tables lack %q", want)
		}
	}
	tables, err := os.ReadFile(filepath.Join(out, "tables.md"))
	if err != nil {
		t.Fatal(err)
	}
	if string(tables) != got {
		t.Errorf("tables.md differs from what bench/run printed:\n%s", testnet.IndentOutput(string(tables)))
	}
	if t.Failed() {
		t.Logf("stdout:\n%s", testnet.IndentOutput(got))
	}
}

// withoutEnv returns env without the variables named.
func withoutEnv(env []string, names ...string) []string {
	var kept []string
	for _, kv := range env {
		if name, _, _ := strings.Cut(kv, "="); !slices.Contains(names, name) {
			kept = append(kept, kv)
		}
	}
	return kept
}
