package engine

import (
	"context"
	"errors"
	"fmt"
	"net/netip"

	"github.com/leased/leased/lease"
)

// These methods change leases on behalf of an operator (Kea's lease4-*
// commands). They write through the store, durably, and keep the pool
// allocators in step with it: an address that gains a lease is marked
// used, so it is not offered to anyone else; an address that loses its
// lease goes back to its pool, unless a reservation or a pending offer
// still holds it.
//
// A change happens entirely or not at all. A store whose journal fails
// keeps a change in memory and reports it as not durable
// (lease.ErrNotDurable); the operator is told it failed, so it is undone,
// by a write that restores what was there, unless another writer changed
// the lease in between. The undo goes through the journal like any other
// change, so memory and disk agree once the store recovers.

// LeaseStore returns the store the server keeps its leases in, for
// reading. Changes must go through AddLease, UpdateLease, DeleteLease
// and WipeLeases so that the allocators follow them.
func (s *Engine) LeaseStore() lease.Store { return s.store }

// AddLease stores l, which must not exist yet (lease.ErrExists otherwise),
// and marks its address used. It returns once the lease is durable.
func (s *Engine) AddLease(ctx context.Context, l *lease.Lease) error {
	if err := l.Validate(); err != nil {
		return err
	}
	if err := s.store.Add(ctx, l, lease.Durable); err != nil {
		if madeVisible(err) {
			s.undo(ctx, "lease4-add", l.Addr, s.store.Delete(undoCtx(ctx), l.Addr, l, lease.Durable))
			return notMade(err)
		}
		return err
	}
	s.follow(l)
	return nil
}

// madeVisible reports whether a durable write that returned err changed
// the store's memory all the same: the journal could not make it durable,
// or the caller stopped waiting for that.
func madeVisible(err error) bool {
	return errors.Is(err, lease.ErrNotDurable) || errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded)
}

// notMade says that a change that failed was undone.
func notMade(err error) error {
	return fmt.Errorf("%w (the change was not made)", err)
}

// undoCtx is the context of an undo: it must run even when the caller's
// context has ended.
func undoCtx(ctx context.Context) context.Context { return context.WithoutCancel(ctx) }

// undo logs the outcome of undoing a command's change. The undo is a
// durable write, so that a change the journal wrote after all (a new
// segment takes records before the recovery ends) does not come back at
// a restart; when the store cannot make it durable either, it is undone
// in memory all the same, and the store's recovery writes that. Another
// writer having changed the lease since (lease.ErrConflict, ErrNotFound,
// ErrExists) leaves its change in place, which is right: it is newer.
func (s *Engine) undo(ctx context.Context, what string, a netip.Addr, err error) {
	switch {
	case err == nil, madeVisible(err):
		s.log.Warn("lease change not durable; undone", "command", what, "address", a)
	case errors.Is(err, lease.ErrConflict), errors.Is(err, lease.ErrNotFound), errors.Is(err, lease.ErrExists):
		s.log.Warn("lease change not durable; not undone, as the lease changed since", "command", what, "address", a)
	default:
		s.log.Error("lease change not durable, and undoing it failed", "command", what, "address", a, "error", err)
	}
}

// UpdateLease replaces the lease at l.Addr with l. When there is none it
// returns lease.ErrNotFound, or with create adds l and reports that it
// did. The address is marked used or returned to its pool according to
// the new lease. It returns once the change is durable.
func (s *Engine) UpdateLease(ctx context.Context, l *lease.Lease, create bool) (added bool, err error) {
	if err := l.Validate(); err != nil {
		return false, err
	}
	var cur lease.Lease
	// Two rounds: a lease that appears or disappears between the read
	// and the write is met on the second.
	for range 2 {
		ok, err := s.store.Get(ctx, l.Addr, &cur)
		if err != nil {
			return false, err
		}
		switch {
		case ok:
			err = s.store.Update(ctx, &cur, l, lease.Durable)
			if errors.Is(err, lease.ErrNotFound) || errors.Is(err, lease.ErrConflict) {
				continue
			}
			if madeVisible(err) {
				s.undo(ctx, "lease4-update", l.Addr, s.store.Update(undoCtx(ctx), l, &cur, lease.Durable))
				return false, notMade(err)
			}
		case create:
			err = s.store.Add(ctx, l, lease.Durable)
			if errors.Is(err, lease.ErrExists) {
				continue
			}
			if madeVisible(err) {
				s.undo(ctx, "lease4-update", l.Addr, s.store.Delete(undoCtx(ctx), l.Addr, l, lease.Durable))
				return false, notMade(err)
			}
			added = err == nil
		default:
			return false, fmt.Errorf("%v: %w", l.Addr, lease.ErrNotFound)
		}
		if err != nil {
			return false, err
		}
		s.follow(l)
		return added, nil
	}
	return false, fmt.Errorf("%v: %w", l.Addr, lease.ErrConflict)
}

