//go:build linux

package e2e

import (
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"testing"

	"github.com/leased/leased/internal/testnet"
)

// TestUnitFile checks contrib/systemd/leased.service with systemd's own
// checker, against the leased binary under test put where the unit
// expects it: systemd-analyze verify finds no problem, and the unit is
// of Type=notify, which leased's sd_notify READY=1 needs.
func TestUnitFile(t *testing.T) {
	needs(t, "systemd-analyze")
	_, self, _, _ := runtime.Caller(0)
	src, err := os.ReadFile(filepath.Join(filepath.Dir(self), "..", "contrib", "systemd", "leased.service"))
	if err != nil {
		t.Fatal(err)
	}
	unit := string(src)
	for _, want := range []string{"Type=notify", "ExecStart=/usr/sbin/leased serve -c ", "ExecStartPre=/usr/sbin/leased serve -t ", "ExecReload=/bin/kill -HUP $MAINPID"} {
		if !strings.Contains(unit, want) {
			t.Errorf("the unit file lacks %q", want)
		}
	}
	dir := t.TempDir()
	path := filepath.Join(dir, "leased.service")
	if err := os.WriteFile(path, []byte(strings.ReplaceAll(unit, "/usr/sbin/leased", leasedBin)), 0o644); err != nil {
		t.Fatal(err)
	}
	out, err := exec.CommandContext(t.Context(), "systemd-analyze", "verify", path).CombinedOutput()
	if err != nil || strings.TrimSpace(string(out)) != "" {
		t.Errorf("systemd-analyze verify %s: %v%s", path, err, testnet.IndentOutput(string(out)))
	}
}
