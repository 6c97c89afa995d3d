package engine

import (
	"context"
	"log/slog"
	"net/netip"
	"slices"
	"strconv"
	"testing"
	"time"

	"github.com/leased/leased/dhcpserver/dhcptest"
	"github.com/leased/leased/dhcpv4"
	"github.com/leased/leased/internal/logtest"
	"github.com/leased/leased/lease"
	"github.com/leased/leased/lease/memfile"
)

const slowReclaimMsg = "expired leases still exist after consecutive reclamations"

// TestUnwarnedReclaimCycles checks Kea's warning for a reclamation that
// falls behind: it comes when more than unwarned-reclaim-cycles runs in a
// row leave expired leases, starts the count again, and a run that
// reclaims everything resets the count.
func TestUnwarnedReclaimCycles(t *testing.T) {
	for _, tc := range []struct {
		name   string
		cycles int
		want   []int // the runs (1-based) after which a new warning is expected
	}{
		{"two", 2, []int{3, 9}},
		{"one", 1, []int{2, 4, 8}},
		{"disabled", 0, nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			src := `{"Dhcp4": {"valid-lifetime": 3600,
				"expired-leases-processing": {"max-reclaim-leases": 1, "hold-reclaimed-time": 0,
					"unwarned-reclaim-cycles": ` + strconv.Itoa(tc.cycles) + `},
				"subnet4": [{"id": 1, "subnet": "192.0.2.0/24", "pools": [{"pool": "192.0.2.10 - 192.0.2.99"}]}]}}`
			store, err := memfile.Open(memfile.Options{})
			if err != nil {
				t.Fatal(err)
			}
			defer store.Close()
			clk := &clock{t: time.Unix(1_800_000_000, 0)}
			logs := &logtest.Buffer{}
			srv, err := New(context.Background(), loadConfig(t, src), store,
				&Options{Now: clk.now, Logger: slog.New(slog.NewTextHandler(logs, nil))})
			if err != nil {
				t.Fatal(err)
			}
			ctx := context.Background()
			addExpired := func(first, n int) {
				for i := range n {
					l := lease.Lease{Addr: netip.AddrFrom4([4]byte{192, 0, 2, byte(first + i)}), HWType: 1,
						HWAddr: []byte{2, 0, 0, 0, 0, byte(first + i)}, ValidLifetime: 60,
						CLTT: clk.now().Unix() - 120, SubnetID: 1}
					if err := store.Add(ctx, &l, lease.Async); err != nil {
						t.Fatal(err)
					}
				}
			}
			// Six expired leases, one reclaimed per run: runs 1 to 5
			// leave some behind, run 6 reclaims the last. Then four
			// more: runs 7 to 9 leave some behind, run 10 finishes.
			addExpired(10, 6)
			var b reclaimBacklog
			var got []int
			for run := 1; run <= 10; run++ {
				if run == 7 {
					addExpired(20, 4)
				}
				before := logs.Count(slowReclaimMsg)
				srv.reclaimCycle(ctx, &b)
				if logs.Count(slowReclaimMsg) > before {
					got = append(got, run)
				}
			}
			if n, _ := store.Len(ctx); n != 0 {
				t.Errorf("%d leases left after the runs", n)
			}
			if !slices.Equal(got, tc.want) {
				t.Errorf("warnings after runs %v, want %v\n%s", got, tc.want, logs.String())
			}
		})
	}
}

// TestReclaimReportsBacklog checks that a batch cut short by
// max-reclaim-leases is reported incomplete and one that empties the
// backlog complete.
func TestReclaimReportsBacklog(t *testing.T) {
	f := newFixture(t, `{"Dhcp4": {"valid-lifetime": 3600,
		"expired-leases-processing": {"max-reclaim-leases": 2},
		"subnet4": [{"id": 1, "subnet": "192.0.2.0/24", "pools": [{"pool": "192.0.2.10 - 192.0.2.99"}]}]}}`)
	for i := range 4 {
		f.dora(mac("02:00:00:00:01:0" + strconv.Itoa(i)))
	}
	f.clock.add(2 * time.Hour)
	ctx := context.Background()
	for i, want := range []struct {
		n        int
		complete bool
	}{{2, false}, {2, true}, {0, true}} {
		n, complete, err := f.srv.reclaim(ctx)
		if err != nil || n != want.n || complete != want.complete {
			t.Errorf("batch %d: reclaimed %d complete=%v err=%v, want %d complete=%v", i+1, n, complete, err, want.n, want.complete)
		}
	}
}

