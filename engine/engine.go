package engine

import (
	"context"
	"errors"
	"fmt"
	"hash/fnv"
	"log/slog"
	"math/rand/v2"
	"net/netip"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"github.com/leased/leased/alloc"
	"github.com/leased/leased/classify"
	"github.com/leased/leased/config"
	"github.com/leased/leased/ddns"
	"github.com/leased/leased/dhcpserver"
	"github.com/leased/leased/dhcpv4"
	"github.com/leased/leased/lease"
)

// Options tune an Engine. The zero value is ready to use.
type Options struct {
	// Logger receives the server's log; the default discards it.
	Logger *slog.Logger
	// Now is the clock; time.Now by default.
	Now func() time.Time
	// OfferHold is how long an offered address stays set aside for the
	// client when offer-lifetime is 0, so that concurrent DISCOVERs are
	// not offered the same address. Kea sets nothing aside; 10 s by
	// default.
	OfferHold time.Duration
	// Metrics receives counts of what the server does; nil counts
	// nothing.
	Metrics Metrics
	// CommitInterval is the shortest time between two flushes of the
	// lease store for acknowledged leases (see ServeDHCP): under load,
	// ACKs wait up to this long so that one fsync serves many. 1 ms by
	// default; negative means no wait.
	CommitInterval time.Duration
	// Replicator, when set, is given the leases written for each
	// client's message once they are durable, and the reply waits until
	// it says they are replicated (high availability); nil sends replies
	// once their leases are durable.
	Replicator Replicator
	// NameChanges, when set, is told of the lease changes that may owe
	// DNS updates (see NameChanges).
	NameChanges NameChanges
	// Classes, when set, adds to each client message the classes decided
	// before the engine sees it, as Kea's hooks do in buffer4_receive
	// (high availability's HA_<server>, the scope a query belongs to).
	// They are in place before classification, so class tests (member)
	// and every class guard see them.
	Classes func(r *dhcpserver.Request, c ClassAdder)
	// SubnetSelected, when set, is called once a client message's subnet
	// is selected, before its reservation is looked up (Kea's
	// subnet4_select hook point): it may add classes, and returns false
	// to drop the message, counted with DropNotForUs. High availability
	// with several relationships decides here, by the subnet, which
	// relationship a query belongs to and whether this server answers it.
	SubnetSelected func(r *dhcpserver.Request, sn *config.Subnet, c ClassAdder) bool
}

// ClassAdder is what Options.Classes adds a message's classes to.
type ClassAdder interface{ AddClass(name string) }

// Engine answers DHCPv4 clients. It is safe for concurrent use.
type Engine struct {
	store   lease.Store
	log     *slog.Logger
	now     func() time.Time
	hold    time.Duration
	metrics Metrics

	state  atomic.Pointer[state]
	offers offerTable
	commit committer
	repl   Replicator  // nil: nothing is replicated
	names  NameChanges // nil: no lease change is announced
	// classes adds the classes decided before the engine (Options.Classes).
	classes func(r *dhcpserver.Request, c ClassAdder)
	// subnetSelected judges a message by its subnet (Options.SubnetSelected).
	subnetSelected func(r *dhcpserver.Request, sn *config.Subnet, c ClassAdder) bool
	// reload serialises Reload calls.
	reload sync.Mutex
	// hosts are the reservations beyond the configuration's
	// (hosts-database); nil for none.
	hosts atomic.Pointer[hostSource]
	// shared says other servers write the store too (lease.Shared);
	// seed places this server's iterative searches (see shared.go).
	shared bool
	seed   uint64
}

// state is what one configuration derives: the configuration itself and
// the allocators of its pools.
type state struct {
	cfg     *config.Config
	subnets map[uint32]*subnetState
	txns    sync.Pool
}

type subnetState struct {
	cfg   *config.Subnet
	pools []*poolState
	names *ddns.Params // how clients' names are decided here
}

