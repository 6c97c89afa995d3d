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
		err := c.store.Sync(context.Background())
		c.note(err, batch)
		if err == nil {
			for i := 0; i < len(batch); i += sendSlice {
				if i > 0 {
					pause(sendGap)
				}
				slice := batch[i:min(i+sendSlice, len(batch))]
				dhcpserver.SendAll(slice)
				c.count(slice, true)
			}
		} else {
			for _, d := range batch {
				if d != nil {
					d.Cancel()
				}
			}
			c.count(batch, false)
		}
		clear(batch)
		c.mu.Lock()
		c.spare = batch[:0]
		c.mu.Unlock()
	}
}

// count counts the ACKs of batch as sent, or as dropped because their
// leases are not durable.
func (c *committer) count(batch []dhcpserver.Deferred, sent bool) {
	for _, d := range batch {
		switch {
		case d == nil:
		case sent:
			c.metrics.Sent(dhcpv4.Ack)
		default:
			c.metrics.Dropped(DropNotDurable)
		}
	}
}

// note logs the first failed sync of a run of them and the first success
// after it, with how many replies were withheld in between.
func (c *committer) note(err error, batch []dhcpserver.Deferred) {
	replies := 0
	for _, d := range batch {
		if d != nil {
			replies++
		}
	}
	switch {
	case err != nil && c.since.IsZero():
		c.since, c.withheld = time.Now(), replies
		c.log.Error("leases not durable; replies are withheld until the lease store works again", "error", err)
	case err != nil:
		c.withheld += replies
	case !c.since.IsZero():
		c.log.Info("leases durable again; replies are sent", "withheld", c.withheld, "for", time.Since(c.since).Round(time.Millisecond))
		c.since, c.withheld = time.Time{}, 0
	}
}
