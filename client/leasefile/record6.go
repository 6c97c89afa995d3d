package leasefile

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"net"
	"net/netip"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/leased/leased/client6"
	"github.com/leased/leased/dhcpv6"
)

// A DHCPv6 client's binding is stored the same way as a DHCPv4 lease, in
// <dir>/<interface>.v6.lease, with its own magic "LDC6", the same header,
// field framing and CRC-32C trailer, and these fields. Times are Unix
// nanoseconds and durations nanoseconds, as 8-byte integers (a lifetime
// carried over from an earlier Reply is not a whole number of seconds);
// RFC 8415's infinity is stored as the duration client6.Infinite.
const (
	field6Interface = 1  // interface name
	field6HWAddr    = 2  // hardware address, 1-16 bytes
	field6ClientID  = 3  // the client's DUID
	field6ServerID  = 4  // the server's DUID
	field6Unicast   = 5  // the server's unicast address: 16 bytes
	field6Received  = 6  // time of the last Reply: 8 bytes
	field6IANA      = 7  // IAID (4), T1, T2 (8 each), time received (8); per address: address (16), preferred, valid (8 each)
	field6IAPD      = 8  // as IANA; per prefix: length (1), prefix (16), preferred, valid (8 each)
	field6DNS       = 9  // 16 bytes each
	field6Domains   = 10 // domain names in DNS wire format
	field6NTP       = 11 // 16 bytes each
	field6NTPNames  = 12 // domain names in DNS wire format
	field6ReconfKey = 13 // reconfigure key
	field6BootID    = 14 // 16 bytes
)

// Suffix6 is the suffix of DHCPv6 lease files.
const Suffix6 = ".v6.lease"

var magic6 = [4]byte{'L', 'D', 'C', '6'}

// Record6 is what is stored for one interface's DHCPv6 client.
type Record6 struct {
	Interface    string
	HardwareAddr net.HardwareAddr
	BootID       [16]byte
	Binding      client6.Binding
}

// Validate checks what Marshal6 and Unmarshal6 require.
func (r *Record6) Validate() error {
	if !ValidInterfaceName(r.Interface) {
		return fmt.Errorf("interface name %q is not valid", r.Interface)
	}
	if len(r.HardwareAddr) > 16 {
		return fmt.Errorf("hardware address of %d bytes", len(r.HardwareAddr))
	}
	b := &r.Binding
	if err := b.Validate(); err != nil {
		return err
	}
	if y := b.Received.Year(); y < 1970 || y > 2200 {
		return fmt.Errorf("time received %v out of range", b.Received)
	}
	if b.Unicast.IsValid() && (!b.Unicast.Is6() || b.Unicast.Zone() != "") {
		return fmt.Errorf("server unicast address %v is not IPv6", b.Unicast)
	}
	for _, ias := range [][]client6.IA{b.IANA, b.IAPD} {
		for _, ia := range ias {
			if y := ia.Received.Year(); y < 1970 || y > 2200 {
				return fmt.Errorf("IA %d received %v, out of range", ia.IAID, ia.Received)
			}
			if len(ia.Addresses) > 1000 || len(ia.Prefixes) > 1000 {
				return fmt.Errorf("IA %d has too many leases", ia.IAID)
			}
			for _, d := range []time.Duration{ia.T1, ia.T2} {
				if d > client6.Infinite {
					return fmt.Errorf("IA %d: time %v above infinity", ia.IAID, d)
				}
			}
			for _, a := range ia.Addresses {
				if a.Valid > client6.Infinite || a.Addr.Zone() != "" {
					return fmt.Errorf("IA %d: address %v valid for %v", ia.IAID, a.Addr, a.Valid)
				}
			}
			for _, p := range ia.Prefixes {
				if p.Valid > client6.Infinite {
					return fmt.Errorf("IA %d: prefix %v valid for %v", ia.IAID, p.Prefix, p.Valid)
				}
			}
		}
	}
	for _, a := range append(append([]netip.Addr(nil), b.DNS...), b.NTP...) {
		if !a.Is6() || a.Is4In6() || a.Zone() != "" {
			return fmt.Errorf("server address %v is not IPv6", a)
		}
	}
	for _, n := range append(append([]string(nil), b.Domains...), b.NTPNames...) {
		if _, err := dhcpv6.EncodeDomainName(nil, n); err != nil {
			return fmt.Errorf("domain name %q: %w", n, err)
		}
	}
	if len(b.ReconfigureKey) > 255 || len(b.DNS) > 255 || len(b.NTP) > 255 {
		return fmt.Errorf("reconfigure key, DNS or NTP servers too long")
	}
	return nil
}

