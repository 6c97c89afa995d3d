package server

import (
	"bytes"
	"context"
	"log/slog"
	"net/netip"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/leased/leased/lease"
	"github.com/leased/leased/lease/memfile"
)

// lockedBuffer is a log destination the test reads while the server
// writes.
type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) count(s string) int {
	l.mu.Lock()
	defer l.mu.Unlock()
	return strings.Count(l.b.String(), s)
}

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
			logs := &lockedBuffer{}
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
				before := logs.count(slowReclaimMsg)
				srv.reclaimCycle(ctx, &b)
				if logs.count(slowReclaimMsg) > before {
					got = append(got, run)
				}
			}
			if n, _ := store.Len(ctx); n != 0 {
				t.Errorf("%d leases left after the runs", n)
			}
			if !equalInts(got, tc.want) {
				t.Errorf("warnings after runs %v, want %v\n%s", got, tc.want, logs.b.String())
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

func equalInts(a, b []int) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
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
