package dhcpserver_test

import (
	"context"
	"errors"
	"fmt"
	"log"
	"net"
	"net/netip"
	"os"
	"sync"

	"github.com/leased/leased/dhcpserver"
	"github.com/leased/leased/dhcpserver/dhcptest"
	"github.com/leased/leased/dhcpv4"
)

// pool hands out addresses from next on, one per client, and remembers
// what it offered and leased.
type pool struct {
	mu     sync.Mutex
	next   netip.Addr
	leases map[string]netip.Addr // by hardware address
}

// offer answers a DISCOVER with the client's address, a new one for a new
// client.
func (p *pool) offer(w dhcpserver.ResponseWriter, r *dhcpserver.Request) {
	p.mu.Lock()
	defer p.mu.Unlock()
	hw := string(r.Packet.CHAddr())
	a, ok := p.leases[hw]
	if !ok {
		a, p.next = p.next, p.next.Next()
		p.leases[hw] = a
	}
	b := w.Reply(dhcpv4.Offer)
	b.SetYIAddr(a)
	b.AddUint32(dhcpv4.OptionLeaseTime, 3600)
	b.AddIP(dhcpv4.OptionSubnetMask, netip.MustParseAddr("255.255.255.0"))
}

// ack answers a REQUEST: an ACK when it asks for the client's address
// (requested in option 50, or in ciaddr when renewing), a NAK when it asks
// for another, and nothing when the client chose another server.
func (p *pool) ack(w dhcpserver.ResponseWriter, r *dhcpserver.Request) {
	if sid, ok := r.Packet.ServerID(); ok && sid != r.Local {
		return // the client took another server's offer
	}
	want, ok := r.Packet.RequestedIP()
	if !ok {
		want = r.Packet.CIAddr()
	}
	p.mu.Lock()
	a, known := p.leases[string(r.Packet.CHAddr())]
	p.mu.Unlock()
	if !known || want != a {
		w.Reply(dhcpv4.Nak)
		return
	}
	b := w.Reply(dhcpv4.Ack)
	b.SetYIAddr(a)
	b.AddUint32(dhcpv4.OptionLeaseTime, 3600)
	b.AddIP(dhcpv4.OptionSubnetMask, netip.MustParseAddr("255.255.255.0"))
}

// newServer returns the package example's server: the pool of
// 192.0.2.100 on, on port 67 of every interface.
func newServer() *dhcpserver.Server {
	p := &pool{next: netip.MustParseAddr("192.0.2.100"), leases: map[string]netip.Addr{}}
	return &dhcpserver.Server{Handler: dhcpserver.Mux{
		Discover: dhcpserver.HandlerFunc(p.offer),
		Request:  dhcpserver.HandlerFunc(p.ack),
	}}
}

// A server that hands out a pool of addresses. It checks that a REQUEST
// asks for the address offered or leased to that client, and refuses
// the others. Here it serves on loopback, for a client that shows the
// replies; on a network, leave Addr and the ports at their defaults and
// call ListenAndServe.
func Example() {
	srv := newServer()
	srv.Addr = "127.0.0.1:0"
	srv.BroadcastAddr = netip.MustParseAddr("127.0.0.1")
	srv.NoRawSockets = true
	c, err := dhcptest.NewClient(netip.AddrPort{})
	if err != nil {
		log.Fatal(err)
	}
	defer c.Close()
	srv.ClientPort = c.LocalAddr().Port()
	if err := srv.Listen(); err != nil {
		log.Fatal(err)
	}
	go srv.Serve()
	defer srv.Shutdown(context.Background())
	c.SetServer(srv.LocalAddr())

	hw := net.HardwareAddr{0x02, 0, 0, 0, 0, 1}
	addr, err := c.DORA(1, hw)
	fmt.Println("leased", addr, err)
	wrong := dhcptest.Message{Type: dhcpv4.Request, XID: 2, CHAddr: hw, RequestedIP: netip.MustParseAddr("192.0.2.200")}
	reply, err := c.Exchange(wrong.MustBuild())
	if err != nil {
		log.Fatal(err)
	}
	sid, _ := reply.ServerID()
	fmt.Println("asked for 192.0.2.200:", reply.MessageType(), "from", sid)
	// Output:
	// leased 192.0.2.100 <nil>
	// asked for 192.0.2.200: DHCPNAK from 127.0.0.1
}

