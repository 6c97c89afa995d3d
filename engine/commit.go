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

	mu      sync.Mutex
	queue   []dhcpserver.Deferred // nil entries: a write with no reply to send
	running bool
	last    time.Time // when the last sync started; owned by the running goroutine
	spare   []dhcpserver.Deferred

	// Owned by the running goroutine: while syncs fail, how many replies
	// were withheld, and since when. A failing store is logged when it
	// starts failing and when it works again, not once per reply.
	withheld int
	since    time.Time
}

// add queues d, a deferred ACK (nil for a write that sends nothing), for
// the next sync.
func (c *committer) add(d dhcpserver.Deferred) {
	c.mu.Lock()
	c.queue = append(c.queue, d)
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
			for i := 0; i < len(batch); i += sendSlice {
				if i > 0 {
					pause(sendGap)
				}
				slice := batch[i:min(i+sendSlice, len(batch))]
				dhcpserver.SendAll(slice)
				c.countSent(slice)
			}
		}
		clear(batch)
		c.mu.Lock()
		c.spare = batch[:0]
		c.mu.Unlock()
	}
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
func (c *committer) withhold(err error, batch []dhcpserver.Deferred) {
	if c.since.IsZero() {
		c.since = time.Now()
		c.log.Error("leases not durable; replies are withheld until the lease store works again", "error", err)
	}
	for _, d := range batch {
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
