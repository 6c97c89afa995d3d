package meshd

import (
	"bytes"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/leased/leased/dhcpserver"
	"github.com/leased/leased/dhcpserver/dhcptest"
	"github.com/leased/leased/dhcpv4"
	"github.com/leased/leased/mesh"
)

// fakeClock is a mesh.Clock the test moves.
type fakeClock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *fakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *fakeClock) add(d time.Duration) {
	c.mu.Lock()
	c.now = c.now.Add(d)
	c.mu.Unlock()
}

var epoch = time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC)

// bus connects cores in memory: datagrams queue up and are delivered by
// pump, so that no core's mutex is held while another handles them.
type bus struct {
	t     testing.TB
	clock *fakeClock
	cores []*core
	addrs []netip.Addr
	q     chan busMsg
	drop  map[int]bool // cores that receive nothing

	mu        sync.Mutex
	failMcast map[int]bool // cores whose multicast sends fail
	attempts  []sendAttempt
}

// A sendAttempt is a multicast send a core tried while failMcast was set.
type sendAttempt struct {
	core int
	at   time.Time
	cmd  mesh.Command
}

type busMsg struct {
	from, to int // to < 0: multicast
	data     []byte
}

type busTr struct {
	b *bus
	i int
}

func (t busTr) SendMulticast(b []byte) error {
	t.b.mu.Lock()
	fail := t.b.failMcast[t.i]
	if fail {
		t.b.attempts = append(t.b.attempts, sendAttempt{t.i, t.b.clock.Now(), mesh.Command(b[14])})
	}
	t.b.mu.Unlock()
	if fail {
		return errors.New("sendto: network is down")
	}
	t.b.q <- busMsg{t.i, -1, bytes.Clone(b)}
	return nil
}

func (t busTr) SendUnicast(to netip.Addr, b []byte) error {
	i := slices.Index(t.b.addrs, to)
	if i < 0 {
		return fmt.Errorf("no peer %v", to)
	}
	t.b.q <- busMsg{t.i, i, bytes.Clone(b)}
	return nil
}

func newBus(t testing.TB) *bus {
	return &bus{t: t, clock: &fakeClock{now: epoch}, q: make(chan busMsg, 1024), drop: map[int]bool{}, failMcast: map[int]bool{}}
}

// testConfig is a small fast mesh: -L -t 2 -B 20 -N 10.0.0.0/24 -b 2.
func testConfig(t testing.TB, extra ...string) mesh.Config {
	t.Helper()
	cfg, err := mesh.ParseArgs(append([]string{"-L", "-t", "2", "-B", "20", "-N", "10.0.0.0/24", "-b", "2"}, extra...))
	if err != nil {
		t.Fatal(err)
	}
	return cfg
}

func nodeID(i int) mesh.NodeID { return mesh.NodeID{0x02, 0, 0, 0, 0x01, byte(i)} }

// add starts a core with cfg; st may be nil.
func (b *bus) add(cfg mesh.Config, st *state, hook *hookRunner) *core {
	b.t.Helper()
	i := len(b.cores)
	c, err := newCore(coreConfig{Config: cfg, ID: nodeID(i + 1), Clock: b.clock, Rand: firstFree{}, State: st, Hook: hook},
		busTr{b, i})
	if err != nil {
		b.t.Fatal(err)
	}
	b.cores = append(b.cores, c)
	b.addrs = append(b.addrs, netip.AddrFrom16([16]byte{0xfe, 0x80, 15: byte(i + 1)}))
	return c
}

// firstFree always picks the first free block: nodes collide on purpose.
type firstFree struct{}

func (firstFree) IntN(int) int { return 0 }

func (b *bus) pump() {
	for {
		select {
		case m := <-b.q:
			b.deliver(m)
		default:
			return
		}
	}
}

func (b *bus) deliver(m busMsg) {
	for i, c := range b.cores {
		if i == m.from || b.drop[i] || (m.to >= 0 && m.to != i) {
			continue
		}
		if m.to < 0 {
			c.handleMulticast(b.addrs[m.from], m.data)
		} else {
			c.handleUnicast(b.addrs[m.from], m.data)
		}
	}
}