var staticAddr = netip.MustParseAddr("192.0.2.10")

// static gives staticAddr to whoever asks, and refuses requests for any
// other address: the package documentation's quick start.
func static(w dhcpserver.ResponseWriter, r *dhcpserver.Request) {
	switch r.Packet.MessageType() {
	case dhcpv4.Discover:
		b := w.Reply(dhcpv4.Offer) // option 54 is r.Local already
		b.SetYIAddr(staticAddr)
		b.AddUint32(dhcpv4.OptionLeaseTime, 3600)
	case dhcpv4.Request:
		if sid, ok := r.Packet.ServerID(); ok && sid != r.Local {
			return // the client took another server's offer
		}
		if ip, _ := r.Packet.RequestedIP(); ip != staticAddr && r.Packet.CIAddr() != staticAddr {
			w.Reply(dhcpv4.Nak)
			return
		}
		b := w.Reply(dhcpv4.Ack)
		b.SetYIAddr(staticAddr)
		b.AddUint32(dhcpv4.OptionLeaseTime, 3600)
	}
}

// The quick start's server: port 67 on every interface, which needs root
// or CAP_NET_BIND_SERVICE (and CAP_NET_RAW to unicast replies to clients
// that have no address yet).
func ExampleServer() {
	srv := &dhcpserver.Server{Handler: dhcpserver.HandlerFunc(static)}
	log.Fatal(srv.ListenAndServe())
}

// A handler tested without sockets: dhcptest's recorder plays the server's
// ResponseWriter and shows the reply and where the server would send it.
func ExampleHandlerFunc() {
	h := dhcpserver.HandlerFunc(static)
	discover := dhcptest.Message{Type: dhcpv4.Discover, XID: 1, CHAddr: net.HardwareAddr{2, 0, 0, 0, 0, 1}}
	req, err := dhcptest.NewRequest(discover.MustBuild())
	if err != nil {
		log.Fatal(err)
	}
	rec := dhcptest.NewRecorder(req)
	h.ServeDHCP(rec, req)
	res, err := rec.Result()
	if err != nil {
		log.Fatal(err)
	}
	sid, _ := res.Packet.ServerID()
	fmt.Println(res.Packet.MessageType(), res.Packet.YIAddr(), "server id", sid, "route", res.Route)
	// Output: DHCPOFFER 192.0.2.10 server id 192.0.2.1 route hardware
}

// rogueWatch is a Handler that is a struct: it counts other servers'
// replies, which a Mux hands to Other.
type rogueWatch struct {
	mu   sync.Mutex
	seen map[netip.Addr]int
}

func (m *rogueWatch) ServeDHCP(_ dhcpserver.ResponseWriter, r *dhcpserver.Request) {
	if r.Packet.Op() != dhcpv4.BootReply {
		return
	}
	if sid, ok := r.Packet.ServerID(); ok {
		m.mu.Lock()
		m.seen[sid]++
		m.mu.Unlock()
	}
}

// A Mux calls one Handler per message type: functions converted with
// HandlerFunc, or any other Handler. Other receives what no field
// handles, such as another server's OFFER, forged here by dhcptest.Rival
// (a server on port 67 sees one only when it is misdirected: see
// "Watching other servers" above).
func ExampleMux() {
	watch := &rogueWatch{seen: map[netip.Addr]int{}}
	mux := dhcpserver.Mux{
		Discover: dhcpserver.HandlerFunc(static),
		Request:  dhcpserver.HandlerFunc(static),
		Other:    watch,
	}
	rogue := netip.MustParseAddr("198.51.100.7")
	offer := dhcptest.Rival(dhcpv4.Offer, 1, net.HardwareAddr{2, 0, 0, 0, 0, 1}, rogue, netip.MustParseAddr("198.51.100.50"))
	req, err := dhcptest.NewRequest(offer.MustBuild())
	if err != nil {
		log.Fatal(err)
	}
	mux.ServeDHCP(dhcptest.NewRecorder(req), req)
	fmt.Println("replies seen from", rogue, ":", watch.seen[rogue])
	// Output: replies seen from 198.51.100.7 : 1
}

