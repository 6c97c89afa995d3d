package mysql

import (
	"context"
	"fmt"

	"github.com/leased/leased/lease"
	"github.com/leased/leased/lease/sqlstore"
)

// Kea32 is the MySQL schema of Kea 3.1.9 and 3.2, what their kea-admin
// db-init mysql makes and what `leased db upgrade mysql` makes of 14.0.
var Kea32 = Version{35, 0}

// Schema 35.0 widens lease4's client_id to 255 bytes and adds three
// columns: relay_id and remote_id (16.0, copies of the identifiers the
// user context holds) and pool_id (18.0); it counts leases per pool in
// lease4_pool_stat (18.0) and has the state released (23.0). Everything
// else this package reads and writes is as in 14.0. A Kea 3.x server
// running the shared-flq allocator keeps a free list in flq_pool4 and
// free_lease4 that every write of its pools must maintain; this package
// does not, and refuses such a database (see checkFLQ).

// statements are the statements that name lease4's columns, for one
// schema version. update takes the address after the values, as Kea's
// UPDATE does; guard follows update and delete.
type statements struct {
	version                                           Version
	columns                                           map[string]string
	insert, upsert, update                            string
	get, getHW, getCID, findHW, findCID, findHostname string
	page, pageSubnet, expired                         string
	// stats counts leases by subnet, pool (0 in 14.0) and state.
	stats string
	// poolColumns: lease4 has pool_id, relay_id and remote_id; released:
	// the state released exists.
	poolColumns, released bool
}

// columns14 are lease4's columns in schema 14.0 and their data types.
var columns14 = map[string]string{
	"address":        "int",
	"hwaddr":         "varbinary",
	"client_id":      "varbinary",
	"valid_lifetime": "int",
	"expire":         "timestamp",
	"subnet_id":      "int",
	"fqdn_fwd":       "tinyint",
	"fqdn_rev":       "tinyint",
	"hostname":       "varchar",
	"state":          "int",
	"user_context":   "text",
}

func reads(sel string) statements {
	return statements{
		get:          sel + `WHERE address = ?`,
		getHW:        sel + `WHERE hwaddr = ? AND subnet_id = ? ` + latestFirst + `LIMIT 1`,
		getCID:       sel + `WHERE client_id = ? AND subnet_id = ? ` + latestFirst + `LIMIT 1`,
		findHW:       sel + `WHERE hwaddr = ? ORDER BY address`,
		findCID:      sel + `WHERE client_id = ? ORDER BY address`,
		findHostname: sel + `WHERE lower(hostname) = ? ORDER BY address`,
		page:         sel + `WHERE address > ? ORDER BY address LIMIT ?`,
		pageSubnet:   sel + `WHERE address > ? AND subnet_id = ? ORDER BY address LIMIT ?`,
		expired:      sel + `WHERE state != 2 AND valid_lifetime != 4294967295 AND expire <= FROM_UNIXTIME(?) ORDER BY expire, address LIMIT ?`,
	}
}

