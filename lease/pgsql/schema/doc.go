// Package schema creates and upgrades Kea's PostgreSQL schema, for
// `leased db init|upgrade|version` and for anyone without Kea's
// kea-admin.
//
// Init makes in an empty database the schema 13.0 that Kea 2.2's
// `kea-admin db-init pgsql` makes: the same tables, columns, types,
// defaults, constraints, indexes, triggers and functions (pg_dump -s of
// the two is the same), and the same rows in the lookup tables
// (lease_state, lease_hwaddr_source, host_identifier_type,
// dhcp_option_scope, schema_version, ...), so that kea-dhcp4 2.2 serves
// on it. Upgrade takes a 13.0 database to 34.0, the schema of Kea 3.1.9
// and 3.2, in one transaction: the changes of Kea's versions 14.0 to 34.0
// together, data included (lease pool counts, IPv6 addresses as inet,
// configuration-backend parameters renamed), leaving what Kea's own
// version-by-version upgrade leaves. Read returns a database's version.
//
// The SQL is ours, written from what kea-admin makes (its pg_dump) and
// from the changes each Kea version made. Only 13.0 and 34.0 are known
// here: a database at any other version is refused, never guessed at.
package schema
