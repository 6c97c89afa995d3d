package memfile

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"hash/maphash"
	"net/netip"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/leased/leased/dhcpv4"
	"github.com/leased/leased/lease"
)

// Options configure a Store. They mirror Kea's lease-database map for the
// memfile type.
type Options struct {
	// Path is lease-database "name": the store keeps its files beside it,
	// named Path plus a suffix (see the package documentation).
	Path string
	// Persist is lease-database "persist". When false the store keeps
	// leases in memory only and touches no file.
	Persist bool
	// LFCInterval is lease-database "lfc-interval": how often the journal
	// is compacted into a snapshot. Zero disables periodic compaction.
	LFCInterval time.Duration
	// CompactBytes starts a compaction once the journal has grown by this
	// many bytes since the last snapshot, and by at least the snapshot's
	// own size, whatever LFCInterval says; 0 means 64 MiB, a negative
	// value turns size-triggered compaction off.
	CompactBytes int64
	// FlushInterval bounds how long an Async write waits in memory before
	// it is written (not fsynced) to the journal; 0 means one second.
	FlushInterval time.Duration
	// Check, if not nil, is called at start-up for every loaded lease
	// with its address and subnet id; it returns the subnet id the lease
	// should have and whether to keep it. It is how the server applies
	// sanity-checks.lease-checks. Changes it makes are written out by a
	// compaction right after start-up.
	Check func(addr netip.Addr, subnetID uint32) (newSubnetID uint32, keep bool)
	// Logger receives reports of damaged files and failed compactions.
	// nil discards them; a nil *slog.Logger is not nil here: leave the
	// field unset instead.
	Logger Logger
}

// Logger is what a Store logs to, with slog's key-value arguments; a
// *slog.Logger is one. It is an interface rather than *slog.Logger so that
// a program with no other use for log/slog (leased-mesh, the mesh node for
// routers) does not link it, nor the encoding/json its handlers bring.
type Logger interface {
	Debug(msg string, args ...any)
	Info(msg string, args ...any)
	Warn(msg string, args ...any)
	Error(msg string, args ...any)
}

// discardLogger is the Logger of a Store that was given none.
type discardLogger struct{}

func (discardLogger) Debug(string, ...any) {}
func (discardLogger) Info(string, ...any)  {}
func (discardLogger) Warn(string, ...any)  {}
func (discardLogger) Error(string, ...any) {}

// ErrReadOnly is returned by the writers of a store opened with
// OpenReadOnly.
var ErrReadOnly = errors.New("lease store opened read-only")

// Store is the memfile lease store. It implements lease.Store.
type Store struct {
	opts     Options
	log      Logger
	readOnly bool

	mu     sync.RWMutex
	closed bool
	slab   slab
	addrs  addrIndex
	hw     multiIndex
	cid    multiIndex
	stats  map[lease.PoolKey]*lease.Counts
	n      int

	j     *journal // nil when not persisting
	lock  *lockFile
	files files

	snapSize    atomic.Int64  // bytes in the last snapshot
	compactions atomic.Uint64 // snapshots written

	compactMu    sync.Mutex // one compaction at a time
	healthMu     sync.Mutex
	compactErr   error     // the last compaction's failure
	compactSince time.Time // when compactions started failing
	compactReq   chan struct{}
	stopCompact  chan struct{}
	compactDone  chan struct{}

	closeOnce sync.Once
	closeErr  error
}

var _ lease.Store = (*Store)(nil)

func newStore(opts Options) *Store {
	s := &Store{
		opts:  opts,
		log:   opts.Logger,
		stats: make(map[lease.PoolKey]*lease.Counts),
	}
	if s.log == nil {
		s.log = discardLogger{}
	}
	seed := maphash.MakeSeed()
	s.hw = multiIndex{seed: seed}
	s.cid = multiIndex{seed: seed, cid: true}
	s.files = files{base: opts.Path}
	return s
}

// insertLocked stores a new lease in a fresh slot. s.mu is held.
func (s *Store) insertLocked(f *putFields, blob string) {
	i := s.slab.alloc()
	r := s.slab.at(i)
	r.putFields, r.blob, r.live = *f, blob, true
	s.addrs.set(f.addr, i)
	s.hw.insert(&s.slab, i)
	s.cid.insert(&s.slab, i)
	s.slab.noteExpiry(i, r)
	s.count(r, 1)
	s.n++
}

