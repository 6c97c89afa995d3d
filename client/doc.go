// Package client is a DHCPv4 client (RFC 2131) for one interface.
//
// # Quick start
//
// A lease for eth0, applied to the interface and kept (renewed, rebound)
// until the program ends; it needs a DHCP server on the link and root
// (CAP_NET_RAW, CAP_NET_ADMIN):
//
//	c, err := client.New(client.Config{
//		Interface: "eth0",
//		HostName:  "myhost",
//		Action:    &client.NetlinkAction{}, // sets the address and routes on eth0
//	})
//	if err != nil {
//		log.Fatal(err)
//	}
//	ctx, cancel := context.WithCancel(context.Background())
//	defer cancel()
//	done := make(chan error, 1)
//	go func() { done <- c.Run(ctx) }() // DISCOVER, OFFER, REQUEST, ACK; then T1, T2
//
//	wait, stop := context.WithTimeout(ctx, time.Minute)
//	defer stop()
//	st, err := c.WaitFor(wait, func(s client.Status) bool { return s.State == client.StateBound })
//	if err != nil {
//		log.Fatal(err) // no server answered in a minute; Run goes on trying
//	}
//	fmt.Println("bound", st.Lease.Address, "routers", st.Lease.Routers, "for", st.Lease.LeaseTime)
//
//	if err := c.Release(ctx); err != nil { // give the address back
//		log.Print(err)
//	}
//	cancel()
//	<-done
//
// # The client
//
// A [Client] runs the RFC 2131 state machine: INIT, SELECTING, REQUESTING,
// BOUND, RENEWING, REBINDING, INIT-REBOOT and REBOOTING, plus RELEASED, where
// a client that gave its lease back waits until asked to start again. It
// retransmits with the randomized exponential back-off of RFC 2131 §4.1
// (4, 8, 16, 32, 64 seconds, each ±1 s), renews at T1 and rebinds at T2 (the
// server's values, or 1/2 and 7/8 of the lease), and may probe an offered
// address with ARP before using it (RFC 5227), declining it and waiting the
// ten seconds RFC 2131 §3.1 asks for when another host answers. It sends the
// client identifier (61), a host name (12) or client FQDN (81), a parameter
// request list (55), a vendor class (60) and a requested lease time (51).
//
// A client given a lease it stored earlier resumes it: it starts in
// INIT-REBOOT and broadcasts a DHCPREQUEST for the stored address without a
// server identifier. An ACK binds it again; a NAK removes the address and
// starts over in INIT; if no server answers, it keeps the address with the
// stored timers, and so until the stored expiry at the latest (RFC 2131 §3.2).
// It never sends a DHCPDISCOVER while such a lease is valid.
//
// A client whose link goes down and comes back may have been moved to
// another network (RFC 2131 §3.7). When its Transport can report the link
// ([LinkWatcher]; [LinkTransport] follows the kernel's rtnetlink link
// notifications), a client that holds a lease, or is confirming one, goes
// to INIT-REBOOT as soon as the link is up again and confirms the lease the
// same way, keeping the address meanwhile: an ACK binds it with the new
// expiry, a NAK removes the address and starts over, and no answer leaves
// it the lease until its expiry. A link that only goes down changes
// nothing.
//
// Everything outside the protocol is pluggable:
//
//   - A [Transport] carries the messages. [LinkTransport] uses a raw
//     AF_PACKET socket, writing and parsing the Ethernet, IPv4 and UDP
//     headers itself, while the client has no usable address, and a UDP
//     socket on port 68 tied to the interface once the leased address is
//     configured.
//   - An [Action] applies a lease to the system: [NetlinkAction] sets the
//     address and routes with rtnetlink and can write a resolv.conf;
//     [ScriptAction] runs a program with the lease in its environment, the way
//     dhclient and udhcpc call their scripts; [Actions] runs several.
//   - A [Store] is told every lease the client binds and every lease it
//     drops, so that a supervisor can persist them.
//   - A [Prober] checks that an offered address is free; [ARPProber]
//     implements RFC 5227.
//   - A [Clock] and a random source make the state machine testable without
//     sockets or waiting.
//
// Clients are independent values: one process can run many of them, on one
// interface with different hardware addresses (a load generator) or on
// several interfaces.
package client
