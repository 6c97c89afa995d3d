// Package daemon runs leased as a process, the way kea-dhcp4 runs: it
// loads the configuration, sets up the loggers it names, takes the PID
// file, opens the lease store, serves DHCP on the configured interfaces
// with package engine, answers Kea's control commands on the configured
// control sockets, reloads on request keeping the last good
// configuration, and shuts down in order.
//
// [Main] is `leased serve -c FILE`: SIGTERM and SIGINT stop it, SIGHUP
// reloads, and signals only ever become events of the main loop. [Run]
// is the same without the signals, for embedding and tests.
//
// # Configuration changes
//
// SIGHUP and config-reload read the file again; config-set takes a
// configuration in its arguments. The file is read off the main loop
// (only regular files, 64 MiB with its includes, within a deadline; see
// package config/jsonc), so that neither commands nor SIGTERM wait for
// it. Each configuration is applied on the main loop, one at a time: loggers, then control sockets (kept sockets are not
// re-bound), then the server's configuration, swapped atomically, so
// that messages in flight finish under the configuration they started
// with and no lease is lost; DHCP sockets are opened and closed only for
// interfaces that were added or removed. A configuration that does not
// load is logged with file:line:col and changes nothing; one that fails
// to apply is rolled back. config-test checks without applying.
//
// A configuration whose lease-database differs from the running one in
// what leased acts on (type, persist, name, lfc-interval) is refused with
// the reason, by config-test too: the lease store is opened once, at
// start, and changes only at a restart. Kea reopens its lease backend on
// such a change and starts over on the new store's leases, forgetting
// those it handed out; leased keeps serving the leases it has.
//
// # Sockets
//
// interfaces-config decides the DHCP sockets as it does Kea's (see
// sockets.go): dhcp-socket-type "udp" opens no packet sockets and ignores
// what arrives by broadcast; outbound-interface "use-routing" (with
// "udp") serves the addresses of the named interfaces through one socket
// bound to no interface, so that replies follow the routing table. A
// socket that cannot be opened is logged and reported by status-get
// while the server runs on the others; service-sockets-max-retries tries
// again every service-sockets-retry-wait-time, and
// service-sockets-require-all makes a socket still missing fatal. A
// server that opens no DHCP socket at all at start (its retries spent)
// exits with status 1 and says why. An interface the system does not have
// is an error in the configuration, and so is an empty interface list,
// with which Kea serves nothing: "*" serves every interface.
//
// # Shutdown
//
// SIGTERM, SIGINT and the shutdown command (with its exit-value) close
// the control sockets first (removing their files), then stop reading
// DHCP messages and let those in flight finish, ACKs included, within
// the shutdown timeout; the lease store is flushed and closed, the PID
// file removed, and Run returns the exit value.
//
// # Commands
//
// Besides list-commands, version-get and build-report (package
// control), the process answers config-get (redacted: every value whose
// key ends in "password" or "secret" is "*****"), config-hash-get,
// config-test, config-set, config-reload, config-write (atomic, only
// inside the configuration file's directory, and never into the lease
// store's directory, over the PID file or a control socket), shutdown, status-get
// (with the lease store's state, see leaseStoreStatus),
// server-tag-get, Kea's lease4-* commands (add, update, get, get-all,
// get-page, get-by-hw-address, get-by-client-id, get-by-hostname, del,
// wipe), dhcp-disable and dhcp-enable (while disabled, by the operator or
// a "ha-partner" origin, every DHCP message is counted and dropped;
// max-period enables the service again by itself), leases-reclaim
// (every expired lease at once, with no batch or time limit; "remove"
// deletes them instead of holding them for their clients), Kea's
// reservation-add, -get, -get-all, -get-page and -del (host_cmds, in Kea
// 3's forms: additions and deletions go to the hosts database, lookups
// read the file's reservations first, pages walk the file as source 0
// and the database as source 1), ddns-queue-get (the DNS updates waiting
// or running), and the statistic-* commands of package stats.
//
// # Hosts database
//
// A hosts-database (PostgreSQL or MySQL, Kea's host tables) is opened at
// start (openHosts; with retry-on-startup and reconnection configured,
// tried every reconnect-wait-time before the server serves, as the lease
// database is) and has Kea's on-fail, max-reconnect-tries and
// reconnect-wait-time (setHosts, the lease database's dbRecovery with
// its own service origin). Decision: while its connection is lost, a
// lookup that fails is never read as "no reservation". The message whose
// reservation cannot be looked up is dropped, and an address that cannot
// be checked against the database is not offered, whatever on-fail says;
// on-fail only chooses whether the service is disabled meanwhile
// (stop-retry-exit; status-get shows disabled-by-db-connection) or goes
// on answering what needs no lookup (serve-retry-*), and whether the
// server exits when the tries run out. The cost is counted in
// pkt4-hosts-database-drop (also in pkt4-receive-drop) and
// v4-hosts-database-address-skip, leased's own statistics (Kea has none),
// shown by statistic-get and /metrics.
//
// # DNS updates
//
// With dhcp-ddns enable-updates, ncrService turns lease changes into
// NameChangeRequests: those of clients' messages and reclamations (the
// engine's NameChanges), a lease4-del with "update-ddns": true, and
// lease4-resend-ddns (other lease commands leave DNS alone, as in
// Kea). They go to kea-dhcp-ddns over UDP; or, when the file holds
// kea-dhcp-ddns's DhcpDdns section beside Dhcp4, to leased's own
// updater (package dnsupdate), which makes them itself as `leased ddns`
// does, with no second process. Either way they are kept in a journal
// beside the lease file until sent or made, so that an update owed
// survives a restart.
//
// # High availability
//
// A libdhcp_ha.so entry in hooks-libraries (or [Options.HA], a parsed
// one, package ha) makes the server a member of an HA relationship with
// a Kea server (2.2, through its kea-ctrl-agent) or another leased, or of
// several (Kea 3.x's hub and spoke, each subnet naming its relationship
// with "ha-server-name" in its user-context; see haSet). It
// answers its partner on the HTTP control listener, in the envelope
// Kea's HA hook expects: ha-heartbeat (this server's state, clock, scopes
// and unsent updates), the lease4-update, lease4-del and lease4-get-page
// of the lease commands (and leased-lease4-bulk-apply from a leased
// partner), dhcp-disable and dhcp-enable with origin
// "ha-partner" (which the state machine tracks, apart from the
// operator's), ha-sync-complete-notify, ha-maintenance-notify, and the
// operator's ha-reset, ha-continue, ha-scopes, ha-sync,
// ha-maintenance-start and ha-maintenance-cancel; status-get adds Kea's
// "high-availability" list, with the reason the server is in its state.
// It talks to its partner as Kea does: heartbeats every heartbeat-delay,
// a lease sync (dhcp-disable, lease4-get-page pages,
// ha-sync-complete-notify) on its way from waiting to ready, and every
// client's lease changes sent to the partner before the ACK leaves: the
// ACK waits for the partner's answer and is withheld when it fails
// (Kea's parking). The updates of one group commit go to a leased
// partner as one leased-lease4-bulk-apply request (ha.CmdLeaseBulkApply),
// which the partner applies with one fsync and answers lease by lease, so
// that a lease it refuses withholds only that client's ACK; a partner
// that does not know the command (Kea: result 2) gets, from that answer
// on, one lease4-update or lease4-del a lease, as Kea's HA hook sends
// them. An
// ha.Machine decides, and DHCP messages are answered only while it has
// the service on and only for the scopes it serves; each query gets the
// HA_<server> class of its scope before classification, so pools split
// per server work as in Kea. parked-packet-limit bounds the ACKs waiting
// for a partner, as Kea's parking lot does (a RELEASE's or DECLINE's
// updates take no place in it: no reply waits for them), and an update
// that finds its peer's requests under way for 10 s fails as a request
// that timed out does. Unlike Kea, a server
// terminated by clock skew leaves that state by itself once the clocks
// agree again (ha.Machine.SetHealing), and resynchronises.
//
// # Statistics
//
// The server's counters go to package stats without a lock on the
// packet path; the sockets' own counters (pkt4-received,
// pkt4-parse-failed, pkt4-queue-full, pkt4-receive-drop) and the lease
// store's counts (assigned-addresses, declined-addresses) are added
// every second and before any statistics command.
//
// # systemd
//
// Under systemd ($NOTIFY_SOCKET set) the process reports READY=1 once
// it serves, RELOADING=1 and READY=1 around each configuration change,
// STOPPING=1 at shutdown, and feeds the watchdog while its main loop
// turns; without systemd nothing of this happens. contrib/systemd holds
// a unit file.
//
// # PID file
//
// The PID file is named as Kea names it, <config base name>.leased.pid,
// and lives in Options.PIDFileDir ($LEASED_PIDFILE_DIR for `leased
// serve`) or, by default, beside the lease file: the state it guards. A
// PID file naming a live leased refuses a second instance; a stale one
// is replaced.
//
// [Ctl] is the client of `leased ctl`, and [CheckDeep] is `leased serve
// -T`.
package daemon
