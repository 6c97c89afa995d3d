package client

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"net"
	"net/netip"
	"os"
	"sync"
	"time"

	"github.com/mdlayher/packet"
	"golang.org/x/sys/unix"
)

// ARPProber probes addresses with ARP on one interface (RFC 5227 §2.1).
// It opens its socket when made, so that a prober made inside a network
// namespace probes there whichever goroutine calls Probe. It probes one
// address at a time.
type ARPProber struct {
	ifi    net.Interface
	c      *packet.Conn
	timing ProbeTiming
	mu     sync.Mutex
	buf    []byte
}

// NewARPProber opens an ARP socket on the named interface. A zero timing
// means DefaultProbeTiming.
func NewARPProber(ifname string, timing ProbeTiming) (*ARPProber, error) {
	ifi, err := net.InterfaceByName(ifname)
	if err != nil {
		return nil, fmt.Errorf("client: interface %q: %w", ifname, err)
	}
	if timing == (ProbeTiming{}) {
		timing = DefaultProbeTiming
	}
	if timing.Num < 1 || timing.Min > timing.Max || timing.Wait < 0 || timing.AnnounceWait < 0 {
		return nil, fmt.Errorf("client: bad ARP probe timing %+v", timing)
	}
	c, err := packet.Listen(ifi, packet.Raw, unix.ETH_P_ARP, nil)
	if err != nil {
		return nil, fmt.Errorf("client: ARP socket on %s: %w", ifname, err)
	}
	return &ARPProber{ifi: *ifi, c: c, timing: timing, buf: make([]byte, 2048)}, nil
}

// Close closes the socket.
func (p *ARPProber) Close() error { return p.c.Close() }

// Probe sends ARP probes for addr from hw and reports whether another host
// answered for it or probed for it too.
func (p *ARPProber) Probe(ctx context.Context, addr netip.Addr, hw net.HardwareAddr) (bool, error) {
	if len(hw) != 6 {
		return false, fmt.Errorf("ARP probe needs a 6-byte hardware address, have %v", hw)
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	p.drain()
	stop := context.AfterFunc(ctx, func() { _ = p.c.SetReadDeadline(time.Unix(1, 0)) })
	defer stop()

	t := p.timing
	at := time.Now().Add(randBetween(0, t.Wait))
	frame := appendARPFrame(nil, ethBroadcast, arpPacket{
		op: arpRequest, senderHW: hw, senderIP: netip.IPv4Unspecified(), targetIP: addr,
	})
	for sent := 0; ; {
		conflict, err := p.awaitConflict(ctx, at, addr, hw)
		if conflict || err != nil {
			return conflict, err
		}
		if sent == t.Num {
			return false, nil
		}
		if _, err := p.c.WriteTo(frame, &packet.Addr{HardwareAddr: ethBroadcast}); err != nil {
			return false, fmt.Errorf("sending ARP probe on %s: %w", p.ifi.Name, err)
		}
		sent++
		if sent < t.Num {
			at = time.Now().Add(randBetween(t.Min, t.Max))
		} else {
			at = time.Now().Add(t.AnnounceWait)
		}
	}
}

// awaitConflict reads ARP until the deadline, reporting a conflict for addr.
func (p *ARPProber) awaitConflict(ctx context.Context, deadline time.Time, addr netip.Addr, hw net.HardwareAddr) (bool, error) {
	for {
		if err := ctx.Err(); err != nil {
			return false, err
		}
		if !time.Now().Before(deadline) {
			return false, nil
		}
		if err := p.c.SetReadDeadline(deadline); err != nil {
			return false, err
		}
		n, _, err := p.c.ReadFrom(p.buf)
		if err != nil {
			if errors.Is(err, os.ErrDeadlineExceeded) {
				continue
			}
			return false, fmt.Errorf("reading ARP on %s: %w", p.ifi.Name, err)
		}
		a, err := parseARPFrame(p.buf[:n])
		if err == nil && a.conflicts(addr, hw) && !bytes.Equal(a.senderHW, hw) {
			return true, nil
		}
	}
}

// drain discards what the socket queued since the last probe.
func (p *ARPProber) drain() {
	_ = p.c.SetReadDeadline(time.Unix(1, 0))
	for {
		if _, _, err := p.c.ReadFrom(p.buf); err != nil {
			break
		}
	}
	_ = p.c.SetReadDeadline(time.Time{})
}

func randBetween(lo, hi time.Duration) time.Duration {
	if hi <= lo {
		return lo
	}
	return lo + time.Duration(rand.Int64N(int64(hi-lo)+1))
}
