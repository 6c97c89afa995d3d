package schema

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"slices"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/jackc/pgx/v5"

	"github.com/leased/leased/internal/pgtest"
)

func TestMain(m *testing.M) {
	code := m.Run()
	pgtest.Stop()
	os.Exit(code)
}

var emptyDBs atomic.Int64

// emptyDB returns a new database with nothing in it (not from the
// template, which holds kea-admin's schema).
func emptyDB(t *testing.T, c *pgtest.Cluster) pgtest.DB {
	t.Helper()
	name := fmt.Sprintf("empty%d", emptyDBs.Add(1))
	c.Admin(t, "postgres", "CREATE DATABASE "+name)
	return pgtest.DB{Host: c.Dir, Port: pgtest.Port, Name: name, User: pgtest.User, Password: pgtest.Password}
}

func connect(t *testing.T, db pgtest.DB) *pgx.Conn {
	t.Helper()
	conn, err := pgx.Connect(t.Context(), db.ConnString())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close(context.Background()) })
	return conn
}

// pgDump runs Debian's pg_dump on db with args and returns its output.
func pgDump(t *testing.T, db pgtest.DB, args ...string) string {
	t.Helper()
	bin := pgtest.BinDir + "/pg_dump"
	cmd := exec.Command(bin, append(args, "-h", db.Host, "-p", fmt.Sprint(db.Port), "-U", db.User, db.Name)...)
	cmd.Env = append(os.Environ(), "PGPASSWORD="+db.Password)
	var stderr strings.Builder
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("pg_dump %s %s: %v\n%s", strings.Join(args, " "), db.Name, err, stderr.String())
	}
	return string(out)
}

// stripComment drops a -- comment that is not inside a quoted string.
func stripComment(line string) string {
	quoted := false
	for i := 0; i < len(line); i++ {
		switch {
		case line[i] == '\'':
			quoted = !quoted
		case !quoted && strings.HasPrefix(line[i:], "--"):
			return line[:i]
		}
	}
	return line
}

