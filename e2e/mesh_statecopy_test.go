//go:build linux

package e2e

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/leased/leased/internal/testnet"
	"github.com/leased/leased/lease"
	"github.com/leased/leased/lease/memfile"
	"github.com/leased/leased/mesh"
)

// TestMeshStateCopy: leased-mesh keeps its state in one directory (tmpfs
// on a router) and a copy in another (flash, --state-copy). The node is
// stopped, its state directory emptied as a reboot empties tmpfs, and
// started again: it takes its leases and claims from the copy, owns its
// block again and renews its client's address.
func TestMeshStateCopy(t *testing.T) {
	needs(t, "udhcpc", "unshare", "mount")
	bin := meshBinaries(t)[1]
	if bin.name != "leased-mesh" {
		t.Fatalf("meshBinaries()[1] is %s", bin.name)
	}
	e := newMeshEnvWith(t, bin, 1, "-v", "-L", "-t", "2", "-B", "60", "-b", "5", "-N", meshNet)
	nd := e.nodes[0]
	flash := filepath.Join(e.dir, "flash")
	nd.args = append(nd.args, "--state-copy", flash, "--state-copy-every", "1h")
	e.startAll()
	before := e.waitSettled(e.nodes, true, 30*time.Second)[0]

	nd.tn.Client.AddMacvlan(t, nd.tn.ClientIf, "u0", nil)
	c := testnet.NewClient(t, testnet.Udhcpc, nd.tn.Client, "u0", testnet.ClientOptions{Timeout: 30 * time.Second})
	ctx := context.Background()
	l, err := c.Obtain(ctx)
	if err != nil {
		t.Fatal(err)
	}

	// A clean stop writes the copy (the hour has not passed).
	if err := nd.proc.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	<-nd.proc.Done()
	copied, err := os.ReadFile(filepath.Join(flash, "leases"))
	if err != nil || !strings.Contains(string(copied), "lease "+l.Addr.String()+" ") {
		t.Fatalf("the copy on flash: %q, %v; want %v in it", copied, err, l.Addr)
	}
	// The reboot: tmpfs is empty.
	if err := os.RemoveAll(nd.state); err != nil {
		t.Fatal(err)
	}
	e.start(nd, nil)
	e.waitReady(nd)
	if out := nd.proc.Output(); !strings.Contains(out, `msg="state taken from its copy"`) {
		t.Errorf("the restarted node did not say it took its state from the copy:\n%s", out)
	}
	after, err := e.blocks(nd)
	if err != nil {
		t.Fatal(err)
	}
	if blk := blockOf(t, l.Addr, 5); before.rows[blk].state != mesh.Ours || after.rows[blk].state != mesh.Ours {
		t.Errorf("%v's block %d: ours before (%v), after the restart (%v)?", l.Addr, blk, before.owned(), after.owned())
	}
	st, err := memfile.OpenReadOnly(memfile.Options{Path: filepath.Join(nd.state, "leases"), Persist: true})
	if err != nil {
		t.Fatal(err)
	}
	var found bool
	st.Walk(func(sl *lease.Lease) bool {
		found = found || sl.Addr == l.Addr
		return !found
	})
	st.Close()
	if !found {
		t.Errorf("the new state directory has no lease of %v", l.Addr)
	}
	l2, err := c.Renew(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if l2.Addr != l.Addr {
		t.Errorf("renewed %v after the reboot, had %v", l2.Addr, l.Addr)
	}
	if n := e.stat(nd, "dhcp.send_nak"); n != 0 {
		t.Errorf("the node sent %d NAKs after the reboot", n)
	}
}