// advance moves the clock in 100 ms steps, ticking every core when due
// and delivering what they send. A core that asks to be ticked again and
// again at one instant (its timer loop would spin) fails the test.
func (b *bus) advance(d time.Duration) {
	b.t.Helper()
	end := b.clock.Now().Add(d)
	for b.clock.Now().Before(end) {
		b.clock.add(100 * time.Millisecond)
		for i, c := range b.cores {
			for k := 0; !c.nextTick().After(b.clock.Now()); k++ {
				if k == 10 {
					b.t.Fatalf("core %d: NextTick stays at %v: its timer loop would spin", i, c.nextTick().Sub(epoch))
				}
				c.tick()
			}
		}
		b.pump()
	}
}

// background delivers datagrams as they come until the test ends, for
// exchanges that wait on the bus from another goroutine.
func (b *bus) background() {
	stop := make(chan struct{})
	done := make(chan struct{})
	go func() {
		defer close(done)
		for {
			select {
			case m := <-b.q:
				b.deliver(m)
			case <-stop:
				return
			}
		}
	}()
	b.t.Cleanup(func() { close(stop); <-done })
}

func owned(c *core) []uint32 {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.node.Owned()
}

var hwA = net.HardwareAddr{0x02, 0xaa, 0, 0, 0, 1}

// serve runs h on one message and returns the reply (nil if silent).
func serve(t testing.TB, h dhcpserver.Handler, m dhcptest.Message) *dhcptest.Reply {
	t.Helper()
	rec, req := record(t, m)
	h.ServeDHCP(rec, req)
	r, err := rec.Result()
	if err != nil {
		t.Fatal(err)
	}
	return r
}

func record(t testing.TB, m dhcptest.Message) (*dhcptest.ResponseRecorder, *dhcpserver.Request) {
	t.Helper()
	req, err := dhcptest.NewRequest(m.MustBuild())
	if err != nil {
		t.Fatal(err)
	}
	return dhcptest.NewRecorder(req), req
}

var prl = dhcptest.Option{Code: dhcpv4.OptionParameterList, Value: []byte{1, 3, 28, 51, 54}}

// dora gets a lease from h for hw.
func dora(t testing.TB, h dhcpserver.Handler, hw net.HardwareAddr, xid uint32) netip.Addr {
	t.Helper()
	off := serve(t, h, dhcptest.Message{Type: dhcpv4.Discover, XID: xid, CHAddr: hw, Options: []dhcptest.Option{prl}})
	if off == nil || off.Packet.MessageType() != dhcpv4.Offer {
		t.Fatalf("DISCOVER: reply %v", off)
	}
	a := off.Packet.YIAddr()
	sid, _ := off.Packet.ServerID()
	ack := serve(t, h, dhcptest.Message{Type: dhcpv4.Request, XID: xid, CHAddr: hw, RequestedIP: a, ServerID: sid,
		Options: []dhcptest.Option{prl}})
	if ack == nil || ack.Packet.MessageType() != dhcpv4.Ack || ack.Packet.YIAddr() != a {
		t.Fatalf("REQUEST %v: reply %v", a, ack)
	}
	return a
}

// twoNodes returns a bus whose two cores own disjoint blocks.
func twoNodes(t testing.TB) *bus {
	b := newBus(t)
	cfg := testConfig(t)
	b.add(cfg, nil, nil)
	b.add(cfg, nil, nil)
	b.advance(10 * time.Second)
	o0, o1 := owned(b.cores[0]), owned(b.cores[1])
	if len(o0) == 0 || len(o1) == 0 || slices.ContainsFunc(o0, func(i uint32) bool { return slices.Contains(o1, i) }) {
		t.Fatalf("owned blocks %v and %v", o0, o1)
	}
	return b
}

