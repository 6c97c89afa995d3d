package mysql

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"errors"
	"fmt"
	"io"
	"net"
	"net/netip"
	"sync"
	"sync/atomic"

	mysqldriver "github.com/go-sql-driver/mysql"

	"github.com/leased/leased/lease"
	"github.com/leased/leased/lease/sqlstore"
)

// Version is a schema version as Kea's schema_version table holds it.
type Version struct{ Major, Minor int }

func (v Version) String() string { return fmt.Sprintf("%d.%d", v.Major, v.Minor) }

// Kea22 is the MySQL schema of Kea 2.2 (Debian 12's), what `kea-admin
// db-init mysql` makes: the one version this package reads and writes.
var Kea22 = Version{14, 0}

// ErrNoSchema is returned, wrapped, for a database without Kea's schema
// (no table schema_version).
var ErrNoSchema = errors.New("no Kea schema (no table schema_version)")

// Store is a lease.Store in a MySQL or MariaDB database with Kea's schema.
type Store struct {
	db     *sql.DB
	where  string // the database, server and user, for errors
	poolID func(uint32, netip.Addr) uint32
	onLost func(error)
	closed atomic.Bool
	q      *statements // those of the schema's version

	// stmts are the statements prepared so far, by their text: each is
	// prepared once per connection (database/sql prepares it again on a
	// new one), not at every call.
	mu    sync.Mutex
	stmts map[string]*sql.Stmt

	// group commits the writes of concurrent callers together.
	group *sqlstore.Group
}

var _ lease.Store = (*Store)(nil)

// Open connects to the database, checks that its schema is Kea's 14.0 or
// 35.0 and returns the store.
func Open(ctx context.Context, opts Options) (*Store, error) {
	cfg, err := config(opts)
	if err != nil {
		return nil, err
	}
	connector, err := mysqldriver.NewConnector(cfg)
	if err != nil {
		return nil, fmt.Errorf("lease-database: %s: %w", where(cfg), err)
	}
	s := &Store{db: sql.OpenDB(connector), where: where(cfg), poolID: opts.PoolID, onLost: opts.OnLost, stmts: map[string]*sql.Stmt{}}
	n := opts.MaxConns
	if n <= 0 {
		n = 16
	}
	s.group = sqlstore.NewGroup(dialect{s})
	s.db.SetMaxOpenConns(n)
	s.db.SetMaxIdleConns(n)
	if err := s.checkSchema(ctx); err != nil {
		s.db.Close()
		return nil, fmt.Errorf("lease-database: %s: %w", s.where, err)
	}
	return s, nil
}

// ReadVersion returns the version in the schema_version table of db.
func ReadVersion(ctx context.Context, db interface {
	QueryRowContext(context.Context, string, ...any) *sql.Row
}) (Version, error) {
	var v Version
	err := db.QueryRowContext(ctx, "SELECT version, minor FROM schema_version").Scan(&v.Major, &v.Minor)
	var myErr *mysqldriver.MySQLError
	switch {
	case errors.As(err, &myErr) && myErr.Number == 1146: // ER_NO_SUCH_TABLE
		return Version{}, ErrNoSchema
	case errors.Is(err, sql.ErrNoRows):
		return Version{}, errors.New("table schema_version is empty")
	case err != nil:
		return Version{}, fmt.Errorf("read the schema version: %w", err)
	}
	return v, nil
}

