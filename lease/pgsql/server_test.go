package pgsql

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"testing"

	"github.com/jackc/pgx/v5"

	"github.com/leased/leased/internal/pgtest"
)

// The tests run on pgtest's shared cluster: a private PostgreSQL 15 from
// Debian with Kea's schema from Kea 2.2's own kea-admin. The server and
// the test process run in testTZ, a zone that is not UTC and whose offset
// is not whole hours, so that a wall-clock expiry anywhere shows.
const (
	testTZ   = "Asia/Kathmandu" // UTC+05:45, no daylight saving time
	testPass = pgtest.Password
)

func TestMain(m *testing.M) {
	// The whole package runs with TZ set; Go reads it once, at start.
	if os.Getenv("TZ") != testTZ {
		cmd := exec.Command(os.Args[0], os.Args[1:]...)
		cmd.Env = append(os.Environ(), "TZ="+testTZ)
		cmd.Stdin, cmd.Stdout, cmd.Stderr = os.Stdin, os.Stdout, os.Stderr
		err := cmd.Run()
		var ee *exec.ExitError
		if errors.As(err, &ee) {
			os.Exit(ee.ExitCode())
		}
		if err != nil {
			fmt.Fprintln(os.Stderr, "re-running the tests with TZ set:", err)
			os.Exit(1)
		}
		os.Exit(0)
	}
	code := m.Run()
	pgtest.Stop()
	os.Exit(code)
}

// cluster returns the shared cluster, or skips the test saying why there
// is none; under LEASED_REQUIRE_E2E=1 it fails instead.
func cluster(t testing.TB) *pgtest.Cluster {
	t.Helper()
	return pgtest.Shared(t, pgtest.Options{TZ: testTZ})
}

// newDB returns the options of a new database holding Kea's empty schema,
// a copy of what kea-admin db-init made.
func newDB(t *testing.T) Options { return newDBB(t) }

// newDBB is newDB for tests and benchmarks.
func newDBB(t testing.TB) Options {
	t.Helper()
	d := cluster(t).NewDB(t)
	return Options{Host: d.Host, Port: d.Port, Name: d.Name, User: d.User, Password: d.Password}
}

// connect opens a connection to database db outside any Store.
func connect(t testing.TB, db string) *pgx.Conn {
	t.Helper()
	d := pgtest.DB{Host: cluster(t).Dir, Port: pgtest.Port, User: pgtest.User, Password: pgtest.Password, Name: db}
	conn, err := pgx.Connect(context.Background(), d.ConnString())
	if err != nil {
		t.Fatal(err)
	}
	return conn
}

// admin runs SQL statements on database db outside any Store.
func admin(t testing.TB, db string, stmts ...string) {
	t.Helper()
	cluster(t).Admin(t, db, stmts...)
}

// openStore opens a store on o, closed at the end of the test.
func openStore(t *testing.T, o Options) *Store {
	t.Helper()
	s, err := Open(context.Background(), o)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}