// Marshal6 encodes r. It fails only for a record Validate rejects.
func Marshal6(r *Record6) ([]byte, error) {
	if err := r.Validate(); err != nil {
		return nil, fmt.Errorf("DHCPv6 lease record for %s: %w", r.Interface, err)
	}
	b := &r.Binding
	out := make([]byte, headerLen, 512)
	copy(out, magic6[:])
	binary.BigEndian.PutUint16(out[4:], Version)
	field := func(t byte, v []byte) {
		out = append(out, t)
		out = binary.BigEndian.AppendUint16(out, uint16(len(v)))
		out = append(out, v...)
	}
	u64 := func(dst []byte, v int64) []byte { return binary.BigEndian.AppendUint64(dst, uint64(v)) }
	addrs := func(as []netip.Addr) []byte {
		var v []byte
		for _, a := range as {
			a16 := a.As16()
			v = append(v, a16[:]...)
		}
		return v
	}
	names := func(ns []string) []byte {
		var v []byte
		for _, n := range ns {
			v, _ = dhcpv6.EncodeDomainName(v, n) // checked by Validate
		}
		return v
	}
	field(field6Interface, []byte(r.Interface))
	if len(r.HardwareAddr) > 0 {
		field(field6HWAddr, r.HardwareAddr)
	}
	field(field6ClientID, b.ClientID)
	field(field6ServerID, b.ServerID)
	if b.Unicast.IsValid() {
		field(field6Unicast, addrs([]netip.Addr{b.Unicast}))
	}
	field(field6Received, u64(nil, b.Received.UnixNano()))
	iaHead := func(ia client6.IA) []byte {
		v := binary.BigEndian.AppendUint32(nil, ia.IAID)
		v = u64(v, int64(ia.T1))
		v = u64(v, int64(ia.T2))
		return u64(v, ia.Received.UnixNano())
	}
	for _, ia := range b.IANA {
		v := iaHead(ia)
		for _, a := range ia.Addresses {
			a16 := a.Addr.As16()
			v = append(v, a16[:]...)
			v = u64(v, int64(a.Preferred))
			v = u64(v, int64(a.Valid))
		}
		field(field6IANA, v)
	}
	for _, ia := range b.IAPD {
		v := iaHead(ia)
		for _, p := range ia.Prefixes {
			a16 := p.Prefix.Addr().As16()
			v = append(v, byte(p.Prefix.Bits()))
			v = append(v, a16[:]...)
			v = u64(v, int64(p.Preferred))
			v = u64(v, int64(p.Valid))
		}
		field(field6IAPD, v)
	}
	if len(b.DNS) > 0 {
		field(field6DNS, addrs(b.DNS))
	}
	if len(b.Domains) > 0 {
		field(field6Domains, names(b.Domains))
	}
	if len(b.NTP) > 0 {
		field(field6NTP, addrs(b.NTP))
	}
	if len(b.NTPNames) > 0 {
		field(field6NTPNames, names(b.NTPNames))
	}
	if len(b.ReconfigureKey) > 0 {
		field(field6ReconfKey, b.ReconfigureKey)
	}
	if r.BootID != [16]byte{} {
		field(field6BootID, r.BootID[:])
	}
	if len(out)-headerLen > MaxRecordLen-headerLen-trailerLen {
		return nil, fmt.Errorf("DHCPv6 lease record for %s: %d bytes, longer than %d", r.Interface, len(out), MaxRecordLen)
	}
	binary.BigEndian.PutUint32(out[8:], uint32(len(out)-headerLen))
	return binary.BigEndian.AppendUint32(out, crc32c(out)), nil
}

