package memfile

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"os"
	"time"

	"github.com/leased/leased/dhcpv4"
	"github.com/leased/leased/internal/regularfile"
)

// Open opens the store that opts describe, creating its directory and
// files as needed, and loads its leases. Damaged data never stops it: torn
// tails are cut, damaged records are moved to the quarantine file, and
// every intact lease loads; each repair is logged with the file and
// offset. Open fails only when the file system does (the directory cannot
// be created, a file cannot be read) or when another process holds the
// store (ErrLocked).
func Open(opts Options) (*Store, error) {
	s := newStore(opts)
	if !opts.Persist {
		return s, nil
	}
	if opts.Path == "" {
		return nil, errors.New("lease-database: memfile with persist needs a name (the lease file path)")
	}
	if err := os.MkdirAll(s.files.dir(), 0o750); err != nil {
		return nil, fmt.Errorf("create lease store directory: %w", err)
	}
	lock, err := acquireLock(s.files.dir(), s.files.lock())
	if err != nil {
		return nil, err
	}
	ld := loader{s: s, writable: true}
	res, err := ld.load()
	if err != nil {
		lock.release()
		if res.f != nil {
			res.f.Close()
		}
		return nil, fmt.Errorf("load leases from %s: %w", opts.Path, err)
	}
	changed := s.applyCheck()
	s.lock = lock
	s.snapSize.Store(res.snapSize)
	s.compactReq = make(chan struct{}, 1)
	s.stopCompact = make(chan struct{})
	s.compactDone = make(chan struct{})
	s.j = newJournal(s.files, s.log, res.seg, res.f, res.size, opts.FlushInterval)
	s.j.onGrow = s.maybeCompact
	s.j.onFail = s.requestCompact
	s.j.start()
	go s.compactor()
	if ld.damaged || changed > 0 {
		s.requestCompact()
	}
	return s, nil
}

// OpenReadOnly loads the store that opts describe without taking its lock
// and without changing any file, so it works beside a running server: it
// reads whole, checksummed records only, and a record being appended
// while it reads is simply not seen. Damage is logged, not repaired. The
// returned Store answers queries; its writers return ErrReadOnly.
func OpenReadOnly(opts Options) (*Store, error) {
	if !opts.Persist {
		return nil, errors.New("lease-database: persist is false, so the leases live only in the server's memory")
	}
	if opts.Path == "" {
		return nil, errors.New("lease-database: memfile needs a name (the lease file path)")
	}
	opts.Check = nil
	var err error
	// A compaction in the running server may replace the snapshot and
	// remove the segments it covered while they are read; that shows as a
	// missing file, and the read starts over.
	const tries = 20
	for try := 1; try <= tries; try++ {
		s := newStore(opts)
		s.readOnly = true
		// The last try accepts a gap before the first segment: a
		// segment whose creation failed leaves one.
		ld := loader{s: s, strict: try < tries}
		if _, err = ld.load(); err == nil {
			return s, nil
		}
		if !errors.Is(err, os.ErrNotExist) && !errors.Is(err, errRaced) {
			break
		}
		time.Sleep(time.Duration(try) * 5 * time.Millisecond)
	}
	return nil, fmt.Errorf("read leases from %s: %w", opts.Path, err)
}

// applyCheck runs opts.Check over the loaded leases and returns how many it
// changed or removed.
func (s *Store) applyCheck() int {
	if s.opts.Check == nil {
		return 0
	}
	changed := 0
	for c := range s.slab.chunks {
		for k := range s.slab.chunks[c].recs {
			i := int32(c)<<chunkBits | int32(k)
			r := s.slab.at(i)
			if !r.live {
				continue
			}
			id, keep := s.opts.Check(dhcpv4.Uint32ToAddr(r.addr), r.subnet)
			switch {
			case !keep:
				s.deleteLocked(i)
				changed++
			case id != r.subnet:
				s.count(r, -1)
				r.subnet = id
				s.count(r, 1)
				changed++
			}
		}
	}
	return changed
}

func (s *Store) requestCompact() {
	select {
	case s.compactReq <- struct{}{}:
	default:
	}
}

// maybeCompact asks for a compaction once the journal has outgrown its
// threshold.
func (s *Store) maybeCompact(journalBytes int64) {
	limit := s.opts.CompactBytes
	if limit < 0 {
		return
	}
	if limit == 0 {
		limit = 64 << 20
	}
	if journalBytes >= max(limit, s.snapSize.Load()) {
		s.requestCompact()
	}
}

// Retries after a failed compaction start at minRetry and double up to
// maxRetry while the journal has failed: it recovers within maxRetry of
// the cause going away, and a disk that stays full is tried a few times a
// minute. While the journal works, nothing waits for the compaction, and
// each try may leave a new journal segment behind, so the retries slow
// down to maxCompactRetry.
const (
	minRetry        = 500 * time.Millisecond
	maxRetry        = 5 * time.Second
	maxCompactRetry = time.Minute
)

