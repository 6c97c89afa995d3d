package memfile

import (
	"hash/maphash"
	"slices"
	"sync/atomic"

	"github.com/leased/leased/dhcpv4"
	"github.com/leased/leased/lease"
)

// rec is a lease as the store keeps it: fixed fields and one string that
// holds the variable ones back to back (hardware address, client
// identifier, hostname, user context), laid out as in a recPut. It has one
// pointer, so a million leases cost the garbage collector little.
type rec struct {
	putFields
	hwNext  int32 // next slot in the hardware-address chain, -1 at the end
	cidNext int32 // next slot in the client-id chain
	live    bool
	blob    string
}

func (r *rec) hw() string  { return r.blob[:r.hwLen] }
func (r *rec) cid() string { return r.blob[r.hwLen : int(r.hwLen)+int(r.cidLen)] }
func (r *rec) host() string {
	o := int(r.hwLen) + int(r.cidLen)
	return r.blob[o : o+int(r.hostLen)]
}
func (r *rec) ctx() string { return r.blob[len(r.blob)-int(r.ctxLen):] }

func (r *rec) expire() int64 { return r.cltt + int64(r.valid) }

// expiring reports whether r takes part in expiry at all: a lease with an
// infinite lifetime never expires.
func (r *rec) expiring() bool { return r.valid != lease.InfiniteLifetime }

// toLease copies r into l, reusing l's byte slices.
func (r *rec) toLease(l *lease.Lease) {
	l.Addr = dhcpv4.Uint32ToAddr(r.addr)
	l.HWType = r.htype
	l.HWAddr = append(l.HWAddr[:0], r.hw()...)
	l.ClientID = append(l.ClientID[:0], r.cid()...)
	l.ValidLifetime = r.valid
	l.CLTT = r.cltt
	l.SubnetID = r.subnet
	l.PoolID = r.pool
	l.FQDNFwd = r.flags&flagFwd != 0
	l.FQDNRev = r.flags&flagRev != 0
	l.Hostname = r.host()
	l.State = lease.State(r.state)
	l.UserContext = r.ctx()
}

// fieldsOf returns the fixed fields and blob of a valid lease.
func fieldsOf(l *lease.Lease) (putFields, string) {
	f := putFields{
		addr:    dhcpv4.AddrToUint32(l.Addr),
		subnet:  l.SubnetID,
		pool:    l.PoolID,
		valid:   l.ValidLifetime,
		cltt:    l.CLTT,
		state:   uint8(l.State),
		htype:   l.HWType,
		hwLen:   uint8(len(l.HWAddr)),
		cidLen:  uint8(len(l.ClientID)),
		hostLen: uint8(len(l.Hostname)),
		ctxLen:  uint16(len(l.UserContext)),
	}
	if l.FQDNFwd {
		f.flags |= flagFwd
	}
	if l.FQDNRev {
		f.flags |= flagRev
	}
	n := f.blobLen()
	if n == 0 {
		return f, ""
	}
	b := make([]byte, 0, n)
	b = append(b, l.HWAddr...)
	b = append(b, l.ClientID...)
	b = append(b, l.Hostname...)
	b = append(b, l.UserContext...)
	return f, string(b)
}

// slab holds the recs in fixed-size chunks, so that growing it never copies
// the leases already there, and recycles the slots of deleted leases.
type slab struct {
	chunks []*chunk
	used   int32   // slots handed out so far, live or free
	free   []int32 // slots of deleted leases
}

// chunk is chunkSize recs with lower bounds of the expiry of its expiring
// leases that are not reclaimed (minActive) and of its reclaimed ones
// (minReclaimed). Writers, holding the store's write lock, only lower the
// bounds; scans, holding the read lock, raise them to the exact value.
type chunk struct {
	recs         [chunkSize]rec
	minActive    atomic.Int64
	minReclaimed atomic.Int64
}

const (
	chunkBits = 12
	chunkSize = 1 << chunkBits
	chunkMask = chunkSize - 1
	noExpiry  = int64(^uint64(0) >> 1)
)

func (s *slab) at(i int32) *rec { return &s.chunks[i>>chunkBits].recs[i&chunkMask] }

