package memfile

import (
	"os"
	"time"
)

// segmentIO is how the journal appends to its segment file and makes
// what it appended durable. Production uses the file itself (osIO);
// tests substitute a segmentIO that fails or reports a slow sync, the way
// a full disk or a struggling one would.
type segmentIO interface {
	// write appends p to f, as f.Write does.
	write(f *os.File, p []byte) (int, error)
	// datasync makes f's data durable and reports how long that took.
	datasync(f *os.File) (time.Duration, error)
}

// osIO is segmentIO on the operating system's files.
type osIO struct{}

func (osIO) write(f *os.File, p []byte) (int, error) { return f.Write(p) }

func (osIO) datasync(f *os.File) (time.Duration, error) {
	start := time.Now()
	err := fdatasync(f)
	return time.Since(start), err
}

// Slow syncs: a data sync that takes slowSync or longer is counted and
// warned about, at most once per slowSyncLogEvery (with the count since
// the last warning), as etcd's write-ahead log does. On a healthy disk a
// sync takes milliseconds; a second means a failing or overloaded disk,
// and every DHCP acknowledgement waits for it.
const (
	slowSync         = time.Second
	slowSyncLogEvery = 10 * time.Second
)

// slowSyncLog rate-limits the slow-sync warning. It is owned by the
// journal's run goroutine.
type slowSyncLog struct {
	last   time.Time // when the last warning was logged
	missed int       // slow syncs since then that were not logged
}

// noteSync counts the time of one successful data sync of the journal,
// and warns when it was slow.
func (j *journal) noteSync(took time.Duration, now time.Time) {
	j.syncTime.Add(int64(took))
	if took < slowSync {
		return
	}
	j.slowSyncs.Add(1)
	if !j.slow.last.IsZero() && now.Sub(j.slow.last) < slowSyncLogEvery {
		j.slow.missed++
		return
	}
	j.log.Warn("lease journal: a data sync was slow; every acknowledgement waits for it (is the disk failing or overloaded?)",
		"file", j.f.Name(), "took", took.Round(time.Millisecond), "slow-syncs-since-last-warning", j.slow.missed)
	j.slow.last, j.slow.missed = now, 0
}
