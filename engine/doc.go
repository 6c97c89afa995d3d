// Package engine is leased's DHCPv4 engine: what kea-dhcp4 is between its
// sockets and its lease database. It answers clients the way kea-dhcp4
// does, from a configuration loaded by package config, with leases kept in
// a [lease.Store]. Package dhcpserver gives it its messages and sends its
// replies; package daemon makes a process of the two.
//
// # Quick start
//
// An Engine built from a Kea configuration and an in-memory lease store,
// served by a dhcpserver.Server on a free port of 127.0.0.1 (no root
// needed), and a dhcptest client that goes through DISCOVER, OFFER,
// REQUEST and ACK with it:
//
//	cfg, _, err := config.Parse("kea-dhcp4.conf", []byte(`{"Dhcp4": {"valid-lifetime": 3600,
//	  "subnet4": [{"id": 1, "subnet": "127.0.0.0/24",
//	    "pools": [{"pool": "127.0.0.100 - 127.0.0.199"}]}]}}`), nil) // the client's source, 127.0.0.1, selects it
//	if err != nil {
//		log.Fatal(err)
//	}
//	store, err := memfile.Open(memfile.Options{}) // memory only; set Path and Persist for a journal
//	if err != nil {
//		log.Fatal(err)
//	}
//	defer store.Close()
//	eng, err := engine.New(context.Background(), cfg, store, nil)
//	if err != nil {
//		log.Fatal(err)
//	}
//
//	c, err := dhcptest.NewClient(netip.AddrPort{})
//	if err != nil {
//		log.Fatal(err)
//	}
//	defer c.Close()
//	srv := &dhcpserver.Server{Handler: eng, Addr: "127.0.0.1:0", ClientPort: c.LocalAddr().Port(),
//		BroadcastAddr: netip.MustParseAddr("127.0.0.1"), NoRawSockets: true} // loopback, no root
//	if err := srv.Listen(); err != nil {
//		log.Fatal(err)
//	}
//	go srv.Serve()
//	defer srv.Shutdown(context.Background())
//	c.SetServer(srv.LocalAddr())
//
//	addr, err := c.DORA(1, net.HardwareAddr{2, 0, 0, 0, 0, 1})
//	fmt.Println("leased", addr, err)
//	var l lease.Lease
//	found, err := store.Get(context.Background(), addr, &l) // written before the ACK left
//	fmt.Println("stored", found, err, l.HWAddr, l.SubnetID, l.ValidLifetime)
//
// prints
//
//	leased 127.0.0.100 <nil>
//	stored true <nil> [2 0 0 0 0 1] 1 3600
//
// # The engine
//
// An [Engine] is a [dhcpserver.Handler]. For each message it classifies the
// client (package classify), selects the subnet as Kea does (option 118,
// relay link selection, relay addresses, giaddr, ciaddr, the receiving
// interface, shared networks and class guards), looks up host
// reservations, then runs the lease lifecycle of RFC 2131 §4.3: OFFER on
// DISCOVER, ACK or NAK (or silence) on REQUEST in the SELECTING,
// INIT-REBOOT, RENEWING and REBINDING states, RELEASE, DECLINE and INFORM.
// A DHCPACK leaves only after its lease is durable in the store; OFFERs are
// not written unless offer-lifetime asks for it. Served by a
// [dhcpserver.Server], the handler never waits for the disk: it writes the
// lease at once (visible to other messages), defers the ACK
// ([dhcpserver.Deferrer]) and returns; a committer flushes the store once
// for every ACK deferred meanwhile and then sends them all (group commit,
// at most one flush per [Options].CommitInterval), or drops them if the
// flush fails.
//
// A client's name is decided as Kea decides it (package ddns): the OFFER
// and ACK answer its option 81, else its option 12 or its reservation's
// hostname, with the name qualified, sanitized or generated per the DDNS
// parameters of its subnet (or of its pool, which Kea 3.x lets set them),
// and the lease records that name and, with dhcp-ddns enable-updates, the
// DNS updates the server does for it (fqdn-fwd, fqdn-rev, told in option
// 81's flags). The lease changes that may owe updates go to
// [Options].NameChanges. A message with an option 81 that Kea cannot
// parse is dropped, as Kea drops it.
//
// Free addresses come from package alloc, one pool allocator per
// configured pool. The allocators are a fast hint, rebuilt from the store at
// start and on reload; the store is the truth, so an address is always
// checked against it before it is offered, and acknowledged only once a
// guarded write has taken it (an insert that fails on a taken address, an
// update that fails on a row changed since it was read), so that two
// writers that race for one address cannot both win. A store that other
// servers write too (lease.Shared, such as lease/pgsql) makes the engine
// count a lost race as the other server's win (the next candidate, or the
// row read again and decided again), start its searches where the others
// do not, and refill a pool it thinks full from the store.
//
// With store-extended-info, a lease's user context keeps the relay agent
// information (option 82) of the client's last request, in current Kea's
// form ("ISC" / "relay-agent-info" / "sub-options", "remote-id",
// "relay-id"); leases written by Kea 2.2 in its older form are converted
// when the server starts, as sanity-checks.extended-info-checks asks.
//
// # Hooks
//
// Four fields of [Options] let the daemon take part in a message's
// handling, as Kea's hook points let its libraries; each costs the
// engine a nil check when unset, and a server with none of them copies
// no lease.
//
//   - Classes, on the message's goroutine before classification (Kea's
//     buffer4_receive): adds classes that class tests and guards see
//     (high availability's HA_<server>).
//   - SubnetSelected, on the message's goroutine once its subnet is
//     chosen and before its reservation is looked up (Kea's
//     subnet4_select): adds classes, or turns the message down
//     (DropNotForUs).
//   - Replicator, given the lease changes of clients' REQUESTs,
//     RELEASEs and DECLINEs once they are durable, whose replies wait
//     for its verdict (Kea's leases4_committed and parking): from the
//     committer's goroutine, a group commit at a time, or from the
//     goroutine of a message whose reply cannot be deferred, which
//     waits; so Replicate may run on several goroutines at once, and
//     must not block.
//   - NameChanges, told of the same changes (before the replies leave)
//     and of each reclamation batch's, for DNS updates: from the
//     committer, the reclaimer and such a message's goroutine, possibly
//     at once; it must not block for long.
//
// Neither the request, its packet nor the ClassAdder given to Classes and
// SubnetSelected may be kept after the call returns. The leases of a
// [Change] are copies the receiver may keep but not change (the
// Replicator and NameChanges are given the same ones); the slices that
// carry them are the engine's and reused.
//
// [NewStack] assembles an Engine the way leased serves it: behind optional
// middleware, on inline dhcpserver sockets ([Stack.Listen]), with
// expired leases reclaimed in the background. The daemon, the demo and
// the client's tests with an in-process leased all use it.
//
// [Engine.Run] reclaims expired leases in the background as
// expired-leases-processing configures (warning, per
// unwarned-reclaim-cycles, when it keeps falling behind), and
// [Engine.Reload] swaps in a new configuration atomically: messages in
// flight finish under the configuration they started with.
package engine
