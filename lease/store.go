package lease

import (
	"context"
	"errors"
	"net/netip"
)

// Durability says when a write returns.
type Durability uint8

const (
	// Durable writes return only once the change is on stable storage.
	// Concurrent durable writes share one flush (group commit).
	Durable Durability = iota
	// Async writes return once the change is visible to readers; it
	// reaches stable storage with the next durable write, Sync, or within
	// the backend's flush interval.
	Async
)

// Errors returned by every Store. Backends wrap them with context; test
// with errors.Is.
var (
	// ErrExists: Add found a lease at the address already.
	ErrExists = errors.New("a lease for the address exists")
	// ErrNotFound: Update or Delete found no lease at the address.
	ErrNotFound = errors.New("no lease for the address")
	// ErrConflict: the stored lease is no longer the one the caller read
	// (another writer changed it in between).
	ErrConflict = errors.New("the lease changed since it was read")
	// ErrClosed: the store was closed.
	ErrClosed = errors.New("lease store closed")
	// ErrNotDurable: the change is visible but could not be made durable
	// (the journal failed); the caller must not acknowledge it.
	ErrNotDurable = errors.New("lease change not durable")
	// ErrStateUnsupported: the store cannot hold a lease in that state
	// (Kea 2.2's SQL schema has no released leases); the caller does
	// what that Kea version does instead.
	ErrStateUnsupported = errors.New("lease state not supported by this store")
)

// Counts is the number of leases in each state.
type Counts struct {
	Default          uint64 // assigned (Kea's assigned-addresses counts these)
	Declined         uint64
	ExpiredReclaimed uint64
	Released         uint64
}

// Add adds one lease in state s to c (n = 1) or removes it (n = -1).
func (c *Counts) Add(s State, n int) {
	switch s {
	case StateDefault:
		c.Default += uint64(n)
	case StateDeclined:
		c.Declined += uint64(n)
	case StateExpiredReclaimed:
		c.ExpiredReclaimed += uint64(n)
	case StateReleased:
		c.Released += uint64(n)
	}
}

// PoolKey names a pool within a subnet for statistics. Pool 0 is the
// subnet's leases that came from no numbered pool.
type PoolKey struct {
	SubnetID uint32
	PoolID   uint32
}

// Store keeps leases. Every implementation is safe for concurrent use.
//
// Getters copy into a caller-supplied *Lease, reusing its byte slices, so
// that a request path that keeps one Lease per worker does not allocate.
// They report whether a lease was found.
//
// Writers take a context: a Durable write whose context ends before the
// change is durable returns the context's error, and the change may or may
// not survive a crash (it stays visible to readers).
type Store interface {
	// Get finds the lease of addr.
	Get(ctx context.Context, addr netip.Addr, l *Lease) (bool, error)
	// GetByHWAddr finds a lease of subnetID whose hardware address is hw.
	// When the client has several, the one with the latest expiry wins.
	GetByHWAddr(ctx context.Context, subnetID uint32, hw []byte, l *Lease) (bool, error)
	// GetByClientID finds a lease of subnetID whose client identifier is
	// clientID, the latest-expiring one when there are several.
	GetByClientID(ctx context.Context, subnetID uint32, clientID []byte, l *Lease) (bool, error)

	// FindByHWAddr returns the leases of hw in every subnet.
	FindByHWAddr(ctx context.Context, hw []byte) ([]Lease, error)
	// FindByClientID returns the leases of clientID in every subnet.
	FindByClientID(ctx context.Context, clientID []byte) ([]Lease, error)
	// FindByHostname returns the leases whose hostname is hostname
	// (compared without regard to ASCII case, as DNS names are).
	FindByHostname(ctx context.Context, hostname string) ([]Lease, error)

	// Page returns up to limit leases with addresses greater than after,
	// in address order; an invalid after (netip.Addr{}) starts at the
	// lowest address. subnetID 0 means every subnet. An empty result means
	// the end.
	Page(ctx context.Context, after netip.Addr, subnetID uint32, limit int) ([]Lease, error)

	// Add stores l if no lease holds l.Addr, else it returns ErrExists.
	Add(ctx context.Context, l *Lease, d Durability) error
	// Update replaces the lease at l.Addr with l, or returns ErrNotFound.
	// When prev is not nil the stored lease must still be *prev in its
	// client identity, subnet, state, CLTT and lifetime, else ErrConflict:
	// two writers who read the same lease cannot both win.
	Update(ctx context.Context, prev, l *Lease, d Durability) error
	// Put stores l, replacing any lease at l.Addr.
	Put(ctx context.Context, l *Lease, d Durability) error
	// Delete removes the lease of addr, or returns ErrNotFound. When prev
	// is not nil the stored lease must still be *prev as in Update.
	Delete(ctx context.Context, addr netip.Addr, prev *Lease, d Durability) error
	// Sync returns once every change made before the call is durable.
	Sync(ctx context.Context) error

	// Expired returns up to limit leases, oldest expiry first, that are
	// not yet reclaimed (any state but StateExpiredReclaimed) and whose
	// expiry is at or before now (Unix seconds). limit 0 means no limit.
	Expired(ctx context.Context, now int64, limit int) ([]Lease, error)
	// DeleteReclaimed deletes the leases in StateExpiredReclaimed whose
	// expiry is at or before before (Unix seconds) and returns how many.
	DeleteReclaimed(ctx context.Context, before int64, d Durability) (int, error)
	// WipeSubnet deletes every lease of subnetID and returns how many.
	WipeSubnet(ctx context.Context, subnetID uint32, d Durability) (int, error)

	// Stats counts the leases of each pool of each subnet by state.
	Stats(ctx context.Context) (map[PoolKey]Counts, error)
	// Len returns the number of leases.
	Len(ctx context.Context) (int, error)

	// Close makes every change durable and releases the store.
	Close() error
}

// SameVersion reports whether stored is still the lease prev a caller read:
// the same client identity, subnet, state, CLTT and lifetime. Stores use it
// for the prev arguments of Update and Delete.
func SameVersion(stored, prev *Lease) bool {
	return stored.CLTT == prev.CLTT && stored.ValidLifetime == prev.ValidLifetime &&
		stored.State == prev.State && stored.SubnetID == prev.SubnetID &&
		string(stored.HWAddr) == string(prev.HWAddr) &&
		string(stored.ClientID) == string(prev.ClientID)
}

// Shared is implemented by a Store that other servers may write at the
// same time (a database several servers share). A server on such a store
// cannot trust what it loaded at start and wrote itself: it checks an
// address in the store before it offers it, and counts a lost race
// (ErrExists, ErrConflict) as the other server's win, not as a fault.
type Shared interface {
	// Shared reports whether other writers may change the store.
	Shared() bool
}

// IsShared reports whether s says other servers may write it.
func IsShared(s Store) bool {
	sh, ok := s.(Shared)
	return ok && sh.Shared()
}
