package memfile

import (
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/leased/leased/lease"
	"github.com/leased/leased/lease/leasetest"
)

// The faults here are real ones a file system gives: a directory sitting
// where the store wants to create its next journal segment or its
// snapshot makes that creation fail (EEXIST, EISDIR) until it is removed,
// as a full disk or an exhausted inode table would.

// blockSegment puts a directory where segment seq would be created and
// returns a function that removes it.
func blockSegment(t *testing.T, s *Store, seq uint64) func() {
	t.Helper()
	name := s.files.segment(seq)
	if err := os.Mkdir(name, 0o750); err != nil {
		t.Fatal(err)
	}
	return func() {
		if err := os.Remove(name); err != nil {
			t.Fatal(err)
		}
	}
}

// nextSegment is the segment the next compaction will ask for.
func nextSegment(s *Store) uint64 {
	s.j.mu.Lock()
	defer s.j.mu.Unlock()
	return s.j.seg + 1
}

// failJournal makes the next journal write fail and waits for a durable
// write to see it.
func failJournal(t *testing.T, s *Store, l *lease.Lease) {
	t.Helper()
	failNextWrite(s)
	if err := s.Put(ctx, l, lease.Durable); !errors.Is(err, lease.ErrNotDurable) {
		t.Fatalf("Put while the journal fails = %v, want ErrNotDurable", err)
	}
}

