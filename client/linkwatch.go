package client

import (
	"time"
)

// watchLink starts following the link's state if the Transport can
// report it. A watch that cannot start costs only the reaction to link
// changes, so it is logged, not fatal.
func (c *Client) watchLink() {
	lw, ok := c.tr.(LinkWatcher)
	if !ok || c.cfg.IgnoreLink {
		return
	}
	w, err := lw.WatchLink()
	if err != nil {
		c.log.Warn("not watching the link; a link that goes down and up again will go unnoticed", "error", err)
		return
	}
	c.linkWatch = w
	c.wg.Add(1)
	go func() {
		defer c.wg.Done()
		for {
			up, err := w.Next()
			if err != nil {
				select {
				case <-c.stopping:
				default:
					c.log.Warn("stopped watching the link", "error", err)
				}
				return
			}
			select {
			case c.linkEv <- up:
			case <-c.stopping:
				return
			}
		}
	}()
}

// linkChanged handles a change of the link's state. A client whose link
// went down and came back may have been moved to another network (RFC 2131
// §3.7): when the link returns, a client holding a lease, or confirming
// one, confirms it at once with INIT-REBOOT, keeping the address
// meanwhile. An ACK binds it with the new expiry, a NAK sends it to INIT,
// and no answer leaves it the lease until its expiry, as at a restart.
// Clients acquiring a lease carry on with their retransmissions.
func (c *Client) linkChanged(now time.Time, up bool) {
	if !up {
		if !c.linkDown {
			c.log.Info("link down", "state", c.st)
		}
		c.linkDown = true
		return
	}
	if !c.linkDown {
		return
	}
	c.linkDown = false
	switch c.st {
	case StateBound, StateRenewing, StateRebinding, StateInitReboot, StateRebooting:
		c.log.Info("link up again, confirming the lease", "address", c.lease.Address, "state", c.st)
		c.setState(StateInitReboot, now)
		c.wakeAt = now
	default:
		c.log.Info("link up again", "state", c.st)
	}
}