type poolState struct {
	cfg   *config.Pool
	alloc *alloc.Pool
	names *ddns.Params // the subnet's, unless the pool sets DDNS parameters
	strat alloc.Strategy
	// reserved are the reserved addresses in the pool, in the order the
	// configuration gives them; the allocator never hands them out.
	reserved []netip.Addr
	// fresh says the allocator was made for this state and has yet to
	// learn the store's leases (one carried over from the previous
	// state already knows them).
	fresh bool
	// refilled is when (Unix seconds) the allocator last relearned a
	// shared store's free addresses (see refill).
	refilled atomic.Int64
}

// New returns a server for cfg with leases in store. It scans the store to
// learn which addresses are in use, applying sanity-checks.lease-checks to
// leases whose subnet no longer exists.
func New(ctx context.Context, cfg *config.Config, store lease.Store, o *Options) (*Engine, error) {
	if o == nil {
		o = &Options{}
	}
	s := &Engine{
		store:          store,
		log:            o.Logger,
		now:            o.Now,
		hold:           o.OfferHold,
		metrics:        o.Metrics,
		repl:           o.Replicator,
		names:          o.NameChanges,
		classes:        o.Classes,
		subnetSelected: o.SubnetSelected,
	}
	if s.log == nil {
		s.log = slog.New(slog.DiscardHandler)
	}
	if s.now == nil {
		s.now = time.Now
	}
	if s.hold <= 0 {
		s.hold = 10 * time.Second
	}
	if s.metrics == nil {
		s.metrics = noMetrics{}
	}
	s.commit = committer{store: store, log: s.log, metrics: s.metrics, interval: o.CommitInterval, repl: o.Replicator, names: o.NameChanges}
	switch {
	case o.CommitInterval == 0:
		s.commit.interval = time.Millisecond
	case o.CommitInterval < 0:
		s.commit.interval = 0
	}
	s.offers.init()
	s.shared, s.seed = lease.IsShared(store), rand.Uint64()
	st, err := s.build(ctx, cfg, nil)
	if err != nil {
		return nil, err
	}
	s.state.Store(st)
	return s, nil
}

// Config returns the configuration in force.
func (s *Engine) Config() *config.Config { return s.state.Load().cfg }

// Reload makes cfg the configuration in force. Messages being handled
// finish under the configuration they started with; leases are kept.
func (s *Engine) Reload(ctx context.Context, cfg *config.Config) error {
	s.reload.Lock()
	defer s.reload.Unlock()
	st, err := s.build(ctx, cfg, s.state.Load())
	if err != nil {
		return err
	}
	s.state.Store(st)
	return nil
}

