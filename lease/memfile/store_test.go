package memfile

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/netip"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/leased/leased/internal/logtest"
	"github.com/leased/leased/lease"
	"github.com/leased/leased/lease/leasetest"
)

var ctx = context.Background()

func testOptions(t *testing.T) (Options, *logtest.Buffer) {
	logs := new(logtest.Buffer)
	return Options{
		Path:    filepath.Join(t.TempDir(), "kea-leases4.csv"),
		Persist: true,
		Logger:  slog.New(slog.NewTextHandler(logs, &slog.HandlerOptions{Level: slog.LevelDebug})),
	}, logs
}

func mustOpen(t *testing.T, opts Options) *Store {
	t.Helper()
	s, err := Open(opts)
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	return s
}

func TestConformance(t *testing.T) {
	t.Run("persist", func(t *testing.T) {
		leasetest.Run(t, func(t *testing.T) lease.Store {
			opts, _ := testOptions(t)
			return mustOpen(t, opts)
		})
	})
	t.Run("memory", func(t *testing.T) {
		leasetest.Run(t, func(t *testing.T) lease.Store {
			return mustOpen(t, Options{})
		})
	})
	// The same tests against a store reopened from its files: whatever
	// the tests leave behind must load back identically.
	t.Run("reopened", func(t *testing.T) {
		leasetest.Run(t, func(t *testing.T) lease.Store {
			opts, _ := testOptions(t)
			return &reopening{t: t, opts: opts, Store: mustOpen(t, opts)}
		})
	})
}

// reopening is a Store that, on Close, reopens its files and checks that
// they hold what memory held.
type reopening struct {
	t    *testing.T
	opts Options
	*Store
}

func (r *reopening) Close() error {
	want := dump(r.Store)
	if err := r.Store.Close(); err != nil {
		return err
	}
	s := mustOpen(r.t, r.opts)
	defer s.Close()
	if got := dump(s); got != want {
		r.t.Errorf("reopened store differs:\n got %s\nwant %s", got, want)
	}
	return nil
}

// dump renders every lease of s, in address order.
func dump(s *Store) string {
	var b strings.Builder
	s.Walk(func(l *lease.Lease) bool {
		fmt.Fprintf(&b, "%v|%s|%s|%x|%s\n", l, l.Hostname, l.UserContext, l.HWType, fmt.Sprint(l.PoolID, l.FQDNFwd, l.FQDNRev))
		return true
	})
	return b.String()
}

func TestPersistAcrossRestartAndCompaction(t *testing.T) {
	opts, logs := testOptions(t)
	s := mustOpen(t, opts)
	for i := 0; i < 3000; i++ {
		l := leasetest.Make(i)
		l.UserContext = fmt.Sprintf(`{"n":%d}`, i)
		if err := s.Put(ctx, &l, lease.Async); err != nil {
			t.Fatal(err)
		}
	}
	if err := s.Compact(ctx); err != nil {
		t.Fatalf("Compact: %v", err)
	}
	// Changes after the snapshot land in the new segment.
	for i := 0; i < 3000; i += 3 {
		if err := s.Delete(ctx, leasetest.Make(i).Addr, nil, lease.Async); err != nil {
			t.Fatal(err)
		}
	}
	l := leasetest.Make(1)
	l.Hostname = "renamed,with&#x2c;comma"
	if err := s.Put(ctx, &l, lease.Durable); err != nil {
		t.Fatal(err)
	}
	want := dump(s)
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	segs, _ := s.files.segments()
	if len(segs) != 1 {
		t.Errorf("segments after compaction = %v, want one", segs)
	}

	s = mustOpen(t, opts)
	if got := dump(s); got != want {
		t.Errorf("after restart:\n%s\nwant\n%s", head(got), head(want))
	}
	if n, _ := s.Len(ctx); n != 2000 {
		t.Errorf("Len = %d, want 2000", n)
	}
	// A second compaction from the reopened store, then a third restart.
	if err := s.Compact(ctx); err != nil {
		t.Fatal(err)
	}
	s.Close()
	s = mustOpen(t, opts)
	defer s.Close()
	if got := dump(s); got != want {
		t.Errorf("after second compaction the leases differ")
	}
	if strings.Contains(logs.String(), "level=WARN") {
		t.Errorf("clean files produced warnings:\n%s", logs)
	}
}

