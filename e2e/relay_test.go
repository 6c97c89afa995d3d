//go:build linux

package e2e

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"net"
	"net/netip"
	"sync"
	"sync/atomic"
	"time"

	"github.com/leased/leased/dhcpv4"
	"github.com/leased/leased/internal/testnet"
)

// relay is the tests' own DHCP load generator. It acts as a relay agent,
// as perfdhcp does: one UDP socket bound to the relay's address and port
// 67 in the client namespace sends every client's messages with giaddr
// set, and the server unicasts the replies back to it. Replies are
// matched to waiting exchanges by transaction id, so many simulated
// clients (distinct MACs) run concurrently over the one socket.
type relay struct {
	conn   *net.UDPConn
	server netip.AddrPort
	giaddr netip.Addr

	xid     atomic.Uint32
	mu      sync.Mutex
	waiters map[uint32]chan *dhcpv4.Packet
	stray   atomic.Int64 // replies nobody waited for (late retransmission answers)
	done    chan struct{}
}

// newRelay opens the relay socket on giaddr:67 in ns and starts reading.
func newRelay(ns *testnet.NS, giaddr, server netip.Addr) (*relay, error) {
	conn, err := ns.ListenUDP(netip.AddrPortFrom(giaddr, 67), "")
	if err != nil {
		return nil, err
	}
	r := &relay{
		conn:    conn,
		server:  netip.AddrPortFrom(server, 67),
		giaddr:  giaddr,
		waiters: map[uint32]chan *dhcpv4.Packet{},
		done:    make(chan struct{}),
	}
	r.xid.Store(rand.Uint32())
	go r.read()
	return r, nil
}

func (r *relay) Close() {
	r.conn.Close()
	<-r.done
}

func (r *relay) read() {
	defer close(r.done)
	buf := make([]byte, 2048)
	for {
		n, _, err := r.conn.ReadFromUDPAddrPort(buf)
		if err != nil {
			return // closed
		}
		p, err := dhcpv4.Parse(append([]byte(nil), buf[:n]...))
		if err != nil || p.Op() != dhcpv4.BootReply {
			continue
		}
		r.mu.Lock()
		ch := r.waiters[p.XID()]
		r.mu.Unlock()
		if ch == nil {
			r.stray.Add(1)
			continue
		}
		select {
		case ch <- p:
		default:
		}
	}
}

// exchange sends msg (transaction xid) and waits up to wait for a reply
// whose type is one of want, retransmitting up to tries times in all.
// A reply of another type is returned too (a NAK, say), with errUnwanted.
func (r *relay) exchange(ctx context.Context, xid uint32, msg []byte, wait time.Duration, tries int, want ...dhcpv4.MessageType) (*dhcpv4.Packet, error) {
	ch := make(chan *dhcpv4.Packet, 4)
	r.mu.Lock()
	r.waiters[xid] = ch
	r.mu.Unlock()
	defer func() {
		r.mu.Lock()
		delete(r.waiters, xid)
		r.mu.Unlock()
	}()
	for try := 0; try < tries; try++ {
		if _, err := r.conn.WriteToUDPAddrPort(msg, r.server); err != nil {
			return nil, fmt.Errorf("send to %v: %w", r.server, err)
		}
		timer := time.NewTimer(wait)
		select {
		case p := <-ch:
			timer.Stop()
			for _, mt := range want {
				if p.MessageType() == mt {
					return p, nil
				}
			}
			return p, errUnwanted
		case <-timer.C:
		case <-ctx.Done():
			timer.Stop()
			return nil, ctx.Err()
		}
	}
	return nil, errNoReply
}

var (
	errNoReply  = errors.New("no reply")
	errUnwanted = errors.New("unexpected reply type")
)

// build writes one client message relayed by r.
func (r *relay) build(mt dhcpv4.MessageType, xid uint32, mac net.HardwareAddr, setup func(b *dhcpv4.Builder)) ([]byte, error) {
	var b dhcpv4.Builder
	b.Begin(make([]byte, 576), dhcpv4.BootRequest, mt, xid)
	b.SetCHAddr(1, mac)
	b.SetGIAddr(r.giaddr)
	b.SetHops(1)
	b.AddOption(dhcpv4.OptionParameterList, []byte{1, 3, 6, 15, 51, 54})
	if setup != nil {
		setup(&b)
	}
	return b.Finish()
}

