// Package keacsv reads and writes Kea's memfile lease file, the CSV that
// kea-dhcp4 keeps its leases in, so that leases can move between Kea and
// leased in either direction.
//
// [Reader] accepts every schema Kea has written: from the 9-column form
// that ends at hostname, through Kea 2.2's 11 columns (state and
// user_context), to Kea 3.x's 12 (pool_id); columns it does not know are
// ignored, as Kea does when a newer file is downgraded. Hardware addresses
// and client identifiers are colon-separated hex, expire is Unix seconds
// (the lease's CLTT is expire minus valid_lifetime), and hostname and
// user_context carry Kea's "&#xHH" escapes. A row with valid_lifetime 0
// records a deletion. Errors name file:line.
//
// [Writer] writes the 12-column form, escaping as Kea 3.x does. [Export]
// writes every lease of a [lease.Store]; [Import] loads Kea files into one,
// later rows winning, as Kea's own start-up does, and entirely or not at
// all: an import the store cannot make durable is undone.
package keacsv