// build derives a state from cfg and the store's leases. On a reload,
// prev is the state in force: a pool whose range, allocator and reserved
// addresses are unchanged keeps prev's allocator, which already knows the
// leases (and goes on learning them, as messages under prev still use
// it). The store is then read in full only when it must be: at start,
// when the subnets (ids or prefixes) or the sanity checks changed, since
// those decide which leases are orphans; otherwise only the address
// ranges of new or changed pools are read. A reload thus costs about
// nothing for the pools it keeps, instead of a pass over every lease and
// the garbage it makes while packets are being served.
func (s *Engine) build(ctx context.Context, cfg *config.Config, prev *state) (*state, error) {
	if cfg.Classifier == nil {
		cls, err := classify.New(nil, nil)
		if err != nil {
			return nil, err
		}
		c := *cfg
		c.Classifier = cls
		cfg = &c
	}
	st := &state{cfg: cfg, subnets: make(map[uint32]*subnetState, len(cfg.Subnets))}
	st.txns.New = func() any { return &txn{eval: cfg.Classifier.NewEval()} }
	for _, sn := range cfg.Subnets {
		paramsOf := ddns.ParamsOf
		if cfg.DHCPDDNS.EnableUpdates {
			paramsOf = ddns.UpdatingParamsOf
		}
		ss := &subnetState{cfg: sn, names: paramsOf(sn.Params.DDNS, sn.Params.DDNS)}
		strat, err := alloc.ParseStrategy(sn.Params.Allocator)
		if err != nil {
			strat = alloc.Iterative
		}
		for _, p := range sn.Pools {
			ps := &poolState{cfg: p, names: ss.names, strat: strat}
			if p.DDNS != nil && p.DDNS != sn.Params.DDNS {
				// Kea 3.x decides again with the pool's parameters,
				// except the character set, which stays the subnet's.
				ps.names = paramsOf(p.DDNS, sn.Params.DDNS)
			}
			ss.pools = append(ss.pools, ps)
		}
		st.subnets[sn.ID] = ss
		// Reserved addresses are never handed to anyone else.
		for _, h := range sn.Reservations {
			if ps := ss.poolFor(h.Address); ps != nil {
				ps.reserved = append(ps.reserved, h.Address)
			}
		}
	}
	for _, h := range cfg.GlobalReservations {
		if sn := cfg.SubnetContaining(h.Address); sn != nil {
			if ps := st.subnets[sn.ID].poolFor(h.Address); ps != nil {
				ps.reserved = append(ps.reserved, h.Address)
			}
		}
	}
	for _, sn := range cfg.Subnets {
		for _, ps := range st.subnets[sn.ID].pools {
			if old := prev.samePool(sn.ID, ps); old != nil {
				ps.alloc = old.alloc
				continue
			}
			a, err := alloc.New(ps.cfg.First, ps.cfg.Last, ps.strat, uint64(s.now().UnixNano()))
			if err != nil {
				return nil, fmt.Errorf("subnet %d pool %v-%v: %w", sn.ID, ps.cfg.First, ps.cfg.Last, err)
			}
			for _, r := range ps.reserved {
				a.Use(r)
			}
			ps.alloc, ps.fresh = a, true
			s.seekStart(ps)
		}
	}
	switch {
	case prev == nil && s.shared:
		// At start on a shared store, serving does not wait for the
		// scan (see markInBackground).
		s.markInBackground(st)
	case prev == nil || prev.needsFullScan(cfg):
		if err := s.markLeases(ctx, st); err != nil {
			return nil, err
		}
	default:
		if err := s.markFreshPools(ctx, st); err != nil {
			return nil, err
		}
	}
	s.offers.each(func(a netip.Addr) {
		if ps := st.poolContaining(a); ps != nil && ps.fresh {
			ps.alloc.Use(a)
		}
	})
	return st, nil
}

// samePool returns the pool of subnet id in st that ps can take the
// allocator of: the same range, allocator and reserved addresses. st may
// be nil.
func (st *state) samePool(id uint32, ps *poolState) *poolState {
	if st == nil {
		return nil
	}
	ss := st.subnets[id]
	if ss == nil {
		return nil
	}
	for _, old := range ss.pools {
		if old.cfg.First == ps.cfg.First && old.cfg.Last == ps.cfg.Last && old.strat == ps.strat && slices.Equal(old.reserved, ps.reserved) {
			return old
		}
	}
	return nil
}

// needsFullScan reports whether a reload from st to cfg must read every
// lease: the subnets (ids and prefixes) decide which leases are orphans
// for lease-checks, and the sanity checks themselves may have changed.
func (st *state) needsFullScan(cfg *config.Config) bool {
	if st.cfg.SanityChecks != cfg.SanityChecks || len(st.cfg.Subnets) != len(cfg.Subnets) {
		return true
	}
	for _, sn := range cfg.Subnets {
		old := st.subnets[sn.ID]
		if old == nil || old.cfg.Prefix != sn.Prefix {
			return true
		}
	}
	return false
}