func (s *Store) checkSchema(ctx context.Context) error {
	v, err := ReadVersion(ctx, s.db)
	if errors.Is(err, ErrNoSchema) {
		return fmt.Errorf("%w: create it with Kea 2.2's `kea-admin db-init mysql` (schema %s)", err, Kea22)
	}
	if err != nil {
		return s.lost(err)
	}
	var ok bool
	if s.q, ok = statementsFor(v); !ok {
		return fmt.Errorf("Kea MySQL schema version %s is not one leased has been verified with; it reads and writes %s (Kea 2.2's) and %s (Kea 3.1.9 and 3.2's) only, and never alters a schema (leased db upgrade mysql takes %s to %s)", v, Kea22, Kea32, Kea22, Kea32)
	}
	rows, err := s.db.QueryContext(ctx, "SELECT column_name, data_type FROM information_schema.columns WHERE table_schema = DATABASE() AND table_name = 'lease4'")
	if err != nil {
		return s.lost(fmt.Errorf("read the columns of lease4: %w", err))
	}
	defer rows.Close()
	found := map[string]string{}
	for rows.Next() {
		var name, typ string
		if err := rows.Scan(&name, &typ); err != nil {
			return fmt.Errorf("read the columns of lease4: %w", err)
		}
		found[name] = typ
	}
	if err := rows.Err(); err != nil {
		return s.lost(fmt.Errorf("read the columns of lease4: %w", err))
	}
	for col, want := range s.q.columns {
		if got, ok := found[col]; !ok {
			return fmt.Errorf("schema %s but table lease4 has no column %s", v, col)
		} else if got != want {
			return fmt.Errorf("schema %s but column lease4.%s is %s, not %s", v, col, got, want)
		}
	}
	for col := range found {
		if _, ok := s.q.columns[col]; !ok {
			return fmt.Errorf("schema %s but table lease4 has a column %s that schema does not have", v, col)
		}
	}
	if s.q.poolColumns {
		return s.checkFLQ(ctx)
	}
	return nil
}