// ack is a DHCPACK a simulated client received.
type ack struct {
	addr netip.Addr
	mac  string
	at   time.Time
}

// dora runs DISCOVER-OFFER-REQUEST-ACK for mac. Lost messages are
// retransmitted (wait each, tries times); a NAK starts over from the
// DISCOVER, up to three times.
func (r *relay) dora(ctx context.Context, mac net.HardwareAddr, wait time.Duration, tries int) (ack, error) {
	for round := 0; round < 3; round++ {
		offer, rep, err := r.offerAndAck(ctx, mac, wait, tries, nil)
		if errors.Is(err, errUnwanted) && rep.MessageType() == dhcpv4.Nak {
			continue // e.g. the server restarted between OFFER and REQUEST
		}
		if err != nil {
			return ack{}, err
		}
		yi := offer.YIAddr()
		if rep.YIAddr() != yi {
			return ack{}, fmt.Errorf("REQUEST of %v from %v: ACK for %v", yi, mac, rep.YIAddr())
		}
		return ack{addr: yi, mac: mac.String(), at: time.Now()}, nil
	}
	return ack{}, fmt.Errorf("DORA for %v: NAKed three times", mac)
}

// offerAndAck sends a DISCOVER for mac and a REQUEST for the address
// offered, retransmitting each (wait each, tries times); setup, if not
// nil, adds options to both. It returns the OFFER and the reply to the
// REQUEST, which is also returned, with an error wrapping errUnwanted,
// when it is not an ACK.
func (r *relay) offerAndAck(ctx context.Context, mac net.HardwareAddr, wait time.Duration, tries int, setup func(b *dhcpv4.Builder)) (offer, reply *dhcpv4.Packet, err error) {
	xid := r.xid.Add(1)
	disc, err := r.build(dhcpv4.Discover, xid, mac, setup)
	if err != nil {
		return nil, nil, err
	}
	offer, err = r.exchange(ctx, xid, disc, wait, tries, dhcpv4.Offer)
	if err != nil {
		return nil, nil, fmt.Errorf("DISCOVER from %v: %w", mac, err)
	}
	yi := offer.YIAddr()
	sid, ok := offer.ServerID()
	if !ok {
		return nil, nil, fmt.Errorf("OFFER of %v to %v has no server identifier", yi, mac)
	}
	xid = r.xid.Add(1)
	req, err := r.build(dhcpv4.Request, xid, mac, func(b *dhcpv4.Builder) {
		b.AddIP(dhcpv4.OptionRequestedIP, yi)
		b.AddIP(dhcpv4.OptionServerID, sid)
		if setup != nil {
			setup(b)
		}
	})
	if err != nil {
		return nil, nil, err
	}
	reply, err = r.exchange(ctx, xid, req, wait, tries, dhcpv4.Ack)
	if err != nil {
		return offer, reply, fmt.Errorf("REQUEST of %v from %v: %w", yi, mac, err)
	}
	return offer, reply, nil
}

// renew sends a RENEWING REQUEST (ciaddr set, no server identifier or
// requested address) for a lease mac holds. It returns the reply, ACK or
// NAK.
func (r *relay) renew(ctx context.Context, mac net.HardwareAddr, addr netip.Addr, wait time.Duration, tries int) (*dhcpv4.Packet, error) {
	xid := r.xid.Add(1)
	req, err := r.build(dhcpv4.Request, xid, mac, func(b *dhcpv4.Builder) { b.SetCIAddr(addr) })
	if err != nil {
		return nil, err
	}
	p, err := r.exchange(ctx, xid, req, wait, tries, dhcpv4.Ack)
	if errors.Is(err, errUnwanted) {
		return p, nil
	}
	return p, err
}

// macFor returns a locally administered MAC numbered n within a test
// (02:e2:e0 + 24 bits of n).
func macFor(prefix byte, n uint32) net.HardwareAddr {
	return net.HardwareAddr{0x02, 0xe2, prefix, byte(n >> 16), byte(n >> 8), byte(n)}
}
