package archtest

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os/exec"
	"strings"
	"testing"
)

const module = "github.com/leased/leased"

// layers ranks the module's packages as ARCHITECTURE.md draws them: a
// package may import packages of its own rank or lower, never higher.
// A prefix ending in "/" covers every package below it.
var layers = []struct {
	rank     int
	name     string
	packages []string
}{
	{0, "wire", []string{"dhcpv4", "dhcpv4/optdef", "dhcpv6"}},
	{1, "library", []string{"dhcpserver", "dhcpserver/dhcptest"}},
	{2, "engines", []string{
		"config", "config/", "classify", "alloc", "lease", "lease/", "ddns", "ddns/ncr",
		"dnsupdate",
		"control", "stats", "logging", "mesh", "mesh/", "client", "client/", "ha",
		"hosts", "hosts/",
		"snoop", "client6",
	}},
	{3, "DHCPv4 engine", []string{"engine"}},
	{4, "process", []string{"daemon", "daemon/", "demo"}},
	{5, "command", []string{"cmd/"}},
}

// support are packages outside the layers: tests, benchmarks and tools.
// They may import anything; a layered package may import only
// internal/netns of them (the demo's namespaces).
var support = []string{"internal/", "e2e", "bench", "bench/", "scripts/", "client/internal/"}

// shared are internal packages that production code of any layer may
// import: they stand at rank 0, below support, and import no package of
// the module at all.
var shared = []string{"internal/regularfile"}

func match(rel string, patterns []string) bool {
	for _, p := range patterns {
		if rel == p || (strings.HasSuffix(p, "/") && strings.HasPrefix(rel, p)) {
			return true
		}
	}
	return false
}

// rankOf returns the layer of rel, a package path relative to the module,
// or -1 for a support package.
func rankOf(rel string) (int, string, bool) {
	if match(rel, shared) {
		return 0, "shared", true
	}
	if match(rel, support) {
		return -1, "support", true
	}
	for _, l := range layers {
		if match(rel, l.packages) {
			return l.rank, l.name, true
		}
	}
	return 0, "", false
}

type pkg struct {
	ImportPath string
	Imports    []string
}

// listPackages runs go list over the module: the non-test imports of
// every package.
func listPackages(t *testing.T) []pkg {
	t.Helper()
	cmd := exec.Command("go", "list", "-e", "-json=ImportPath,Imports", module+"/...")
	cmd.Dir = "../.."
	out, err := cmd.Output()
	if err != nil {
		var ee *exec.ExitError
		if errors.As(err, &ee) {
			t.Fatalf("go list: %v\n%s", err, ee.Stderr)
		}
		t.Fatalf("go list: %v", err)
	}
	var pkgs []pkg
	dec := json.NewDecoder(strings.NewReader(string(out)))
	for {
		var p pkg
		if err := dec.Decode(&p); err == io.EOF {
			break
		} else if err != nil {
			t.Fatalf("reading go list output: %v", err)
		}
		pkgs = append(pkgs, p)
	}
	if len(pkgs) < 10 {
		t.Fatalf("go list found only %d packages", len(pkgs))
	}
	return pkgs
}

// TestLayers checks that no package imports a package of a higher layer,
// and that every package of the module has a place in ARCHITECTURE.md's
// layers.
func TestLayers(t *testing.T) {
	for _, p := range listPackages(t) {
		rel := strings.TrimPrefix(strings.TrimPrefix(p.ImportPath, module), "/")
		if _, _, ok := rankOf(rel); !ok {
			t.Errorf("package %s has no layer: add it to layers in this file and to ARCHITECTURE.md", rel)
			continue
		}
		for _, imp := range p.Imports {
			if !strings.HasPrefix(imp, module+"/") {
				continue
			}
			if why := refusal(rel, strings.TrimPrefix(imp, module+"/")); why != "" {
				t.Error(why)
			}
		}
	}
}

// refusal says why the package rel may not import irel (both relative
// to the module), or returns "" if it may. An import of a package with
// no layer is not refused here: that package is reported itself.
func refusal(rel, irel string) string {
	rank, name, _ := rankOf(rel)
	irank, iname, iok := rankOf(irel)
	switch {
	case !iok:
		return ""
	case match(rel, shared):
		return fmt.Sprintf("%s (%s) imports %s: a shared package imports nothing of the module", rel, name, irel)
	case rank == -1:
		// Support packages may import anything.
		return ""
	case irank == -1:
		if irel != "internal/netns" {
			return fmt.Sprintf("%s (%s) imports %s, a test or tool package", rel, name, irel)
		}
		return ""
	case irank > rank:
		return fmt.Sprintf("%s (%s, layer %d) imports %s (%s, layer %d): a layer imports only its own and lower ones", rel, name, rank, irel, iname, irank)
	}
	return ""
}

// TestRankOf keeps the classification itself honest: a package of a
// higher layer importing a lower one passes, the reverse does not.
func TestRankOf(t *testing.T) {
	for _, c := range []struct {
		rel  string
		rank int
	}{
		{"dhcpv4", 0}, {"dhcpv4/optdef", 0}, {"dhcpserver", 1}, {"lease/memfile", 2},
		{"engine", 3}, {"daemon", 4}, {"daemon/pidfile", 4}, {"cmd/leased", 5}, {"internal/testnet", -1},
		{"internal/regularfile", 0}, {"internal/regularfilex", -1},
	} {
		r, _, ok := rankOf(c.rel)
		if !ok || r != c.rank {
			t.Errorf("rankOf(%q) = %d, %v; want %d", c.rel, r, ok, c.rank)
		}
	}
	if _, _, ok := rankOf("enginex"); ok {
		t.Error(`rankOf("enginex") found a layer; want none (prefixes match whole path elements)`)
	}
	for _, c := range []struct {
		rel, irel string
		ok        bool
	}{
		{"engine", "dhcpserver", true},
		{"dhcpserver", "engine", false},
		{"daemon/pidfile", "internal/regularfile", true},
		{"dhcpv4", "internal/regularfile", true},
		{"internal/regularfile", "dhcpv4", false},
		{"internal/regularfile", "internal/netns", false},
		{"demo", "internal/netns", true},
		{"daemon", "internal/testnet", false},
		{"internal/testnet", "engine", true},
	} {
		if why := refusal(c.rel, c.irel); (why == "") != c.ok {
			t.Errorf("%s importing %s: refusal %q; want allowed = %v", c.rel, c.irel, why, c.ok)
		}
	}
}
