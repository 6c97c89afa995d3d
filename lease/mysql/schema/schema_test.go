package schema

import (
	"database/sql"
	"errors"
	"fmt"
	"os"
	"slices"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/leased/leased/internal/mysqltest"
	"github.com/leased/leased/lease/mysql"
)

func TestMain(m *testing.M) {
	code := m.Run()
	mysqltest.Stop()
	os.Exit(code)
}

var emptyDBs atomic.Int64

// emptyDB returns a new database with nothing in it (not a copy of the
// template, which holds kea-admin's schema).
func emptyDB(t *testing.T, s *mysqltest.Server) mysqltest.DB {
	t.Helper()
	name := fmt.Sprintf("empty%d", emptyDBs.Add(1))
	s.Admin(t, "", "CREATE DATABASE "+name)
	return mysqltest.DB{Socket: s.Socket(), Name: name, User: mysqltest.User, Password: mysqltest.Password}
}

// initDB returns a new database made by Init, on a connection made as
// leased db init makes it (lease/mysql's settings: UTC, its own sql_mode).
func initDB(t *testing.T, s *mysqltest.Server) (mysqltest.DB, *sql.DB) {
	t.Helper()
	db := emptyDB(t, s)
	connector, _, err := mysql.Connector(mysql.Options{Host: db.Socket, Name: db.Name, User: db.User, Password: db.Password})
	if err != nil {
		t.Fatal(err)
	}
	conn := sql.OpenDB(connector)
	t.Cleanup(func() { conn.Close() })
	if err := Init(t.Context(), conn); err != nil {
		t.Fatal(err)
	}
	return db, conn
}

// structureQueries list, one line per object, what a schema is to the
// programs that use it, from information_schema: tables, their columns
// (in order, with types, NULL-ness, defaults, extras and character sets),
// indexes, constraints and foreign keys with their rules, triggers (table,
// timing, event, order) and routines with their parameters, and the
// sql_mode both run in (strictness turns a bad value into a failure). Not the
// routines' and triggers' bodies: those are leased's own (or Kea's, in a
// database kea-admin made).
var structureQueries = []string{
	`SELECT CONCAT_WS(' ', 'table', TABLE_NAME, TABLE_TYPE, ENGINE, TABLE_COLLATION)
	 FROM information_schema.TABLES WHERE TABLE_SCHEMA = DATABASE()`,
	`SELECT CONCAT_WS(' ', 'column', CONCAT(TABLE_NAME, '.', COLUMN_NAME), CONCAT('#', ORDINAL_POSITION), COLUMN_TYPE,
		IF(IS_NULLABLE = 'YES', 'NULL', 'NOT NULL'), CONCAT('DEFAULT ', COALESCE(COLUMN_DEFAULT, '(none)')),
		EXTRA, CHARACTER_SET_NAME, COLLATION_NAME)
	 FROM information_schema.COLUMNS WHERE TABLE_SCHEMA = DATABASE()`,
	`SELECT CONCAT_WS(' ', 'index', CONCAT(TABLE_NAME, '.', INDEX_NAME), IF(NON_UNIQUE = 0, 'unique', 'non-unique'),
		INDEX_TYPE, CONCAT('#', SEQ_IN_INDEX), COLUMN_NAME, COALESCE(SUB_PART, ''))
	 FROM information_schema.STATISTICS WHERE TABLE_SCHEMA = DATABASE()`,
	`SELECT CONCAT_WS(' ', 'constraint', CONCAT(TABLE_NAME, '.', CONSTRAINT_NAME), CONSTRAINT_TYPE)
	 FROM information_schema.TABLE_CONSTRAINTS WHERE CONSTRAINT_SCHEMA = DATABASE()`,
	`SELECT CONCAT_WS(' ', 'key column', CONCAT(TABLE_NAME, '.', CONSTRAINT_NAME), CONCAT('#', ORDINAL_POSITION),
		COLUMN_NAME, COALESCE(CONCAT('references ', REFERENCED_TABLE_NAME, '.', REFERENCED_COLUMN_NAME), ''))
	 FROM information_schema.KEY_COLUMN_USAGE WHERE CONSTRAINT_SCHEMA = DATABASE()`,
	`SELECT CONCAT_WS(' ', 'foreign key', CONCAT(TABLE_NAME, '.', CONSTRAINT_NAME), REFERENCED_TABLE_NAME,
		'update', UPDATE_RULE, 'delete', DELETE_RULE, 'match', MATCH_OPTION)
	 FROM information_schema.REFERENTIAL_CONSTRAINTS WHERE CONSTRAINT_SCHEMA = DATABASE()`,
	`SELECT CONCAT_WS(' ', 'check', CONCAT(TABLE_NAME, '.', CONSTRAINT_NAME), CHECK_CLAUSE)
	 FROM information_schema.CHECK_CONSTRAINTS WHERE CONSTRAINT_SCHEMA = DATABASE()`,
	`SELECT CONCAT_WS(' ', 'trigger', TRIGGER_NAME, 'on', EVENT_OBJECT_TABLE, ACTION_TIMING, EVENT_MANIPULATION,
		CONCAT('#', ACTION_ORDER), ACTION_ORIENTATION, CONCAT('sql_mode ', SQL_MODE))
	 FROM information_schema.TRIGGERS WHERE TRIGGER_SCHEMA = DATABASE()`,
	`SELECT CONCAT_WS(' ', 'routine', ROUTINE_TYPE, ROUTINE_NAME, CONCAT('returns ', COALESCE(DTD_IDENTIFIER, '-')),
		ROUTINE_BODY, SECURITY_TYPE, IF(IS_DETERMINISTIC = 'YES', 'deterministic', 'not deterministic'), SQL_DATA_ACCESS,
		CONCAT('sql_mode ', SQL_MODE), CONCAT('charset ', COALESCE(CHARACTER_SET_NAME, '-')))
	 FROM information_schema.ROUTINES WHERE ROUTINE_SCHEMA = DATABASE()`,
	`SELECT CONCAT_WS(' ', 'parameter', SPECIFIC_NAME, CONCAT('#', ORDINAL_POSITION), COALESCE(PARAMETER_MODE, 'result'),
		COALESCE(PARAMETER_NAME, '-'), DTD_IDENTIFIER, COALESCE(CHARACTER_SET_NAME, ''), COALESCE(COLLATION_NAME, ''))
	 FROM information_schema.PARAMETERS WHERE SPECIFIC_SCHEMA = DATABASE()`,
}

