// Package mysql is a hosts.Store over the host tables of Kea's MySQL
// schema 14.0 (Kea 2.2's, made by `kea-admin db-init mysql`) or 35.0
// (Kea 3.1.9 and 3.2's, made by `leased db upgrade mysql`), so that
// leased and kea-dhcp4 serve the same reservations from one MySQL or
// MariaDB database. It is the MySQL dialect over hosts/sqlhosts, which
// reads and writes the rows as kea-dhcp4 2.2 does (see hosts/pgsql for
// the encodings; they are the same in both engines' tables); the
// connection is lease/mysql's.
//
// A lookup by a client's identifiers is one statement, answered from
// Kea's unique index on (dhcp_identifier, dhcp_identifier_type,
// dhcp4_subnet_id); a lookup by address from the index on
// (ipv4_address, dhcp4_subnet_id). Nothing is cached: a reservation
// another server adds is served from the next message on.
//
// In 35.0 an option also says whether it is never sent (cancelled) and
// the classes it is limited to (client_classes, a JSON list, '[  ]' for
// none, as Kea writes it); 14.0 cannot keep either, and an option with
// them is refused there. The host identifier is up to 255 bytes in 35.0
// (128 in 14.0).
//
// Open refuses any schema version but 14.0 and 35.0 and host tables whose
// columns differ from that version's. Errors name the database, server
// and user; the password never appears.
package mysql

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"net/netip"
	"strings"

	mysqldriver "github.com/go-sql-driver/mysql"

	"github.com/leased/leased/config"
	"github.com/leased/leased/dhcpv4"
	"github.com/leased/leased/hosts"
	"github.com/leased/leased/hosts/sqlhosts"
	leasemysql "github.com/leased/leased/lease/mysql"
)

// Options say which database to use and how: lease/mysql's connection
// settings, and whether changes are refused.
type Options struct {
	leasemysql.Options
	// ReadOnly refuses every change, as Kea's readonly.
	ReadOnly bool
}

// Store is a hosts.Store over Kea's MySQL host tables.
type Store struct {
	db       *sql.DB
	where    string
	readOnly bool
	// current is set on schema 35.0: options have cancelled and
	// client_classes.
	current bool
}

var _ hosts.Store = (*Store)(nil)

// Open connects to the database and checks that its schema is Kea's
// 14.0 or 35.0.
func Open(ctx context.Context, opts Options) (*Store, error) {
	conn, where, err := leasemysql.Connector(opts.Options)
	if err != nil {
		return nil, fmt.Errorf("hosts-database: %w", err)
	}
	s := &Store{db: sql.OpenDB(conn), where: where, readOnly: opts.ReadOnly}
	n := opts.MaxConns
	if n <= 0 {
		n = 8
	}
	s.db.SetMaxOpenConns(n)
	s.db.SetMaxIdleConns(n)
	if err := s.checkSchema(ctx); err != nil {
		s.db.Close()
		return nil, fmt.Errorf("hosts-database: %s: %w", s.where, err)
	}
	return s, nil
}

// columns14 are the columns of schema 14.0's host tables this package
// reads or writes, and their data types.
var columns14 = map[[2]string]string{
	{"hosts", "host_id"}:                 "int",
	{"hosts", "dhcp_identifier"}:         "varbinary",
	{"hosts", "dhcp_identifier_type"}:    "tinyint",
	{"hosts", "dhcp4_subnet_id"}:         "int",
	{"hosts", "dhcp6_subnet_id"}:         "int",
	{"hosts", "ipv4_address"}:            "int",
	{"hosts", "hostname"}:                "varchar",
	{"hosts", "dhcp4_client_classes"}:    "varchar",
	{"hosts", "dhcp6_client_classes"}:    "varchar",
	{"hosts", "user_context"}:            "text",
	{"hosts", "dhcp4_next_server"}:       "int",
	{"hosts", "dhcp4_server_hostname"}:   "varchar",
	{"hosts", "dhcp4_boot_file_name"}:    "varchar",
	{"hosts", "auth_key"}:                "varchar",
	{"dhcp4_options", "option_id"}:       "bigint",
	{"dhcp4_options", "code"}:            "tinyint",
	{"dhcp4_options", "value"}:           "blob",
	{"dhcp4_options", "formatted_value"}: "text",
	{"dhcp4_options", "space"}:           "varchar",
	{"dhcp4_options", "persistent"}:      "tinyint",
	{"dhcp4_options", "user_context"}:    "text",
	{"dhcp4_options", "host_id"}:         "int",
	{"dhcp4_options", "scope_id"}:        "tinyint",
}