// The DHCP side answers from the option store as ddhcpd does: the options
// the client asked for, the server identifier and lease time always.
func TestRepliesFromOptionStore(t *testing.T) {
	b := twoNodes(t)
	c := b.cores[0]
	c.control(mesh.CtlRequest{Command: mesh.CtlOptionSet, Option: mesh.Option{Code: 3, Data: []byte{10, 0, 0, 254}}})
	off := serve(t, c.handler(), dhcptest.Message{Type: dhcpv4.Discover, XID: 1, CHAddr: hwA, Options: []dhcptest.Option{
		{Code: dhcpv4.OptionParameterList, Value: []byte{3, 28, 6}}}})
	if off == nil {
		t.Fatal("no OFFER")
	}
	var codes []dhcpv4.OptionCode
	off.Packet.Options(func(code dhcpv4.OptionCode, _ []byte) bool { codes = append(codes, code); return true })
	want := []dhcpv4.OptionCode{53, 54, 3, 28, 51}
	if !slices.Equal(codes, want) {
		t.Errorf("OFFER options %v, want %v (1 and 2 not asked for, 6 not stored)", codes, want)
	}
	if sid, _ := off.Packet.ServerID(); sid != netip.MustParseAddr("10.0.0.1") {
		t.Errorf("server id %v", sid)
	}
	if lt, _ := off.Packet.LeaseTime(); lt != 300 {
		t.Errorf("lease time %d", lt)
	}
	blk, _, _ := c.rng.Block(off.Packet.YIAddr())
	if !slices.Contains(owned(c), blk) {
		t.Errorf("offered %v from block %d, not an own block %v", off.Packet.YIAddr(), blk, owned(c))
	}
	// INFORM: options, no lease time, no address.
	inf := serve(t, c.handler(), dhcptest.Message{Type: dhcpv4.Inform, XID: 2, CHAddr: hwA,
		CIAddr: netip.MustParseAddr("10.0.0.77"), Options: []dhcptest.Option{prl}})
	if inf == nil || inf.Packet.MessageType() != dhcpv4.Ack || inf.Packet.HasOption(dhcpv4.OptionLeaseTime) ||
		inf.Packet.YIAddr() != netip.IPv4Unspecified() {
		t.Errorf("INFORM reply %v", inf)
	}
}

// A REQUEST naming another server is not answered, nor a RELEASE or
// DECLINE meant for another server.
func TestOtherServersMessagesIgnored(t *testing.T) {
	b := twoNodes(t)
	c := b.cores[0]
	a := dora(t, c.handler(), hwA, 1)
	other := netip.MustParseAddr("192.0.2.9")
	if r := serve(t, c.handler(), dhcptest.Message{Type: dhcpv4.Request, XID: 2, CHAddr: hwA, RequestedIP: a, ServerID: other}); r != nil {
		t.Errorf("REQUEST for another server answered: %v", r.Packet.MessageType())
	}
	serve(t, c.handler(), dhcptest.Message{Type: dhcpv4.Release, XID: 3, CHAddr: hwA, CIAddr: a, ServerID: other})
	if l, _ := leaseOf(c, a); l.State != mesh.LeaseLeased {
		t.Errorf("lease after another server's RELEASE: %v", l.State)
	}
	serve(t, c.handler(), dhcptest.Message{Type: dhcpv4.Release, XID: 3, CHAddr: hwA, CIAddr: a, ServerID: netip.MustParseAddr("10.0.0.1")})
	if l, _ := leaseOf(c, a); l.State != mesh.LeaseFree {
		t.Errorf("lease after RELEASE: %v", l.State)
	}
}

func leaseOf(c *core, a netip.Addr) (mesh.LeaseInfo, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.node.Lease(a)
}

