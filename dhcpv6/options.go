package dhcpv6

import (
	"encoding/binary"
	"errors"
	"iter"
	"net/netip"
	"strings"
)

// Errors of decoding. They are fixed values so that malformed input costs
// no allocation.
var (
	ErrTruncated      = errors.New("dhcpv6: message shorter than its fixed header")
	ErrOptionOverrun  = errors.New("dhcpv6: option length runs past the end of its container")
	ErrBadLength      = errors.New("dhcpv6: option shorter than its fixed fields")
	ErrTooDeep        = errors.New("dhcpv6: relay messages nested deeper than the hop count limit")
	ErrTooLong        = errors.New("dhcpv6: message longer than 65535 bytes")
	ErrBadDomainName  = errors.New("dhcpv6: malformed domain name")
	ErrBadStatusField = errors.New("dhcpv6: status code option shorter than 2 bytes")
)

// Options is a sequence of encoded options: a message's, or those
// encapsulated in an IA, IAADDR or IAPREFIX option. Its methods read the
// bytes in place; the slices they return alias them.
type Options []byte

// check verifies that o is a well-formed sequence of options, and, for
// the options that encapsulate others (IA_NA, IA_TA, IA_PD, IAADDR,
// IAPREFIX), that their fixed fields are there and their options are
// well formed too.
func (o Options) check() error {
	for len(o) > 0 {
		if len(o) < 4 {
			return ErrOptionOverrun
		}
		code := OptionCode(binary.BigEndian.Uint16(o))
		n := int(binary.BigEndian.Uint16(o[2:]))
		if 4+n > len(o) {
			return ErrOptionOverrun
		}
		if fixed := encapsulatedAt(code); fixed >= 0 {
			if n < fixed {
				return ErrBadLength
			}
			if err := Options(o[4+fixed : 4+n]).check(); err != nil {
				return err
			}
		}
		o = o[4+n:]
	}
	return nil
}

// encapsulatedAt returns where options start in the value of an option
// that encapsulates others, -1 for other options.
func encapsulatedAt(c OptionCode) int {
	switch c {
	case OptionIANA, OptionIAPD:
		return 12
	case OptionIATA:
		return 4
	case OptionIAAddr:
		return 24
	case OptionIAPrefix:
		return 25
	}
	return -1
}

// All iterates over the options in order, repeated codes included. It
// stops at the first malformed option, which a decoded message has none
// of.
func (o Options) All() iter.Seq2[OptionCode, []byte] {
	return func(yield func(OptionCode, []byte) bool) {
		for len(o) >= 4 {
			code := OptionCode(binary.BigEndian.Uint16(o))
			n := int(binary.BigEndian.Uint16(o[2:]))
			if 4+n > len(o) {
				return
			}
			if !yield(code, o[4:4+n:4+n]) {
				return
			}
			o = o[4+n:]
		}
	}
}

// Get returns the value of the first option with code c.
func (o Options) Get(c OptionCode) ([]byte, bool) {
	for code, v := range o.All() {
		if code == c {
			return v, true
		}
	}
	return nil, false
}

// Has reports whether an option with code c is present.
func (o Options) Has(c OptionCode) bool {
	_, ok := o.Get(c)
	return ok
}

// Values iterates over the values of every option with code c.
func (o Options) Values(c OptionCode) iter.Seq[[]byte] {
	return func(yield func([]byte) bool) {
		for code, v := range o.All() {
			if code == c && !yield(v) {
				return
			}
		}
	}
}

// Count returns how many options there are.
func (o Options) Count() int {
	n := 0
	for range o.All() {
		n++
	}
	return n
}

// ClientID returns the Client Identifier option's DUID.
func (o Options) ClientID() (DUID, bool) {
	v, ok := o.Get(OptionClientID)
	return DUID(v), ok
}

// ServerID returns the Server Identifier option's DUID.
func (o Options) ServerID() (DUID, bool) {
	v, ok := o.Get(OptionServerID)
	return DUID(v), ok
}

// Uint8 returns the value of a one-byte option such as Preference.
func (o Options) Uint8(c OptionCode) (uint8, bool) {
	v, ok := o.Get(c)
	if !ok || len(v) != 1 {
		return 0, false
	}
	return v[0], true
}

// Uint16 returns the value of a two-byte option such as Elapsed Time.
func (o Options) Uint16(c OptionCode) (uint16, bool) {
	v, ok := o.Get(c)
	if !ok || len(v) != 2 {
		return 0, false
	}
	return binary.BigEndian.Uint16(v), true
}

// Uint32 returns the value of a four-byte option such as SOL_MAX_RT.
func (o Options) Uint32(c OptionCode) (uint32, bool) {
	v, ok := o.Get(c)
	if !ok || len(v) != 4 {
		return 0, false
	}
	return binary.BigEndian.Uint32(v), true
}

