package alloc

import (
	"math/rand/v2"
	"net/netip"
	"testing"

	"github.com/leased/leased/dhcpv4"
)

func base() netip.Addr { return netip.MustParseAddr("10.0.0.0") }

func plus(a netip.Addr, n uint32) netip.Addr { return dhcpv4.Uint32ToAddr(dhcpv4.AddrToUint32(a) + n) }

func newPool(t testing.TB, size uint32, s Strategy) *Pool {
	t.Helper()
	p, err := New(base(), plus(base(), size-1), s, 1)
	if err != nil {
		t.Fatal(err)
	}
	return p
}

// TestAgainstModel runs random operations on pools of sizes around the
// tree's level boundaries and compares every answer with a plain slice.
func TestAgainstModel(t *testing.T) {
	sizes := []uint32{1, 2, 63, 64, 65, 4095, 4096, 4097, 64*4096 + 3}
	for _, s := range []Strategy{Iterative, Random, FreeLeaseQueue} {
		for _, size := range sizes {
			p := newPool(t, size, s)
			free := make([]bool, size)
			for i := range free {
				free[i] = true
			}
			nfree := int(size)
			r := rand.New(rand.NewPCG(uint64(size), uint64(s)))
			ops := 4000
			for i := 0; i < ops; i++ {
				off := r.Uint32N(size)
				a := plus(base(), off)
				switch r.IntN(4) {
				case 0, 1:
					got, ok := p.Allocate()
					if ok != (nfree > 0) {
						t.Fatalf("%v/%d: Allocate ok=%v with %d free", s, size, ok, nfree)
					}
					if !ok {
						continue
					}
					o := dhcpv4.AddrToUint32(got) - dhcpv4.AddrToUint32(base())
					if o >= size || !free[o] {
						t.Fatalf("%v/%d: allocated %v, which is not free", s, size, got)
					}
					free[o] = false
					nfree--
				case 2:
					if p.Use(a) != free[off] {
						t.Fatalf("%v/%d: Use(%v) disagrees with model", s, size, a)
					}
					if free[off] {
						free[off] = false
						nfree--
					}
				case 3:
					if p.Release(a) == free[off] {
						t.Fatalf("%v/%d: Release(%v) disagrees with model", s, size, a)
					}
					if !free[off] {
						free[off] = true
						nfree++
					}
				}
				if p.IsFree(a) != free[off] {
					t.Fatalf("%v/%d: IsFree(%v) = %v, model %v", s, size, a, !free[off], free[off])
				}
				if p.Free() != uint64(nfree) {
					t.Fatalf("%v/%d: Free() = %d, model %d", s, size, p.Free(), nfree)
				}
			}
			// Drain: every remaining free address comes out exactly once.
			for nfree > 0 {
				got, ok := p.Allocate()
				o := dhcpv4.AddrToUint32(got) - dhcpv4.AddrToUint32(base())
				if !ok || o >= size || !free[o] {
					t.Fatalf("%v/%d: drain got %v ok=%v", s, size, got, ok)
				}
				free[o] = false
				nfree--
			}
			if _, ok := p.Allocate(); ok {
				t.Fatalf("%v/%d: allocated from an exhausted pool", s, size)
			}
		}
	}
}

func TestIterativeOrderAndWrap(t *testing.T) {
	p := newPool(t, 200, Iterative)
	p.Use(plus(base(), 1))
	p.Use(plus(base(), 130))
	var got []uint32
	for i := 0; i < 4; i++ {
		a, _ := p.Allocate()
		got = append(got, dhcpv4.AddrToUint32(a)-dhcpv4.AddrToUint32(base()))
	}
	if got[0] != 0 || got[1] != 2 || got[2] != 3 || got[3] != 4 {
		t.Errorf("first allocations %v, want 0 2 3 4", got)
	}
	for i := 5; i < 200; i++ {
		p.Use(plus(base(), uint32(i)))
	}
	p.Release(plus(base(), 2))
	a, ok := p.Allocate()
	if !ok || a != plus(base(), 2) {
		t.Errorf("after wrap got %v %v, want offset 2", a, ok)
	}
}

// TestIterativeSeek: after Seek the search goes on from the address
// sought, past used ones, and wraps to the start of the range; an address
// outside the range seeks the first.
func TestIterativeSeek(t *testing.T) {
	p := newPool(t, 100, Iterative)
	p.Use(plus(base(), 61))
	p.Seek(plus(base(), 60))
	var got []uint32
	for range 3 {
		a, _ := p.Allocate()
		got = append(got, dhcpv4.AddrToUint32(a)-dhcpv4.AddrToUint32(base()))
	}
	if got[0] != 60 || got[1] != 62 || got[2] != 63 {
		t.Errorf("allocations after Seek(60) with 61 used: %v, want 60 62 63", got)
	}
	p.Seek(plus(base(), 99))
	a1, _ := p.Allocate()
	a2, _ := p.Allocate()
	if a1 != plus(base(), 99) || a2 != base() {
		t.Errorf("allocations after Seek(99): %v %v, want offset 99 then the wrap to 0", a1, a2)
	}
	p.Seek(plus(base(), 1000))
	if a, _ := p.Allocate(); a != plus(base(), 1) {
		t.Errorf("allocation after a Seek outside the range: %v, want offset 1 (0 is used)", a)
	}
}