// waitDurable retries a durable write until it succeeds.
func waitDurable(t *testing.T, s *Store, l *lease.Lease, within time.Duration) {
	t.Helper()
	deadline := time.Now().Add(within)
	for {
		err := s.Put(ctx, l, lease.Durable)
		if err == nil {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("durable writes still fail %v after the cause went away: %v (health %+v)", within, err, s.Health())
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// TestJournalRecoversWithoutLFCTick: the journal fails, and the
// compaction that would recover it fails too, because the next segment
// cannot be created. Once it can, durable writes work again within
// seconds, with no lfc-interval to retry on. The failure and the recovery
// are logged once each however many writes fail meanwhile, and Health
// reports the episode.
func TestJournalRecoversWithoutLFCTick(t *testing.T) {
	opts, logs := testOptions(t)
	opts.LFCInterval = 0
	s := mustOpen(t, opts)
	defer s.Close()
	l0, l1 := leasetest.Make(0), leasetest.Make(1)
	if err := s.Put(ctx, &l0, lease.Durable); err != nil {
		t.Fatal(err)
	}
	unblock := blockSegment(t, s, nextSegment(s))
	failJournal(t, s, &l1)
	for i := 0; i < 50; i++ {
		if err := s.Sync(ctx); !errors.Is(err, lease.ErrNotDurable) {
			t.Fatalf("Sync while the journal cannot recover = %v, want ErrNotDurable", err)
		}
	}
	// Let the first recovery attempts fail.
	deadline := time.Now().Add(10 * time.Second)
	for s.Health().Retries < 2 {
		if time.Now().After(deadline) {
			t.Fatalf("no retries after 10s: %+v", s.Health())
		}
		time.Sleep(10 * time.Millisecond)
	}
	h := s.Health()
	if h.State != "failed" || h.Error == nil || !strings.Contains(h.Error.Error(), "injected") || h.Since.IsZero() {
		t.Errorf("Health during the failure = %+v", h)
	}
	unblock()
	waitDurable(t, s, &l1, 10*time.Second)
	if h := s.Health(); h.State != "healthy" || h.Error != nil || h.Retries != 0 {
		t.Errorf("Health after the recovery = %+v", h)
	}
	out := logs.String()
	if n := strings.Count(out, "lease journal failed;"); n != 1 {
		t.Errorf("the failure was logged %d times, want once:\n%s", n, out)
	}
	if n := strings.Count(out, "lease journal recovered"); n != 1 {
		t.Errorf("the recovery was logged %d times, want once:\n%s", n, out)
	}
	if n := strings.Count(out, "level=ERROR"); n != 1 {
		t.Errorf("%d error lines, want 1:\n%s", n, out)
	}
}

// TestFailedCompactionKeepsJournal: a compaction that cannot create its
// segment (as with an exhausted inode table) or its snapshot fails on its
// own; the journal goes on in its open segment and durable writes succeed.
func TestFailedCompactionKeepsJournal(t *testing.T) {
	opts, logs := testOptions(t)
	s := mustOpen(t, opts)
	l := leasetest.Make(0)
	if err := s.Put(ctx, &l, lease.Durable); err != nil {
		t.Fatal(err)
	}
	seg := nextSegment(s)
	unblock := blockSegment(t, s, seg)
	for i := 1; i <= 3; i++ {
		if err := s.Compact(ctx); err == nil {
			t.Fatalf("compaction %d succeeded with its segment blocked", i)
		}
		l := leasetest.Make(i)
		if err := s.Put(ctx, &l, lease.Durable); err != nil {
			t.Fatalf("Put after failed compaction %d = %v", i, err)
		}
	}
	if h := s.Health(); h.State != "healthy" {
		t.Errorf("Health after failed compactions = %+v, want healthy", h)
	}
	unblock()
	// The snapshot cannot be created either: the segment opens, the
	// compaction fails, the journal goes on in the new segment.
	if err := os.Mkdir(s.files.snapshotTmp(), 0o750); err != nil {
		t.Fatal(err)
	}
	if err := s.Compact(ctx); err == nil {
		t.Fatal("compaction succeeded with its snapshot blocked")
	}
	l = leasetest.Make(4)
	if err := s.Put(ctx, &l, lease.Durable); err != nil {
		t.Fatalf("Put after a failed snapshot = %v", err)
	}
	if err := os.Remove(s.files.snapshotTmp()); err != nil {
		t.Fatal(err)
	}
	if err := s.Compact(ctx); err != nil {
		t.Fatalf("compaction after the blocks went: %v", err)
	}
	s.Close()
	// Every segment number was used in order: the failed rotations took
	// none.
	segs, _ := s.files.segments()
	if len(segs) != 1 || segs[0] != seg+1 {
		t.Errorf("segments after the compaction = %v, want [%d]", segs, seg+1)
	}
	s = mustOpen(t, opts)
	defer s.Close()
	if m := missing(present(t, s, 5), 5); len(m) != 0 {
		t.Errorf("missing after restart = %v", m)
	}
	if strings.Contains(logs.String(), "lease journal failed") {
		t.Errorf("a failed compaction failed the journal:\n%s", logs)
	}
}

// TestRecoveryWaitsForSnapshot: after a failure, memory holds a change
// whose record was lost. A new segment alone does not make the store
// durable again: a Sync that succeeded then would let the server
// acknowledge that lease (reused from memory, not written again) while
// only the old version is on disk. Durable writes fail until the snapshot
// is written.
func TestRecoveryWaitsForSnapshot(t *testing.T) {
	opts, _ := testOptions(t)
	opts.LFCInterval = 0
	s := mustOpen(t, opts)
	defer s.Close()
	if err := os.Mkdir(s.files.snapshotTmp(), 0o750); err != nil {
		t.Fatal(err)
	}
	l0 := leasetest.Make(0)
	failJournal(t, s, &l0)
	// The retries open new segments, but no snapshot can be written.
	deadline := time.Now().Add(10 * time.Second)
	for s.Health().Retries < 2 {
		if time.Now().After(deadline) {
			t.Fatalf("no retries after 10s: %+v", s.Health())
		}
		time.Sleep(10 * time.Millisecond)
	}
	if err := s.Sync(ctx); err == nil {
		t.Fatalf("Sync succeeded before the snapshot that completes the recovery (health %+v)", s.Health())
	}
	if h := s.Health(); h.State != "recovering" {
		t.Errorf("Health with a new segment and no snapshot = %+v, want recovering", h)
	}
	if err := os.Remove(s.files.snapshotTmp()); err != nil {
		t.Fatal(err)
	}
	deadline = time.Now().Add(10 * time.Second)
	for s.Sync(ctx) != nil {
		if time.Now().After(deadline) {
			t.Fatalf("Sync still fails 10s after the snapshot could be written: %+v", s.Health())
		}
		time.Sleep(20 * time.Millisecond)
	}
	s.Close()
	s = mustOpen(t, opts)
	if m := missing(present(t, s, 1), 1); len(m) != 0 {
		t.Errorf("the lease memory held during the failure is missing after restart: %v", m)
	}
}

// TestStraySegmentDirectory: an entry named like a journal segment that is
// a directory is reported and moved aside, not skipped in silence (and it
// no longer blocks the journal from creating that segment).
func TestStraySegmentDirectory(t *testing.T) {
	opts, logs := testOptions(t)
	s := mustOpen(t, opts)
	l := leasetest.Make(0)
	if err := s.Put(ctx, &l, lease.Durable); err != nil {
		t.Fatal(err)
	}
	s.Close()
	stray := s.files.segment(nextSegment(s) + 1)
	if err := os.Mkdir(stray, 0o750); err != nil {
		t.Fatal(err)
	}
	r, err := OpenReadOnly(opts)
	if err != nil {
		t.Fatal(err)
	}
	r.Close()
	if !strings.Contains(logs.String(), "not a regular file") {
		t.Errorf("a read-only load skipped the directory %s in silence:\n%s", stray, logs)
	}
	s = mustOpen(t, opts)
	defer s.Close()
	out := logs.String()
	if !strings.Contains(out, "moved it aside") || !strings.Contains(out, stray) {
		t.Errorf("the directory %s was not reported as moved aside:\n%s", stray, out)
	}
	if _, err := os.Lstat(stray); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("%s is still there: %v", stray, err)
	}
	if _, err := os.Stat(stray + ".not-a-segment"); err != nil {
		t.Errorf("the directory was not moved aside: %v", err)
	}
	if m := missing(present(t, s, 1), 1); len(m) != 0 {
		t.Errorf("missing = %v", m)
	}
}

// TestLockSurvivesDeletedLockFile: another process cannot open the store
// after its lock file was deleted; the refusal names the directory and
// the holder.
func TestLockSurvivesDeletedLockFile(t *testing.T) {
	if path := os.Getenv("LEASED_MEMFILE_OPEN"); path != "" {
		// The second process.
		_, err := Open(Options{Path: path, Persist: true})
		if err == nil {
			fmt.Println("opened")
			os.Exit(0)
		}
		fmt.Println(err)
		if errors.Is(err, ErrLocked) {
			os.Exit(3)
		}
		os.Exit(4)
	}
	opts, _ := testOptions(t)
	s := mustOpen(t, opts)
	defer s.Close()
	if err := os.Remove(s.files.lock()); err != nil {
		t.Fatal(err)
	}
	second := func() ([]byte, error) {
		cmd := exec.Command(os.Args[0], "-test.run=^TestLockSurvivesDeletedLockFile$")
		cmd.Env = append(os.Environ(), "LEASED_MEMFILE_OPEN="+opts.Path)
		return cmd.CombinedOutput()
	}
	out, err := second()
	var ee *exec.ExitError
	if !errors.As(err, &ee) || ee.ExitCode() != 3 {
		t.Fatalf("second process with the lock file deleted: %v\n%s", err, out)
	}
	if dir := filepath.Dir(opts.Path); !strings.Contains(string(out), dir) {
		t.Errorf("the refusal does not name the directory %s: %s", dir, out)
	}
	// With the lock file back, the refusal names the holder too.
	if err := os.WriteFile(s.files.lock(), fmt.Appendf(nil, "%d\n", os.Getpid()), 0o640); err != nil {
		t.Fatal(err)
	}
	out, _ = second()
	if !strings.Contains(string(out), fmt.Sprint("process ", os.Getpid())) {
		t.Errorf("the refusal does not name the holder: %s", out)
	}
}

// TestRetryPace: a failed journal is retried after 0.5 s, doubling up to
// 5 s; compactions that fail alone slow down to a minute; and a journal
// that fails during such a slow wait is retried at once, at the fast
// pace again.
func TestRetryPace(t *testing.T) {
	var p retryPace
	var got []time.Duration
	for range 6 {
		got = append(got, p.failed(false))
	}
	want := []time.Duration{500 * time.Millisecond, time.Second, 2 * time.Second, 4 * time.Second, 5 * time.Second, 5 * time.Second}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("failed journal: delays %v, want %v", got, want)
	}
	if p.preempt(false) {
		t.Error("a request preempted a retry of the fast pace")
	}
	p.succeeded()
	for range 10 {
		p.failed(true)
	}
	if p.delay != time.Minute {
		t.Errorf("failing compactions: delay %v after 10 failures, want 1m", p.delay)
	}
	if p.preempt(true) {
		t.Error("a request preempted a slow retry while the journal works")
	}
	if !p.preempt(false) {
		t.Fatal("a journal failure during a slow retry waits for it")
	}
	if d := p.failed(false); d != minRetry {
		t.Errorf("after the preemption: delay %v, want %v", d, minRetry)
	}
}

// TestSpecialFilesRefused: a named pipe where the snapshot, the lock file
// or the quarantine file belongs neither hangs Open nor is read: the
// snapshot's refusal names the file and what it is.
func TestSpecialFilesRefused(t *testing.T) {
	for _, which := range []string{"snapshot", "lock", "snapshot-tmp"} {
		t.Run(which, func(t *testing.T) {
			opts, _ := testOptions(t)
			s := mustOpen(t, opts)
			l := leasetest.Make(0)
			if err := s.Put(ctx, &l, lease.Durable); err != nil {
				t.Fatal(err)
			}
			s.Close()
			var name string
			switch which {
			case "snapshot":
				name = s.files.snapshot()
			case "lock":
				name = s.files.lock()
			case "snapshot-tmp":
				name = s.files.snapshotTmp()
			}
			os.Remove(name)
			if err := syscall.Mkfifo(name, 0o640); err != nil {
				t.Fatal(err)
			}
			type result struct {
				s   *Store
				err error
			}
			done := make(chan result, 1)
			go func() {
				s, err := Open(opts)
				if err == nil && which == "snapshot-tmp" {
					err = s.Compact(ctx)
				}
				done <- result{s, err}
			}()
			select {
			case r := <-done:
				if r.s != nil {
					defer r.s.Close()
				}
				switch which {
				case "snapshot-tmp":
					// Open clears leftover temporary snapshots, so the
					// compaction may well succeed; it must not hang.
					if r.err != nil && !strings.Contains(r.err.Error(), "named pipe") {
						t.Errorf("Compact with a FIFO as %s: %v", which, r.err)
					}
				case "snapshot":
					if r.err == nil || !strings.Contains(r.err.Error(), "named pipe") || !strings.Contains(r.err.Error(), name) {
						t.Errorf("Open/Compact with a FIFO as %s: %v; want an error naming it as a named pipe", which, r.err)
					}
				case "lock":
					if r.err != nil {
						t.Errorf("Open with a FIFO as lock file: %v", r.err)
					}
				}
			case <-time.After(10 * time.Second):
				t.Fatalf("Open with a FIFO as %s still waiting after 10 s", which)
			}
		})
	}
}
