package memfile

import (
	"context"
	"errors"
	"fmt"
	"os"
	"sync"
	"sync/atomic"
	"time"

	"github.com/leased/leased/lease"
)

// journal appends records to the current segment file. Writers queue
// encoded records into the open batch (append, called under the store's
// write lock so that the journal's order is the order of changes in
// memory); a dedicated goroutine (run) takes every queued batch at once,
// writes it with one write call, fsyncs once if any writer in it waits for
// durability, and then releases all of that batch's waiters together. While
// it is inside fsync, new writers fill the next batch: that is the group
// commit, and it keeps the fsync off the request goroutines.
type journal struct {
	files files
	log   Logger

	mu     sync.Mutex
	cur    *batch    // open batch
	sealed []*batch  // closed batches not yet taken by run
	seg    uint64    // segment of the open batch
	rot    *rotation // the rotation run has yet to carry out
	closed bool
	health journalHealth
	// io carries run's writes and syncs, now tells the time for the
	// slow-sync warning; tests swap them under mu.
	io  segmentIO
	now func() time.Time

	kick      chan struct{} // wakes run
	stop      chan struct{}
	stopped   chan struct{}
	interval  time.Duration
	flushSize int
	onGrow    func(total int64) // called by run after writing, with the journal's size
	onFail    func()            // called by run when the journal fails

	// Owned by run.
	f     *os.File
	fseg  uint64
	fsize int64 // bytes in f known written
	dirty bool  // f has writes not yet fsynced
	fail  error // set when a write or fsync failed, cleared by a new segment
	spare [][]byte
	slow  slowSyncLog

	total atomic.Int64 // bytes written to segments since the last snapshot

	// Counters for benchmarks and metrics.
	batches   atomic.Uint64
	syncs     atomic.Uint64
	records   atomic.Uint64
	syncTime  atomic.Int64 // nanoseconds spent in data syncs
	slowSyncs atomic.Uint64
}

// journalState is where the journal stands in a failure and its recovery.
type journalState uint8

const (
	// journalHealthy: records are written and fsynced; durable writes succeed.
	journalHealthy journalState = iota
	// journalFailed: a write, fsync or segment creation failed. Nothing is
	// written and every durable write fails until a compaction opens a
	// new segment and writes a snapshot.
	journalFailed
	// journalRecovering: a new segment is open and takes records, but the
	// snapshot of what memory holds (some of it never reached the disk)
	// is not written yet; durable writes still fail, since a lease
	// written during the failure may be acknowledged later without being
	// written again.
	journalRecovering
)

func (s journalState) String() string {
	switch s {
	case journalFailed:
		return "failed"
	case journalRecovering:
		return "recovering"
	}
	return "healthy"
}

// journalHealth is the journal's state as Health reports it. It is
// guarded by journal.mu.
type journalHealth struct {
	state   journalState
	err     error     // the failure that started it
	since   time.Time // when it failed
	retries int       // recovery compactions tried since
	gen     uint64    // failures since Open: a recovery counts only if no failure came after its segment opened
}

// errRecovering is what durable writes see between a new segment and the
// snapshot that completes a recovery.
var errRecovering = errors.New("lease journal recovering from a failure: the snapshot of the leases in memory is not written yet")

// rotation is a compaction's request for a new segment, answered by run.
type rotation struct {
	seg  uint64
	done chan struct{}
	err  error  // the segment could not be created; records stay in the old one
	gen  uint64 // journalHealth.gen once the segment was open
}

// batch is a group of records that reach the disk together.
type batch struct {
	buf  []byte
	seg  uint64
	sync bool          // a writer waits for durability
	done chan struct{} // closed when written (and fsynced if sync)
	err  error         // valid once done is closed
}

