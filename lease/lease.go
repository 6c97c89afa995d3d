package lease

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/netip"
	"strconv"
	"time"
	"unicode/utf8"
)

// State is the state of a lease, numbered as Kea numbers it in its lease
// files, its SQL schema and its control commands.
type State uint8

const (
	// StateDefault is an assigned (or offered) lease.
	StateDefault State = 0
	// StateDeclined is an address a client declined (DHCPDECLINE): it is
	// kept out of use for decline-probation-period, with no client identity.
	StateDeclined State = 1
	// StateExpiredReclaimed is an expired lease whose address was reclaimed.
	// It is kept for hold-reclaimed-time so that a returning client gets the
	// same address back.
	StateExpiredReclaimed State = 2
	// StateReleased is a lease the client released, kept for the same
	// reason (Kea 3.x).
	StateReleased State = 3
)

// String returns Kea's name for the state.
func (s State) String() string {
	switch s {
	case StateDefault:
		return "default"
	case StateDeclined:
		return "declined"
	case StateExpiredReclaimed:
		return "expired-reclaimed"
	case StateReleased:
		return "released"
	}
	return "state-" + strconv.Itoa(int(s))
}

// Valid reports whether s is a DHCPv4 lease state.
func (s State) Valid() bool { return s <= StateReleased }

// InfiniteLifetime is the valid lifetime of a lease that never expires
// (Kea's 0xffffffff).
const InfiniteLifetime = 0xffffffff

// Limits on the variable-length fields, enforced by [Lease.Validate].
const (
	MaxHWAddrLen      = 20    // Kea's HWAddr::MAX_HWADDR_LEN
	MaxClientIDLen    = 255   // an option's length
	MaxHostnameLen    = 255   // longer than any DNS name
	MaxUserContextLen = 16384 // JSON text
)

// HTypeEthernet is the ARP hardware type of Ethernet (RFC 1700), the type
// Kea assumes for hardware addresses read from its CSV files.
const HTypeEthernet = 1

// A Lease is one DHCPv4 lease. The zero Lease is not valid: it needs at
// least an IPv4 address.
type Lease struct {
	Addr     netip.Addr // IPv4 address, the primary key
	HWType   uint8      // ARP hardware type of HWAddr
	HWAddr   []byte     // client hardware address (chaddr), empty for a declined lease
	ClientID []byte     // client identifier (option 61), empty when the client sent none

	ValidLifetime uint32 // seconds; InfiniteLifetime for a lease that never expires
	CLTT          int64  // client last transmission time, Unix seconds

	SubnetID uint32
	PoolID   uint32

	FQDNFwd  bool   // a forward DNS update was done for Hostname
	FQDNRev  bool   // a reverse DNS update was done
	Hostname string // the client's name, as used for DDNS
	State    State

	UserContext string // a JSON object, or empty
}

// Expire returns when the lease expires, in Unix seconds: CLTT + ValidLifetime.
func (l *Lease) Expire() int64 { return l.CLTT + int64(l.ValidLifetime) }

// ExpireTime returns Expire as a time.
func (l *Lease) ExpireTime() time.Time { return time.Unix(l.Expire(), 0) }

// Expired reports whether the lease has expired at now (Unix seconds). A
// lease with an infinite lifetime never expires.
func (l *Lease) Expired(now int64) bool {
	return l.ValidLifetime != InfiniteLifetime && l.Expire() < now
}

// Clone returns a deep copy of l: its byte slices are its own.
func (l *Lease) Clone() Lease {
	c := *l
	c.HWAddr = bytes.Clone(l.HWAddr)
	c.ClientID = bytes.Clone(l.ClientID)
	return c
}

// Equal reports whether l and m hold the same values. A nil and an empty
// byte slice are equal.
func (l *Lease) Equal(m *Lease) bool {
	return l.Addr == m.Addr && l.HWType == m.HWType &&
		bytes.Equal(l.HWAddr, m.HWAddr) && bytes.Equal(l.ClientID, m.ClientID) &&
		l.ValidLifetime == m.ValidLifetime && l.CLTT == m.CLTT &&
		l.SubnetID == m.SubnetID && l.PoolID == m.PoolID &&
		l.FQDNFwd == m.FQDNFwd && l.FQDNRev == m.FQDNRev &&
		l.Hostname == m.Hostname && l.State == m.State &&
		l.UserContext == m.UserContext
}

// Validate reports what makes l unfit to store: an address that is not
// IPv4, an unknown state, a field longer than its limit, a hostname or user
// context that is not UTF-8, or a user context that is not a JSON object.
func (l *Lease) Validate() error {
	if !l.Addr.Is4() {
		return fmt.Errorf("lease address %v is not an IPv4 address", l.Addr)
	}
	if !l.State.Valid() {
		return fmt.Errorf("lease %v: state %d is not a DHCPv4 lease state", l.Addr, l.State)
	}
	if len(l.HWAddr) > MaxHWAddrLen {
		return fmt.Errorf("lease %v: hardware address is %d bytes long, more than %d", l.Addr, len(l.HWAddr), MaxHWAddrLen)
	}
	if len(l.ClientID) > MaxClientIDLen {
		return fmt.Errorf("lease %v: client identifier is %d bytes long, more than %d", l.Addr, len(l.ClientID), MaxClientIDLen)
	}
	if len(l.Hostname) > MaxHostnameLen {
		return fmt.Errorf("lease %v: hostname is %d bytes long, more than %d", l.Addr, len(l.Hostname), MaxHostnameLen)
	}
	if !utf8.ValidString(l.Hostname) {
		return fmt.Errorf("lease %v: hostname %q is not UTF-8", l.Addr, l.Hostname)
	}
	if len(l.UserContext) > MaxUserContextLen {
		return fmt.Errorf("lease %v: user context is %d bytes long, more than %d", l.Addr, len(l.UserContext), MaxUserContextLen)
	}
	if l.UserContext != "" {
		if err := CheckUserContext(l.UserContext); err != nil {
			return fmt.Errorf("lease %v: %w", l.Addr, err)
		}
	}
	return nil
}

// CheckUserContext reports whether s is a JSON object in UTF-8, as Kea
// requires of a lease's user context.
func CheckUserContext(s string) error {
	b := bytes.TrimLeft([]byte(s), " \t\r\n")
	if len(b) == 0 || b[0] != '{' || !utf8.Valid(b) || !json.Valid(b) {
		return fmt.Errorf("user context %q is not a JSON object", s)
	}
	return nil
}

// String returns a one-line summary of l for logs.
func (l *Lease) String() string {
	return fmt.Sprintf("%v hw=%x cid=%x subnet=%d valid=%d cltt=%d state=%v",
		l.Addr, l.HWAddr, l.ClientID, l.SubnetID, l.ValidLifetime, l.CLTT, l.State)
}