// Preference returns the Preference option's value (0 without one, as
// RFC 8415 §18.2.9 says to treat its absence).
func (o Options) Preference() uint8 {
	p, _ := o.Uint8(OptionPreference)
	return p
}

// ElapsedTime returns the Elapsed Time option in hundredths of a second.
func (o Options) ElapsedTime() (uint16, bool) { return o.Uint16(OptionElapsedTime) }

// RapidCommit reports whether a Rapid Commit option is present.
func (o Options) RapidCommit() bool { return o.Has(OptionRapidCommit) }

// ReconfigureAccept reports whether a Reconfigure Accept option is present.
func (o Options) ReconfigureAccept() bool { return o.Has(OptionReconfigureAccept) }

// ReconfigureMessage returns the message type a Reconfigure asks for.
func (o Options) ReconfigureMessage() (MessageType, bool) {
	v, ok := o.Uint8(OptionReconfigureMsg)
	return MessageType(v), ok
}

// Unicast returns the Server Unicast option's address.
func (o Options) Unicast() (netip.Addr, bool) {
	v, ok := o.Get(OptionUnicast)
	if !ok || len(v) != 16 {
		return netip.Addr{}, false
	}
	return netip.AddrFrom16([16]byte(v)), true
}

// Status returns the Status Code option: its code and message. ok is
// false when there is none (which means Success) or it is too short.
func (o Options) Status() (code StatusCode, msg string, ok bool) {
	v, ok := o.Get(OptionStatusCode)
	if !ok || len(v) < 2 {
		return StatusSuccess, "", false
	}
	return StatusCode(binary.BigEndian.Uint16(v)), string(v[2:]), true
}

// StatusCode returns the status code, Success when there is no Status
// Code option (RFC 8415 §21.13).
func (o Options) StatusCode() StatusCode {
	c, _, _ := o.Status()
	return c
}

// ORO returns the option codes of the Option Request option appended to
// dst.
func (o Options) ORO(dst []OptionCode) []OptionCode {
	v, _ := o.Get(OptionORO)
	for i := 0; i+2 <= len(v); i += 2 {
		dst = append(dst, OptionCode(binary.BigEndian.Uint16(v[i:])))
	}
	return dst
}

// Addrs returns the IPv6 addresses of an option that holds a list of them
// (DNS Recursive Name Server, RFC 3646) appended to dst. ok is false if
// the option is absent or its length is not a multiple of 16.
func (o Options) Addrs(c OptionCode, dst []netip.Addr) ([]netip.Addr, bool) {
	v, ok := o.Get(c)
	if !ok || len(v)%16 != 0 {
		return dst, false
	}
	for i := 0; i < len(v); i += 16 {
		dst = append(dst, netip.AddrFrom16([16]byte(v[i:i+16])))
	}
	return dst, true
}

// DNSServers returns the DNS Recursive Name Server option's addresses.
func (o Options) DNSServers(dst []netip.Addr) ([]netip.Addr, bool) {
	return o.Addrs(OptionDNSServers, dst)
}

// DomainList returns the Domain Search List option's names (RFC 3646),
// without the trailing dot, appended to dst.
func (o Options) DomainList(dst []string) ([]string, error) {
	v, ok := o.Get(OptionDomainList)
	if !ok {
		return dst, nil
	}
	return DecodeDomainNames(v, dst)
}

// DecodeDomainNames reads a sequence of domain names in DNS wire format
// without compression (RFC 8415 §10), appending them to dst.
func DecodeDomainNames(b []byte, dst []string) ([]string, error) {
	var sb strings.Builder
	for len(b) > 0 {
		sb.Reset()
		for {
			if len(b) == 0 {
				return dst, ErrBadDomainName
			}
			n := int(b[0])
			if n == 0 {
				b = b[1:]
				break
			}
			if n > 63 || 1+n > len(b) {
				return dst, ErrBadDomainName
			}
			if sb.Len() > 0 {
				sb.WriteByte('.')
			}
			sb.Write(b[1 : 1+n])
			b = b[1+n:]
		}
		if sb.Len() == 0 {
			return dst, ErrBadDomainName
		}
		dst = append(dst, sb.String())
	}
	return dst, nil
}

// EncodeDomainName appends name in DNS wire format to dst.
func EncodeDomainName(dst []byte, name string) ([]byte, error) {
	name = strings.TrimSuffix(name, ".")
	if name == "" || len(name) > 253 {
		return dst, ErrBadDomainName
	}
	for label := range strings.SplitSeq(name, ".") {
		if label == "" || len(label) > 63 {
			return dst, ErrBadDomainName
		}
		dst = append(dst, byte(len(label)))
		dst = append(dst, label...)
	}
	return append(dst, 0), nil
}