// retryPace is the compactor's delay before it tries a failed compaction
// again.
type retryPace struct{ delay time.Duration }

// failed returns the delay after a failed try, or after a compaction that
// left the journal unhealthy: longer each time, up to maxRetry while the
// journal waits for it, maxCompactRetry while it works.
func (p *retryPace) failed(journalHealthy bool) time.Duration {
	limit := maxRetry
	if journalHealthy {
		limit = maxCompactRetry
	}
	p.delay = min(max(2*p.delay, minRetry), limit)
	return p.delay
}

// succeeded starts the next run of failures at minRetry again.
func (p *retryPace) succeeded() { p.delay = 0 }

// preempt reports whether a request for a compaction that arrives while
// a retry waits should run at once: when the journal failed during a
// wait of the slow, compaction-only pace. The pace starts over.
func (p *retryPace) preempt(journalHealthy bool) bool {
	if journalHealthy || p.delay <= maxRetry {
		return false
	}
	p.delay = 0
	return true
}

func (s *Store) compactor() {
	defer close(s.compactDone)
	var tick <-chan time.Time
	if s.opts.LFCInterval > 0 {
		t := time.NewTicker(s.opts.LFCInterval)
		defer t.Stop()
		tick = t.C
	}
	var retry *time.Timer
	var retryC <-chan time.Time
	var pace retryPace
	for {
		select {
		case <-s.stopCompact:
			if retry != nil {
				retry.Stop()
			}
			return
		case <-tick:
		case <-s.compactReq:
		case <-retryC:
			retryC = nil
		}
		if retryC != nil {
			// A request while a retry waits: the retry comes first, so
			// that a disk that stays full is not tried on every flush,
			// unless the journal itself failed meanwhile.
			if !pace.preempt(s.j.healthy()) {
				continue
			}
			retry.Stop()
			retryC = nil
		}
		unhealthy := s.j.noteRetry()
		err := s.compact()
		s.noteCompaction(err, unhealthy)
		healthy := s.j.healthy()
		if err == nil && healthy {
			pace.succeeded()
			continue
		}
		// The journal waits for a snapshot (a failure with nothing
		// written since would never ask again), or the compaction
		// failed: try again, later each time.
		d := pace.failed(healthy)
		if retry == nil {
			retry = time.NewTimer(d)
		} else {
			retry.Reset(d)
		}
		retryC = retry.C
	}
}

// noteCompaction logs a compaction's outcome: the first failure while the
// journal works as an error, the ones after it at debug level until one
// succeeds. Failures while the journal itself has failed are part of the
// journal's episode, which it logs.
func (s *Store) noteCompaction(err error, recovering bool) {
	s.healthMu.Lock()
	prev := s.compactErr
	s.compactErr = err
	if err != nil && prev == nil {
		s.compactSince = time.Now()
	}
	since := s.compactSince
	s.healthMu.Unlock()
	switch {
	case err != nil && (prev != nil || recovering):
		s.log.Debug("lease compaction failed again", "file", s.opts.Path, "error", err)
	case err != nil:
		s.log.Error("lease compaction failed; the journal goes on growing until one succeeds (retried, at most a minute apart)", "file", s.opts.Path, "error", err)
	case prev != nil && !recovering:
		s.log.Info("lease compaction works again", "file", s.opts.Path, "failed-for", time.Since(since).Round(time.Millisecond))
	}
}

// Health is the state of a store's files, as status-get shows it.
type Health struct {
	// State is "healthy"; "failed" when the journal cannot write, so that
	// no lease change is durable and durable writes fail; or "recovering"
	// when a new journal segment works but the snapshot that completes the
	// recovery is not written yet (durable writes still fail).
	State string
	// Error is the failure that made the journal fail; Since when it did;
	// Retries how many recovery compactions were tried since.
	Error   error
	Since   time.Time
	Retries int
	// CompactionError is the last compaction's failure, nil once one
	// succeeds; a failed compaction alone leaves the journal working.
	CompactionError error
	CompactionSince time.Time
}

// Health reports whether the store can make lease changes durable. A store
// that does not persist is always healthy.
func (s *Store) Health() Health {
	h := Health{State: journalHealthy.String()}
	if s.j == nil {
		return h
	}
	s.j.mu.Lock()
	jh := s.j.health
	s.j.mu.Unlock()
	h.State, h.Error, h.Since, h.Retries = jh.state.String(), jh.err, jh.since, jh.retries
	s.healthMu.Lock()
	h.CompactionError, h.CompactionSince = s.compactErr, s.compactSince
	s.healthMu.Unlock()
	return h
}