func head(s string) string {
	if len(s) > 600 {
		return s[:600] + "..."
	}
	return s
}

func TestCompactionWhileWriting(t *testing.T) {
	opts, _ := testOptions(t)
	s := mustOpen(t, opts)
	var wg sync.WaitGroup
	stop := make(chan struct{})
	for w := 0; w < 4; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; ; i++ {
				select {
				case <-stop:
					return
				default:
				}
				l := leasetest.Make(w*10000 + i%5000)
				l.CLTT += int64(i)
				d := lease.Async
				if i%50 == 0 {
					d = lease.Durable
				}
				if err := s.Put(ctx, &l, d); err != nil {
					t.Error(err)
					return
				}
			}
		}()
	}
	for k := 0; k < 5; k++ {
		if err := s.Compact(ctx); err != nil {
			t.Fatal(err)
		}
	}
	close(stop)
	wg.Wait()
	want := dump(s)
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	s = mustOpen(t, opts)
	defer s.Close()
	if got := dump(s); got != want {
		t.Errorf("store after compactions under load differs from memory before close")
	}
	if c := s.Counters(); c.Compactions != 0 {
		t.Errorf("counters not reset by reopen: %+v", c)
	}
}

func TestLock(t *testing.T) {
	opts, _ := testOptions(t)
	s := mustOpen(t, opts)
	_, err := Open(opts)
	if !errors.Is(err, ErrLocked) {
		t.Fatalf("second Open = %v, want ErrLocked", err)
	}
	if !strings.Contains(err.Error(), fmt.Sprint("process ", os.Getpid())) {
		t.Errorf("refusal does not name the holder: %v", err)
	}
	l := leasetest.Make(1)
	if err := s.Put(ctx, &l, lease.Durable); err != nil {
		t.Fatal(err)
	}
	// A reader works beside the writer.
	r, err := OpenReadOnly(opts)
	if err != nil {
		t.Fatalf("OpenReadOnly beside a writer: %v", err)
	}
	if n, _ := r.Len(ctx); n != 1 {
		t.Errorf("reader sees %d leases, want 1", n)
	}
	if err := r.Put(ctx, &l, lease.Durable); !errors.Is(err, ErrReadOnly) {
		t.Errorf("Put on a read-only store = %v", err)
	}
	s.Close()
	s = mustOpen(t, opts)
	s.Close()
}

func TestMemoryOnlyTouchesNoFile(t *testing.T) {
	dir := t.TempDir()
	s := mustOpen(t, Options{Path: filepath.Join(dir, "x.csv"), Persist: false})
	l := leasetest.Make(1)
	if err := s.Put(ctx, &l, lease.Durable); err != nil {
		t.Fatal(err)
	}
	if err := s.Compact(ctx); err != nil {
		t.Fatal(err)
	}
	s.Close()
	if ents, _ := os.ReadDir(dir); len(ents) != 0 {
		t.Errorf("persist false wrote %d files", len(ents))
	}
	if _, err := OpenReadOnly(Options{Path: filepath.Join(dir, "x.csv")}); err == nil {
		t.Errorf("OpenReadOnly of a store that does not persist succeeded")
	}
}

func TestCheckAtLoad(t *testing.T) {
	opts, _ := testOptions(t)
	s := mustOpen(t, opts)
	for i := 0; i < 30; i++ {
		l := leasetest.Make(i)
		l.SubnetID = uint32(i % 3)
		if err := s.Put(ctx, &l, lease.Async); err != nil {
			t.Fatal(err)
		}
	}
	s.Close()
	// Subnet 0 is gone: drop its leases. Subnet 2 was renumbered to 20.
	opts.Check = func(_ netip.Addr, id uint32) (uint32, bool) {
		switch id {
		case 0:
			return 0, false
		case 2:
			return 20, true
		}
		return id, true
	}
	s = mustOpen(t, opts)
	st, _ := s.Stats(ctx)
	if st[lease.PoolKey{SubnetID: 0, PoolID: 1}].Default != 0 || st[lease.PoolKey{SubnetID: 20, PoolID: 1}].Default != 10 {
		t.Errorf("stats after check = %v", st)
	}
	// The fix is written out by the compaction Open starts.
	waitCompactions(t, s, 1)
	s.Close()
	opts.Check = nil
	s = mustOpen(t, opts)
	defer s.Close()
	if n, _ := s.Len(ctx); n != 20 {
		t.Errorf("Len after check and restart = %d, want 20", n)
	}
	page, _ := s.Page(ctx, netip.Addr{}, 20, 100)
	if len(page) != 10 {
		t.Errorf("subnet 20 holds %d leases after restart, want 10", len(page))
	}
}

