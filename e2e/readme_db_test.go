//go:build linux

package e2e

import (
	"fmt"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/leased/leased/internal/mysqltest"
	"github.com/leased/leased/internal/pgtest"
	"github.com/leased/leased/internal/testnet"
)

// readmeDBFixtures give README.md's leased db lines an empty database of
// a private PostgreSQL cluster (removed with the test), by flags and by a
// configuration's lease-database, and one of a private MariaDB server,
// reached through its unix socket.
func readmeDBFixtures(t *testing.T, r *readmeEnv) {
	t.Helper()
	c := pgtest.New(t, pgtest.Options{})
	c.Admin(t, "postgres", "CREATE DATABASE readme")
	f := r.fixtures
	f["pg-name"], f["pg-user"], f["pg-password"], f["pg-host"] = "readme", pgtest.User, pgtest.Password, c.Dir
	f["pg.json"] = filepath.Join(r.dir, "pg.json")
	writeFile(t, f["pg.json"], fmt.Sprintf(`{"Dhcp4": {"lease-database": {"type": "postgresql", "name": "readme", "host": %q, "port": %d, "user": %q, "password": %q}}}`,
		c.Dir, pgtest.Port, pgtest.User, pgtest.Password))
	m := mysqltest.New(t, mysqltest.Options{})
	m.Admin(t, "", "CREATE DATABASE readme")
	f["my-name"], f["my-user"], f["my-password"], f["my-socket"] = "readme", mysqltest.User, mysqltest.Password, m.Socket()
}

// readmeDBCases are README.md's leased db lines, in the order they run on
// the one database: created, shown (13.0), upgraded, shown again through
// the configuration (34.0); then MySQL's, created, shown (14.0) and
// upgraded (35.0).
func readmeDBCases() []readmeCase {
	flags := map[string]string{"NAME": "pg-name", "USER": "pg-user", "PASSWORD": "pg-password", "HOST": "pg-host"}
	myFlags := map[string]string{"NAME": "my-name", "USER": "my-user", "PASSWORD": "my-password", "SOCKET": "my-socket"}
	return []readmeCase{
		{line: "leased db init -n NAME -u USER -p PASSWORD -h HOST", fill: flags, run: readmeDB(`"readme"`, "created Kea's schema 13.0")},
		{line: "leased db version -n NAME -u USER -p PASSWORD -h HOST", fill: flags, run: readmeDB("13.0\n")},
		{line: "leased db upgrade -n NAME -u USER -p PASSWORD -h HOST", fill: flags, run: readmeDB("from 13.0 to 34.0")},
		{line: "leased db version -c FILE", fill: map[string]string{"FILE": "pg.json"}, run: readmeDB("34.0\n")},
		{line: "leased db init mysql -n NAME -u USER -p PASSWORD -h SOCKET", fill: myFlags, run: readmeDB(`"readme"`, "created Kea's MySQL schema 14.0")},
		{line: "leased db version mysql -n NAME -u USER -p PASSWORD -h SOCKET", fill: myFlags, run: readmeDB("14.0\n")},
		{line: "leased db upgrade mysql -n NAME -u USER -p PASSWORD -h SOCKET", fill: myFlags, run: readmeDB("from 14.0 to 35.0")},
	}
}

// readmeDB runs a leased db line, which must succeed and print want.
func readmeDB(want ...string) func(t *testing.T, r *readmeEnv, argv []string) {
	return func(t *testing.T, r *readmeEnv, argv []string) {
		out := r.exec(t, r.pair.Server, time.Minute, 0, argv...)
		for _, w := range want {
			if !strings.Contains(out, w) {
				t.Errorf("%s printed no %q:%s", strings.Join(argv, " "), w, testnet.IndentOutput(out))
			}
		}
	}
}