var sql14, sql35 = func() (statements, statements) {
	a := reads(selectColumns)
	a.version, a.columns = Kea22, columns14
	a.insert, a.upsert, a.update, a.stats = sqlInsert, sqlUpsert, sqlUpdate, sqlStatsKea

	b := reads(`SELECT address, hwaddr, client_id, valid_lifetime, UNIX_TIMESTAMP(expire), subnet_id, fqdn_fwd, fqdn_rev, hostname, state, user_context, pool_id FROM lease4 `)
	b.version = Kea32
	b.columns = map[string]string{"relay_id": "varbinary", "remote_id": "varbinary", "pool_id": "int"}
	for k, v := range columns14 {
		b.columns[k] = v
	}
	b.insert = `INSERT INTO lease4 (address, hwaddr, client_id, valid_lifetime, expire, subnet_id, fqdn_fwd, fqdn_rev, hostname, state, user_context, relay_id, remote_id, pool_id) VALUES (?, ?, ?, ?, FROM_UNIXTIME(?), ?, ?, ?, ?, ?, ?, ?, ?, ?)`
	b.upsert = b.insert + ` ON DUPLICATE KEY UPDATE hwaddr = VALUES(hwaddr), client_id = VALUES(client_id), valid_lifetime = VALUES(valid_lifetime), expire = VALUES(expire), subnet_id = VALUES(subnet_id), fqdn_fwd = VALUES(fqdn_fwd), fqdn_rev = VALUES(fqdn_rev), hostname = VALUES(hostname), state = VALUES(state), user_context = VALUES(user_context), relay_id = VALUES(relay_id), remote_id = VALUES(remote_id), pool_id = VALUES(pool_id)`
	b.update = `UPDATE lease4 SET hwaddr = ?, client_id = ?, valid_lifetime = ?, expire = FROM_UNIXTIME(?), subnet_id = ?, fqdn_fwd = ?, fqdn_rev = ?, hostname = ?, state = ?, user_context = ?, relay_id = ?, remote_id = ?, pool_id = ? WHERE address = ?`
	// lease4_pool_stat, kept by the triggers, has states 0 and 1; the
	// others are counted.
	b.stats = `SELECT subnet_id, pool_id, state, leases FROM lease4_pool_stat UNION ALL SELECT subnet_id, pool_id, state, count(*) FROM lease4 WHERE state NOT IN (0, 1) GROUP BY subnet_id, pool_id, state`
	b.poolColumns, b.released = true, true
	return a, b
}()

// statementsFor returns the statements of schema version v, if this
// package has been checked against it.
func statementsFor(v Version) (*statements, bool) {
	switch v {
	case Kea22:
		return &sql14, true
	case Kea32:
		return &sql35, true
	}
	return nil, false
}

// args are l's values in the column order of insert. An absent client
// identifier and user context are NULL, as Kea writes them in MySQL (in
// PostgreSQL it writes them empty); the schema's triggers parse a
// non-NULL user context as JSON, and fail on an empty one. An absent
// hardware address is empty, as Kea writes it. In 35.0 the relay and
// remote identifiers follow (NULL when the context has none, as Kea
// writes an empty one), then the pool.
func (q *statements) args(l *lease.Lease) []any {
	var cid, uctx any
	if len(l.ClientID) > 0 {
		cid = l.ClientID
	}
	if l.UserContext != "" {
		uctx = l.UserContext
	}
	a := []any{sqlstore.Addr(l.Addr), sqlstore.NonNil(l.HWAddr), cid, int64(l.ValidLifetime),
		sqlstore.Expire(l), int64(l.SubnetID), l.FQDNFwd, l.FQDNRev, l.Hostname, int64(l.State), uctx}
	if q.poolColumns {
		relay, remote := sqlstore.RelayIDs(l.UserContext)
		a = append(a, nilIfEmpty(relay), nilIfEmpty(remote), int64(l.PoolID))
	}
	return a
}

func nilIfEmpty(b []byte) any {
	if len(b) == 0 {
		return nil
	}
	return b
}

// checkFLQ refuses a 35.0 database on which a Kea 3.x server runs the
// shared-flq allocator: its free list (free_lease4) must change with
// every write to the leases of its pools, which this package does not do.
func (s *Store) checkFLQ(ctx context.Context) error {
	var pools int64
	if err := s.db.QueryRowContext(ctx, "SELECT count(*) FROM flq_pool4").Scan(&pools); err != nil {
		return s.lost(fmt.Errorf("read flq_pool4: %w", err))
	}
	if pools > 0 {
		return fmt.Errorf("a Kea 3.x server runs the shared-flq allocator on this database (flq_pool4 has %d pools): leased does not keep its shared free lease queue (free_lease4) yet, so it does not write here; use another allocator on the Kea side", pools)
	}
	return nil
}
