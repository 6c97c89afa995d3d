package pgsql

import (
	"context"
	"errors"
	"fmt"
	"net/netip"
	"strings"
	"sync/atomic"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgtype"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/leased/leased/dhcpv4"
	"github.com/leased/leased/lease"
	"github.com/leased/leased/lease/pgsql/schema"
	"github.com/leased/leased/lease/sqlstore"
)

// Options say which database to use and how.
type Options struct {
	// Host is a host name, an IP address, or the directory holding the
	// server's unix socket. Empty means libpq's default (PGHOST, else the
	// socket directory /var/run/postgresql).
	Host string
	// Port is the TCP port, or the number in the socket's name; 0 means
	// 5432.
	Port uint16
	// Name is the database's name, User and Password the role that logs in.
	Name     string
	User     string
	Password string
	// ConnectTimeout bounds each connection attempt; 0 means no bound
	// beyond the caller's context.
	ConnectTimeout time.Duration
	// MaxConns is the size of the connection pool; 0 means
	// DefaultMaxConns.
	MaxConns int32
	// TCPUserTimeout bounds how long data sent on a TCP connection may
	// stay unacknowledged before the connection counts as broken (Linux's
	// TCP_USER_TIMEOUT, libpq's tcp_user_timeout); 0 means the system's.
	TCPUserTimeout time.Duration
	// SSLMode is libpq's sslmode (disable, prefer, require, verify-ca,
	// verify-full); empty means libpq's default (PGSSLMODE, else prefer).
	// TrustAnchor (sslrootcert), CertFile (sslcert) and KeyFile (sslkey)
	// are the files for TLS.
	SSLMode, TrustAnchor, CertFile, KeyFile string
	// OnLost, when not nil, is called with the error each time a call
	// fails because the connection to the server failed (rather than the
	// statement), so that the caller can start its recovery; it must not
	// block.
	OnLost func(error)
	// PoolID gives the pool of a lease read from the database, which
	// schema 13.0 does not store: the configuration's pool that holds addr
	// in the subnet. Nil means pool 0 for every lease.
	PoolID func(subnetID uint32, addr netip.Addr) uint32
}

// String describes o for logs, the password redacted.
func (o Options) String() string {
	pw := ""
	if o.Password != "" {
		pw = " password=*****"
	}
	return fmt.Sprintf("host=%s port=%d name=%s user=%s%s", o.Host, o.Port, o.Name, o.User, pw)
}

// GoString is String, so that %#v shows no password either.
func (o Options) GoString() string { return o.String() }

// MaxExpire is the latest expiry Kea accepts in its databases
// (DatabaseConnection::MAX_DB_TIME, the end of 32-bit time_t).
const MaxExpire = sqlstore.MaxExpire

// Store is a lease.Store in a PostgreSQL database with Kea's schema.
type Store struct {
	pool   *pgxpool.Pool
	where  string // the database, host and user, for errors
	poolID func(uint32, netip.Addr) uint32
	onLost func(error)
	sql    *statements // those of the schema's version
	closed atomic.Bool
	// group commits the writes of concurrent callers together.
	group *sqlstore.Group
}

var _ lease.Store = (*Store)(nil)

// DefaultMaxConns is the connection pool's size unless Options.MaxConns
// sets it: a server answers many clients at once, each waiting for its
// own commit, and the database server writes the commits that wait
// together with one flush of its log; with pgx's default (4 on a small
// machine) no more than 4 leases would share a flush.
const DefaultMaxConns = 32

// Open connects to the database, checks that its schema is Kea's 13.0 or
// 34.0 and returns the store, which reads and writes that version.
func Open(ctx context.Context, opts Options) (*Store, error) {
	cfg, err := PoolConfig(opts)
	if err != nil {
		return nil, fmt.Errorf("lease-database %w", err)
	}
	s := &Store{
		where:  Where(cfg.ConnConfig),
		poolID: opts.PoolID,
		onLost: opts.OnLost,
	}
	s.group = sqlstore.NewGroup(dialect{s})
	s.pool, err = pgxpool.NewWithConfig(ctx, cfg)
	if err != nil {
		return nil, fmt.Errorf("lease-database: %s: %w", s.where, err)
	}
	if err := s.checkSchema(ctx); err != nil {
		s.pool.Close()
		return nil, fmt.Errorf("lease-database: %s: %w", s.where, err)
	}
	return s, nil
}