func (s *slab) alloc() int32 {
	if n := len(s.free); n > 0 {
		i := s.free[n-1]
		s.free = s.free[:n-1]
		return i
	}
	if int(s.used) == len(s.chunks)*chunkSize {
		c := new(chunk)
		c.minActive.Store(noExpiry)
		c.minReclaimed.Store(noExpiry)
		s.chunks = append(s.chunks, c)
	}
	i := s.used
	s.used++
	return i
}

func (s *slab) release(i int32) {
	*s.at(i) = rec{}
	s.free = append(s.free, i)
}

// noteExpiry lowers the chunk bounds for a lease just written to slot i.
func (s *slab) noteExpiry(i int32, r *rec) {
	if !r.expiring() {
		return
	}
	c := s.chunks[i>>chunkBits]
	m := &c.minActive
	if lease.State(r.state) == lease.StateExpiredReclaimed {
		m = &c.minReclaimed
	}
	if e := r.expire(); e < m.Load() {
		m.Store(e)
	}
}

// addrIndex maps IPv4 addresses to slots through a three-level radix tree
// (/16, /24, host), which costs about four bytes per lease when leases fill
// pools densely, and walks addresses in order for paging and snapshots.
type addrIndex struct {
	top  map[uint16]*addrMid
	keys []uint16 // keys of top, sorted
}

type addrMid struct {
	leaf [256]*addrLeaf
	n    int
}

type addrLeaf struct {
	slot [256]int32 // slot+1; 0 is empty
	n    int
}

func (x *addrIndex) get(a uint32) int32 {
	m := x.top[uint16(a>>16)]
	if m == nil {
		return -1
	}
	lf := m.leaf[uint8(a>>8)]
	if lf == nil {
		return -1
	}
	return lf.slot[uint8(a)] - 1
}

func (x *addrIndex) set(a uint32, slot int32) {
	if x.top == nil {
		x.top = make(map[uint16]*addrMid)
	}
	hi := uint16(a >> 16)
	m := x.top[hi]
	if m == nil {
		m = new(addrMid)
		x.top[hi] = m
		i, _ := slices.BinarySearch(x.keys, hi)
		x.keys = slices.Insert(x.keys, i, hi)
	}
	lf := m.leaf[uint8(a>>8)]
	if lf == nil {
		lf = new(addrLeaf)
		m.leaf[uint8(a>>8)] = lf
		m.n++
	}
	if lf.slot[uint8(a)] == 0 {
		lf.n++
	}
	lf.slot[uint8(a)] = slot + 1
}

func (x *addrIndex) del(a uint32) {
	hi := uint16(a >> 16)
	m := x.top[hi]
	if m == nil {
		return
	}
	lf := m.leaf[uint8(a>>8)]
	if lf == nil || lf.slot[uint8(a)] == 0 {
		return
	}
	lf.slot[uint8(a)] = 0
	if lf.n--; lf.n > 0 {
		return
	}
	m.leaf[uint8(a>>8)] = nil
	if m.n--; m.n > 0 {
		return
	}
	delete(x.top, hi)
	if i, ok := slices.BinarySearch(x.keys, hi); ok {
		x.keys = slices.Delete(x.keys, i, i+1)
	}
}

// ascend calls fn for the addresses from a upward, in order, until fn
// returns false or a /24 ends with max leases seen (maxLeaf > 0). It returns
// where a later call should resume and whether any address is left.
func (x *addrIndex) ascend(a uint32, maxLeaf int, fn func(a uint32, slot int32) bool) (next uint32, more bool) {
	i, _ := slices.BinarySearch(x.keys, uint16(a>>16))
	seen := 0
	for ; i < len(x.keys); i++ {
		hi := x.keys[i]
		m := x.top[hi]
		mid := 0
		if hi == uint16(a>>16) {
			mid = int(uint8(a >> 8))
		}
		for ; mid < 256; mid++ {
			lf := m.leaf[mid]
			if lf == nil {
				continue
			}
			base := uint32(hi)<<16 | uint32(mid)<<8
			lo := 0
			if base == a&^0xff {
				lo = int(uint8(a))
			}
			for j := lo; j < 256; j++ {
				if s := lf.slot[j]; s != 0 {
					seen++
					if !fn(base|uint32(j), s-1) {
						if base|uint32(j) == ^uint32(0) {
							return 0, false
						}
						return base | uint32(j) + 1, true
					}
				}
			}
			if maxLeaf > 0 && seen >= maxLeaf {
				if base|0xff == ^uint32(0) {
					return 0, false
				}
				return base | 0xff + 1, true
			}
		}
	}
	return 0, false
}

