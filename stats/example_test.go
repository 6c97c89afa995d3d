package stats_test

import (
	"fmt"
	"net/http/httptest"
	"strings"
	"time"

	"github.com/leased/leased/dhcpv4"
	"github.com/leased/leased/stats"
)

// The package documentation's quick start: counters taken once and
// counted on the packet path, then read as Kea's statistic-get answers
// them and as Prometheus scrapes them.
func Example() {
	now := time.Date(2026, 1, 2, 12, 0, 0, 0, time.UTC)
	m := stats.New(stats.Options{Now: func() time.Time { return now }, Location: time.UTC})
	pk := m.Packets() // pkt4-* counters, created at 0
	sn := m.Subnet(1, 254)

	pk.CountReceived(uint8(dhcpv4.Discover)) // an atomic add, no lock
	sn.AssignedAddresses.Add(1)

	fmt.Println(m.Get("subnet[1].assigned-addresses"))
	fmt.Println(m.Int("pkt4-discover-received"))

	rec := httptest.NewRecorder()
	m.Handler().ServeHTTP(rec, httptest.NewRequest("GET", "/metrics", nil))
	for _, line := range strings.Split(rec.Body.String(), "\n") {
		if strings.Contains(line, "discover") && !strings.HasPrefix(line, "#") {
			fmt.Println(line)
		}
	}
	// Output:
	// map[subnet[1].assigned-addresses:[[1 2026-01-02 12:00:00.000000] [0 2026-01-02 12:00:00.000000]]]
	// 1 true
	// leased_pkt4_discover_received_total 1
}