// columns13 are lease4's columns in schema 13.0 and their types.
var columns13 = map[string]string{
	"address":        "bigint",
	"hwaddr":         "bytea",
	"client_id":      "bytea",
	"valid_lifetime": "bigint",
	"expire":         "timestamp with time zone",
	"subnet_id":      "bigint",
	"fqdn_fwd":       "boolean",
	"fqdn_rev":       "boolean",
	"hostname":       "character varying",
	"state":          "bigint",
	"user_context":   "text",
}

func (s *Store) checkSchema(ctx context.Context) error {
	v, err := schema.Read(ctx, s.pool)
	if errors.Is(err, schema.ErrNoSchema) {
		return fmt.Errorf("%w: create it with `leased db init` or Kea 2.2's `kea-admin db-init pgsql` (schema %s)", err, schema.Kea22)
	}
	if err != nil {
		return err
	}
	var ok bool
	if s.sql, ok = statementsFor(v); !ok {
		return fmt.Errorf("Kea schema version %s is not one leased has been verified with; it reads and writes %s (Kea 2.2's) and %s (Kea 3.1.9 and 3.2's) only, and never alters a schema (leased db upgrade takes 13.0 to 34.0)", v, schema.Kea22, schema.Kea32)
	}
	rows, err := s.pool.Query(ctx, "SELECT column_name, data_type FROM information_schema.columns WHERE table_schema = current_schema() AND table_name = 'lease4'")
	if err != nil {
		return fmt.Errorf("read the columns of lease4: %w", err)
	}
	found := map[string]string{}
	var name, typ string
	if _, err := pgx.ForEachRow(rows, []any{&name, &typ}, func() error {
		found[name] = typ
		return nil
	}); err != nil {
		return fmt.Errorf("read the columns of lease4: %w", err)
	}
	for col, want := range s.sql.columns {
		if got, ok := found[col]; !ok {
			return fmt.Errorf("schema %s but table lease4 has no column %s", v, col)
		} else if got != want {
			return fmt.Errorf("schema %s but column lease4.%s is %s, not %s", v, col, got, want)
		}
	}
	for col := range found {
		if _, ok := s.sql.columns[col]; !ok {
			return fmt.Errorf("schema %s but table lease4 has a column %s that schema does not have", v, col)
		}
	}
	if s.sql.poolColumns {
		return s.checkFLQ(ctx)
	}
	return nil
}

// checkFLQ refuses a 34.0 database on which a Kea 3.x server runs the
// shared-flq allocator: its free list (free_lease4) must change with
// every write to the leases of its pools, which this package does not do.
func (s *Store) checkFLQ(ctx context.Context) error {
	var pools int64
	if err := s.pool.QueryRow(ctx, "SELECT count(*) FROM flq_pool4").Scan(&pools); err != nil {
		return fmt.Errorf("read flq_pool4: %w", err)
	}
	if pools > 0 {
		return fmt.Errorf("a Kea 3.x server runs the shared-flq allocator on this database (flq_pool4 has %d pools): leased does not keep its shared free lease queue (free_lease4) yet, so it does not write here; use another allocator on the Kea side", pools)
	}
	return nil
}

// selectColumns are the columns every read returns, as Kea 2.2 selects
// them: the expiry as Unix seconds, whatever the session's time zone.
const selectColumns = `SELECT address, hwaddr, client_id, valid_lifetime, extract(epoch from expire)::bigint, subnet_id, fqdn_fwd, fqdn_rev, hostname, state, user_context FROM lease4 `

