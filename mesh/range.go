package mesh

import (
	"encoding/binary"
	"fmt"
	"net/netip"

	"github.com/leased/leased/dhcpv4"
)

// A Range is the address range a swarm manages (ddhcpd's -N NET/LEN) cut
// into blocks of 2^pow addresses (-b POW).
//
// The prefix is kept exactly as given, not masked: -N 10.0.0.5/24 puts
// 0a000005 on the wire and starts block 0 at 10.0.0.5, as ddhcpd does.
// Address arithmetic is unsigned 32-bit and wraps, as in ddhcpd.
type Range struct {
	prefix uint32
	bits   uint8
	pow    uint8
}

// MaxBlockPow is the largest block-size power: the header carries the block
// size itself in one byte, so 2^7 = 128 is the largest that fits.
const MaxBlockPow = 7

// MinPrefixLen is the shortest prefix ddhcpd accepts.
const MinPrefixLen = 8

// NewRange validates and returns a range. prefix must be IPv4; bits must be
// in [8, 32]; pow in [0, 7]; and bits+pow must not exceed 32, so that there
// is at least one block.
func NewRange(prefix netip.Addr, bits, pow int) (Range, error) {
	if !prefix.Is4() {
		return Range{}, fmt.Errorf("mesh: range prefix %v is not an IPv4 address", prefix)
	}
	if bits < MinPrefixLen || bits > 32 {
		return Range{}, fmt.Errorf("mesh: range prefix length %d: must be between %d and 32", bits, MinPrefixLen)
	}
	if pow < 0 || pow > MaxBlockPow {
		return Range{}, fmt.Errorf("mesh: block size power %d: must be between 0 and %d", pow, MaxBlockPow)
	}
	if bits+pow > 32 {
		return Range{}, fmt.Errorf("mesh: a /%d range has no room for one block of 2^%d addresses", bits, pow)
	}
	return Range{prefix: dhcpv4.AddrToUint32(prefix), bits: uint8(bits), pow: uint8(pow)}, nil
}

// Prefix returns the prefix address exactly as configured.
func (r Range) Prefix() netip.Addr { return dhcpv4.Uint32ToAddr(r.prefix) }

// PrefixLen returns the configured prefix length.
func (r Range) PrefixLen() int { return int(r.bits) }

// BlockPow returns the block-size power.
func (r Range) BlockPow() int { return int(r.pow) }

// BlockSize returns the number of addresses in a block, 2^pow. This is the
// value carried in the header's block-size byte.
func (r Range) BlockSize() int { return 1 << r.pow }

// NumBlocks returns 2^(32 - len - pow).
func (r Range) NumBlocks() uint32 { return 1 << (32 - uint32(r.bits) - uint32(r.pow)) }

// Network returns the network address of the prefix (the prefix masked to
// its length) and Broadcast its all-ones host address. ddhcpd leases both
// when they fall inside a block; leased never does.
func (r Range) Network() netip.Addr { return dhcpv4.Uint32ToAddr(r.prefix & r.mask()) }

// Broadcast: see Network.
func (r Range) Broadcast() netip.Addr { return dhcpv4.Uint32ToAddr(r.prefix | ^r.mask()) }

func (r Range) mask() uint32 {
	if r.bits == 0 {
		return 0
	}
	return ^uint32(0) << (32 - uint32(r.bits))
}

// Mask returns the netmask of the prefix length as four bytes.
func (r Range) Mask() [4]byte {
	var m [4]byte
	binary.BigEndian.PutUint32(m[:], r.mask())
	return m
}

// Block returns the block holding addr and the address's index inside it.
// ok is false for non-IPv4 addresses and addresses outside the range.
func (r Range) Block(addr netip.Addr) (block uint32, index int, ok bool) {
	if !addr.Is4() {
		return 0, 0, false
	}
	return r.blockOf(dhcpv4.AddrToUint32(addr))
}

func (r Range) blockOf(a uint32) (uint32, int, bool) {
	off := a - r.prefix // unsigned, wraps like ddhcpd's
	b := off >> r.pow
	if b >= r.NumBlocks() {
		return 0, 0, false
	}
	return b, int(off & (1<<r.pow - 1)), true
}

// Contains reports whether addr lies in one of the range's blocks.
func (r Range) Contains(addr netip.Addr) bool {
	_, _, ok := r.Block(addr)
	return ok
}

// Addr returns address index of block (prefix + block*size + index). It does
// not check its arguments against the range.
func (r Range) Addr(block uint32, index int) netip.Addr {
	return dhcpv4.Uint32ToAddr(r.prefix + block<<r.pow + uint32(index))
}

// Matches reports whether a header belongs to this swarm: prefix bytes,
// prefix length and block size must all equal the local configuration,
// otherwise real nodes drop the packet as foreign.
func (r Range) Matches(h Header) bool {
	return h.Prefix == r.Prefix().As4() && h.PrefixLen == r.bits && h.BlockSize == uint8(r.BlockSize())
}

func (r Range) String() string {
	return fmt.Sprintf("%v/%d blocks of %d", r.Prefix(), r.bits, r.BlockSize())
}