// replaceLocked overwrites the lease in slot i. s.mu is held.
func (s *Store) replaceLocked(i int32, f *putFields, blob string) {
	r := s.slab.at(i)
	s.count(r, -1)
	sameHW, sameCID := r.hw() == blob[:f.hwLen], r.cid() == blob[f.hwLen:int(f.hwLen)+int(f.cidLen)]
	if !sameHW {
		s.hw.remove(&s.slab, i)
	}
	if !sameCID {
		s.cid.remove(&s.slab, i)
	}
	r.putFields, r.blob = *f, blob
	if !sameHW {
		s.hw.insert(&s.slab, i)
	}
	if !sameCID {
		s.cid.insert(&s.slab, i)
	}
	s.slab.noteExpiry(i, r)
	s.count(r, 1)
}

// deleteLocked removes the lease in slot i. s.mu is held.
func (s *Store) deleteLocked(i int32) {
	r := s.slab.at(i)
	s.count(r, -1)
	s.hw.remove(&s.slab, i)
	s.cid.remove(&s.slab, i)
	s.addrs.del(r.addr)
	s.slab.release(i)
	s.n--
}

// putLocked stores a lease whatever is at its address. s.mu is held.
func (s *Store) putLocked(f *putFields, blob string) {
	if i := s.addrs.get(f.addr); i >= 0 {
		s.replaceLocked(i, f, blob)
		return
	}
	s.insertLocked(f, blob)
}

func (s *Store) count(r *rec, n int) {
	k := lease.PoolKey{SubnetID: r.subnet, PoolID: r.pool}
	c := s.stats[k]
	if c == nil {
		c = new(lease.Counts)
		s.stats[k] = c
	}
	c.Add(lease.State(r.state), n)
	if n < 0 && *c == (lease.Counts{}) {
		delete(s.stats, k)
	}
}

// sameVersion is lease.SameVersion on a rec.
func sameVersion(r *rec, prev *lease.Lease) bool {
	return r.cltt == prev.CLTT && r.valid == prev.ValidLifetime &&
		lease.State(r.state) == prev.State && r.subnet == prev.SubnetID &&
		r.hw() == string(prev.HWAddr) && r.cid() == string(prev.ClientID)
}

type writeOp uint8

const (
	opAdd writeOp = iota
	opUpdate
	opPut
)

// Add implements lease.Store.
func (s *Store) Add(ctx context.Context, l *lease.Lease, d lease.Durability) error {
	return s.write(ctx, opAdd, nil, l, d)
}

// Update implements lease.Store.
func (s *Store) Update(ctx context.Context, prev, l *lease.Lease, d lease.Durability) error {
	return s.write(ctx, opUpdate, prev, l, d)
}

// Put implements lease.Store.
func (s *Store) Put(ctx context.Context, l *lease.Lease, d lease.Durability) error {
	return s.write(ctx, opPut, nil, l, d)
}

var encPool = sync.Pool{New: func() any { b := make([]byte, 0, 256); return &b }}

func (s *Store) write(ctx context.Context, op writeOp, prev, l *lease.Lease, d lease.Durability) error {
	if s.readOnly {
		return ErrReadOnly
	}
	if err := l.Validate(); err != nil {
		return err
	}
	f, blob := fieldsOf(l)
	var bp *[]byte
	var enc []byte
	if s.j != nil {
		bp = encPool.Get().(*[]byte)
		enc = appendPut((*bp)[:0], &f, blob)
		defer func() { *bp = enc[:0]; encPool.Put(bp) }()
	}

	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		return lease.ErrClosed
	}
	i := s.addrs.get(f.addr)
	switch {
	case op == opAdd && i >= 0:
		s.mu.Unlock()
		return fmt.Errorf("add %v: %w", l.Addr, lease.ErrExists)
	case op == opUpdate && i < 0:
		s.mu.Unlock()
		return fmt.Errorf("update %v: %w", l.Addr, lease.ErrNotFound)
	case op == opUpdate && prev != nil && !sameVersion(s.slab.at(i), prev):
		s.mu.Unlock()
		return fmt.Errorf("update %v: %w", l.Addr, lease.ErrConflict)
	}
	if i >= 0 {
		s.replaceLocked(i, &f, blob)
	} else {
		s.insertLocked(&f, blob)
	}
	b := s.journalLocked(enc, d)
	s.mu.Unlock()
	return s.wait(ctx, b, d)
}