// waitCompactions waits until s has finished n compactions.
func waitCompactions(t *testing.T, s *Store, n uint64) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for s.Counters().Compactions < n {
		if time.Now().After(deadline) {
			t.Fatalf("no compaction after 10s: %+v", s.Counters())
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// TestJournalFailure makes a journal write fail: durable writes then
// report ErrNotDurable, the compaction the failure starts opens a new
// segment, durable writes succeed again, and a restart finds every lease
// memory held, including the one whose write failed.
func TestJournalFailure(t *testing.T) {
	opts, logs := testOptions(t)
	s := mustOpen(t, opts)
	l0, l1, l2 := leasetest.Make(0), leasetest.Make(1), leasetest.Make(2)
	if err := s.Put(ctx, &l0, lease.Durable); err != nil {
		t.Fatal(err)
	}
	failNextWrite(s)
	if err := s.Put(ctx, &l1, lease.Durable); !errors.Is(err, lease.ErrNotDurable) {
		t.Fatalf("Put during a failure = %v, want ErrNotDurable", err)
	}
	if !strings.Contains(logs.String(), "injected: no space left") {
		t.Errorf("the failure was not logged:\n%s", logs)
	}
	waitCompactions(t, s, 1)
	if err := s.Put(ctx, &l2, lease.Durable); err != nil {
		t.Fatalf("Put after recovery = %v", err)
	}
	s.Close()
	s = mustOpen(t, opts)
	defer s.Close()
	if m := missing(present(t, s, 3), 3); len(m) != 0 {
		t.Errorf("missing after restart = %v", m)
	}
}

// TestReadOnlyBesideCompactions reads the store again and again while a
// writer adds leases and compacts: every read must hold at least every
// lease acknowledged before it started.
func TestReadOnlyBesideCompactions(t *testing.T) {
	opts, _ := testOptions(t)
	opts.CompactBytes = 4 << 10
	s := mustOpen(t, opts)
	defer s.Close()
	var acked atomic.Int64
	done := make(chan struct{})
	go func() {
		defer close(done)
		for i := 0; i < 3000; i++ {
			l := leasetest.Make(i)
			d := lease.Async
			if i%10 == 9 {
				d = lease.Durable
			}
			if err := s.Put(ctx, &l, d); err != nil {
				t.Error(err)
				return
			}
			if d == lease.Durable {
				acked.Store(int64(i + 1))
			}
			if i%300 == 0 {
				s.Compact(ctx)
			}
		}
	}()
	reads := 0
	for running := true; running; reads++ {
		select {
		case <-done:
			running = false
		default:
		}
		before := acked.Load()
		r, err := OpenReadOnly(opts)
		if err != nil {
			t.Fatalf("OpenReadOnly: %v", err)
		}
		if n, _ := r.Len(ctx); int64(n) < before {
			t.Fatalf("read %d: %d leases, %d were acknowledged before it", reads, n, before)
		}
	}
	if c := s.Counters(); c.Compactions < 5 {
		t.Errorf("only %d compactions ran during the reads", c.Compactions)
	}
	t.Logf("%d reads, %+v", reads, s.Counters())
}

func TestUseAfterClose(t *testing.T) {
	opts, _ := testOptions(t)
	s := mustOpen(t, opts)
	s.Close()
	l := leasetest.Make(1)
	if err := s.Put(ctx, &l, lease.Durable); !errors.Is(err, lease.ErrClosed) {
		t.Errorf("Put after Close = %v", err)
	}
	if err := s.Sync(ctx); !errors.Is(err, lease.ErrClosed) {
		t.Errorf("Sync after Close = %v", err)
	}
	if err := s.Compact(ctx); err == nil {
		t.Errorf("Compact after Close succeeded")
	}
	if err := s.Close(); err != nil {
		t.Errorf("second Close = %v", err)
	}
}