// structure returns the sorted structure lines of db's database.
func structure(t *testing.T, db *sql.DB) []string {
	t.Helper()
	var lines []string
	for _, q := range structureQueries {
		lines = append(lines, queryLines(t, db, q)...)
	}
	slices.Sort(lines)
	return lines
}

// queryLines returns the rows of q, each row's columns joined by " | ".
func queryLines(t *testing.T, db interface {
	Query(string, ...any) (*sql.Rows, error)
}, q string, args ...any) []string {
	t.Helper()
	rows, err := db.Query(q, args...)
	if err != nil {
		t.Fatalf("%s: %v", q, err)
	}
	defer rows.Close()
	cols, _ := rows.Columns()
	var lines []string
	for rows.Next() {
		vals := make([]sql.NullString, len(cols))
		ptrs := make([]any, len(cols))
		for i := range vals {
			ptrs[i] = &vals[i]
		}
		if err := rows.Scan(ptrs...); err != nil {
			t.Fatal(err)
		}
		var parts []string
		for _, v := range vals {
			if v.Valid {
				parts = append(parts, v.String)
			} else {
				parts = append(parts, "NULL")
			}
		}
		lines = append(lines, strings.Join(parts, " | "))
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	return lines
}

// diff lists the lines only in a and only in b.
func diff(a, b []string) (onlyA, onlyB []string) {
	for _, l := range a {
		if !slices.Contains(b, l) {
			onlyA = append(onlyA, l)
		}
	}
	for _, l := range b {
		if !slices.Contains(a, l) {
			onlyB = append(onlyB, l)
		}
	}
	return onlyA, onlyB
}

// TestInitStructure: Init makes in an empty database what kea-admin
// db-init mysql of Kea 2.2 makes, object by object (not the bodies), and
// the same lookup rows.
func TestInitStructure(t *testing.T) {
	s := mysqltest.Shared(t, mysqltest.Options{})
	kea := s.Open(t, mysqltest.Template)
	_, ours := initDB(t, s)
	want, got := structure(t, kea), structure(t, ours)
	if len(want) < 500 {
		t.Fatalf("kea-admin's database has only %d structure lines; the queries see too little", len(want))
	}
	if onlyKea, onlyOurs := diff(want, got); len(onlyKea)+len(onlyOurs) > 0 {
		t.Errorf("structure differs from kea-admin's:\nonly in kea-admin's:\n  %s\nonly in Init's:\n  %s",
			strings.Join(onlyKea, "\n  "), strings.Join(onlyOurs, "\n  "))
	}
	for _, table := range []string{"lease_state", "lease6_types", "lease_hwaddr_source", "modification",
		"parameter_data_type", "dhcp_option_scope", "host_identifier_type", "schema_version"} {
		q := "SELECT * FROM " + table + " ORDER BY 1, 2"
		if w, g := queryLines(t, kea, q), queryLines(t, ours, q); !slices.Equal(w, g) || len(w) == 0 {
			t.Errorf("%s: Init's rows %q, kea-admin's %q", table, g, w)
		}
	}
	for _, table := range []string{"dhcp4_server", "dhcp6_server"} {
		q := "SELECT id, tag, description FROM " + table + " ORDER BY id"
		if w, g := queryLines(t, kea, q), queryLines(t, ours, q); !slices.Equal(w, g) || len(w) == 0 {
			t.Errorf("%s: Init's rows %q, kea-admin's %q", table, g, w)
		}
	}
	for _, table := range []string{"dhcp4_audit", "dhcp6_audit", "dhcp4_audit_revision", "dhcp6_audit_revision"} {
		if n := queryLines(t, ours, "SELECT COUNT(*) FROM "+table); n[0] != "0" {
			t.Errorf("%s holds %s rows after Init, want none (kea-admin's holds none)", table, n[0])
		}
	}
}

// TestInitRefuses: Init refuses a database that holds anything, Kea's
// schema or another table, and leaves it as it was.
func TestInitRefuses(t *testing.T) {
	s := mysqltest.Shared(t, mysqltest.Options{})
	kea := s.NewDB(t)
	err := Init(t.Context(), s.Open(t, kea.Name))
	if !errors.Is(err, ErrNotEmpty) || !strings.Contains(err.Error(), "schema 14.0 already") {
		t.Errorf("Init on kea-admin's database: %v, want ErrNotEmpty naming schema 14.0", err)
	}
	other := emptyDB(t, s)
	s.Admin(t, other.Name, "CREATE TABLE mine (x INT)")
	conn := s.Open(t, other.Name)
	err = Init(t.Context(), conn)
	if !errors.Is(err, ErrNotEmpty) || !strings.Contains(err.Error(), "mine") {
		t.Errorf("Init on a database with a table: %v, want ErrNotEmpty naming it", err)
	}
	if tables := queryLines(t, conn, "SELECT TABLE_NAME FROM information_schema.TABLES WHERE TABLE_SCHEMA = DATABASE()"); !slices.Equal(tables, []string{"mine"}) {
		t.Errorf("after the refusal the database holds %q, want only mine", tables)
	}
}

// TestInitFailureDropsAll: when a statement fails half way, here the
// first routine for a user who may create tables but not routines, what
// Init created is dropped again and the error names the statement.
func TestInitFailureDropsAll(t *testing.T) {
	s := mysqltest.Shared(t, mysqltest.Options{})
	db := emptyDB(t, s)
	s.Admin(t, "", "CREATE USER 'tablesonly'@'localhost' IDENTIFIED BY 'pw'",
		"GRANT CREATE, DROP, INDEX, REFERENCES, SELECT, INSERT, UPDATE, DELETE, ALTER ON "+db.Name+".* TO 'tablesonly'@'localhost'")
	t.Cleanup(func() { s.Admin(t, "", "DROP USER 'tablesonly'@'localhost'") })
	limited, err := sql.Open("mysql", mysqltest.DB{Socket: s.Socket(), Name: db.Name, User: "tablesonly", Password: "pw"}.DSN())
	if err != nil {
		t.Fatal(err)
	}
	defer limited.Close()
	err = Init(t.Context(), limited)
	if err == nil || !strings.Contains(err.Error(), "CREATE FUNCTION isJsonSupported") {
		t.Fatalf("Init without the right to create routines: %v, want the first routine's failure", err)
	}
	if left := queryLines(t, s.Open(t, db.Name), `SELECT TABLE_NAME FROM information_schema.TABLES WHERE TABLE_SCHEMA = DATABASE()`); len(left) > 0 {
		t.Errorf("after the failure the database holds %q, want nothing", left)
	}
}

// TestInitTwiceAtOnce: of two Inits of one empty database at once, one
// creates the schema and the other is refused, and the schema stays whole.
func TestInitTwiceAtOnce(t *testing.T) {
	s := mysqltest.Shared(t, mysqltest.Options{})
	db := emptyDB(t, s)
	a, b := s.Open(t, db.Name), s.Open(t, db.Name)
	errs := make(chan error, 2)
	for _, conn := range []*sql.DB{a, b} {
		go func() { errs <- Init(t.Context(), conn) }()
	}
	e1, e2 := <-errs, <-errs
	if (e1 == nil) == (e2 == nil) {
		t.Fatalf("two Inits at once: %v and %v; want one to succeed and one refused", e1, e2)
	}
	if err := errors.Join(e1, e2); !errors.Is(err, ErrNotEmpty) {
		t.Errorf("the second Init: %v, want ErrNotEmpty", err)
	}
	if onlyKea, onlyOurs := diff(structure(t, s.Open(t, mysqltest.Template)), structure(t, a)); len(onlyKea)+len(onlyOurs) > 0 {
		t.Errorf("after two Inits the schema differs from kea-admin's: %d lines missing, %d extra", len(onlyKea), len(onlyOurs))
	}
}