// journalLocked queues an encoded record. s.mu is held, so that records
// reach the journal in the order their changes reached memory.
func (s *Store) journalLocked(enc []byte, d lease.Durability) *batch {
	if s.j == nil {
		return nil
	}
	return s.j.append(enc, d == lease.Durable)
}

// wait returns when the batch holding a Durable change is durable.
func (s *Store) wait(ctx context.Context, b *batch, d lease.Durability) error {
	if b == nil || d != lease.Durable {
		return nil
	}
	return s.j.wait(ctx, b)
}

// Delete implements lease.Store.
func (s *Store) Delete(ctx context.Context, addr netip.Addr, prev *lease.Lease, d lease.Durability) error {
	if s.readOnly {
		return ErrReadOnly
	}
	if !addr.Is4() {
		return fmt.Errorf("delete %v: %w", addr, lease.ErrNotFound)
	}
	a := dhcpv4.AddrToUint32(addr)
	var enc [headerLen + 4]byte
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		return lease.ErrClosed
	}
	i := s.addrs.get(a)
	if i < 0 {
		s.mu.Unlock()
		return fmt.Errorf("delete %v: %w", addr, lease.ErrNotFound)
	}
	if prev != nil && !sameVersion(s.slab.at(i), prev) {
		s.mu.Unlock()
		return fmt.Errorf("delete %v: %w", addr, lease.ErrConflict)
	}
	s.deleteLocked(i)
	b := s.journalLocked(appendDelete(enc[:0], a), d)
	s.mu.Unlock()
	return s.wait(ctx, b, d)
}

// Sync implements lease.Store.
func (s *Store) Sync(ctx context.Context) error {
	s.mu.RLock()
	closed := s.closed
	s.mu.RUnlock()
	if closed {
		return lease.ErrClosed
	}
	if s.j == nil {
		return nil
	}
	return s.j.wait(ctx, s.j.append(nil, true))
}

// Get implements lease.Store.
func (s *Store) Get(_ context.Context, addr netip.Addr, l *lease.Lease) (bool, error) {
	if !addr.Is4() {
		return false, nil
	}
	s.mu.RLock()
	defer s.mu.RUnlock()
	i := s.addrs.get(dhcpv4.AddrToUint32(addr))
	if i < 0 {
		return false, nil
	}
	s.slab.at(i).toLease(l)
	return true, nil
}

// GetByHWAddr implements lease.Store.
func (s *Store) GetByHWAddr(_ context.Context, subnetID uint32, hw []byte, l *lease.Lease) (bool, error) {
	return s.getBy(&s.hw, subnetID, hw, l), nil
}

// GetByClientID implements lease.Store.
func (s *Store) GetByClientID(_ context.Context, subnetID uint32, clientID []byte, l *lease.Lease) (bool, error) {
	return s.getBy(&s.cid, subnetID, clientID, l), nil
}

func (s *Store) getBy(x *multiIndex, subnetID uint32, key []byte, l *lease.Lease) bool {
	s.mu.RLock()
	defer s.mu.RUnlock()
	best := int32(-1)
	x.each(&s.slab, string(key), func(i int32) bool {
		r := s.slab.at(i)
		if r.subnet == subnetID && (best < 0 || r.expire() > s.slab.at(best).expire()) {
			best = i
		}
		return true
	})
	if best < 0 {
		return false
	}
	s.slab.at(best).toLease(l)
	return true
}

// FindByHWAddr implements lease.Store.
func (s *Store) FindByHWAddr(_ context.Context, hw []byte) ([]lease.Lease, error) {
	return s.findBy(&s.hw, hw), nil
}

