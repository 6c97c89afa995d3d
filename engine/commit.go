package engine

import (
	"context"
	"log/slog"
	"sync"
	"time"

	"github.com/leased/leased/dhcpserver"
	"github.com/leased/leased/dhcpv4"
	"github.com/leased/leased/lease"
)

// A group's replies leave in slices of sendSlice, sendGap apart. After a
// slow flush (a busy disk can take tens of milliseconds) a group holds
// hundreds of ACKs, most of them, in a relayed network, for the same relay
// agent; sent back to back they arrive faster than it can read them and
// overflow its socket buffer (perfdhcp's default 208 KiB holds about 160).
// Paced, they still go at several hundred thousand a second, far above any
// arrival rate, so the backlog drains at once.
const (
	sendSlice = 64
	sendGap   = 100 * time.Microsecond
)

// committer sends deferred replies once the leases they acknowledge are
// durable, many at a time: handlers write their leases with lease.Async
// (visible at once) and queue their deferred replies here; the committer
// takes every queued reply, calls Store.Sync once, and then sends them all
// (with as few system calls as it can, see dhcpserver.SendAll), or cancels
// them all if Sync fails. A reply therefore never leaves before
// its lease is on stable storage, and one flush serves every reply queued
// while the previous one ran (group commit), without a handler, or the
// goroutine that called it, ever waiting for the disk.
//
// Syncs start at most once per interval. Under load, replies gather for up
// to that long, so that one fsync serves many of them: at 8,000 leases a
// second, a 1 ms interval halved the server's CPU time per lease against
// syncing as soon as the previous sync ended. A lone reply, with no sync
// in the last interval, is committed at once.
//
// The goroutine that commits runs only while replies are queued: add
// starts it, and it returns when it finds the queue empty.
type committer struct {
	store    lease.Store
	log      *slog.Logger
	metrics  Metrics
	interval time.Duration

	// repl, when not nil, receives the lease changes of every message
	// once they are durable; the replies wait for its verdict.
	repl Replicator
	// names, when not nil, is told of the lease changes of every
	// message once they are durable, before the replies leave.
	names NameChanges

	mu      sync.Mutex
	queue   []commitItem
	running bool
	last    time.Time // when the last sync started; owned by the running goroutine
	spare   []commitItem

	// Owned by the running goroutine: the replies of a batch that leave
	// now, and the replications handed to repl.
	send    []dhcpserver.Deferred
	repls   []*Replication
	changes []Change

	// Owned by the running goroutine: while syncs fail, how many replies
	// were withheld, and since when. A failing store is logged when it
	// starts failing and when it works again, not once per reply.
	withheld int
	since    time.Time
}

// commitItem is one message's writes waiting for the next sync: its
// deferred reply (nil when it sends nothing), and its lease changes when
// they are replicated (nil otherwise).
type commitItem struct {
	reply dhcpserver.Deferred
	repl  *Replication
}

// add queues d, a deferred ACK (nil for a write that sends nothing), and
// r, the lease changes to replicate before d leaves (nil for none), for
// the next sync.
func (c *committer) add(d dhcpserver.Deferred, r *Replication) {
	if r != nil {
		r.reply = d
		d = nil
	}
	c.mu.Lock()
	c.queue = append(c.queue, commitItem{reply: d, repl: r})
	start := !c.running
	c.running = true
	c.mu.Unlock()
	if start {
		go c.run()
	}
}

func (c *committer) run() {
	for {
		if wait := c.interval - time.Since(c.last); wait > 0 {
			time.Sleep(wait)
		}
		c.mu.Lock()
		batch := c.queue
		if len(batch) == 0 {
			c.running = false
			c.mu.Unlock()
			return
		}
		c.queue = c.spare[:0]
		c.mu.Unlock()

		c.last = time.Now()
		if err := c.store.Sync(context.Background()); err != nil {
			c.withhold(err, batch)
		} else {
			c.recovered()
			c.release(batch)
		}
		clear(batch)
		c.mu.Lock()
		c.spare = batch[:0]
		c.mu.Unlock()
	}
}

// release passes the replicated writes of batch, durable now, to the
// replicator, and sends the other replies.
func (c *committer) release(batch []commitItem) {
	c.send, c.repls = c.send[:0], c.repls[:0]
	for _, it := range batch {
		if it.repl != nil && c.names != nil {
			c.changes = append(c.changes, it.repl.Changes...)
		}
		switch {
		case it.repl != nil && c.repl != nil:
			c.repls = append(c.repls, it.repl)
		case it.repl != nil:
			// Recorded only for the DNS updates: the reply leaves now.
			it.repl.done.Store(true)
			if it.repl.reply != nil {
				c.send = append(c.send, it.repl.reply)
			}
		case it.reply != nil:
			c.send = append(c.send, it.reply)
		}
	}
	if len(c.changes) > 0 {
		c.names.NameChanges(c.changes)
		clear(c.changes)
		c.changes = c.changes[:0]
	}
	if len(c.repls) > 0 {
		c.repl.Replicate(c.repls)
		clear(c.repls)
	}
	for i := 0; i < len(c.send); i += sendSlice {
		if i > 0 {
			pause(sendGap)
		}
		slice := c.send[i:min(i+sendSlice, len(c.send))]
		dhcpserver.SendAll(slice)
		c.countSent(slice)
	}
	clear(c.send)
}

// countSent counts the ACKs of batch as sent.
func (c *committer) countSent(batch []dhcpserver.Deferred) {
	for _, d := range batch {
		if d != nil {
			c.metrics.Sent(dhcpv4.Ack)
		}
	}
}

// withhold cancels the ACKs of batch, whose leases the failed sync left
// not durable, and counts them as dropped. It logs the first failed sync
// of a run of them; recovered logs the success that ends the run, with
// how many replies were withheld in between.
func (c *committer) withhold(err error, batch []commitItem) {
	if c.since.IsZero() {
		c.since = time.Now()
		c.log.Error("leases not durable; replies are withheld until the lease store works again", "error", err)
	}
	for _, it := range batch {
		d := it.reply
		if it.repl != nil {
			// Not durable here, so not sent to the partner either.
			d = it.repl.reply
			it.repl.done.Store(true)
		}
		if d != nil {
			d.Cancel()
			c.metrics.Dropped(DropNotDurable)
			c.withheld++
		}
	}
}

// recovered logs a successful sync that ends a run of failed ones.
func (c *committer) recovered() {
	if c.since.IsZero() {
		return
	}
	c.log.Info("leases durable again; replies are sent", "withheld", c.withheld, "for", time.Since(c.since).Round(time.Millisecond))
	c.since, c.withheld = time.Time{}, 0
}
