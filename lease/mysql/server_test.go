package mysql

import (
	"database/sql"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"testing"

	"github.com/leased/leased/internal/mysqltest"
)

// The tests run on mysqltest's shared server: a private MariaDB from
// Debian with Kea's schema from Kea 2.2's own kea-admin. The server, Kea
// and the test process run in testTZ, a zone that is not UTC and has
// daylight saving time, so that a wall-clock expiry anywhere shows, and
// so does an hour that a wall clock names twice.
const testTZ = "Europe/Berlin"

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
	mysqltest.Stop()
	os.Exit(code)
}

func server(t testing.TB) *mysqltest.Server {
	t.Helper()
	return mysqltest.Shared(t, mysqltest.Options{TZ: testTZ})
}

// newDB returns the options of a new database holding Kea's empty schema,
// a copy of what kea-admin db-init made.
func newDB(t testing.TB) Options {
	t.Helper()
	d := server(t).NewDB(t)
	return Options{Host: d.Socket, Name: d.Name, User: d.User, Password: d.Password}
}

// openDB opens database db outside any store, as the kea user.
func openDB(t testing.TB, db string) *sql.DB {
	t.Helper()
	return server(t).Open(t, db)
}

func openStore(t testing.TB, o Options) *Store {
	t.Helper()
	s, err := Open(t.Context(), o)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}
