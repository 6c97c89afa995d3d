// Package dhcpserver is a DHCPv4 server library.
package dhcpserver
