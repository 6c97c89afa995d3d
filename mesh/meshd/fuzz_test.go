package meshd

import (
	"testing"
	"time"

	"github.com/leased/leased/dhcpserver/dhcptest"
	"github.com/leased/leased/dhcpv4"
	"github.com/leased/leased/mesh"
)

// FuzzInputs feeds arbitrary DHCP messages and mesh datagrams to a node
// that owns blocks: nothing may panic, and every reply must decode.
func FuzzInputs(f *testing.F) {
	f.Add(uint8(0), (&dhcptest.Message{Type: dhcpv4.Discover, XID: 1, CHAddr: hwA}).MustBuild())
	f.Add(uint8(0), (&dhcptest.Message{Type: dhcpv4.Request, XID: 2, CHAddr: hwA, CIAddr: mustAddr("10.0.0.9")}).MustBuild())
	f.Add(uint8(0), (&dhcptest.Message{Type: dhcpv4.Release, XID: 3, CHAddr: hwA, CIAddr: mustAddr("10.0.0.9")}).MustBuild())
	renew := make([]byte, mesh.RenewLen)
	mesh.EncodeRenew(renew, mesh.Header{NodeID: nodeID(9), Prefix: [4]byte{10}, PrefixLen: 24, BlockSize: 4}, mesh.RenewLease,
		&mesh.Renew{Addr: [4]byte{9, 0, 0, 10}, XID: 7})
	f.Add(uint8(1), renew)
	claim := make([]byte, 23)
	mesh.EncodeUpdateClaim(claim, mesh.Header{NodeID: nodeID(9), Prefix: [4]byte{10}, PrefixLen: 24, BlockSize: 4},
		[]mesh.Claim{{Block: 1, Timeout: 20}})
	f.Add(uint8(2), claim)
	b := twoNodes(f)
	c := b.cores[0]
	f.Fuzz(func(t *testing.T, which uint8, data []byte) {
		switch which % 3 {
		case 0:
			req, err := dhcptest.NewRequest(data)
			if err != nil {
				return
			}
			rec := dhcptest.NewRecorder(req)
			c.handler().ServeDHCP(rec, req)
			done := make(chan struct{})
			go func() {
				defer close(done)
				if _, err := rec.Result(); err != nil {
					t.Errorf("reply does not decode: %v", err)
				}
			}()
			b.pump()
			select {
			case <-done:
			case <-time.After(10 * time.Millisecond):
				b.advance(3 * time.Second) // a forwarded renewal times out
				<-done
			}
		case 1:
			c.handleUnicast(b.addrs[1], data)
		case 2:
			c.handleMulticast(b.addrs[1], data)
		}
		b.pump()
	})
}
