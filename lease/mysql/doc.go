// Package mysql is a lease.Store kept in Kea's MySQL schema, on MySQL or
// MariaDB, so that leased and kea-dhcp4 can share one database.
//
// It reads and writes the lease4 table of schema 14.0, the one Debian's
// Kea 2.2 creates with `kea-admin db-init mysql`, with the encodings
// kea-dhcp4 2.2 uses there: the address as INT UNSIGNED, the hardware
// address as VARBINARY (empty for a declined lease), the client
// identifier as VARBINARY or NULL when there is none, the user context as
// text or NULL when there is none (the schema's triggers parse it as
// JSON), the hostname as text (empty, not NULL), the state as Kea numbers
// it. What every SQL store shares, the row and its conversion, Kea's
// limits, the guard and the statistics, is package sqlstore's; this
// package is the MySQL dialect over it. Schema 14.0 has no column for the
// pool: a lease's PoolID is what Options.PoolID says for its subnet and
// address (0 without it). Nor has it a released state.
//
// It also reads and writes schema 35.0, Kea 3.1.9's and 3.2's (what
// `leased db upgrade mysql` makes of 14.0), as kea-dhcp4 3.x does: the
// same columns, the client identifier up to 255 bytes, and three more:
// pool_id, the lease's PoolID as written (Options.PoolID does not give
// it there); relay_id and remote_id, the hexadecimal relay-id and
// remote-id of the user context's relay-agent-info (NULL without them).
// The triggers count leases by pool in lease4_pool_stat, where Stats
// reads them, and a lease may be released (state 3). A 35.0 database on
// which a Kea 3.x server keeps a shared free lease queue (rows in
// flq_pool4) is refused: its free list would have to change with every
// write here.
//
// Open reads schema_version and refuses any version but 14.0 and 35.0,
// naming the version found and those known, and a lease4 table whose
// columns are not that version's: a schema this package has not been
// checked against is never written. It never creates or alters a table.
//
// # Expiry and time zones
//
// expire is a TIMESTAMP: an instant, which the server converts from and
// to the session's time zone. Kea 2.2 sends it as wall-clock time in
// kea-dhcp4's local zone and reads it back the same way, and never sets
// the session's zone, which is then the server's: its rows are right
// only when kea-dhcp4 and the server run in one zone, and in a zone with
// daylight saving time the hour the clocks go back is ambiguous. This
// store's sessions run in UTC (time_zone '+00:00') and send and read the
// expiry as Unix seconds (FROM_UNIXTIME, UNIX_TIMESTAMP), so its rows
// are right whatever the zones of leased and the server. A TIMESTAMP
// holds 1970-01-01 00:00:01 to 2038-01-19 03:14:07 UTC: an expiry outside
// is refused, as Kea refuses one after 2038.
//
// # Two writers on one table
//
// The address is the primary key: an Add that loses the race to another
// writer (leased or Kea) gets the duplicate key error, returned as
// lease.ErrExists. Update and Delete with a prev lease are guarded as
// Kea's are, by the expiry that was read, and also by the client identity,
// subnet, state and lifetime (lease.SameVersion); a row changed in between
// matches nothing, and that is lease.ErrConflict. The sessions count the
// rows a write found, not those it changed, so a guarded write that left
// its row as it was still counts as done.
//
// # Durability and group commit
//
// Every write returns once its statement is committed, whatever
// Durability it asks for: the database's commit is the durability, and
// Sync has nothing left to do. The writes of concurrent callers are
// committed together (sqlstore.Group, as in lease/pgsql): while one
// transaction is in flight the writes that arrive wait, and the next
// takes all of them, up to sqlstore.MaxGroup, in one explicit transaction
// on one connection, one statement after the other and one COMMIT: one
// flush of InnoDB's log for many leases instead of one each. A writer
// alone goes at once. Each writer gets its own result: in InnoDB a
// duplicate key rolls back only its statement, so an Add that lost the
// race is its writer's lease.ErrExists and the others commit; a guarded
// write that matches no row is its writer's ErrConflict or ErrNotFound.
// Any other failing statement makes the group's writes run again one by
// one, so that only its writer fails. A lost connection fails every
// writer of the group (none is acknowledged, whether or not the server
// committed); a deadlock with another server's transaction
// (ER_LOCK_DEADLOCK, which rolls back the whole transaction) runs the
// group again. Reads are not grouped. The schema's triggers keep
// lease4_stat current on every write, and Stats reads its counts from
// there when no pools are asked for, so every server sharing the database
// reports the same.
//
// # Lost connections
//
// A call that fails because the connection failed (ConnectionLost: a
// network error, a broken connection, or the server shutting down or
// killing it) is reported to Options.OnLost, so that the caller can stop
// serving and reconnect as Kea's on-fail says; Ping checks the server.
// The pool reconnects by itself for the next call.
//
// Errors name the database, server and user; the password never appears.
package mysql
