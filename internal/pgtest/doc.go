// Package pgtest runs private PostgreSQL 15 clusters from Debian for
// tests: initdb and postgres as an unprivileged user (nobody, when the
// test runs as root) in a temporary directory, listening only on a unix
// socket there, with a template database holding Kea 2.2's schema made by
// Kea 2.2's own `kea-admin db-init pgsql`. Each test clones the template
// into a database of its own (NewDB).
//
// Shared gives one cluster per test process, stopped by Stop from
// TestMain; New gives a test a cluster of its own, which it may stop
// abruptly (Crash, as `pg_ctl stop -m immediate`) and start again
// (Restart), removed when the test ends. Unix sockets reach across
// network namespaces, so servers in a test's namespaces use the cluster
// without any network.
//
// Without the programs, or without the rights to run them, the test is
// skipped, or fails when LEASED_REQUIRE_E2E=1.
package pgtest