func newJournal(fs files, log Logger, seg uint64, f *os.File, size int64, interval time.Duration) *journal {
	if interval <= 0 {
		interval = time.Second
	}
	j := &journal{
		files:     fs,
		log:       log,
		seg:       seg,
		kick:      make(chan struct{}, 1),
		stop:      make(chan struct{}),
		stopped:   make(chan struct{}),
		interval:  interval,
		flushSize: 1 << 20,
		f:         f,
		fseg:      seg,
		fsize:     size,
		io:        osIO{},
		now:       time.Now,
	}
	if f == nil {
		j.fseg = 0 // no file open: run creates segment seg first
	}
	j.total.Store(size)
	j.cur = j.newBatch()
	return j
}

// start starts the goroutine that writes batches.
func (j *journal) start() { go j.run() }

func (j *journal) newBatch() *batch {
	b := &batch{seg: j.seg, done: make(chan struct{})}
	if n := len(j.spare); n > 0 {
		b.buf, j.spare = j.spare[n-1], j.spare[:n-1]
	}
	return b
}

// append queues rec (which may be empty) and returns its batch. durable
// marks the batch as one that must be fsynced and wakes the writer.
func (j *journal) append(rec []byte, durable bool) *batch {
	j.mu.Lock()
	if j.closed {
		j.mu.Unlock()
		b := &batch{done: make(chan struct{}), err: lease.ErrClosed}
		close(b.done)
		return b
	}
	b := j.cur
	if len(rec) > 0 {
		b.buf = append(b.buf, rec...)
		j.records.Add(1)
	}
	if durable {
		b.sync = true
	}
	wake := durable || len(b.buf) >= j.flushSize
	j.mu.Unlock()
	if wake {
		select {
		case j.kick <- struct{}{}:
		default:
		}
	}
	return b
}

