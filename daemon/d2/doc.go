// Package d2 is `leased ddns`: a replacement for kea-dhcp-ddns (Kea's
// "D2"), the process that receives NameChangeRequests from DHCP servers
// and makes the DNS updates they ask for.
//
// It reads the DhcpDdns section of a configuration file
// ([config.LoadDdns]; a Dhcp4 section beside it is left unread), listens
// for requests on ip-address:port over UDP in Kea's framing
// ([ncr.Receiver]), from leased or from any kea-dhcp4, and hands them to
// a [dnsupdate.Updater]. A datagram that is no valid request is logged
// and counted (ncr-invalid); a request the updater refuses (queue full,
// no matching domain) is counted as ncr-error.
//
// With a control-socket (2.2) or control-sockets (3.x) entry it answers
// Kea's list-commands, version-get, build-report, shutdown,
// config-reload, status-get and statistic-get-all, and leased's
// ddns-queue-get, which lists the requests waiting or running.
//
// SIGHUP and config-reload read the file again and apply it: loggers,
// domains, servers and keys (for the transactions that start next),
// control sockets and the listening address; a file that is not valid
// changes nothing. SIGTERM and SIGINT stop it; requests still queued
// then are lost, as with kea-dhcp-ddns.
package d2
