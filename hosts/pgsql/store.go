package pgsql

import (
	"context"
	"errors"
	"fmt"
	"net/netip"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/leased/leased/config"
	"github.com/leased/leased/dhcpv4"
	"github.com/leased/leased/hosts"
	"github.com/leased/leased/hosts/sqlhosts"
	leasepgsql "github.com/leased/leased/lease/pgsql"
)

// Options say which database to use and how.
type Options struct {
	// Host is a host name, an IP address, or the directory holding the
	// server's unix socket; empty means libpq's default.
	Host string
	// Port is the TCP port, or the number in the socket's name; 0 means
	// 5432.
	Port     uint16
	Name     string
	User     string
	Password string
	// ConnectTimeout bounds each connection attempt; 0 means no bound
	// beyond the caller's context.
	ConnectTimeout time.Duration
	// SSLMode is libpq's sslmode (disable, prefer, require, verify-ca,
	// verify-full); TrustAnchor (sslrootcert), CertFile (sslcert) and
	// KeyFile (sslkey) are its files. Empty means libpq's default.
	SSLMode, TrustAnchor, CertFile, KeyFile string
	// ReadOnly refuses every change, as Kea's readonly.
	ReadOnly bool
	// MaxConns is the size of the connection pool; 0 means lease/pgsql's
	// DefaultMaxConns.
	MaxConns int32
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

// SchemaMajor and SchemaMinor are the version of Kea's schema whose host
// tables this package reads and writes: 13.0, Kea 2.2's; and Schema34Major
// (34.0, Kea 3.1.9 and 3.2's, what `leased db upgrade` makes), whose
// dhcp4_options adds cancelled and client_classes.
const (
	SchemaMajor   = 13
	SchemaMinor   = 0
	Schema34Major = 34
)

// Store is a hosts.Store over Kea's host tables.
type Store struct {
	pool     *pgxpool.Pool
	where    string // the database, host and user, for errors
	readOnly bool
	// current is set on schema 34.0: options have cancelled and
	// client_classes.
	current bool
}

var _ hosts.Store = (*Store)(nil)

// Open connects to the database and checks that its schema is Kea's 13.0.
func Open(ctx context.Context, opts Options) (*Store, error) {
	cfg, err := leasepgsql.PoolConfig(leasepgsql.Options{
		Host: opts.Host, Port: opts.Port, Name: opts.Name, User: opts.User, Password: opts.Password,
		ConnectTimeout: opts.ConnectTimeout, MaxConns: opts.MaxConns,
		SSLMode: opts.SSLMode, TrustAnchor: opts.TrustAnchor, CertFile: opts.CertFile, KeyFile: opts.KeyFile,
	})
	if err != nil {
		return nil, fmt.Errorf("hosts-database %w", err)
	}
	cc := cfg.ConnConfig
	// Every lookup is answered from an index whatever its arguments, so
	// the generic plan of a prepared statement is as good as a custom
	// one, which PostgreSQL would otherwise plan again at each execution:
	// about two thirds of a lookup's time in BenchmarkFind. Servers before 12
	// have no plan_cache_mode and plan as they do.
	cfg.AfterConnect = func(ctx context.Context, conn *pgx.Conn) error {
		_, err := conn.Exec(ctx, "SET plan_cache_mode = force_generic_plan")
		var pgErr *pgconn.PgError
		if errors.As(err, &pgErr) && pgErr.Code == "42704" {
			return nil
		}
		return err
	}
	s := &Store{where: leasepgsql.Where(cc), readOnly: opts.ReadOnly}
	if s.pool, err = pgxpool.NewWithConfig(ctx, cfg); err != nil {
		return nil, fmt.Errorf("hosts-database: %s: %w", s.where, err)
	}
	if err := s.checkSchema(ctx); err != nil {
		s.pool.Close()
		return nil, fmt.Errorf("hosts-database: %s: %w", s.where, err)
	}
	return s, nil
}

// columns13 are the columns of schema 13.0's host tables this package
// reads or writes, and their types.
var columns13 = map[[2]string]string{
	{"hosts", "host_id"}:                 "integer",
	{"hosts", "dhcp_identifier"}:         "bytea",
	{"hosts", "dhcp_identifier_type"}:    "smallint",
	{"hosts", "dhcp4_subnet_id"}:         "bigint",
	{"hosts", "dhcp6_subnet_id"}:         "bigint",
	{"hosts", "ipv4_address"}:            "bigint",
	{"hosts", "hostname"}:                "character varying",
	{"hosts", "dhcp4_client_classes"}:    "character varying",
	{"hosts", "dhcp6_client_classes"}:    "character varying",
	{"hosts", "user_context"}:            "text",
	{"hosts", "dhcp4_next_server"}:       "bigint",
	{"hosts", "dhcp4_server_hostname"}:   "character varying",
	{"hosts", "dhcp4_boot_file_name"}:    "character varying",
	{"hosts", "auth_key"}:                "character varying",
	{"dhcp4_options", "option_id"}:       "integer",
	{"dhcp4_options", "code"}:            "smallint",
	{"dhcp4_options", "value"}:           "bytea",
	{"dhcp4_options", "formatted_value"}: "text",
	{"dhcp4_options", "space"}:           "character varying",
	{"dhcp4_options", "persistent"}:      "boolean",
	{"dhcp4_options", "user_context"}:    "text",
	{"dhcp4_options", "host_id"}:         "integer",
	{"dhcp4_options", "scope_id"}:        "smallint",
}

// columns34 are schema 34.0's additions to columns13: an option's
// cancelled (never-send) and client_classes (Kea's JSON list, never NULL).
var columns34 = map[[2]string]string{
	{"dhcp4_options", "cancelled"}:      "boolean",
	{"dhcp4_options", "client_classes"}: "text",
}

func (s *Store) checkSchema(ctx context.Context) error {
	var major, minor int64
	err := s.pool.QueryRow(ctx, "SELECT version, minor FROM schema_version").Scan(&major, &minor)
	var pgErr *pgconn.PgError
	switch {
	case errors.As(err, &pgErr) && pgErr.Code == "42P01":
		return errors.New("no Kea schema (no schema_version table): create it with `kea-admin db-init pgsql` or `leased db init`")
	case err != nil:
		return fmt.Errorf("reading schema_version: %w", err)
	case major == SchemaMajor && minor == SchemaMinor:
	case major == Schema34Major && minor == 0:
		s.current = true
	default:
		return fmt.Errorf("Kea schema version %d.%d; leased reads and writes reservations only in schemas %d.%d (Kea 2.2's) and %d.0 (Kea 3.1.9 and 3.2's; `leased db upgrade` makes it)",
			major, minor, SchemaMajor, SchemaMinor, Schema34Major)
	}
	rows, err := s.pool.Query(ctx, `SELECT table_name::text, column_name::text, data_type::text FROM information_schema.columns
		WHERE table_schema = current_schema() AND table_name IN ('hosts', 'dhcp4_options')`)
	if err != nil {
		return fmt.Errorf("reading the host tables' columns: %w", err)
	}
	found := map[[2]string]string{}
	var table, name, typ string
	if _, err := pgx.ForEachRow(rows, []any{&table, &name, &typ}, func() error {
		found[[2]string{table, name}] = typ
		return nil
	}); err != nil {
		return fmt.Errorf("reading the host tables' columns: %w", err)
	}
	check := func(cols map[[2]string]string, version string) error {
		for col, want := range cols {
			if got, ok := found[col]; !ok || got != want {
				return fmt.Errorf("column %s.%s is %q, not %q as in Kea's schema %s", col[0], col[1], got, want, version)
			}
		}
		return nil
	}
	if !s.current {
		return check(columns13, "13.0")
	}
	if err := check(columns13, "34.0"); err != nil {
		return err
	}
	return check(columns34, "34.0")
}

// SchemaVersion is the version of Kea's schema the store found: "13.0"
// or "34.0".
func (s *Store) SchemaVersion() string {
	if s.current {
		return "34.0"
	}
	return "13.0"
}

// Ping checks that the database answers, on a new connection, for the
// recovery of a lost connection: the connections open before are closed
// first, since after the server restarted every one of them is broken.
func (s *Store) Ping(ctx context.Context) error {
	s.pool.Reset()
	if err := s.pool.Ping(ctx); err != nil {
		return s.fail("pinging the database", err)
	}
	return nil
}

// ReadOnly reports whether the store refuses changes.
func (s *Store) ReadOnly() bool { return s.readOnly }

// Close closes the connections.
func (s *Store) Close() error {
	s.pool.Close()
	return nil
}

func (s *Store) fail(what string, err error) error {
	return fmt.Errorf("hosts-database: %s: %s: %w", s.where, what, err)
}

// query runs Kea's query of a host and its DHCPv4 options
// (sqlhosts.Columns) with where and returns the hosts it finds, in host
// id order.
func (s *Store) query(ctx context.Context, cfg *config.Config, what, where string, args ...any) ([]hosts.Entry, error) {
	cols, dest := sqlhosts.Columns, (*sqlhosts.Row).Dest
	if s.current {
		cols, dest = sqlhosts.ColumnsCurrent, (*sqlhosts.Row).DestCurrent
	}
	rows, err := s.pool.Query(ctx, cols+where+sqlhosts.OrderBy, args...)
	if err != nil {
		return nil, s.fail(what, err)
	}
	rd := sqlhosts.NewReader(cfg)
	var r sqlhosts.Row
	_, err = pgx.ForEachRow(rows, dest(&r), func() error { return rd.Add(&r) })
	var out []hosts.Entry
	if err == nil {
		out, err = rd.Entries()
	}
	if err != nil {
		return nil, s.fail(what, err)
	}
	return out, nil
}

// subnetsIn is the condition that the host is in one of subnets, their
// ids as parameters from $first on, and those parameters. A list of
// parameters, not one array (= ANY($n)): the planner takes several times
// longer over an array than over the whole query otherwise.
func subnetsIn(subnets []uint32, first int) (string, []any) {
	var b strings.Builder
	args := make([]any, len(subnets))
	b.WriteString("h.dhcp4_subnet_id IN (")
	for i, s := range subnets {
		if i > 0 {
			b.WriteString(", ")
		}
		fmt.Fprintf(&b, "$%d", first+i)
		args[i] = int64(s)
	}
	b.WriteString(")")
	return b.String(), args
}

// Find returns the reservations, in any of subnets, for any of ids: one
// query, answered from the (identifier, type) index.
func (s *Store) Find(ctx context.Context, cfg *config.Config, subnets []uint32, ids []hosts.Identifier) ([]*config.Host, error) {
	if len(subnets) == 0 || len(ids) == 0 {
		return nil, nil
	}
	where, args := findWhere(subnets, ids)
	es, err := s.query(ctx, cfg, "looking up a client's reservations", where, args...)
	return sqlhosts.Hosts(es), err
}

// findWhere is Find's condition and its arguments: the (identifier,
// type) pairs as two arrays, so that one prepared statement serves any
// number of identifiers, each pair looked up in the index on
// (dhcp_identifier, dhcp_identifier_type).
func findWhere(subnets []uint32, ids []hosts.Identifier) (string, []any) {
	values := make([][]byte, len(ids))
	types := make([]int16, len(ids))
	for i, id := range ids {
		values[i], types[i] = id.Value, sqlhosts.IDType(id.Type)
	}
	in, args := subnetsIn(subnets, 3)
	return `WHERE (h.dhcp_identifier, h.dhcp_identifier_type) IN (SELECT * FROM unnest($1::bytea[], $2::smallint[])) AND ` + in,
		append([]any{values, types}, args...)
}

// ByAddress returns the reservations of a in any of subnets.
func (s *Store) ByAddress(ctx context.Context, cfg *config.Config, subnets []uint32, a netip.Addr) ([]*config.Host, error) {
	if len(subnets) == 0 || !a.Is4() {
		return nil, nil
	}
	// "> 0" says nothing new (0 is Kea's "no address") but keeps the
	// one plan made for every address on the index where most
	// reservations have none: the planner, not knowing the address,
	// would otherwise expect to match them all and read the table.
	in, args := subnetsIn(subnets, 2)
	es, err := s.query(ctx, cfg, "looking up the reservations of "+a.String(),
		"WHERE h.ipv4_address = $1 AND h.ipv4_address > 0 AND "+in, append([]any{int64(dhcpv4.AddrToUint32(a))}, args...)...)
	return sqlhosts.Hosts(es), err
}

// Page returns up to limit reservations with host ids above after, in
// host id order, of one subnet or of all.
func (s *Store) Page(ctx context.Context, cfg *config.Config, subnetID uint32, all bool, after uint64, limit int) ([]hosts.Entry, error) {
	if limit <= 0 {
		return nil, nil
	}
	if all {
		return s.query(ctx, cfg, "reading a page of reservations",
			"WHERE h.host_id IN (SELECT host_id FROM hosts WHERE dhcp4_subnet_id IS NOT NULL AND host_id > $1 ORDER BY host_id LIMIT $2)",
			int64(after), limit)
	}
	return s.query(ctx, cfg, "reading a page of reservations",
		"WHERE h.host_id IN (SELECT host_id FROM hosts WHERE dhcp4_subnet_id = $1 AND host_id > $2 ORDER BY host_id LIMIT $3)",
		int64(subnetID), int64(after), limit)
}

// Add stores h and its options in one transaction, in the columns and
// encodings kea-dhcp4 2.2 writes: no DHCPv6 subnet (NULL), the address
// and next server as integers (0 for none), empty text rather than NULL,
// classes joined by commas, the user context NULL when there is none;
// each option in dhcp4_options with scope 3 (host).
func (s *Store) Add(ctx context.Context, h *config.Host) error {
	if s.readOnly {
		return hosts.ErrReadOnly
	}
	uctx := sqlhosts.UserContext(h)
	stored := hosts.StoredOptions(&h.Options)
	if !s.current {
		for _, o := range stored {
			if o.Cancelled || len(o.ClientClasses) > 0 {
				return fmt.Errorf("hosts-database: %s: option %s.%d has never-send or client-classes, which Kea's schema 13.0 cannot keep (34.0 can: `leased db upgrade`)",
					s.where, o.Space, o.Code)
			}
		}
	}
	err := pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		var hostID int64
		err := tx.QueryRow(ctx, `INSERT INTO hosts(dhcp_identifier, dhcp_identifier_type, dhcp4_subnet_id, dhcp6_subnet_id,
			ipv4_address, hostname, dhcp4_client_classes, dhcp6_client_classes, user_context,
			dhcp4_next_server, dhcp4_server_hostname, dhcp4_boot_file_name, auth_key)
			VALUES ($1, $2, $3, NULL, $4, $5, $6, '', $7, $8, $9, $10, NULL) RETURNING host_id`,
			h.Identifier, sqlhosts.IDType(h.IDType), int64(h.SubnetID), sqlhosts.AddrInt(h.Address), h.Hostname,
			strings.Join(h.ClientClasses, ","), uctx, sqlhosts.AddrInt(h.NextServer), h.ServerHostname, h.BootFileName).Scan(&hostID)
		if err != nil {
			return err
		}
		for _, o := range stored {
			value, formatted := sqlhosts.OptionValue(o)
			var err error
			if s.current {
				_, err = tx.Exec(ctx, `INSERT INTO dhcp4_options(code, value, formatted_value, space, persistent, cancelled, client_classes, user_context, host_id, scope_id)
				VALUES ($1, $2, $3, $4, $5, $6, $7, NULL, $8, 3)`, int16(o.Code), value, formatted, o.Space, o.Persistent,
					o.Cancelled, sqlhosts.OptionClassesText(o.ClientClasses), hostID)
			} else {
				_, err = tx.Exec(ctx, `INSERT INTO dhcp4_options(code, value, formatted_value, space, persistent, user_context, host_id, scope_id)
				VALUES ($1, $2, $3, $4, $5, NULL, $6, 3)`, int16(o.Code), value, formatted, o.Space, o.Persistent, hostID)
			}
			if err != nil {
				return err
			}
		}
		return nil
	})
	var pgErr *pgconn.PgError
	if errors.As(err, &pgErr) && pgErr.Code == "23505" {
		return hosts.ErrExists
	}
	if err != nil {
		return s.fail(fmt.Sprintf("adding the reservation of %s %s", h.IDType, hosts.FormatID(h.Identifier)), err)
	}
	return nil
}

