// Package leasefile stores a DHCPv4 client's lease on disk so that a
// restarted client can resume it.
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
package leasefile
