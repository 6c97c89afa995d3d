// Package schema creates and upgrades Kea's PostgreSQL schema, for
// `leased db init|upgrade|version` and for anyone without Kea's
// kea-admin.
//
// Init makes in an empty database the schema 13.0 that Kea 2.2's
// `kea-admin db-init pgsql` makes, so that kea-dhcp4 2.2 serves on it.
// Upgrade takes a 13.0 database to 34.0, the schema of Kea 3.1.9 and
// 3.2, in one transaction: the changes of Kea's versions 14.0 to 34.0
// together, data included (lease pool counts, IPv6 addresses as inet,
// configuration-backend parameters renamed), leaving what Kea's own
// version-by-version upgrade leaves. Read returns a database's version.
// Only 13.0 and 34.0 are known here: a database at any other version is
// refused, never guessed at.
//
// # Kea's interface and leased's code
//
// What Kea's programs read and write is an interface, and is Kea's: the
// tables, their columns, types, defaults and constraints, the indexes,
// the triggers (their names, tables, events and the function each runs),
// the functions' signatures (names, argument names and types, results,
// languages), the rows of the lookup tables (lease_state,
// lease_hwaddr_source, host_identifier_type, dhcp_option_scope,
// modification, schema_version, ...), the names of the kea.* session
// settings the functions pass values in, the CSV header and columns of
// the dump functions, and the texts checklease4limits and
// checklease6limits return. These are the same as kea-admin's; the tests
// compare them with a database kea-admin made, catalog by catalog.
//
// Everything else is leased's own: the SQL of create_13.sql and
// upgrade_13_to_34.sql, and every function body in them, written from
// what each function must do (the lease counts and limits, the
// configuration backend's audit and client class order, the dump and
// upload formats, the shared free lease queue), not from Kea's text. The
// tests run the same statements on kea-admin's database and on Init's
// and compare the rows they leave: lease counts, audit entries, class
// order, dumps and uploads by kea-admin itself, the helpers' results.
// Kea 2.2 has no 34.0 to compare with: there the pool counts are checked
// against recounts of the leases, and the shared free lease queue and
// its IPv6 byte helpers against what Go computes.
//
// Where Kea 2.2's function fails by a bug, ours does what the function
// is for, and the tests say so: checkdhcpv4clientclassknowndependencychange
// (and its v6 twin) fails in Kea 2.2 whenever a class that others depend
// on depended on KNOWN (a PL/pgSQL SET taken for a server setting), ours
// only when that dependency changed; checkdhcpv4clientclassdependency
// fails on an unmet server dependency with SQLSTATE 2F000 like its v6
// twin, not Kea 2.2's 42703 (an unknown variable in its message); and
// sflqpickfreelease6 returns '::' for an unknown pool where Kea 3.x's
// fails. Error messages are our own wording; what fails, and its
// SQLSTATE where Kea sets one, is Kea's.
package schema
