package dhcpserver_test

import (
	"context"
	"errors"
	"net"
	"net/netip"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/leased/leased/dhcpserver"
	"github.com/leased/leased/dhcpserver/dhcptest"
	"github.com/leased/leased/dhcpv4"
	"github.com/leased/leased/internal/testnet"
)

var loopback = netip.MustParseAddr("127.0.0.1")

// offerAll answers every DISCOVER with an OFFER of yiaddr and every REQUEST
// with an ACK.
var offerAll = dhcpserver.Mux{
	Discover: dhcpserver.HandlerFunc(func(w dhcpserver.ResponseWriter, r *dhcpserver.Request) {
		b := w.Reply(dhcpv4.Offer)
		b.SetYIAddr(yiaddr)
		b.AddIP(dhcpv4.OptionServerID, r.Local)
	}),
	Request: dhcpserver.HandlerFunc(func(w dhcpserver.ResponseWriter, r *dhcpserver.Request) {
		b := w.Reply(dhcpv4.Ack)
		b.SetYIAddr(yiaddr)
		b.AddIP(dhcpv4.OptionServerID, r.Local)
	}),
}

// waitStats polls the server's counters until ok accepts them, or fails
// the test after 10 seconds. Counters are updated after a reply is sent,
// so a client can see the reply a moment before the count.
func waitStats(t *testing.T, s *dhcpserver.Server, ok func(dhcpserver.Stats) bool) dhcpserver.Stats {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		st := s.Stats()
		if ok(st) {
			return st
		}
		if time.Now().After(deadline) {
			t.Fatalf("stats %+v never reached the expected values", st)
		}
		time.Sleep(time.Millisecond)
	}
}

func hw(i int) net.HardwareAddr { return net.HardwareAddr{0x02, 0, 0, 0, byte(i >> 8), byte(i)} }

func TestDORA(t *testing.T) {
	ts := dhcptest.NewServer(t, offerAll)
	if ts.Addr.Port() == 0 || ts.Addr.Addr() != loopback {
		t.Fatalf("LocalAddr = %v, want 127.0.0.1 and a port", ts.Addr)
	}
	got, err := ts.Client.DORA(42, hw(1))
	if err != nil {
		t.Fatal(err)
	}
	if got != yiaddr {
		t.Errorf("leased %v, want %v", got, yiaddr)
	}
	// Replies to a client without an address go to chaddr; on loopback
	// there is no packet socket, so they fall back to broadcast.
	waitStats(t, ts.Config, func(st dhcpserver.Stats) bool {
		return st.Received == 2 && st.Sent == 2 && st.Fallbacks == 2 && st.Malformed == 0 && st.Dropped == 0
	})
}

func TestRequestFields(t *testing.T) {
	got := make(chan dhcpserver.Request, 1)
	ts := dhcptest.NewServer(t, dhcpserver.HandlerFunc(func(w dhcpserver.ResponseWriter, r *dhcpserver.Request) {
		c := *r
		c.Packet = nil // not valid after return
		got <- c
		w.Reply(dhcpv4.Ack)
	}))
	msg := (&dhcptest.Message{Type: dhcpv4.Inform, XID: 9, CHAddr: hw(2), CIAddr: loopback}).MustBuild()
	if _, err := ts.Client.Exchange(msg); err != nil {
		t.Fatal(err)
	}
	r := <-got
	lo, err := net.InterfaceByName("lo")
	if err != nil {
		t.Fatal(err)
	}
	if r.IfIndex != lo.Index || r.IfName != "lo" {
		t.Errorf("interface %d %q, want %d lo", r.IfIndex, r.IfName, lo.Index)
	}
	if r.Src != ts.Client.LocalAddr() {
		t.Errorf("Src = %v, want %v", r.Src, ts.Client.LocalAddr())
	}
	if r.Dst != loopback || r.Local != loopback {
		t.Errorf("Dst = %v, Local = %v, want 127.0.0.1", r.Dst, r.Local)
	}
	if r.Context() == nil || r.Context().Err() != nil {
		t.Errorf("context %v", r.Context())
	}
}

