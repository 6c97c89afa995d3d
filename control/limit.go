package control

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"runtime/debug"
	"sync"
	"sync/atomic"
	"time"
)

// connTable holds the connections of every control socket of a Server and
// keeps their number within bounds: in total (MaxConns) and, for HTTP, per
// source address (MaxConnsPerSource, or MaxConnsPerPeer for a peer's).
//
// A connection is either pending (it has not yet delivered a well-formed
// unix command or an authenticated HTTP request: new, reading, or an idle
// keep-alive) or busy (its command is being read, run or answered on
// behalf of a client that proved itself). When a new connection would
// exceed a bound, the oldest pending connection (of the same source, for
// the per-source bound) is closed to make room. A client that opens
// connections and never finishes a request therefore cannot keep a
// well-behaved client out: the newcomer displaces the squatters, and once
// its command is complete it can no longer be displaced. Only when every
// slot is busy does the listener stop accepting, until one is released.
type connTable struct {
	max, perSource int
	// perPeer bounds the sources in peers instead of perSource.
	perPeer int
	peers   map[string]bool

	log *slog.Logger

	mu       sync.Mutex
	conns    map[*trackedConn]struct{}
	bySource map[string]int
	seq      uint64
	freed    chan struct{} // closed and replaced when a slot may have become free
	// displaced counts the connections closed for newcomers since the
	// last log line about them, at lastLog.
	displaced uint64
	lastLog   time.Time
}

// displacedLogEvery spaces the log lines about displaced connections, so
// that an attack does not flood the log.
const displacedLogEvery = 10 * time.Second

// newConnTable returns the table of o's bounds (filled). Each peer's
// connections come on top of MaxConns, so that a partner busy with lease
// updates leaves the others their room.
func newConnTable(o Options, log *slog.Logger) *connTable {
	t := &connTable{max: o.MaxConns, perSource: o.MaxConnsPerSource, perPeer: o.MaxConnsPerPeer, log: log,
		peers: make(map[string]bool), conns: make(map[*trackedConn]struct{}), bySource: make(map[string]int), freed: make(chan struct{})}
	for _, a := range o.Peers {
		if k := a.Unmap().String(); !t.peers[k] {
			t.peers[k] = true
			t.max += o.MaxConnsPerPeer
		}
	}
	return t
}

// sourceLimit is the bound on source's connections: 0 is none.
func (t *connTable) sourceLimit(source string) int {
	if t.peers[source] {
		return t.perPeer
	}
	return t.perSource
}

// trackedConn is a connection in a connTable.
type trackedConn struct {
	net.Conn
	t      *connTable
	source string // the client's IP address; empty on unix sockets
	seq    uint64 // order of admission: lower is older
	// busy and gone are guarded by t.mu.
	busy bool
	gone bool
}

var (
	errAllBusy    = errors.New("every control connection is busy with a command")
	errSourceBusy = errors.New("every control connection from this address is busy with a command")
)

// waitRoom blocks until a connection could be admitted: a slot is free or
// held by a pending connection. It fails when ctx ends first.
func (t *connTable) waitRoom(ctx context.Context) bool {
	for {
		t.mu.Lock()
		room := len(t.conns) < t.max || t.oldestPending("", false) != nil
		freed := t.freed
		t.mu.Unlock()
		if room {
			return true
		}
		select {
		case <-freed:
		case <-ctx.Done():
			return false
		}
	}
}

// admit adds c, first closing the pending connection it displaces, if
// any. When every connection is busy, it waits for one to finish; when
// every connection from c's source is, it fails with errSourceBusy and the
// caller answers and closes c. It fails when ctx ends first.
func (t *connTable) admit(ctx context.Context, c net.Conn, source string) (*trackedConn, error) {
	for {
		tc, err := t.tryAdmit(c, source)
		if !errors.Is(err, errAllBusy) {
			return tc, err
		}
		// Waiting here holds up the listener, as waitRoom does before
		// Accept; the slot cannot go to a connection that came later.
		if !t.waitRoom(ctx) {
			return nil, ctx.Err()
		}
	}
}

