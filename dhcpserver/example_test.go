package dhcpserver_test

import (
	"log"
	"net/netip"
	"sync"

	"github.com/leased/leased/dhcpserver"
	"github.com/leased/leased/dhcpv4"
)

type pool struct {
	mu     sync.Mutex
	next   netip.Addr
	leases map[string]netip.Addr
}

func (p *pool) reply(mt dhcpv4.MessageType) dhcpserver.HandlerFunc {
	return func(w dhcpserver.ResponseWriter, r *dhcpserver.Request) {
		p.mu.Lock()
		defer p.mu.Unlock()
		a, ok := p.leases[string(r.Packet.CHAddr())]
		if !ok {
			a, p.next, p.leases[string(r.Packet.CHAddr())] = p.next, p.next.Next(), p.next
		}
		b := w.Reply(mt)
		b.SetYIAddr(a)
		b.AddIP(dhcpv4.OptionServerID, r.Local)
		b.AddUint32(dhcpv4.OptionLeaseTime, 3600)
		b.AddIP(dhcpv4.OptionSubnetMask, netip.AddrFrom4([4]byte{255, 255, 255, 0}))
	}
}

func newServer() *dhcpserver.Server {
	p := &pool{next: netip.MustParseAddr("192.0.2.100"), leases: map[string]netip.Addr{}}
	return &dhcpserver.Server{Handler: dhcpserver.Mux{Discover: p.reply(dhcpv4.Offer), Request: p.reply(dhcpv4.Ack)}}
}

func Example() { log.Fatal(newServer().ListenAndServe()) }
