package client

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"math/rand/v2"
	"net"
	"net/netip"
	"sync"
	"testing"
	"time"

	"github.com/leased/leased/dhcpv4"
)

// fakeNet is an in-memory Transport: what clients send shows up on out,
// and deliver hands a message to every open connection. It is also a
// LinkWatcher whose link setLink turns down and up.
type fakeNet struct {
	mu      sync.Mutex
	conns   map[*fakeConn]bool
	out     chan sent
	watches map[*fakeWatch]bool
	linkUp  bool
}

type sent struct {
	msg   []byte
	dst   netip.Addr
	bound netip.Addr // the conn's address; invalid for unbound
	at    time.Time
	p     *dhcpv4.Packet
}

func newFakeNet() *fakeNet {
	return &fakeNet{conns: make(map[*fakeConn]bool), out: make(chan sent, 1000), watches: make(map[*fakeWatch]bool), linkUp: true}
}

// fakeWatch is a LinkWatch of a fakeNet.
type fakeWatch struct {
	n      *fakeNet
	ch     chan bool
	closed chan struct{}
	once   sync.Once
}

func (n *fakeNet) WatchLink() (LinkWatch, error) {
	w := &fakeWatch{n: n, ch: make(chan bool, 16), closed: make(chan struct{})}
	n.mu.Lock()
	defer n.mu.Unlock()
	w.ch <- n.linkUp
	n.watches[w] = true
	return w, nil
}

// setLink turns the link up or down for every watch.
func (n *fakeNet) setLink(up bool) {
	n.mu.Lock()
	n.linkUp = up
	ws := make([]*fakeWatch, 0, len(n.watches))
	for w := range n.watches {
		ws = append(ws, w)
	}
	n.mu.Unlock()
	for _, w := range ws {
		select {
		case w.ch <- up:
		case <-w.closed:
		}
	}
}

// watching returns the number of open watches.
func (n *fakeNet) watching() int {
	n.mu.Lock()
	defer n.mu.Unlock()
	return len(n.watches)
}

func (w *fakeWatch) Next() (bool, error) {
	select {
	case up := <-w.ch:
		return up, nil
	case <-w.closed:
		return false, net.ErrClosed
	}
}

func (w *fakeWatch) Close() error {
	w.once.Do(func() {
		w.n.mu.Lock()
		delete(w.n.watches, w)
		w.n.mu.Unlock()
		close(w.closed)
	})
	return nil
}

func (n *fakeNet) OpenUnbound(hw net.HardwareAddr) (Conn, error) { return n.open(netip.Addr{}), nil }
func (n *fakeNet) OpenBound(a netip.Addr, hw net.HardwareAddr) (Conn, error) {
	return n.open(a), nil
}

func (n *fakeNet) open(a netip.Addr) *fakeConn {
	c := &fakeConn{n: n, bound: a, in: make(chan []byte, 16), closed: make(chan struct{})}
	n.mu.Lock()
	n.conns[c] = true
	n.mu.Unlock()
	return c
}

func (n *fakeNet) deliver(b []byte) {
	n.mu.Lock()
	conns := make([]*fakeConn, 0, len(n.conns))
	for c := range n.conns {
		conns = append(conns, c)
	}
	n.mu.Unlock()
	for _, c := range conns {
		select {
		case c.in <- append([]byte(nil), b...):
		case <-c.closed:
		}
	}
}

// openConns returns the number of open connections.
func (n *fakeNet) openConns() int {
	n.mu.Lock()
	defer n.mu.Unlock()
	return len(n.conns)
}

type fakeConn struct {
	n      *fakeNet
	bound  netip.Addr
	in     chan []byte
	closed chan struct{}
	once   sync.Once
}

func (c *fakeConn) Send(msg []byte, dst netip.Addr) error {
	p, err := dhcpv4.Parse(append([]byte(nil), msg...))
	if err != nil {
		return err
	}
	c.n.out <- sent{msg: p.Bytes(), dst: dst, bound: c.bound, at: time.Now(), p: p}
	return nil
}