// DeleteLease deletes the lease of addr and returns what it was; the
// address goes back to its pool. It returns lease.ErrNotFound when there
// is no lease.
func (s *Engine) DeleteLease(ctx context.Context, addr netip.Addr) (lease.Lease, error) {
	var l lease.Lease
	// Two rounds, as in UpdateLease: the lease read is the one deleted,
	// and the one an undo puts back.
	for range 2 {
		ok, err := s.store.Get(ctx, addr, &l)
		if err != nil {
			return lease.Lease{}, err
		}
		if !ok {
			return lease.Lease{}, fmt.Errorf("%v: %w", addr, lease.ErrNotFound)
		}
		err = s.store.Delete(ctx, addr, &l, lease.Durable)
		switch {
		case errors.Is(err, lease.ErrConflict), errors.Is(err, lease.ErrNotFound):
			continue
		case madeVisible(err):
			s.undo(ctx, "lease4-del", addr, s.store.Add(undoCtx(ctx), &l, lease.Durable))
			return lease.Lease{}, notMade(err)
		case err != nil:
			return lease.Lease{}, err
		}
		s.free(s.state.Load(), l.SubnetID, addr)
		return l, nil
	}
	return lease.Lease{}, fmt.Errorf("%v: %w", addr, lease.ErrConflict)
}

// WipeLeases deletes every lease of the given subnets, or of every
// configured subnet when none is given, and returns how many it deleted.
// Their addresses go back to their pools. The subnets are wiped together:
// when the deletions cannot be made durable, every lease comes back.
func (s *Engine) WipeLeases(ctx context.Context, subnetIDs ...uint32) (int, error) {
	st := s.state.Load()
	if len(subnetIDs) == 0 {
		for _, sn := range st.cfg.Subnets {
			subnetIDs = append(subnetIDs, sn.ID)
		}
	}
	// Note the leases first: the store forgets them, and an undo puts
	// them back.
	var gone []lease.Lease
	total := 0
	for _, id := range subnetIDs {
		var after netip.Addr
		for {
			page, err := s.store.Page(ctx, after, id, 4096)
			if err != nil {
				return 0, s.unwipe(ctx, gone, fmt.Errorf("subnet %d: reading leases: %w", id, err))
			}
			if len(page) == 0 {
				break
			}
			gone = append(gone, page...)
			after = page[len(page)-1].Addr
		}
		n, err := s.store.WipeSubnet(ctx, id, lease.Async)
		total += n
		if err != nil {
			return 0, s.unwipe(ctx, gone, fmt.Errorf("subnet %d: %w", id, err))
		}
	}
	if err := s.store.Sync(ctx); err != nil {
		return 0, s.unwipe(ctx, gone, err)
	}
	for i := range gone {
		s.free(st, gone[i].SubnetID, gone[i].Addr)
	}
	return total, nil
}

// unwipe puts back the leases a failed wipe deleted, unless their
// addresses were taken meanwhile, and returns err saying so.
func (s *Engine) unwipe(ctx context.Context, gone []lease.Lease, err error) error {
	ctx = undoCtx(ctx)
	restored := 0
	for i := range gone {
		switch aerr := s.store.Add(ctx, &gone[i], lease.Async); {
		case aerr == nil:
			restored++
		case !errors.Is(aerr, lease.ErrExists):
			s.log.Error("lease4-wipe failed, and putting a lease back failed", "address", gone[i].Addr, "error", aerr)
		}
	}
	if restored > 0 {
		// One sync for them all; when it fails, the store's recovery
		// writes what memory holds.
		s.store.Sync(ctx)
	}
	if len(gone) > 0 {
		s.log.Warn("lease4-wipe failed; leases put back", "restored", restored, "of", len(gone), "error", err)
	}
	return notMade(err)
}

// follow brings the allocator of l's address in line with l: used while
// l holds the address, free otherwise.
func (s *Engine) follow(l *lease.Lease) {
	st := s.state.Load()
	if (l.State == lease.StateDefault || l.State == lease.StateDeclined) && !l.Expired(s.now().Unix()) {
		if ps := st.poolOf(l.SubnetID, l.Addr); ps != nil {
			ps.alloc.Use(l.Addr)
		}
		// An offer of the address to someone else is void now: the
		// client's REQUEST will find the lease and be refused.
		s.offers.drop(l.Addr)
		return
	}
	s.free(st, l.SubnetID, l.Addr)
}

// free returns a to its pool unless a reservation or a live offer holds
// it.
func (s *Engine) free(st *state, subnetID uint32, a netip.Addr) {
	ps := st.poolOf(subnetID, a)
	if ps == nil {
		return
	}
	cfg := st.cfg
	if cfg.ReservationByAddress(subnetID, a) != nil || cfg.ReservationByAddress(0, a) != nil {
		return
	}
	if _, ok := s.offers.owner(a, s.now().Unix()); ok {
		return
	}
	ps.alloc.Release(a)
}

// poolOf returns the pool holding a in the subnet subnetID or, when that
// subnet does not contain it, in the subnet that does.
func (st *state) poolOf(subnetID uint32, a netip.Addr) *poolState {
	if ss := st.subnets[subnetID]; ss != nil {
		if ps := ss.poolFor(a); ps != nil {
			return ps
		}
	}
	return st.poolContaining(a)
}