// A client that moved to another node renews through it: the node
// forwards the renewal to the block's owner and answers once the owner
// has, with an ACK, a NAK, or (owner silent) nothing.
func TestForwardedRenewal(t *testing.T) {
	b := twoNodes(t)
	owner, other := b.cores[0], b.cores[1]
	a := dora(t, owner.handler(), hwA, 1)

	renew := dhcptest.Message{Type: dhcpv4.Request, XID: 7, CHAddr: hwA, CIAddr: a, Options: []dhcptest.Option{prl}}
	rec, req := record(t, renew)
	other.handler().ServeDHCP(rec, req)
	if !rec.Deferred() {
		t.Fatal("renewal for a foreign block not deferred")
	}
	b.pump() // RENEWLEASE to the owner, LEASEACK back
	r, err := rec.Result()
	if err != nil || r == nil {
		t.Fatalf("forwarded renewal: %v %v", r, err)
	}
	if r.Packet.MessageType() != dhcpv4.Ack || r.Packet.YIAddr() != a {
		t.Errorf("reply %v for %v", r.Packet.MessageType(), r.Packet.YIAddr())
	}
	if sid, _ := r.Packet.ServerID(); sid != netip.MustParseAddr("10.0.0.1") {
		t.Errorf("server id %v: every node must send the shared one", sid)
	}
	so, st := stats(owner), stats(other)
	if st[mesh.StatDirectSendRenewLease] != 1 || so[mesh.StatDirectRecvRenewLease] != 1 ||
		so[mesh.StatDirectSendLeaseAck] != 1 || st[mesh.StatDirectRecvLeaseAck] != 1 || st[mesh.StatDHCPSendAck] != 1 {
		t.Errorf("counters: owner %v, other %v", so, st)
	}

	// Another client asking for that address: the owner refuses.
	hwB := net.HardwareAddr{0x02, 0xbb, 0, 0, 0, 2}
	rec, req = record(t, dhcptest.Message{Type: dhcpv4.Request, XID: 8, CHAddr: hwB, RequestedIP: a})
	other.handler().ServeDHCP(rec, req)
	b.pump()
	if r, err := rec.Result(); err != nil || r == nil || r.Packet.MessageType() != dhcpv4.Nak {
		t.Fatalf("renewal of someone else's address: %v %v", r, err)
	} else if r.Route != dhcpserver.RouteBroadcast || r.Packet.CIAddr() != netip.IPv4Unspecified() {
		t.Errorf("NAK route %v, ciaddr %v", r.Route, r.Packet.CIAddr())
	}

	// The owner is gone: no answer, and after the retry the reply is
	// dropped.
	b.drop[0] = true
	rec, req = record(t, renew)
	other.handler().ServeDHCP(rec, req)
	done := make(chan *dhcptest.Reply)
	go func() { r, _ := rec.Result(); done <- r }()
	b.advance(3 * time.Second)
	select {
	case r := <-done:
		if r != nil {
			t.Errorf("answered without the owner: %v", r.Packet.MessageType())
		}
	case <-time.After(5 * time.Second):
		t.Fatal("deferred reply neither sent nor cancelled")
	}
}

func stats(c *core) mesh.Stats {
	c.mu.Lock()
	defer c.mu.Unlock()
	s := c.node.Stats()
	s.Add(&c.dstats)
	return s
}

// The control commands answer in ddhcpd's layout and change what they say
// they change.
func TestControl(t *testing.T) {
	b := twoNodes(t)
	c := b.cores[0]
	blocks := string(c.control(mesh.CtlRequest{Command: mesh.CtlBlockShow}))
	if !strings.HasPrefix(blocks, "block size/number\t4/64 \n") || !strings.Contains(blocks, "node id\t0200000001010000\n") {
		t.Errorf("BLOCK_SHOW:\n%s", blocks)
	}
	for _, i := range owned(c) {
		if !strings.Contains(blocks, fmt.Sprintf("\n%d\t4\t0200000001010000\t3\t0/0\t", i)) {
			t.Errorf("BLOCK_SHOW lacks own block %d:\n%s", i, blocks)
		}
	}
	c.control(mesh.CtlRequest{Command: mesh.CtlOptionSet, Option: mesh.Option{Code: 51, Data: []byte{0, 0, 0, 60}}})
	c.control(mesh.CtlRequest{Command: mesh.CtlOptionRemove, Option: mesh.Option{Code: 2}})
	opts := string(c.control(mesh.CtlRequest{Command: mesh.CtlOptionsShow}))
	if !strings.HasPrefix(opts, "DHCP Lease Time: 60\n\nDHCP Disabled: 0\n") || strings.Contains(opts, "\n2\t4\t") ||
		!strings.Contains(opts, "51\t4\t0\t0\t0\t60\t\n") {
		t.Errorf("DHCP_OPTIONS_SHOW after -l 60 and -r 2:\n%s", opts)
	}
	if lt := c.node.LeaseTime(); lt != time.Minute {
		t.Errorf("node lease time %v after option 51 = 60", lt)
	}
	dora(t, c.handler(), hwA, 1)
	st := string(c.control(mesh.CtlRequest{Command: mesh.CtlStatisticsReset}))
	if !strings.Contains(st, "dhcp.send_ack 1\n") || !strings.Contains(st, "dhcp.recv_discover 1\n") ||
		!strings.Contains(st, "ddhcp.blocks.claimed ") {
		t.Errorf("STATISTICS_RESET:\n%s", st)
	}
	st = string(c.control(mesh.CtlRequest{Command: mesh.CtlStatistics}))
	if !strings.Contains(st, "dhcp.send_ack 0\n") || !strings.Contains(st, "mcast.send_pkg 0\n") {
		t.Errorf("STATISTICS after reset:\n%s", st)
	}
}

