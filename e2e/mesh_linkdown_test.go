//go:build linux

package e2e

import (
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/leased/leased/mesh"
)

// ctlBlocks reads nd's block table through leased ctl mesh -b, the
// ddhcpdctl operators use.
func (e *meshEnv) ctlBlocks(t *testing.T, nd *meshNode) blockTable {
	t.Helper()
	bt, err := parseBlockShow(e.ctlMesh(t, nd, "-b"))
	if err != nil {
		t.Fatal(err)
	}
	return bt
}

// TestMeshLinkDown: three nodes that want more addresses than the range
// has share all its blocks. One node's mesh link goes down: its sends fail
// (ddhcpd's sendto fails the same way), so its claims stop counting. It
// gives its blocks up when their last announced claim runs out, as the
// others let them lapse, and the others take them over without a moment
// at which two nodes own one. When the link is back the mesh agrees again.
func TestMeshLinkDown(t *testing.T) {
	needs(t)
	// 198.18.0.0/27 in blocks of 4: 8 blocks; each node wants 4 of them.
	// B = 4 s: a claim is refreshed every second and lapses 4 s after the
	// last one that went out; housekeeping every t/2 = 1 s.
	e := newMeshEnv(t, 3, "-L", "-t", "2", "-B", "4", "-b", "2", "-s", "16", "-N", "198.18.0.0/27")
	e.startAll()
	tables := e.waitAllOwned(8, 30*time.Second)
	victim := 0
	for i, bt := range tables {
		if len(bt.owned()) > len(tables[victim].owned()) {
			victim = i
		}
	}
	vn := e.nodes[victim]
	gone := tables[victim].owned()
	vn.tn.NS.MustRun(t, "ip", "link", "set", vn.tn.MeshIf, "down")
	down := time.Now()

	var released, taken time.Duration
	for released == 0 || taken == 0 {
		if time.Since(down) > 20*time.Second {
			t.Fatalf("node %d's blocks %v: released after %v, all taken over after %v (0: not yet)", victim, gone, released, taken)
		}
		// The victim first, so that a block it still holds cannot have
		// been taken by the time the others are asked.
		vt := e.ctlBlocks(t, vn)
		since := time.Since(down)
		owner := map[uint32]int{}
		for _, i := range vt.owned() {
			owner[i] = victim
		}
		if released == 0 && len(vt.owned()) == 0 {
			released = since
		}
		takenNow := 0
		for j, nd := range e.nodes {
			if j == victim {
				continue
			}
			bt, err := e.blocks(nd)
			if err != nil {
				t.Fatal(err)
			}
			for _, i := range bt.owned() {
				if o, ok := owner[i]; ok {
					t.Fatalf("%v after the link went down, block %d is owned by node %d and node %d", since, i, o, j)
				}
				owner[i] = j
				if slices.Contains(gone, i) {
					takenNow++
				}
			}
		}
		if taken == 0 && takenNow == len(gone) {
			taken = time.Since(down)
		}
		time.Sleep(50 * time.Millisecond)
	}
	t.Logf("MEASURE link down: node %d (blocks %v) released them %v after its mesh link went down; the others owned them all %v after",
		victim, gone, released.Round(time.Millisecond), taken.Round(time.Millisecond))
	// The last claim that went out holds 4 s, and is refreshed every
	// second: the node must not give the block up at once when its link
	// goes down. How long before the link went down the last refresh
	// left depends on the machine's load (a loaded CI machine delayed it
	// by two seconds), so this bound only catches a node that gives up
	// at once; that no block ever has two owners is checked above.
	if released < time.Second {
		t.Errorf("node %d gave its blocks up %v after its link went down, before their claims ran out", victim, released)
	}
	out := vn.proc.Output()
	if !strings.Contains(out, "cannot send to the mesh") || strings.Count(out, "block lost") < len(gone) {
		t.Errorf("node %d's log lacks the send failures or the %d lost blocks:\n%s", victim, len(gone), out)
	}

	vn.tn.NS.MustRun(t, "ip", "link", "set", vn.tn.MeshIf, "up")
	vn.tn.NS.WaitCarrier(t, vn.tn.MeshIf)
	tables = e.waitSettled(e.nodes, false, 20*time.Second)
	vt := e.ctlBlocks(t, vn)
	for _, i := range gone {
		if r := vt.rows[i]; r.state != mesh.Claimed && r.state != mesh.Ours {
			t.Errorf("with its link back, node %d sees its old block %d as %v", victim, i, r.state)
		}
	}
	n := 0
	for _, bt := range tables {
		n += len(bt.owned())
	}
	if n != 8 {
		t.Errorf("%d of 8 blocks owned once the link is back", n)
	}
}
