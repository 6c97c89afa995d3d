package main

import (
	"cmp"
	"maps"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"testing"
)

// sizeGoal is the budget for mips and mipsle (3 MB). It is not
// met: the Go runtime with fmt and net alone takes 2.16 MB there, and the
// node's own packages (mesh, meshd, memfile, dhcpserver, dhcpv4) with what
// they need of the standard library another 1.3 MB (bench/RESULTS.md).
// TestSize prints how far each target is from it.
const sizeGoal = 3_000_000

// gluonTargets are the architectures Gluon builds for, as Go names them,
// each with the most its stripped leased-mesh may weigh: the size
// measured when log/slog went out (45d55dd) rounded up to the next 64
// KiB, the step in which the linker's segments grow, plus one step for
// small changes. More means something heavy came in: TestSizeByPackage
// and bench/RESULTS.md say where the bytes go.
var gluonTargets = []struct {
	name   string
	env    []string
	budget int64
}{
	{"mips softfloat", []string{"GOARCH=mips", "GOMIPS=softfloat"}, 3_670_016},     // 3,539,137 measured
	{"mipsle softfloat", []string{"GOARCH=mipsle", "GOMIPS=softfloat"}, 3_670_016}, // 3,539,137
	{"arm v7", []string{"GOARCH=arm", "GOARM=7"}, 3_211_264},                       // 3,080,354
	{"arm64", []string{"GOARCH=arm64"}, 3_276_800},                                 // 3,145,890
	{"amd64", []string{"GOARCH=amd64"}, 3_276_800},                                 // 3,195,042
}

// TestSize cross-builds leased-mesh for every Gluon target as a router
// package would (static, stripped, without build paths), prints each
// size with its budget and its distance to sizeGoal, and fails when one
// is over its budget.
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
		t.Logf("MEASURE leased-mesh linux/%s: %d bytes stripped (budget %d; the issue's goal %d: %+d)",
			tg.name, fi.Size(), tg.budget, sizeGoal, fi.Size()-sizeGoal)
		if fi.Size() > tg.budget {
			t.Errorf("leased-mesh for linux/%s is %d bytes stripped, over the budget of %d by %d", tg.name, fi.Size(), tg.budget, fi.Size()-tg.budget)
		}
	}
}

// TestSizeByPackage builds leased-mesh for mipsle as TestSize does but
// with its symbol table, adds up its symbols' sizes by package (go tool
// nm -size: machine code and data; the function tables of .gopclntab,
// about 0.6 bytes per byte of code, are not counted) and prints the
// heaviest, for bench/RESULTS.md. It fails when encoding/json's encoder
// is linked: log/slog's handlers bring it (with log/slog, about 400 KB
// in all), and so would a json.Marshal anywhere on the node's path.
func TestSizeByPackage(t *testing.T) {
	bin := filepath.Join(t.TempDir(), "leased-mesh")
	cmd := exec.Command(goTool(), "build", "-trimpath", "-o", bin, ".")
	cmd.Env = append(buildEnv(), "GOOS=linux", "GOARCH=mipsle", "GOMIPS=softfloat", "CGO_ENABLED=0")
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("building for linux/mipsle: %v\n%s", err, out)
	}
	out, err := exec.Command(goTool(), "tool", "nm", "-size", bin).Output()
	if err != nil {
		t.Fatalf("go tool nm: %v", err)
	}
	code, data := map[string]int64{}, map[string]int64{}
	var totalCode, totalData int64
	for line := range strings.Lines(string(out)) {
		f := strings.Fields(line) // address, size, type, name (which may hold spaces)
		if len(f) < 4 {
			continue
		}
		size, err := strconv.ParseInt(f[1], 10, 64)
		if err != nil {
			t.Fatalf("go tool nm: %q: %v", line, err)
		}
		name := strings.Join(f[3:], " ")
		if strings.HasPrefix(name, "encoding/json.(*encodeState)") {
			t.Errorf("leased-mesh links encoding/json's encoder (%s)", name)
		}
		switch f[2] {
		case "T", "t":
			code[symbolPackage(name)] += size
			totalCode += size
		case "B", "b": // zeroed at start: no bytes in the file
		default:
			data[symbolPackage(name)] += size
			totalData += size
		}
	}
	pkgs := slices.Collect(maps.Keys(code))
	for p := range data {
		if _, ok := code[p]; !ok {
			pkgs = append(pkgs, p)
		}
	}
	slices.SortFunc(pkgs, func(a, b string) int { return cmp.Compare(code[b]+data[b], code[a]+data[a]) })
	t.Logf("MEASURE linux/mipsle symbols: %d bytes of code, %d of data", totalCode, totalData)
	for _, p := range pkgs[:min(len(pkgs), 30)] {
		t.Logf("MEASURE %-42s %8d code %8d data", p, code[p], data[p])
	}
}

// symbolPackage returns the package a symbol belongs to: what comes
// before the first dot after the last slash of its name, generic type
// arguments left out; the linker's own symbols (go:func.*, type:*) are
// grouped by their prefix.
func symbolPackage(name string) string {
	if i := strings.IndexByte(name, '['); i >= 0 {
		name = name[:i]
	}
	for _, linker := range []string{"go:", "type:"} {
		if strings.HasPrefix(name, linker) {
			return "(" + linker + ")"
		}
	}
	base := max(strings.LastIndexByte(name, '/'), 0)
	if i := strings.IndexByte(name[base:], '.'); i >= 0 {
		return name[:base+i]
	}
	return name
}

// nodePackages are the module's packages a node is made of.
var nodePackages = []string{
	"cmd/leased-mesh", "mesh", "mesh/meshd", "dhcpv4", "dhcpv4/optdef", "dhcpserver",
	"lease", "lease/memfile", "internal/regularfile",
}

// heavy are packages outside the module that no node needs and that
// would weigh on the binary: HTTP (control over HTTP, Prometheus), TLS,
// SQL drivers, templates, os/exec (the node starts its hook itself),
// log/slog (the node has its own text logger; slog's handlers link
// encoding/json's encoder).
var heavy = []string{
	"net/http", "crypto/tls", "database/sql", "text/template", "html/template", "os/exec", "log/slog",
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