// FindByClientID implements lease.Store.
func (s *Store) FindByClientID(_ context.Context, clientID []byte) ([]lease.Lease, error) {
	return s.findBy(&s.cid, clientID), nil
}

func (s *Store) findBy(x *multiIndex, key []byte) []lease.Lease {
	s.mu.RLock()
	defer s.mu.RUnlock()
	var out []lease.Lease
	x.each(&s.slab, string(key), func(i int32) bool {
		out = append(out, lease.Lease{})
		s.slab.at(i).toLease(&out[len(out)-1])
		return true
	})
	sortByAddr(out)
	return out
}

func sortByAddr(ls []lease.Lease) {
	slices.SortFunc(ls, func(a, b lease.Lease) int { return a.Addr.Compare(b.Addr) })
}

// FindByHostname implements lease.Store. It scans every lease: the server
// needs it only for control commands, and an index would cost memory on
// every lease.
func (s *Store) FindByHostname(_ context.Context, hostname string) ([]lease.Lease, error) {
	var out []lease.Lease
	s.scan(func(_ int32, r *rec) {
		if r.hostLen > 0 && strings.EqualFold(r.host(), hostname) {
			out = append(out, lease.Lease{})
			r.toLease(&out[len(out)-1])
		}
	})
	sortByAddr(out)
	return out, nil
}

// scan calls fn for every lease under the read lock, one chunk of slots at
// a time, so that writers wait at most for one chunk.
func (s *Store) scan(fn func(i int32, r *rec)) {
	for c := 0; ; c++ {
		s.mu.RLock()
		if c >= len(s.slab.chunks) {
			s.mu.RUnlock()
			return
		}
		base := int32(c) << chunkBits
		for k := range s.slab.chunks[c].recs {
			r := &s.slab.chunks[c].recs[k]
			if r.live {
				fn(base+int32(k), r)
			}
		}
		s.mu.RUnlock()
	}
}

// Page implements lease.Store.
func (s *Store) Page(_ context.Context, after netip.Addr, subnetID uint32, limit int) ([]lease.Lease, error) {
	if limit <= 0 {
		return nil, nil
	}
	start := uint32(0)
	if after.Is4() {
		start = dhcpv4.AddrToUint32(after) + 1
		if start == 0 {
			return nil, nil
		}
	}
	var out []lease.Lease
	s.mu.RLock()
	defer s.mu.RUnlock()
	s.addrs.ascend(start, 0, func(_ uint32, i int32) bool {
		r := s.slab.at(i)
		if subnetID == 0 || r.subnet == subnetID {
			out = append(out, lease.Lease{})
			r.toLease(&out[len(out)-1])
		}
		return len(out) < limit
	})
	return out, nil
}

// Walk calls fn for every lease in address order. It holds the read lock
// for at most a few hundred leases at a time, so writers go on meanwhile;
// a lease changed during the walk is seen either before or after the
// change. fn must not call the store's writers.
func (s *Store) Walk(fn func(l *lease.Lease) bool) {
	var l lease.Lease
	s.walkRecs(func(r *rec) bool {
		r.toLease(&l)
		return fn(&l)
	})
}

func (s *Store) walkRecs(fn func(r *rec) bool) {
	next, more := uint32(0), true
	for more {
		stop := false
		s.mu.RLock()
		next, more = s.addrs.ascend(next, 256, func(_ uint32, i int32) bool {
			stop = !fn(s.slab.at(i))
			return !stop
		})
		s.mu.RUnlock()
		if stop {
			return
		}
	}
}

type expiring struct {
	expire int64
	slot   int32
}