// markFreshPools marks the addresses of live leases in the ranges of the
// pools whose allocators are new, reading only those ranges.
func (s *Engine) markFreshPools(ctx context.Context, st *state) error {
	for _, ss := range st.subnets {
		for _, ps := range ss.pools {
			if !ps.fresh {
				continue
			}
			after := ps.cfg.First.Prev()
			for {
				page, err := s.store.Page(ctx, after, 0, 1024)
				if err != nil {
					return fmt.Errorf("reading leases: %w", err)
				}
				done := len(page) < 1024
				for i := range page {
					l := &page[i]
					after = l.Addr
					if !ps.cfg.Contains(l.Addr) {
						done = true
						break
					}
					if l.State != lease.StateDefault && l.State != lease.StateDeclined {
						continue
					}
					// The lease's own subnet decides its pool, as in
					// markLeases.
					if lss := st.subnets[l.SubnetID]; lss != nil && lss.cfg.Prefix.Contains(l.Addr) && lss.poolFor(l.Addr) == ps {
						ps.alloc.Use(l.Addr)
					}
				}
				if done {
					break
				}
			}
		}
	}
	return nil
}

// markLeases marks every address the store holds a live lease for as used,
// applies sanity-checks.extended-info-checks to the user context of every
// lease (see checkExtendedInfo), and sanity-checks.lease-checks to leases
// of unknown subnets.
func (s *Engine) markLeases(ctx context.Context, st *state) error {
	mode := st.cfg.SanityChecks.LeaseChecks
	extMode := st.cfg.SanityChecks.ExtendedInfoChecks
	var after netip.Addr
	for {
		page, err := s.store.Page(ctx, after, 0, 4096)
		if err != nil {
			return fmt.Errorf("reading leases: %w", err)
		}
		if len(page) == 0 {
			return nil
		}
		for i := range page {
			l := &page[i]
			after = l.Addr
			s.checkExtendedInfo(ctx, l, extMode)
			ss := st.subnets[l.SubnetID]
			if ss == nil || !ss.cfg.Prefix.Contains(l.Addr) {
				ss = s.checkOrphan(ctx, st, l, mode)
				if ss == nil {
					continue
				}
			}
			if l.State != lease.StateDefault && l.State != lease.StateDeclined {
				continue
			}
			if ps := ss.poolFor(l.Addr); ps != nil {
				ps.alloc.Use(l.Addr)
			}
		}
	}
}

// checkExtendedInfo applies extended-info-checks to l's user context,
// writing the lease back when the check changes it.
func (s *Engine) checkExtendedInfo(ctx context.Context, l *lease.Lease, mode string) {
	uc, changed, problem := checkExtendedInfo(l.UserContext, mode)
	if problem != "" {
		s.log.Error("lease extended info sanity check failed", "address", l.Addr, "problem", problem, "extended-info-checks", mode)
	}
	if !changed {
		return
	}
	prev := *l
	l.UserContext = uc
	if err := s.store.Update(ctx, &prev, l, lease.Async); err != nil {
		s.log.Warn("cannot update the lease's user context", "address", l.Addr, "error", err)
		*l = prev
		return
	}
	if problem == "" {
		s.log.Debug("lease extended info upgraded", "address", l.Addr)
	}
}

