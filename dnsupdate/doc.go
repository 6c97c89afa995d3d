// Package dnsupdate makes the DNS updates NameChangeRequests ask for,
// as kea-dhcp-ddns does: RFC 2136 UPDATE messages over UDP, signed with
// TSIG (RFC 8945), that add or remove a client's A (or AAAA) and DHCID
// records at its name and its PTR and DHCID records at the reverse name
// of its address.
//
// An [Updater] is built from a DhcpDdns section ([config.DhcpDdns]): the
// forward and reverse domains, each a zone with its DNS servers, and
// the TSIG keys (HMAC-MD5, -SHA1, -SHA224, -SHA256, -SHA384, -SHA512, the
// MAC truncated to digest-bits when set). A request's name picks its
// forward domain and its address's reverse name (192.0.2.50 →
// 50.2.0.192.in-addr.arpa.) picks its reverse domain: the longest
// configured name it ends with on a label boundary, else the wildcard
// "*". A request for a direction whose domains do not match is dropped
// whole, as Kea drops it; a direction without domains is left out.
//
// [Updater.Send] queues requests (at most MaxQueueSize) and [Updater.Run]
// performs them: up to 1024 transactions at once (Kea: 32), but one at
// a time and in order for each DHCID, so that an add and the remove that follows it
// for one client never overtake each other. A transaction updates the
// forward zone first and the reverse zone only when that succeeded. The
// messages of each step, their prerequisites and what each answer leads
// to are Kea's for the request's conflict-resolution mode, so that Kea
// and leased can take over each other's names:
//
//   - check-with-dhcid (RFC 4703): add where the name is free, else
//     replace the address only where the name carries the client's
//     DHCID; another client's name is left alone and gets no PTR.
//     Remove only where the DHCID is the client's.
//   - check-exists-with-dhcid: as above, but any DHCID lets the name be
//     taken over.
//   - no-check-with-dhcid: overwrite the A and DHCID records.
//   - no-check-without-dhcid: overwrite the A records; no DHCID at all.
//
// Beyond Kea, steps of different transactions that wait for the same
// server and zone while a message is in flight to it (one at a time)
// go out merged in one UPDATE, never two for one owner name: over
// UDP up to 32 steps and 1,100 bytes, over TCP up to 512 steps and
// 60,000 bytes. A DNS server pays for an UPDATE mostly per message
// (TSIG, the zone's journal written and synced, a new serial), so under
// load merged messages make many times as many updates a second for the
// same work. RFC 2136 checks all prerequisites before it applies any
// update and applies all or none, so a merged message that succeeds did
// what each step would have; one that is refused changed nothing, and
// its steps are then sent again in halves, down to a few alone, to learn
// each one's own answer (see batch.go).
//
// A step whose server does not answer within dns-server-timeout is sent
// again, three times per server, then to the domain's next server. An
// answer that does not decode or fails TSIG verification counts as no
// answer for that try, but fails the transaction at the end; an rcode
// that the step does not expect (REFUSED, NOTAUTH, a conflict) fails it
// at once. Beyond Kea: when no server answered at all, the request is
// not given up but kept at the head of its DHCID's line and tried again,
// after 1 s, then doubling up to a minute, so updates owed while the DNS
// server is down are made when it returns. With an [ncr.Journal] the
// requests not finished also survive a restart.
//
// [Updater.Stats] counts requests and messages with kea-dhcp-ddns's
// statistics (update-sent, update-signed, update-success,
// update-timeout, update-error, ...) and the transactions pending,
// completed and failed; [Updater.Queue] lists the pending requests.
package dnsupdate