// stmt returns q prepared. The lock is not held while preparing: with
// the server unreachable that waits for the connect timeout, and calls
// whose statements are prepared already must not wait behind it.
func (s *Store) stmt(ctx context.Context, q string) (*sql.Stmt, error) {
	s.mu.Lock()
	st, ok := s.stmts[q]
	s.mu.Unlock()
	if ok {
		return st, nil
	}
	st, err := s.db.PrepareContext(ctx, q)
	if err != nil {
		return nil, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if first, ok := s.stmts[q]; ok {
		st.Close() // another call prepared it meanwhile
		return first, nil
	}
	s.stmts[q] = st
	return st, nil
}

// exec runs the statement q with args a, a write, in the transaction of
// the group commit (dialect) and returns once that is committed. A
// duplicate key fails q alone.
func (s *Store) exec(ctx context.Context, q string, a ...any) (sql.Result, error) {
	w := sqlstore.Write{SQL: q, Args: a}
	if err := s.group.Do(ctx, &w); err != nil {
		return nil, err
	}
	return result(w.Rows), nil
}

// queryRow runs the query q, which returns at most one row.
func (s *Store) queryRow(ctx context.Context, q string, a ...any) (*sql.Row, error) {
	st, err := s.stmt(ctx, q)
	if err != nil {
		return nil, err
	}
	return st.QueryRowContext(ctx, a...), nil
}

// lost reports err to OnLost when it is a lost connection, and returns it.
func (s *Store) lost(err error) error {
	if s.onLost != nil && ConnectionLost(err) {
		s.onLost(err)
	}
	return err
}

// The statements. The expiry goes in and out as Unix seconds, converted
// by the server in the session's zone, UTC (see config); stored as
// TIMESTAMP it is an instant, which Kea 2.2 reads back in its own
// session's zone and converts with its local time zone.
const (
	selectColumns = `SELECT address, hwaddr, client_id, valid_lifetime, UNIX_TIMESTAMP(expire), subnet_id, fqdn_fwd, fqdn_rev, hostname, state, user_context FROM lease4 `
	// latestFirst orders a client's leases by expiry, latest first; an
	// infinite lease (whose expire column is its CLTT) outlives every
	// other.
	latestFirst = `ORDER BY valid_lifetime = 4294967295 DESC, expire DESC, address `

	values    = ` VALUES (?, ?, ?, ?, FROM_UNIXTIME(?), ?, ?, ?, ?, ?, ?)`
	sqlInsert = `INSERT INTO lease4 (address, hwaddr, client_id, valid_lifetime, expire, subnet_id, fqdn_fwd, fqdn_rev, hostname, state, user_context)` + values
	sqlUpsert = sqlInsert + ` ON DUPLICATE KEY UPDATE hwaddr = VALUES(hwaddr), client_id = VALUES(client_id), valid_lifetime = VALUES(valid_lifetime), expire = VALUES(expire), subnet_id = VALUES(subnet_id), fqdn_fwd = VALUES(fqdn_fwd), fqdn_rev = VALUES(fqdn_rev), hostname = VALUES(hostname), state = VALUES(state), user_context = VALUES(user_context)`
	// sqlUpdate takes the address last, as Kea's UPDATE does.
	sqlUpdate = `UPDATE lease4 SET hwaddr = ?, client_id = ?, valid_lifetime = ?, expire = FROM_UNIXTIME(?), subnet_id = ?, fqdn_fwd = ?, fqdn_rev = ?, hostname = ?, state = ?, user_context = ? WHERE address = ?`
	// guard matches the row a caller read: Kea's own guard (the expiry)
	// and the rest of lease.SameVersion (sqlstore.GuardArgs). NULL byte
	// columns read as empty, so they compare as empty.
	guard           = ` AND expire = FROM_UNIXTIME(?) AND valid_lifetime = ? AND subnet_id = ? AND state = ? AND coalesce(hwaddr, '') = ? AND coalesce(client_id, '') = ?`
	sqlDelete       = `DELETE FROM lease4 WHERE address = ?`
	sqlExists       = `SELECT EXISTS (SELECT 1 FROM lease4 WHERE address = ?)`
	sqlDelReclaimed = `DELETE FROM lease4 WHERE state = 2 AND expire <= FROM_UNIXTIME(?)`
	sqlWipe         = `DELETE FROM lease4 WHERE subnet_id = ?`
	sqlStatsRows    = `SELECT subnet_id, address, state, 1 FROM lease4`
	sqlStatsKea     = `SELECT subnet_id, 0, state, leases FROM lease4_stat UNION ALL SELECT subnet_id, 0, state, count(*) FROM lease4 WHERE state = 2 GROUP BY subnet_id, state`
	sqlLen          = `SELECT count(*) FROM lease4`
	// noLimit is LIMIT's largest value: MySQL has no LIMIT ALL.
	noLimit = uint64(1<<64 - 1)
)

// guardArgs are prev's values for guard.
func guardArgs(prev *lease.Lease) []any {
	e, rest := sqlstore.GuardArgs(prev)
	return append([]any{e}, rest...)
}

// check refuses what Kea's schema cannot hold, and an expiry at the
// epoch: MySQL's TIMESTAMP begins a second later.
func (s *Store) check(l *lease.Lease) error {
	if err := sqlstore.Check(l, s.q.released, s.q.version.String()); err != nil {
		return err
	}
	if sqlstore.Expire(l) < 1 {
		return fmt.Errorf("lease %v: expiry %d (Unix seconds) is before what MySQL's TIMESTAMP stores (1 to %d)", l.Addr, sqlstore.Expire(l), sqlstore.MaxExpire)
	}
	return nil
}

func (s *Store) fail(what string, err error) error {
	if s.closed.Load() {
		return fmt.Errorf("%s: %w", what, lease.ErrClosed)
	}
	return s.lost(fmt.Errorf("%s: %s: %w", s.where, what, err))
}

// ConnectionLost reports whether err is a failure of the connection to
// the server rather than of the statement: no answer (a network error, a
// broken or closed connection), or the server's own word that it shuts
// down or killed the connection. A call the caller cancelled is not one.
func ConnectionLost(err error) bool {
	if err == nil || errors.Is(err, context.Canceled) || errors.Is(err, lease.ErrClosed) {
		return false
	}
	var myErr *mysqldriver.MySQLError
	if errors.As(err, &myErr) {
		switch myErr.Number {
		case 1040, // ER_CON_COUNT_ERROR: too many connections
			1053, // ER_SERVER_SHUTDOWN
			1077, // ER_NORMAL_SHUTDOWN
			1152, // ER_ABORTING_CONNECTION
			1927: // ER_CONNECTION_KILLED
			return true
		}
		return false
	}
	var netErr net.Error
	return errors.Is(err, driver.ErrBadConn) || errors.Is(err, mysqldriver.ErrInvalidConn) ||
		errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) || errors.As(err, &netErr) ||
		errors.Is(err, context.DeadlineExceeded) || errors.Is(err, sql.ErrConnDone)
}

