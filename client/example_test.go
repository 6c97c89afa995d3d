package client_test

import (
	"context"
	"fmt"
	"log"
	"time"

	"github.com/leased/leased/client"
)

// The package documentation's quick start: a lease for eth0, applied to
// the interface, kept (renewed, rebound) until the program ends. It needs
// a network with a DHCP server, and root (CAP_NET_RAW and CAP_NET_ADMIN),
// so it is compiled but not run by go test.
func Example() {
	c, err := client.New(client.Config{
		Interface: "eth0",
		HostName:  "myhost",
		Action:    &client.NetlinkAction{}, // sets the address and routes on eth0
	})
	if err != nil {
		log.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	done := make(chan error, 1)
	go func() { done <- c.Run(ctx) }() // DISCOVER, OFFER, REQUEST, ACK; then T1, T2

	wait, stop := context.WithTimeout(ctx, time.Minute)
	defer stop()
	st, err := c.WaitFor(wait, func(s client.Status) bool { return s.State == client.StateBound })
	if err != nil {
		log.Fatal(err) // no server answered in a minute; Run goes on trying
	}
	fmt.Println("bound", st.Lease.Address, "routers", st.Lease.Routers, "for", st.Lease.LeaseTime)

	if err := c.Release(ctx); err != nil { // give the address back
		log.Print(err)
	}
	cancel()
	<-done
}
