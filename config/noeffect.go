package config

import "strings"

// Ignored is a Kea keyword, or a value of one, that leased accepts and
// that changes nothing in what leased does.
type Ignored struct {
	// Keyword is the key as written in the configuration.
	Keyword string
	// Scope is where the key appears (Dhcp4, subnet4, lease-database...).
	Scope string
	// When, if not empty, is the value (or the circumstance) in which the
	// keyword has no effect; otherwise it has none whatever its value.
	When string
	// Warns says that the loader reports a warning where the keyword is
	// written: Kea would act on it, and leased does something else,
	// which Reason says.
	Warns bool
	// Reason says why the keyword can be accepted, or what leased does
	// instead.
	Reason string
}

// Reasons shared by several keywords.
const (
	whyQueue      = "used only when enable-queue is true, which is rejected"
	whyMT         = "leased has no thread pool or packet queue to size: each DHCP socket is read by one goroutine that answers its messages at once, and the lease writes of many answers are flushed together"
	whySQL        = "a setting of SQL lease databases; memfile opens no connection"
	whySQLWarns   = "a setting of SQL lease databases; memfile opens no connection and ignores it"
	memfileOnly   = "with type \"memfile\""
	pgsqlOnly     = "with type \"postgresql\""
	mysqlOnly     = "with type \"mysql\""
	whyPgSQL      = "Kea applies it to PostgreSQL connections only; MySQL's client library, like leased's driver, has no such setting"
	whyMySQL      = "Kea applies it to MySQL connections only; PostgreSQL's libpq, like leased's driver, has no such setting"
	hookLeaseCmds = "libdhcp_lease_cmds.so"
	hookHA        = "libdhcp_ha.so"
	otherHooks    = "any library not rejected above, other than " + hookLeaseCmds + " and " + hookHA
)

// noEffect is the single list of what is accepted without effect. Keep it
// sorted by scope, then keyword.
var noEffect = []Ignored{
	{Keyword: "parked-packet-limit", Scope: "Dhcp4", When: "without " + hookHA, Reason: "replies are parked only while the partner acknowledges their lease updates (" + hookHA + "); there, as in Kea, a reply beyond the limit is dropped"},
	{Keyword: "reservations-lookup-first", Scope: "Dhcp4", Reason: "it orders Kea's lookups of a client's reservation and lease; leased gets the same answer in either order"},
	{Keyword: "reservations-out-of-pool", Scope: "Dhcp4, shared-networks, subnet4", When: "without hosts-database", Reason: "a promise that reservations lie outside the pools, which lets Kea skip the reservation lookup when it allocates from a pool; leased always checks the file's reservation index, which gives the same answers while the promise holds (with a hosts-database, it skips the database's lookup as Kea does)"},
	{Keyword: "capacity", Scope: "dhcp-queue-control", Reason: whyQueue},
	{Keyword: "queue-type", Scope: "dhcp-queue-control", Reason: whyQueue},
	{Keyword: "library", Scope: "hooks-libraries", When: otherHooks, Warns: true, Reason: "leased does not load Kea's hook libraries (C++ code); it serves as if the library were not configured"},
	{Keyword: "library", Scope: "hooks-libraries", When: hookLeaseCmds, Reason: "its lease4-* commands are built into leased; nothing needs loading"},
	{Keyword: "parameters", Scope: "hooks-libraries", Reason: "parameters of a library leased does not load, or of " + hookLeaseCmds + " other than binding-variables (which is rejected)"},
	{Keyword: "cipher-list", Scope: "hosts-database, hosts-databases", When: pgsqlOnly, Warns: true, Reason: whyMySQL},
	{Keyword: "read-timeout", Scope: "hosts-database, hosts-databases", When: pgsqlOnly, Warns: true, Reason: whyMySQL},
	{Keyword: "tcp-user-timeout", Scope: "hosts-database, hosts-databases", Warns: true, Reason: "not applied to the hosts database's connections; the system's TCP timeouts apply"},
	{Keyword: "write-timeout", Scope: "hosts-database, hosts-databases", When: pgsqlOnly, Warns: true, Reason: whyMySQL},
	{Keyword: "outbound-interface", Scope: "interfaces-config", When: `"use-routing" with dhcp-socket-type "raw"`, Reason: "Kea applies it to UDP sockets only, and so does leased"},
	{Keyword: "re-detect", Scope: "interfaces-config", Reason: "leased looks each interface up by name whenever it opens a socket for it, at start and at each reconfiguration; there is no list of detected interfaces to keep or refresh"},
	{Keyword: "cert-file", Scope: "lease-database", When: memfileOnly, Reason: whySQL},
	{Keyword: "cipher-list", Scope: "lease-database", When: memfileOnly, Reason: whySQL},
	{Keyword: "cipher-list", Scope: "lease-database", When: pgsqlOnly, Warns: true, Reason: whyMySQL},
	{Keyword: "connect-timeout", Scope: "lease-database", When: memfileOnly, Reason: whySQL},
	{Keyword: "host", Scope: "lease-database", When: memfileOnly, Warns: true, Reason: whySQLWarns},
	{Keyword: "key-file", Scope: "lease-database", When: memfileOnly, Reason: whySQL},
	{Keyword: "max-reconnect-tries", Scope: "lease-database", When: memfileOnly, Reason: whySQL},
	{Keyword: "max-row-errors", Scope: "lease-database", When: "other than 0", Warns: true, Reason: "Kea refuses to start when more rows of its lease file are bad; leased never refuses its lease files: it moves damaged records aside (to N.corrupt), logs them and loads the rest"},
	{Keyword: "on-fail", Scope: "lease-database", When: memfileOnly, Reason: whySQL},
	{Keyword: "password", Scope: "lease-database", When: memfileOnly, Warns: true, Reason: whySQLWarns},
	{Keyword: "password-file", Scope: "lease-database", When: memfileOnly, Warns: true, Reason: whySQLWarns},
	{Keyword: "port", Scope: "lease-database", When: memfileOnly, Warns: true, Reason: whySQLWarns},
	{Keyword: "read-timeout", Scope: "lease-database", When: memfileOnly, Reason: whySQL},
	{Keyword: "read-timeout", Scope: "lease-database", When: pgsqlOnly, Warns: true, Reason: whyMySQL},
	{Keyword: "reconnect-wait-time", Scope: "lease-database", When: memfileOnly, Reason: whySQL},
	{Keyword: "retry-on-startup", Scope: "lease-database", When: memfileOnly, Reason: whySQL},
	{Keyword: "ssl-mode", Scope: "lease-database", When: memfileOnly, Reason: whySQL},
	{Keyword: "ssl-mode", Scope: "lease-database", When: mysqlOnly, Warns: true, Reason: whyPgSQL},
	{Keyword: "tcp-user-timeout", Scope: "lease-database", When: memfileOnly, Reason: whySQL},
	{Keyword: "tcp-user-timeout", Scope: "lease-database", When: mysqlOnly, Warns: true, Reason: whyPgSQL},
	{Keyword: "trust-anchor", Scope: "lease-database", When: memfileOnly, Reason: whySQL},
	{Keyword: "user", Scope: "lease-database", When: memfileOnly, Warns: true, Reason: whySQLWarns},
	{Keyword: "write-timeout", Scope: "lease-database", When: memfileOnly, Reason: whySQL},
	{Keyword: "write-timeout", Scope: "lease-database", When: pgsqlOnly, Warns: true, Reason: whyMySQL},
	{Keyword: "enable-multi-threading", Scope: "multi-threading", Reason: whyMT},
	{Keyword: "packet-queue-size", Scope: "multi-threading", Reason: whyMT},
	{Keyword: "thread-pool-size", Scope: "multi-threading", Reason: whyMT},
	{Keyword: "pattern", Scope: "output-options", Warns: true, Reason: "leased writes its own log lines (slog text, or JSON when LEASED_LOG_FORMAT=json); the pattern is not applied"},
}

