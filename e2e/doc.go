//go:build linux

// Package e2e holds leased's end-to-end tests: the real leased binary,
// built once per test run, serves real DHCP clients (dhclient, udhcpc,
// dhcpcd), perfdhcp and the tests' own relay-agent load generator inside
// network namespaces the tests create with internal/testnet.
//
// The tests show what the serving issue asks of `leased serve`: each real
// client obtains, renews and releases a lease; a reserved client gets its
// reserved address and options; relayed traffic is served from the relay's
// subnet without drops; a client in a guarded class lands in its pool; a
// client asking for a foreign address in INIT-REBOOT is NAKed, directly and
// through a relay; every
// acknowledged lease survives the server being killed with SIGKILL at
// random moments; a damaged journal is repaired at start-up with a log
// line naming the file and offset; and `leased serve -t` checks a
// configuration without opening sockets or writing leases.
//
// TestReadmeCommands runs every command line README.md shows, so that the
// README cannot drift from the binary: it parses README.md when it runs,
// and a command line it has no case for fails it.
//
// The lease store is read with memfile.OpenReadOnly beside the running
// server, so the tests check what is on disk, not what the server says.
//
// The journal damage test reads the journal's record framing as package
// memfile documents it, to damage a chosen record; a change of that format
// shows there as a clear failure.
//
// The package has no non-test code. The tests need root, the client
// binaries, perfdhcp, strace and ss; without them they skip, unless
// LEASED_REQUIRE_E2E=1, when they fail. The leased binary is built on
// first use, with the race detector when the tests run with it; a race
// report in any leased run fails the test that ran it.
package e2e
