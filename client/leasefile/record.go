package leasefile

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"hash/crc32"
	"net"
	"net/netip"
	"slices"
	"strings"
	"time"

	"github.com/leased/leased/client"
)

// Version is the record format this package writes and reads.
const Version = 1

var magic = [4]byte{'L', 'D', 'C', '4'}

const (
	headerLen  = 12
	trailerLen = 4
	// MaxRecordLen bounds a record; real ones are a few hundred bytes.
	MaxRecordLen = 64 << 10
)

// Field types of version 1. Addresses are 4 bytes; durations are seconds
// as 4-byte integers; times are Unix nanoseconds as 8-byte signed integers.
const (
	fieldInterface = 1  // interface name
	fieldHWAddr    = 2  // hardware address, 1-16 bytes
	fieldClientID  = 3  // client identifier, 0-255 bytes
	fieldAddress   = 4  // address and prefix length: 5 bytes
	fieldRouters   = 5  // 4 bytes each
	fieldDNS       = 6  // 4 bytes each
	fieldDomain    = 7  // domain name
	fieldMTU       = 8  // 2 bytes
	fieldRoutes    = 9  // prefix length, destination, gateway: 9 bytes each
	fieldServerID  = 10 // 4 bytes
	fieldTimers    = 11 // lease time, T1, T2: 12 bytes
	fieldObtained  = 12 // 8 bytes
	fieldExpires   = 13 // 8 bytes
	fieldBootID    = 14 // 16 bytes
)

// Record is what is stored for one interface.
type Record struct {
	Interface    string
	HardwareAddr net.HardwareAddr
	// BootID is the kernel's boot ID (/proc/sys/kernel/random/boot_id) when
	// the lease was stored; a different one at load time means the machine
	// rebooted since. Zero if unknown.
	BootID [16]byte
	Lease  client.Lease
}

// Errors wrapped by Unmarshal's errors.
var (
	ErrCorrupt = errors.New("lease record corrupt")
	ErrVersion = errors.New("lease record of an unknown version")
)

func corrupt(format string, a ...any) error {
	return fmt.Errorf("%w: %s", ErrCorrupt, fmt.Sprintf(format, a...))
}

// ValidInterfaceName reports whether name can be a Linux interface name
// and so a file name here: 1 to 15 bytes, no '/', NUL or white space, not
// "." or "..".
func ValidInterfaceName(name string) bool {
	if name == "" || len(name) > 15 || name == "." || name == ".." {
		return false
	}
	return !strings.ContainsAny(name, "/\x00 \t\n\r:")
}

// Validate checks what Marshal and Unmarshal require.
func (r *Record) Validate() error {
	if !ValidInterfaceName(r.Interface) {
		return fmt.Errorf("interface name %q is not valid", r.Interface)
	}
	if len(r.HardwareAddr) > 16 {
		return fmt.Errorf("hardware address of %d bytes", len(r.HardwareAddr))
	}
	if len(r.Lease.ClientID) > 255 {
		return fmt.Errorf("client identifier of %d bytes", len(r.Lease.ClientID))
	}
	if err := r.Lease.Validate(); err != nil {
		return err
	}
	if r.Lease.LeaseTime%time.Second != 0 {
		return errors.New("lease time is not a whole number of seconds")
	}
	if y := r.Lease.Obtained.Year(); y < 1970 || y > 2200 {
		return fmt.Errorf("time obtained %v out of range", r.Lease.Obtained)
	}
	if r.Lease.LeaseTime > client.InfiniteLease {
		return fmt.Errorf("lease time %v too long", r.Lease.LeaseTime)
	}
	for _, rt := range r.Lease.Routes {
		if !rt.Dest.Addr().Is4() || !rt.Gateway.Is4() {
			return fmt.Errorf("route %v via %v is not IPv4", rt.Dest, rt.Gateway)
		}
	}
	for _, a := range slices.Concat(r.Lease.Routers, r.Lease.DNS) {
		if !a.Is4() {
			return fmt.Errorf("address %v is not IPv4", a)
		}
	}
	if len(r.Lease.DomainName) > 255 {
		return errors.New("domain name longer than 255 bytes")
	}
	if len(r.Lease.Routers) > 63 || len(r.Lease.DNS) > 63 || len(r.Lease.Routes) > 255 {
		return errors.New("too many routers, name servers or routes")
	}
	return nil
}

