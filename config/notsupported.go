package config

import (
	"path"
	"sort"
	"strings"
)

// Unsupported is a Kea keyword, or a value of one, that leased rejects
// because it does not implement it yet.
type Unsupported struct {
	// Keyword is the key as written in the configuration.
	Keyword string
	// Scope is where the key appears (Dhcp4, subnet4, lease-database...).
	Scope string
	// When, if not empty, is the value that is not supported; other
	// values of the keyword are accepted.
	When string
	// Reason says what is missing, for the operator.
	Reason string
}

// notSupported is the single list of what is rejected as not supported
// yet. Keep it sorted by scope, then keyword.
var notSupported = []Unsupported{
	{Keyword: "config-control", Scope: "Dhcp4", Reason: "configuration backends (config databases) are not implemented; keep the configuration in the file"},
	{Keyword: "dhcp4o6-port", Scope: "Dhcp4", When: "other than 0", Reason: "DHCPv4-over-DHCPv6 is not implemented"},
	{Keyword: "early-global-reservations-lookup", Scope: "Dhcp4", When: "true", Reason: "looking up global reservations before subnet selection is not implemented"},
	{Keyword: "stash-agent-options", Scope: "Dhcp4", When: "true", Reason: "remembering relay agent options for unicast renewals is not implemented"},
	{Keyword: "adaptive-lease-time-threshold", Scope: "Dhcp4, shared-networks, subnet4", Reason: "shortening lifetimes as a free-lease-queue pool fills is not implemented"},
	{Keyword: "allocator", Scope: "Dhcp4, shared-networks, subnet4", When: `"shared-flq"`, Reason: "the shared free-lease-queue allocator needs the SQL free-lease tables, which are not implemented; use \"iterative\", \"random\" or \"flq\""},
	{Keyword: "client-class", Scope: "client-classes", Reason: "a client-class key inside a class definition has no meaning leased can honour"},
	{Keyword: "exclude-first-last-24", Scope: "compatibility", When: "true", Reason: "skipping the .0 and .255 addresses of pools is not implemented"},
	{Keyword: "ignore-dhcp-server-identifier", Scope: "compatibility", When: "true", Reason: "ignoring the server identifier of requests is not implemented"},
	{Keyword: "lenient-option-parsing", Scope: "compatibility", When: "true", Reason: "the lenient reading of malformed options is not implemented"},
	{Keyword: "enable-queue", Scope: "dhcp-queue-control", When: "true", Reason: "the congestion-handling packet queue is not implemented"},
	{Keyword: "binding-variables", Scope: "hooks-libraries", When: "not empty, in the parameters of libdhcp_lease_cmds.so", Reason: "binding variables (values computed per lease into its user context, Kea 2.7.7) are not implemented"},
	{Keyword: "library", Scope: "hooks-libraries", When: "libdhcp_mysql_cb.so, libdhcp_pgsql_cb.so, libdhcp_cb_cmds.so", Reason: "configuration backends are not implemented"},
	{Keyword: "4o6-interface", Scope: "subnet4", When: "not empty", Reason: "DHCPv4-over-DHCPv6 is not implemented"},
	{Keyword: "4o6-interface-id", Scope: "subnet4", When: "not empty", Reason: "DHCPv4-over-DHCPv6 is not implemented"},
	{Keyword: "4o6-subnet", Scope: "subnet4", When: "not empty", Reason: "DHCPv4-over-DHCPv6 is not implemented"},
}

// NotSupported returns the keywords and values that Kea accepts and leased
// rejects as "not supported yet", sorted by scope and keyword. The slice is
// a copy.
func NotSupported() []Unsupported {
	return sortedByScope(notSupported, func(u Unsupported) (string, string) { return u.Scope, u.Keyword })
}

// sortedByScope returns a copy of list sorted by scope, then keyword, as
// key gives them, keeping the order of entries that tie.
func sortedByScope[T any](list []T, key func(T) (scope, keyword string)) []T {
	out := append([]T(nil), list...)
	sort.SliceStable(out, func(i, j int) bool {
		si, ki := key(out[i])
		sj, kj := key(out[j])
		if si != sj {
			return si < sj
		}
		return ki < kj
	})
	return out
}

// findNotSupported returns the entry for keyword in scope; with when empty
// it matches only entries that reject every value, otherwise the entry
// whose When contains when.
func findNotSupported(scope, keyword, when string) *Unsupported {
	for i := range notSupported {
		ns := &notSupported[i]
		if ns.Keyword != keyword || !inScopes(ns.Scope, scope) {
			continue
		}
		if when == "" && ns.When == "" || when != "" && ns.When != "" && strings.Contains(ns.When, when) {
			return ns
		}
	}
	return nil
}

func inScopes(list, scope string) bool {
	for _, s := range strings.Split(list, ", ") {
		if s == scope {
			return true
		}
	}
	return false
}

// unsupportedHook returns the entry rejecting a hook library, matched by
// its file name.
func unsupportedHook(library string) *Unsupported {
	base := path.Base(library)
	if base == "." || base == "/" || !strings.HasPrefix(base, "libdhcp_") {
		return nil
	}
	// A name like libdhcp_ha.so.0 or libdhcp_ha.dylib names the same
	// library.
	name := base
	if i := strings.Index(name, "."); i > 0 {
		name = name[:i]
	}
	for i := range notSupported {
		ns := &notSupported[i]
		if ns.Scope != "hooks-libraries" || ns.Keyword != "library" {
			continue
		}
		for _, w := range strings.Split(ns.When, ", ") {
			if strings.TrimSuffix(w, ".so") == name {
				return ns
			}
		}
	}
	return nil
}
