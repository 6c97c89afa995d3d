package meshd

import (
	"fmt"
	"net/netip"
	"time"

	"github.com/leased/leased/dhcpserver"
	"github.com/leased/leased/dhcpv4"
	"github.com/leased/leased/lease"
	"github.com/leased/leased/mesh"
)

// handler returns the DHCP server's handler: ddhcpd's DHCP side
// (specification 7), with DECLINE handled and the server identifier
// respected.
func (c *core) handler() dhcpserver.Handler {
	return dhcpserver.Mux{
		Discover: dhcpserver.HandlerFunc(c.discover),
		Request:  dhcpserver.HandlerFunc(c.request),
		Decline:  dhcpserver.HandlerFunc(c.decline),
		Inform:   dhcpserver.HandlerFunc(c.inform),
		Release:  dhcpserver.HandlerFunc(c.release),
		Other: dhcpserver.HandlerFunc(func(_ dhcpserver.ResponseWriter, r *dhcpserver.Request) {
			c.countRecv(r, -1)
		}),
	}
}

func (c *core) countRecv(r *dhcpserver.Request, kind mesh.Stat) {
	c.mu.Lock()
	c.dstats[mesh.StatDHCPRecvPkg]++
	c.dstats[mesh.StatDHCPRecvByte] += int64(r.Packet.Len())
	if kind >= 0 {
		c.dstats[kind]++
	}
	c.mu.Unlock()
}

// countSend counts a reply of n bytes. c.mu must be held.
func (c *core) countSend(kind mesh.Stat, n int) {
	c.dstats[mesh.StatDHCPSendPkg]++
	c.dstats[mesh.StatDHCPSendByte] += int64(n)
	c.dstats[kind]++
}

func chaddrOf(p *dhcpv4.Packet) (ch [16]byte) {
	copy(ch[:], p.CHAddrField())
	return ch
}

// forOthers reports whether a message names another server in option 54:
// the client chose that server (ddhcpd ignores option 54 and answers
// anyway).
func (c *core) forOthers(p *dhcpv4.Packet) bool {
	sid, ok := p.ServerID()
	if !ok {
		return false
	}
	c.mu.Lock()
	ours, ok := serverID(&c.opts)
	c.mu.Unlock()
	return !ok || sid != ours
}

// addOptions adds the reply options the way ddhcpd chooses them: the
// stored options the client asked for in option 55, the server identifier
// and, unless it is an INFORM's answer, the lease time (both always sent
// when stored). It returns the length the finished reply will have.
// c.mu must be held.
func (c *core) addOptions(b *dhcpv4.Builder, req *dhcpv4.Packet, leaseTime bool) int {
	n := dhcpv4.HeaderLen + 3 + 1 // message type, end
	add := func(o mesh.Option) {
		b.AddOption(dhcpv4.OptionCode(o.Code), o.Data)
		n += 2 + len(o.Data)
	}
	for _, code := range req.ParameterList() {
		switch code {
		case mesh.OptLeaseTime, mesh.OptServerID, byte(dhcpv4.OptionMessageType), 0, 255:
			continue
		}
		if o, ok := c.opts.Get(code); ok && !b.HasOption(dhcpv4.OptionCode(code)) {
			add(o)
		}
	}
	if o, ok := c.opts.Get(mesh.OptServerID); ok {
		add(o)
	} else {
		// ddhcpd sends no server identifier unless one is stored; drop
		// the one dhcpserver stages from the receiving address.
		b.RemoveOption(dhcpv4.OptionServerID)
	}
	if o, ok := c.opts.Get(mesh.OptLeaseTime); ok && leaseTime {
		add(o)
	}
	return max(n, 300) // the builder pads replies to 300 bytes
}

// nak turns b into a DHCPNAK: no addresses, only the message type and the
// server identifier (which RFC 2131 asks for and ddhcpd leaves out).
// c.mu must be held.
func (c *core) nak(b *dhcpv4.Builder) int {
	b.AddUint8(dhcpv4.OptionMessageType, uint8(dhcpv4.Nak))
	b.SetCIAddr(netip.IPv4Unspecified())
	b.SetYIAddr(netip.IPv4Unspecified())
	b.RemoveOption(dhcpv4.OptionLeaseTime)
	n := dhcpv4.HeaderLen + 3 + 1
	if o, ok := c.opts.Get(mesh.OptServerID); ok {
		b.AddOption(dhcpv4.OptionServerID, o.Data)
		n += 2 + len(o.Data)
	} else {
		b.RemoveOption(dhcpv4.OptionServerID) // as in addOptions
	}
	return max(n, 300)
}

// discover offers an address from an own block (specification 7.3), or
// stays silent when there is none.
func (c *core) discover(w dhcpserver.ResponseWriter, r *dhcpserver.Request) {
	c.countRecv(r, mesh.StatDHCPRecvDiscover)
	p := r.Packet
	want, _ := p.RequestedIP()
	c.mu.Lock()
	addr, err := c.node.Offer(chaddrOf(p), p.XID(), want)
	if err != nil {
		c.log.Debug("no address to offer", "client", macString(chaddrOf(p)), "error", err)
	} else {
		b := w.Reply(dhcpv4.Offer)
		b.SetYIAddr(addr)
		c.countSend(mesh.StatDHCPSendOffer, c.addOptions(b, p, true))
	}
	// Offer gives up own blocks whose claim ran out (a pause).
	after := c.handleOutputs()
	c.mu.Unlock()
	run(after)
	c.poke()
}

