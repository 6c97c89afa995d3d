package memfile

import (
	"errors"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/leased/leased/lease"
	"github.com/leased/leased/lease/leasetest"
)

// faultIO is the operating system's segmentIO with faults a test sets:
// the next write fails with failWrite, and every data sync reports that
// it took took (when not zero) instead of what it did.
type faultIO struct {
	mu        sync.Mutex
	failWrite error
	took      time.Duration
}

func (f *faultIO) write(file *os.File, p []byte) (int, error) {
	f.mu.Lock()
	err := f.failWrite
	f.failWrite = nil
	f.mu.Unlock()
	if err != nil {
		return 0, err
	}
	return osIO{}.write(file, p)
}

func (f *faultIO) datasync(file *os.File) (time.Duration, error) {
	took, err := osIO{}.datasync(file)
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.took != 0 {
		took = f.took
	}
	return took, err
}

func (f *faultIO) setTook(d time.Duration) {
	f.mu.Lock()
	f.took = d
	f.mu.Unlock()
}

// useIO makes s's journal write and sync through io, and read the time
// for its warnings from now.
func useIO(s *Store, io segmentIO, now func() time.Time) {
	s.j.mu.Lock()
	s.j.io, s.j.now = io, now
	s.j.mu.Unlock()
}

// failNextWrite makes the journal's next write fail with a full disk's
// error.
func failNextWrite(s *Store) {
	useIO(s, &faultIO{failWrite: errors.New("injected: no space left on device")}, time.Now)
}

// TestSlowSync checks the journal's slow-fsync warning and latency
// counters: a data sync of a second or more is counted and logged, a
// second one within 10 s is counted but not logged, the next one after
// 10 s is logged with the count of those not logged, and fast syncs add
// their time without a warning. The durations are what the test's
// segmentIO reports, and the warnings' clock is the test's.
func TestSlowSync(t *testing.T) {
	opts, logs := testOptions(t)
	s := mustOpen(t, opts)
	defer s.Close()
	put := func(i int) {
		t.Helper()
		l := leasetest.Make(i)
		if err := s.Put(ctx, &l, lease.Durable); err != nil {
			t.Fatal(err)
		}
	}
	put(0)
	if c := s.Counters(); c.Syncs == 0 || c.SlowSyncs != 0 {
		t.Fatalf("counters after a durable write on an ordinary disk: %+v", c)
	}
	const warning = "a data sync was slow"
	var mu sync.Mutex
	now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	clock := func() time.Time { mu.Lock(); defer mu.Unlock(); return now }
	fio := &faultIO{took: 2 * time.Second}
	useIO(s, fio, clock)

	before := s.Counters()
	put(1)
	put(2)
	c := s.Counters()
	if c.SlowSyncs-before.SlowSyncs != 2 || c.Syncs-before.Syncs != 2 || c.SyncTime-before.SyncTime != 4*time.Second {
		t.Errorf("after two slow syncs: %+v, before %+v", c, before)
	}
	if n := logs.Count(warning); n != 1 {
		t.Errorf("%d warnings for two slow syncs within 10 s, want 1:\n%s", n, logs)
	}
	if !strings.Contains(logs.String(), "took=2s") {
		t.Errorf("the warning does not say how long the sync took:\n%s", logs)
	}

	mu.Lock()
	now = now.Add(slowSyncLogEvery)
	mu.Unlock()
	put(3)
	if n := logs.Count(warning); n != 2 {
		t.Errorf("%d warnings after 10 s more, want 2:\n%s", n, logs)
	}
	if !strings.Contains(logs.String(), "slow-syncs-since-last-warning=1") {
		t.Errorf("the second warning does not count the slow sync it did not log:\n%s", logs)
	}

	fio.setTook(time.Millisecond)
	before = s.Counters()
	put(4)
	c = s.Counters()
	if c.SlowSyncs != before.SlowSyncs || c.Syncs-before.Syncs != 1 || c.SyncTime-before.SyncTime != time.Millisecond {
		t.Errorf("after a fast sync: %+v, before %+v", c, before)
	}
	if n := logs.Count(warning); n != 2 {
		t.Errorf("a fast sync was warned about:\n%s", logs)
	}
}