// latestFirst orders a client's leases by expiry, latest first; an
// infinite lease (whose expire column is its CLTT) outlives every other.
const latestFirst = `ORDER BY valid_lifetime = 4294967295 DESC, expire DESC, address `

// inSubnet2 restricts a client's lookup to the subnet in $2 without
// letting the planner choose lease4_by_subnet_id for it: "subnet_id + 0"
// matches no index, so the client's own index (hwaddr or client_id, then
// subnet_id) is used. Otherwise, on a table whose statistics are older
// than its rows (a fresh or emptied lease4 filling faster than
// autovacuum's analyze, whose naptime is a minute), the planner takes
// the subnet's index and filters every lease of the subnet for each
// DISCOVER: under perfdhcp the backends' CPU grew with the table until
// serving collapsed (bench/run pgsql, 2026-12-08).
const inSubnet2 = `subnet_id + 0 = $2 `

const (
	sqlInsert = `INSERT INTO lease4 (address, hwaddr, client_id, valid_lifetime, expire, subnet_id, fqdn_fwd, fqdn_rev, hostname, state, user_context) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)`
	sqlUpsert = sqlInsert + ` ON CONFLICT (address) DO UPDATE SET hwaddr = EXCLUDED.hwaddr, client_id = EXCLUDED.client_id, valid_lifetime = EXCLUDED.valid_lifetime, expire = EXCLUDED.expire, subnet_id = EXCLUDED.subnet_id, fqdn_fwd = EXCLUDED.fqdn_fwd, fqdn_rev = EXCLUDED.fqdn_rev, hostname = EXCLUDED.hostname, state = EXCLUDED.state, user_context = EXCLUDED.user_context`
	sqlUpdate = `UPDATE lease4 SET hwaddr = $2, client_id = $3, valid_lifetime = $4, expire = $5, subnet_id = $6, fqdn_fwd = $7, fqdn_rev = $8, hostname = $9, state = $10, user_context = $11 WHERE address = $1`
	// guard matches the row a caller read: Kea's own guard (the expiry)
	// and the rest of lease.SameVersion. NULL byte columns (not written by
	// Kea or leased) read as empty, so they compare as empty.
	guard           = ` AND expire = $%d AND valid_lifetime = $%d AND subnet_id = $%d AND state = $%d AND coalesce(hwaddr, ''::bytea) = $%d AND coalesce(client_id, ''::bytea) = $%d`
	sqlDelete       = `DELETE FROM lease4 WHERE address = $1`
	sqlExists       = `SELECT EXISTS (SELECT 1 FROM lease4 WHERE address = $1)`
	sqlGet          = selectColumns + `WHERE address = $1`
	sqlGetHW        = selectColumns + `WHERE hwaddr = $1 AND ` + inSubnet2 + latestFirst + `LIMIT 1`
	sqlGetCID       = selectColumns + `WHERE client_id = $1 AND ` + inSubnet2 + latestFirst + `LIMIT 1`
	sqlFindHW       = selectColumns + `WHERE hwaddr = $1 ORDER BY address`
	sqlFindCID      = selectColumns + `WHERE client_id = $1 ORDER BY address`
	sqlFindHostname = selectColumns + `WHERE lower(hostname) = $1 ORDER BY address`
	sqlPage         = selectColumns + `WHERE address > $1 ORDER BY address LIMIT $2`
	sqlPageSubnet   = selectColumns + `WHERE address > $1 AND subnet_id = $3 ORDER BY address LIMIT $2`
	sqlExpired      = selectColumns + `WHERE state != 2 AND valid_lifetime != 4294967295 AND expire <= $1 ORDER BY expire, address LIMIT $2`
	sqlDelReclaimed = `DELETE FROM lease4 WHERE state = 2 AND expire <= $1`
	sqlWipe         = `DELETE FROM lease4 WHERE subnet_id = $1`
	sqlStatsRows    = `SELECT subnet_id, address, state, 1 FROM lease4`
	sqlStatsKea     = `SELECT subnet_id, 0, state, leases FROM lease4_stat UNION ALL SELECT subnet_id, 0, state, count(*) FROM lease4 WHERE state = 2 GROUP BY subnet_id, state`
	sqlLen          = `SELECT count(*) FROM lease4`
)

