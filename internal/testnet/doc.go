// Package testnet builds throw-away networks out of Linux network namespaces
// for end-to-end tests, and drives real DHCP clients and load generators
// inside them.
//
// Everything a test creates with this package lives in network namespaces
// that the test itself creates, and is removed by t.Cleanup, also when the
// test fails: the namespaces, every interface in them (veth pairs,
// macvlans, bridges) and every process started in them. No interface,
// address, route or file of the host is changed; traffic never leaves the
// namespaces. Addresses come from 192.0.2.0/24, 198.18.0.0/15 and
// 203.0.113.0/24 only, and only inside those namespaces.
//
// # Root and binaries
//
// Namespaces need root. Every test that uses them starts with RequireRoot,
// naming the binaries it needs. Without root (or a binary) the test is
// skipped, unless LEASED_REQUIRE_E2E=1 is set in the environment, in which
// case it fails: scripts/test sets it, so CI never passes by skipping.
//
// # Namespaces and topologies
//
// NewNS creates one namespace with lo up. Veth joins two namespaces,
// NewBridge creates a switch that any number of namespaces can be attached
// to, and AddMacvlan gives a client its own MAC on an existing link.
// NewPair builds the standard server/client topology (see its doc), and
// NewMesh builds N nodes on one bridge, each with its own client link.
// Namespace names are unique across parallel tests and test binaries
// (prefix "ltn", the process id and a counter), and namespaces left behind
// by a test binary that was killed are removed by the next one.
//
// # Running code inside a namespace
//
// NS.Run and NS.Start run a command through "ip netns exec" in its own
// process group; cancelling the context kills the whole group, and output
// is kept for error messages and logged when the test fails.
//
// NS.Do runs Go code from the test process inside the namespace. It runs
// fn on a new goroutine locked to an OS thread that has joined the
// namespace, and switches that thread back afterwards. The rules:
//
//   - Sockets opened inside fn belong to the namespace for their whole
//     life, and can be used after Do returns, from any goroutine.
//   - Goroutines started inside fn do not run in the namespace: only fn's
//     own goroutine does. Open every socket in fn itself.
//   - Resolve interfaces (net.InterfaceByName, net.Interfaces) inside fn;
//     outside they name the host's interfaces.
//   - Dial and listen with literal IP addresses; name resolution may run
//     on other goroutines.
//   - fn runs on another goroutine, so it must not call t.FailNow (nor
//     t.Fatal): return an error instead.
//
// # Real clients and load
//
// NewClient drives dhclient, udhcpc (with and without -B) and dhcpcd 9 on
// one interface. Each client gets a private state directory (lease file,
// pid file, config, hook script) and runs in a private mount and UTS
// namespace in which /etc/resolv.conf, /run and /var/lib/dhcpcd are
// scratch copies, so no client can touch the host's files. The hook
// script records every event with its environment; Lease values are the
// client's own view of the lease, taken from those records.
//
// RunPerfdhcp runs ISC perfdhcp and parses its report. In DHCPv4 perfdhcp
// is always a relay agent: giaddr is its own address, it sends from UDP
// port 67 and expects replies at port 67.
//
// StartDnsmasq runs dnsmasq as a reference DHCP server (DNS off), used by
// this package's own tests to prove the drivers work.
//
// SendUDP, SendBroadcastUDP and SendRawUDP send arbitrary payloads for
// malformed-packet tests, and ListenUDP opens a receiving socket inside a
// namespace. CaptureUDP records the UDP packets on an interface in both
// directions (with MACs and the kernel's timestamps), to check how a server
// addressed its replies and how long it took.
//
// # Kea programs
//
// StartKea runs a Kea program from Debian (kea-dhcp4, kea-ctrl-agent) on
// a configuration text, from a directory of the test's (UnprivilegedDir),
// as nobody when the test runs as root, killed if the test process dies,
// on loopback or in a namespace (KeaOptions.NS); it is stopped when the
// test ends and its output logged if the test failed. KeaBinary finds a
// program, KeaHooksDir the hook libraries (skipping, or failing under
// LEASED_REQUIRE_E2E=1, without them), and FreeTCPPort and FreeUDPPort
// pick ports for it on a loopback address.
//
// IndentOutput and Tail format a process's output for a test's message.
//
// Everything but RequireRoot and RequireBinaries is built on Linux only:
// on other systems a test that needs namespaces does not compile, and one
// that only asks for root or a binary does.
package testnet
