package memfile_test

import (
	"context"
	"fmt"
	"log"
	"net/netip"
	"os"
	"path/filepath"
	"time"

	"github.com/leased/leased/lease"
	"github.com/leased/leased/lease/memfile"
)

// The package documentation's quick start: a store in a directory of its
// own, a lease added durably, the store closed and opened again, and the
// lease found there.
func Example() {
	dir, err := os.MkdirTemp("", "leases")
	if err != nil {
		log.Fatal(err)
	}
	defer os.RemoveAll(dir)
	opts := memfile.Options{Path: filepath.Join(dir, "kea-leases4.csv"), Persist: true}
	ctx := context.Background()

	s, err := memfile.Open(opts)
	if err != nil {
		log.Fatal(err)
	}
	l := lease.Lease{Addr: netip.MustParseAddr("192.0.2.10"), HWType: lease.HTypeEthernet,
		HWAddr: []byte{2, 0, 0, 0, 0, 1}, ValidLifetime: 3600, CLTT: time.Now().Unix(), SubnetID: 1}
	if err := s.Add(ctx, &l, lease.Durable); err != nil { // on disk when Add returns
		log.Fatal(err)
	}
	if err := s.Close(); err != nil {
		log.Fatal(err)
	}

	s, err = memfile.Open(opts) // as after a restart, or a crash
	if err != nil {
		log.Fatal(err)
	}
	defer s.Close()
	var got lease.Lease
	found, err := s.GetByHWAddr(ctx, 1, []byte{2, 0, 0, 0, 0, 1}, &got)
	fmt.Println(found, err, got.Addr, got.ValidLifetime)
	// Output: true <nil> 192.0.2.10 3600
}