var (
	sqlUpdateGuarded = sqlUpdate + fmt.Sprintf(guard, 12, 13, 14, 15, 16, 17)
	sqlDeleteGuarded = sqlDelete + fmt.Sprintf(guard, 2, 3, 4, 5, 6, 7)
)

// expireOf is the instant Kea stores as a lease's expire: CLTT + lifetime,
// or the CLTT alone for an infinite lease.
func expireOf(l *lease.Lease) time.Time {
	if l.ValidLifetime == lease.InfiniteLifetime {
		return time.Unix(l.CLTT, 0)
	}
	return time.Unix(l.Expire(), 0)
}

// nonNil makes an absent byte field an empty BYTEA, as Kea writes it; pgx
// sends a nil slice as NULL.
func nonNil(b []byte) []byte {
	if b == nil {
		return []byte{}
	}
	return b
}

// check refuses what the schema or Kea's reader cannot hold: one such row
// breaks every Kea query that returns it.
func (s *Store) check(l *lease.Lease) error {
	return sqlstore.Check(l, s.sql.released, s.sql.version.String())
}

func addrInt(a netip.Addr) int64 { return int64(dhcpv4.AddrToUint32(a)) }

// guardArgs are prev's values for the guard.
func guardArgs(prev *lease.Lease) []any {
	return []any{expireOf(prev), int64(prev.ValidLifetime), int64(prev.SubnetID), int64(prev.State), nonNil(prev.HWAddr), nonNil(prev.ClientID)}
}

func (s *Store) fail(what string, err error) error {
	if s.closed.Load() {
		return fmt.Errorf("%s: %w", what, lease.ErrClosed)
	}
	err = fmt.Errorf("%s: %s: %w", s.where, what, err)
	if s.onLost != nil && ConnectionLost(err) {
		s.onLost(err)
	}
	return err
}

// ConnectionLost reports whether err is a failure of the connection to
// the server rather than of the statement: no answer from the server, or
// one of the classes Kea also reads as a lost connection (08 connection
// exception, 57 operator intervention such as a shutdown, 58 system
// error). A call the caller cancelled is not one.
func ConnectionLost(err error) bool {
	if err == nil || errors.Is(err, context.Canceled) || errors.Is(err, lease.ErrClosed) {
		return false
	}
	var pgErr *pgconn.PgError
	if errors.As(err, &pgErr) {
		class := pgErr.Code[:min(2, len(pgErr.Code))]
		return class == "08" || class == "57" || class == "58"
	}
	return true
}

// Ping checks that the database answers, on a new connection: the
// connections open before are closed first, since after the server
// restarted every one of them is broken.
func (s *Store) Ping(ctx context.Context) error {
	s.pool.Reset()
	if err := s.pool.Ping(ctx); err != nil {
		return fmt.Errorf("%s: %w", s.where, err)
	}
	return nil
}

