// Package lease defines a DHCPv4 lease and the Store every lease backend
// implements.
//
// # Quick start
//
// A lease written to a Store (here memfile's, in memory only), the same
// address refused to a second client, and the lease read back by address:
//
//	var s lease.Store
//	s, err := memfile.Open(memfile.Options{Persist: false}) // memory only: no files
//	if err != nil {
//		log.Fatal(err)
//	}
//	defer s.Close()
//	ctx := context.Background()
//
//	l := lease.Lease{Addr: netip.MustParseAddr("192.0.2.10"), HWType: lease.HTypeEthernet,
//		HWAddr: []byte{2, 0, 0, 0, 0, 1}, ValidLifetime: 3600, CLTT: time.Now().Unix(), SubnetID: 1}
//	if err := s.Add(ctx, &l, lease.Durable); err != nil { // durable: safe to ACK
//		log.Fatal(err)
//	}
//	other := l.Clone()
//	other.HWAddr = []byte{2, 0, 0, 0, 0, 2}
//	err = s.Add(ctx, &other, lease.Async)
//	fmt.Println("second client:", errors.Is(err, lease.ErrExists))
//
//	var got lease.Lease
//	found, err := s.Get(ctx, l.Addr, &got)
//	fmt.Println(found, err, got.Addr, got.SubnetID, got.Expired(time.Now().Unix()))
//
// prints
//
//	second client: true
//	true <nil> 192.0.2.10 1 false
//
// # Leases and stores
//
// A [Lease] carries the fields of Kea's lease4: the address, the client's
// hardware address (with its type) and client identifier, the valid
// lifetime and the client's last transmission time (CLTT; the lease expires
// at CLTT + valid lifetime), the subnet and pool it came from, the DDNS
// flags and hostname, its [State] numbered as Kea numbers it, and the user
// context as JSON text.
//
// A [Store] keeps leases by address, the primary key: an address is held by
// at most one lease. It finds leases by address, by hardware address or
// client identifier within a subnet or across all subnets, and by hostname;
// pages through them in address order; hands out expired leases in batches
// for reclamation; and counts them per subnet and pool.
//
// Writes state their [Durability]. A [Durable] write returns only when the
// change is on stable storage, so a server may acknowledge it (send the
// DHCPACK) as soon as the call returns. An [Async] write returns once the
// change is visible to readers; it reaches stable storage with the next
// durable write or [Store.Sync], which suits offers and other state whose
// loss in a crash costs nothing but a retransmission.
//
// Every Store is safe for concurrent use by many goroutines. The embedded
// default is [github.com/leased/leased/lease/memfile]; Kea's memfile CSV is
// read and written by [github.com/leased/leased/lease/keacsv].
package lease