// Ping checks that the database answers.
func (s *Store) Ping(ctx context.Context) error {
	if err := s.db.PingContext(ctx); err != nil {
		return fmt.Errorf("%s: %w", s.where, err)
	}
	return nil
}

func isDuplicate(err error) bool {
	var myErr *mysqldriver.MySQLError
	return errors.As(err, &myErr) && myErr.Number == 1062 // ER_DUP_ENTRY
}

// Add inserts l; a lease already at its address, written by anyone, is
// lease.ErrExists.
func (s *Store) Add(ctx context.Context, l *lease.Lease, _ lease.Durability) error {
	if err := s.check(l); err != nil {
		return err
	}
	if _, err := s.exec(ctx, s.q.insert, s.q.args(l)...); err != nil {
		if isDuplicate(err) {
			return fmt.Errorf("add %v: %w", l.Addr, lease.ErrExists)
		}
		return s.fail("add "+l.Addr.String(), err)
	}
	return nil
}

// Update replaces the lease at l.Addr, if it is still prev when prev is
// not nil.
func (s *Store) Update(ctx context.Context, prev, l *lease.Lease, _ lease.Durability) error {
	if err := s.check(l); err != nil {
		return err
	}
	a := append(s.q.args(l)[1:], sqlstore.Addr(l.Addr))
	q := s.q.update
	if prev != nil {
		if prev.Addr != l.Addr {
			return fmt.Errorf("update %v: the lease read is of %v", l.Addr, prev.Addr)
		}
		q += guard
		a = append(a, guardArgs(prev)...)
	}
	res, err := s.exec(ctx, q, a...)
	if err != nil {
		return s.fail("update "+l.Addr.String(), err)
	}
	if n, err := res.RowsAffected(); err != nil || n == 0 {
		return s.missed(ctx, "update", l.Addr)
	}
	return nil
}