// request answers a DHCPREQUEST (specification 7.4): ACK or NAK from this
// node's blocks, or a renewal forwarded to the owner of the address's
// block, answered when the owner has.
func (c *core) request(w dhcpserver.ResponseWriter, r *dhcpserver.Request) {
	c.countRecv(r, mesh.StatDHCPRecvRequest)
	p := r.Packet
	if c.forOthers(p) {
		return
	}
	ch := chaddrOf(p)
	addr, ok := p.RequestedIP()
	if !ok && p.CIAddr().IsValid() && !p.CIAddr().IsUnspecified() {
		addr = p.CIAddr()
	}
	c.mu.Lock()
	now := c.now()
	d := c.node.Request(mesh.Request{CHAddr: ch, XID: p.XID(), Addr: addr})
	var rec *lease.Lease
	switch d.Verdict {
	case mesh.Ack:
		b := w.Reply(dhcpv4.Ack)
		b.SetYIAddr(d.Addr)
		c.countSend(mesh.StatDHCPSendAck, c.addOptions(b, p, true))
		l := leaseRecord(d.Addr, ch, p.HLen(), p.ClientID(), d.LeaseTime+mesh.LeaseServerDelta, now)
		rec = &l
	case mesh.Nak:
		c.countSend(mesh.StatDHCPSendNak, c.nak(w.Reply(dhcpv4.Nak)))
	case mesh.Forwarded:
		c.deferReply(w, r, replyKey{p.XID(), ch}, now)
	}
	after := c.handleOutputs()
	c.mu.Unlock()
	run(after)
	if rec != nil {
		// The ACK goes out when this returns: after the lease is on disk.
		if c.state != nil {
			c.state.put(r.Context(), rec, lease.Durable)
		}
		c.hook.run("lease", d.Addr.String(), macString(ch))
	}
	c.poke()
}

// deferReply keeps the reply to a forwarded renewal until the owner
// answers. A retransmission replaces the reply waiting for the same
// transaction. c.mu must be held.
func (c *core) deferReply(w dhcpserver.ResponseWriter, r *dhcpserver.Request, k replyKey, now time.Time) {
	def, ok := dhcpserver.Defer(w)
	if !ok {
		c.log.Warn("too many replies waiting for block owners; renewal not answered")
		return
	}
	if old, ok := c.pending[k]; ok {
		old.def.Cancel()
	}
	c.pending[k] = &pendingReply{def: def, b: w.Reply(dhcpv4.Ack), req: r.Packet, at: now}
}

// release frees an address of an own block (specification 7.5).
func (c *core) release(_ dhcpserver.ResponseWriter, r *dhcpserver.Request) {
	c.countRecv(r, mesh.StatDHCPRecvRelease)
	p := r.Packet
	if c.forOthers(p) {
		return
	}
	ch := chaddrOf(p)
	addr := p.CIAddr()
	c.mu.Lock()
	ok := c.node.Release(addr, ch)
	after := c.handleOutputs()
	c.mu.Unlock()
	run(after)
	if !ok {
		return
	}
	if c.state != nil {
		c.state.delete(r.Context(), addr)
	}
	// ddhcpd passes the RELEASE's yiaddr, normally 0.0.0.0; the released
	// address is what a hook can use.
	c.hook.run("release", addr.String(), macString(ch))
}

// decline sets aside an address a client found in use (ddhcpd ignores
// DECLINE).
func (c *core) decline(_ dhcpserver.ResponseWriter, r *dhcpserver.Request) {
	c.countRecv(r, -1)
	p := r.Packet
	if c.forOthers(p) {
		return
	}
	addr, ok := p.RequestedIP()
	if !ok {
		return
	}
	c.mu.Lock()
	ok = c.node.Decline(addr, chaddrOf(p))
	after := c.handleOutputs()
	c.mu.Unlock()
	run(after)
	if ok {
		c.log.Warn("client declined an address: something else uses it", "addr", addr, "client", macString(chaddrOf(p)))
		if c.state != nil {
			c.state.delete(r.Context(), addr)
		}
	}
}

// inform answers a DHCPINFORM with the options but no lease time.
func (c *core) inform(w dhcpserver.ResponseWriter, r *dhcpserver.Request) {
	c.countRecv(r, mesh.StatDHCPRecvInform)
	c.mu.Lock()
	defer c.mu.Unlock()
	b := w.Reply(dhcpv4.Ack)
	c.countSend(mesh.StatDHCPSendAck, c.addOptions(b, r.Packet, false))
}

// leaseRecord is the store's record of a lease: the hardware address is
// chaddr's first hlen bytes, unless the rest of the field is not zero,
// when all 16 bytes are kept so that the client is recognised exactly.
func leaseRecord(addr netip.Addr, ch [16]byte, hlen uint8, clientID []byte, valid time.Duration, now time.Time) lease.Lease {
	n := int(min(hlen, 16))
	for _, b := range ch[n:] {
		if b != 0 {
			n = 16
			break
		}
	}
	return lease.Lease{
		Addr:          addr,
		HWType:        lease.HTypeEthernet,
		HWAddr:        append([]byte(nil), ch[:n]...),
		ClientID:      append([]byte(nil), clientID...),
		ValidLifetime: uint32(max(valid, 0) / time.Second),
		CLTT:          now.Unix(),
	}
}

// macString formats the first six bytes of chaddr as the hook gets them:
// AA:BB:CC:DD:EE:FF.
func macString(ch [16]byte) string {
	return fmt.Sprintf("%02X:%02X:%02X:%02X:%02X:%02X", ch[0], ch[1], ch[2], ch[3], ch[4], ch[5])
}
