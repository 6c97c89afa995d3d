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

// structureQueries list, one line per object, what a schema is to the
// programs that use it: relations and their columns (in order, with
// types, NOT NULL and defaults), sequences, constraints, indexes,
// triggers (with the function each runs) and function signatures. Not
// function bodies: those are leased's own (or Kea's, in a database
// kea-admin made).
var structureQueries = []string{
	`SELECT format('relation %s %s', c.relname, c.relkind) FROM pg_class c
	 WHERE c.relnamespace = 'public'::regnamespace AND c.relkind IN ('r', 'p', 'v', 'm', 'S', 'f', 'i')`,
	`SELECT format('column %s.%s #%s %s%s%s', c.relname, a.attname,
		row_number() OVER (PARTITION BY c.oid ORDER BY a.attnum), format_type(a.atttypid, a.atttypmod),
		CASE WHEN a.attnotnull THEN ' NOT NULL' ELSE '' END, ' DEFAULT ' || pg_get_expr(d.adbin, d.adrelid))
	 FROM pg_attribute a JOIN pg_class c ON c.oid = a.attrelid
	 LEFT JOIN pg_attrdef d ON d.adrelid = a.attrelid AND d.adnum = a.attnum
	 WHERE c.relnamespace = 'public'::regnamespace AND c.relkind IN ('r', 'p', 'v', 'm', 'f')
	   AND a.attnum > 0 AND NOT a.attisdropped`,
	`SELECT format('sequence %s %s start %s by %s min %s max %s cache %s cycle %s', s.sequencename, s.data_type,
		s.start_value, s.increment_by, s.min_value, s.max_value, s.cache_size, s.cycle)
	 FROM pg_sequences s WHERE s.schemaname = 'public'`,
	`SELECT format('owned sequence %s by %s.%s', s.relname, t.relname, a.attname) FROM pg_depend d
	 JOIN pg_class s ON s.oid = d.objid AND s.relkind = 'S' JOIN pg_class t ON t.oid = d.refobjid
	 JOIN pg_attribute a ON a.attrelid = d.refobjid AND a.attnum = d.refobjsubid
	 WHERE d.classid = 'pg_class'::regclass AND d.refclassid = 'pg_class'::regclass AND d.deptype = 'a'
	   AND s.relnamespace = 'public'::regnamespace`,
	`SELECT format('constraint %s on %s: %s', c.conname, c.conrelid::regclass, pg_get_constraintdef(c.oid))
	 FROM pg_constraint c WHERE c.connamespace = 'public'::regnamespace`,
	`SELECT 'index ' || indexdef FROM pg_indexes WHERE schemaname = 'public'`,
	`SELECT 'trigger ' || pg_get_triggerdef(t.oid) FROM pg_trigger t JOIN pg_class c ON c.oid = t.tgrelid
	 WHERE c.relnamespace = 'public'::regnamespace AND NOT t.tgisinternal`,
	`SELECT format('function %s(%s) RETURNS %s LANGUAGE %s volatility %s strict %s security definer %s', p.proname,
		pg_get_function_arguments(p.oid), pg_get_function_result(p.oid), l.lanname, p.provolatile, p.proisstrict, p.prosecdef)
	 FROM pg_proc p JOIN pg_language l ON l.oid = p.prolang WHERE p.pronamespace = 'public'::regnamespace`,
	`SELECT format('type %s %s', t.typname, t.typtype) FROM pg_type t
	 WHERE t.typnamespace = 'public'::regnamespace AND t.typtype IN ('e', 'd', 'c', 'r')
	   AND NOT EXISTS (SELECT 1 FROM pg_class c WHERE c.oid = t.typrelid AND c.relkind <> 'c')`,
}

// bodiesQuery lists the functions' whole definitions, bodies included.
const bodiesQuery = `SELECT pg_get_functiondef(p.oid) FROM pg_proc p WHERE p.pronamespace = 'public'::regnamespace`

