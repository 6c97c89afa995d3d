package client

import (
	"context"
	"net/netip"
	"time"

	"github.com/leased/leased/dhcpv4"
)

// decline refuses an ACKed address another host uses (RFC 2131 §3.1 step
// 5) and waits before starting again; after ten conflicts in a row the wait
// is at least a minute (RFC 5227 §2.1.1, MAX_CONFLICTS, RATE_LIMIT_INTERVAL).
func (c *Client) decline(now time.Time, l *Lease) error {
	if err := c.openUnbound(); err != nil {
		return err
	}
	c.log.Warn("address in use, declining", "address", l.Address.Addr(), "server", l.ServerID)
	c.transmitOnce(msgParams{mt: dhcpv4.Decline, xid: c.cfg.Rand.Uint32(), requested: l.Address.Addr(), serverID: l.ServerID, message: "address in use"}, Broadcast)
	c.conflicts++
	wait := c.cfg.DeclineWait
	if c.conflicts >= 10 {
		wait = max(wait, time.Minute)
	}
	c.setState(StateInit, now)
	c.wakeAt = now.Add(wait)
	c.prevAddr = netip.Addr{}
	c.closeConn()
	return nil
}

func (c *Client) startProbe(l *Lease) {
	c.cancelProbe()
	c.probing = true
	c.pending = l
	c.probeGen++
	gen := c.probeGen
	ctx, cancel := context.WithCancel(c.ctx)
	c.probeCancel = cancel
	addr := l.Address.Addr()
	c.wg.Add(1)
	go func() {
		defer c.wg.Done()
		conflict, err := c.cfg.Prober.Probe(ctx, addr, c.hw)
		select {
		case c.probeRes <- probeResult{gen: gen, conflict: conflict, err: err}:
		case <-ctx.Done():
		}
	}()
}

func (c *Client) cancelProbe() {
	if c.probeCancel != nil {
		c.probeCancel()
		c.probeCancel = nil
	}
	c.probing = false
	c.pending = nil
}

func (c *Client) probeDone(r probeResult) error {
	if r.gen != c.probeGen || !c.probing {
		return nil
	}
	l := c.pending
	c.cancelProbe()
	now := c.now()
	if r.err != nil {
		// A probe that could not run says nothing about the address; the
		// server's word stands.
		c.log.Warn("ARP probe failed, using the address", "address", l.Address.Addr(), "error", r.err)
	} else if r.conflict {
		return c.decline(now, l)
	}
	return c.bind(now, l, EventBound)
}
