package stats

import (
	"net/http"
	"sort"
	"strings"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"
)

// Namespace prefixes every metric name.
const Namespace = "leased"

// counterStats are the statistics that only grow (until reset), exported
// as Prometheus counters with a _total suffix. Others are gauges, or
// untyped when their meaning is unknown.
func isCounterStat(base string) bool {
	switch base {
	case "cumulative-assigned-addresses", "reclaimed-leases", "reclaimed-declined-addresses":
		return true
	}
	return strings.HasPrefix(base, "pkt4-") || strings.HasPrefix(base, "v4-")
}

func isGaugeStat(base string) bool {
	switch base {
	case "total-addresses", "assigned-addresses", "declined-addresses":
		return true
	}
	return false
}

// metricName maps a Kea statistic name to a metric name and labels:
//
//	pkt4-received                        leased_pkt4_received_total
//	subnet[1].assigned-addresses         leased_subnet_assigned_addresses{subnet_id="1"}
//	subnet[1].pool[0].total-addresses    leased_pool_total_addresses{subnet_id="1",pool_id="0"}
//
// base is the name without its subnet and pool parts.
func metricName(name string) (family, base string, labelNames, labelValues []string) {
	base = name
	scope := ""
	if id, rest, ok := cutIndex(base, "subnet["); ok {
		labelNames, labelValues = append(labelNames, "subnet_id"), append(labelValues, id)
		base, scope = rest, "subnet_"
		if pid, rest, ok := cutIndex(base, "pool["); ok {
			labelNames, labelValues = append(labelNames, "pool_id"), append(labelValues, pid)
			base, scope = rest, "pool_"
		}
	}
	return Namespace + "_" + scope + sanitize(base), base, labelNames, labelValues
}

// cutIndex splits "prefix<digits>].rest" into the digits and rest.
func cutIndex(s, prefix string) (id, rest string, ok bool) {
	if !strings.HasPrefix(s, prefix) {
		return "", "", false
	}
	s = s[len(prefix):]
	end := strings.Index(s, "].")
	if end <= 0 {
		return "", "", false
	}
	for _, c := range s[:end] {
		if c < '0' || c > '9' {
			return "", "", false
		}
	}
	return s[:end], s[end+2:], true
}

func sanitize(s string) string {
	b := []byte(s)
	for i, c := range b {
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '_') {
			b[i] = '_'
		}
	}
	return string(b)
}

// Describe sends nothing: the set of statistics changes at run time, so
// the Manager is an unchecked collector.
func (m *Manager) Describe(chan<- *prometheus.Desc) {}

// Collect sends the newest value of every statistic. Integers become
// counters (the pkt4-*, v4-*, cumulative and reclaimed statistics),
// gauges (total, assigned and declined addresses) or untyped metrics;
// floats are untyped, durations are gauges in seconds (_seconds), and
// strings become an _info gauge of 1 with the text in a "value" label.
// Names that would collide with an earlier metric are skipped.
func (m *Manager) Collect(ch chan<- prometheus.Metric) {
	m.mu.Lock()
	defer m.mu.Unlock()
	now := m.now()
	type famInfo struct {
		labels string
		typ    prometheus.ValueType
	}
	families := map[string]famInfo{}
	seen := map[string]bool{}
	names := make([]string, 0, len(m.stats))
	for name := range m.stats {
		names = append(names, name)
	}
	// Sorted, so that which of two colliding names wins does not change
	// from one scrape to the next.
	sort.Strings(names)
	for _, name := range names {
		st := m.stats[name]
		m.sync(st, now)
		cur := st.samples[len(st.samples)-1]
		fam, base, ln, lv := metricName(name)
		typ := prometheus.UntypedValue
		var v float64
		switch st.kind {
		case Integer:
			v = float64(cur.i)
			switch {
			case isCounterStat(base):
				typ, fam = prometheus.CounterValue, fam+"_total"
			case isGaugeStat(base):
				typ = prometheus.GaugeValue
			}
		case Float:
			v = cur.f
		case Duration:
			typ, fam, v = prometheus.GaugeValue, fam+"_seconds", cur.d.Seconds()
		case String:
			typ, fam, v = prometheus.GaugeValue, fam+"_info", 1
			ln, lv = append(ln, "value"), append(lv, cur.s)
		}
		fi := famInfo{labels: strings.Join(ln, ","), typ: typ}
		if prev, ok := families[fam]; ok && prev != fi {
			continue
		}
		families[fam] = fi
		key := fam + "\xff" + strings.Join(lv, "\xff")
		if seen[key] {
			continue
		}
		seen[key] = true
		desc := prometheus.NewDesc(fam, "Kea statistic "+helpName(name), ln, nil)
		metric, err := prometheus.NewConstMetric(desc, typ, v, lv...)
		if err != nil {
			continue
		}
		ch <- metric
	}
}

// helpName is a statistic's name with its ids replaced by placeholders,
// so that every member of a family has the same help text.
func helpName(name string) string {
	if _, rest, ok := cutIndex(name, "subnet["); ok {
		if _, rest2, ok := cutIndex(rest, "pool["); ok {
			return "subnet[id].pool[pid]." + rest2
		}
		return "subnet[id]." + rest
	}
	return name
}

// Handler serves the statistics in the Prometheus exposition format, for
// a /metrics endpoint. To add the Go runtime and process collectors,
// register the Manager (a prometheus.Collector) in your own registry
// instead.
func (m *Manager) Handler() http.Handler {
	reg := prometheus.NewRegistry()
	reg.MustRegister(m)
	return promhttp.HandlerFor(reg, promhttp.HandlerOpts{ErrorHandling: promhttp.ContinueOnError})
}
