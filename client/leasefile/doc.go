// Package leasefile stores a DHCPv4 client's lease, and a DHCPv6 client's
// binding, on disk so that a restarted client can resume them.
//
// Each interface's lease is one file, <dir>/<interface>.v4.lease, holding
// one self-describing record:
//
//	magic "LDC4" | version (2 bytes) | reserved (2) | payload length (4) |
//	payload | CRC-32C of everything before it (4)
//
// All integers are big-endian. The payload is a sequence of fields, each a
// one-byte type, a two-byte length and the value; see the field constants
// for their encodings. A record carries the interface it belongs to, the
// hardware address and client identifier the lease was obtained with, the
// address and prefix length, routers, classless routes, DNS servers,
// domain name, MTU, server identifier, lease time, T1 and T2, the times the
// lease was obtained and expires (Unix nanoseconds, UTC) and the boot ID of
// the kernel that obtained it. Encoding is deterministic, so the same
// record is the same bytes on every platform.
//
// [Dir.Save] writes a record atomically: to a temporary file created with
// mode 0600 in the same directory, fsync'd, renamed over the final name,
// and the directory fsync'd, so a reader sees the old record or the new
// one, never a mix, whenever the process dies. [Dir.Load] refuses what is
// not a whole, current, consistent record — empty, truncated, bad magic,
// unknown version, bad checksum, a field out of range, a record of
// another interface, or no regular file at all (a directory, a FIFO, which
// it never waits on, a device) — and moves the file aside to <name>.corrupt with one
// log line, so that only that interface starts afresh. [Dir.Clean] removes
// temporary files a crash left behind. [Open] refuses, on Unix, a
// directory that another user owns or that group or others may write to:
// whoever writes a lease file there chooses the address, routes and DNS
// servers the client applies when it resumes the lease.
//
// A DHCPv6 binding (package client6) is stored beside it in
// <dir>/<interface>.v6.lease, framed the same way with the magic "LDC6":
// the interface, hardware address and boot ID, the client's and the
// server's DUIDs, the server's unicast address, the time of the last
// Reply, every IA_NA and IA_PD with its IAID, T1, T2 and the time it was
// last granted, and its addresses or prefixes with their preferred and
// valid lifetimes, and the DNS servers, search list, NTP servers and
// reconfigure key. [Dir.Save6], [Dir.Load6] and [Dir.Remove6] treat these
// files as Save, Load and Remove treat DHCPv4 ones; a corrupt DHCPv6 file
// is moved aside without touching the DHCPv4 file of the same interface.
package leasefile
