package daemon

import (
	"time"

	"github.com/leased/leased/lease"
	"github.com/leased/leased/lease/memfile"
)

// healthReporter is a lease store that can tell whether it makes lease
// changes durable, as memfile.Store does.
type healthReporter interface{ Health() memfile.Health }

// leaseStoreStatus is status-get's "lease-store" map: "state" is
// "healthy", "failed" (the journal cannot write: no lease is acknowledged)
// or "recovering" (a new journal segment works, the snapshot that ends the
// recovery is not written yet); a failed or recovering store adds the
// "error", "since" (Unix seconds), "seconds" (how long so far) and
// "retries" (recovery attempts so far). A compaction that fails while the journal works adds
// "compaction-error" and "compaction-failing-since".
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
	return out
}