// missed tells, after a write matched no row, whether the row is gone
// (ErrNotFound) or changed (ErrConflict).
func (s *Store) missed(ctx context.Context, op string, addr netip.Addr) error {
	var exists bool
	row, err := s.queryRow(ctx, sqlExists, sqlstore.Addr(addr))
	if err == nil {
		err = row.Scan(&exists)
	}
	if err != nil {
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
	if _, err := s.exec(ctx, s.q.upsert, s.q.args(l)...); err != nil {
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
	q, a := sqlDelete, []any{sqlstore.Addr(addr)}
	if prev != nil {
		q += guard
		a = append(a, guardArgs(prev)...)
	}
	res, err := s.exec(ctx, q, a...)
	if err != nil {
		return s.fail("delete "+addr.String(), err)
	}
	if n, err := res.RowsAffected(); err != nil || n == 0 {
		return s.missed(ctx, "delete", addr)
	}
	return nil
}

// Shared reports true: other leased and kea-dhcp4 servers may write the
// same lease4 table (lease.Shared).
func (s *Store) Shared() bool { return true }

// Sync returns at once: every write was committed before it returned
// (with the others of its group).
func (s *Store) Sync(ctx context.Context) error { return ctx.Err() }

// scanned holds one row as the driver scans it, NULLs included.
type scanned struct {
	addr, valid, expire, subnet, state sql.NullInt64
	hw, cid                            []byte
	fwd, rev                           sql.NullBool
	hostname, uctx                     sql.NullString
	pool                               sql.NullInt64
}

// dest are the fields of r that q's reads select.
func (r *scanned) dest(q *statements) []any {
	d := []any{&r.addr, &r.hw, &r.cid, &r.valid, &r.expire, &r.subnet, &r.fwd, &r.rev, &r.hostname, &r.state, &r.uctx}
	if q.poolColumns {
		d = append(d, &r.pool)
	}
	return d
}

// into converts r into l as Kea's reader does (NULL numbers 0, NULL
// booleans false, NULL text and bytes empty).
func (s *Store) into(r *scanned, l *lease.Lease) error {
	row := sqlstore.Row{
		Addr: r.addr.Int64, Valid: r.valid.Int64, Expire: r.expire.Int64, Subnet: r.subnet.Int64, State: r.state.Int64,
		HW: r.hw, CID: r.cid, Fwd: r.fwd.Bool, Rev: r.rev.Bool, Hostname: r.hostname.String, UserContext: r.uctx.String,
		Pool: r.pool.Int64, HasPool: s.q.poolColumns,
	}
	return row.Lease(l, s.poolID)
}

func (s *Store) getOne(ctx context.Context, what, q string, l *lease.Lease, a ...any) (bool, error) {
	var r scanned
	row, err := s.queryRow(ctx, q, a...)
	if err == nil {
		err = row.Scan(r.dest(s.q)...)
	}
	if errors.Is(err, sql.ErrNoRows) {
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
	st, err := s.stmt(ctx, q)
	if err != nil {
		return nil, s.fail(what, err)
	}
	rows, err := st.QueryContext(ctx, a...)
	if err != nil {
		return nil, s.fail(what, err)
	}
	defer rows.Close()
	var out []lease.Lease
	var r scanned
	for rows.Next() {
		if err := rows.Scan(r.dest(s.q)...); err != nil {
			return nil, s.fail(what, err)
		}
		var l lease.Lease
		if err := s.into(&r, &l); err != nil {
			return nil, s.fail(what, err)
		}
		out = append(out, l)
	}
	if err := rows.Err(); err != nil {
		return nil, s.fail(what, err)
	}
	return out, nil
}

// Get finds the lease of addr.
func (s *Store) Get(ctx context.Context, addr netip.Addr, l *lease.Lease) (bool, error) {
	if !addr.Is4() {
		return false, nil
	}
	return s.getOne(ctx, "get "+addr.String(), s.q.get, l, sqlstore.Addr(addr))
}

// GetByHWAddr finds the latest-expiring lease of hw in subnetID.
func (s *Store) GetByHWAddr(ctx context.Context, subnetID uint32, hw []byte, l *lease.Lease) (bool, error) {
	// Declined leases have an empty hardware address: it names no client.
	if len(hw) == 0 {
		return false, nil
	}
	return s.getOne(ctx, "get by hardware address", s.q.getHW, l, hw, int64(subnetID))
}

// GetByClientID finds the latest-expiring lease of clientID in subnetID.
func (s *Store) GetByClientID(ctx context.Context, subnetID uint32, clientID []byte, l *lease.Lease) (bool, error) {
	// Kea stores "no client identifier" as an empty one.
	if len(clientID) == 0 {
		return false, nil
	}
	return s.getOne(ctx, "get by client identifier", s.q.getCID, l, clientID, int64(subnetID))
}

// FindByHWAddr returns the leases of hw in every subnet, in address order.
func (s *Store) FindByHWAddr(ctx context.Context, hw []byte) ([]lease.Lease, error) {
	if len(hw) == 0 {
		return nil, nil
	}
	return s.getMany(ctx, "find by hardware address", s.q.findHW, hw)
}

// FindByClientID returns the leases of clientID in every subnet, in
// address order.
func (s *Store) FindByClientID(ctx context.Context, clientID []byte) ([]lease.Lease, error) {
	if len(clientID) == 0 {
		return nil, nil
	}
	return s.getMany(ctx, "find by client identifier", s.q.findCID, clientID)
}

// FindByHostname returns the leases named hostname, compared as Kea
// compares them: lower(hostname) against the name in lower case.
func (s *Store) FindByHostname(ctx context.Context, hostname string) ([]lease.Lease, error) {
	if hostname == "" {
		return nil, nil
	}
	return s.getMany(ctx, "find by hostname", s.q.findHostname, sqlstore.ASCIILower(hostname))
}

// Page returns up to limit leases after after, in address order.
func (s *Store) Page(ctx context.Context, after netip.Addr, subnetID uint32, limit int) ([]lease.Lease, error) {
	from := int64(-1)
	if after.Is4() {
		from = sqlstore.Addr(after)
	}
	if subnetID == 0 {
		return s.getMany(ctx, "page", s.q.page, from, int64(limit))
	}
	return s.getMany(ctx, "page", s.q.pageSubnet, from, int64(subnetID), int64(limit))
}

// Expired returns up to limit unreclaimed leases expired at now, oldest
// first.
func (s *Store) Expired(ctx context.Context, now int64, limit int) ([]lease.Lease, error) {
	lim := noLimit
	if limit > 0 {
		lim = uint64(limit)
	}
	return s.getMany(ctx, "expired leases", s.q.expired, now, lim)
}

// DeleteReclaimed deletes the reclaimed leases that expired at or before
// before.
func (s *Store) DeleteReclaimed(ctx context.Context, before int64, _ lease.Durability) (int, error) {
	res, err := s.exec(ctx, sqlDelReclaimed, before)
	if err != nil {
		return 0, s.fail("delete reclaimed leases", err)
	}
	n, _ := res.RowsAffected()
	return int(n), nil
}

// WipeSubnet deletes every lease of subnetID.
func (s *Store) WipeSubnet(ctx context.Context, subnetID uint32, _ lease.Durability) (int, error) {
	res, err := s.exec(ctx, sqlWipe, int64(subnetID))
	if err != nil {
		return 0, s.fail(fmt.Sprintf("wipe subnet %d", subnetID), err)
	}
	n, _ := res.RowsAffected()
	return int(n), nil
}

// Stats counts the leases of each pool by state. In schema 35.0 the
// counts come from Kea's lease4_pool_stat (by the pool_id column) and, for
// the states that table leaves out, from a count. In 14.0, without
// Options.PoolID every lease is in pool 0 and the counts come from Kea's lease4_stat
// (states 0 and 1, kept by the schema's triggers, so every server sharing
// the database reports the same) and, for reclaimed leases, which that
// table leaves out, from a count. With PoolID each lease's address must be
// seen, so every row is read.
func (s *Store) Stats(ctx context.Context) (map[lease.PoolKey]lease.Counts, error) {
	// The second column is the pool in schema 35.0, else the address
	// when PoolID gives the pools.
	st := sqlstore.Stats{PoolColumn: s.q.poolColumns, PoolID: s.poolID, Counts: map[lease.PoolKey]lease.Counts{}}
	q := s.q.stats
	if s.poolID != nil && !s.q.poolColumns {
		q = sqlStatsRows
	}
	rows, err := s.db.QueryContext(ctx, q)
	if err != nil {
		return nil, s.fail("statistics", err)
	}
	defer rows.Close()
	for rows.Next() {
		var subnet, poolOrAddr, state, n sql.NullInt64
		if err := rows.Scan(&subnet, &poolOrAddr, &state, &n); err != nil {
			return nil, s.fail("statistics", err)
		}
		if err := st.Add(subnet.Int64, poolOrAddr.Int64, state.Int64, n.Int64); err != nil {
			return nil, s.fail("statistics", err)
		}
	}
	if err := rows.Err(); err != nil {
		return nil, s.fail("statistics", err)
	}
	return st.Counts, nil
}

// Len returns the number of leases.
func (s *Store) Len(ctx context.Context) (int, error) {
	var n int64
	if err := s.db.QueryRowContext(ctx, sqlLen).Scan(&n); err != nil {
		return 0, s.fail("count leases", err)
	}
	return int(n), nil
}

// Close commits the writes pending, then closes the connections.
func (s *Store) Close() error {
	s.closed.Store(true)
	s.group.Close()
	s.mu.Lock()
	for _, st := range s.stmts {
		st.Close()
	}
	s.mu.Unlock()
	return s.db.Close()
}

// ReadVersionOf connects to opts' database, whatever schema it holds (or
// none), and returns its schema version, for administering it (leased
// db). The string names the database, server and user for messages.
func ReadVersionOf(ctx context.Context, opts Options) (Version, string, error) {
	cfg, err := config(opts)
	if err != nil {
		return Version{}, "", err
	}
	w := where(cfg)
	connector, err := mysqldriver.NewConnector(cfg)
	if err != nil {
		return Version{}, w, fmt.Errorf("%s: %w", w, err)
	}
	db := sql.OpenDB(connector)
	defer db.Close()
	v, err := ReadVersion(ctx, db)
	if err != nil && !errors.Is(err, ErrNoSchema) {
		err = fmt.Errorf("%s: %w", w, err)
	}
	return v, w, err
}