// columns35 are schema 35.0's additions to columns14: an option's
// cancelled (never-send) and client_classes (Kea's JSON list, never NULL).
var columns35 = map[[2]string]string{
	{"dhcp4_options", "cancelled"}:      "tinyint",
	{"dhcp4_options", "client_classes"}: "longtext",
}

func (s *Store) checkSchema(ctx context.Context) error {
	v, err := leasemysql.ReadVersion(ctx, s.db)
	switch {
	case errors.Is(err, leasemysql.ErrNoSchema):
		return fmt.Errorf("%w: create it with `kea-admin db-init mysql`", err)
	case err != nil:
		return err
	case v == leasemysql.Kea22:
	case v == leasemysql.Kea32:
		s.current = true
	default:
		return fmt.Errorf("Kea schema version %s; leased reads and writes reservations only in MySQL schemas %s (Kea 2.2's) and %s (Kea 3.1.9 and 3.2's; `leased db upgrade mysql` makes it)", v, leasemysql.Kea22, leasemysql.Kea32)
	}
	rows, err := s.db.QueryContext(ctx, `SELECT table_name, column_name, data_type FROM information_schema.columns
		WHERE table_schema = DATABASE() AND table_name IN ('hosts', 'dhcp4_options')`)
	if err != nil {
		return fmt.Errorf("reading the host tables' columns: %w", err)
	}
	defer rows.Close()
	found := map[[2]string]string{}
	for rows.Next() {
		var table, name, typ string
		if err := rows.Scan(&table, &name, &typ); err != nil {
			return fmt.Errorf("reading the host tables' columns: %w", err)
		}
		found[[2]string{table, name}] = typ
	}
	if err := rows.Err(); err != nil {
		return fmt.Errorf("reading the host tables' columns: %w", err)
	}
	check := func(cols map[[2]string]string) error {
		for col, want := range cols {
			if got, ok := found[col]; !ok || got != want {
				return fmt.Errorf("column %s.%s is %q, not %q as in Kea's MySQL schema %s", col[0], col[1], got, want, v)
			}
		}
		return nil
	}
	if err := check(columns14); err != nil || !s.current {
		return err
	}
	return check(columns35)
}

// SchemaVersion is the version of Kea's schema the store found: "14.0"
// or "35.0".
func (s *Store) SchemaVersion() string {
	if s.current {
		return leasemysql.Kea32.String()
	}
	return leasemysql.Kea22.String()
}

// ReadOnly reports whether the store refuses changes.
func (s *Store) ReadOnly() bool { return s.readOnly }

// Close closes the connections.
func (s *Store) Close() error { return s.db.Close() }

// Ping checks that the database answers, for the daemon's recovery of a
// lost connection (on-fail).
func (s *Store) Ping(ctx context.Context) error {
	if err := s.db.PingContext(ctx); err != nil {
		return s.fail("pinging the database", err)
	}
	return nil
}

func (s *Store) fail(what string, err error) error {
	return fmt.Errorf("hosts-database: %s: %s: %w", s.where, what, err)
}

// query runs Kea's query of a host and its DHCPv4 options with where and
// returns the hosts it finds, in host id order.
func (s *Store) query(ctx context.Context, cfg *config.Config, what, where string, args ...any) ([]hosts.Entry, error) {
	cols, dest := sqlhosts.Columns, (*sqlhosts.Row).Dest
	if s.current {
		cols, dest = sqlhosts.ColumnsCurrent, (*sqlhosts.Row).DestCurrent
	}
	rows, err := s.db.QueryContext(ctx, cols+where+sqlhosts.OrderBy, args...)
	if err != nil {
		return nil, s.fail(what, err)
	}
	defer rows.Close()
	rd := sqlhosts.NewReader(cfg)
	var r sqlhosts.Row
	for rows.Next() {
		if err := rows.Scan(dest(&r)...); err != nil {
			return nil, s.fail(what, err)
		}
		if err := rd.Add(&r); err != nil {
			return nil, s.fail(what, err)
		}
	}
	if err := rows.Err(); err != nil {
		return nil, s.fail(what, err)
	}
	out, err := rd.Entries()
	if err != nil {
		return nil, s.fail(what, err)
	}
	return out, nil
}

