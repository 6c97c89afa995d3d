// Package client6 is a DHCPv6 client (RFC 8415) for one interface: it
// obtains addresses (IA_NA) and delegated prefixes (IA_PD), keeps them
// renewed, and confirms them after a restart.
//
// # Quick start
//
// An address and a /56 for eth0, the address put on the interface, kept
// until the program ends; it needs a DHCPv6 server on the link and root
// (CAP_NET_ADMIN, CAP_NET_BIND_SERVICE for port 546):
//
//	c, err := client6.New(client6.Config{
//		Interface: "eth0",
//		DUIDFile:  "/var/lib/myprog/duid", // the same DUID after a restart
//		IANA:      []client6.IAConfig{{IAID: 1}},
//		IAPD:      []client6.IAConfig{{IAID: 2, Hints: []netip.Prefix{netip.MustParsePrefix("::/56")}}},
//		Action:    &client6.NetlinkAction{}, // addresses on eth0; prefixes are the program's
//	})
//	if err != nil {
//		log.Fatal(err)
//	}
//	ctx, cancel := context.WithCancel(context.Background())
//	defer cancel()
//	done := make(chan error, 1)
//	go func() { done <- c.Run(ctx) }() // Solicit, Advertise, Request, Reply; then T1, T2
//
//	wait, stop := context.WithTimeout(ctx, time.Minute)
//	defer stop()
//	st, err := c.WaitFor(wait, func(s client6.Status) bool { return s.State == client6.StateBound })
//	if err != nil {
//		log.Fatal(err) // no server answered in a minute; Run goes on trying
//	}
//	fmt.Println("addresses", st.Binding.Addrs(), "prefixes", st.Binding.DelegatedPrefixes())
//
//	if err := c.Release(ctx); err != nil { // give everything back
//		log.Print(err)
//	}
//	cancel()
//	<-done
//
// # The client
//
// A [Client] runs RFC 8415's exchanges: Solicit and Advertise (collecting
// Advertises for the first retransmission timeout and taking the one with
// the highest preference, or one with preference 255 at once), Request
// and Reply, or Solicit and Reply with Rapid Commit; Renew at T1 to the
// server (at its unicast address when it gave one with Server Unicast, by
// multicast after UseMulticast), Rebind at T2 to any server; Release;
// Decline of addresses whose duplicate address detection failed, when
// the Action can tell ([DADChecker]; [NetlinkAction] reads the kernel's
// flags); Information-request for a stateless client, refreshed at the
// information refresh time. Every exchange retransmits as §15 says, with
// the initial and maximum timeouts, counts and durations of §7.6, and
// SOL_MAX_RT and INF_MAX_RT from servers. It asks for any number of
// IA_NAs and IA_PDs, with hints, and merges what each Reply says about
// each IA: leases with a valid lifetime of 0 go, others are added or
// extended, and an IA the server does not know (NoBinding) is requested
// again with a Request for all IAs. Leases expire one by one at their
// valid lifetime; with none left the client solicits again.
//
// Its DUID (DUID-LLT by default, or DUID-LL, DUID-EN, DUID-UUID) is made
// once and kept in Config.DUIDFile. A client given a stored binding
// (Config.Resume) drops the expired leases first, then, as §18.2.12 asks
// of a client that may be on another link: with a delegated prefix it
// sends a Rebind for all IAs (with Confirm's timing), with addresses only
// a Confirm. It keeps the leases if nobody answers, discards them when a
// server says NotOnLink and none says Success within the retransmission
// timeout, and never solicits while one is valid. Duplicate address
// detection runs beside the client, which goes on meanwhile. With
// ReconfigureAccept it obeys a server's Reconfigure that carries a valid
// HMAC under the key the server gave (RFC 8415 §20.4).
//
// Everything outside the protocol is pluggable: a [Transport] carries the
// messages ([UDPTransport]: port 546 on the interface, to ff02::1:2), an
// [Action] applies bindings to the system ([NetlinkAction] puts the
// addresses on the interface; delegated prefixes are reported in every
// [Event] for the program to use), a [Store] persists them. A Client
// reads package time only, so tests run it on testing/synctest's fake
// clock.
package client6