func TestFreeLeaseQueueOrder(t *testing.T) {
	p := newPool(t, 8, FreeLeaseQueue)
	for i := 0; i < 8; i++ {
		p.Allocate()
	}
	for _, off := range []uint32{5, 2, 7} {
		p.Release(plus(base(), off))
	}
	p.Use(plus(base(), 2)) // used while queued: skipped later
	for _, want := range []uint32{5, 7} {
		a, ok := p.Allocate()
		if !ok || a != plus(base(), want) {
			t.Fatalf("got %v %v, want offset %d", a, ok, want)
		}
	}
	if _, ok := p.Allocate(); ok {
		t.Fatal("allocated from an exhausted pool")
	}
}

// TestRandomCoversFreeAddresses checks that the random strategy reaches
// every free address of a nearly full pool, and roughly evenly.
func TestRandomCoversFreeAddresses(t *testing.T) {
	p := newPool(t, 4096*3, Random)
	for i := uint32(0); i < p.size; i++ {
		if i%97 != 0 {
			p.Use(plus(base(), i))
		}
	}
	freeN := int(p.Free())
	hits := map[netip.Addr]int{}
	for i := 0; i < freeN*50; i++ {
		a, ok := p.Allocate()
		if !ok {
			t.Fatal("exhausted")
		}
		hits[a]++
		p.Release(a)
	}
	if len(hits) != freeN {
		t.Fatalf("reached %d of %d free addresses", len(hits), freeN)
	}
	for a, n := range hits {
		if n < 10 || n > 110 {
			t.Errorf("%v chosen %d times, expected about 50", a, n)
		}
	}
}

func TestNewErrors(t *testing.T) {
	if _, err := New(netip.MustParseAddr("10.0.0.9"), netip.MustParseAddr("10.0.0.1"), Iterative, 0); err == nil {
		t.Error("reversed range accepted")
	}
	if _, err := New(netip.MustParseAddr("::1"), netip.MustParseAddr("::2"), Iterative, 0); err == nil {
		t.Error("IPv6 range accepted")
	}
	if _, err := New(netip.MustParseAddr("0.0.0.0"), netip.MustParseAddr("255.255.255.255"), Iterative, 0); err == nil {
		t.Error("whole address space accepted")
	}
	for _, name := range []string{"iterative", "random", "flq"} {
		s, err := ParseStrategy(name)
		if err != nil || s.String() != name {
			t.Errorf("ParseStrategy(%q) = %v, %v", name, s, err)
		}
	}
	if _, err := ParseStrategy("shared"); err == nil {
		t.Error("unknown allocator accepted")
	}
	p := newPool(t, 10, Iterative)
	if p.Use(netip.MustParseAddr("10.0.0.10")) || p.Release(netip.MustParseAddr("9.255.255.255")) || p.IsFree(netip.MustParseAddr("10.0.1.0")) {
		t.Error("address outside the range treated as inside")
	}
}

// benchPool is a /8 at the given occupancy, used addresses spread evenly.
func benchPool(b *testing.B, s Strategy, usedPercent uint32) *Pool {
	p, err := New(netip.MustParseAddr("10.0.0.0"), netip.MustParseAddr("10.255.255.255"), s, 1)
	if err != nil {
		b.Fatal(err)
	}
	r := rand.New(rand.NewPCG(7, 7))
	for i := uint32(0); i < p.size; i++ {
		if r.Uint32N(100) < usedPercent {
			p.Use(plus(netip.MustParseAddr("10.0.0.0"), i))
		}
	}
	return p
}

// benchAllocate measures one allocation followed by the release of the
// same address, so occupancy stays where it was set.
func benchAllocate(b *testing.B, s Strategy, used uint32) {
	p := benchPool(b, s, used)
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		a, ok := p.Allocate()
		if !ok {
			b.Fatal("exhausted")
		}
		p.Release(a)
	}
}

func BenchmarkAllocateIterativeEmpty(b *testing.B) { benchAllocate(b, Iterative, 0) }
func BenchmarkAllocateIterative99(b *testing.B)    { benchAllocate(b, Iterative, 99) }
func BenchmarkAllocateRandomEmpty(b *testing.B)    { benchAllocate(b, Random, 0) }
func BenchmarkAllocateRandom99(b *testing.B)       { benchAllocate(b, Random, 99) }
func BenchmarkAllocateFLQEmpty(b *testing.B)       { benchAllocate(b, FreeLeaseQueue, 0) }
func BenchmarkAllocateFLQ99(b *testing.B)          { benchAllocate(b, FreeLeaseQueue, 99) }

// BenchmarkAllocateIterativeAcrossFullRun is the iterative strategy's worst
// case: the first 99 % of a /8 is used in one run and every search starts
// at its beginning.
func BenchmarkAllocateIterativeAcrossFullRun(b *testing.B) {
	p, err := New(netip.MustParseAddr("10.0.0.0"), netip.MustParseAddr("10.255.255.255"), Iterative, 1)
	if err != nil {
		b.Fatal(err)
	}
	for i := uint32(0); i < p.size/100*99; i++ {
		p.Use(plus(netip.MustParseAddr("10.0.0.0"), i))
	}
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		p.next = 0
		a, ok := p.Allocate()
		if !ok {
			b.Fatal("exhausted")
		}
		p.Release(a)
	}
}
