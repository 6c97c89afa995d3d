package meshd

import (
	"context"
	"log/slog"
	"net/netip"
	"os"
	"path/filepath"
	"slices"
	"syscall"
	"testing"
	"time"

	"github.com/leased/leased/lease"
	"github.com/leased/leased/mesh"
)

// putLeases stores n leases of one minute in 10.0.0.0/24, from .2 on,
// given at now.
func putLeases(st *state, n int, now time.Time, salt byte) {
	a := netip.MustParseAddr("10.0.0.2")
	for i := range n {
		l := lease.Lease{Addr: a, HWType: lease.HTypeEthernet, HWAddr: []byte{2, salt, 0, 0, 0, byte(i)},
			ValidLifetime: 60, CLTT: now.Unix()}
		st.put(context.Background(), &l, lease.Async)
		a = a.Next()
	}
}

// inode returns the inode of path, 0 if it does not exist: a copy
// replaces its files (a rename), so a new inode is a new write.
func inode(t *testing.T, path string) uint64 {
	t.Helper()
	fi, err := os.Stat(path)
	if os.IsNotExist(err) {
		return 0
	}
	if err != nil {
		t.Fatal(err)
	}
	return fi.Sys().(*syscall.Stat_t).Ino
}

// An hour of busy traffic with a copy every 10 minutes writes the copy
// at most six times, whatever the number of lease changes, and a tick
// without a change since the last copy writes nothing.
func TestStateCopyBound(t *testing.T) {
	log := slog.New(slog.DiscardHandler)
	st, err := openState(t.TempDir(), log)
	if err != nil {
		t.Fatal(err)
	}
	defer st.close()
	flash := filepath.Join(t.TempDir(), "flash")
	sc := &stateCopy{dir: flash, st: st, log: log, claims: func() []byte { return []byte(claimsMagic + "\n") }}
	now := time.Now()
	writes := 0
	last := uint64(0)
	// Ticks 0..5 of the hour: changes before ticks 0, 1, 2 and 4 only.
	for tick := range 6 {
		if tick != 3 && tick != 5 {
			putLeases(st, 250, now, byte(tick)) // 250 changes, each a journal write on tmpfs
		}
		wrote, err := sc.save()
		if err != nil {
			t.Fatal(err)
		}
		ino := inode(t, filepath.Join(flash, leasesName))
		if (ino != last) != wrote {
			t.Fatalf("tick %d: save reported %v, but the leases file went from inode %d to %d", tick, wrote, last, ino)
		}
		if wrote {
			writes++
		}
		if changed := tick != 3 && tick != 5; wrote != changed {
			t.Errorf("tick %d: copy written %v, want %v (leases changed since the last copy: %v)", tick, wrote, changed, changed)
		}
		last = ino
	}
	if writes != 4 || sc.copies != 4 {
		t.Errorf("1,000 lease changes over 6 ticks gave %d copies (counted %d), want 4: one per tick that followed a change", writes, sc.copies)
	}
}

// The copy carries the leases and the claims across a reboot: a node
// whose state directory is empty takes them from the copy and resumes
// with them; a state directory that survived is left as it is.
func TestStateCopyRestore(t *testing.T) {
	log := slog.New(slog.DiscardHandler)
	cfg := testConfig(t)
	rng, err := cfg.Range()
	if err != nil {
		t.Fatal(err)
	}
	id := nodeID(1)
	now := time.Now()
	until := now.Add(30 * time.Second).Truncate(time.Millisecond)
	claims := func() map[uint32]time.Time { return map[uint32]time.Time{0: until, 2: until} }

	tmpfs := t.TempDir()
	st, err := openState(tmpfs, log)
	if err != nil {
		t.Fatal(err)
	}
	putLeases(st, 3, now, 7)
	flash := filepath.Join(t.TempDir(), "flash")
	sc := &stateCopy{dir: flash, st: st, log: log, claims: func() []byte { return claimsData(id, rng, claims) }}
	ctx, cancel := context.WithCancel(context.Background())
	tick := make(chan time.Time)
	done := make(chan struct{})
	go func() { sc.run(ctx, tick); close(done) }()
	tick <- now
	tick <- now // taken once the first tick's copy is written; nothing changed since, so it writes nothing
	if sc.copies != 1 {
		t.Fatalf("%d copies after two ticks, one change", sc.copies)
	}
	putLeases(st, 4, now, 7) // a fourth lease after the last tick: copied when the node stops
	cancel()
	<-done
	st.close()

	// The reboot: tmpfs is empty.
	st2, err := openState(t.TempDir(), log)
	if err != nil {
		t.Fatal(err)
	}
	defer st2.close()
	n, err := restoreStateCopy(st2, flash)
	if err != nil || n != 4 {
		t.Fatalf("restoreStateCopy: %d leases, %v; want 4", n, err)
	}
	gotClaims, gotLeases := st2.load(now, id, rng, log)
	if len(gotClaims) != 2 || !gotClaims[0].Until.Equal(until) || len(gotLeases) != 4 {
		t.Fatalf("after the restore: claims %v, leases %v; want blocks 0 and 2 until %v and 4 leases", gotClaims, gotLeases, until)
	}
	i := slices.IndexFunc(gotLeases, func(l mesh.ResumeLease) bool { return l.Addr == netip.MustParseAddr("10.0.0.5") })
	if i < 0 || gotLeases[i].CHAddr[1] != 7 || gotLeases[i].CHAddr[5] != 3 || !gotLeases[i].End.Equal(time.Unix(now.Unix()+60, 0)) {
		t.Errorf("restored leases %+v, want 10.0.0.5 of 02:07:00:00:00:03 until %v among them", gotLeases, time.Unix(now.Unix()+60, 0))
	}

	// A restart without a reboot: the state directory is newer than the
	// copy and is kept.
	st3, err := openState(tmpfs, log)
	if err != nil {
		t.Fatal(err)
	}
	defer st3.close()
	if err := writeFileAtomic(filepath.Join(tmpfs, claimsName), claimsData(id, rng, claims)); err != nil {
		t.Fatal(err)
	}
	if n, err := restoreStateCopy(st3, flash); n != 0 || err != nil {
		t.Errorf("restoreStateCopy over a surviving state: %d leases, %v; want none", n, err)
	}
}

func TestParseLeaseCopy(t *testing.T) {
	for _, bad := range []string{
		"",
		"leased-mesh-claims 1\n",
		copyLeasesMagic + "\nlease 10.0.0.5 02aa - 1 60 extra\n",
		copyLeasesMagic + "\nlease ::1 02aa - 1 60\n",
		copyLeasesMagic + "\nlease 10.0.0.5 zz - 1 60\n",
		copyLeasesMagic + "\nlease 10.0.0.5 02aa - 1 -60\n",
		copyLeasesMagic + "\nlease 10.0.0.5 0102030405060708090a0b0c0d0e0f1011 - 1 60\n",
	} {
		if ls, err := parseLeaseCopy([]byte(bad)); err == nil {
			t.Errorf("parseLeaseCopy(%q) = %v, want an error", bad, ls)
		}
	}
	ls, err := parseLeaseCopy([]byte(copyLeasesMagic + "\nlease 10.0.0.5 02aa - 100 60\nlease 10.0.0.6 - 01ff 5 7\n"))
	if err != nil || len(ls) != 2 || string(ls[0].HWAddr) != "\x02\xaa" || ls[0].ClientID != nil || ls[1].ValidLifetime != 7 || string(ls[1].ClientID) != "\x01\xff" {
		t.Errorf("parseLeaseCopy: %+v, %v", ls, err)
	}
}
