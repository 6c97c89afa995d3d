package engine_test

import (
	"context"
	"fmt"
	"log"
	"net"
	"net/netip"

	"github.com/leased/leased/config"
	"github.com/leased/leased/dhcpserver"
	"github.com/leased/leased/dhcpserver/dhcptest"
	"github.com/leased/leased/engine"
	"github.com/leased/leased/lease"
	"github.com/leased/leased/lease/memfile"
)

// The package documentation's quick start: an Engine built from a Kea
// configuration and an in-memory lease store, served on a free port of
// 127.0.0.1, and a dhcptest client that goes through DORA with it.
func Example() {
	cfg, _, err := config.Parse("kea-dhcp4.conf", []byte(`{"Dhcp4": {"valid-lifetime": 3600,
	  "subnet4": [{"id": 1, "subnet": "127.0.0.0/24",
	    "pools": [{"pool": "127.0.0.100 - 127.0.0.199"}]}]}}`), nil) // the client's source, 127.0.0.1, selects it
	if err != nil {
		log.Fatal(err)
	}
	store, err := memfile.Open(memfile.Options{}) // memory only; set Path and Persist for a journal
	if err != nil {
		log.Fatal(err)
	}
	defer store.Close()
	eng, err := engine.New(context.Background(), cfg, store, nil)
	if err != nil {
		log.Fatal(err)
	}

	c, err := dhcptest.NewClient(netip.AddrPort{})
	if err != nil {
		log.Fatal(err)
	}
	defer c.Close()
	srv := &dhcpserver.Server{Handler: eng, Addr: "127.0.0.1:0", ClientPort: c.LocalAddr().Port(),
		BroadcastAddr: netip.MustParseAddr("127.0.0.1"), NoRawSockets: true} // loopback, no root
	if err := srv.Listen(); err != nil {
		log.Fatal(err)
	}
	go srv.Serve()
	defer srv.Shutdown(context.Background())
	c.SetServer(srv.LocalAddr())

	addr, err := c.DORA(1, net.HardwareAddr{2, 0, 0, 0, 0, 1})
	fmt.Println("leased", addr, err)
	var l lease.Lease
	found, err := store.Get(context.Background(), addr, &l) // written before the ACK left
	fmt.Println("stored", found, err, l.HWAddr, l.SubnetID, l.ValidLifetime)
	// Output:
	// leased 127.0.0.100 <nil>
	// stored true <nil> [2 0 0 0 0 1] 1 3600
}