func TestRoutes(t *testing.T) {
	ts := dhcptest.NewServer(t, dhcpserver.HandlerFunc(func(w dhcpserver.ResponseWriter, r *dhcpserver.Request) {
		mt := dhcpv4.Ack
		if r.Packet.MessageType() == dhcpv4.Decline {
			mt = dhcpv4.Nak
		}
		b := w.Reply(mt)
		if mt == dhcpv4.Ack {
			b.SetYIAddr(yiaddr)
		}
	}))
	tests := []struct {
		name  string
		msg   dhcptest.Message
		flags uint16 // flags expected in the reply
	}{
		// The client's port receives relay replies (RelayPort), unicasts to
		// ciaddr (ClientPort) and broadcasts (BroadcastAddr 127.0.0.1).
		{"relay", dhcptest.Message{Type: dhcpv4.Request, GIAddr: loopback}, 0},
		{"relayed nak gets the broadcast bit", dhcptest.Message{Type: dhcpv4.Decline, GIAddr: loopback}, dhcpv4.FlagBroadcast},
		{"ciaddr", dhcptest.Message{Type: dhcpv4.Request, CIAddr: loopback}, 0},
		{"broadcast flag", dhcptest.Message{Type: dhcpv4.Request, Broadcast: true}, dhcpv4.FlagBroadcast},
		{"nak", dhcptest.Message{Type: dhcpv4.Decline}, 0},
	}
	for i, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tt.msg.XID, tt.msg.CHAddr = uint32(100+i), hw(3)
			p, err := ts.Client.Exchange(tt.msg.MustBuild())
			if err != nil {
				t.Fatal(err)
			}
			if p.Op() != dhcpv4.BootReply || p.Flags() != tt.flags {
				t.Errorf("reply op %v flags %#04x, want BOOTREPLY %#04x", p.Op(), p.Flags(), tt.flags)
			}
		})
	}
}

func TestSetDestination(t *testing.T) {
	other, err := net.ListenUDP("udp4", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1)})
	if err != nil {
		t.Fatal(err)
	}
	defer other.Close()
	dst := other.LocalAddr().(*net.UDPAddr).AddrPort()
	ts := dhcptest.NewServer(t, dhcpserver.HandlerFunc(func(w dhcpserver.ResponseWriter, r *dhcpserver.Request) {
		w.Reply(dhcpv4.Offer)
		w.SetDestination(dst)
	}))
	if err := ts.Client.Send((&dhcptest.Message{Type: dhcpv4.Discover, XID: 5, CHAddr: hw(4)}).MustBuild()); err != nil {
		t.Fatal(err)
	}
	other.SetReadDeadline(time.Now().Add(5 * time.Second))
	buf := make([]byte, 1500)
	n, from, err := other.ReadFromUDPAddrPort(buf)
	if err != nil {
		t.Fatal(err)
	}
	p, err := dhcpv4.Parse(buf[:n])
	if err != nil || p.XID() != 5 || p.MessageType() != dhcpv4.Offer {
		t.Fatalf("got %v %v", p, err)
	}
	if from != ts.Addr {
		t.Errorf("sent from %v, want the server socket %v", from, ts.Addr)
	}
}

