// Package meshd runs a mesh node as a process: the daemon behind
// `leased mesh`, a drop-in replacement for ddhcpd (version 3eefc27, as
// Gluon runs it) that joins a mesh of real ddhcpd nodes.
//
// Main takes ddhcpd's command line. The daemon puts a mesh.Node on the
// network and drives it:
//
//   - the node-to-node sockets on the -i interface: UDP/IPv6 multicast to
//     [ff02::1234]:1234 (loopback off, hop limit 1) and unicast on port
//     1235, both bound to the interface, so that peers see the interface's
//     link-local address as the source;
//   - an event loop that calls Tick when NextTick comes, and turns the
//     node's outputs into datagrams, DHCP replies, log lines and hook
//     calls. A failed send is logged, and a failed INQUIRE or UPDATECLAIM
//     is handed back to the node (mesh.Node.SendFailed): as in ddhcpd,
//     only what went out counts, so a node whose mesh link is down owns
//     no new block and gives its blocks up when their last announced
//     claim runs out, as its peers do, instead of serving addresses a
//     peer may have claimed meanwhile;
//   - the DHCP server on the -c interface, built on package dhcpserver,
//     answering as ddhcpd does (specification 7.7) with the options of
//     ddhcpd's CODE:LEN:bytes store and the server identifier all nodes
//     share (option 54, by default the range's first address plus one).
//     Messages naming another server in option 54 are left alone. A
//     renewal for an address in a block another node owns is forwarded to
//     the owner; the reply waits, deferred, until its LEASEACK or LEASENAK
//     (at most 120 s, keyed by xid and client hardware address);
//   - ddhcpd's control socket (-C), answering ddhcpdctl byte for byte, and
//     its hook (-H), called as `lease IP MAC`, `release IP MAC` and
//     `endlearning`.
//
// Unlike ddhcpd, a node keeps its own leases across a restart: they go to
// an embedded lease store (package lease/memfile), and the blocks it
// claimed to a small claims file beside it. A node restarted before its
// claims ran out at the peers owns those blocks again at once and gives
// its clients their addresses back (see mesh.Node.Resume). The state
// lives in /var/run/leased/mesh/<node id> unless --state-dir says
// otherwise: tmpfs, so it survives a restart of the node but not a
// reboot, as Gluon expects of ddhcpd, and the router's flash is never
// written.
//
// # Flash wear
//
// The lease store writes (and syncs) on every lease given or renewed:
// harmless on tmpfs, wearing on flash (NAND or NOR under UBIFS or JFFS2).
// An operator who wants leases kept across a reboot has two choices:
//
//   - --state-dir on flash: every lease change is written at once and
//     nothing is lost, at the cost of one or more flash writes per DHCP
//     exchange (a busy node: thousands an hour);
//   - --state-copy DIR on flash, the state staying on tmpfs: a copy of
//     the leases and claims is written when the leases changed, at most
//     every --state-copy-every (default 1h; two files per copy, so at most
//     2 × 3600 s / interval file writes an hour, plus one at a clean
//     stop), and a node that starts with an empty state directory takes
//     it from the copy. Leases given after the last copy are lost at a
//     reboot or power cut: the node no longer knows those clients, as
//     ddhcpd knows none after any restart.
//
// Main logs to stderr in the text format of slog's TextHandler
// (time=… level=… msg=… key=value), at ddhcpd's level (-v, LOG_LEVEL_SET),
// through a small logger of its own: log/slog, with the encoding/json its
// handlers link, would cost leased-mesh about 400 KB of a router's flash.
// For the same reason Run, dhcpserver and lease/memfile take a Logger
// interface, which a *slog.Logger satisfies, rather than a *slog.Logger.
//
// Query and CtlMain are the client side of the control socket: they speak
// to leased and ddhcpd nodes alike.
package meshd
