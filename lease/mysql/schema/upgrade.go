package schema

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"

	"github.com/leased/leased/lease/mysql"
)

// ErrPartial is returned, wrapped, by Upgrade when a statement failed
// after others had changed the database: MySQL commits every change of
// a table's structure at once, so nothing can be rolled back, and the
// database is neither 14.0 nor 35.0 (its version still says 14.0).
var ErrPartial = errors.New("the upgrade stopped part way")

// Upgrade takes db's current database from schema 14.0 to 35.0 and
// returns the version it found. A database at 35.0 is left alone; one at
// any other version, or without Kea's schema, is refused. It runs on one
// connection of db; two Upgrades of one database at once take turns (a
// named lock), and the second finds 35.0. Servers using the database
// should be stopped first: Kea of either version refuses the other's
// schema.
//
// Before changing anything it checks what would make a statement fail
// part way (a table of 35.0 there already, an IPv6 address that does
// not parse, an option definition of an unknown type); a failure after
// that, such as the connection lost, leaves the database part way
// (ErrPartial), to be restored from a backup, as with kea-admin.
func Upgrade(ctx context.Context, db *sql.DB) (mysql.Version, error) {
	what := fmt.Sprintf("upgrade schema %s to %s", Kea22, Kea32)
	conn, err := db.Conn(ctx)
	if err != nil {
		return mysql.Version{}, fmt.Errorf("%s: %w", what, err)
	}
	defer conn.Close()
	var name sql.NullString
	if err := conn.QueryRowContext(ctx, "SELECT DATABASE()").Scan(&name); err != nil {
		return mysql.Version{}, fmt.Errorf("%s: which database: %w", what, err)
	}
	if !name.Valid {
		return mysql.Version{}, fmt.Errorf("%s: no database selected", what)
	}
	what += " in " + name.String
	lock := "leased schema upgrade " + name.String
	var got sql.NullInt64
	if err := conn.QueryRowContext(ctx, "SELECT GET_LOCK(?, ?)", lock, int(lockWait.Seconds())).Scan(&got); err != nil {
		return mysql.Version{}, fmt.Errorf("%s: lock: %w", what, err)
	}
	if got.Int64 != 1 {
		return mysql.Version{}, fmt.Errorf("%s: another leased db upgrade holds the database for more than %s", what, lockWait)
	}
	defer conn.ExecContext(context.WithoutCancel(ctx), "DO RELEASE_LOCK(?)", lock)

	from, err := mysql.ReadVersion(ctx, conn)
	if err != nil {
		return from, fmt.Errorf("%s: %w", what, err)
	}
	switch from {
	case Kea32:
		return from, nil
	case Kea22:
	default:
		return from, fmt.Errorf("%s: %w", what, unknown(from))
	}
	if err := preflight(ctx, conn); err != nil {
		return from, fmt.Errorf("%s: nothing changed: %w", what, err)
	}
	// Routines and triggers keep the sql_mode they were created in: the
	// server's default, as Init's. The configuration backend's triggers
	// write no audit entries for the rows converted.
	if _, err := conn.ExecContext(ctx, "SET SESSION sql_mode = @@GLOBAL.sql_mode, @disable_audit = 1"); err != nil {
		return from, fmt.Errorf("%s: %w", what, err)
	}
	defer conn.ExecContext(context.WithoutCancel(ctx), "SET @disable_audit = NULL")
	script := statements(upgrade14to35)
	for i, s := range script {
		if _, err := conn.ExecContext(ctx, s); err != nil {
			err = fmt.Errorf("%s: statement %d of %d (%s): %w", what, i+1, len(script), firstLine(s), err)
			if i > 0 {
				err = fmt.Errorf("%w: %w; restore the database from its backup", ErrPartial, err)
			}
			return from, err
		}
	}
	if v, err := mysql.ReadVersion(ctx, conn); err != nil || v != Kea32 {
		return from, fmt.Errorf("%s: after the upgrade the version is %s (%v), not %s", what, v, err, Kea32)
	}
	return from, nil
}

// newTables are the tables 35.0 adds.
var newTables = []string{"lease4_pool_stat", "lease6_pool_stat", "lease6_relay_id", "lease6_remote_id",
	"option_def_data_type", "flq_pool4", "free_lease4", "flq_pool6", "free_lease6"}

// preflight finds what would make the upgrade fail after it began.
func preflight(ctx context.Context, conn *sql.Conn) error {
	var there sql.NullString
	err := conn.QueryRowContext(ctx, `SELECT GROUP_CONCAT(TABLE_NAME ORDER BY TABLE_NAME SEPARATOR ', ')
		FROM information_schema.TABLES WHERE TABLE_SCHEMA = DATABASE() AND TABLE_NAME IN ('`+strings.Join(newTables, "', '")+`')`).Scan(&there)
	if err != nil {
		return err
	}
	if there.Valid && there.String != "" {
		return fmt.Errorf("the database holds %s already, which schema 35.0 adds: it is not a 14.0 database as kea-admin makes it", there.String)
	}
	for _, c := range []struct{ table, what string }{
		{"lease6", "lease"},
		{"ipv6_reservations", "reservation"},
	} {
		var bad sql.NullString
		err := conn.QueryRowContext(ctx, "SELECT MIN(address) FROM "+c.table+" WHERE INET6_ATON(address) IS NULL").Scan(&bad)
		if err != nil {
			return fmt.Errorf("read %s: %w", c.table, err)
		}
		if bad.Valid {
			return fmt.Errorf("%s: the IPv6 %s address %q does not parse, and 35.0 keeps addresses as 16 bytes", c.table, c.what, bad.String)
		}
	}
	for _, table := range []string{"dhcp4_option_def", "dhcp6_option_def"} {
		var bad sql.NullInt64
		err := conn.QueryRowContext(ctx, "SELECT MIN(type) FROM "+table+
			" WHERE record_types IS NULL AND type NOT IN (0, 1, 2, 3, 4, 5, 6, 7, 8, 10, 11, 12, 13, 14, 15, 16, 17, 254)").Scan(&bad)
		if err != nil {
			return fmt.Errorf("read %s: %w", table, err)
		}
		if bad.Valid {
			return fmt.Errorf("%s: an option definition of type %d, which 35.0 does not know (its option_def_data_type has no such row)", table, bad.Int64)
		}
	}
	return nil
}

func unknown(v mysql.Version) error {
	return fmt.Errorf("Kea MySQL schema %s: leased creates %s (Kea 2.2) and upgrades it to %s (Kea 3.1.9 and 3.2), and knows no other version; use the kea-admin of the Kea that made it", v, Kea22, Kea32)
}