// multiIndex finds the slots whose hardware address (or client identifier)
// is a given byte string. It is an open-addressing table with one entry per
// distinct key; the slots sharing a key form a chain through rec.hwNext (or
// rec.cidNext). An entry is eight bytes, the hash and the chain's head.
type multiIndex struct {
	tab  []mentry
	n    int
	cid  bool // the client-id index, else the hardware-address index
	seed maphash.Seed
}

type mentry struct {
	hash uint32
	head int32 // slot+1; 0 is empty
}

func (x *multiIndex) key(s *slab, slot int32) string {
	if x.cid {
		return s.at(slot).cid()
	}
	return s.at(slot).hw()
}

func (x *multiIndex) next(s *slab, slot int32) *int32 {
	if x.cid {
		return &s.at(slot).cidNext
	}
	return &s.at(slot).hwNext
}

func (x *multiIndex) hash(k string) uint32 { return uint32(maphash.String(x.seed, k)) }

// reserve sizes the table for n keys.
func (x *multiIndex) reserve(n int) {
	size := 16
	for size*3/4 < n {
		size *= 2
	}
	if size > len(x.tab) {
		x.rehash(size)
	}
}

func (x *multiIndex) rehash(size int) {
	old := x.tab
	x.tab = make([]mentry, size)
	mask := uint32(size - 1)
	for _, e := range old {
		if e.head == 0 {
			continue
		}
		i := e.hash & mask
		for x.tab[i].head != 0 {
			i = (i + 1) & mask
		}
		x.tab[i] = e
	}
}

// find returns the table position of key k, or of the empty entry where it
// would go.
func (x *multiIndex) find(s *slab, k string, h uint32) (uint32, bool) {
	mask := uint32(len(x.tab) - 1)
	for i := h & mask; ; i = (i + 1) & mask {
		e := x.tab[i]
		if e.head == 0 {
			return i, false
		}
		if e.hash == h && x.key(s, e.head-1) == k {
			return i, true
		}
	}
}

func (x *multiIndex) insert(s *slab, slot int32) {
	k := x.key(s, slot)
	if k == "" {
		*x.next(s, slot) = -1
		return
	}
	if (x.n+1)*4 > len(x.tab)*3 {
		x.reserve(x.n + 1)
	}
	h := x.hash(k)
	i, ok := x.find(s, k, h)
	if ok {
		*x.next(s, slot) = x.tab[i].head - 1
		x.tab[i].head = slot + 1
		return
	}
	*x.next(s, slot) = -1
	x.tab[i] = mentry{hash: h, head: slot + 1}
	x.n++
}

func (x *multiIndex) remove(s *slab, slot int32) {
	k := x.key(s, slot)
	if k == "" || len(x.tab) == 0 {
		return
	}
	i, ok := x.find(s, k, x.hash(k))
	if !ok {
		return
	}
	if x.tab[i].head-1 == slot {
		if nx := *x.next(s, slot); nx >= 0 {
			x.tab[i].head = nx + 1
			return
		}
		x.deleteAt(i)
		return
	}
	for p := x.tab[i].head - 1; p >= 0; {
		np := x.next(s, p)
		if *np == slot {
			*np = *x.next(s, slot)
			return
		}
		p = *np
	}
}

// deleteAt empties position i and shifts later entries of its probe run
// back, so that lookups never stop early at the hole.
func (x *multiIndex) deleteAt(i uint32) {
	mask := uint32(len(x.tab) - 1)
	x.n--
	for {
		x.tab[i] = mentry{}
		j := i
		for {
			j = (j + 1) & mask
			e := x.tab[j]
			if e.head == 0 {
				return
			}
			home := e.hash & mask
			// Move e into the hole at i unless its home lies cyclically
			// in (i, j].
			if (i < j && (home <= i || home > j)) || (i > j && home <= i && home > j) {
				x.tab[i] = e
				i = j
				break
			}
		}
	}
}

// each calls fn for every slot whose key is k, until fn returns false.
func (x *multiIndex) each(s *slab, k string, fn func(slot int32) bool) {
	if k == "" || len(x.tab) == 0 {
		return
	}
	i, ok := x.find(s, k, x.hash(k))
	if !ok {
		return
	}
	for p := x.tab[i].head - 1; p >= 0; p = *x.next(s, p) {
		if !fn(p) {
			return
		}
	}
}
