//go:build linux

package e2e

import (
	"fmt"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/leased/leased/internal/pgtest"
	"github.com/leased/leased/internal/testnet"
)

// readmeDBFixtures give README.md's leased db lines an empty database of
// a private PostgreSQL cluster (removed with the test), by flags and by a
// configuration's lease-database.
func readmeDBFixtures(t *testing.T, r *readmeEnv) {
	t.Helper()
	c := pgtest.New(t, pgtest.Options{})
	c.Admin(t, "postgres", "CREATE DATABASE readme")
	f := r.fixtures
	f["pg-name"], f["pg-user"], f["pg-password"], f["pg-host"] = "readme", pgtest.User, pgtest.Password, c.Dir
	f["pg.json"] = filepath.Join(r.dir, "pg.json")
	writeFile(t, f["pg.json"], fmt.Sprintf(`{"Dhcp4": {"lease-database": {"type": "postgresql", "name": "readme", "host": %q, "port": %d, "user": %q, "password": %q}}}`,
		c.Dir, pgtest.Port, pgtest.User, pgtest.Password))
}

// readmeDBCases are README.md's leased db lines, in the order they run on
// the one database: created, shown (13.0), upgraded, shown again through
// the configuration (34.0).
func readmeDBCases() []readmeCase {
	flags := map[string]string{"NAME": "pg-name", "USER": "pg-user", "PASSWORD": "pg-password", "HOST": "pg-host"}
	return []readmeCase{
		{line: "leased db init -n NAME -u USER -p PASSWORD -h HOST", fill: flags, run: readmeDB(`"readme"`, "created Kea's schema 13.0")},
		{line: "leased db version -n NAME -u USER -p PASSWORD -h HOST", fill: flags, run: readmeDB("13.0\n")},
		{line: "leased db upgrade -n NAME -u USER -p PASSWORD -h HOST", fill: flags, run: readmeDB("from 13.0 to 34.0")},
		{line: "leased db version -c FILE", fill: map[string]string{"FILE": "pg.json"}, run: readmeDB("34.0\n")},
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