func TestSilenceAndOther(t *testing.T) {
	var others atomic.Int32
	ts := dhcptest.NewServer(t, dhcpserver.Mux{
		Discover: offerAll.Discover,
		Other: dhcpserver.HandlerFunc(func(w dhcpserver.ResponseWriter, r *dhcpserver.Request) {
			others.Add(1) // sees everything else and stays silent
		}),
	})
	c := ts.Client
	c.Timeout = 200 * time.Millisecond
	// A RELEASE, a foreign server's OFFER (a BOOTREPLY) and a BOOTP
	// request all reach Other, which does not answer.
	msgs := []dhcptest.Message{
		{Type: dhcpv4.Release, XID: 1, CHAddr: hw(5), CIAddr: loopback},
		{Type: 0, XID: 2, CHAddr: hw(5)},
	}
	for _, m := range msgs {
		if _, err := c.Exchange(m.MustBuild()); !errors.Is(err, dhcptest.ErrTimeout) {
			t.Errorf("%v: got reply or error %v, want silence", m.Type, err)
		}
	}
	offer := (&dhcptest.Message{Type: dhcpv4.Offer, XID: 3, CHAddr: hw(5)}).MustBuild()
	offer[0] = byte(dhcpv4.BootReply)
	if _, err := c.Exchange(offer); !errors.Is(err, dhcptest.ErrTimeout) {
		t.Errorf("foreign OFFER: got reply or error %v, want silence", err)
	}
	if n := others.Load(); n != 3 {
		t.Errorf("Other called %d times, want 3", n)
	}
	waitStats(t, ts.Config, func(st dhcpserver.Stats) bool { return st.NoReply == 3 && st.Sent == 0 })
}