func (c *fakeConn) Receive(b []byte) (int, error) {
	select {
	case m := <-c.in:
		return copy(b, m), nil
	case <-c.closed:
		return 0, net.ErrClosed
	}
}

func (c *fakeConn) Close() error {
	c.once.Do(func() {
		c.n.mu.Lock()
		delete(c.n.conns, c)
		c.n.mu.Unlock()
		close(c.closed)
	})
	return nil
}

// memStore records Save and Remove calls.
type memStore struct {
	mu      sync.Mutex
	lease   *Lease
	saves   int
	removes int
}

func (s *memStore) Save(l *Lease) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.lease = l.Clone()
	s.saves++
	return nil
}

func (s *memStore) Remove() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.lease = nil
	s.removes++
	return nil
}

func (s *memStore) get() (*Lease, int, int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.lease.Clone(), s.saves, s.removes
}

// recAction records events and fails when err is set.
type recAction struct {
	mu     sync.Mutex
	events []Event
	err    error
}

func (a *recAction) Apply(_ context.Context, ev Event) error {
	a.mu.Lock()
	defer a.mu.Unlock()
	a.events = append(a.events, ev)
	return a.err
}

func (a *recAction) kinds() []EventKind {
	a.mu.Lock()
	defer a.mu.Unlock()
	var ks []EventKind
	for _, e := range a.events {
		ks = append(ks, e.Kind)
	}
	return ks
}

func (a *recAction) last() Event {
	a.mu.Lock()
	defer a.mu.Unlock()
	if len(a.events) == 0 {
		return Event{}
	}
	return a.events[len(a.events)-1]
}

// fakeProber answers with conflict for the addresses in busy.
type fakeProber struct {
	busy  map[netip.Addr]bool
	delay time.Duration
	calls int
	mu    sync.Mutex
}

func (p *fakeProber) Probe(ctx context.Context, addr netip.Addr, hw net.HardwareAddr) (bool, error) {
	p.mu.Lock()
	p.calls++
	p.mu.Unlock()
	select {
	case <-time.After(p.delay):
	case <-ctx.Done():
		return false, ctx.Err()
	}
	return p.busy[addr], nil
}

var (
	testMAC    = net.HardwareAddr{0x02, 0, 0, 0, 0, 0x01}
	testServer = netip.MustParseAddr("192.0.2.1")
	testAddr   = netip.MustParseAddr("192.0.2.50")
	testRouter = netip.MustParseAddr("192.0.2.254")
	testDNS    = netip.MustParseAddr("192.0.2.53")
)

func quietLogger() *slog.Logger { return slog.New(slog.NewTextHandler(io.Discard, nil)) }

// harness runs one client on a fakeNet inside a synctest bubble.
type harness struct {
	t      *testing.T
	n      *fakeNet
	c      *Client
	store  *memStore
	action *recAction
	cancel context.CancelFunc
	errc   chan error
}

func startClient(t *testing.T, mod func(*Config)) *harness {
	t.Helper()
	h := &harness{t: t, n: newFakeNet(), store: &memStore{}, action: &recAction{}, errc: make(chan error, 1)}
	cfg := Config{
		Interface:    "test0",
		HardwareAddr: testMAC,
		Transport:    h.n,
		Store:        h.store,
		Action:       h.action,
		Rand:         rand.New(rand.NewPCG(1, 2)),
		Logger:       quietLogger(),
		HostName:     "cpe",
	}
	if mod != nil {
		mod(&cfg)
	}
	c, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	h.c = c
	ctx, cancel := context.WithCancel(context.Background())
	h.cancel = cancel
	go func() { h.errc <- c.Run(ctx) }()
	t.Cleanup(func() { h.stop() })
	return h
}

// stop ends Run and returns its error.
func (h *harness) stop() error {
	h.cancel()
	select {
	case err, ok := <-h.errc:
		if ok {
			close(h.errc)
		}
		return err
	case <-time.After(time.Minute):
		h.t.Error("client did not stop")
		return errors.New("did not stop")
	}
}

