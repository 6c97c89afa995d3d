package daemon

import (
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/leased/leased/lease"
	"github.com/leased/leased/lease/memfile"
	"github.com/leased/leased/stats"
)

// healthReporter is a lease store that can tell whether it makes lease
// changes durable, as memfile.Store does.
type healthReporter interface{ Health() memfile.Health }

// syncReporter is a lease store that counts its journal's fsyncs, as
// memfile.Store does.
type syncReporter interface{ Counters() memfile.Counters }

// leaseStoreStatus is status-get's "lease-store" map: "state" is
// "healthy", "failed" (the journal cannot write: no lease is acknowledged)
// or "recovering" (a new journal segment works, the snapshot that ends the
// recovery is not written yet); a failed or recovering store adds the
// "error", "since" (Unix seconds), "seconds" (how long so far) and
// "retries" (recovery attempts so far). A compaction that fails while the journal works adds
// "compaction-error" and "compaction-failing-since". A store that
// counts its journal's fsyncs (memfile) adds "fsyncs" (data syncs since it opened), "fsync-seconds"
// (the time they took together: the mean is fsync-seconds/fsyncs) and
// "slow-fsyncs" (those that took a second or more, each also warned
// about in the log), the journal's latency that every ACK waits for.
func leaseStoreStatus(st lease.Store, now time.Time) map[string]any {
	hr, ok := st.(healthReporter)
	if !ok {
		return map[string]any{"state": "unknown"}
	}
	h := hr.Health()
	out := map[string]any{"state": h.State}
	if h.Error != nil {
		out["error"] = h.Error.Error()
		out["since"] = h.Since.Unix()
		out["seconds"] = int64(now.Sub(h.Since) / time.Second)
		out["retries"] = h.Retries
	}
	if h.CompactionError != nil {
		out["compaction-error"] = h.CompactionError.Error()
		out["compaction-failing-since"] = h.CompactionSince.Unix()
	}
	if sr, ok := st.(syncReporter); ok {
		c := sr.Counters()
		out["fsyncs"] = c.Syncs
		out["fsync-seconds"] = c.SyncTime.Seconds()
		out["slow-fsyncs"] = c.SlowSyncs
	}
	return out
}

// storeCollector exposes the lease store's journal on /metrics beside
// Kea's statistics: leased_lease_store_fsyncs_total,
// leased_lease_store_fsync_seconds_total (their sum: the mean latency is
// the ratio of the two rates), leased_lease_store_slow_fsyncs_total
// (those of a second or more) and leased_lease_store_healthy (1 while
// the store makes changes durable, else 0: no lease is acknowledged).
type storeCollector struct{ store lease.Store }

var (
	descFsyncs      = prometheus.NewDesc(stats.Namespace+"_lease_store_fsyncs_total", "Data syncs of the lease journal since the store opened.", nil, nil)
	descFsyncTime   = prometheus.NewDesc(stats.Namespace+"_lease_store_fsync_seconds_total", "Time the lease journal's data syncs took together.", nil, nil)
	descSlowFsyncs  = prometheus.NewDesc(stats.Namespace+"_lease_store_slow_fsyncs_total", "Data syncs of the lease journal that took a second or more.", nil, nil)
	descStoreHealth = prometheus.NewDesc(stats.Namespace+"_lease_store_healthy", "1 while the lease store makes changes durable, 0 while it cannot (no lease is acknowledged).", nil, nil)
)

// Describe sends nothing: the metrics depend on what the store reports,
// so this is an unchecked collector, as stats.Manager is.
func (storeCollector) Describe(chan<- *prometheus.Desc) {}

func (c storeCollector) Collect(ch chan<- prometheus.Metric) {
	if sr, ok := c.store.(syncReporter); ok {
		n := sr.Counters()
		ch <- prometheus.MustNewConstMetric(descFsyncs, prometheus.CounterValue, float64(n.Syncs))
		ch <- prometheus.MustNewConstMetric(descFsyncTime, prometheus.CounterValue, n.SyncTime.Seconds())
		ch <- prometheus.MustNewConstMetric(descSlowFsyncs, prometheus.CounterValue, float64(n.SlowSyncs))
	}
	if hr, ok := c.store.(healthReporter); ok {
		v := 0.0
		if hr.Health().State == "healthy" {
			v = 1
		}
		ch <- prometheus.MustNewConstMetric(descStoreHealth, prometheus.GaugeValue, v)
	}
}
