// Package hosts is where host reservations kept outside the configuration
// file are looked up: a Source, such as hosts/pgsql over Kea's host tables,
// that the engine asks after the file's own reservations, as kea-dhcp4
// asks its hosts-databases after its configuration. A Store is a Source
// that the reservation-* commands also change.
//
// Reservations come back as config.Host values, the same type the file's
// reservations have, so the engine serves both alike; JSON renders one as
// Kea's host commands show it.
package hosts
