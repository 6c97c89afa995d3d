package schema

import (
	"context"
	"database/sql"
	_ "embed"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/leased/leased/lease/mysql"
)

// The versions this package makes: Init's and Upgrade's.
var (
	// Kea22 is the version Init creates: Kea 2.2's MySQL schema.
	Kea22 = mysql.Kea22
	// Kea32 is the version Upgrade makes: the MySQL schema of Kea 3.1.9
	// and 3.2.
	Kea32 = mysql.Kea32
)

// ErrNotEmpty is returned, wrapped, by Init for a database that already
// holds tables, views or routines.
var ErrNotEmpty = errors.New("the database is not empty")

// lockWait is how long Init waits for another Init of the same database.
const lockWait = 120 * time.Second

var (
	//go:embed create_14.sql
	create14 string
	//go:embed upgrade_14_to_35.sql
	upgrade14to35 string
)

// statements are script's statements, each ended by a line "$$" (their
// bodies hold semicolons), without the comments between them.
func statements(script string) []string {
	var out []string
	for _, part := range strings.Split(script, "\n$$\n") {
		var keep []string
		for _, line := range strings.Split(part, "\n") {
			if len(keep) == 0 && (strings.HasPrefix(line, "--") || strings.TrimSpace(line) == "") {
				continue
			}
			keep = append(keep, line)
		}
		if s := strings.TrimSpace(strings.Join(keep, "\n")); s != "" {
			out = append(out, s)
		}
	}
	return out
}

// Init creates Kea's schema 14.0 in db's current database, which must be
// empty (no table, view or routine), as kea-admin db-init requires. It
// runs on one connection of db; if a statement fails, what was created
// is dropped again. Two Inits of one database at once are taken one
// after the other (a named lock): the second finds the first's schema.
func Init(ctx context.Context, db *sql.DB) error {
	conn, err := db.Conn(ctx)
	if err != nil {
		return fmt.Errorf("create schema %s: %w", Kea22, err)
	}
	defer conn.Close()
	var name sql.NullString
	if err := conn.QueryRowContext(ctx, "SELECT DATABASE()").Scan(&name); err != nil {
		return fmt.Errorf("create schema %s: which database: %w", Kea22, err)
	}
	if !name.Valid {
		return fmt.Errorf("create schema %s: no database selected", Kea22)
	}
	// Of two Inits at once, the second waits here and then finds the
	// database not empty: without the lock both could find it empty, and
	// the one failing on the other's tables would drop them.
	lock := "leased schema init " + name.String
	var got sql.NullInt64
	if err := conn.QueryRowContext(ctx, "SELECT GET_LOCK(?, ?)", lock, int(lockWait.Seconds())).Scan(&got); err != nil {
		return fmt.Errorf("create schema %s in %s: lock: %w", Kea22, name.String, err)
	}
	if got.Int64 != 1 {
		return fmt.Errorf("create schema %s in %s: another leased db init holds the database for more than %s", Kea22, name.String, lockWait)
	}
	defer conn.ExecContext(context.WithoutCancel(ctx), "DO RELEASE_LOCK(?)", lock)
	n, some, err := contents(ctx, conn)
	if err != nil {
		return fmt.Errorf("create schema %s in %s: %w", Kea22, name.String, err)
	}
	if n > 0 {
		if v, err := mysql.ReadVersion(ctx, conn); err == nil {
			return fmt.Errorf("%w: %s holds Kea's schema %s already (leased db version mysql shows it)", ErrNotEmpty, name.String, v)
		}
		return fmt.Errorf("%w: %s holds %d tables, views or routines (%s among them); Kea's schema is created only in an empty database, as kea-admin db-init does", ErrNotEmpty, name.String, n, some)
	}
	// Routines keep the sql_mode they were created in: the server's
	// default, as when kea-admin's mysql client creates them, not the
	// connection's own.
	if _, err := conn.ExecContext(ctx, "SET SESSION sql_mode = @@GLOBAL.sql_mode"); err != nil {
		return fmt.Errorf("create schema %s in %s: %w", Kea22, name.String, err)
	}
	for i, s := range statements(create14) {
		if _, err := conn.ExecContext(ctx, s); err != nil {
			err = fmt.Errorf("create schema %s in %s: statement %d (%s): %w", Kea22, name.String, i+1, firstLine(s), err)
			if derr := dropAll(ctx, conn); derr != nil {
				return fmt.Errorf("%w; and dropping what was created failed, the database is not empty now: %v", err, derr)
			}
			return err
		}
	}
	return nil
}

func firstLine(s string) string {
	if i := strings.IndexByte(s, '\n'); i >= 0 {
		return s[:i]
	}
	return s
}

// contents counts the tables, views and routines of the current database.
func contents(ctx context.Context, conn *sql.Conn) (int, string, error) {
	var n int
	var some string
	err := conn.QueryRowContext(ctx, `SELECT COUNT(*), COALESCE(MIN(name), '') FROM (
		SELECT TABLE_NAME AS name FROM information_schema.TABLES WHERE TABLE_SCHEMA = DATABASE()
		UNION ALL
		SELECT ROUTINE_NAME FROM information_schema.ROUTINES WHERE ROUTINE_SCHEMA = DATABASE()) AS x`).Scan(&n, &some)
	if err != nil {
		return 0, "", fmt.Errorf("list the tables and routines: %w", err)
	}
	return n, some, nil
}

// dropAll drops every table (with its triggers) and routine of the
// current database, which Init found empty.
func dropAll(ctx context.Context, conn *sql.Conn) error {
	rows, err := conn.QueryContext(ctx, `SELECT CONCAT('DROP TABLE IF EXISTS `+"`"+`', TABLE_NAME, '`+"`"+`')
		FROM information_schema.TABLES WHERE TABLE_SCHEMA = DATABASE()
		UNION ALL
		SELECT CONCAT('DROP ', ROUTINE_TYPE, ' IF EXISTS `+"`"+`', ROUTINE_NAME, '`+"`"+`')
		FROM information_schema.ROUTINES WHERE ROUTINE_SCHEMA = DATABASE()`)
	if err != nil {
		return err
	}
	var drops []string
	for rows.Next() {
		var s string
		if err := rows.Scan(&s); err != nil {
			rows.Close()
			return err
		}
		drops = append(drops, s)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return err
	}
	if _, err := conn.ExecContext(ctx, "SET SESSION foreign_key_checks = 0"); err != nil {
		return err
	}
	for _, d := range drops {
		if _, err := conn.ExecContext(ctx, d); err != nil {
			return fmt.Errorf("%s: %w", d, err)
		}
	}
	_, err = conn.ExecContext(ctx, "SET SESSION foreign_key_checks = 1")
	return err
}