// TestMalformed sends broken messages; each is dropped and counted, and
// the server keeps answering.
func TestMalformed(t *testing.T) {
	ts := dhcptest.NewServer(t, offerAll)
	good := (&dhcptest.Message{Type: dhcpv4.Discover, XID: 1, CHAddr: hw(6)}).MustBuild()
	short := good[:100]
	badCookie := append([]byte(nil), good...)
	badCookie[236] = 0
	overrun := append([]byte(nil), good[:240]...)
	overrun = append(overrun, 53, 1, 1, 12, 200, 'x') // host name claims 200 bytes
	loop := make([]byte, 300)
	copy(loop, good[:240])
	copy(loop[240:], []byte{53, 1, 1, 52, 1, 1, 255}) // options overload into file...
	copy(loop[108:], []byte{52, 1, 2, 255})           // ...which overloads again
	huge := make([]byte, 3000)                        // truncated by the receive buffer
	copy(huge, good)
	bad := [][]byte{short, badCookie, overrun, loop, huge, {}}
	for _, b := range bad {
		if err := ts.Client.Send(b); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := ts.Client.Exchange(good); err != nil {
		t.Fatalf("server stopped answering after malformed input: %v", err)
	}
	waitStats(t, ts.Config, func(st dhcpserver.Stats) bool {
		return st.Malformed == uint64(len(bad)) && st.Received == uint64(len(bad))+1 && st.Sent == 1
	})
}

// TestOrderPerClient sends bursts from several clients and checks that
// each client's messages reach the handler in the order they were sent,
// while messages of different clients are handled at the same time.
func TestOrderPerClient(t *testing.T) {
	const clients, perClient = 6, 20
	var (
		mu   sync.Mutex
		seen = map[byte][]uint16{}
		// Every client's first message waits until all clients' first
		// messages are in the handler at once: that needs concurrency.
		barrier sync.WaitGroup
		waited  atomic.Bool
	)
	barrier.Add(clients)
	ts := dhcptest.NewUnstartedServer(t, dhcpserver.HandlerFunc(func(w dhcpserver.ResponseWriter, r *dhcpserver.Request) {
		id := r.Packet.CHAddr()[5]
		seq := r.Packet.Secs()
		if seq == 0 {
			barrier.Done()
			done := make(chan struct{})
			go func() { barrier.Wait(); close(done) }()
			select {
			case <-done:
			case <-time.After(10 * time.Second):
				waited.Store(true)
			}
		}
		mu.Lock()
		seen[id] = append(seen[id], seq)
		mu.Unlock()
	}))
	ts.Config.Workers = 64
	ts.Config.QueueLen = perClient
	ts.Start()
	for seq := range perClient {
		for c := range clients {
			m := dhcptest.Message{Type: dhcpv4.Request, XID: uint32(c<<16 | seq), CHAddr: hw(c)}
			b := m.MustBuild()
			b[8], b[9] = byte(seq>>8), byte(seq) // secs carries the sequence number
			if err := ts.Client.Send(b); err != nil {
				t.Fatal(err)
			}
		}
	}
	deadline := time.Now().Add(20 * time.Second)
	for {
		st := ts.Config.Stats()
		if st.NoReply+st.Dropped >= clients*perClient || time.Now().After(deadline) {
			break
		}
		time.Sleep(10 * time.Millisecond)
	}
	if waited.Load() {
		t.Error("the first messages of different clients were not handled concurrently")
	}
	if st := ts.Config.Stats(); st.Dropped != 0 {
		t.Fatalf("%d messages dropped; stats %+v", st.Dropped, st)
	}
	mu.Lock()
	defer mu.Unlock()
	for c := range clients {
		got := seen[byte(c)]
		if len(got) != perClient {
			t.Errorf("client %d: %d messages handled, want %d", c, len(got), perClient)
			continue
		}
		for i, s := range got {
			if int(s) != i {
				t.Errorf("client %d: handled in order %v", c, got)
				break
			}
		}
	}
}

// TestQueueFull blocks the only worker and checks that what does not fit
// its queue is dropped and counted, and the rest is served afterwards.
func TestQueueFull(t *testing.T) {
	entered := make(chan struct{}, 100)
	release := make(chan struct{})
	ts := dhcptest.NewUnstartedServer(t, dhcpserver.HandlerFunc(func(w dhcpserver.ResponseWriter, r *dhcpserver.Request) {
		entered <- struct{}{}
		<-release
	}))
	ts.Config.Workers = 1
	ts.Config.QueueLen = 2
	ts.Start()
	send := func(xid uint32) {
		if err := ts.Client.Send((&dhcptest.Message{Type: dhcpv4.Discover, XID: xid, CHAddr: hw(7)}).MustBuild()); err != nil {
			t.Fatal(err)
		}
	}
	send(0)
	<-entered // the worker is busy with message 0
	const more = 10
	for i := range more {
		send(uint32(i + 1))
	}
	for ts.Config.Stats().Received < more+1 {
		time.Sleep(time.Millisecond)
	}
	close(release)
	for ts.Config.Stats().NoReply < 3 {
		time.Sleep(time.Millisecond)
	}
	// One handled, two queued, the rest dropped.
	if st := ts.Config.Stats(); st.Dropped != more-2 || st.NoReply != 3 {
		t.Errorf("stats %+v, want %d dropped and 3 handled", st, more-2)
	}
}

func TestHandlerPanic(t *testing.T) {
	ts := dhcptest.NewServer(t, dhcpserver.HandlerFunc(func(w dhcpserver.ResponseWriter, r *dhcpserver.Request) {
		if r.Packet.XID() == 1 {
			w.Reply(dhcpv4.Offer)
			panic("handler bug")
		}
		w.Reply(dhcpv4.Offer)
	}))
	ts.Client.Timeout = 200 * time.Millisecond
	if _, err := ts.Client.Exchange((&dhcptest.Message{Type: dhcpv4.Discover, XID: 1, CHAddr: hw(8)}).MustBuild()); !errors.Is(err, dhcptest.ErrTimeout) {
		t.Errorf("panicking handler: got %v, want no reply", err)
	}
	ts.Client.Timeout = 0
	if _, err := ts.Client.Exchange((&dhcptest.Message{Type: dhcpv4.Discover, XID: 2, CHAddr: hw(8)}).MustBuild()); err != nil {
		t.Errorf("after a panic: %v", err)
	}
	waitStats(t, ts.Config, func(st dhcpserver.Stats) bool { return st.Panics == 1 && st.Sent == 1 })
}

func TestBuildError(t *testing.T) {
	ts := dhcptest.NewServer(t, dhcpserver.HandlerFunc(func(w dhcpserver.ResponseWriter, r *dhcpserver.Request) {
		w.Reply(dhcpv4.Offer).AddOption(dhcpv4.OptionPad, []byte{1}) // pad cannot carry a value
	}))
	ts.Client.Timeout = 200 * time.Millisecond
	if _, err := ts.Client.Exchange((&dhcptest.Message{Type: dhcpv4.Discover, XID: 1, CHAddr: hw(9)}).MustBuild()); !errors.Is(err, dhcptest.ErrTimeout) {
		t.Errorf("got %v, want no reply", err)
	}
	waitStats(t, ts.Config, func(st dhcpserver.Stats) bool { return st.SendErrors == 1 })
}

// TestShutdownDrains checks that Shutdown lets a running handler finish and
// sends its reply, and that Serve then returns ErrServerClosed.
func TestShutdownDrains(t *testing.T) {
	entered := make(chan struct{})
	release := make(chan struct{})
	ts := dhcptest.NewServer(t, dhcpserver.HandlerFunc(func(w dhcpserver.ResponseWriter, r *dhcpserver.Request) {
		close(entered)
		<-release
		w.Reply(dhcpv4.Offer)
	}))
	if err := ts.Client.Send((&dhcptest.Message{Type: dhcpv4.Discover, XID: 77, CHAddr: hw(10)}).MustBuild()); err != nil {
		t.Fatal(err)
	}
	<-entered

	// A deadline that passes while the handler runs is reported.
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	if err := ts.Config.Shutdown(ctx); !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("Shutdown with a blocked handler = %v, want deadline exceeded", err)
	}
	close(release)
	if err := ts.Config.Shutdown(context.Background()); err != nil {
		t.Errorf("Shutdown = %v", err)
	}
	p, err := ts.Client.Receive(77)
	if err != nil {
		t.Fatalf("the reply of the drained handler: %v", err)
	}
	if p.MessageType() != dhcpv4.Offer {
		t.Errorf("got %v", p.MessageType())
	}
	// Closed: a new message gets no answer.
	ts.Client.Timeout = 100 * time.Millisecond
	if _, err := ts.Client.Exchange((&dhcptest.Message{Type: dhcpv4.Discover, XID: 78, CHAddr: hw(10)}).MustBuild()); err == nil {
		t.Error("a shut down server answered")
	}
}

