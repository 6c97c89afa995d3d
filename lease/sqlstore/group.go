package sqlstore

import (
	"context"
	"sync"
	"sync/atomic"

	"github.com/leased/leased/lease"
)

// Write is one writer's statement, committed with the others of its
// group (Group.Do).
type Write struct {
	SQL  string
	Args []any
	// Rows is the number of rows the statement matched, set by the
	// dialect's Flush.
	Rows int64
	// Err is the statement's own failure, set by a dialect whose engine
	// rolls back only that statement and commits the others.
	Err error

	ctx  context.Context
	done chan struct{}
}

// A Dialect runs groups of writes on one engine.
type Dialect interface {
	// Flush runs ws in one transaction and commits it, setting each
	// write's Rows, or its Err when the engine rolled back that statement
	// alone and goes on with the others. It returns an error when the
	// transaction as a whole failed; then none of ws is acknowledged.
	Flush(ctx context.Context, ws []*Write) error
	// Lost reports whether err is a lost connection: the server may or
	// may not have committed, so every writer of the group gets err.
	Lost(err error) bool
	// Retry reports whether err rolled back the transaction for a
	// reason that running it again may not meet (a deadlock with another
	// server's transaction, a serialization failure).
	Retry(err error) bool
}

// MaxGroup bounds the statements of one transaction, so that one flush
// holds its row locks for a bounded time.
const MaxGroup = 512

// retries is how many times a group a Dialect says to Retry runs again
// before its writes run one by one.
const retries = 3

// Group commits the writes of concurrent writers together: while one
// transaction is flushed, the writes that arrive wait, and the next
// transaction takes all of them at once. A writer alone is flushed at
// once, with no added wait; under load a transaction (and the flush of
// the server's log that its commit costs) holds as many writes as arrived
// during the one before. Each writer gets its own result.
//
// A zero Group is not usable; make one with NewGroup.
type Group struct {
	d Dialect

	mu      sync.Mutex
	pending []*Write
	running bool
	closed  bool
	wg      sync.WaitGroup

	flushes, writes atomic.Uint64
}

// NewGroup returns a Group that flushes with d.
func NewGroup(d Dialect) *Group { return &Group{d: d} }

// Do runs w with the writes pending at the same time and returns once the
// transaction holding it committed (nil: w.Rows is set) or failed (its
// error). A lost connection fails every writer of the transaction. A
// failure of one statement of a group (not a lost connection) makes each
// write run again alone, so it fails only its own writer. When ctx ends
// first Do returns ctx's error, and w may or may not be committed. Do
// copies the byte slices of w.Args: the caller may reuse them once Do
// returns.
func (g *Group) Do(ctx context.Context, w *Write) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	w.ctx, w.done, w.Rows, w.Err = ctx, make(chan struct{}), 0, nil
	// The flusher encodes the arguments, perhaps after the writer gave
	// up waiting and reused its lease's buffers.
	for i, v := range w.Args {
		if b, ok := v.([]byte); ok && b != nil {
			w.Args[i] = append([]byte{}, b...)
		}
	}
	g.mu.Lock()
	if g.closed {
		g.mu.Unlock()
		return lease.ErrClosed
	}
	g.pending = append(g.pending, w)
	if !g.running {
		g.running = true
		g.wg.Add(1)
		go g.run()
	}
	g.mu.Unlock()
	select {
	case <-w.done:
		return w.Err
	case <-ctx.Done():
		return ctx.Err()
	}
}

// Close flushes what is pending, waits for it, and refuses later writes
// (lease.ErrClosed).
func (g *Group) Close() {
	g.mu.Lock()
	g.closed = true
	g.mu.Unlock()
	g.wg.Wait()
}

// Stats returns the number of transactions flushed and of writes they
// held, to see how writes group.
func (g *Group) Stats() (flushes, writes uint64) { return g.flushes.Load(), g.writes.Load() }

// Pending returns the number of writes waiting for the next flush.
func (g *Group) Pending() int {
	g.mu.Lock()
	defer g.mu.Unlock()
	return len(g.pending)
}

func (g *Group) run() {
	defer g.wg.Done()
	for {
		g.mu.Lock()
		batch := g.pending
		if len(batch) > MaxGroup {
			batch = batch[:MaxGroup:MaxGroup]
			g.pending = g.pending[MaxGroup:]
		} else {
			g.pending = nil
		}
		if len(batch) == 0 {
			g.running = false
			g.mu.Unlock()
			return
		}
		g.mu.Unlock()
		g.flush(batch)
	}
}

// flush commits batch and tells each writer its result.
func (g *Group) flush(batch []*Write) {
	live := batch[:0:0]
	for _, w := range batch {
		if err := w.ctx.Err(); err != nil {
			w.Err = err // its writer has returned already, or will
			close(w.done)
			continue
		}
		live = append(live, w)
	}
	if len(live) == 0 {
		return
	}
	ctx, stop := whileWanted(live)
	defer stop()
	err := g.try(ctx, live)
	if err != nil && !g.d.Lost(err) && len(live) > 1 && ctx.Err() == nil {
		// One statement failed the transaction: each write runs alone,
		// to fail only its own writer.
		for _, w := range live {
			if e := g.try(w.ctx, []*Write{w}); e != nil {
				w.Err = e
			}
			close(w.done)
		}
		return
	}
	for _, w := range live {
		if err != nil {
			w.Err = err
		}
		close(w.done)
	}
}

// try flushes ws, again when the dialect says a failure may pass.
func (g *Group) try(ctx context.Context, ws []*Write) error {
	for i := 0; ; i++ {
		for _, w := range ws {
			w.Rows, w.Err = 0, nil
		}
		g.flushes.Add(1)
		g.writes.Add(uint64(len(ws)))
		err := g.d.Flush(ctx, ws)
		if err == nil || i == retries || !g.d.Retry(err) || ctx.Err() != nil {
			return err
		}
	}
}

// whileWanted is a context that ends when every writer's context has
// ended: a flush nobody waits for any more stops, and one a writer still
// waits for goes on, whatever the others' deadlines.
func whileWanted(ws []*Write) (context.Context, func()) {
	ctx, cancel := context.WithCancel(context.Background())
	var left atomic.Int64
	left.Store(int64(len(ws)))
	stops := make([]func() bool, len(ws))
	for i, w := range ws {
		stops[i] = context.AfterFunc(w.ctx, func() {
			if left.Add(-1) == 0 {
				cancel()
			}
		})
	}
	return ctx, func() {
		for _, s := range stops {
			s()
		}
		cancel()
	}
}