func (t *connTable) tryAdmit(c net.Conn, source string) (*trackedConn, error) {
	t.mu.Lock()
	limit := t.sourceLimit(source)
	perSourceFull := source != "" && limit > 0 && t.bySource[source] >= limit
	var victim *trackedConn
	switch {
	case perSourceFull:
		victim = t.oldestPending(source, true)
	case len(t.conns) >= t.max:
		victim = t.oldestPending("", false)
	}
	if victim == nil && perSourceFull {
		t.mu.Unlock()
		return nil, errSourceBusy
	}
	if victim == nil && len(t.conns) >= t.max {
		t.mu.Unlock()
		return nil, errAllBusy
	}
	var logNow uint64
	if victim != nil {
		t.removeLocked(victim)
		t.displaced++
		if now := time.Now(); now.Sub(t.lastLog) >= displacedLogEvery {
			logNow, t.displaced, t.lastLog = t.displaced, 0, now
		}
	}
	t.seq++
	tc := &trackedConn{Conn: c, t: t, source: source, seq: t.seq}
	t.conns[tc] = struct{}{}
	if source != "" {
		t.bySource[source]++
	}
	t.mu.Unlock()
	if victim != nil {
		victim.Conn.Close()
	}
	if logNow > 0 {
		t.log.Warn("control connections that sent no complete command were closed to admit new ones",
			"closed", logNow, "max-connections", t.max, "max-per-source", t.perSource)
	}
	return tc, nil
}

// oldestPending returns the oldest connection that is not busy, of the
// given source when bySource is set. t.mu is held.
func (t *connTable) oldestPending(source string, bySource bool) *trackedConn {
	var old *trackedConn
	for tc := range t.conns {
		if tc.busy || bySource && tc.source != source {
			continue
		}
		if old == nil || tc.seq < old.seq {
			old = tc
		}
	}
	return old
}

// removeLocked takes tc out of the table and wakes waitRoom. t.mu is held.
func (t *connTable) removeLocked(tc *trackedConn) {
	if tc.gone {
		return
	}
	tc.gone = true
	delete(t.conns, tc)
	if tc.source != "" {
		if t.bySource[tc.source]--; t.bySource[tc.source] <= 0 {
			delete(t.bySource, tc.source)
		}
	}
	t.signalLocked()
}

func (t *connTable) signalLocked() {
	close(t.freed)
	t.freed = make(chan struct{})
}

// setBusy marks the connection as serving a client that proved itself
// (busy) or as waiting for its next request (not busy, displaceable).
func (tc *trackedConn) setBusy(busy bool) {
	t := tc.t
	t.mu.Lock()
	tc.busy = busy
	if !busy {
		t.signalLocked()
	}
	t.mu.Unlock()
}

// Close closes the connection and frees its slot.
func (tc *trackedConn) Close() error {
	tc.t.mu.Lock()
	tc.t.removeLocked(tc)
	tc.t.mu.Unlock()
	return tc.Conn.Close()
}

// tracked finds the trackedConn under a connection handed out by a
// listener (a *tls.Conn wraps it).
func tracked(c net.Conn) *trackedConn {
	for {
		switch v := c.(type) {
		case *trackedConn:
			return v
		case interface{ NetConn() net.Conn }:
			c = v.NetConn()
		default:
			return nil
		}
	}
}

// freeCommandBytes is how much of each command is read without drawing on
// the byte budget: enough for every command but config-set and
// config-test of a large configuration, and small enough that the
// connection bound alone keeps the total low (MaxConns × 64 KiB).
const freeCommandBytes = 64 << 10