// Marshal encodes r. It fails only for a record Validate rejects.
func Marshal(r *Record) ([]byte, error) {
	if err := r.Validate(); err != nil {
		return nil, fmt.Errorf("lease record for %s: %w", r.Interface, err)
	}
	l := &r.Lease
	b := make([]byte, headerLen, 256)
	copy(b, magic[:])
	binary.BigEndian.PutUint16(b[4:], Version)
	field := func(t byte, v []byte) {
		b = append(b, t)
		b = binary.BigEndian.AppendUint16(b, uint16(len(v)))
		b = append(b, v...)
	}
	addrs := func(as []netip.Addr) []byte {
		var v []byte
		for _, a := range as {
			a4 := a.As4()
			v = append(v, a4[:]...)
		}
		return v
	}
	field(fieldInterface, []byte(r.Interface))
	if len(r.HardwareAddr) > 0 {
		field(fieldHWAddr, r.HardwareAddr)
	}
	if l.ClientID != nil {
		field(fieldClientID, l.ClientID)
	}
	a4 := l.Address.Addr().As4()
	field(fieldAddress, append(a4[:], byte(l.Address.Bits())))
	if len(l.Routers) > 0 {
		field(fieldRouters, addrs(l.Routers))
	}
	if len(l.DNS) > 0 {
		field(fieldDNS, addrs(l.DNS))
	}
	if l.DomainName != "" {
		field(fieldDomain, []byte(l.DomainName))
	}
	if l.MTU != 0 {
		field(fieldMTU, binary.BigEndian.AppendUint16(nil, l.MTU))
	}
	if len(l.Routes) > 0 {
		var v []byte
		for _, rt := range l.Routes {
			d, g := rt.Dest.Masked().Addr().As4(), rt.Gateway.As4()
			v = append(v, byte(rt.Dest.Bits()))
			v = append(v, d[:]...)
			v = append(v, g[:]...)
		}
		field(fieldRoutes, v)
	}
	s4 := l.ServerID.As4()
	field(fieldServerID, s4[:])
	var tv []byte
	// T1 and T2 are rounded down to whole seconds, which keeps them in
	// order and renews early rather than late.
	for _, d := range []time.Duration{l.LeaseTime, l.T1, l.T2} {
		tv = binary.BigEndian.AppendUint32(tv, uint32(d/time.Second))
	}
	field(fieldTimers, tv)
	field(fieldObtained, binary.BigEndian.AppendUint64(nil, uint64(l.Obtained.UnixNano())))
	field(fieldExpires, binary.BigEndian.AppendUint64(nil, uint64(l.Expires().UnixNano())))
	if r.BootID != ([16]byte{}) {
		field(fieldBootID, r.BootID[:])
	}
	binary.BigEndian.PutUint32(b[8:], uint32(len(b)-headerLen))
	return binary.BigEndian.AppendUint32(b, crc32c(b)), nil
}

var castagnoli = crc32.MakeTable(crc32.Castagnoli)

// Unmarshal decodes a record, checking its framing, checksum and every
// field. Errors wrap ErrCorrupt or ErrVersion.
func Unmarshal(b []byte) (*Record, error) {
	switch {
	case len(b) == 0:
		return nil, corrupt("empty file")
	case len(b) < headerLen+trailerLen:
		return nil, corrupt("%d bytes, shorter than header and checksum", len(b))
	case !bytes.Equal(b[:4], magic[:]):
		return nil, corrupt("bad magic %q", b[:4])
	case len(b) > MaxRecordLen:
		return nil, corrupt("%d bytes, longer than %d", len(b), MaxRecordLen)
	}
	if v := binary.BigEndian.Uint16(b[4:]); v != Version {
		return nil, fmt.Errorf("%w: version %d, this build reads %d", ErrVersion, v, Version)
	}
	n := int(binary.BigEndian.Uint32(b[8:]))
	if n != len(b)-headerLen-trailerLen {
		return nil, corrupt("payload length %d, file holds %d (truncated or extended)", n, len(b)-headerLen-trailerLen)
	}
	if want, got := binary.BigEndian.Uint32(b[len(b)-trailerLen:]), crc32c(b[:len(b)-trailerLen]); want != got {
		return nil, corrupt("checksum %#08x, computed %#08x", want, got)
	}
	if binary.BigEndian.Uint16(b[6:]) != 0 {
		return nil, corrupt("reserved header bits set")
	}
	r, err := decodeFields(b[headerLen : len(b)-trailerLen])
	if err != nil {
		return nil, err
	}
	if err := r.Validate(); err != nil {
		return nil, corrupt("%v", err)
	}
	return r, nil
}