// TestReclaimAll checks leases-reclaim's engine: every expired lease is
// reclaimed at once, whatever max-reclaim-leases says, kept for its client
// without remove and deleted with it; leases not yet expired stay.
func TestReclaimAll(t *testing.T) {
	for _, remove := range []bool{false, true} {
		t.Run("remove="+strconv.FormatBool(remove), func(t *testing.T) {
			f := newFixture(t, `{"Dhcp4": {"valid-lifetime": 3600,
				"expired-leases-processing": {"max-reclaim-leases": 2},
				"subnet4": [{"id": 1, "subnet": "192.0.2.0/24", "pools": [{"pool": "192.0.2.10 - 192.0.2.99"}]}]}}`)
			var old []netip.Addr
			for i := range 5 {
				old = append(old, f.dora(mac("02:00:00:00:01:0"+strconv.Itoa(i))))
			}
			f.clock.add(2 * time.Hour)
			fresh := f.dora(mac("02:00:00:00:02:00"))
			n, err := f.srv.ReclaimAll(context.Background(), remove)
			if err != nil || n != len(old) {
				t.Fatalf("ReclaimAll reclaimed %d, err %v; want %d", n, err, len(old))
			}
			for _, a := range old {
				l, ok := f.lease(a)
				switch {
				case remove && ok:
					t.Errorf("%v still stored as %v after a removing reclamation", a, l.State)
				case !remove && (!ok || l.State != lease.StateExpiredReclaimed):
					t.Errorf("%v: stored %v (%v), want expired-reclaimed", a, ok, l.State)
				}
			}
			if l, ok := f.lease(fresh); !ok || l.State != lease.StateDefault {
				t.Errorf("unexpired lease %v: stored %v (%v)", fresh, ok, l.State)
			}
			if n, err := f.srv.ReclaimAll(context.Background(), remove); err != nil || n != 0 {
				t.Errorf("second ReclaimAll reclaimed %d, err %v", n, err)
			}
		})
	}
}

// TestRunTimers runs the reclaim and flush timers of Run on a fake clock:
// the first reclamation comes a whole reclaim-timer-wait-time after the
// start, not at once; a reclaimed lease is kept for its client until the
// flush after hold-reclaimed-time deletes it.
func TestRunTimers(t *testing.T) {
	f := newFixture(t, `{"Dhcp4": {"valid-lifetime": 3600,
		"expired-leases-processing": {"reclaim-timer-wait-time": 5, "flush-reclaimed-timer-wait-time": 7, "hold-reclaimed-time": 100},
		"subnet4": [{"id": 1, "subnet": "192.0.2.0/24", "pools": [{"pool": "192.0.2.10 - 192.0.2.99"}]}]}}`)
	ctx := context.Background()
	a := netip.MustParseAddr("192.0.2.20")
	l := lease.Lease{Addr: a, HWType: 1, HWAddr: []byte{2, 0, 0, 0, 0, 1}, ValidLifetime: 60,
		CLTT: f.clock.now().Unix() - 120, SubnetID: 1}
	if err := f.store.Add(ctx, &l, lease.Async); err != nil {
		t.Fatal(err)
	}
	runCtx, cancel := context.WithCancel(ctx)
	done := make(chan error, 1)
	go func() { done <- f.srv.Run(runCtx) }()
	defer func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("Run: %v", err)
		}
	}()
	state := func() (lease.State, bool) {
		l, ok := f.lease(a)
		return l.State, ok
	}
	waitState := func(what string, cond func(lease.State, bool) bool) {
		t.Helper()
		deadline := time.Now().Add(10 * time.Second)
		for {
			s, ok := state()
			if cond(s, ok) {
				return
			}
			if time.Now().After(deadline) {
				t.Fatalf("%s: after 10 s the lease is %v (stored %v)", what, s, ok)
			}
			time.Sleep(20 * time.Millisecond)
		}
	}
	// Ticks pass with the clock standing at the start: nothing is
	// reclaimed yet.
	time.Sleep(1500 * time.Millisecond)
	if s, ok := state(); !ok || s != lease.StateDefault {
		t.Fatalf("reclaimed before reclaim-timer-wait-time passed: %v (stored %v)", s, ok)
	}
	f.clock.add(5 * time.Second)
	waitState("reclamation", func(s lease.State, ok bool) bool { return ok && s == lease.StateExpiredReclaimed })
	// The flush runs (7 s after the start) but the lease is held for
	// its client until hold-reclaimed-time has passed since it expired.
	f.clock.add(3 * time.Second)
	time.Sleep(1500 * time.Millisecond)
	if s, ok := state(); !ok || s != lease.StateExpiredReclaimed {
		t.Fatalf("flushed before hold-reclaimed-time: %v (stored %v)", s, ok)
	}
	f.clock.add(100 * time.Second)
	waitState("flush", func(_ lease.State, ok bool) bool { return !ok })
}

