package daemon

import (
	"time"

	"github.com/leased/leased/lease"
	"github.com/leased/leased/lease/memfile"
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
