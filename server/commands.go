package server

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

// LeaseStore returns the store the server keeps its leases in, for
// reading. Changes must go through AddLease, UpdateLease, DeleteLease
// and WipeLeases so that the allocators follow them.
func (s *Server) LeaseStore() lease.Store { return s.store }

// AddLease stores l, which must not exist yet (lease.ErrExists otherwise),
// and marks its address used. It returns once the lease is durable.
func (s *Server) AddLease(ctx context.Context, l *lease.Lease) error {
	if err := l.Validate(); err != nil {
		return err
	}
	if err := s.store.Add(ctx, l, lease.Durable); err != nil {
		return err
	}
	s.follow(l)
	return nil
}

// UpdateLease replaces the lease at l.Addr with l. When there is none it
// returns lease.ErrNotFound, or with create adds l and reports that it
// did. The address is marked used or returned to its pool according to
// the new lease. It returns once the change is durable.
func (s *Server) UpdateLease(ctx context.Context, l *lease.Lease, create bool) (added bool, err error) {
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
			err = s.store.Update(ctx, nil, l, lease.Durable)
			if errors.Is(err, lease.ErrNotFound) {
				continue
			}
		case create:
			err = s.store.Add(ctx, l, lease.Durable)
			if errors.Is(err, lease.ErrExists) {
				continue
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
func (s *Server) DeleteLease(ctx context.Context, addr netip.Addr) (lease.Lease, error) {
	var l lease.Lease
	ok, err := s.store.Get(ctx, addr, &l)
	if err != nil {
		return lease.Lease{}, err
	}
	if !ok {
		return lease.Lease{}, fmt.Errorf("%v: %w", addr, lease.ErrNotFound)
	}
	if err := s.store.Delete(ctx, addr, nil, lease.Durable); err != nil {
		return lease.Lease{}, err
	}
	s.free(s.state.Load(), l.SubnetID, addr)
	return l, nil
}

// WipeLeases deletes every lease of the given subnets, or of every
// configured subnet when none is given, and returns how many it deleted.
// Their addresses go back to their pools.
func (s *Server) WipeLeases(ctx context.Context, subnetIDs ...uint32) (int, error) {
	st := s.state.Load()
	if len(subnetIDs) == 0 {
		for _, sn := range st.cfg.Subnets {
			subnetIDs = append(subnetIDs, sn.ID)
		}
	}
	total := 0
	for _, id := range subnetIDs {
		// Note the addresses first: the store forgets them.
		var addrs []netip.Addr
		var after netip.Addr
		for {
			page, err := s.store.Page(ctx, after, id, 4096)
			if err != nil {
				return total, fmt.Errorf("subnet %d: reading leases: %w", id, err)
			}
			if len(page) == 0 {
				break
			}
			for i := range page {
				addrs = append(addrs, page[i].Addr)
			}
			after = page[len(page)-1].Addr
		}
		n, err := s.store.WipeSubnet(ctx, id, lease.Durable)
		total += n
		if err != nil {
			return total, fmt.Errorf("subnet %d: %w", id, err)
		}
		for _, a := range addrs {
			s.free(st, id, a)
		}
	}
	return total, nil
}

// follow brings the allocator of l's address in line with l: used while
// l holds the address, free otherwise.
func (s *Server) follow(l *lease.Lease) {
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
func (s *Server) free(st *state, subnetID uint32, a netip.Addr) {
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
