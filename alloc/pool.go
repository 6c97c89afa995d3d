package alloc

import (
	"fmt"
	"math/bits"
	"math/rand/v2"
	"net/netip"
	"sync"

	"github.com/leased/leased/dhcpv4"
)

// Strategy selects how a Pool chooses among its free addresses.
type Strategy uint8

const (
	Iterative Strategy = iota
	Random
	FreeLeaseQueue
)

// ParseStrategy maps Kea's allocator names to a Strategy.
func ParseStrategy(s string) (Strategy, error) {
	switch s {
	case "", "iterative":
		return Iterative, nil
	case "random":
		return Random, nil
	case "flq":
		return FreeLeaseQueue, nil
	}
	return 0, fmt.Errorf("unknown allocator %q (want iterative, random or flq)", s)
}

func (s Strategy) String() string {
	switch s {
	case Iterative:
		return "iterative"
	case Random:
		return "random"
	case FreeLeaseQueue:
		return "flq"
	}
	return fmt.Sprintf("Strategy(%d)", uint8(s))
}

// fanout is the number of children of a count-tree node: one uint64 word of
// the bitmap covers 64 addresses, one node of the next level 64 words.
const fanout = 64

// Pool tracks the free addresses of the range [first, last].
type Pool struct {
	mu    sync.Mutex
	first uint32
	size  uint32
	strat Strategy

	// free has bit i set when address first+i is free.
	free []uint64
	// counts[0][j] is the number of free addresses in words
	// [j*64, j*64+64); counts[k] sums 64 nodes of counts[k-1]. The last
	// level has a single node, the pool's free count.
	counts [][]uint32

	next uint32     // Iterative: where the next search starts
	rng  *rand.Rand // Random

	// FreeLeaseQueue: a ring of offsets in the order they became free.
	// An offset is in the ring at most once (queued tracks that); one that
	// was marked used while queued is skipped when it reaches the head.
	ring   []uint32
	head   uint32
	n      uint32
	queued []uint64
}

// New returns a pool for the inclusive range [first, last] of IPv4
// addresses, all free. seed feeds the Random strategy.
func New(first, last netip.Addr, s Strategy, seed uint64) (*Pool, error) {
	if !first.Is4() || !last.Is4() {
		return nil, fmt.Errorf("pool %v-%v: not an IPv4 range", first, last)
	}
	lo, hi := dhcpv4.AddrToUint32(first), dhcpv4.AddrToUint32(last)
	if hi < lo {
		return nil, fmt.Errorf("pool %v-%v: last address before first", first, last)
	}
	if hi-lo == 0xffffffff {
		return nil, fmt.Errorf("pool %v-%v: range covers the whole address space", first, last)
	}
	size := hi - lo + 1
	p := &Pool{first: lo, size: size, strat: s}
	words := (size + 63) / 64
	p.free = make([]uint64, words)
	for i := range p.free {
		p.free[i] = ^uint64(0)
	}
	if rem := size % 64; rem != 0 {
		p.free[words-1] = (1 << rem) - 1
	}
	// Build the count levels bottom up.
	prev := make([]uint32, (words+fanout-1)/fanout)
	for w, v := range p.free {
		prev[w/fanout] += uint32(bits.OnesCount64(v))
	}
	p.counts = append(p.counts, prev)
	for len(prev) > 1 {
		up := make([]uint32, (len(prev)+fanout-1)/fanout)
		for i, c := range prev {
			up[i/fanout] += c
		}
		p.counts = append(p.counts, up)
		prev = up
	}
	switch s {
	case Random:
		p.rng = rand.New(rand.NewPCG(seed, uint64(lo)<<32|uint64(hi)))
	case FreeLeaseQueue:
		p.ring = make([]uint32, size)
		p.queued = make([]uint64, words)
		for i := uint32(0); i < size; i++ {
			p.ring[i] = i
		}
		copy(p.queued, p.free)
		p.n = size
	}
	return p, nil
}

// First returns the first address of the range.
func (p *Pool) First() netip.Addr { return dhcpv4.Uint32ToAddr(p.first) }

// Last returns the last address of the range.
func (p *Pool) Last() netip.Addr { return dhcpv4.Uint32ToAddr(p.first + p.size - 1) }

// Size returns the number of addresses in the range.
func (p *Pool) Size() uint64 { return uint64(p.size) }

// Strategy returns the pool's allocation strategy.
func (p *Pool) Strategy() Strategy { return p.strat }

// Contains reports whether a is in the range.
func (p *Pool) Contains(a netip.Addr) bool {
	_, ok := p.offset(a)
	return ok
}

// Free returns the number of free addresses.
func (p *Pool) Free() uint64 {
	p.mu.Lock()
	defer p.mu.Unlock()
	return uint64(p.counts[len(p.counts)-1][0])
}

// IsFree reports whether a is in the range and free.
func (p *Pool) IsFree(a netip.Addr) bool {
	off, ok := p.offset(a)
	if !ok {
		return false
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.free[off/64]&(1<<(off%64)) != 0
}

// Allocate marks a free address used and returns it; ok is false when the
// pool is exhausted.
func (p *Pool) Allocate() (a netip.Addr, ok bool) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.counts[len(p.counts)-1][0] == 0 {
		return netip.Addr{}, false
	}
	var off uint32
	switch p.strat {
	case Random:
		off = p.nth(uint32(p.rng.Uint64N(uint64(p.counts[len(p.counts)-1][0]))))
	case FreeLeaseQueue:
		off, ok = p.pop()
		if !ok {
			// Unreachable while the ring holds every free offset;
			// kept as a guard rather than a panic.
			off, _ = p.nextFree(0)
		}
	default:
		var found bool
		off, found = p.nextFree(p.next)
		if !found {
			off, _ = p.nextFree(0)
		}
		p.next = off + 1
		if p.next == p.size {
			p.next = 0
		}
	}
	p.set(off, false)
	return dhcpv4.Uint32ToAddr(p.first + off), true
}

