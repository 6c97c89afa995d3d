package pgsql

import (
	"fmt"

	"github.com/leased/leased/lease"
	"github.com/leased/leased/lease/pgsql/schema"
	"github.com/leased/leased/lease/sqlstore"
)

// Schema 34.0 (Kea 3.1.9 and 3.2) adds three columns to lease4: relay_id
// and remote_id (schema 15.0) and pool_id (17.0), counts leases per pool
// in lease4_pool_stat (17.0) and has the state released (23.0). Everything
// else this package reads and writes is as in 13.0. A Kea 3.x server
// running the shared-flq allocator keeps a free list in flq_pool4 and
// free_lease4 that every write of its subnets must maintain; this package
// does not, and refuses such a database (see checkFLQ).

// statements are the statements that name lease4's columns, for one
// schema version.
type statements struct {
	version                               schema.Version
	columns                               map[string]string
	insert, upsert, update, updateGuarded string
	// add is insert that leaves a row already at the address as it is
	// and matches no row, instead of failing: in a group's transaction a
	// failed statement would abort the others.
	add                                               string
	get, getHW, getCID, findHW, findCID, findHostname string
	page, pageSubnet, expired                         string
	// stats counts leases by subnet, pool and state (pool 0 in 13.0).
	stats string
	// poolColumns: lease4 has pool_id, relay_id and remote_id; released:
	// the state released exists.
	poolColumns, released bool
}

func reads(sel string) statements {
	return statements{
		get:          sel + `WHERE address = $1`,
		getHW:        sel + `WHERE hwaddr = $1 AND ` + inSubnet2 + latestFirst + `LIMIT 1`,
		getCID:       sel + `WHERE client_id = $1 AND ` + inSubnet2 + latestFirst + `LIMIT 1`,
		findHW:       sel + `WHERE hwaddr = $1 ORDER BY address`,
		findCID:      sel + `WHERE client_id = $1 ORDER BY address`,
		findHostname: sel + `WHERE lower(hostname) = $1 ORDER BY address`,
		page:         sel + `WHERE address > $1 ORDER BY address LIMIT $2`,
		pageSubnet:   sel + `WHERE address > $1 AND subnet_id = $3 ORDER BY address LIMIT $2`,
		expired:      sel + `WHERE state != 2 AND valid_lifetime != 4294967295 AND expire <= $1 ORDER BY expire, address LIMIT $2`,
	}
}

var sql13, sql34 = func() (statements, statements) {
	a := reads(selectColumns)
	a.version = schema.Kea22
	a.columns = columns13
	a.insert, a.upsert, a.update, a.updateGuarded = sqlInsert, sqlUpsert, sqlUpdate, sqlUpdateGuarded
	a.stats = sqlStatsKea
	a.add = a.insert + onConflictNothing

	b := reads(`SELECT address, hwaddr, client_id, valid_lifetime, extract(epoch from expire)::bigint, subnet_id, fqdn_fwd, fqdn_rev, hostname, state, user_context, pool_id FROM lease4 `)
	b.version = schema.Kea32
	b.columns = map[string]string{"relay_id": "bytea", "remote_id": "bytea", "pool_id": "bigint"}
	for k, v := range columns13 {
		b.columns[k] = v
	}
	b.insert = `INSERT INTO lease4 (address, hwaddr, client_id, valid_lifetime, expire, subnet_id, fqdn_fwd, fqdn_rev, hostname, state, user_context, relay_id, remote_id, pool_id) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14)`
	b.upsert = b.insert + ` ON CONFLICT (address) DO UPDATE SET hwaddr = EXCLUDED.hwaddr, client_id = EXCLUDED.client_id, valid_lifetime = EXCLUDED.valid_lifetime, expire = EXCLUDED.expire, subnet_id = EXCLUDED.subnet_id, fqdn_fwd = EXCLUDED.fqdn_fwd, fqdn_rev = EXCLUDED.fqdn_rev, hostname = EXCLUDED.hostname, state = EXCLUDED.state, user_context = EXCLUDED.user_context, relay_id = EXCLUDED.relay_id, remote_id = EXCLUDED.remote_id, pool_id = EXCLUDED.pool_id`
	b.update = `UPDATE lease4 SET hwaddr = $2, client_id = $3, valid_lifetime = $4, expire = $5, subnet_id = $6, fqdn_fwd = $7, fqdn_rev = $8, hostname = $9, state = $10, user_context = $11, relay_id = $12, remote_id = $13, pool_id = $14 WHERE address = $1`
	b.updateGuarded = b.update + fmt.Sprintf(guard, 15, 16, 17, 18, 19, 20)
	b.add = b.insert + onConflictNothing
	// lease4_pool_stat, kept by the triggers, has states 0 and 1; the
	// others are counted.
	b.stats = `SELECT subnet_id, pool_id, state, leases FROM lease4_pool_stat UNION ALL SELECT subnet_id, pool_id, state, count(*) FROM lease4 WHERE state NOT IN (0, 1) GROUP BY subnet_id, pool_id, state`
	b.poolColumns, b.released = true, true
	return a, b
}()

// statementsFor returns the statements of schema version v, if this
// package has been checked against it.
func statementsFor(v schema.Version) (*statements, bool) {
	switch v {
	case schema.Kea22:
		return &sql13, true
	case schema.Kea32:
		return &sql34, true
	}
	return nil, false
}

// args are l's values in the column order of the insert statement.
func (q *statements) args(l *lease.Lease) []any {
	a := []any{addrInt(l.Addr), nonNil(l.HWAddr), nonNil(l.ClientID), int64(l.ValidLifetime), expireOf(l),
		int64(l.SubnetID), l.FQDNFwd, l.FQDNRev, l.Hostname, int64(l.State), l.UserContext}
	if q.poolColumns {
		relay, remote := sqlstore.RelayIDs(l.UserContext)
		a = append(a, relay, remote, int64(l.PoolID))
	}
	return a
}