func decodeFields(p []byte) (*Record, error) {
	r := &Record{}
	l := &r.Lease
	var seen [256]bool
	var expires int64
	for len(p) > 0 {
		if len(p) < 3 {
			return nil, corrupt("field header cut short")
		}
		t, n := p[0], int(binary.BigEndian.Uint16(p[1:]))
		if 3+n > len(p) {
			return nil, corrupt("field %d of %d bytes runs past the payload", t, n)
		}
		v := p[3 : 3+n]
		p = p[3+n:]
		if seen[t] {
			return nil, corrupt("field %d repeated", t)
		}
		seen[t] = true
		size := func(want int) error {
			if n != want {
				return corrupt("field %d is %d bytes, want %d", t, n, want)
			}
			return nil
		}
		multiple := func(unit int) error {
			if n == 0 || n%unit != 0 {
				return corrupt("field %d is %d bytes, want a positive multiple of %d", t, n, unit)
			}
			return nil
		}
		var err error
		switch t {
		case fieldInterface:
			r.Interface = string(v)
		case fieldHWAddr:
			if n == 0 || n > 16 {
				err = corrupt("hardware address of %d bytes", n)
			}
			r.HardwareAddr = bytes.Clone(v)
		case fieldClientID:
			l.ClientID = bytes.Clone(v)
		case fieldAddress:
			if err = size(5); err == nil {
				if v[4] > 32 {
					err = corrupt("prefix length %d", v[4])
				}
				l.Address = netip.PrefixFrom(netip.AddrFrom4([4]byte(v[:4])), int(v[4]))
			}
		case fieldRouters:
			if err = multiple(4); err == nil {
				l.Routers = decodeAddrs(v)
			}
		case fieldDNS:
			if err = multiple(4); err == nil {
				l.DNS = decodeAddrs(v)
			}
		case fieldDomain:
			l.DomainName = string(v)
		case fieldMTU:
			if err = size(2); err == nil {
				l.MTU = binary.BigEndian.Uint16(v)
			}
		case fieldRoutes:
			if err = multiple(9); err == nil {
				for i := 0; i < n; i += 9 {
					bits := int(v[i])
					dst, perr := netip.AddrFrom4([4]byte(v[i+1 : i+5])).Prefix(bits)
					if perr != nil {
						return nil, corrupt("route prefix length %d", bits)
					}
					l.Routes = append(l.Routes, client.Route{Dest: dst, Gateway: netip.AddrFrom4([4]byte(v[i+5 : i+9]))})
				}
			}
		case fieldServerID:
			if err = size(4); err == nil {
				l.ServerID = netip.AddrFrom4([4]byte(v))
			}
		case fieldTimers:
			if err = size(12); err == nil {
				l.LeaseTime = time.Duration(binary.BigEndian.Uint32(v[0:])) * time.Second
				l.T1 = time.Duration(binary.BigEndian.Uint32(v[4:])) * time.Second
				l.T2 = time.Duration(binary.BigEndian.Uint32(v[8:])) * time.Second
			}
		case fieldObtained:
			if err = size(8); err == nil {
				l.Obtained = time.Unix(0, int64(binary.BigEndian.Uint64(v))).UTC()
			}
		case fieldExpires:
			if err = size(8); err == nil {
				expires = int64(binary.BigEndian.Uint64(v))
			}
		case fieldBootID:
			if err = size(16); err == nil {
				r.BootID = [16]byte(v)
			}
		default:
			err = corrupt("unknown field type %d", t)
		}
		if err != nil {
			return nil, err
		}
	}
	for _, t := range []byte{fieldInterface, fieldAddress, fieldServerID, fieldTimers, fieldObtained, fieldExpires} {
		if !seen[t] {
			return nil, corrupt("required field %d missing", t)
		}
	}
	// The stored expiry is redundant on purpose: it must agree with the
	// time obtained plus the lease time, or one of them is damaged.
	if l.Obtained.Add(l.LeaseTime).UnixNano() != expires {
		return nil, corrupt("expiry %v does not match obtained %v plus lease %v", time.Unix(0, expires).UTC(), l.Obtained, l.LeaseTime)
	}
	return r, nil
}

func decodeAddrs(v []byte) []netip.Addr {
	out := make([]netip.Addr, 0, len(v)/4)
	for i := 0; i+4 <= len(v); i += 4 {
		out = append(out, netip.AddrFrom4([4]byte(v[i:i+4])))
	}
	return out
}

func crc32c(b []byte) uint32 { return crc32.Checksum(b, castagnoli) }
