// Package hosts is where host reservations kept outside the configuration
// file are looked up: a Source, such as hosts/pgsql over Kea's host tables,
// that the engine asks after the file's own reservations, as kea-dhcp4
// asks its hosts-databases after its configuration. A Store is a Source
// that the reservation-* commands also change.
//
// Reservations come back as config.Host values, the same type the file's
// reservations have, so the engine serves both alike; JSON renders one as
// Kea's host commands show it.
//
// # When the database fails
//
// A lookup that fails is never read as "no reservation": the engine drops
// a message whose client's reservation cannot be looked up (as kea-dhcp4
// drops a message its host backend throws on), and skips an address it
// cannot check against the database rather than offer it, so that no
// client is given an address reserved for another nor loses its own
// reservation. The daemon adds Kea's on-fail around a Store, as for the
// lease database: stop-retry-exit disables the DHCP service while
// reconnecting (every reconnect-wait-time, max-reconnect-tries times)
// and exits when the tries run out; serve-retry-exit and
// serve-retry-continue keep serving meanwhile, that is, answer only the
// clients whose reservation the configuration file settles without the
// database, and drop the others, until the database answers (Ping); the
// first exits when the tries run out, the second serves on and keeps
// dropping what needs the database. What a failure cost is counted in
// the statistics pkt4-hosts-database-drop (messages dropped, also in
// pkt4-receive-drop) and v4-hosts-database-address-skip (addresses not
// offered), leased's own: Kea has none.
package hosts
