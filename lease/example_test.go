package lease_test

import (
	"context"
	"errors"
	"fmt"
	"log"
	"net/netip"
	"time"

	"github.com/leased/leased/lease"
	"github.com/leased/leased/lease/memfile"
)

// The package documentation's quick start: a lease written to a Store (an
// in-memory memfile here), the same address refused to a second client,
// and the lease read back by address.
func Example() {
	var s lease.Store
	s, err := memfile.Open(memfile.Options{Persist: false}) // memory only: no files
	if err != nil {
		log.Fatal(err)
	}
	defer s.Close()
	ctx := context.Background()

	l := lease.Lease{Addr: netip.MustParseAddr("192.0.2.10"), HWType: lease.HTypeEthernet,
		HWAddr: []byte{2, 0, 0, 0, 0, 1}, ValidLifetime: 3600, CLTT: time.Now().Unix(), SubnetID: 1}
	if err := s.Add(ctx, &l, lease.Durable); err != nil { // durable: safe to ACK
		log.Fatal(err)
	}
	other := l.Clone()
	other.HWAddr = []byte{2, 0, 0, 0, 0, 2}
	err = s.Add(ctx, &other, lease.Async)
	fmt.Println("second client:", errors.Is(err, lease.ErrExists))

	var got lease.Lease
	found, err := s.Get(ctx, l.Addr, &got)
	fmt.Println(found, err, got.Addr, got.SubnetID, got.Expired(time.Now().Unix()))
	// Output:
	// second client: true
	// true <nil> 192.0.2.10 1 false
}
