package meshd

import (
	"context"
	"math/rand/v2"
	"net/netip"
	"sync"
	"time"

	"github.com/leased/leased/dhcpserver"
	"github.com/leased/leased/dhcpv4"
	"github.com/leased/leased/lease"
	"github.com/leased/leased/mesh"
)

// requestCacheTime is how long a renewal forwarded to a block's owner
// waits for its answer at most (ddhcpd keeps the request as long).
const requestCacheTime = 120 * time.Second

// transport sends the node's datagrams. The daemon's is a pair of UDP/IPv6
// sockets; tests use an in-memory one.
type transport interface {
	SendMulticast(b []byte) error
	SendUnicast(to netip.Addr, b []byte) error
}

// clock is the system clock, as a mesh.Clock.
type clock struct{}

func (clock) Now() time.Time { return time.Now() }

// core is one node without its sockets: the mesh.Node, the DHCP side, the
// control commands and the persistence, all behind one mutex. Inputs come
// from the socket readers, the DHCP server's workers, the control socket
// and the event loop; each locks, feeds the node, and handles what the
// node asks for (handleOutputs). Work that may block (writing the lease
// store, completing deferred replies, running the hook) is returned as
// functions and runs after the mutex is released.
type core struct {
	cfg      mesh.Config
	rng      mesh.Range
	log      Logger
	setLevel func(level int) // nil: LOG_LEVEL_SET changes nothing
	tr       transport
	state    *state // nil: nothing is persisted
	hook     *hookRunner
	now      func() time.Time
	wake     chan struct{} // NextTick may have moved

	mu      sync.Mutex
	node    *mesh.Node
	opts    mesh.OptionStore
	dstats  mesh.Stats // dhcp.* counters; the node keeps mcast.* and direct.*
	pending map[replyKey]*pendingReply
	outs    []mesh.Output
	claims  map[uint32]time.Time // own blocks and when their last claim runs out at the peers

	// A link that is down fails every send: one warning per
	// sendWarnEvery, the rest at debug level.
	lastSendWarn time.Time
}

const sendWarnEvery = 10 * time.Second

// coreConfig is what newCore needs.
type coreConfig struct {
	Config      mesh.Config
	ID          mesh.NodeID
	Exclude     []netip.Addr // addresses never leased besides network, broadcast and server id
	Clock       mesh.Clock   // nil: the system clock
	Rand        mesh.Rand    // nil: a randomly seeded generator
	Logger      Logger
	SetLogLevel func(level int)
	State       *state
	Hook        *hookRunner
	// RenewTimeout is mesh.NodeConfig.RenewTimeout.
	RenewTimeout time.Duration
}

func newCore(cc coreConfig, tr transport) (*core, error) {
	rng, err := cc.Config.Range()
	if err != nil {
		return nil, err
	}
	opts := cc.Config.Options.Clone()
	opts.AddDefaults(rng)
	c := &core{
		cfg: cc.Config, rng: rng, log: cc.Logger, setLevel: cc.SetLogLevel, tr: tr, state: cc.State, hook: cc.Hook,
		wake:    make(chan struct{}, 1),
		opts:    opts,
		pending: map[replyKey]*pendingReply{},
		claims:  map[uint32]time.Time{},
	}
	if c.log == nil {
		c.log = discardLogger{}
	}
	clk := cc.Clock
	if clk == nil {
		clk = clock{}
	}
	c.now = clk.Now
	r := cc.Rand
	if r == nil {
		r = rand.New(rand.NewPCG(rand.Uint64(), rand.Uint64()))
	}
	exclude := append([]netip.Addr(nil), cc.Exclude...)
	if sid, ok := serverID(&c.opts); ok {
		exclude = append(exclude, sid)
	}
	c.node, err = mesh.NewNode(mesh.NodeConfig{
		Config: cc.Config, ID: cc.ID, Clock: clk, Rand: r, Exclude: exclude, RenewTimeout: cc.RenewTimeout,
	})
	if err != nil {
		return nil, err
	}
	return c, nil
}

// resume hands the node what the state holds from before a restart.
func (c *core) resume() {
	if c.state == nil {
		return
	}
	claims, leases := c.state.load(c.now(), c.node.ID(), c.rng, c.log)
	c.mu.Lock()
	c.node.Resume(claims, leases)
	after := c.handleOutputs()
	owned := len(c.node.Owned())
	c.mu.Unlock()
	run(after)
	if len(claims) > 0 || len(leases) > 0 {
		c.log.Info("resumed after a restart", "claims", len(claims), "blocks_owned", owned, "leases", len(leases))
	}
}