// wait returns when b is durable, or ctx ends first.
func (j *journal) wait(ctx context.Context, b *batch) error {
	select {
	case <-b.done:
		if b.err == lease.ErrClosed {
			return b.err
		}
		if b.err != nil {
			return fmt.Errorf("%w: %v", lease.ErrNotDurable, b.err)
		}
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// rotate closes the open batch and sends everything after it to a new
// segment, and returns once run has created that segment. When it cannot
// be created, the records go on into the current segment (a failed
// compaction must not stop the journal) and rotate returns the error.
// gen identifies the journal's failure generation at the time the segment
// opened, for recovered.
func (j *journal) rotate() (seg, gen uint64, err error) {
	j.mu.Lock()
	if j.closed {
		j.mu.Unlock()
		return 0, 0, lease.ErrClosed
	}
	j.sealed = append(j.sealed, j.cur)
	j.seg++
	j.cur = j.newBatch()
	j.cur.sync = true // makes run take the batch and open its segment at once
	r := &rotation{seg: j.seg, done: make(chan struct{})}
	j.rot = r
	j.mu.Unlock()
	select {
	case j.kick <- struct{}{}:
	default:
	}
	<-r.done
	return r.seg, r.gen, r.err
}

// takeRotation returns the pending rotation to segment seg, if any.
func (j *journal) takeRotation(seg uint64) *rotation {
	j.mu.Lock()
	defer j.mu.Unlock()
	r := j.rot
	if r == nil || r.seg != seg {
		return nil
	}
	j.rot = nil
	return r
}

// revertRotation sends the records meant for the segment that r failed to
// create to the current segment instead, so that the segment numbers stay
// without gaps and the next rotation asks for the same number again.
func (j *journal) revertRotation(r *rotation, bs []*batch) {
	prev := r.seg - 1 // the segment the records went to before rotate
	for _, b := range bs {
		if b.seg == r.seg {
			b.seg = prev
		}
	}
	j.mu.Lock()
	if j.seg == r.seg {
		j.seg = prev
		if j.cur.seg == r.seg {
			j.cur.seg = prev
		}
	}
	j.mu.Unlock()
}

// recovered ends a recovery once a compaction whose segment opened in
// failure generation gen has written its snapshot: everything in memory is
// on disk again. It does nothing if the journal failed again meanwhile.
func (j *journal) recovered(gen uint64) {
	j.mu.Lock()
	h := j.health
	if h.state != journalRecovering || h.gen != gen {
		j.mu.Unlock()
		return
	}
	j.health.state = journalHealthy
	j.health.err, j.health.since, j.health.retries = nil, time.Time{}, 0
	j.mu.Unlock()
	j.log.Info("lease journal recovered; lease changes are durable again", "failed-for", time.Since(h.since).Round(time.Millisecond), "retries", h.retries, "error-was", h.err)
}

// noteRetry counts a recovery attempt and reports whether the journal
// needs one (it is not healthy).
func (j *journal) noteRetry() bool {
	j.mu.Lock()
	defer j.mu.Unlock()
	if j.health.state == journalHealthy {
		return false
	}
	j.health.retries++
	return true
}

func (j *journal) healthy() bool {
	j.mu.Lock()
	defer j.mu.Unlock()
	return j.health.state == journalHealthy
}

func (j *journal) run() {
	defer close(j.stopped)
	t := time.NewTicker(j.interval)
	defer t.Stop()
	for {
		final := false
		select {
		case <-j.kick:
		case <-t.C:
		case <-j.stop:
			final = true
		}
		j.flush(final)
		if final {
			if j.f != nil {
				j.f.Close()
				j.f = nil
			}
			return
		}
	}
}

// flush writes every queued batch.
func (j *journal) flush(final bool) {
	j.mu.Lock()
	bs := j.sealed
	j.sealed = nil
	io, clock := j.io, j.now
	recovering := j.health.state == journalRecovering
	if len(j.cur.buf) > 0 || j.cur.sync || final {
		bs = append(bs, j.cur)
		j.cur = j.newBatch()
	}
	j.mu.Unlock()
	if len(bs) == 0 {
		return
	}
	// unsynced are the batches written to j.f since its last fsync: a
	// failure before the next fsync fails them too.
	var unsynced []*batch
	fail := func(err error) {
		j.failed(err)
		for _, u := range unsynced {
			u.err = j.fail
		}
		unsynced = nil
	}
	syncFile := func() {
		if j.f == nil || !j.dirty {
			return
		}
		took, err := io.datasync(j.f)
		if err != nil {
			fail(fmt.Errorf("fsync %s: %w", j.f.Name(), err))
			return
		}
		j.noteSync(took, clock())
		j.dirty = false
		j.syncs.Add(1)
		unsynced = nil
	}
	sync := final
	for k, b := range bs {
		sync = sync || b.sync
		if b.seg != j.fseg {
			// A new segment starts even after a failure: that is how the
			// journal recovers.
			syncFile()
			wasFailed := j.fail != nil
			err := j.openSegment(b.seg)
			r := j.takeRotation(b.seg)
			switch {
			case err != nil && r != nil:
				// The compaction that asked for the segment fails; the
				// journal goes on where it was, healthy or not.
				j.revertRotation(r, bs[k:])
				r.err = err
			case err != nil:
				fail(err)
			case wasFailed:
				recovering = true
			}
			if r != nil {
				j.mu.Lock()
				r.gen = j.health.gen
				j.mu.Unlock()
				close(r.done)
			}
		}
		b.err = j.fail
		if j.fail == nil && len(b.buf) > 0 {
			unsynced = append(unsynced, b)
			if err := j.write(io, b.buf); err != nil {
				fail(err)
			}
		}
	}
	if sync {
		syncFile()
	}
	j.batches.Add(1)
	var spare [][]byte
	for _, b := range bs {
		if cap(b.buf) <= 4*j.flushSize {
			spare = append(spare, b.buf[:0])
		}
		b.buf = nil
		if b.err == nil && recovering && j.fail == nil {
			// Written, but what memory holds is not all on disk yet.
			b.err = errRecovering
		}
		close(b.done)
	}
	j.mu.Lock()
	j.spare = append(j.spare, spare...)
	if len(j.spare) > 4 {
		j.spare = j.spare[:4]
	}
	j.mu.Unlock()
	if j.fail == nil && j.onGrow != nil {
		j.onGrow(j.total.Load())
	}
}

func (j *journal) write(io segmentIO, p []byte) error {
	n, err := io.write(j.f, p)
	j.fsize += int64(n)
	j.total.Add(int64(n))
	j.dirty = true
	if err != nil {
		// Take a partial record back off the end, so that later records
		// do not follow garbage.
		if terr := j.f.Truncate(j.fsize - int64(n)); terr == nil {
			j.fsize -= int64(n)
		}
		return fmt.Errorf("append to the lease journal: %w", err) // err names the file
	}
	return nil
}

// failed records a write, fsync or segment failure. After a failed fsync
// the kernel may have dropped the dirty pages, so the file can no longer
// be trusted: it is closed, and every later batch fails until a
// compaction opens a new segment and writes a snapshot of memory (see
// journalRecovering). The first failure of an episode is logged as an
// error; failures during the recovery attempts that follow only at debug
// level, so that a full disk is reported once, not once per attempt.
func (j *journal) failed(err error) {
	if j.fail != nil {
		return
	}
	j.fail = err
	j.mu.Lock()
	episode := j.health.state == journalHealthy
	j.health.gen++
	if episode {
		j.health.err, j.health.since, j.health.retries = err, time.Now(), 0
	}
	j.health.state = journalFailed
	j.mu.Unlock()
	if episode {
		j.log.Error("lease journal failed; leases are not acknowledged until it recovers (retried every few seconds)", "error", err)
	} else {
		j.log.Debug("lease journal failed again while recovering", "error", err)
	}
	if j.onFail != nil {
		j.onFail()
	}
	if j.f != nil {
		j.f.Close()
		j.f = nil
	}
}

// openSegment closes the current segment, which the caller has fsynced,
// and starts segment seq. A segment it could not complete is removed, so
// that the next try can create it again. On a failed journal, success
// starts the recovery.
func (j *journal) openSegment(seq uint64) error {
	name := j.files.segment(seq)
	f, err := os.OpenFile(name, os.O_WRONLY|os.O_CREATE|os.O_APPEND|os.O_EXCL, 0o640)
	if err != nil {
		return fmt.Errorf("create journal segment: %w", err)
	}
	abandon := func(err error) error {
		f.Close()
		os.Remove(name)
		return err
	}
	hdr := appendSegmentHeader(nil, seq)
	if _, err := f.Write(hdr); err != nil {
		return abandon(fmt.Errorf("write segment header: %w", err)) // err names the file
	}
	if err := fdatasync(f); err != nil {
		return abandon(fmt.Errorf("fsync %s: %w", name, err))
	}
	if err := syncDir(j.files.dir()); err != nil {
		return abandon(err)
	}
	if j.f != nil {
		j.f.Close() // flush fsynced it
	}
	j.f, j.fseg, j.fsize, j.dirty = f, seq, int64(len(hdr)), false
	j.total.Add(int64(len(hdr)))
	if j.fail != nil {
		j.log.Debug("lease journal writes to a new segment; recovery completes with the next snapshot", "segment", name)
		j.fail = nil
		j.mu.Lock()
		j.health.state = journalRecovering
		j.mu.Unlock()
	}
	return nil
}

// close flushes and fsyncs everything queued and stops run.
func (j *journal) close() error {
	j.mu.Lock()
	if j.closed {
		j.mu.Unlock()
		return nil
	}
	j.closed = true
	b := j.cur
	b.sync = true
	j.mu.Unlock()
	close(j.stop)
	<-j.stopped
	<-b.done
	if b.err != nil {
		return fmt.Errorf("close lease journal: %w", b.err)
	}
	return nil
}