// normalSchema is pg_dump -s output without what differs between two
// dumps of one schema: the dump's own settings and psql commands, object
// owners, comments (Kea's function bodies have them, ours do not) and
// indentation. Everything else, function bodies included, stays line by
// line in pg_dump's order.
func normalSchema(dump string) []string {
	var out []string
	for _, l := range strings.Split(dump, "\n") {
		if strings.HasPrefix(l, `\`) || strings.HasPrefix(l, "SET ") || strings.HasPrefix(l, "SELECT pg_catalog.set_config(") ||
			(strings.HasPrefix(l, "ALTER ") && strings.Contains(l, " OWNER TO ")) {
			continue
		}
		if l = strings.TrimSpace(stripComment(l)); l != "" {
			out = append(out, l)
		}
	}
	return out
}

// rows are the database's rows as pg_dump writes them, sorted, with the
// creation times of the "all" servers cut off, and the sequences' states.
func rows(t *testing.T, db pgtest.DB) []string {
	t.Helper()
	var out []string
	for _, l := range strings.Split(pgDump(t, db, "-a", "--column-inserts"), "\n") {
		if !strings.HasPrefix(l, "INSERT INTO ") {
			continue
		}
		if strings.Contains(l, "modification_ts) VALUES (") {
			l = l[:strings.LastIndex(l, ", '")] + ", <time>);"
		}
		out = append(out, l)
	}
	slices.Sort(out)
	r, err := connect(t, db).Query(t.Context(), "SELECT schemaname || '.' || sequencename || ' ' || coalesce(last_value::text, 'unused') FROM pg_sequences ORDER BY 1")
	if err != nil {
		t.Fatal(err)
	}
	seqs, err := pgx.CollectRows(r, pgx.RowTo[string])
	if err != nil {
		t.Fatal(err)
	}
	return append(out, seqs...)
}

// diffLines reports the first differences between want (Kea's) and got
// (ours), and whether there is any.
func diffLines(t *testing.T, what string, want, got []string) bool {
	t.Helper()
	if slices.Equal(want, got) {
		return false
	}
	i := 0
	for i < len(want) && i < len(got) && want[i] == got[i] {
		i++
	}
	show := func(s []string) string {
		end := min(i+6, len(s))
		return strings.Join(s[i:end], "\n\t")
	}
	t.Errorf("%s differ at line %d of %d (Kea's) and %d (ours):\nKea's:\n\t%s\nours:\n\t%s", what, i+1, len(want), len(got), show(want), show(got))
	return true
}

// TestInitIsKeaAdmins: what Init makes in an empty database is what Kea
// 2.2's kea-admin db-init pgsql makes, as pg_dump shows both: schema and
// rows.
func TestInitIsKeaAdmins(t *testing.T) {
	c := pgtest.Shared(t, pgtest.Options{})
	kea := c.NewDB(t)
	ours := emptyDB(t, c)
	if err := Init(t.Context(), connect(t, ours)); err != nil {
		t.Fatal(err)
	}
	keaSchema, ourSchema := normalSchema(pgDump(t, kea, "-s")), normalSchema(pgDump(t, ours, "-s"))
	if len(keaSchema) < 1000 {
		t.Fatalf("kea-admin's schema dumps to %d lines only", len(keaSchema))
	}
	diffLines(t, "pg_dump -s of kea-admin's and leased's schema 13.0", keaSchema, ourSchema)
	diffLines(t, "the rows of kea-admin's and leased's schema 13.0", rows(t, kea), rows(t, ours))
	if v, err := Read(t.Context(), connect(t, ours)); err != nil || v != Kea22 {
		t.Errorf("Read = %v, %v; want %v", v, err, Kea22)
	}
}

// TestNormalSchemaSeesChanges: the comparison above fails on a changed
// index, a changed function body or a missing row, not only on missing
// objects.
func TestNormalSchemaSeesChanges(t *testing.T) {
	c := pgtest.Shared(t, pgtest.Options{})
	a, b := c.NewDB(t), c.NewDB(t)
	base := normalSchema(pgDump(t, a, "-s"))
	for _, change := range []string{
		"DROP INDEX lease4_by_state_expire; CREATE INDEX lease4_by_state_expire ON lease4 (state, expire DESC)",
		"CREATE OR REPLACE FUNCTION json_cast(json_candidate text) RETURNS json LANGUAGE plpgsql AS $$ BEGIN RETURN json_candidate::json; END; $$",
		"ALTER TABLE lease4 ALTER COLUMN hostname TYPE varchar(254)",
	} {
		c.Admin(t, b.Name, "BEGIN; "+change+"; COMMIT")
		if slices.Equal(base, normalSchema(pgDump(t, b, "-s"))) {
			t.Errorf("no difference seen after %s", change)
		}
		b = c.NewDB(t)
	}
	c.Admin(t, b.Name, "DELETE FROM lease_hwaddr_source WHERE hwaddr_source = 64")
	if slices.Equal(rows(t, a), rows(t, b)) {
		t.Error("no difference seen after deleting a row of lease_hwaddr_source")
	}
}

func TestInitRefusesNonEmpty(t *testing.T) {
	c := pgtest.Shared(t, pgtest.Options{})
	ctx := t.Context()
	err := Init(ctx, connect(t, c.NewDB(t)))
	if !errors.Is(err, ErrNotEmpty) || !strings.Contains(err.Error(), "13.0") {
		t.Errorf("Init on kea-admin's schema: %v; want ErrNotEmpty naming 13.0", err)
	}
	db := emptyDB(t, c)
	c.Admin(t, db.Name, "CREATE TABLE mine (x int)")
	err = Init(ctx, connect(t, db))
	if !errors.Is(err, ErrNotEmpty) || !strings.Contains(err.Error(), "mine") {
		t.Errorf("Init on a database with a table: %v; want ErrNotEmpty naming the table", err)
	}
	var n int
	if err := connect(t, db).QueryRow(ctx, "SELECT count(*) FROM pg_class WHERE relname = 'lease4'").Scan(&n); err != nil || n != 0 {
		t.Errorf("Init left %d lease4 tables (%v)", n, err)
	}
}

func TestReadRefuses(t *testing.T) {
	c := pgtest.Shared(t, pgtest.Options{})
	if _, err := Read(t.Context(), connect(t, emptyDB(t, c))); !errors.Is(err, ErrNoSchema) {
		t.Errorf("Read of an empty database: %v, want ErrNoSchema", err)
	}
	if _, err := Upgrade(t.Context(), connect(t, emptyDB(t, c))); !errors.Is(err, ErrNoSchema) {
		t.Errorf("Upgrade of an empty database: %v, want ErrNoSchema", err)
	}
	db := c.NewDB(t)
	c.Admin(t, db.Name, "UPDATE schema_version SET version = 22")
	v, err := Upgrade(t.Context(), connect(t, db))
	if err == nil || v != (Version{22, 0}) || !strings.Contains(err.Error(), "22.0") {
		t.Errorf("Upgrade of 22.0 = %v, %v; want it refused", v, err)
	}
}
