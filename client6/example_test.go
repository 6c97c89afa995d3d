package client6_test

import (
	"context"
	"fmt"
	"log"
	"net/netip"
	"time"

	"github.com/leased/leased/client6"
)

// An address and a /56 on eth0, as in the package documentation. It is
// compiled, not run: it needs a DHCPv6 server on the link and root.
func Example() {
	c, err := client6.New(client6.Config{
		Interface: "eth0",
		DUIDFile:  "/var/lib/myprog/duid", // the same DUID after a restart
		IANA:      []client6.IAConfig{{IAID: 1}},
		IAPD:      []client6.IAConfig{{IAID: 2, Hints: []netip.Prefix{netip.MustParsePrefix("::/56")}}},
		Action:    &client6.NetlinkAction{}, // addresses on eth0; prefixes are the program's
	})
	if err != nil {
		log.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	done := make(chan error, 1)
	go func() { done <- c.Run(ctx) }() // Solicit, Advertise, Request, Reply; then T1, T2

	wait, stop := context.WithTimeout(ctx, time.Minute)
	defer stop()
	st, err := c.WaitFor(wait, func(s client6.Status) bool { return s.State == client6.StateBound })
	if err != nil {
		log.Fatal(err) // no server answered in a minute; Run goes on trying
	}
	fmt.Println("addresses", st.Binding.Addrs(), "prefixes", st.Binding.DelegatedPrefixes())

	if err := c.Release(ctx); err != nil { // give everything back
		log.Print(err)
	}
	cancel()
	<-done
}
