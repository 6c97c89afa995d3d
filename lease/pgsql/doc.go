// Package pgsql is a lease.Store kept in Kea's PostgreSQL schema, so that
// leased and kea-dhcp4 can share one database.
//
// It reads and writes the lease4 table of schema 13.0, the one Debian's
// Kea 2.2 creates with `kea-admin db-init pgsql`, with the encodings
// kea-dhcp4 2.2 uses: the address as an unsigned 32-bit integer in a
// BIGINT, the hardware address and client identifier as BYTEA (empty, not
// NULL, when absent), the hostname and user context as text (empty, not
// NULL), the state as Kea numbers it. The schema has no column for the
// hardware type: every lease reads back as Ethernet, as Kea reads it. Nor
// has 13.0 one for the pool: a lease's PoolID is what Options.PoolID says
// for its subnet and address (0 without it), and is not stored.
//
// It reads and writes schema 34.0 too, Kea 3.1.9 and 3.2's (`leased db
// upgrade` or Kea's kea-admin db-upgrade make it from 13.0): there a
// lease's pool is stored in pool_id (counted per pool by the schema's
// triggers in lease4_pool_stat, where Stats reads it), relay_id and
// remote_id hold the relay-id and remote-id of the user context's relay
// information as Kea 3.x writes them (NULL without), and released leases
// are stored.
//
// Open reads schema_version and refuses any version but 13.0 and 34.0, a
// lease4 table whose columns are not that version's, and a 34.0 database
// on which a Kea 3.x server runs the shared-flq allocator (whose free
// list this package does not keep): a schema this package has not been
// checked against is never written. It never creates or alters a table;
// package schema does (leased db).
//
// # Expiry and time zones
//
// Kea 2.2 sends expire as wall-clock text in kea-dhcp4's local time zone,
// which PostgreSQL reads in the session's time zone; its rows are right
// only when both agree. This store sends the expiry as an instant (a binary
// timestamptz) and reads it back as Unix seconds
// (extract(epoch from expire)), as Kea does, so its rows are right whatever
// the time zones of leased, the server and the session. Run kea-dhcp4 and
// PostgreSQL in one time zone (UTC) when they share the database.
//
// # Two writers on one table
//
// The address is the primary key: an Add that loses the race to another
// writer (leased or Kea) inserts nothing, and returns lease.ErrExists. Update and Delete with a prev lease are guarded as
// Kea's are, by the expiry that was read, and also by the client identity,
// subnet, state and lifetime (lease.SameVersion); a row changed in between
// matches nothing, and that is lease.ErrConflict. The store says it is
// shared (lease.Shared), so that the engine takes both as a lost race
// (another candidate, or a second reading of the row), not as a fault.
//
// # Durability and group commit
//
// Add, Update, Put and Delete return once their statement is committed,
// whatever Durability they ask for: the database's commit is the
// durability, and Sync has nothing left to do. The writes of concurrent
// callers are committed together (sqlstore.Group): while one transaction
// is in flight, the writes that arrive wait, and the next transaction
// takes all of them, up to sqlstore.MaxGroup, as one pipeline (pgx.Batch:
// one round trip, one implicit transaction, one flush of PostgreSQL's log
// for all of them). A writer alone goes at once, as one statement; under
// load the engine's many goroutines share a commit instead of each paying
// for its own (32 writers, 10,000 leases: 0.06 commits a lease, against
// one before; bench/RESULTS.md).
//
// One failing statement aborts a pipeline's transaction, so no statement
// fails on a lost race: Add inserts ON CONFLICT (address) DO NOTHING (the
// row it writes is Kea's; matching no row is lease.ErrExists), and a
// guarded Update or Delete that matches no row is its writer's
// ErrConflict or ErrNotFound. Each writer gets its own result. When a
// statement fails all the same (a row the schema refuses), the group's
// writes run again one by one, so that only its writer fails. When the
// connection is lost, every writer of the group gets the lost connection
// (and OnLost is told): none is acknowledged, whether or not the server
// committed. A deadlock with another server's transaction (a group holds
// many rows, and lease4_stat's, until it commits) runs the group again,
// and so does the unique violation of lease4_stat's key that Kea 2.2's
// triggers raise when two servers write a subnet's first lease at once
// (they UPDATE the count and INSERT it when they found none): that is no
// lost race, and not lease.ErrExists.
// Reads are not grouped, and neither are DeleteReclaimed and WipeSubnet.
//
// Triggers of Kea's schema keep lease4_stat current on every write, and
// Stats reads its counts from there when no pools are asked for, so every
// server sharing the database reports the same.
//
// # Lost connections
//
// A call that fails because the connection failed (ConnectionLost: no
// answer, or a shutdown or connection error from the server) is reported
// to Options.OnLost, so that the caller can stop serving and reconnect as
// Kea's on-fail says; Ping checks the server on fresh connections. The
// pool reconnects by itself for the next call.
//
// Errors name the database, host and user; the password never appears.
package pgsql
