package schema

import (
	"context"
	_ "embed"
	"errors"
	"fmt"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
)

// Version is a schema version as Kea's schema_version table holds it.
type Version struct{ Major, Minor int }

func (v Version) String() string { return fmt.Sprintf("%d.%d", v.Major, v.Minor) }

// The versions this package makes: Init's and Upgrade's.
var (
	// Kea22 is the schema of Kea 2.2 (Debian 12's), which Init creates.
	Kea22 = Version{13, 0}
	// Kea32 is the schema of Kea 3.1.9 and 3.2, which Upgrade makes.
	Kea32 = Version{34, 0}
)

// ErrNoSchema is returned, wrapped, by Read for a database without
// Kea's schema (no schema_version table).
var ErrNoSchema = errors.New("no Kea schema (no table schema_version)")

// ErrNotEmpty is returned, wrapped, by Init for a database that already
// holds tables, views or sequences.
var ErrNotEmpty = errors.New("the database is not empty")

var (
	//go:embed create_13.sql
	create13 string
	//go:embed upgrade_13_to_34.sql
	upgrade13to34 string
)

// Querier runs one query: a *pgx.Conn, a *pgxpool.Pool or a pgx.Tx.
type Querier interface {
	QueryRow(ctx context.Context, sql string, args ...any) pgx.Row
}

// Read returns the version in the database's schema_version table.
func Read(ctx context.Context, q Querier) (Version, error) { return read(ctx, q, "") }

func read(ctx context.Context, q Querier, lock string) (Version, error) {
	var v Version
	err := q.QueryRow(ctx, "SELECT version, minor FROM schema_version"+lock).Scan(&v.Major, &v.Minor)
	var pgErr *pgconn.PgError
	switch {
	case errors.As(err, &pgErr) && pgErr.Code == "42P01": // undefined_table
		return Version{}, ErrNoSchema
	case errors.Is(err, pgx.ErrNoRows):
		return Version{}, errors.New("table schema_version is empty")
	case err != nil:
		return Version{}, fmt.Errorf("read the schema version: %w", err)
	}
	return v, nil
}

// Init creates Kea's schema 13.0 in conn's database, which must be empty
// (no table, view or sequence in its current schema), as kea-admin
// db-init requires. Everything is created in one transaction: an error
// leaves the database as it was.
func Init(ctx context.Context, conn *pgx.Conn) error {
	var n int
	var some string
	err := conn.QueryRow(ctx, `SELECT count(*), coalesce(min(c.relname), '') FROM pg_class c
		JOIN pg_namespace n ON n.oid = c.relnamespace
		WHERE n.nspname = current_schema() AND c.relkind IN ('r', 'p', 'v', 'm', 'S', 'f')`).Scan(&n, &some)
	if err != nil {
		return fmt.Errorf("list the relations of the database: %w", err)
	}
	if n > 0 {
		if v, err := Read(ctx, conn); err == nil {
			return fmt.Errorf("%w: it holds Kea's schema %s already (leased db version shows it, leased db upgrade takes 13.0 to %s)", ErrNotEmpty, v, Kea32)
		}
		return fmt.Errorf("%w: it holds %d tables, views or sequences (%s among them); Kea's schema is created only in an empty database, as kea-admin db-init does", ErrNotEmpty, n, some)
	}
	return inTx(ctx, conn, "create schema "+Kea22.String(), func(tx pgx.Tx) error {
		_, err := tx.Exec(ctx, create13)
		return err
	})
}

// Upgrade takes conn's database from schema 13.0 to 34.0 in one
// transaction and returns the version it found. A database at 34.0 is
// left alone; one at any other version, or without Kea's schema, is
// refused. Of two upgrades at once, the second waits for the first and
// then finds 34.0. Servers using the database should be stopped first:
// Kea of either version refuses the other's schema.
func Upgrade(ctx context.Context, conn *pgx.Conn) (Version, error) {
	var from Version
	err := inTx(ctx, conn, fmt.Sprintf("upgrade schema %s to %s", Kea22, Kea32), func(tx pgx.Tx) error {
		// The version row stays locked until the transaction ends.
		var err error
		if from, err = read(ctx, tx, " FOR UPDATE"); err != nil {
			return err
		}
		switch from {
		case Kea32:
			return nil
		case Kea22:
		default:
			return unknown(from)
		}
		if _, err := tx.Exec(ctx, upgrade13to34); err != nil {
			return err
		}
		if v, err := Read(ctx, tx); err != nil || v != Kea32 {
			return fmt.Errorf("after the upgrade the version is %s (%v), not %s", v, err, Kea32)
		}
		return nil
	})
	return from, err
}

func unknown(v Version) error {
	return fmt.Errorf("Kea schema %s: leased creates %s (Kea 2.2) and upgrades it to %s (Kea 3.1.9 and 3.2), and knows no other version; use the kea-admin of the Kea that made it", v, Kea22, Kea32)
}

// inTx runs f in a transaction in which function bodies are checked when
// they first run, not when they are created (they name tables created
// after them), and commits it.
func inTx(ctx context.Context, conn *pgx.Conn, what string, f func(pgx.Tx) error) error {
	tx, err := conn.Begin(ctx)
	if err != nil {
		return fmt.Errorf("%s: %w", what, err)
	}
	defer tx.Rollback(ctx)
	if _, err := tx.Exec(ctx, "SET LOCAL check_function_bodies = false"); err != nil {
		return fmt.Errorf("%s: %w", what, err)
	}
	if err := f(tx); err != nil {
		return fmt.Errorf("%s: %w", what, err)
	}
	if err := tx.Commit(ctx); err != nil {
		return fmt.Errorf("%s: commit: %w", what, err)
	}
	return nil
}