// checkOrphan applies lease-checks to a lease whose subnet is gone or no
// longer contains it: "none" and "warn" keep it (warn logs), "fix" moves it
// to the subnet that contains its address when there is one, "fix-del"
// does that or deletes it, "del" deletes it. It returns the subnet to
// account the lease to, or nil.
func (s *Engine) checkOrphan(ctx context.Context, st *state, l *lease.Lease, mode string) *subnetState {
	var fixed *subnetState
	if sn := st.cfg.SubnetContaining(l.Addr); sn != nil {
		fixed = st.subnets[sn.ID]
	}
	switch mode {
	case "", "none":
		return fixed
	case "warn":
		s.log.Warn("lease belongs to no configured subnet", "address", l.Addr, "subnet-id", l.SubnetID)
		return fixed
	case "fix", "fix-del":
		if fixed != nil {
			prev := *l
			l.SubnetID = fixed.cfg.ID
			if err := s.store.Update(ctx, &prev, l, lease.Async); err != nil {
				s.log.Warn("cannot move lease to its subnet", "address", l.Addr, "subnet-id", fixed.cfg.ID, "error", err)
			} else {
				s.log.Info("lease moved to the subnet that contains it", "address", l.Addr, "from", prev.SubnetID, "to", fixed.cfg.ID)
			}
			return fixed
		}
		if mode == "fix" {
			s.log.Warn("lease belongs to no configured subnet and cannot be fixed", "address", l.Addr, "subnet-id", l.SubnetID)
			return nil
		}
	}
	// del, or fix-del without a subnet to move to.
	if err := s.store.Delete(ctx, l.Addr, l, lease.Async); err != nil && !errors.Is(err, lease.ErrNotFound) {
		s.log.Warn("cannot delete lease of unknown subnet", "address", l.Addr, "error", err)
	} else {
		s.log.Info("lease of unknown subnet deleted", "address", l.Addr, "subnet-id", l.SubnetID)
	}
	return nil
}

func (ss *subnetState) poolFor(a netip.Addr) *poolState {
	if ss == nil || !a.IsValid() {
		return nil
	}
	for _, ps := range ss.pools {
		if ps.cfg.Contains(a) {
			return ps
		}
	}
	return nil
}

func (st *state) poolContaining(a netip.Addr) *poolState {
	sn := st.cfg.SubnetContaining(a)
	if sn == nil {
		return nil
	}
	return st.subnets[sn.ID].poolFor(a)
}

// ServeDHCP answers one client message.
//
// An ACK leaves only once its lease is on stable storage. When the
// ResponseWriter is a dhcpserver.Deferrer, ServeDHCP does not wait for
// that: it writes the lease (visible at once), defers the ACK and returns;
// the ACK is sent after the next flush of the store, which serves every
// ACK deferred meanwhile. Otherwise it flushes the store itself before
// answering.
func (s *Engine) ServeDHCP(w dhcpserver.ResponseWriter, r *dhcpserver.Request) {
	p := r.Packet
	if p.Op() != dhcpv4.BootRequest {
		// A server's reply, such as its own OFFER sent to a giaddr that
		// is its own address: counted as a drop, as Kea counts every
		// message it does not process, so that each message received
		// is either answered or counted as dropped.
		s.metrics.Dropped(DropNotClientMessage)
		return
	}
	mt := p.MessageType()
	switch mt {
	case dhcpv4.Discover, dhcpv4.Request, dhcpv4.Decline, dhcpv4.Release, dhcpv4.Inform:
	default:
		s.metrics.Dropped(DropUnsupportedType)
		return
	}
	st := s.state.Load()
	t := st.txns.Get().(*txn)
	defer st.txns.Put(t)
	t.begin(s, st, w, r)
	t.run(mt)
}

// clientKey identifies a client for the offer table: its client
// identifier, or its hardware type and address.
//
// dhcpserver hashes the same fields to pick a worker (clientHash in
// dhcpserver/worker.go), and the two deliberately differ. There a
// collision costs nothing (two clients share a worker), so 32 bits of
// the identifier's bytes do. Here the key stands for the client: a
// collision would give one client's offer to another, so it has 64 bits,
// a tag that keeps a client identifier apart from a hardware address
// with the same bytes, and the hardware type, which Kea's hardware
// address includes (TestClientKey).
func clientKey(p *dhcpv4.Packet) uint64 {
	h := fnv.New64a()
	if cid := p.ClientID(); len(cid) > 0 {
		h.Write([]byte{0})
		h.Write(cid)
	} else {
		h.Write([]byte{1, p.HType()})
		h.Write(p.CHAddr())
	}
	return h.Sum64()
}
