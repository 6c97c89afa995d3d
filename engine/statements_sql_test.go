package engine

import (
	"context"
	"database/sql"
	"testing"

	"github.com/leased/leased/internal/mysqltest"
	"github.com/leased/leased/internal/pgtest"
	"github.com/leased/leased/lease/mysql"
	"github.com/leased/leased/lease/pgsql"
)

// The statements each message costs on a real database, counted by the
// database itself, are the ones TestSharedStoreStatements counts with a
// wrapping store: that test's budget is what leased sends to PostgreSQL
// and MariaDB.

// TestSharedStoreStatementsPostgreSQL counts with pg_stat_statements
// (loaded at the start of a cluster of the test's own, top-level
// statements only: Kea's triggers on lease4 are not counted).
func TestSharedStoreStatementsPostgreSQL(t *testing.T) {
	c := pgtest.New(t, pgtest.Options{})
	c.Admin(t, "postgres", "ALTER SYSTEM SET shared_preload_libraries = 'pg_stat_statements'")
	if err := c.Crash(); err != nil {
		t.Fatal(err)
	}
	if err := c.Restart(); err != nil {
		t.Fatal(err)
	}
	for _, offer := range []int{0, 60} {
		db := c.NewDB(t)
		c.Admin(t, db.Name, "CREATE EXTENSION pg_stat_statements")
		admin := c.Connect(t, db.Name)
		ctx := context.Background()
		st, err := pgsql.Open(ctx, pgsql.Options{Host: db.Host, Port: db.Port, Name: db.Name, User: db.User, Password: db.Password})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { st.Close() })
		if _, err := admin.Exec(ctx, "SELECT pg_stat_statements_reset()"); err != nil {
			t.Fatal(err)
		}
		count := func() stmts {
			t.Helper()
			var s stmts
			err := admin.QueryRow(ctx, `SELECT
				coalesce(sum(calls) FILTER (WHERE query ILIKE 'select%'), 0)::bigint,
				coalesce(sum(calls) FILTER (WHERE query ILIKE 'insert%'), 0)::bigint,
				coalesce(sum(calls) FILTER (WHERE query ILIKE 'update%'), 0)::bigint,
				coalesce(sum(calls) FILTER (WHERE query ILIKE 'delete%'), 0)::bigint
				FROM pg_stat_statements s JOIN pg_database d ON d.oid = s.dbid
				WHERE d.datname = current_database() AND query NOT ILIKE '%pg_stat_statements%'`).Scan(&s.Select, &s.Insert, &s.Update, &s.Delete)
			if err != nil {
				t.Fatal(err)
			}
			return s
		}
		store := &countingStore{Store: st}
		checkStatements(t, offerSuffix(offer), statementSteps(t, store, count, offer))
		if got, want := count(), store.count(); got != want {
			t.Errorf("PostgreSQL ran %v in all, the wrapping store counted %v", got, want)
		}
	}
}

// TestSharedStoreStatementsMySQL counts with MariaDB's Com_select,
// Com_insert, Com_update and Com_delete, on a server of the test's own.
// They count the statements of triggers too: Kea's triggers on lease4,
// which keep lease4_stat (one more UPDATE for each lease inserted or
// deleted, and more in a session's first), are dropped here, so that the
// counters count what leased sends.
func TestSharedStoreStatementsMySQL(t *testing.T) {
	srv := mysqltest.New(t, mysqltest.Options{})
	for _, offer := range []int{0, 60} {
		db := srv.NewDB(t)
		srv.Admin(t, db.Name, "DROP TRIGGER lease4_AINS", "DROP TRIGGER lease4_AUPD", "DROP TRIGGER lease4_ADEL")
		ctx := context.Background()
		st, err := mysql.Open(ctx, mysql.Options{Host: db.Socket, Name: db.Name, User: db.User, Password: db.Password})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { st.Close() })
		admin := srv.Open(t, db.Name)
		count := func() stmts {
			t.Helper()
			return mysqlCounters(t, admin)
		}
		store := &countingStore{Store: st}
		before := count()
		checkStatements(t, offerSuffix(offer), statementSteps(t, store, count, offer))
		if got, want := count().sub(before), store.count(); got != want {
			t.Errorf("MariaDB ran %v in all, the wrapping store counted %v", got, want)
		}
	}
}

// mysqlCounters reads the server's statement counters.
func mysqlCounters(t *testing.T, db *sql.DB) stmts {
	t.Helper()
	rows, err := db.Query("SHOW GLOBAL STATUS WHERE Variable_name IN ('Com_select', 'Com_insert', 'Com_update', 'Com_delete')")
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var s stmts
	for rows.Next() {
		var name string
		var n int64
		if err := rows.Scan(&name, &n); err != nil {
			t.Fatal(err)
		}
		switch name {
		case "Com_select":
			s.Select = n
		case "Com_insert":
			s.Insert = n
		case "Com_update":
			s.Update = n
		case "Com_delete":
			s.Delete = n
		}
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	return s
}
