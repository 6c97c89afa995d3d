package mesh

import (
	"bytes"
	"slices"
	"time"
)

// A sentRecord is one INQUIRE or UPDATECLAIM the node emitted, with the
// block state it changed.
type sentRecord struct {
	data    []byte
	entries []undoEntry
	failed  bool // SendFailed has undone it
}

// An undoEntry is what one datagram did to one block: it moved the
// block's timeout from prev to set (and, for an INQUIRE, counted one
// inquiry; for an UPDATECLAIM, cleared the re-announce flag, which was
// announce).
type undoEntry struct {
	block     uint32
	prev, set time.Time
	announce  bool
}

// noteUndo records, for the datagram sendMulticast emitted last, that it
// moved block i's timeout from prev to set.
func (n *Node) noteUndo(i uint32, prev, set time.Time, announce bool) {
	r := &n.sent[len(n.sent)-1]
	r.entries = append(r.entries, undoEntry{block: i, prev: prev, set: set, announce: announce})
}

// collectSent starts a new generation of records when Outputs hands the
// datagrams to the caller: those just collected become the ones SendFailed
// looks at, and the generation before is forgotten.
func (n *Node) collectSent() {
	clear(n.last) // drop the datagrams
	n.last, n.sent = n.sent, n.last[:0]
}

// SendFailed tells the node that a datagram of a SendMulticast output
// could not be sent, so that the node keeps only state that peers can
// know of. ddhcpd changes a block's state for an INQUIRE or UPDATECLAIM
// only once sendto has succeeded (specification 3.6); the Node changes it
// when it emits the datagram, and SendFailed takes the change back:
//
//   - for an INQUIRE, each listed block still being claimed loses the
//     inquiry the datagram counted, and its CLAIMING timeout is what it
//     was before, so that a node whose INQUIREs nobody heard never owns
//     the block, and the block lapses as it does at the peers;
//   - for an UPDATECLAIM, each listed own block gets back the timeout it
//     had before the send (and its pending re-announce, if the datagram
//     answered an INQUIRE or a claim), so that a claim the peers stopped
//     hearing runs out here when it runs out there: Tick then gives the
//     block up (a BlockLost output) instead of serving addresses a peer
//     may now claim.
//
// No claim is then announced for half a tentative timeout, the pace of
// ddhcpd's housekeeping on a link that is down (it retries at every pass),
// and NextTick honours that. INQUIREs keep the housekeeping pace they
// have anyway. mcast.send_byte loses the datagram's bytes; the packet
// counters keep the attempt, as ddhcpd's do. Other datagrams, and
// datagrams the node no longer knows, are ignored.
//
// data must be the Data of an Output returned by the latest Outputs call,
// and the call must come before the next Outputs call; meshd calls it as
// soon as the send fails. Several datagrams in one batch may name the same
// block (an UPDATECLAIM at once in answer to an INQUIRE, then a refresh);
// reported in the order they were emitted, the block ends as if only the
// datagrams that went out had been emitted.
func (n *Node) SendFailed(data []byte) {
	k := n.findSent(data)
	if k < 0 {
		return
	}
	r := &n.last[k]
	r.failed = true
	n.stats[StatMcastSendByte] -= int64(len(data))
	n.retryAt = n.clock.Now().Add(n.hkEvery)
	cmd := Packet(data).Command()
	for _, e := range r.entries {
		b := &n.blocks[e.block]
		switch cmd {
		case Inquire:
			if b.state != Claiming || b.claims == 0 || !slices.Contains(n.claiming, e.block) {
				continue // taken back by a peer, or abandoned meanwhile
			}
			b.claims--
		case UpdateClaim:
			if b.state != Ours {
				continue // lost or released meanwhile
			}
		default:
			continue
		}
		if n.spliceUndo(k, cmd, e) {
			continue
		}
		if b.timeout.Equal(e.set) {
			b.timeout = e.prev
			b.announce = b.announce || e.announce
		}
	}
}

// findSent returns the index in n.last of the live record for data: the
// same buffer, or failing that (a caller that copied it) the first one
// with the same bytes. It returns -1 if there is none.
func (n *Node) findSent(data []byte) int {
	if len(data) < HeaderLen {
		return -1
	}
	for k := range n.last {
		r := &n.last[k]
		if !r.failed && len(r.data) == len(data) && &r.data[0] == &data[0] {
			return k
		}
	}
	for k := range n.last {
		r := &n.last[k]
		if !r.failed && bytes.Equal(r.data, data) {
			return k
		}
	}
	return -1
}

// spliceUndo handles a failed datagram (record k of n.last) whose block a
// later datagram of the same kind changed again: that one's undo now
// leads back to e's previous state, and the block's current state, which
// the later datagram set, stays until that one is known to have failed
// too. It reports whether there was such a datagram.
func (n *Node) spliceUndo(k int, cmd Command, e undoEntry) bool {
	for _, recs := range [][]sentRecord{n.last[k+1:], n.sent} {
		for _, r := range recs {
			if r.failed || Packet(r.data).Command() != cmd {
				continue
			}
			for j := range r.entries {
				if later := &r.entries[j]; later.block == e.block {
					later.prev = e.prev
					later.announce = later.announce || e.announce
					return true
				}
			}
		}
	}
	return false
}