// Expired implements lease.Store.
func (s *Store) Expired(_ context.Context, now int64, limit int) ([]lease.Lease, error) {
	var cand []expiring
	s.mu.RLock()
	defer s.mu.RUnlock()
	for c, ch := range s.slab.chunks {
		if ch.minActive.Load() > now {
			continue
		}
		lo := noExpiry
		for k := range ch.recs {
			r := &ch.recs[k]
			if !r.live || !r.expiring() || lease.State(r.state) == lease.StateExpiredReclaimed {
				continue
			}
			e := r.expire()
			lo = min(lo, e)
			if e <= now {
				cand = append(cand, expiring{e, int32(c)<<chunkBits | int32(k)})
			}
		}
		// Writers are shut out by the read lock, so the exact minimum
		// replaces the bound without losing a lower one.
		ch.minActive.Store(lo)
	}
	slices.SortFunc(cand, func(a, b expiring) int {
		if c := cmp.Compare(a.expire, b.expire); c != 0 {
			return c
		}
		return cmp.Compare(s.slab.at(a.slot).addr, s.slab.at(b.slot).addr)
	})
	if limit > 0 && len(cand) > limit {
		cand = cand[:limit]
	}
	out := make([]lease.Lease, len(cand))
	for k, e := range cand {
		s.slab.at(e.slot).toLease(&out[k])
	}
	return out, nil
}

// DeleteReclaimed implements lease.Store.
func (s *Store) DeleteReclaimed(ctx context.Context, before int64, d lease.Durability) (int, error) {
	var addrs []uint32
	s.mu.RLock()
	for _, ch := range s.slab.chunks {
		if ch.minReclaimed.Load() > before {
			continue
		}
		lo := noExpiry
		for k := range ch.recs {
			r := &ch.recs[k]
			if !r.live || !r.expiring() || lease.State(r.state) != lease.StateExpiredReclaimed {
				continue
			}
			lo = min(lo, r.expire())
			if r.expire() <= before {
				addrs = append(addrs, r.addr)
			}
		}
		ch.minReclaimed.Store(lo)
	}
	s.mu.RUnlock()
	return s.deleteWhere(ctx, addrs, d, func(r *rec) bool {
		return lease.State(r.state) == lease.StateExpiredReclaimed && r.expiring() && r.expire() <= before
	})
}

// WipeSubnet implements lease.Store.
func (s *Store) WipeSubnet(ctx context.Context, subnetID uint32, d lease.Durability) (int, error) {
	var addrs []uint32
	s.scan(func(_ int32, r *rec) {
		if r.subnet == subnetID {
			addrs = append(addrs, r.addr)
		}
	})
	return s.deleteWhere(ctx, addrs, d, func(r *rec) bool { return r.subnet == subnetID })
}

// deleteWhere deletes the leases of addrs that still satisfy cond, a few
// hundred per hold of the write lock.
func (s *Store) deleteWhere(ctx context.Context, addrs []uint32, d lease.Durability, cond func(*rec) bool) (int, error) {
	if s.readOnly {
		return 0, ErrReadOnly
	}
	n := 0
	var enc []byte
	var last *batch
	for len(addrs) > 0 {
		k := min(len(addrs), 256)
		enc = enc[:0]
		s.mu.Lock()
		if s.closed {
			s.mu.Unlock()
			return n, lease.ErrClosed
		}
		for _, a := range addrs[:k] {
			if i := s.addrs.get(a); i >= 0 && cond(s.slab.at(i)) {
				s.deleteLocked(i)
				enc = appendDelete(enc, a)
				n++
			}
		}
		if len(enc) > 0 {
			last = s.journalLocked(enc, d)
		}
		s.mu.Unlock()
		addrs = addrs[k:]
	}
	return n, s.wait(ctx, last, d)
}

// Stats implements lease.Store.
func (s *Store) Stats(context.Context) (map[lease.PoolKey]lease.Counts, error) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	out := make(map[lease.PoolKey]lease.Counts, len(s.stats))
	for k, c := range s.stats {
		out[k] = *c
	}
	return out, nil
}

// Len implements lease.Store.
func (s *Store) Len(context.Context) (int, error) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	return s.n, nil
}

// Close implements lease.Store: it writes and fsyncs what is queued, stops
// compaction (waiting for one under way), and releases the lock file.
func (s *Store) Close() error {
	s.closeOnce.Do(func() {
		s.mu.Lock()
		s.closed = true
		s.mu.Unlock()
		if s.stopCompact != nil {
			close(s.stopCompact)
			<-s.compactDone
		}
		if s.j != nil {
			s.closeErr = s.j.close()
		}
		if s.lock != nil {
			if err := s.lock.release(); err != nil && s.closeErr == nil {
				s.closeErr = err
			}
		}
	})
	return s.closeErr
}
