// Package sqlstore is what the lease stores over Kea's SQL schemas
// (lease/pgsql, lease/mysql) share, whatever the engine: the lease4 row as
// Kea encodes it and its conversion to and from a lease.Lease, the limits
// Kea's readers put on a row, the guard a conditional write matches, and
// the statistics read from Kea's lease4_stat, and the group commit (Group):
// concurrent writers' statements committed in one transaction, each
// writer told its own result. An engine's store is a dialect over these:
// its driver, its placeholders and types, its errors, how it runs a
// group's transaction.
//
// Every engine's lease4 holds the same columns in Kea's schemas: the
// address as an unsigned 32-bit number, the hardware address and client
// identifier as bytes (empty, not NULL, when absent), the valid lifetime,
// the expiry (CLTT + lifetime, or the CLTT alone for an infinite lease),
// the subnet, the two DNS flags, the hostname, the state and the user
// context (empty, not NULL, when absent). There is no column for the
// hardware type: every lease reads back as Ethernet, as Kea reads it.
package sqlstore

import (
	"fmt"
	"net/netip"

	"github.com/leased/leased/dhcpv4"
	"github.com/leased/leased/lease"
)

// MaxExpire is the latest expiry Kea accepts in its databases
// (DatabaseConnection::MAX_DB_TIME, the end of 32-bit time_t, which is
// also where MySQL's TIMESTAMP ends).
const MaxExpire = 2147483647

// Kea reads a client identifier shorter than ClientId::MIN_CLIENT_ID_LEN
// or longer than its maximum (plus the type byte) as an error that breaks
// every query returning the row.
const (
	MinClientIDLen = 2
	MaxClientIDLen = 130
)

// Expire is the instant, in Unix seconds, Kea stores as l's expire: CLTT
// + lifetime, or the CLTT alone for an infinite lease.
func Expire(l *lease.Lease) int64 {
	if l.ValidLifetime == lease.InfiniteLifetime {
		return l.CLTT
	}
	return l.Expire()
}

// Check refuses what Kea's schema or Kea's reader cannot hold: one such
// row breaks every Kea query that returns it. released says whether the
// schema has a released state (Kea 2.2's schemas have none); schema names
// it for the message.
func Check(l *lease.Lease, released bool, schema string) error {
	if err := l.Validate(); err != nil {
		return err
	}
	if l.State == lease.StateReleased && !released {
		return fmt.Errorf("lease %v: state %s does not exist in Kea schema %s (Kea 2.2 has no released leases): %w", l.Addr, l.State, schema, lease.ErrStateUnsupported)
	}
	if n := len(l.ClientID); n != 0 && (n < MinClientIDLen || n > MaxClientIDLen) {
		return fmt.Errorf("lease %v: client identifier of %d bytes, Kea reads only %d to %d", l.Addr, n, MinClientIDLen, MaxClientIDLen)
	}
	if e := Expire(l); e < 0 || e > MaxExpire {
		return fmt.Errorf("lease %v: expiry %d (Unix seconds) is outside what Kea stores (0 to %d)", l.Addr, e, MaxExpire)
	}
	return nil
}

// Addr is a as the address column holds it.
func Addr(a netip.Addr) int64 { return int64(dhcpv4.AddrToUint32(a)) }

// NonNil makes an absent byte field empty, as Kea writes it: drivers send
// a nil slice as NULL.
func NonNil(b []byte) []byte {
	if b == nil {
		return []byte{}
	}
	return b
}

// Row is one lease4 row as scanned, whatever the engine's types: numbers
// widened to int64, the expiry in Unix seconds, NULL booleans false and
// NULL text empty (as Kea's readers take them).
type Row struct {
	Addr, Valid, Expire, Subnet, State int64
	HW, CID                            []byte
	Fwd, Rev                           bool
	Hostname, UserContext              string
	// Pool is the pool_id column of the schemas that have one (HasPool).
	Pool    int64
	HasPool bool
}