// Seek makes an Iterative pool continue its search at a, or at the
// first address if a is outside the range; other strategies ignore it.
// Servers that share one lease database each seek a different point, so
// that their searches do not hand out the same addresses in the same
// order and collide on every allocation.
func (p *Pool) Seek(a netip.Addr) {
	off, ok := p.offset(a)
	if !ok {
		off = 0
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	p.next = off
}

// Use marks a used: leased, reserved or offered. It reports whether a was
// in the range and free before.
func (p *Pool) Use(a netip.Addr) bool {
	off, ok := p.offset(a)
	if !ok {
		return false
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.free[off/64]&(1<<(off%64)) == 0 {
		return false
	}
	p.set(off, false)
	return true
}

// Release marks a free again. It reports whether a was in the range and
// used before.
func (p *Pool) Release(a netip.Addr) bool {
	off, ok := p.offset(a)
	if !ok {
		return false
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.free[off/64]&(1<<(off%64)) != 0 {
		return false
	}
	p.set(off, true)
	if p.strat == FreeLeaseQueue && p.queued[off/64]&(1<<(off%64)) == 0 {
		p.push(off)
	}
	return true
}

// set flips the free bit of off and updates the counts.
func (p *Pool) set(off uint32, free bool) {
	w := off / 64
	if free {
		p.free[w] |= 1 << (off % 64)
	} else {
		p.free[w] &^= 1 << (off % 64)
	}
	idx := w
	for _, lvl := range p.counts {
		idx /= fanout
		if free {
			lvl[idx]++
		} else {
			lvl[idx]--
		}
	}
}

// The tree's levels are numbered from -1, the bitmap words, up to
// len(p.counts)-1, the root. Node i of level l has children
// [i*fanout, i*fanout+fanout) at level l-1.

// count returns the number of free addresses under node i of level l.
func (p *Pool) count(l int, i uint32) uint32 {
	if l < 0 {
		return uint32(bits.OnesCount64(p.free[i]))
	}
	return p.counts[l][i]
}

// width returns the number of nodes at level l.
func (p *Pool) width(l int) uint32 {
	if l < 0 {
		return uint32(len(p.free))
	}
	return uint32(len(p.counts[l]))
}

// nextFree returns the first free offset at or after from.
func (p *Pool) nextFree(from uint32) (uint32, bool) {
	if from >= p.size {
		return 0, false
	}
	w := from / 64
	if v := p.free[w] &^ (1<<(from%64) - 1); v != 0 {
		return w*64 + uint32(bits.TrailingZeros64(v)), true
	}
	// Climb until a right sibling has free addresses, then descend.
	idx := w
	for l := -1; l < len(p.counts); l++ {
		end := min((idx/fanout+1)*fanout, p.width(l))
		for j := idx + 1; j < end; j++ {
			if p.count(l, j) > 0 {
				return p.firstIn(l, j), true
			}
		}
		idx /= fanout
	}
	return 0, false
}

// firstIn returns the first free offset under node i of level l, which
// must have one.
func (p *Pool) firstIn(l int, i uint32) uint32 {
	for ; l >= 0; l-- {
		child := i * fanout
		end := min(child+fanout, p.width(l-1))
		for child < end-1 && p.count(l-1, child) == 0 {
			child++
		}
		i = child
	}
	return i*64 + uint32(bits.TrailingZeros64(p.free[i]))
}

// nth returns the offset of the k-th free address, counting from 0.
func (p *Pool) nth(k uint32) uint32 {
	i := uint32(0)
	for l := len(p.counts) - 1; l >= 0; l-- {
		child := i * fanout
		end := min(child+fanout, p.width(l-1))
		for ; child < end-1; child++ {
			c := p.count(l-1, child)
			if k < c {
				break
			}
			k -= c
		}
		i = child
	}
	v := p.free[i]
	for ; k > 0; k-- {
		v &= v - 1
	}
	return i*64 + uint32(bits.TrailingZeros64(v))
}

func (p *Pool) push(off uint32) {
	p.ring[(p.head+p.n)%p.size] = off
	p.n++
	p.queued[off/64] |= 1 << (off % 64)
}

// pop returns the offset that has been free longest, skipping those that
// were marked used while they waited in the ring.
func (p *Pool) pop() (uint32, bool) {
	for p.n > 0 {
		off := p.ring[p.head]
		p.head = (p.head + 1) % p.size
		p.n--
		p.queued[off/64] &^= 1 << (off % 64)
		if p.free[off/64]&(1<<(off%64)) != 0 {
			return off, true
		}
	}
	return 0, false
}

func (p *Pool) offset(a netip.Addr) (uint32, bool) {
	if !a.Is4() {
		return 0, false
	}
	v := dhcpv4.AddrToUint32(a)
	if v < p.first || v-p.first >= p.size {
		return 0, false
	}
	return v - p.first, true
}