// Unmarshal6 decodes a DHCPv6 record, checking its framing, checksum and
// every field. Errors wrap ErrCorrupt or ErrVersion.
func Unmarshal6(b []byte) (*Record6, error) {
	switch {
	case len(b) == 0:
		return nil, corrupt("empty file")
	case len(b) < headerLen+trailerLen:
		return nil, corrupt("%d bytes, shorter than header and checksum", len(b))
	case !bytes.Equal(b[:4], magic6[:]):
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
	r, err := decodeFields6(b[headerLen : len(b)-trailerLen])
	if err != nil {
		return nil, err
	}
	if err := r.Validate(); err != nil {
		return nil, corrupt("%v", err)
	}
	return r, nil
}

func decodeFields6(p []byte) (*Record6, error) {
	r := &Record6{}
	b := &r.Binding
	var seen [256]bool
	i64 := func(v []byte) int64 { return int64(binary.BigEndian.Uint64(v)) }
	utc := func(v []byte) time.Time { return time.Unix(0, i64(v)).UTC() }
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
		if seen[t] && t != field6IANA && t != field6IAPD {
			return nil, corrupt("field %d repeated", t)
		}
		seen[t] = true
		multiple := func(head, unit int) error {
			if n < head || (n-head)%unit != 0 || (head == 0 && n == 0) {
				return corrupt("field %d is %d bytes, want %d and a multiple of %d", t, n, head, unit)
			}
			return nil
		}
		var err error
		switch t {
		case field6Interface:
			r.Interface = string(v)
		case field6HWAddr:
			if n == 0 || n > 16 {
				err = corrupt("hardware address of %d bytes", n)
			}
			r.HardwareAddr = bytes.Clone(v)
		case field6ClientID:
			b.ClientID = bytes.Clone(v)
		case field6ServerID:
			b.ServerID = bytes.Clone(v)
		case field6Unicast:
			if n != 16 {
				err = corrupt("unicast address of %d bytes", n)
			} else {
				b.Unicast = netip.AddrFrom16([16]byte(v))
			}
		case field6Received:
			if n != 8 {
				err = corrupt("time received of %d bytes", n)
			} else {
				b.Received = utc(v)
			}
		case field6IANA, field6IAPD:
			unit := 32
			if t == field6IAPD {
				unit = 33
			}
			if err = multiple(28, unit); err != nil {
				break
			}
			ia := client6.IA{
				IAID: binary.BigEndian.Uint32(v), T1: time.Duration(i64(v[4:])), T2: time.Duration(i64(v[12:])), Received: utc(v[20:]),
			}
			for e := v[28:]; len(e) > 0; e = e[unit:] {
				if t == field6IANA {
					ia.Addresses = append(ia.Addresses, client6.Address{
						Addr: netip.AddrFrom16([16]byte(e[:16])), Preferred: time.Duration(i64(e[16:])), Valid: time.Duration(i64(e[24:])),
					})
					continue
				}
				pfx, perr := netip.AddrFrom16([16]byte(e[1:17])).Prefix(int(e[0]))
				if perr != nil || pfx.Addr() != netip.AddrFrom16([16]byte(e[1:17])) {
					return nil, corrupt("delegated prefix of length %d", e[0])
				}
				ia.Prefixes = append(ia.Prefixes, client6.Prefix{Prefix: pfx, Preferred: time.Duration(i64(e[17:])), Valid: time.Duration(i64(e[25:]))})
			}
			if t == field6IANA {
				b.IANA = append(b.IANA, ia)
			} else {
				b.IAPD = append(b.IAPD, ia)
			}
		case field6DNS, field6NTP:
			if err = multiple(0, 16); err == nil {
				var as []netip.Addr
				for i := 0; i < n; i += 16 {
					as = append(as, netip.AddrFrom16([16]byte(v[i:i+16])))
				}
				if t == field6DNS {
					b.DNS = as
				} else {
					b.NTP = as
				}
			}
		case field6Domains, field6NTPNames:
			var ns []string
			if ns, err = dhcpv6.DecodeDomainNames(v, nil); err != nil || len(ns) == 0 {
				err = corrupt("field %d: malformed domain names", t)
			} else if t == field6Domains {
				b.Domains = ns
			} else {
				b.NTPNames = ns
			}
		case field6ReconfKey:
			b.ReconfigureKey = bytes.Clone(v)
		case field6BootID:
			if n != 16 {
				err = corrupt("boot ID of %d bytes", n)
			} else {
				r.BootID = [16]byte(v)
			}
		default:
			err = corrupt("unknown field type %d", t)
		}
		if err != nil {
			return nil, err
		}
	}
	for _, t := range []byte{field6Interface, field6ClientID, field6ServerID, field6Received} {
		if !seen[t] {
			return nil, corrupt("required field %d missing", t)
		}
	}
	return r, nil
}

