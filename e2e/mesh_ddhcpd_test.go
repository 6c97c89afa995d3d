//go:build linux

package e2e

import (
	"context"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/leased/leased/internal/testnet"
	"github.com/leased/leased/mesh"
)

// ddhcpdEnv names the ddhcpd binary TestMeshWithDdhcpd runs. ddhcpd is
// not packaged by any distribution: build Gluon's version (3eefc27) with
// `CFLAGS="-DDDHCPD_STATISTICS -fcommon" make REVISION=3eefc27`
// (specification 14) and point this at it.
const ddhcpdEnv = "LEASED_DDHCPD"

// TestMeshWithDdhcpd runs leased nodes next to real ddhcpd nodes: they
// converge on disjoint blocks together, each serves its clients, and a
// client that moves from a ddhcpd node to a leased node, or the other way
// round, renews its address through the owner of its block. leased's
// control client reads ddhcpd's control socket too.
func TestMeshWithDdhcpd(t *testing.T) {
	bin := os.Getenv(ddhcpdEnv)
	if bin == "" {
		// Not a missing tool of the test machine: ddhcpd exists only as
		// source, so this test runs when a developer builds it.
		t.Skipf("set %s to a ddhcpd binary (3eefc27) to run leased next to real ddhcpd nodes", ddhcpdEnv)
	}
	if _, err := exec.LookPath(bin); err != nil {
		t.Fatalf("%s=%s: %v", ddhcpdEnv, bin, err)
	}
	needs(t, "udhcpc", "unshare", "mount")
	for _, mb := range meshBinaries(t) {
		t.Run(mb.name, func(t *testing.T) { testMeshWithDdhcpd(t, mb, bin) })
	}
}

// testMeshWithDdhcpd runs ddhcpd (the binary ddhcpd) on two nodes and mb
// on two.
func testMeshWithDdhcpd(t *testing.T, mb meshBinary, ddhcpd string) {
	bin := ddhcpd
	flags := []string{"-L", "-t", "2", "-B", "6", "-b", "5", "-N", meshNet}
	e := newMeshEnvWith(t, mb, 4, flags...)
	// Nodes 0 and 1 run ddhcpd, 2 and 3 leased (or leased-mesh).
	for _, nd := range e.nodes[:2] {
		nd.bin = bin
		nd.args = append(append([]string(nil), flags...), "-i", nd.tn.MeshIf, "-c", "client0", "-C", nd.ctl, "-H", nd.script)
	}
	start := time.Now()
	e.startAll()
	tables := e.waitSettled(e.nodes, true, 40*time.Second)
	t.Logf("MEASURE convergence: 2 ddhcpd + 2 leased nodes (-L -t 2 -B 6 -b 5) settled %v after the first start", time.Since(start).Round(time.Millisecond))
	for i, bt := range tables {
		t.Logf("node %d (%s) id %s owns %v", i, map[bool]string{true: "ddhcpd", false: "leased"}[i < 2], bt.id, bt.owned())
	}

	// Clients behind each node get addresses from that node's blocks.
	ctx := context.Background()
	for i, nd := range e.nodes {
		nd.tn.Client.AddMacvlan(t, nd.tn.ClientIf, "u0", nil)
		c := testnet.NewClient(t, testnet.Udhcpc, nd.tn.Client, "u0", testnet.ClientOptions{Timeout: 30 * time.Second})
		l, err := c.Obtain(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if tables[i].rows[blockOf(t, l.Addr, 5)].state != mesh.Ours {
			t.Errorf("node %d gave %v from a block it does not own (%v)", i, l.Addr, tables[i].owned())
		}
	}

	for _, tc := range []struct {
		name     string
		from, to int
	}{
		{"ddhcpd owner, leased forwards", 0, 2},
		{"leased owner, ddhcpd forwards", 3, 1},
	} {
		t.Run(tc.name, func(t *testing.T) {
			from, to := e.nodes[tc.from], e.nodes[tc.to]
			r := e.roamLink(t, from, "r0")
			r.AddMacvlan(t, "eth0", "ru", nil)
			u := testnet.NewClient(t, testnet.Udhcpc, r, "ru", testnet.ClientOptions{Timeout: 20 * time.Second})
			began := time.Now()
			l, err := u.Obtain(ctx)
			if err != nil {
				t.Fatal(err)
			}
			t.Logf("bound %v at node %d in %v", l.Addr, tc.from, time.Since(began).Round(time.Millisecond))
			e.moveLink(t, r, "r0", from, to)
			for range 3 {
				began = time.Now()
				l2, err := u.Renew(ctx)
				t.Logf("renewal through node %d: %v in %v", tc.to, l2.Addr, time.Since(began).Round(time.Millisecond))
				if err != nil {
					t.Fatal(err)
				}
				if l2.Addr != l.Addr {
					t.Fatalf("after moving from node %d to %d: %v, had %v", tc.from, tc.to, l2.Addr, l.Addr)
				}
			}
			t.Logf("node %d sent %d RENEWLEASEs, got %d LEASEACKs; node %d got %d RENEWLEASEs", tc.to, e.stat(to, "direct.send_renewlease"),
				e.stat(to, "direct.recv_leaseack"), tc.from, e.stat(from, "direct.recv_renewlease"))
			// ddhcpd's statistics have the same keys as leased's.
			if n := e.stat(to, "direct.send_renewlease"); n < 3 {
				t.Errorf("node %d sent %d RENEWLEASEs", tc.to, n)
			}
			if n := e.stat(from, "direct.send_leaseack"); n < 3 {
				t.Errorf("node %d sent %d LEASEACKs", tc.from, n)
			}
		})
	}
	// ddhcpd's BLOCK_SHOW through leased's control client.
	text, err := e.query(e.nodes[0], mesh.CtlBlockShow)
	if err != nil || !strings.Contains(text, "blocks in use: ") {
		t.Errorf("ddhcpd's BLOCK_SHOW: %q %v", text, err)
	}
	e.waitSettled(e.nodes, true, 20*time.Second)
}