// next returns the next message the client sends, waiting at most max of
// (fake) time.
func (h *harness) next(max time.Duration) sent {
	h.t.Helper()
	select {
	case s := <-h.n.out:
		return s
	case <-time.After(max):
		h.t.Fatalf("no message sent within %v (state %v)", max, h.c.Status().State)
		return sent{}
	}
}

// none checks that the client sends nothing for d.
func (h *harness) none(d time.Duration) {
	h.t.Helper()
	select {
	case s := <-h.n.out:
		h.t.Fatalf("unexpected %v sent in state %v", s.p.MessageType(), h.c.Status().State)
	case <-time.After(d):
	}
}

// replyOpts describes a server reply.
type replyOpts struct {
	yiaddr  netip.Addr
	server  netip.Addr
	lease   uint32
	t1, t2  uint32
	noSID   bool
	xid     uint32
	chaddr  net.HardwareAddr
	message string
}

// reply builds a server reply of type mt to req.
func reply(req *dhcpv4.Packet, mt dhcpv4.MessageType, o replyOpts) []byte {
	var b dhcpv4.Builder
	b.Reply(make([]byte, 1500), req, mt)
	if o.yiaddr.IsValid() {
		b.SetYIAddr(o.yiaddr)
	}
	if o.xid != 0 {
		b.SetXID(o.xid)
	}
	if o.chaddr != nil {
		b.SetCHAddr(1, o.chaddr)
	}
	if o.server.IsValid() && !o.noSID {
		b.AddIP(dhcpv4.OptionServerID, o.server)
	}
	if mt != dhcpv4.Nak {
		b.AddIP(dhcpv4.OptionSubnetMask, netip.MustParseAddr("255.255.255.0"))
		b.AddIP(dhcpv4.OptionRouter, testRouter)
		b.AddIPs(dhcpv4.OptionDomainNameServer, testDNS)
		b.AddString(dhcpv4.OptionDomainName, "example.test")
		if o.lease != 0 {
			b.AddUint32(dhcpv4.OptionLeaseTime, o.lease)
		}
		if o.t1 != 0 {
			b.AddUint32(dhcpv4.OptionRenewalTime, o.t1)
		}
		if o.t2 != 0 {
			b.AddUint32(dhcpv4.OptionRebindingTime, o.t2)
		}
	}
	if o.message != "" {
		b.AddString(dhcpv4.OptionMessage, o.message)
	}
	out, err := b.Finish()
	if err != nil {
		panic(err)
	}
	return out
}

func offerFor(req *dhcpv4.Packet) []byte {
	return reply(req, dhcpv4.Offer, replyOpts{yiaddr: testAddr, server: testServer, lease: 3600})
}

func ackFor(req *dhcpv4.Packet, lease uint32) []byte {
	return reply(req, dhcpv4.Ack, replyOpts{yiaddr: testAddr, server: testServer, lease: lease})
}

// bind drives the client from INIT to BOUND with a lease of the given
// seconds and returns the REQUEST that earned it.
func (h *harness) bind(lease uint32) sent {
	h.t.Helper()
	d := h.next(time.Minute)
	if d.p.MessageType() != dhcpv4.Discover {
		h.t.Fatalf("first message %v, want DHCPDISCOVER", d.p.MessageType())
	}
	h.n.deliver(offerFor(d.p))
	r := h.next(time.Second)
	if r.p.MessageType() != dhcpv4.Request {
		h.t.Fatalf("after OFFER: %v, want DHCPREQUEST", r.p.MessageType())
	}
	h.n.deliver(ackFor(r.p, lease))
	h.waitState(StateBound)
	return r
}

func (h *harness) waitState(s State) Status {
	h.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), time.Hour)
	defer cancel()
	st, err := h.c.WaitFor(ctx, func(st Status) bool { return st.State == s })
	if err != nil {
		h.t.Fatalf("waiting for %v: %v (state %v)", s, err, st.State)
	}
	return st
}
