// Package schema creates Kea's MySQL schema, for `leased db init mysql`
// and for anyone without Kea's kea-admin.
//
// Init makes in an empty MySQL or MariaDB database the schema 14.0 that
// Kea 2.2's `kea-admin db-init mysql` makes, so that kea-dhcp4 2.2 serves
// on it and kea-admin lease-dump reads it. Upgrades are not made here:
// Kea 3.x's MySQL schema has not been checked against, and a schema is
// never guessed at.
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
// Everything else is leased's own: every routine and trigger body in
// create_14.sql, written from what each must do (the lease counts, the
// limits, the dump and upload formats, the configuration backend's audit
// and client class order), not from Kea's text. The tests run the same
// statements on kea-admin's database and on Init's and compare the rows
// they leave.
//
// MySQL cannot create tables in a transaction: Init checks that the
// database is empty first, and when a statement fails it drops what it
// created, leaving the database empty again.
package schema
