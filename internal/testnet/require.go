package testnet

import (
	"fmt"
	"os"
	"os/exec"
	"strings"
	"testing"
)

// RequireE2EEnv is the environment variable that turns skips into failures.
// When it is "1", a test that cannot run its end-to-end part (not root, a
// binary missing) fails instead of being skipped. scripts/test sets it.
const RequireE2EEnv = "LEASED_REQUIRE_E2E"

// RequireRoot skips the test unless it runs as root and every named binary
// (and ip, which this package always needs) is on PATH. When
// LEASED_REQUIRE_E2E=1 it fails the test instead of skipping it.
func RequireRoot(t testing.TB, binaries ...string) {
	t.Helper()
	if os.Geteuid() != 0 {
		SkipOrFail(t, "end-to-end test needs root (network namespaces); run it with scripts/test as root")
		return
	}
	RequireBinaries(t, append([]string{"ip"}, binaries...)...)
}

// RequireBinaries skips the test unless every named binary is on PATH
// (root's PATH includes /usr/sbin and /sbin even when the caller's does
// not). When LEASED_REQUIRE_E2E=1 it fails the test instead.
func RequireBinaries(t testing.TB, binaries ...string) {
	t.Helper()
	var missing []string
	for _, b := range binaries {
		if _, err := lookPath(b); err != nil {
			missing = append(missing, b)
		}
	}
	if len(missing) > 0 {
		SkipOrFail(t, fmt.Sprintf("missing binaries %s (scripts/test installs them)", strings.Join(missing, ", ")))
	}
}

// SkipOrFail skips the test for reason, or fails it under
// LEASED_REQUIRE_E2E=1, where nothing a test needs may be missing.
func SkipOrFail(t testing.TB, reason string) {
	t.Helper()
	if os.Getenv(RequireE2EEnv) == "1" {
		t.Fatalf("%s (%s=1, so this fails instead of skipping)", reason, RequireE2EEnv)
	}
	t.Skip(reason)
}

// sbinDirs are searched after PATH: Debian puts ip, dhclient, dhcpcd,
// perfdhcp and dnsmasq in /usr/sbin, which a non-login shell's PATH may lack.
var sbinDirs = [...]string{"/usr/local/sbin", "/usr/sbin", "/sbin"}

// lookPath finds a binary on PATH or in the sbin directories.
func lookPath(name string) (string, error) {
	if p, err := exec.LookPath(name); err == nil {
		return p, nil
	}
	if strings.Contains(name, "/") {
		return "", fmt.Errorf("%s: not executable", name)
	}
	for _, d := range sbinDirs {
		p := d + "/" + name
		if fi, err := os.Stat(p); err == nil && !fi.IsDir() && fi.Mode()&0o111 != 0 {
			return p, nil
		}
	}
	return "", fmt.Errorf("%s: not found on PATH or in /usr/sbin, /sbin", name)
}