// byteBudget bounds the bytes of command text that all connections hold
// at once (the MaxPendingBytes option). A command takes its share as its
// buffer grows and gives it back once it has been answered; a command
// that cannot get its share is refused, never queued, so a client cannot
// hold memory by waiting.
type byteBudget struct {
	limit int64

	mu   sync.Mutex
	held int64
	peak int64 // the most held since the budget was last free

	// Returning memory to the OS runs in one goroutine at a time;
	// freePending asks it for one more round.
	freeing, freePending atomic.Bool
}

func (b *byteBudget) take(n int64) bool {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.held+n > b.limit {
		return false
	}
	b.held += n
	b.peak = max(b.peak, b.held)
	return true
}

// freeOSMemoryAfter is how much command text the budget must have held
// for the memory to be returned to the OS once it is free again.
const freeOSMemoryAfter = 4 << 20

// give returns n bytes. When the last of the commands that together held
// at least freeOSMemoryAfter is done, the memory their text and its
// decoding used is handed back to the operating system: such commands
// are rare (config-set of a large configuration) and their garbage is
// what remains of the process's peak, which the runtime's background
// scavenger would otherwise return only slowly, or not at all while the
// server is idle and no garbage collection runs.
func (b *byteBudget) give(n int64) {
	if n == 0 {
		return
	}
	b.mu.Lock()
	b.held -= n
	free := b.held == 0 && b.peak >= freeOSMemoryAfter
	if b.held == 0 {
		b.peak = 0
	}
	b.mu.Unlock()
	if !free {
		return
	}
	b.freePending.Store(true)
	if b.freeing.CompareAndSwap(false, true) {
		go b.freeMemory()
	}
}

func (b *byteBudget) freeMemory() {
	for {
		for b.freePending.Swap(false) {
			debug.FreeOSMemory()
		}
		b.freeing.Store(false)
		// A give between the last Swap and the Store saw freeing set
		// and left its request to this goroutine.
		if !b.freePending.Load() || !b.freeing.CompareAndSwap(false, true) {
			return
		}
	}
}

func (b *byteBudget) inUse() int64 {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.held
}

// errBusy and errTooLarge are why a command is refused while it is read.
var (
	errBusy     = errors.New("control channel busy: the commands in progress hold all the memory allowed for commands; retry later")
	errTooLarge = errors.New("command too large")
)

// cmdReader reads one command: its feed finds the end and strips the
// comments, and its buffer grows only with a share of the byte budget.
type cmdReader struct {
	s    *Server
	f    feed
	held int64 // taken from s.budget
}

// reserve makes room for n bytes of command text in r.f.out.
func (r *cmdReader) reserve(n int) error {
	if n <= cap(r.f.out) {
		return nil
	}
	limit := int(r.s.opts.MaxRequestBytes)
	size := min(max(n, 2*cap(r.f.out), 4096), max(n, limit))
	if need := int64(max(0, size-freeCommandBytes)) - r.held; need > 0 {
		if !r.s.budget.take(need) {
			return errBusy
		}
		r.held += need
	}
	out := make([]byte, len(r.f.out), size)
	copy(out, r.f.out)
	r.f.out = out
	return nil
}

// write feeds p and returns how many of its bytes belong to the command.
// It fails when the command grows beyond MaxRequestBytes or the budget.
func (r *cmdReader) write(p []byte) (int, error) {
	limit := r.s.opts.MaxRequestBytes
	// One byte past the limit is enough to know the command is too large.
	if room := limit - int64(r.f.seen) + 1; int64(len(p)) > room {
		p = p[:room]
	}
	// The text without comments is never longer than what was read, so
	// the feed's appends stay within the reserved buffer.
	if err := r.reserve(len(r.f.out) + len(p)); err != nil {
		return 0, err
	}
	n := r.f.write(p)
	if int64(r.f.seen) > limit {
		return n, fmt.Errorf("%w: more than %d bytes", errTooLarge, limit)
	}
	return n, nil
}

// release gives the command's text and its share of the budget back.
func (r *cmdReader) release() {
	r.f.out = nil
	held := r.held
	r.held = 0
	r.s.budget.give(held)
}
