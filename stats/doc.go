// Package stats keeps a server's statistics the way Kea's statistics
// manager does, and exports them to Prometheus.
//
// # Quick start
//
// Counters taken once and counted on the packet path, then read as Kea's
// statistic-get answers (the newest sample first) and as Prometheus
// scrapes them:
//
//	now := time.Date(2026, 1, 2, 12, 0, 0, 0, time.UTC)
//	m := stats.New(stats.Options{Now: func() time.Time { return now }, Location: time.UTC})
//	pk := m.Packets() // pkt4-* counters, created at 0
//	sn := m.Subnet(1, 254)
//
//	pk.CountReceived(uint8(dhcpv4.Discover)) // an atomic add, no lock
//	sn.AssignedAddresses.Add(1)
//
//	fmt.Println(m.Get("subnet[1].assigned-addresses"))
//	fmt.Println(m.Int("pkt4-discover-received"))
//
//	rec := httptest.NewRecorder()
//	m.Handler().ServeHTTP(rec, httptest.NewRequest("GET", "/metrics", nil))
//	for _, line := range strings.Split(rec.Body.String(), "\n") {
//		if strings.Contains(line, "discover") && !strings.HasPrefix(line, "#") {
//			fmt.Println(line)
//		}
//	}
//
// prints
//
//	map[subnet[1].assigned-addresses:[[1 2026-01-02 12:00:00.000000] [0 2026-01-02 12:00:00.000000]]]
//	1 true
//	leased_pkt4_discover_received_total 1
//
// # Statistics and counters
//
// A statistic has a name such as "pkt4-received" or
// "subnet[1].assigned-addresses", a kind (integer, float, duration or
// string) and a history of samples, each a value and the time it was
// taken. The history is bounded either by a count (20 samples by default)
// or by an age (the span from the oldest to the newest sample); setting
// one limit switches the other off, as in Kea.
//
// The packet path counts through [Counter] handles, obtained once:
//
//	pk := m.Packets()             // pkt4-* and v4-* counters, created at 0
//	pk.CountReceived(msgType)     // an atomic add, no lock
//	sn := m.Subnet(1, 254)        // subnet[1].* counters
//	sn.AssignedAddresses.Add(1)
//
// Add is an atomic add followed by an atomic load; it never takes the
// Manager's lock and never allocates. The history of a counter is
// brought up to date when the statistic is read (by a command, by
// Prometheus): if the value changed since the newest sample, a sample
// stamped with the time of the read is added. A counter's samples thus
// record its value at the moments it was looked at, not every change;
// the newest value is always exact.
//
// [Manager.RegisterCommands] installs the statistic-* control commands
// (statistic-get, -get-all, -global-get-all, -reset, -reset-all, -remove,
// -remove-all, -sample-age-set, -sample-age-set-all, -sample-count-set,
// -sample-count-set-all) with Kea's arguments, answer texts and shapes:
// statistic-get answers {"name": [[value, "2006-01-02 15:04:05.000000"],
// ...]}, newest sample first, timestamps in local time.
//
// A Manager is a prometheus.Collector; [Manager.Handler] serves it on its
// own. Names map to metrics with labels: pkt4-received becomes
// leased_pkt4_received_total, subnet[1].assigned-addresses becomes
// leased_subnet_assigned_addresses{subnet_id="1"} and
// subnet[1].pool[0].total-addresses becomes
// leased_pool_total_addresses{subnet_id="1",pool_id="0"}.
package stats