func TestCloseCancelsContext(t *testing.T) {
	entered := make(chan struct{})
	errc := make(chan error, 1)
	ts := dhcptest.NewServer(t, dhcpserver.HandlerFunc(func(w dhcpserver.ResponseWriter, r *dhcpserver.Request) {
		close(entered)
		<-r.Context().Done()
		errc <- r.Context().Err()
	}))
	if err := ts.Client.Send((&dhcptest.Message{Type: dhcpv4.Discover, XID: 1, CHAddr: hw(11)}).MustBuild()); err != nil {
		t.Fatal(err)
	}
	<-entered
	if err := ts.Config.Close(); err != nil {
		t.Fatal(err)
	}
	select {
	case err := <-errc:
		if !errors.Is(err, context.Canceled) {
			t.Errorf("context error %v", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("Close did not cancel the request context")
	}
}

func TestListenErrors(t *testing.T) {
	for _, addr := range []string{"nonsense", "[::1]:67", "127.0.0.1:99999", "host.example:67"} {
		s := &dhcpserver.Server{Addr: addr, Handler: offerAll}
		if err := s.Listen(); err == nil {
			s.Close()
			t.Errorf("Listen(%q) succeeded", addr)
		}
	}
	s := &dhcpserver.Server{Addr: "127.0.0.1:0", Interfaces: []string{"no-such-if0"}, Handler: offerAll}
	if err := s.Listen(); err == nil {
		s.Close()
		t.Error("Listen on a missing interface succeeded")
	}
	s = &dhcpserver.Server{Addr: "127.0.0.1:0"}
	if err := s.Serve(); err == nil {
		s.Close()
		t.Error("Serve without a Handler succeeded")
	}
	s.Close()
	b := &dhcpserver.Server{Addr: "127.0.0.1:0", Handler: offerAll}
	b.Close()
	if err := b.Listen(); !errors.Is(err, dhcpserver.ErrServerClosed) {
		t.Errorf("Listen after Close = %v, want ErrServerClosed", err)
	}
}

func TestServeAfterShutdown(t *testing.T) {
	s := &dhcpserver.Server{Addr: "127.0.0.1:0", Handler: offerAll}
	if err := s.Listen(); err != nil {
		t.Fatal(err)
	}
	if err := s.Shutdown(context.Background()); err != nil {
		t.Fatal(err)
	}
	if err := s.Serve(); !errors.Is(err, dhcpserver.ErrServerClosed) {
		t.Errorf("Serve after Shutdown = %v", err)
	}
}

// TestBindToDevice serves the loopback interface by name, which opens a
// socket bound to it with SO_BINDTODEVICE (root or CAP_NET_RAW).
func TestBindToDevice(t *testing.T) {
	testnet.RequireRoot(t) // SO_BINDTODEVICE needs CAP_NET_RAW
	ts := dhcptest.NewUnstartedServer(t, offerAll)
	ts.Config.Addr = "0.0.0.0:0"
	ts.Config.Interfaces = []string{"lo"}
	ts.Start()
	ts.Client.SetServer(netip.AddrPortFrom(loopback, ts.Addr.Port()))
	if _, err := ts.Client.DORA(1, hw(12)); err != nil {
		t.Fatal(err)
	}
}

// TestLongRelayInfo sends requests whose relay agent information fills
// most of a datagram (a fragmented or jumbo datagram carries up to the
// receive buffer). A reply that can echo it is sent with its message type
// intact; one that cannot is counted as a send error. Either way the
// server goes on serving.
func TestLongRelayInfo(t *testing.T) {
	ts := dhcptest.NewServer(t, offerAll)
	request := func(xid uint32, n82 int) []byte {
		m := (&dhcptest.Message{Type: dhcpv4.Discover, XID: xid, CHAddr: hw(12)}).MustBuild()
		raw := append([]byte(nil), m[:dhcpv4.HeaderLen]...)
		raw = append(raw, byte(dhcpv4.OptionMessageType), 1, byte(dhcpv4.Discover))
		for n82 > 0 {
			k := min(n82, 255)
			raw = append(raw, byte(dhcpv4.OptionRelayAgentInfo), byte(k))
			raw = append(raw, make([]byte, k)...)
			n82 -= k
		}
		return append(raw, byte(dhcpv4.OptionEnd))
	}
	p, err := ts.Client.Exchange(request(1, 1000))
	if err != nil {
		t.Fatalf("82 of 1000 bytes: %v", err)
	}
	if echo, _ := p.Option(dhcpv4.OptionRelayAgentInfo); p.MessageType() != dhcpv4.Offer || len(echo) != 1000 {
		t.Errorf("82 of 1000 bytes: answered %v with an echo of %d bytes", p.MessageType(), len(echo))
	}
	// 6 full instances: more than a reply's 1472 bytes can echo.
	if err := ts.Client.Send(request(2, 6*255)); err != nil {
		t.Fatal(err)
	}
	waitStats(t, ts.Config, func(st dhcpserver.Stats) bool { return st.SendErrors == 1 })
	if _, err := ts.Client.Exchange((&dhcptest.Message{Type: dhcpv4.Discover, XID: 3, CHAddr: hw(12)}).MustBuild()); err != nil {
		t.Fatalf("server stopped answering: %v", err)
	}
}
