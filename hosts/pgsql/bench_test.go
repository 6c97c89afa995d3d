package pgsql

import (
	"context"
	"fmt"
	"strings"
	"testing"

	"github.com/leased/leased/config"
	"github.com/leased/leased/hosts"
	"github.com/leased/leased/hosts/sqlhosts"
	"github.com/leased/leased/internal/pgtest"
)

// fillHosts writes n reservations of hardware addresses 02:00:xx:xx:xx:xx
// into subnet 1, each with one option, and updates the planner's
// statistics as autovacuum would.
func fillHosts(t testing.TB, c *pgtest.Cluster, db string, n int) {
	t.Helper()
	c.Admin(t, db,
		fmt.Sprintf(`INSERT INTO hosts (dhcp_identifier, dhcp_identifier_type, dhcp4_subnet_id, ipv4_address, hostname, dhcp4_client_classes, dhcp4_next_server, dhcp4_server_hostname, dhcp4_boot_file_name)
			SELECT '\x0200'::bytea || int4send(i), 0, 1, 0, 'h' || i, '', 0, '', '' FROM generate_series(1, %d) AS i`, n),
		`INSERT INTO dhcp4_options (code, formatted_value, space, persistent, host_id, scope_id) SELECT 15, 'example.org', 'dhcp4', false, host_id, 3 FROM hosts`,
		"ANALYZE hosts", "ANALYZE dhcp4_options")
}

func clientIDs(i int) []hosts.Identifier {
	hw := []byte{2, 0, byte(i >> 24), byte(i >> 16), byte(i >> 8), byte(i)}
	return []hosts.Identifier{
		{Type: config.HWAddress, Value: hw},
		{Type: config.ClientID, Value: append([]byte{1}, hw...)},
	}
}

// TestFindUsesIndexes: the lookup of a client's reservations (two
// identifiers, the subnet and the global scope) is answered from Kea's
// indexes, not by reading the tables, among 20,000 reservations.
func TestFindUsesIndexes(t *testing.T) {
	c, db, _ := newDB(t)
	fillHosts(t, c, db.Name, 20000)
	where, args := findWhere([]uint32{0, 1}, clientIDs(12345))
	conn := c.Connect(t, db.Name)
	rows, err := conn.Query(context.Background(), "EXPLAIN "+sqlhosts.Columns+where+sqlhosts.OrderBy, args...)
	if err != nil {
		t.Fatal(err)
	}
	var plan []string
	for rows.Next() {
		var line string
		if err := rows.Scan(&line); err != nil {
			t.Fatal(err)
		}
		plan = append(plan, line)
	}
	text := strings.Join(plan, "\n")
	if strings.Contains(text, "Seq Scan") || !strings.Contains(text, "Index") {
		t.Errorf("plan of Find reads a table through:\n%s", text)
	}
}

// BenchmarkFind is the database's share of serving a client without a
// reservation in the file: one Find, here among 100,000 reservations
// over the cluster's unix socket.
func BenchmarkFind(b *testing.B) {
	c, db, o := newDB(b)
	fillHosts(b, c, db.Name, 100000)
	s := open(b, o)
	cfg := testConfig(b)
	ctx := context.Background()
	for _, hit := range []bool{true, false} {
		b.Run(fmt.Sprintf("reserved=%t", hit), func(b *testing.B) {
			i := 0
			for b.Loop() {
				n := i%100000 + 1
				if !hit {
					n += 200000
				}
				got, err := s.Find(ctx, cfg, []uint32{0, 1}, clientIDs(n))
				if err != nil || (len(got) == 1) != hit {
					b.Fatalf("Find %d: %d hosts, %v", n, len(got), err)
				}
				i++
			}
		})
	}
}