// Compact writes every lease into a new snapshot and drops the journal
// segments it replaces, as Kea's lease file cleanup (LFC) does, but in
// process. Writers and readers go on meanwhile. It does nothing for a store
// that does not persist.
func (s *Store) Compact(ctx context.Context) error {
	if s.j == nil {
		if s.readOnly {
			return ErrReadOnly
		}
		return nil
	}
	return s.compact()
}

// compact works in four steps. (1) The journal moves on to a new segment
// N: every change from now on goes there. (2) The leases are written to a
// temporary snapshot, a few hundred at a time under the read lock, so a
// lease changed meanwhile may be seen before or after its change; either
// is fine, because every change since step 1 is in segment N and replaying
// N on top of the snapshot ends at the newest state. (3) The snapshot is
// fsynced, renamed into place and the directory fsynced: from here on a
// restart loads it and replays segments N and later. (4) The older
// segments are removed. A crash before (3) leaves the old snapshot and
// all segments; a crash after it leaves segments that the new snapshot's
// header says to skip, and the next Open removes them.
func (s *Store) compact() error {
	s.compactMu.Lock()
	defer s.compactMu.Unlock()
	start := time.Now()
	seg, gen, err := s.j.rotate()
	if err != nil {
		return fmt.Errorf("start journal segment %d: %w", seg, err)
	}
	written := s.j.total.Load()

	tmpName := s.files.snapshotTmp()
	f, err := regularfile.Open(tmpName, os.O_WRONLY|os.O_CREATE|os.O_TRUNC, 0o640)
	if err != nil {
		return fmt.Errorf("create snapshot: %w", err)
	}
	count, size, err := s.writeSnapshot(f, seg)
	if err == nil {
		err = fdatasync(f)
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(tmpName, s.files.snapshot())
	}
	if err == nil {
		err = syncDir(s.files.dir())
	}
	if err != nil {
		os.Remove(tmpName)
		return fmt.Errorf("write snapshot: %w", err)
	}
	s.snapSize.Store(size)
	s.j.total.Add(-written)
	// Everything memory held when the segment opened is in the snapshot,
	// the rest in the segment: a failed journal has recovered.
	s.j.recovered(gen)

	segs, err := s.files.segments()
	if err != nil {
		return err
	}
	removed := 0
	for _, q := range segs {
		if q < seg {
			if err := os.Remove(s.files.segment(q)); err != nil {
				return fmt.Errorf("remove compacted journal segment: %w", err)
			}
			removed++
		}
	}
	if removed > 0 {
		if err := syncDir(s.files.dir()); err != nil {
			return err
		}
	}
	s.compactions.Add(1)
	s.log.Debug("lease store compacted", "file", s.files.snapshot(), "leases", count, "bytes", size, "segments-removed", removed, "took", time.Since(start))
	return nil
}

// writeSnapshot writes the header and every lease to f and then rewrites
// the header with the count.
func (s *Store) writeSnapshot(f *os.File, seg uint64) (count uint64, size int64, err error) {
	w := bufio.NewWriterSize(f, 1<<20)
	w.Write(appendSnapshotHeader(nil, seg, 0))
	size = snapshotHeaderLen
	buf := make([]byte, 0, 64<<10)
	next, more := uint32(0), true
	for more {
		buf = buf[:0]
		s.mu.RLock()
		next, more = s.addrs.ascend(next, 256, func(_ uint32, i int32) bool {
			r := s.slab.at(i)
			buf = appendPut(buf, &r.putFields, r.blob)
			count++
			return true
		})
		s.mu.RUnlock()
		if _, err := w.Write(buf); err != nil {
			return 0, 0, err
		}
		size += int64(len(buf))
	}
	if err := w.Flush(); err != nil {
		return 0, 0, err
	}
	if _, err := f.WriteAt(appendSnapshotHeader(nil, seg, count), 0); err != nil {
		return 0, 0, err
	}
	return count, size, nil
}

// Counters count the work of the journal and of compaction since Open.
type Counters struct {
	Records     uint64 // records queued for the journal
	Batches     uint64 // journal flushes (one write call each)
	Syncs       uint64 // journal fsyncs
	Compactions uint64 // snapshots written
	// SyncTime is the time the Syncs took together; SlowSyncs counts
	// those that took a second or more (each one is also logged, at most
	// once per 10 s).
	SyncTime  time.Duration
	SlowSyncs uint64
}

// Counters returns the store's counters. Records/Syncs is the mean number
// of records that shared an fsync, SyncTime/Syncs the mean fsync latency.
func (s *Store) Counters() Counters {
	c := Counters{Compactions: s.compactions.Load()}
	if s.j != nil {
		c.Records = s.j.records.Load()
		c.Batches = s.j.batches.Load()
		c.Syncs = s.j.syncs.Load()
		c.SyncTime = time.Duration(s.j.syncTime.Load())
		c.SlowSyncs = s.j.slowSyncs.Load()
	}
	return c
}