// NTP server suboptions (RFC 5908 §4).
const (
	NTPSuboptionServerAddr    = 1
	NTPSuboptionMulticastAddr = 2
	NTPSuboptionServerFQDN    = 3
)

// NTPServers returns the NTP Server option's addresses (server and
// multicast suboptions) and names (FQDN suboptions), appended to addrs and
// names.
func (o Options) NTPServers(addrs []netip.Addr, names []string) ([]netip.Addr, []string, error) {
	for v := range o.Values(OptionNTPServer) {
		for code, sv := range Options(v).All() {
			switch code {
			case NTPSuboptionServerAddr, NTPSuboptionMulticastAddr:
				if len(sv) != 16 {
					return addrs, names, ErrBadLength
				}
				addrs = append(addrs, netip.AddrFrom16([16]byte(sv)))
			case NTPSuboptionServerFQDN:
				var err error
				if names, err = DecodeDomainNames(sv, names); err != nil {
					return addrs, names, err
				}
			}
		}
	}
	return addrs, names, nil
}

// IA is a decoded IA_NA, IA_TA or IA_PD option. For IA_TA, T1 and T2 are
// zero.
type IA struct {
	Code    OptionCode
	IAID    uint32
	T1, T2  uint32 // seconds
	Options Options
}

// ParseIA reads the value of an IA_NA, IA_TA or IA_PD option with code c.
func ParseIA(c OptionCode, v []byte) (IA, error) {
	fixed := encapsulatedAt(c)
	if (c != OptionIANA && c != OptionIATA && c != OptionIAPD) || len(v) < fixed {
		return IA{}, ErrBadLength
	}
	ia := IA{Code: c, IAID: binary.BigEndian.Uint32(v)}
	if c != OptionIATA {
		ia.T1 = binary.BigEndian.Uint32(v[4:])
		ia.T2 = binary.BigEndian.Uint32(v[8:])
	}
	ia.Options = Options(v[fixed:])
	return ia, nil
}

// IAs iterates over the options with code c (IA_NA, IA_TA or IA_PD). In
// a decoded message every one of them is well formed.
func (o Options) IAs(c OptionCode) iter.Seq[IA] {
	return func(yield func(IA) bool) {
		for v := range o.Values(c) {
			ia, err := ParseIA(c, v)
			if err != nil {
				continue
			}
			if !yield(ia) {
				return
			}
		}
	}
}

// IAAddress is a decoded IAADDR option.
type IAAddress struct {
	Addr      netip.Addr
	Preferred uint32 // seconds
	Valid     uint32
	Options   Options
}

// ParseIAAddress reads an IAADDR option's value.
func ParseIAAddress(v []byte) (IAAddress, error) {
	if len(v) < 24 {
		return IAAddress{}, ErrBadLength
	}
	return IAAddress{
		Addr:      netip.AddrFrom16([16]byte(v[:16])),
		Preferred: binary.BigEndian.Uint32(v[16:]),
		Valid:     binary.BigEndian.Uint32(v[20:]),
		Options:   Options(v[24:]),
	}, nil
}

// IAPrefix is a decoded IAPREFIX option. Prefix is as sent: the bits past
// its length are not cleared.
type IAPrefix struct {
	Preferred uint32
	Valid     uint32
	Prefix    netip.Prefix
	Options   Options
}

// ParseIAPrefix reads an IAPREFIX option's value. A prefix length over
// 128 is an error.
func ParseIAPrefix(v []byte) (IAPrefix, error) {
	if len(v) < 25 || v[8] > 128 {
		return IAPrefix{}, ErrBadLength
	}
	return IAPrefix{
		Preferred: binary.BigEndian.Uint32(v),
		Valid:     binary.BigEndian.Uint32(v[4:]),
		Prefix:    netip.PrefixFrom(netip.AddrFrom16([16]byte(v[9:25])), int(v[8])),
		Options:   Options(v[25:]),
	}, nil
}

// Addresses iterates over the IAADDR options of an IA.
func (ia IA) Addresses() iter.Seq[IAAddress] {
	return func(yield func(IAAddress) bool) {
		for v := range ia.Options.Values(OptionIAAddr) {
			a, err := ParseIAAddress(v)
			if err != nil {
				continue
			}
			if !yield(a) {
				return
			}
		}
	}
}

// Prefixes iterates over the IAPREFIX options of an IA_PD.
func (ia IA) Prefixes() iter.Seq[IAPrefix] {
	return func(yield func(IAPrefix) bool) {
		for v := range ia.Options.Values(OptionIAPrefix) {
			p, err := ParseIAPrefix(v)
			if err != nil {
				continue
			}
			if !yield(p) {
				return
			}
		}
	}
}
