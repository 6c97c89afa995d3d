// Package netns creates Linux network namespaces and runs code inside
// them, for programs (not only tests) that build private networks, such
// as `leased demo`.
//
// Namespaces are named and created with iproute2 (`ip netns add`), so they
// are visible to `ip netns exec` as well. Go code runs inside one through
// [NS.Do], which moves one locked OS thread into the namespace for the
// duration of a function: sockets opened there belong to the namespace and
// may be used from any goroutine afterwards, but goroutines started inside
// the function do not inherit the namespace.
//
// Network namespaces are Linux's: on other systems the package is empty.
package netns