// serverID returns the server identifier the store announces (option 54).
func serverID(o *mesh.OptionStore) (netip.Addr, bool) {
	opt, ok := o.Get(mesh.OptServerID)
	if !ok || len(opt.Data) != 4 {
		return netip.Addr{}, false
	}
	return netip.AddrFrom4([4]byte(opt.Data)), true
}

func run(fns []func()) {
	for _, f := range fns {
		f()
	}
}

// poke tells the event loop that NextTick may have moved.
func (c *core) poke() {
	select {
	case c.wake <- struct{}{}:
	default:
	}
}

// handleMulticast feeds a datagram from the multicast socket to the node.
func (c *core) handleMulticast(src netip.Addr, b []byte) {
	c.mu.Lock()
	err := c.node.HandleMulticast(src, b)
	after := c.handleOutputs()
	c.mu.Unlock()
	if err != nil {
		c.log.Debug("mesh datagram dropped", "from", src, "socket", "multicast", "error", err)
	}
	run(after)
	c.poke()
}

// handleUnicast feeds a datagram from the unicast socket to the node.
func (c *core) handleUnicast(src netip.Addr, b []byte) {
	c.mu.Lock()
	err := c.node.HandleUnicast(src, b)
	after := c.handleOutputs()
	c.mu.Unlock()
	if err != nil {
		c.log.Debug("mesh datagram dropped", "from", src, "socket", "unicast", "error", err)
	}
	run(after)
	c.poke()
}

// nextTick returns when tick must run next.
func (c *core) nextTick() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.node.NextTick()
}

// tick runs the node's timers and gives up forwarded renewals that waited
// too long.
func (c *core) tick() {
	c.mu.Lock()
	c.node.Tick()
	now := c.now()
	var after []func()
	for k, p := range c.pending {
		if now.Sub(p.at) >= requestCacheTime {
			delete(c.pending, k)
			after = append(after, p.def.Cancel)
		}
	}
	after = append(after, c.handleOutputs()...)
	c.mu.Unlock()
	run(after)
}

// loop calls tick whenever the node's NextTick comes, until ctx ends.
func (c *core) loop(ctx context.Context) {
	t := time.NewTimer(0)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-c.wake:
		case <-t.C:
			c.tick()
		}
		t.Reset(time.Until(c.nextTick()))
	}
}

// handleOutputs carries out what the node asks for. It is called with
// c.mu held, so that a failed multicast send reaches the node
// (SendFailed) before anything else does; what must wait until the mutex
// is released is returned.
func (c *core) handleOutputs() []func() {
	c.outs = c.node.Outputs(c.outs[:0])
	var after []func()
	claimsChanged := false
	now := c.now()
	for i := range c.outs {
		o := &c.outs[i]
		switch o.Kind {
		case mesh.SendMulticast:
			if err := c.tr.SendMulticast(o.Data); err != nil {
				c.node.SendFailed(o.Data)
				c.sendFailed(now, "cannot send to the mesh", "message", commandOf(o.Data), "error", err)
				continue
			}
			if p, err := mesh.Parse(o.Data); err == nil && p.Command() == mesh.UpdateClaim {
				for k := range p.Len() {
					cl := p.Claim(k)
					c.claims[cl.Block] = now.Add(time.Duration(cl.Timeout) * time.Second)
				}
				claimsChanged = true
			}
		case mesh.SendUnicast:
			if err := c.tr.SendUnicast(o.To, o.Data); err != nil {
				c.sendFailed(now, "cannot send to a mesh peer", "to", o.To, "message", commandOf(o.Data), "error", err)
				continue
			}
			if f := c.remoteGrant(o.Data, now); f != nil {
				after = append(after, f)
			}
		case mesh.RenewAcked, mesh.RenewNaked, mesh.RenewFailed:
			if f := c.completeForward(o); f != nil {
				after = append(after, f)
			}
		case mesh.BlockOwned:
			c.log.Info("block owned", "block", o.Block, "first", c.rng.Addr(o.Block, 0))
		case mesh.BlockLost, mesh.BlockReleased:
			if o.Kind == mesh.BlockLost {
				c.log.Warn("block lost", "block", o.Block, "leases_dropped", o.Leases)
			} else {
				c.log.Info("unused block released", "block", o.Block)
			}
			delete(c.claims, o.Block)
			claimsChanged = true
			if c.state != nil {
				first, n := c.rng.Addr(o.Block, 0), c.rng.BlockSize()
				after = append(after, func() { c.state.forgetBlock(first, n) })
			}
		case mesh.LearningEnded:
			c.log.Info("learning phase over")
			after = append(after, func() { c.hook.run("endlearning") })
		}
	}
	clear(c.outs)
	if claimsChanged && c.state != nil {
		c.state.claimsChanged()
	}
	return after
}