// quoteDSN quotes v as a value of libpq's keyword=value connection string.
func quoteDSN(v string) string {
	return "'" + strings.NewReplacer(`\`, `\\`, `'`, `\'`).Replace(v) + "'"
}

// isTaken reports whether err is the unique violation of lease4's
// primary key: the address is taken. (Kea 2.2's triggers fail with the
// unique violation of lease4_stat's key on a race that is no lease's.)
func isTaken(err error) bool {
	var pgErr *pgconn.PgError
	return errors.As(err, &pgErr) && pgErr.Code == "23505" && pgErr.ConstraintName == lease4Key
}

// Add inserts l; a lease already at its address, written by anyone, is
// lease.ErrExists.
func (s *Store) Add(ctx context.Context, l *lease.Lease, _ lease.Durability) error {
	if err := s.check(l); err != nil {
		return err
	}
	w := sqlstore.Write{SQL: s.sql.add, Args: s.sql.args(l)}
	if err := s.group.Do(ctx, &w); err != nil {
		if isTaken(err) {
			return fmt.Errorf("add %v: %w", l.Addr, lease.ErrExists)
		}
		return s.fail("add "+l.Addr.String(), err)
	}
	if w.Rows == 0 {
		return fmt.Errorf("add %v: %w", l.Addr, lease.ErrExists)
	}
	return nil
}

// Update replaces the lease at l.Addr, if it is still prev when prev is
// not nil.
func (s *Store) Update(ctx context.Context, prev, l *lease.Lease, _ lease.Durability) error {
	if err := s.check(l); err != nil {
		return err
	}
	a := s.sql.args(l)
	q := s.sql.update
	if prev != nil {
		if prev.Addr != l.Addr {
			return fmt.Errorf("update %v: the lease read is of %v", l.Addr, prev.Addr)
		}
		q = s.sql.updateGuarded
		a = append(a, guardArgs(prev)...)
	}
	w := sqlstore.Write{SQL: q, Args: a}
	if err := s.group.Do(ctx, &w); err != nil {
		return s.fail("update "+l.Addr.String(), err)
	}
	if w.Rows == 0 {
		return s.missed(ctx, "update", l.Addr)
	}
	return nil
}

// missed tells, after a write matched no row, whether the row is gone
// (ErrNotFound) or changed (ErrConflict).
func (s *Store) missed(ctx context.Context, op string, addr netip.Addr) error {
	var exists bool
	if err := s.pool.QueryRow(ctx, sqlExists, addrInt(addr)).Scan(&exists); err != nil {
		return s.fail(op+" "+addr.String(), err)
	}
	if exists {
		return fmt.Errorf("%s %v: %w", op, addr, lease.ErrConflict)
	}
	return fmt.Errorf("%s %v: %w", op, addr, lease.ErrNotFound)
}

// Put stores l, replacing any lease at its address.
func (s *Store) Put(ctx context.Context, l *lease.Lease, _ lease.Durability) error {
	if err := s.check(l); err != nil {
		return err
	}
	if err := s.group.Do(ctx, &sqlstore.Write{SQL: s.sql.upsert, Args: s.sql.args(l)}); err != nil {
		return s.fail("put "+l.Addr.String(), err)
	}
	return nil
}

// Delete removes the lease of addr, if it is still prev when prev is not
// nil.
func (s *Store) Delete(ctx context.Context, addr netip.Addr, prev *lease.Lease, _ lease.Durability) error {
	if !addr.Is4() {
		return fmt.Errorf("delete %v: not an IPv4 address", addr)
	}
	q, a := sqlDelete, []any{addrInt(addr)}
	if prev != nil {
		q = sqlDeleteGuarded
		a = append(a, guardArgs(prev)...)
	}
	w := sqlstore.Write{SQL: q, Args: a}
	if err := s.group.Do(ctx, &w); err != nil {
		return s.fail("delete "+addr.String(), err)
	}
	if w.Rows == 0 {
		return s.missed(ctx, "delete", addr)
	}
	return nil
}

// Shared reports true: other leased and kea-dhcp4 servers may write the
// same lease4 table (lease.Shared).
func (s *Store) Shared() bool { return true }

// Sync returns at once: every write was committed before it returned.
// (Add, Update, Put and Delete return once their group's transaction
// committed.)
func (s *Store) Sync(ctx context.Context) error { return ctx.Err() }

// row holds one row as scanned, NULLs included.
type row struct {
	addr, valid, expire, subnet, state int64
	hw, cid                            []byte
	fwd, rev                           pgtype.Bool
	hostname, uctx                     pgtype.Text
	pool                               int64 // schema 34.0's pool_id
}

// dest are the fields of r the statements q select.
func (r *row) dest(q *statements) []any {
	d := []any{&r.addr, &r.hw, &r.cid, &r.valid, &r.expire, &r.subnet, &r.fwd, &r.rev, &r.hostname, &r.state, &r.uctx}
	if q.poolColumns {
		d = append(d, &r.pool)
	}
	return d
}

// into converts r into l as Kea's reader does (NULL booleans false, NULL
// text and bytes empty), reusing l's byte slices.
func (s *Store) into(r *row, l *lease.Lease) error {
	sr := sqlstore.Row{
		Addr: r.addr, Valid: r.valid, Expire: r.expire, Subnet: r.subnet, State: r.state,
		HW: r.hw, CID: r.cid, Fwd: r.fwd.Valid && r.fwd.Bool, Rev: r.rev.Valid && r.rev.Bool,
		Hostname: r.hostname.String, UserContext: r.uctx.String,
		Pool: r.pool, HasPool: s.sql.poolColumns,
	}
	return sr.Lease(l, s.poolID)
}

func (s *Store) getOne(ctx context.Context, what, q string, l *lease.Lease, a ...any) (bool, error) {
	var r row
	err := s.pool.QueryRow(ctx, q, a...).Scan(r.dest(s.sql)...)
	if errors.Is(err, pgx.ErrNoRows) {
		return false, nil
	}
	if err != nil {
		return false, s.fail(what, err)
	}
	if err := s.into(&r, l); err != nil {
		return false, s.fail(what, err)
	}
	return true, nil
}

func (s *Store) getMany(ctx context.Context, what, q string, a ...any) ([]lease.Lease, error) {
	rows, err := s.pool.Query(ctx, q, a...)
	if err != nil {
		return nil, s.fail(what, err)
	}
	var out []lease.Lease
	var r row
	_, err = pgx.ForEachRow(rows, r.dest(s.sql), func() error {
		var l lease.Lease
		if err := s.into(&r, &l); err != nil {
			return err
		}
		out = append(out, l)
		return nil
	})
	if err != nil {
		return nil, s.fail(what, err)
	}
	return out, nil
}

// Get finds the lease of addr.
func (s *Store) Get(ctx context.Context, addr netip.Addr, l *lease.Lease) (bool, error) {
	if !addr.Is4() {
		return false, nil
	}
	return s.getOne(ctx, "get "+addr.String(), s.sql.get, l, addrInt(addr))
}

// GetByHWAddr finds the latest-expiring lease of hw in subnetID.
func (s *Store) GetByHWAddr(ctx context.Context, subnetID uint32, hw []byte, l *lease.Lease) (bool, error) {
	// Declined leases have an empty hardware address: it names no client.
	if len(hw) == 0 {
		return false, nil
	}
	return s.getOne(ctx, "get by hardware address", s.sql.getHW, l, hw, int64(subnetID))
}

// GetByClientID finds the latest-expiring lease of clientID in subnetID.
func (s *Store) GetByClientID(ctx context.Context, subnetID uint32, clientID []byte, l *lease.Lease) (bool, error) {
	// Kea stores "no client identifier" as an empty one.
	if len(clientID) == 0 {
		return false, nil
	}
	return s.getOne(ctx, "get by client identifier", s.sql.getCID, l, clientID, int64(subnetID))
}

// FindByHWAddr returns the leases of hw in every subnet, in address order.
func (s *Store) FindByHWAddr(ctx context.Context, hw []byte) ([]lease.Lease, error) {
	if len(hw) == 0 {
		return nil, nil
	}
	return s.getMany(ctx, "find by hardware address", s.sql.findHW, hw)
}

// FindByClientID returns the leases of clientID in every subnet, in
// address order.
func (s *Store) FindByClientID(ctx context.Context, clientID []byte) ([]lease.Lease, error) {
	if len(clientID) == 0 {
		return nil, nil
	}
	return s.getMany(ctx, "find by client identifier", s.sql.findCID, clientID)
}

// FindByHostname returns the leases named hostname, compared as Kea
// compares them: lower(hostname) against the name in lower case.
func (s *Store) FindByHostname(ctx context.Context, hostname string) ([]lease.Lease, error) {
	if hostname == "" {
		return nil, nil
	}
	return s.getMany(ctx, "find by hostname", s.sql.findHostname, asciiLower(hostname))
}

func asciiLower(s string) string { return sqlstore.ASCIILower(s) }

// Page returns up to limit leases after after, in address order.
func (s *Store) Page(ctx context.Context, after netip.Addr, subnetID uint32, limit int) ([]lease.Lease, error) {
	from := int64(-1)
	if after.Is4() {
		from = addrInt(after)
	}
	if subnetID == 0 {
		return s.getMany(ctx, "page", s.sql.page, from, int64(limit))
	}
	return s.getMany(ctx, "page", s.sql.pageSubnet, from, int64(limit), int64(subnetID))
}

// Expired returns up to limit unreclaimed leases expired at now, oldest
// first.
func (s *Store) Expired(ctx context.Context, now int64, limit int) ([]lease.Lease, error) {
	var lim any // NULL: LIMIT ALL
	if limit > 0 {
		lim = int64(limit)
	}
	return s.getMany(ctx, "expired leases", s.sql.expired, time.Unix(now, 0), lim)
}

// DeleteReclaimed deletes the reclaimed leases that expired at or before
// before.
func (s *Store) DeleteReclaimed(ctx context.Context, before int64, _ lease.Durability) (int, error) {
	tag, err := s.pool.Exec(ctx, sqlDelReclaimed, time.Unix(before, 0))
	if err != nil {
		return 0, s.fail("delete reclaimed leases", err)
	}
	return int(tag.RowsAffected()), nil
}

// WipeSubnet deletes every lease of subnetID.
func (s *Store) WipeSubnet(ctx context.Context, subnetID uint32, _ lease.Durability) (int, error) {
	tag, err := s.pool.Exec(ctx, sqlWipe, int64(subnetID))
	if err != nil {
		return 0, s.fail(fmt.Sprintf("wipe subnet %d", subnetID), err)
	}
	return int(tag.RowsAffected()), nil
}

// Stats counts the leases of each pool by state. Without Options.PoolID
// every lease is in pool 0 and the counts come from Kea's lease4_stat
// (states 0 and 1, kept by the schema's triggers, so every server sharing
// the database reports the same) and, for reclaimed leases, which that
// table leaves out, from an indexed count. With PoolID each lease's address
// must be seen, so every row is read: a cost that grows with the leases.
func (s *Store) Stats(ctx context.Context) (map[lease.PoolKey]lease.Counts, error) {
	// The second column is the pool in schema 34.0, else the address
	// when PoolID gives the pools.
	st := sqlstore.Stats{PoolColumn: s.sql.poolColumns, PoolID: s.poolID, Counts: map[lease.PoolKey]lease.Counts{}}
	q := s.sql.stats
	if s.poolID != nil && !s.sql.poolColumns {
		q = sqlStatsRows
	}
	rows, err := s.pool.Query(ctx, q)
	if err != nil {
		return nil, s.fail("statistics", err)
	}
	var subnet, poolOrAddr, state, n int64
	_, err = pgx.ForEachRow(rows, []any{&subnet, &poolOrAddr, &state, &n}, func() error {
		return st.Add(subnet, poolOrAddr, state, n)
	})
	if err != nil {
		return nil, s.fail("statistics", err)
	}
	return st.Counts, nil
}

// Len returns the number of leases.
func (s *Store) Len(ctx context.Context) (int, error) {
	var n int64
	if err := s.pool.QueryRow(ctx, sqlLen).Scan(&n); err != nil {
		return 0, s.fail("count leases", err)
	}
	return int(n), nil
}

// Close commits the writes pending, then closes the connections.
func (s *Store) Close() error {
	s.closed.Store(true)
	s.group.Close()
	s.pool.Close()
	return nil
}
