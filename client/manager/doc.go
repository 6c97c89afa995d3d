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
// and at start for interfaces no longer configured. At start, an instance
// whose stored lease has not expired resumes it with INIT-REBOOT at once,
// leaving the address on the interface; an expired one is dropped and
// logged; an unreadable one is moved aside by leasefile while the other
// instances load theirs. A stored lease obtained with another hardware
// address or client identifier than the configuration now gives is dropped:
// the file never overrides the configuration.
//
// Instances are supervised: one that fails — its client returns an error
// (the interface disappeared, the action failed), or panics — is started
// again after an exponential back-off that resets once it has run stably,
// and the failure shows in status.
//
// The manager answers Kea-style commands on a unix control socket
// (package control): status, release and renew, the latter two with
// {"arguments": {"interface": "wan0"}}; status takes an optional
// interface. `leased ctl` speaks this protocol.
package manager