// A node whose multicast sends fail (its mesh link is down) hands each
// failed INQUIRE and UPDATECLAIM back to the node: it retries at the pace
// of housekeeping (every t/2 = 1 s here), never spins, and gives its
// blocks up when the last claim that went out runs out, which also drops
// them from the claims it persists. When the link is back it claims again
// and the two nodes agree.
func TestFailedMulticastSends(t *testing.T) {
	b := twoNodes(t)
	c0, c1 := b.cores[0], b.cores[1]
	had := owned(c0)
	var until time.Time
	for _, u := range c0.claimSnapshot() {
		until = u
	}
	if until.IsZero() {
		t.Fatal("no claim persisted")
	}
	b.mu.Lock()
	b.failMcast[0] = true
	b.mu.Unlock()
	b.drop[0] = true
	down := b.clock.Now()
	b.advance(until.Sub(down) - 500*time.Millisecond)
	if got := owned(c0); !slices.Equal(got, had) {
		t.Errorf("half a second before its claim runs out the node owns %v, had %v", got, had)
	}
	b.advance(600 * time.Millisecond)
	if got := owned(c0); len(got) != 0 {
		t.Errorf("0.1 s after its claim ran out the node still owns %v", got)
	}
	if cl := c0.claimSnapshot(); len(cl) != 0 {
		t.Errorf("claims still persisted: %v", cl)
	}
	b.advance(time.Second) // the peer's housekeeping, every t/2 = 1 s
	for _, i := range had {
		c1.mu.Lock()
		r, _ := c1.node.Block(i)
		c1.mu.Unlock()
		if r.State == mesh.Claimed {
			t.Errorf("the peer still sees block %d claimed by the node", i)
		}
	}
	b.advance(4 * time.Second)
	b.mu.Lock()
	attempts := slices.Clone(b.attempts)
	b.failMcast[0] = false
	b.mu.Unlock()
	last := map[mesh.Command]time.Time{}
	kinds := map[mesh.Command]int{}
	for _, a := range attempts {
		if p, ok := last[a.cmd]; ok && a.at.Sub(p) < time.Second {
			t.Errorf("%v attempts at %v and %v: closer than t/2", a.cmd, p.Sub(down), a.at.Sub(down))
		}
		last[a.cmd] = a.at
		kinds[a.cmd]++
	}
	if kinds[mesh.UpdateClaim] == 0 || kinds[mesh.Inquire] == 0 {
		t.Errorf("failed attempts by kind: %v; want UPDATECLAIMs while owning, INQUIREs after", kinds)
	}
	st := stats(c0)
	t.Logf("%d failed sends in %v (%v); mcast.send_pkg %d", len(attempts), b.clock.Now().Sub(down), kinds, st[mesh.StatMcastSendPkg])

	b.drop[0] = false
	b.advance(10 * time.Second)
	o0, o1 := owned(c0), owned(c1)
	if len(o0) == 0 || len(o1) == 0 || slices.ContainsFunc(o0, func(i uint32) bool { return slices.Contains(o1, i) }) {
		t.Errorf("after the link came back: owned blocks %v and %v", o0, o1)
	}
	for _, i := range o0 {
		c1.mu.Lock()
		r, _ := c1.node.Block(i)
		c1.mu.Unlock()
		if r.State != mesh.Claimed || r.Owner != nodeID(1) {
			t.Errorf("the peer sees the node's block %d as %v owned by %v", i, r.State, r.Owner)
		}
	}
}
