//go:build linux

package demo

import (
	"bytes"
	"context"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/leased/leased/internal/testnet"
)

// TestRun runs the whole demonstration and checks what it reports: every
// client bound, the reserved client on its reservation, renewals counted,
// leases released on the server, and nothing left behind.
func TestRun(t *testing.T) {
	testnet.RequireRoot(t)
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	var out bytes.Buffer
	if err := Run(ctx, Options{Clients: 4, Out: &out}); err != nil {
		t.Fatalf("%v\n%s", err, out.String())
	}
	report := out.String()
	sections := strings.Split(report, "\n\n")
	find := func(title string) string {
		for _, s := range sections {
			if strings.HasPrefix(s, title) {
				return s
			}
		}
		t.Fatalf("no section %q in:\n%s", title, report)
		return ""
	}
	bound := find("After DISCOVER")
	if n := strings.Count(bound, " BOUND "); n != 4 {
		t.Errorf("%d clients bound, want 4:\n%s", n, bound)
	}
	if !strings.Contains(bound, "02:00:5e:00:53:01  BOUND  "+reserved+"/24") {
		t.Errorf("the reserved client did not get %s:\n%s", reserved, bound)
	}
	if renewed := find("After renewal"); strings.Count(renewed, " 1/2\n")+strings.Count(renewed, " 1/2") < 4 {
		t.Errorf("renewals not acknowledged:\n%s", renewed)
	}
	// A released lease may already be reclaimed (expired-reclaimed) when
	// the demo lists the store: either way the release was recorded.
	if rel := find("Server's leases after the releases (4)"); strings.Count(rel, " released ")+strings.Count(rel, " expired-reclaimed ") != 4 {
		t.Errorf("server did not record 4 releases:\n%s", rel)
	}
	list, _ := exec.Command("ip", "netns", "list").Output()
	if strings.Contains(string(list), "leased-demo-"+strconv.Itoa(os.Getpid())+"-") {
		t.Errorf("namespaces left behind:\n%s", list)
	}
}