// sendFailed logs a datagram that could not be sent. A failed INQUIRE or
// UPDATECLAIM has been handed back to the node (mesh.Node.SendFailed),
// which counts only what went out, as ddhcpd does: a claim that cannot be
// announced runs out here when it runs out at the peers, and a block
// nobody heard inquired is never owned. A renewal not forwarded gets no
// answer and the client asks again; an unsent LEASEACK or LEASENAK leaves
// the peer's client without one, and it asks again too.
func (c *core) sendFailed(now time.Time, msg string, args ...any) {
	if now.Sub(c.lastSendWarn) < sendWarnEvery {
		c.log.Debug(msg, args...)
		return
	}
	c.lastSendWarn = now
	c.log.Warn(msg, args...)
}

// claimSnapshot returns the claims to persist.
func (c *core) claimSnapshot() map[uint32]time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	m := make(map[uint32]time.Time, len(c.claims))
	for k, v := range c.claims {
		m[k] = v
	}
	return m
}

// remoteGrant returns the store write for a LEASEACK the node just sent:
// a client of one of its blocks renewed through another node, and the
// node recorded the lease.
func (c *core) remoteGrant(b []byte, now time.Time) func() {
	if c.state == nil {
		return nil
	}
	p, err := mesh.Parse(b)
	if err != nil || p.Command() != mesh.LeaseAck {
		return nil
	}
	addr, _, _, ok := c.rng.DecodeRenewAddr(p.Renew().Addr)
	if !ok {
		return nil
	}
	info, ok := c.node.Lease(addr)
	if !ok || info.State != mesh.LeaseLeased {
		return nil
	}
	l := leaseRecord(addr, info.CHAddr, 6, nil, info.End.Sub(now), now)
	return func() { c.state.put(context.Background(), &l, lease.Async) }
}

func commandOf(b []byte) string {
	if len(b) > 14 {
		return mesh.Command(b[14]).String()
	}
	return "short datagram"
}

// A replyKey identifies a forwarded renewal, as ddhcpd matches them.
type replyKey struct {
	xid    uint32
	chaddr [16]byte
}

// A pendingReply is a DHCP reply deferred until the block owner answers.
type pendingReply struct {
	def dhcpserver.Deferred
	b   *dhcpv4.Builder
	req *dhcpv4.Packet
	at  time.Time
}

// completeForward finishes the reply waiting for a forwarded renewal: a
// DHCPACK from this node if the owner acknowledged, a DHCPNAK if it
// refused, nothing if it did not answer.
func (c *core) completeForward(o *mesh.Output) func() {
	k := replyKey{o.XID, o.CHAddr}
	p, ok := c.pending[k]
	if !ok {
		return nil
	}
	delete(c.pending, k)
	switch o.Kind {
	case mesh.RenewAcked:
		p.b.SetYIAddr(o.Addr)
		n := c.addOptions(p.b, p.req, true)
		c.countSend(mesh.StatDHCPSendAck, n)
		mac := macString(o.CHAddr)
		addr := o.Addr.String()
		return func() {
			if err := p.def.Send(); err != nil {
				c.log.Warn("cannot send DHCPACK after forwarded renewal", "addr", addr, "error", err)
				return
			}
			c.hook.run("lease", addr, mac)
		}
	case mesh.RenewNaked:
		n := c.nak(p.b)
		c.countSend(mesh.StatDHCPSendNak, n)
		return func() { p.def.Send() }
	default:
		c.log.Info("block owner did not answer a forwarded renewal", "addr", o.Addr, "client", macString(o.CHAddr))
		return p.def.Cancel
	}
}

// shutdown drops the replies still waiting for a block owner.
func (c *core) shutdown() {
	c.mu.Lock()
	ps := c.pending
	c.pending = map[replyKey]*pendingReply{}
	c.mu.Unlock()
	for _, p := range ps {
		p.def.Cancel()
	}
}
