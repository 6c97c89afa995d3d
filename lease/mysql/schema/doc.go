// Package schema creates and upgrades Kea's MySQL schema, for `leased db
// init|upgrade mysql` and for anyone without Kea's kea-admin.
//
// Init makes in an empty MySQL or MariaDB database the schema 14.0 that
// Kea 2.2's `kea-admin db-init mysql` makes, so that kea-dhcp4 2.2 serves
// on it and kea-admin lease-dump reads it. Upgrade takes a 14.0 database
// to 35.0, the schema of Kea 3.1.9 and 3.2: the changes of Kea's versions
// 15.0 to 35.0 together, data included (lease pool counts, IPv6 addresses
// as 16 bytes, the IA_TA leases as IA_NA ones, configuration-backend
// parameters and client classes renamed and converted), leaving what
// Kea's own version-by-version upgrade leaves; kea-dhcp4 2.2 refuses the
// result, as Kea refuses any version but its own. Only 14.0 and 35.0 are
// known here: a database at any other version is refused, never guessed
// at.
//
// MySQL commits every change of a table's structure at once, so an
// upgrade cannot be one transaction. Upgrade first checks what would
// make a statement fail (a table of 35.0 already there, an IPv6 address
// that does not parse, an option definition of an unknown type) and
// refuses with nothing changed; a failure after it began (the connection
// lost, the server stopped) leaves the database part way, its version
// still 14.0, to be restored from a backup (ErrPartial), as with
// kea-admin.
//
// # Kea's interface and leased's code
//
// What Kea's programs read and write is an interface, and is Kea's: the
// tables, their columns, types, defaults, NULL-ness and keys, the
// indexes and foreign keys, the rows of the lookup tables (lease_state,
// lease6_types, lease_hwaddr_source, modification, parameter_data_type,
// dhcp_option_scope, host_identifier_type, the servers "all", and
// schema_version), the triggers (names, tables, timing and events), the
// routines' names and parameters, the session variables they share with
// Kea's programs (@disable_audit, @audit_revision_id,
// @cascade_transaction, @json_supported, @client_class_id, ...), the
// CSV header and columns of the dump procedures and the texts
// checkLease4Limits and checkLease6Limits return. These are kea-admin's;
// the tests compare them with a database kea-admin made, from
// information_schema. The tables take the database's default character
// set, as kea-admin's do.
//
// Everything else is leased's own: every statement, routine and trigger
// body in create_14.sql and upgrade_14_to_35.sql, written from what each
// must do (the lease counts by subnet, pool and class, the limits, the
// dump and upload formats, the configuration backend's audit and client
// class order, the shared free lease queue), not from Kea's text. The
// tests run the same statements on kea-admin's database and on Init's
// and compare the rows they leave; Kea 2.2 has no 35.0 to compare with:
// there the structure an upgrade leaves is checked, line by line, against
// the changes Kea's upgrade scripts 15.0 to 35.0 make, and the counts
// against the leases.
//
// Where Kea 3.x's routine fails by a bug, ours does what the routine is
// for: incrementV6Prefix adds one at the prefix length's bit for any
// length (Kea's adds the wrong amount when the length is not a multiple
// of 8 and 3 or more bits of its last byte are host bits);
// sflqCreateFlqPool6 leaves out addresses an unreclaimed lease holds
// (Kea's compares lease6's bytes with the address's text, and so lists
// every address free); sflqPickFreeLease6 can give the range's first
// address (Kea's skips it). The JSON errors an update's class count
// passes over are Kea's: on MariaDB an empty user context counts in no
// class, a context that is not JSON fails the update.
//
// MySQL cannot create tables in a transaction: Init checks that the
// database is empty first, and when a statement fails it drops what it
// created, leaving the database empty again.
package schema