// structure returns the lines of structureQueries for db, sorted, and
// with bodies the functions' definitions too.
func structure(t *testing.T, db pgtest.DB, bodies bool) []string {
	t.Helper()
	conn := connect(t, db)
	queries := structureQueries
	if bodies {
		queries = append(slices.Clone(queries), bodiesQuery)
	}
	var out []string
	for _, q := range queries {
		out = append(out, queryStrings(t, conn, q)...)
	}
	slices.Sort(out)
	return out
}

// queryStrings runs q, whose rows are one text column each.
func queryStrings(t *testing.T, conn *pgx.Conn, q string) []string {
	t.Helper()
	r, err := conn.Query(t.Context(), q)
	if err != nil {
		t.Fatalf("%s: %v", q, err)
	}
	out, err := pgx.CollectRows(r, pgx.RowTo[string])
	if err != nil {
		t.Fatalf("%s: %v", q, err)
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
	return append(out, queryStrings(t, connect(t, db), "SELECT schemaname || '.' || sequencename || ' ' || coalesce(last_value::text, 'unused') FROM pg_sequences ORDER BY 1")...)
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

// TestInitIsKeaAdmins: what Init makes in an empty database has the
// structure Kea 2.2's kea-admin db-init pgsql makes (tables, columns,
// constraints, indexes, triggers, function signatures) and its rows.
func TestInitIsKeaAdmins(t *testing.T) {
	c := pgtest.Shared(t, pgtest.Options{})
	kea := c.NewDB(t)
	ours := emptyDB(t, c)
	if err := Init(t.Context(), connect(t, ours)); err != nil {
		t.Fatal(err)
	}
	keaSchema, ourSchema := structure(t, kea, false), structure(t, ours, false)
	if len(keaSchema) < 1000 {
		t.Fatalf("kea-admin's schema has %d objects and columns only", len(keaSchema))
	}
	diffLines(t, "the structure of kea-admin's and leased's schema 13.0", keaSchema, ourSchema)
	diffLines(t, "the rows of kea-admin's and leased's schema 13.0", rows(t, kea), rows(t, ours))
	if v, err := Read(t.Context(), connect(t, ours)); err != nil || v != Kea22 {
		t.Errorf("Read = %v, %v; want %v", v, err, Kea22)
	}
}

// TestStructureSeesChanges: the comparison above fails on a changed
// index, column, default, trigger or function signature, and on a missing
// row, but not on a function body.
func TestStructureSeesChanges(t *testing.T) {
	c := pgtest.Shared(t, pgtest.Options{})
	a := c.NewDB(t)
	base := structure(t, a, false)
	for change, seen := range map[string]bool{
		"DROP INDEX lease4_by_state_expire; CREATE INDEX lease4_by_state_expire ON lease4 (state, expire DESC)":                                         true,
		"ALTER TABLE lease4 ALTER COLUMN hostname TYPE varchar(254)":                                                                                    true,
		"ALTER TABLE lease4 ALTER COLUMN state SET DEFAULT 1":                                                                                           true,
		"DROP TRIGGER lease4_ains ON lease4; CREATE TRIGGER lease4_ains AFTER INSERT ON lease4 FOR EACH ROW EXECUTE FUNCTION proc_stat_lease4_insert()": true,
		"DROP FUNCTION json_cast(text); CREATE FUNCTION json_cast(json_candidate varchar) RETURNS json LANGUAGE sql AS 'SELECT NULL::json'":             true,
		"ALTER TABLE lease4_stat DROP CONSTRAINT lease4_stat_pkey":                                                                                      true,
		"CREATE OR REPLACE FUNCTION json_cast(json_candidate text) RETURNS json LANGUAGE plpgsql AS $$ BEGIN RETURN json_candidate::json; END; $$":      false,
	} {
		b := c.NewDB(t)
		c.Admin(t, b.Name, "BEGIN; "+change+"; COMMIT")
		if got := !slices.Equal(base, structure(t, b, false)); got != seen {
			t.Errorf("after %s: a difference seen %v, want %v", change, got, seen)
		}
	}
	b := c.NewDB(t)
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
