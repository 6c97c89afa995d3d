package memfile

import (
	"bytes"
	"fmt"
	"math/rand/v2"
	"net/netip"
	"os"
	"strings"
	"testing"

	"github.com/leased/leased/dhcpv4"
	"github.com/leased/leased/lease"
	"github.com/leased/leased/lease/leasetest"
)

// writeLeases creates a store holding leases 0..n-1, one journal record
// each, closes it, and returns the name of its journal segment and the
// offset of each lease's record in it.
func writeLeases(t *testing.T, opts Options, n int) (seg string, offs []int) {
	t.Helper()
	s := mustOpen(t, opts)
	for i := 0; i < n; i++ {
		l := leasetest.Make(i)
		if err := s.Put(ctx, &l, lease.Async); err != nil {
			t.Fatal(err)
		}
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	segs, _ := s.files.segments()
	if len(segs) != 1 {
		t.Fatalf("segments = %v", segs)
	}
	seg = s.files.segment(segs[0])
	data, err := os.ReadFile(seg)
	if err != nil {
		t.Fatal(err)
	}
	scanRecords(data, func(off int, typ byte, _ []byte) error {
		if typ == recPut {
			offs = append(offs, off)
		}
		return nil
	})
	if len(offs) != n {
		t.Fatalf("found %d put records, want %d", len(offs), n)
	}
	return seg, offs
}

// present returns which of leases 0..n-1 the store at opts holds, checking
// that each one held is intact.
func present(t *testing.T, s *Store, n int) map[int]bool {
	t.Helper()
	got := map[int]bool{}
	for i := 0; i < n; i++ {
		want := leasetest.Make(i)
		var l lease.Lease
		if ok, _ := s.Get(ctx, want.Addr, &l); ok {
			if !l.Equal(&want) {
				t.Errorf("lease %d loaded as %v, want %v", i, &l, &want)
			}
			got[i] = true
		}
	}
	return got
}

func missing(got map[int]bool, n int) []int {
	var out []int
	for i := 0; i < n; i++ {
		if !got[i] {
			out = append(out, i)
		}
	}
	return out
}

func TestTornTail(t *testing.T) {
	for _, cut := range []int{1, 5, headerLen + 3, 40} {
		t.Run(fmt.Sprint("cut", cut), func(t *testing.T) {
			opts, logs := testOptions(t)
			const n = 50
			seg, offs := writeLeases(t, opts, n)
			fi, _ := os.Stat(seg)
			if err := os.Truncate(seg, fi.Size()-int64(cut)); err != nil {
				t.Fatal(err)
			}
			// A read-only load (export) sees the intact leases and
			// changes nothing.
			ro, err := OpenReadOnly(opts)
			if err != nil {
				t.Fatal(err)
			}
			if m := missing(present(t, ro, n), n); fmt.Sprint(m) != "[49]" {
				t.Errorf("read-only: missing %v, want [49]", m)
			}
			if fi2, _ := os.Stat(seg); fi2.Size() != fi.Size()-int64(cut) {
				t.Errorf("read-only load changed the segment")
			}
			s := mustOpen(t, opts)
			if m := missing(present(t, s, n), n); fmt.Sprint(m) != "[49]" {
				t.Errorf("missing after a torn tail = %v, want [49]", m)
			}
			want := fmt.Sprintf("file=%s offset=%d", seg, offs[n-1])
			if !strings.Contains(logs.String(), "torn record") || !strings.Contains(logs.String(), want) {
				t.Errorf("log does not report the torn tail at %s:\n%s", want, logs)
			}
			if fi, _ := os.Stat(seg); fi.Size() != int64(offs[n-1]) {
				t.Errorf("segment is %d bytes after the cut, want %d", fi.Size(), offs[n-1])
			}
			// The segment takes new records after the cut.
			l := leasetest.Make(n - 1)
			if err := s.Put(ctx, &l, lease.Durable); err != nil {
				t.Fatal(err)
			}
			s.Close()
			before := logs.String()
			s = mustOpen(t, opts)
			defer s.Close()
			if m := missing(present(t, s, n), n); len(m) != 0 {
				t.Errorf("missing after rewrite = %v", m)
			}
			if strings.Contains(strings.TrimPrefix(logs.String(), before), "level=WARN") {
				t.Errorf("second start still warns:\n%s", logs)
			}
		})
	}
}

func TestBitFlips(t *testing.T) {
	opts, logs := testOptions(t)
	const n = 100
	seg, offs := writeLeases(t, opts, n)
	data, _ := os.ReadFile(seg)
	data[offs[30]+headerLen+7] ^= 0x10 // a payload bit of lease 30
	data[offs[60]+5] ^= 0x04           // the length of lease 60
	data[offs[61]+9] ^= 0x80           // the checksum of lease 61
	if err := os.WriteFile(seg, data, 0o640); err != nil {
		t.Fatal(err)
	}
	if _, err := OpenReadOnly(opts); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(opts.Path + ".corrupt"); err == nil {
		t.Errorf("a read-only load wrote the quarantine file")
	}
	s := mustOpen(t, opts)
	if m := missing(present(t, s, n), n); fmt.Sprint(m) != "[30 60 61]" {
		t.Errorf("missing = %v, want [30 60 61]", m)
	}
	for _, off := range []int{offs[30], offs[60]} {
		if want := fmt.Sprintf("file=%s offset=%d", seg, off); !strings.Contains(logs.String(), want) {
			t.Errorf("log does not name %s:\n%s", want, logs)
		}
	}
	q, err := os.ReadFile(opts.Path + ".corrupt")
	if err != nil {
		t.Fatalf("no quarantine file: %v", err)
	}
	if !bytes.Contains(q, data[offs[30]:offs[31]]) || !bytes.Contains(q, data[offs[60]:offs[62]]) {
		t.Errorf("quarantine file does not hold the damaged records")
	}
	// The compaction that Open starts leaves clean files behind.
	waitCompactions(t, s, 1)
	s.Close()
	before := logs.String()
	s = mustOpen(t, opts)
	defer s.Close()
	if m := missing(present(t, s, n), n); fmt.Sprint(m) != "[30 60 61]" {
		t.Errorf("missing after compaction = %v", m)
	}
	if strings.Contains(strings.TrimPrefix(logs.String(), before), "level=WARN") {
		t.Errorf("start after compaction still warns:\n%s", logs)
	}
}

func TestForeignVersionRecord(t *testing.T) {
	opts, logs := testOptions(t)
	const n = 20
	seg, offs := writeLeases(t, opts, n)
	data, _ := os.ReadFile(seg)
	// A record of a future format, intact, between leases 9 and 10.
	foreign := appendRecord(nil, recPut, []byte("a payload of format version 2"))
	foreign[1] = 2
	sealRecord(foreign)
	mixed := append(append(append([]byte{}, data[:offs[10]]...), foreign...), data[offs[10]:]...)
	os.WriteFile(seg, mixed, 0o640)
	s := mustOpen(t, opts)
	defer s.Close()
	if m := missing(present(t, s, n), n); len(m) != 0 {
		t.Errorf("missing = %v", m)
	}
	want := fmt.Sprintf("offset=%d bytes=%d reason=\"record of unknown format version 2\"", offs[10], len(foreign))
	if !strings.Contains(logs.String(), want) {
		t.Errorf("log does not report the foreign record (%s):\n%s", want, logs)
	}
}

func TestEmptyAndGarbageFiles(t *testing.T) {
	rng := rand.New(rand.NewPCG(7, 7))
	garbage := make([]byte, 5000)
	for i := range garbage {
		garbage[i] = byte(rng.Uint32())
	}
	cases := []struct {
		name       string
		snap, segs [][]byte // nil snap: none
	}{
		{"empty segment", nil, [][]byte{{}}},
		{"empty snapshot", [][]byte{{}}, nil},
		{"empty both", [][]byte{{}}, [][]byte{{}, {}}},
		{"garbage", [][]byte{garbage}, [][]byte{garbage[:100], garbage}},
		{"zeros", [][]byte{make([]byte, 4096)}, [][]byte{make([]byte, 4096)}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			opts, _ := testOptions(t)
			fs := files{base: opts.Path}
			if c.snap != nil {
				os.WriteFile(fs.snapshot(), c.snap[0], 0o640)
			}
			for i, b := range c.segs {
				os.WriteFile(fs.segment(uint64(i+1)), b, 0o640)
			}
			s := mustOpen(t, opts)
			if n, _ := s.Len(ctx); n != 0 {
				t.Errorf("Len = %d", n)
			}
			l := leasetest.Make(1)
			if err := s.Put(ctx, &l, lease.Durable); err != nil {
				t.Fatalf("Put after loading damaged files: %v", err)
			}
			s.Close()
			s = mustOpen(t, opts)
			defer s.Close()
			if m := missing(present(t, s, 2), 2); fmt.Sprint(m) != "[0]" {
				t.Errorf("missing after restart = %v, want [0]", m)
			}
		})
	}
}

