//go:build linux

package e2e

import (
	"bufio"
	"context"
	"fmt"
	"net/netip"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/leased/leased/internal/testnet"
)

// The leased-mesh binary without the race detector, whose memory is a
// router's (the race detector's shadow memory is many times the heap).
var (
	plainOnce sync.Once
	plainBin  string
	plainErr  error
)

func plainMeshBinary(t *testing.T) meshBinary {
	t.Helper()
	plainOnce.Do(func() {
		bin := filepath.Join(buildDir, "leased-mesh-norace")
		args := []string{"build", "-trimpath", "-ldflags=-s -w", "-o", bin, "github.com/leased/leased/cmd/leased-mesh"}
		cmd := exec.Command(goTool(), args...)
		cmd.Env = append(os.Environ(), "CGO_ENABLED=0")
		if out, err := cmd.CombinedOutput(); err != nil {
			plainErr = fmt.Errorf("go %s: %w\n%s", strings.Join(args, " "), err, out)
			return
		}
		plainBin = bin
	})
	if plainErr != nil {
		t.Fatalf("building leased-mesh: %v", plainErr)
	}
	return meshBinary{name: "leased-mesh", path: plainBin, ctl: []string{"ctl"}}
}

// procMemory reads the resident set (VmRSS) and its peak (VmHWM) of pid,
// in KiB.
func procMemory(t *testing.T, pid int) (rss, hwm int) {
	t.Helper()
	f, err := os.Open(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		k, v, ok := strings.Cut(sc.Text(), ":")
		if !ok || (k != "VmRSS" && k != "VmHWM") {
			continue
		}
		n, err := strconv.Atoi(strings.TrimSuffix(strings.TrimSpace(v), " kB"))
		if err != nil {
			t.Fatalf("/proc/%d/status %s: %q", pid, k, v)
		}
		if k == "VmRSS" {
			rss = n
		} else {
			hwm = n
		}
	}
	if rss == 0 || hwm == 0 {
		t.Fatalf("/proc/%d/status has no VmRSS or VmHWM", pid)
	}
	return rss, hwm
}

// TestMeshMemory measures the memory of leased-mesh as a router runs it
// (stripped, no race detector, its default GOMEMLIMIT and GOGC): a node of
// a two-node mesh idle after its learning phase, then after serving 250
// clients (perfdhcp, relayed, DORA each) with its lease store on tmpfs.
// The figures are logged (MEASURE) for bench/RESULTS.md; the test checks
// that the 250 clients were served and that the peak resident set stayed
// within the 12 MiB that a 64 MB router can give a DHCP daemon.
func TestMeshMemory(t *testing.T) {
	needs(t, "perfdhcp", "unshare", "mount")
	bin := plainMeshBinary(t)
	e := newMeshEnvWith(t, bin, 2, "-L", "-t", "2", "-B", "6", "-b", "5", "-s", "255", "-N", meshNet)
	e.startAll()
	e.waitSettled(e.nodes, true, 30*time.Second)
	for _, nd := range e.nodes {
		waitHook(t, nd, "endlearning")
	}
	nd := e.nodes[0]
	if comm, err := os.ReadFile(fmt.Sprintf("/proc/%d/comm", nd.proc.Pid())); err != nil || !strings.HasPrefix(string(comm), "leased-mesh") {
		t.Fatalf("pid %d is %q (%v), not leased-mesh", nd.proc.Pid(), comm, err)
	}
	time.Sleep(5 * time.Second) // idle: claims refreshed, housekeeping run
	rss, hwm := procMemory(t, nd.proc.Pid())
	t.Logf("MEASURE leased-mesh idle (2-node mesh, -b 5 -s 255, 8 own blocks): VmRSS %d KiB, VmHWM %d KiB", rss, hwm)

	const clients = 250
	relay := "192.0.2.10"
	nd.tn.Client.AddAddr(t, nd.tn.ClientIf, relay+"/24")
	rep, err := testnet.RunPerfdhcp(context.Background(), nd.tn.Client, testnet.PerfdhcpOptions{
		Server: netip.MustParseAddr(meshRelayIf), LocalAddr: netip.MustParseAddr(relay),
		Rate: 100, Clients: clients, Requests: clients,
		Args: []string{"-b", "mac=02:20:00:00:00:00"},
	})
	if err != nil {
		t.Fatal(err)
	}
	ra := rep.RequestAck()
	if ra.Received < clients*9/10 {
		t.Fatalf("perfdhcp: %d of %d REQUESTs acknowledged", ra.Received, ra.Sent)
	}
	leases := e.stat(nd, "dhcp.send_ack")
	rss, hwm = procMemory(t, nd.proc.Pid())
	t.Logf("MEASURE leased-mesh after serving %d clients (perfdhcp -R %d, %d ACKs): VmRSS %d KiB, VmHWM %d KiB", clients, clients, leases, rss, hwm)
	if hwm > maxMeshRSS {
		t.Errorf("leased-mesh peaked at %d KiB resident, over %d KiB", hwm, maxMeshRSS)
	}
}

// maxMeshRSS is the most resident memory, in KiB, a node serving 250
// clients may reach.
const maxMeshRSS = 12 << 10