// Delete removes the reservation of id in a subnet; its options go with
// it (ON DELETE CASCADE).
func (s *Store) Delete(ctx context.Context, subnetID uint32, id hosts.Identifier) (bool, error) {
	if s.readOnly {
		return false, hosts.ErrReadOnly
	}
	tag, err := s.pool.Exec(ctx, "DELETE FROM hosts WHERE dhcp4_subnet_id = $1 AND dhcp_identifier_type = $2 AND dhcp_identifier = $3",
		int64(subnetID), sqlhosts.IDType(id.Type), id.Value)
	if err != nil {
		return false, s.fail("deleting a reservation", err)
	}
	return tag.RowsAffected() > 0, nil
}

// DeleteAddress removes the reservations of a in a subnet.
func (s *Store) DeleteAddress(ctx context.Context, subnetID uint32, a netip.Addr) (bool, error) {
	if s.readOnly {
		return false, hosts.ErrReadOnly
	}
	tag, err := s.pool.Exec(ctx, "DELETE FROM hosts WHERE dhcp4_subnet_id = $1 AND ipv4_address = $2",
		int64(subnetID), sqlhosts.AddrInt(a))
	if err != nil {
		return false, s.fail("deleting the reservation of "+a.String(), err)
	}
	return tag.RowsAffected() > 0, nil
}