// File6 returns the path of the DHCPv6 lease file of iface.
func (d *Dir) File6(iface string) string { return filepath.Join(d.path, iface+Suffix6) }

// Save6 stores r atomically as the DHCPv6 binding of r.Interface.
func (d *Dir) Save6(r *Record6) error {
	b, err := Marshal6(r)
	if err != nil {
		return err
	}
	return d.saveFile(r.Interface, d.File6(r.Interface), b)
}

// Load6 reads the DHCPv6 binding of iface, as Load reads a lease: an
// error wrapping fs.ErrNotExist when there is none, and a file that does
// not hold a valid record of iface moved to <file>.corrupt. The DHCPv4
// file of the same interface is not touched.
func (d *Dir) Load6(iface string) (*Record6, error) {
	if !ValidInterfaceName(iface) {
		return nil, fmt.Errorf("interface name %q is not valid", iface)
	}
	var r *Record6
	err := d.loadFile(iface, d.File6(iface), func(b []byte) (string, error) {
		var err error
		r, err = Unmarshal6(b)
		if err != nil {
			return "", err
		}
		return r.Interface, nil
	})
	if err != nil {
		return nil, err
	}
	return r, nil
}

// Remove6 deletes the DHCPv6 binding of iface; it is not an error if
// there is none.
func (d *Dir) Remove6(iface string) error {
	if !ValidInterfaceName(iface) {
		return fmt.Errorf("interface name %q is not valid", iface)
	}
	return d.removeFile(iface, d.File6(iface))
}

// Store6 adapts a Dir to client6.Store for one interface.
type Store6 struct {
	Dir          *Dir
	Interface    string
	HardwareAddr []byte
	BootID       [16]byte
}

// Save stores b.
func (s *Store6) Save(b *client6.Binding) error {
	return s.Dir.Save6(&Record6{Interface: s.Interface, HardwareAddr: s.HardwareAddr, BootID: s.BootID, Binding: *b})
}

// Remove deletes the stored binding.
func (s *Store6) Remove() error { return s.Dir.Remove6(s.Interface) }

// Interfaces6 returns the interfaces that have a DHCPv6 lease file.
func (d *Dir) Interfaces6() ([]string, error) {
	d.mu.Lock()
	defer d.mu.Unlock()
	ents, err := os.ReadDir(d.path)
	if err != nil {
		return nil, fmt.Errorf("lease directory: %w", err)
	}
	var ifaces []string
	for _, e := range ents {
		if name := e.Name(); strings.HasSuffix(name, Suffix6) && e.Type().IsRegular() {
			if iface := strings.TrimSuffix(name, Suffix6); ValidInterfaceName(iface) {
				ifaces = append(ifaces, iface)
			}
		}
	}
	return ifaces, nil
}