// NoEffect returns the keywords and values that Kea acts on and leased
// accepts without effect, sorted by scope and keyword: either leased
// already does what they ask, or they matter only for features that are
// rejected or absent. The entries whose Warns is set are reported as
// warnings where they are written. The slice is a copy.
func NoEffect() []Ignored {
	return sortedByScope(noEffect, func(e Ignored) (string, string) { return e.Scope, e.Keyword })
}

// findNoEffect returns the entry for keyword in scope whose When is when.
func findNoEffect(scope, keyword, when string) *Ignored {
	for i := range noEffect {
		e := &noEffect[i]
		if e.Keyword == keyword && e.When == when && inScopes(e.Scope, scope) {
			return e
		}
	}
	return nil
}

// noEffect warns, for an entry that warns, that the keyword written at
// at has no effect, and why. The scope named is the one it was written
// in.
func (l *loader) noEffect(at Pos, scope, keyword, when string) {
	e := findNoEffect(scope, keyword, when)
	if e == nil || !e.Warns {
		return
	}
	kw := e.Keyword
	if e.When != "" {
		kw += " " + e.When
	}
	l.warnf(at, "no effect in leased: %s in %s at %s (%s)", kw, scope, at, e.Reason)
}

// isLeaseCmds reports whether library names Kea's lease commands hook,
// whose commands leased has built in.
func isLeaseCmds(library string) bool { return isHook(library, hookLeaseCmds) }

// isHA reports whether library names Kea's high-availability hook, which
// leased has built in: the daemon reads its parameters.
func isHA(library string) bool { return isHook(library, hookHA) }

// isHook reports whether library is the hook named name, in any
// directory and with any suffix (libdhcp_ha.so.0, libdhcp_ha.dylib).
func isHook(library, name string) bool {
	base := library
	if i := strings.LastIndexByte(base, '/'); i >= 0 {
		base = base[i+1:]
	}
	if i := strings.IndexByte(base, '.'); i > 0 {
		base = base[:i]
	}
	return base == strings.TrimSuffix(name, ".so")
}
