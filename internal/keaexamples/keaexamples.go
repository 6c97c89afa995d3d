// Package keaexamples finds, for tests, the example configurations that
// Kea 2.2 ships and Debian 12 installs with the kea-doc package, so that
// the config and optdef tests can check leased against Kea's own files
// without the repository carrying copies of them.
//
// The kea4 examples sit in /usr/share/doc/kea/examples/kea4, or in the
// directory the environment variable LEASED_KEA_EXAMPLES names (for a
// kea-doc unpacked elsewhere: scripts/test does that when the system's
// dpkg leaves /usr/share/doc out). The power-user-home templates are read
// from the template-power-user-home directory beside it.
//
// When the examples are missing, the test asking for them is skipped with
// a message naming the package to install; under LEASED_REQUIRE_E2E=1
// (which scripts/test sets) it fails instead, so a run that counts as
// complete has checked them.
package keaexamples

import (
	"fmt"
	"os"
	"path/filepath"
	"testing"
)

const (
	// DirEnv names a directory holding Kea's kea4 examples, read instead
	// of DebianDir.
	DirEnv = "LEASED_KEA_EXAMPLES"
	// DebianDir is where Debian 12's kea-doc 2.2.0 installs them.
	DebianDir = "/usr/share/doc/kea/examples/kea4"
	// requireEnv turns the skip into a failure (the same variable as
	// internal/testnet's, which this package does not import: that one
	// is Linux-only and these tests are not).
	requireEnv = "LEASED_REQUIRE_E2E"
)

// Dir returns the directory of Kea's kea4 example configurations, after
// checking that it holds all-keys.json. When it does not, it skips tb, or
// fails it under LEASED_REQUIRE_E2E=1.
func Dir(tb testing.TB) string {
	tb.Helper()
	dir, from := DebianDir, "the default location"
	if d := os.Getenv(DirEnv); d != "" {
		dir, from = d, DirEnv
	}
	if _, err := os.Stat(filepath.Join(dir, "all-keys.json")); err != nil {
		reason := fmt.Sprintf("Kea's example configurations are missing from %s (%s): %v; install Debian's kea-doc package (apt-get install kea-doc) or set %s to a directory holding its examples/kea4 files",
			dir, from, err, DirEnv)
		if os.Getenv(requireEnv) == "1" {
			tb.Fatalf("%s (%s=1, so this fails instead of skipping)", reason, requireEnv)
		}
		tb.Skip(reason)
	}
	return dir
}

// Configs returns the paths of the kea4 example configurations
// (*.json in Dir), skipping or failing tb as Dir does when there are none.
func Configs(tb testing.TB) []string {
	tb.Helper()
	dir := Dir(tb)
	files, err := filepath.Glob(filepath.Join(dir, "*.json"))
	if err != nil {
		tb.Fatal(err)
	}
	return files
}

// Templates returns the paths of the kea-dhcp4 configurations of Kea's
// power-user-home template, which kea-doc installs beside the kea4
// directory. Their absence fails tb: kea-doc installs both.
func Templates(tb testing.TB) []string {
	tb.Helper()
	dir := filepath.Join(filepath.Dir(Dir(tb)), "template-power-user-home")
	var files []string
	for _, name := range []string{"kea-dhcp4-1.conf", "kea-dhcp4-2.conf"} {
		p := filepath.Join(dir, name)
		if _, err := os.Stat(p); err != nil {
			tb.Fatalf("Kea's power-user-home template is incomplete: %v", err)
		}
		files = append(files, p)
	}
	return files
}
