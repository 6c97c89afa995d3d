//go:build linux

package daemon

import (
	"fmt"
	"io"
	"net"
	"sync"
	"testing"
	"time"

	"github.com/leased/leased/ha"
	"github.com/leased/leased/internal/testnet"
)

// haLink forwards TCP connections from its own address to a server's
// control listener, and can be cut: the partners of a pair reach each
// other through two of them, so that the test can part them while both
// run.
type haLink struct {
	ln     net.Listener
	target string
	mu     sync.Mutex
	cut    bool
	conns  map[net.Conn]bool
}

func newHALink(t *testing.T, host, target string) *haLink {
	t.Helper()
	ln, err := net.Listen("tcp", net.JoinHostPort(host, "0"))
	if err != nil {
		t.Fatal(err)
	}
	l := &haLink{ln: ln, target: target, conns: map[net.Conn]bool{}}
	t.Cleanup(func() { ln.Close(); l.setCut(true) })
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			go l.forward(c)
		}
	}()
	return l
}

func (l *haLink) url() string { return "http://" + l.ln.Addr().String() + "/" }

func (l *haLink) forward(c net.Conn) {
	l.mu.Lock()
	if l.cut {
		l.mu.Unlock()
		c.Close()
		return
	}
	up, err := net.Dial("tcp", l.target)
	if err != nil {
		l.mu.Unlock()
		c.Close()
		return
	}
	l.conns[c], l.conns[up] = true, true
	l.mu.Unlock()
	go func() { io.Copy(up, c); up.Close() }()
	io.Copy(c, up)
	c.Close()
}

// setCut parts (true) or joins (false) the link: parting closes every
// connection through it and refuses new ones.
func (l *haLink) setCut(cut bool) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.cut = cut
	if cut {
		for c := range l.conns {
			c.Close()
		}
		clear(l.conns)
	}
}

// TestHAPairPartition: a load-balancing pair parted while both run
// (neither hears the other): both go partner-down and serve; a client
// acknowledged by one during the partition is known only to it. Joined
// again, long after max-response-delay, both come back to
// load-balancing by themselves, through waiting and a lease sync, with
// equal stores that hold that client's lease.
func TestHAPairPartition(t *testing.T) {
	needRoot(t)
	ctlA, ctlB := testnet.FreeTCPPort(t, "127.0.0.1"), testnet.FreeTCPPort(t, "127.0.0.2")
	toA := newHALink(t, "127.0.0.6", fmt.Sprintf("127.0.0.1:%d", ctlA))
	toB := newHALink(t, "127.0.0.7", fmt.Sprintf("127.0.0.2:%d", ctlB))
	urls := [2]string{toA.url(), toB.url()}
	a := newHANode(t, "server1", "127.0.0.1", ctlA, haParams("server1", "load-balancing", "secondary", urls, 300))
	b := newHANode(t, "server2", "127.0.0.2", ctlB, haParams("server2", "load-balancing", "secondary", urls, 300))
	a.start()
	b.start()
	a.waitState(ha.StateLoadBalancing)
	b.waitState(ha.StateLoadBalancing)
	relay := newHARelay(t, a.dhcpPort, b.dhcpPort)
	if _, _, ok := relay.dora([]byte{2, 0, 0, 0, 8, 1}, 5*time.Second); !ok {
		t.Fatal("no ACK before the partition")
	}

	toA.setCut(true)
	toB.setCut(true)
	a.waitState(ha.StatePartnerDown)
	b.waitState(ha.StatePartnerDown)
	mac := []byte{2, 0, 0, 0, 8, 2}
	addr, port, ok := relay.dora(mac, 5*time.Second)
	if !ok {
		t.Fatal("no ACK during the partition")
	}
	time.Sleep(time.Second) // a long partition: many max-response-delays

	toA.setCut(false)
	toB.setCut(false)
	a.waitState(ha.StateLoadBalancing)
	b.waitState(ha.StateLoadBalancing)
	hw := net.HardwareAddr(mac).String()
	if ga, gb := a.hwOf(addr), b.hwOf(addr); ga != hw || gb != hw {
		t.Errorf("%v, acknowledged during the partition from port %d: server1 holds it for %q, server2 for %q, want %s on both", addr, port, ga, gb, hw)
	}
	if la, lb := a.leases(), b.leases(); fmt.Sprint(la) != fmt.Sprint(lb) {
		t.Errorf("stores differ after the partition:\nserver1 %v\nserver2 %v", la, lb)
	}
}