// TestNoAffinityWithoutFlush: with flush-reclaimed-timer-wait-time 0,
// nothing would ever delete a reclaimed or released lease, so, as Kea
// does, reclamation and release delete them at once, whatever
// hold-reclaimed-time says; with both set they are kept for the client.
func TestNoAffinityWithoutFlush(t *testing.T) {
	for _, tc := range []struct {
		el   string
		keep bool
	}{
		{`"flush-reclaimed-timer-wait-time": 0, "hold-reclaimed-time": 600`, false},
		{`"flush-reclaimed-timer-wait-time": 25, "hold-reclaimed-time": 0`, false},
		{`"flush-reclaimed-timer-wait-time": 25, "hold-reclaimed-time": 600`, true},
	} {
		f := newFixture(t, `{"Dhcp4": {"valid-lifetime": 3600, "expired-leases-processing": {`+tc.el+`},
			"subnet4": [{"id": 1, "subnet": "192.0.2.0/24", "pools": [{"pool": "192.0.2.10 - 192.0.2.99"}]}]}}`)
		expired := f.dora(mac("02:00:00:00:00:01"))
		released := f.dora(mac("02:00:00:00:00:02"))
		f.send(dhcptest.Message{Type: dhcpv4.Release, XID: 9, CHAddr: mac("02:00:00:00:00:02"), CIAddr: released})
		f.clock.add(2 * time.Hour)
		if _, err := f.srv.Reclaim(context.Background()); err != nil {
			t.Fatal(err)
		}
		for _, a := range []netip.Addr{expired, released} {
			l, ok := f.lease(a)
			if ok != tc.keep || (ok && l.State != lease.StateExpiredReclaimed) {
				t.Errorf("%s: %v stored %v (%v), want kept: %v", tc.el, a, ok, l.State, tc.keep)
			}
		}
	}
}

// TestReclaimClearsName: a lease kept as expired-reclaimed loses its
// hostname and DNS flags, as Kea's reclamation clears them: the records
// they named are removed with the reclamation.
func TestReclaimClearsName(t *testing.T) {
	f := newFixture(t, `{"Dhcp4": {"valid-lifetime": 3600,
		"subnet4": [{"id": 1, "subnet": "192.0.2.0/24", "pools": [{"pool": "192.0.2.10 - 192.0.2.99"}]}]}}`)
	a := f.dora(mac("02:00:00:00:03:01"))
	l, ok := f.lease(a)
	if !ok {
		t.Fatal("no lease after DORA")
	}
	named := l.Clone()
	named.Hostname, named.FQDNFwd, named.FQDNRev = "host.example.org.", true, true
	if err := f.store.Update(context.Background(), &l, &named, lease.Durable); err != nil {
		t.Fatal(err)
	}
	f.clock.add(2 * time.Hour)
	if n, err := f.srv.ReclaimAll(context.Background(), false); err != nil || n != 1 {
		t.Fatalf("ReclaimAll reclaimed %d, err %v; want 1", n, err)
	}
	got, ok := f.lease(a)
	if !ok || got.State != lease.StateExpiredReclaimed {
		t.Fatalf("stored %v (%v), want expired-reclaimed", ok, got.State)
	}
	if got.Hostname != "" || got.FQDNFwd || got.FQDNRev {
		t.Errorf("reclaimed lease keeps hostname %q fwd %v rev %v, want none", got.Hostname, got.FQDNFwd, got.FQDNRev)
	}
}