// Lease converts r into l as Kea's reader does, reusing l's byte slices.
// Without a pool column poolID gives the pool of a lease (nil: pool 0).
func (r *Row) Lease(l *lease.Lease, poolID func(uint32, netip.Addr) uint32) error {
	if r.Addr < 0 || r.Addr > 0xffffffff {
		return fmt.Errorf("lease4 row with address %d, not an IPv4 address", r.Addr)
	}
	addr := dhcpv4.Uint32ToAddr(uint32(r.Addr))
	if r.Valid < 0 || r.Valid > 0xffffffff {
		return fmt.Errorf("lease4 row %v: valid_lifetime %d out of range", addr, r.Valid)
	}
	if r.Subnet < 0 || r.Subnet > 0xffffffff {
		return fmt.Errorf("lease4 row %v: subnet_id %d out of range", addr, r.Subnet)
	}
	if r.State < 0 || r.State > int64(lease.StateReleased) {
		return fmt.Errorf("lease4 row %v: state %d is not a lease state", addr, r.State)
	}
	l.Addr = addr
	l.HWType = lease.HTypeEthernet
	l.HWAddr = append(l.HWAddr[:0], r.HW...)
	l.ClientID = append(l.ClientID[:0], r.CID...)
	l.ValidLifetime = uint32(r.Valid)
	l.CLTT = r.Expire
	if l.ValidLifetime != lease.InfiniteLifetime {
		l.CLTT -= r.Valid
	}
	l.SubnetID = uint32(r.Subnet)
	switch {
	case r.HasPool:
		if r.Pool < 0 || r.Pool > 0xffffffff {
			return fmt.Errorf("lease4 row %v: pool_id %d out of range", addr, r.Pool)
		}
		l.PoolID = uint32(r.Pool)
	case poolID != nil:
		l.PoolID = poolID(l.SubnetID, addr)
	default:
		l.PoolID = 0
	}
	l.FQDNFwd = r.Fwd
	l.FQDNRev = r.Rev
	l.Hostname = r.Hostname
	l.State = lease.State(r.State)
	l.UserContext = r.UserContext
	return nil
}

// GuardArgs are the values a guarded Update or Delete matches, in the
// order of the guard's columns: expire (Unix seconds), valid_lifetime,
// subnet_id, state, hwaddr, client_id. The expiry is Kea's own guard; the
// rest is lease.SameVersion. The engine binds the expiry as its type of
// instant.
func GuardArgs(prev *lease.Lease) (expire int64, rest []any) {
	return Expire(prev), []any{int64(prev.ValidLifetime), int64(prev.SubnetID), int64(prev.State), NonNil(prev.HWAddr), NonNil(prev.ClientID)}
}

// ASCIILower is s in lower case, ASCII letters only: how Kea compares
// hostnames (lower(hostname) against the name in lower case).
func ASCIILower(s string) string {
	b := []byte(s)
	for i, c := range b {
		if 'A' <= c && c <= 'Z' {
			b[i] = c + 'a' - 'A'
		}
	}
	return string(b)
}

// Stats gathers lease counts by pool from statistics rows: (subnet, pool
// or address, state, count) as Kea's lease4_stat or a scan of lease4 gives
// them.
type Stats struct {
	// PoolColumn says the second value is a pool_id; else it is an address
	// whose pool PoolID gives (nil: pool 0).
	PoolColumn bool
	PoolID     func(uint32, netip.Addr) uint32
	Counts     map[lease.PoolKey]lease.Counts
}

// Add counts n leases of state in subnet and poolOrAddr.
func (s *Stats) Add(subnet, poolOrAddr, state, n int64) error {
	if n == 0 {
		return nil
	}
	if subnet < 0 || subnet > 0xffffffff || poolOrAddr < 0 || poolOrAddr > 0xffffffff || state < 0 || state > int64(lease.StateReleased) {
		return fmt.Errorf("lease4 statistics: subnet_id %d, pool or address %d or state %d out of range", subnet, poolOrAddr, state)
	}
	if s.Counts == nil {
		s.Counts = map[lease.PoolKey]lease.Counts{}
	}
	k := lease.PoolKey{SubnetID: uint32(subnet)}
	switch {
	case s.PoolColumn:
		k.PoolID = uint32(poolOrAddr)
	case s.PoolID != nil:
		k.PoolID = s.PoolID(k.SubnetID, dhcpv4.Uint32ToAddr(uint32(poolOrAddr)))
	}
	c := s.Counts[k]
	c.Add(lease.State(state), int(n))
	s.Counts[k] = c
	return nil
}
