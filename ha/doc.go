// Package ha is the core of high availability as Kea's libdhcp_ha.so does
// it: two servers (and any number of backups) share one set of leases,
// each telling the other of every lease it hands out, and take over the
// partner's clients when the partner fails. It is an engine: it knows
// nothing of sockets or of the DHCP path, which wire it in.
//
// # Quick start
//
// The hook parameters of a load-balancing pair read, and the server of the
// pair that answers one client decided as Kea decides it (so a client goes
// to the same server as with a Kea pair):
//
//	params := `{"high-availability": [{
//	  "this-server-name": "server1", "mode": "load-balancing",
//	  "peers": [
//	    {"name": "server1", "url": "http://192.0.2.1:8000/", "role": "primary"},
//	    {"name": "server2", "url": "http://192.0.2.2:8000/", "role": "secondary"}]}]}`
//	cfg, err := ha.Parse([]byte(params), ha.Options{Dialect: ha.Kea22})
//	if err != nil {
//		log.Fatal(err) // names the parameter at fault, e.g. high-availability[0].peers[1].url
//	}
//	rel := cfg.Relationships[0]
//	fmt.Println(rel.ThisServerName, rel.Mode, "partner", rel.Partner().Name)
//
//	var b dhcpv4.Builder
//	b.Begin(make([]byte, dhcpv4.MinMessageSize), dhcpv4.BootRequest, dhcpv4.Discover, 1)
//	b.SetCHAddr(1, []byte{2, 0, 0, 0, 0, 1})
//	msg, err := b.Finish()
//	if err != nil {
//		log.Fatal(err)
//	}
//	q, err := dhcpv4.Parse(msg)
//	if err != nil {
//		log.Fatal(err)
//	}
//	scope, _ := rel.Select(q) // the hash of the client identifier, else of chaddr
//	fmt.Println("hash", ha.LoadBalanceHash(ha.ClientKey(nil, q.CHAddr())), "served by", scope, "class", ha.ScopeClass(scope))
//
// prints
//
//	server1 load-balancing partner server2
//	hash 133 served by server2 class HA_server2
//
// # Parts
//
// It holds four parts, each usable and tested on its own:
//
//   - [Parse] reads the "parameters" of Kea's libdhcp_ha.so hook entry,
//     in Kea 2.2's form (one relationship) or 3.x's (several hot-standby
//     relationships, hub and spoke), with Kea's defaults and checks, into
//     a [Config].
//   - [LoadBalanceHash] and [Relationship.Select] decide which server of a
//     pair answers a client, with the RFC 3074 hash Kea uses, so a client
//     goes to the same server as with a Kea pair; [ScopeClass] names the
//     HA_<server> class a pool guard tests.
//   - [Machine] is the state machine of one relationship: every state and
//     transition of Kea's HA service, the scopes served in each state,
//     failure detection (heartbeats, max-response-delay, unacked clients
//     judged by their secs field), clock-skew rules and state pauses;
//     [Machine.SetHealing] adds leased's recovery from terminated once
//     the clocks agree again, which Kea leaves to an operator. It
//     is pure and deterministic: it reads no clock and does no I/O; the
//     caller feeds it events and the time, and carries out its decisions.
//   - The peer wire (wire.go): the command bodies and answers partners
//     exchange (ha-heartbeat, lease4-update, lease4-get-page, dhcp-disable,
//     ...), in the envelope Kea 2.2's kea-ctrl-agent and Kea 3.x's
//     dedicated listener expect, with decoders that judge an answer as
//     Kea does. [Client] sends them to a peer's URL over HTTP(S), with the
//     peer's basic authentication and TLS files.
//   - Bulk updates (bulk.go): [CmdLeaseBulkApply], leased's own command
//     carrying a group commit's lease changes to a leased partner in one
//     request, shaped as Kea's lease6-bulk-apply (Kea has no IPv4 bulk
//     command); [Client.ApplyLeases] falls back for good to per-lease
//     updates once a peer answers it with result 2.
//
// Kea 2.2 and 3.x differ in defaults, in field widths and on the wire;
// [Dialect] selects which one a configuration is read as, and which
// arguments a command carries.
package ha
