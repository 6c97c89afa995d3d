// Package manager runs DHCPv4 clients for a set of interfaces and keeps
// their leases across restarts of the process: the `leased client`
// daemon.
//
// The configuration is a JSON file in the style of Kea's, with comments,
// under a "Client4" key:
//
//	{
//	  "Client4": {
//	    "lease-directory": "/var/lib/leased/client4",
//	    "control-socket": {"socket-type": "unix", "socket-name": "/run/leased/client4.sock"},
//	    "restart-backoff": {"initial": 1, "max": 60, "reset-after": 300},
//	    "interfaces": [
//	      {"interface": "wan0", "hostname": "cpe", "vendor-class": "leased",
//	       "script": "/etc/leased/client-script"}
//	    ]
//	  }
//	}
//
// See [InterfaceConfig] for the per-interface keys. Errors name the file,
// line and column of the offending value.
//
// Each configured interface gets one instance: a [client.Client] with its
// own state, lease file ([leasefile.Dir]) and actions (netlink, a script,
// or both). Every lease the client binds is saved before it is applied, and
// the file is removed when the lease is released, refused (NAK) or expires,
// and when the interface leaves the configuration (at a reload, or at
// start if it left while the manager was down). At start, an instance
// whose stored lease has not expired resumes it with INIT-REBOOT at once,
// leaving the address on the interface; an expired one is dropped and
// logged; an unreadable one is moved aside by leasefile while the other
// instances load theirs. A stored lease obtained with another hardware
// address or client identifier than the configuration now gives is dropped:
// the file never overrides the configuration.
//
// A client whose link goes down and comes back confirms its lease with
// INIT-REBOOT at once (see package client); status shows "link-down"
// meanwhile.
//
// SIGHUP and the config-reload command read the configuration file again.
// A file that does not load is thrown away: the error, with its file, line
// and column, is logged (and is the command's answer), and every instance
// runs on as before. A good one is applied at once. Instances of
// interfaces that left the configuration are stopped: a DHCPRELEASE is
// sent, the actions remove the lease and the lease file goes. New
// interfaces get an instance. An interface whose settings changed is
// stopped and started with the new ones; it resumes its stored lease with
// INIT-REBOOT if its client identifier is the same, and releases it
// first otherwise. Unchanged interfaces are not touched: no packet, no
// change of address. The control socket and the lease directories (the
// global one, and an interface's own while the interface stays
// configured) are kept until the manager is started again: a reload that
// changes them logs so and lists them under "needs-restart" in its
// answer. A new restart-backoff applies to every instance from its next
// failure. Reloads are applied one at a time, in the order they come.
//
// Instances are supervised: one that fails — its client returns an error
// (the interface disappeared, the action failed), or panics — is started
// again after an exponential back-off that resets once it has run stably,
// and the failure shows in status.
//
// The manager answers Kea-style commands on a unix control socket
// (package control): status, release and renew, the latter two with
// {"arguments": {"interface": "wan0"}}; status takes an optional
// interface; config-reload takes none and answers with the interfaces
// added, removed, restarted and unchanged. `leased ctl -s SOCKET status`
// speaks this protocol and prints status, release and renew answers as
// lines per interface: the DHCPv4 lease, then the DHCPv6 addresses,
// prefixes, downstream /64s and times, each with its server and how its
// client has run (-json prints the answer itself).
//
// With "release-on-stop", an interface's lease is released when the
// manager stops, not when a reload restarts its instance.
//
// # DHCPv6
//
// An interface with a "dhcp6" map ([DHCP6Config]) runs a DHCPv6 client
// (package client6) beside its DHCPv4 one, or alone with "dhcp4": false:
//
//	{"interface": "wan0", "dhcp6": {
//	   "ia-na": [{"iaid": 1}], "ia-pd": [{"iaid": 2, "hints": ["::/56"]}],
//	   "downstream": ["lan0", "lan1"]}}
//
// Its binding is saved in <interface>.v6.lease beside the DHCPv4 lease
// file, the same way, and its DUID, made once, in <interface>.duid. At
// start a stored binding is resumed as RFC 8415 §18.2.12 asks: expired
// leases dropped, then Rebind with all IAs when it holds a delegated
// prefix, Confirm when it holds addresses only; never a Solicit while a
// lease is valid. The /64s of the first delegated prefix go to the
// "downstream" interfaces (the subnet's ::1 on each) and stay there while
// the prefix lives, across restarts; a "script" in the map gets the
// DHCPv6 events with odhcp6c's and dhclient -6's variables. status shows
// the DHCPv6 side under "dhcp6"; release and renew act on both families.
// The two clients of an interface are supervised apart: one that fails
// is restarted on its own back-off (status shows a DHCPv6 failure under
// "dhcp6") while the other runs on.
package manager