// list is n placeholders separated by commas, each p.
func list(n int, p string) string {
	return strings.TrimSuffix(strings.Repeat(p+", ", n), ", ")
}

// Find returns the reservations, in any of subnets, for any of ids: one
// query, answered from the (identifier, type, subnet) index.
func (s *Store) Find(ctx context.Context, cfg *config.Config, subnets []uint32, ids []hosts.Identifier) ([]*config.Host, error) {
	if len(subnets) == 0 || len(ids) == 0 {
		return nil, nil
	}
	args := make([]any, 0, 2*len(ids)+len(subnets))
	for _, id := range ids {
		args = append(args, id.Value, sqlhosts.IDType(id.Type))
	}
	for _, sn := range subnets {
		args = append(args, int64(sn))
	}
	where := "WHERE (h.dhcp_identifier, h.dhcp_identifier_type) IN (" + list(len(ids), "(?, ?)") + ") AND h.dhcp4_subnet_id IN (" + list(len(subnets), "?") + ")"
	es, err := s.query(ctx, cfg, "looking up a client's reservations", where, args...)
	return sqlhosts.Hosts(es), err
}

// ByAddress returns the reservations of a in any of subnets.
func (s *Store) ByAddress(ctx context.Context, cfg *config.Config, subnets []uint32, a netip.Addr) ([]*config.Host, error) {
	if len(subnets) == 0 || !a.Is4() {
		return nil, nil
	}
	args := []any{int64(dhcpv4.AddrToUint32(a))}
	for _, sn := range subnets {
		args = append(args, int64(sn))
	}
	es, err := s.query(ctx, cfg, "looking up the reservations of "+a.String(),
		"WHERE h.ipv4_address = ? AND h.dhcp4_subnet_id IN ("+list(len(subnets), "?")+")", args...)
	return sqlhosts.Hosts(es), err
}

// Page returns up to limit reservations with host ids above after, in
// host id order, of one subnet or of all. MySQL takes no LIMIT in an IN
// subquery: the page's ids are read first.
func (s *Store) Page(ctx context.Context, cfg *config.Config, subnetID uint32, all bool, after uint64, limit int) ([]hosts.Entry, error) {
	if limit <= 0 {
		return nil, nil
	}
	q, args := "SELECT host_id FROM hosts WHERE dhcp4_subnet_id = ? AND host_id > ? ORDER BY host_id LIMIT ?", []any{int64(subnetID), int64(after), limit}
	if all {
		q, args = "SELECT host_id FROM hosts WHERE dhcp4_subnet_id IS NOT NULL AND host_id > ? ORDER BY host_id LIMIT ?", []any{int64(after), limit}
	}
	rows, err := s.db.QueryContext(ctx, q, args...)
	if err != nil {
		return nil, s.fail("reading a page of reservations", err)
	}
	var ids []any
	for rows.Next() {
		var id int64
		if err := rows.Scan(&id); err != nil {
			rows.Close()
			return nil, s.fail("reading a page of reservations", err)
		}
		ids = append(ids, id)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, s.fail("reading a page of reservations", err)
	}
	if len(ids) == 0 {
		return nil, nil
	}
	return s.query(ctx, cfg, "reading a page of reservations", "WHERE h.host_id IN ("+list(len(ids), "?")+")", ids...)
}

