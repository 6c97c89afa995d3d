package meshd

import (
	"testing"

	"github.com/leased/leased/dhcpserver/dhcptest"
	"github.com/leased/leased/dhcpv4"
)

// BenchmarkRenewal measures the work of one DHCPREQUEST renewing a lease,
// answered by the block's owner (direct) or by another node that forwards
// it to the owner and answers after its LEASEACK (forwarded): DHCP
// decoding, the nodes' decisions, RENEWLEASE and LEASEACK encoded and
// parsed, the reply built. The datagrams go through an in-memory bus, so
// this is the nodes' share of the latency, without sockets or disk (the
// test recorder's own work included).
func BenchmarkRenewal(b *testing.B) {
	bus := twoNodes(b)
	owner, other := bus.cores[0], bus.cores[1]
	a := dora(b, owner.handler(), hwA, 1)
	msg := dhcptest.Message{Type: dhcpv4.Request, XID: 7, CHAddr: hwA, CIAddr: a, Options: []dhcptest.Option{prl}}
	for _, bc := range []struct {
		name string
		c    *core
	}{{"direct", owner}, {"forwarded", other}} {
		b.Run(bc.name, func(b *testing.B) {
			h := bc.c.handler()
			for b.Loop() {
				req, err := dhcptest.NewRequest(msg.MustBuild())
				if err != nil {
					b.Fatal(err)
				}
				rec := dhcptest.NewRecorder(req)
				h.ServeDHCP(rec, req)
				bus.pump()
				r, err := rec.Result()
				if err != nil || r == nil || r.Packet.MessageType() != dhcpv4.Ack {
					b.Fatalf("reply %v, %v", r, err)
				}
			}
		})
	}
}
