// Package config reads a Kea kea-dhcp4 configuration file, checks it, and
// compiles it into the immutable model the server consults for every packet.
//
// # Quick start
//
// Reading a configuration, printing what is wrong with it, and walking its
// subnets (Load does the same for a file and the files it includes):
//
//	src := `{"Dhcp4": {
//	  "valid-lifetime": 3600,
//	  "renew-timer": 4000,
//	  "subnet4": [{"id": 1, "subnet": "192.0.2.0/24",
//	    "pools": [{"pool": "192.0.2.100 - 192.0.2.199"}]}]
//	}}`
//	cfg, diags, err := config.Parse("kea-dhcp4.conf", []byte(src), nil)
//	for _, d := range diags {
//		fmt.Println(d) // file:line:col: severity: message
//	}
//	if err != nil {
//		log.Fatal(err) // config.ErrInvalid: diags holds the errors
//	}
//	for _, s := range cfg.Subnets {
//		for _, p := range s.Pools {
//			fmt.Println("subnet", s.ID, s.Prefix, "pool", p.First, "-", p.Last)
//		}
//	}
//
// prints
//
//	kea-dhcp4.conf:3:18: warning: Dhcp4: renew-timer 4000 (set at kea-dhcp4.conf:3:18) is not less than valid-lifetime 3600 (set at kea-dhcp4.conf:2:21); T1 will not be sent
//	subnet 1 192.0.2.0/24 pool 192.0.2.100 - 192.0.2.199
//
// # Reading and checking
//
// [Load] reads a file (with its includes, see package
// [github.com/leased/leased/config/jsonc]) and returns a [*Config] together
// with every [Diagnostic] found: errors and warnings, each with the
// file:line:col where the problem was written. [Check] does the same work
// and keeps only the diagnostics, as `kea-dhcp4 -t` does; it opens no
// sockets and writes nothing.
//
// Only regular files are read, and a configuration with its includes
// may hold 64 MiB at most (jsonc.MaxTotalSize). Messages quote at most
// 64 bytes of what the file wrote, with its length, and look for a "did
// you mean" suggestion only among names of 64 bytes or fewer, and only
// while problems are still reported (Options.MaxDiagnostics).
//
// Both dialects of the Dhcp4 section are accepted: Kea 3.x and Kea 2.2.
// Names that 3.x replaced (control-socket, require-client-classes,
// only-if-required, reservation-mode, relay ip-address, output_options,
// client-class, ddns-use-conflict-resolution, the behavioural keys inside
// dhcp-ddns) are read as their new form with a warning naming the line. A
// subnet without an id, or with Kea 2.2's "id": 0, is numbered as Kea 2.2
// numbered it, with a warning.
//
// Keywords Kea accepts but leased does not implement yet are errors of the
// form "not supported yet: KEYWORD in SCOPE (reason)", never silently
// ignored. [NotSupported] lists them. What Kea accepts but is likely a
// mistake (a class name no class defines, a timer not shorter than the
// lifetime, a subnet inside another) is a warning.
//
// Everything inheritable is resolved once at load: each [Subnet] carries
// its resolved [Params] (global → shared network → subnet) and each [Pool]
// its resolved DDNS parameters (→ pool); option data is validated against
// its definition and encoded to wire bytes once, and each subnet and pool
// holds its options merged with those of its outer scopes. Subnets are
// indexed by id, prefix, relay address and interface, and reservations by
// identifier and by address, so the packet path reads fields and never
// walks scopes.
//
// Class test expressions are compiled by package classify while the
// client classes are read, so that every error points at its place in
// the file, and [Config.Classifier] takes the compiled expressions over
// (only the test of a class with its own option-def is compiled again,
// against the global definitions the classifier resolves names with).
//
// Secrets — every key whose name ends in "password" or "secret", at any
// depth — print as "*****" in everything this package produces.
package config