// A handler that must wait (for a disk, a peer) after building its reply
// defers it and sends it from another goroutine. Defer finds the server's
// Deferrer through middleware that implements Unwrap.
func ExampleDefer() {
	h := dhcpserver.HandlerFunc(func(w dhcpserver.ResponseWriter, r *dhcpserver.Request) {
		d, ok := dhcpserver.Defer(w)
		static(w, r)
		if !ok {
			return // the server took no more deferred replies: answered as usual
		}
		go func() {
			// ... wait until the lease is on disk, then:
			if err := d.Send(); err != nil {
				log.Print(err)
			}
		}()
	})
	req, err := dhcptest.NewRequest((&dhcptest.Message{Type: dhcpv4.Discover, XID: 1, CHAddr: net.HardwareAddr{2, 0, 0, 0, 0, 1}}).MustBuild())
	if err != nil {
		log.Fatal(err)
	}
	rec := dhcptest.NewRecorder(req)
	h.ServeDHCP(rec, req)
	res, err := rec.Result() // waits for Send
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println("deferred:", rec.Deferred(), "sent:", res.Packet.MessageType())
	// Output: deferred: true sent: DHCPOFFER
}

// Serving the socket systemd opened for a socket-activated service (a
// .socket unit with ListenDatagram=0.0.0.0:67 and PassPacketInfo=yes).
func ExampleServer_ServeConn() {
	conn, err := net.FilePacketConn(os.NewFile(3, "dhcp")) // SD_LISTEN_FDS_START
	if err != nil {
		log.Fatal(err)
	}
	srv := &dhcpserver.Server{Handler: dhcpserver.HandlerFunc(static)}
	log.Fatal(srv.ServeConn(conn))
}

// A handler that finds it cannot go on stops its server with the reason,
// which ListenAndServe returns.
func ExampleServer_Stop() {
	srv := &dhcpserver.Server{}
	srv.Handler = dhcpserver.HandlerFunc(func(w dhcpserver.ResponseWriter, r *dhcpserver.Request) {
		if _, err := os.Stat("/var/lib/mydhcp/leases"); err != nil {
			srv.Stop(fmt.Errorf("lease database: %w", err))
			return
		}
		static(w, r)
	})
	if err := srv.ListenAndServe(); !errors.Is(err, dhcpserver.ErrServerClosed) {
		log.Fatal(err)
	}
}

// Options read as Go values: the standard codecs and an application's
// definition of its own option, in Kea's terms.
func ExampleOptionCodecs() {
	codecs := dhcpserver.StandardCodecs()
	site, err := dhcpserver.DefCodec(optdefSiteGateway)
	if err != nil {
		log.Fatal(err)
	}
	if err := codecs.Register(224, site); err != nil {
		log.Fatal(err)
	}
	msg := dhcptest.Message{Type: dhcpv4.Discover, XID: 1, CHAddr: net.HardwareAddr{2, 0, 0, 0, 0, 1},
		RequestedIP: netip.MustParseAddr("192.0.2.10"),
		Options:     []dhcptest.Option{{Code: 224, Value: []byte{3, 192, 0, 2, 254}}}}
	req, err := dhcptest.NewRequest(msg.MustBuild())
	if err != nil {
		log.Fatal(err)
	}
	req.Codecs = codecs // the server sets it from Server.Codecs
	for _, code := range []dhcpv4.OptionCode{dhcpv4.OptionRequestedIP, 224} {
		v, _, err := req.Value(code)
		fmt.Printf("%d: %v (%T) %v\n", code, v, v, err)
	}
	// Output:
	// 50: 192.0.2.10 (netip.Addr) <nil>
	// 224: [3 192.0.2.254] ([]interface {}) <nil>
}