// Add stores h and its options in one transaction, as kea-dhcp4 writes
// them (sqlhosts): each option in dhcp4_options with scope 3 (host), in
// 35.0 with its cancelled and client_classes. A second reservation of one
// identifier in one subnet violates Kea's unique index and is
// hosts.ErrExists.
func (s *Store) Add(ctx context.Context, h *config.Host) error {
	if s.readOnly {
		return hosts.ErrReadOnly
	}
	stored := hosts.StoredOptions(&h.Options)
	if !s.current {
		for _, o := range stored {
			if o.Cancelled || len(o.ClientClasses) > 0 {
				return fmt.Errorf("hosts-database: %s: option %s.%d has never-send or client-classes, which Kea's MySQL schema 14.0 cannot keep (35.0 can: `leased db upgrade mysql`)",
					s.where, o.Space, o.Code)
			}
		}
	}
	err := s.inTx(ctx, func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, `INSERT INTO hosts(dhcp_identifier, dhcp_identifier_type, dhcp4_subnet_id, dhcp6_subnet_id,
			ipv4_address, hostname, dhcp4_client_classes, dhcp6_client_classes, user_context,
			dhcp4_next_server, dhcp4_server_hostname, dhcp4_boot_file_name, auth_key)
			VALUES (?, ?, ?, NULL, ?, ?, ?, '', ?, ?, ?, ?, NULL)`,
			h.Identifier, sqlhosts.IDType(h.IDType), int64(h.SubnetID), sqlhosts.AddrInt(h.Address), h.Hostname,
			strings.Join(h.ClientClasses, ","), sqlhosts.UserContext(h), sqlhosts.AddrInt(h.NextServer), h.ServerHostname, h.BootFileName)
		if err != nil {
			return err
		}
		hostID, err := res.LastInsertId()
		if err != nil {
			return err
		}
		for _, o := range stored {
			value, formatted := sqlhosts.OptionValue(o)
			var err error
			if s.current {
				_, err = tx.ExecContext(ctx, `INSERT INTO dhcp4_options(code, value, formatted_value, space, persistent, cancelled, client_classes, user_context, host_id, scope_id)
				VALUES (?, ?, ?, ?, ?, ?, ?, NULL, ?, 3)`, int64(o.Code), value, formatted, o.Space, o.Persistent,
					o.Cancelled, sqlhosts.OptionClassesText(o.ClientClasses), hostID)
			} else {
				_, err = tx.ExecContext(ctx, `INSERT INTO dhcp4_options(code, value, formatted_value, space, persistent, user_context, host_id, scope_id)
				VALUES (?, ?, ?, ?, ?, NULL, ?, 3)`, int64(o.Code), value, formatted, o.Space, o.Persistent, hostID)
			}
			if err != nil {
				return err
			}
		}
		return nil
	})
	var myErr *mysqldriver.MySQLError
	if errors.As(err, &myErr) && myErr.Number == 1062 { // ER_DUP_ENTRY
		return hosts.ErrExists
	}
	if err != nil {
		return s.fail(fmt.Sprintf("adding the reservation of %s %s", h.IDType, hosts.FormatID(h.Identifier)), err)
	}
	return nil
}

func (s *Store) inTx(ctx context.Context, f func(*sql.Tx) error) error {
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	if err := f(tx); err != nil {
		tx.Rollback()
		return err
	}
	return tx.Commit()
}

// Delete removes the reservation of id in a subnet; its options go with
// it (ON DELETE CASCADE).
func (s *Store) Delete(ctx context.Context, subnetID uint32, id hosts.Identifier) (bool, error) {
	if s.readOnly {
		return false, hosts.ErrReadOnly
	}
	res, err := s.db.ExecContext(ctx, "DELETE FROM hosts WHERE dhcp4_subnet_id = ? AND dhcp_identifier_type = ? AND dhcp_identifier = ?",
		int64(subnetID), sqlhosts.IDType(id.Type), id.Value)
	if err != nil {
		return false, s.fail("deleting a reservation", err)
	}
	n, _ := res.RowsAffected()
	return n > 0, nil
}

// DeleteAddress removes the reservations of a in a subnet.
func (s *Store) DeleteAddress(ctx context.Context, subnetID uint32, a netip.Addr) (bool, error) {
	if s.readOnly {
		return false, hosts.ErrReadOnly
	}
	res, err := s.db.ExecContext(ctx, "DELETE FROM hosts WHERE dhcp4_subnet_id = ? AND ipv4_address = ?",
		int64(subnetID), sqlhosts.AddrInt(a))
	if err != nil {
		return false, s.fail("deleting the reservation of "+a.String(), err)
	}
	n, _ := res.RowsAffected()
	return n > 0, nil
}
