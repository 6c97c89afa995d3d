// Package e2e holds the test helpers the client packages' end-to-end
// tests share: the network they run on and the real DHCP servers (Kea's
// kea-dhcp4 and dnsmasq, from the distribution's packages) they run
// against. Everything runs inside network namespaces the test creates
// (package internal/testnet); servers keep their configuration, lease,
// pid and log files in the test's temporary directory.
package e2e