func TestSnapshotDamage(t *testing.T) {
	opts, logs := testOptions(t)
	const n = 40
	s := mustOpen(t, opts)
	for i := 0; i < n; i++ {
		l := leasetest.Make(i)
		s.Put(ctx, &l, lease.Async)
	}
	if err := s.Compact(ctx); err != nil {
		t.Fatal(err)
	}
	l := leasetest.Make(n)
	s.Put(ctx, &l, lease.Durable)
	s.Close()
	data, _ := os.ReadFile(s.files.snapshot())
	var offs []int
	scanRecords(data, func(off int, typ byte, _ []byte) error {
		if typ == recPut {
			offs = append(offs, off)
		}
		return nil
	})
	data[offs[17]+headerLen+2] ^= 1
	os.WriteFile(s.files.snapshot(), data, 0o640)
	s = mustOpen(t, opts)
	defer s.Close()
	if m := missing(present(t, s, n+1), n+1); fmt.Sprint(m) != "[17]" {
		t.Errorf("missing = %v, want [17]", m)
	}
	if !strings.Contains(logs.String(), fmt.Sprintf("file=%s offset=%d", s.files.snapshot(), offs[17])) {
		t.Errorf("log does not name the snapshot offset:\n%s", logs)
	}
}

// FuzzLoad writes arbitrary bytes as a journal segment and a snapshot: Open
// must succeed, and everything it loads must be a valid lease.
func FuzzLoad(f *testing.F) {
	var seg []byte
	seg = appendSegmentHeader(seg, 1)
	for i := 0; i < 3; i++ {
		l := leasetest.Make(i)
		fl, blob := fieldsOf(&l)
		seg = appendPut(seg, &fl, blob)
	}
	seg = appendDelete(seg, dhcpv4.AddrToUint32(netip.MustParseAddr("10.0.0.1")))
	f.Add(seg, []byte{})
	f.Add(seg[:len(seg)-3], appendSnapshotHeader(nil, 1, 0))
	f.Add([]byte{recMagic, 1, 1, 0, 255, 255, 0, 0}, []byte{recMagic})
	f.Fuzz(func(t *testing.T, segment, snapshot []byte) {
		opts, _ := testOptions(t)
		fs := files{base: opts.Path}
		os.WriteFile(fs.segment(1), segment, 0o640)
		if len(snapshot) > 0 {
			os.WriteFile(fs.snapshot(), snapshot, 0o640)
		}
		s, err := Open(opts)
		if err != nil {
			t.Fatalf("Open: %v", err)
		}
		defer s.Close()
		s.Walk(func(l *lease.Lease) bool {
			if err := l.Validate(); err != nil {
				t.Errorf("loaded an invalid lease: %v", err)
			}
			return true
		})
	})
}
