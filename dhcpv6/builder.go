package dhcpv6

import (
	"encoding/binary"
	"errors"
	"net/netip"
)

// Errors reported by [Builder.Finish].
var (
	ErrBufferTooSmall = errors.New("dhcpv6: output buffer too small for the message")
	ErrValueTooLong   = errors.New("dhcpv6: option value longer than 65535 bytes")
	ErrNesting        = errors.New("dhcpv6: Begin and End of encapsulating options do not pair up")
	ErrNotStarted     = errors.New("dhcpv6: Builder used before Begin")
	ErrNotIPv6        = errors.New("dhcpv6: address is not IPv6")
)

// maxDepth bounds how deeply a Builder nests options: IA, IAADDR or
// IAPREFIX, and their options, with room to spare.
const maxDepth = 8

// Builder writes a DHCPv6 message into a caller's buffer. Start it with
// [Builder.Begin] or [Builder.BeginRelay], add options (an option that
// encapsulates others is opened with one of the Begin methods and closed
// with [Builder.End]), then call [Builder.Finish]. The first error sticks
// and is returned by Finish. Building allocates nothing; the zero Builder
// is ready to use, and a Builder is not safe for concurrent use.
type Builder struct {
	buf   []byte
	open  [maxDepth]int // offsets of the option headers being written
	depth int
	err   error
}

// Begin starts a client or server message of type mt with transaction id
// xid (its low 24 bits) in buf, whose capacity bounds the message.
func (b *Builder) Begin(buf []byte, mt MessageType, xid uint32) {
	b.start(buf)
	if h := b.grow(HeaderLen); h != nil {
		h[0] = byte(mt)
		putUint24(h[1:], xid)
	}
}

// BeginRelay starts a relay message (Relay-forward or Relay-reply).
func (b *Builder) BeginRelay(buf []byte, mt MessageType, hops uint8, link, peer netip.Addr) {
	b.start(buf)
	if !link.Is6() || !peer.Is6() {
		b.fail(ErrNotIPv6)
		return
	}
	if h := b.grow(RelayHeaderLen); h != nil {
		h[0], h[1] = byte(mt), hops
		l, p := link.As16(), peer.As16()
		copy(h[2:18], l[:])
		copy(h[18:34], p[:])
	}
}

func (b *Builder) start(buf []byte) {
	b.buf = buf[:0]
	b.depth = 0
	b.err = nil
}

func (b *Builder) fail(err error) {
	if b.err == nil {
		b.err = err
	}
}

// grow extends the message by n bytes and returns them, nil (with the
// error set) if they do not fit.
func (b *Builder) grow(n int) []byte {
	if b.err != nil {
		return nil
	}
	if b.buf == nil {
		b.fail(ErrNotStarted)
		return nil
	}
	l := len(b.buf)
	if l+n > cap(b.buf) {
		b.fail(ErrBufferTooSmall)
		return nil
	}
	b.buf = b.buf[:l+n]
	return b.buf[l:]
}

func (b *Builder) header(c OptionCode, n int) []byte {
	if n > 0xffff {
		b.fail(ErrValueTooLong)
		return nil
	}
	h := b.grow(4 + n)
	if h == nil {
		return nil
	}
	binary.BigEndian.PutUint16(h, uint16(c))
	binary.BigEndian.PutUint16(h[2:], uint16(n))
	return h[4:]
}

// AddOption adds an option with value v.
func (b *Builder) AddOption(c OptionCode, v []byte) {
	if d := b.header(c, len(v)); d != nil {
		copy(d, v)
	}
}

// AddEmpty adds an option without a value, such as Rapid Commit.
func (b *Builder) AddEmpty(c OptionCode) { b.header(c, 0) }

// AddUint8 adds a one-byte option.
func (b *Builder) AddUint8(c OptionCode, v uint8) {
	if d := b.header(c, 1); d != nil {
		d[0] = v
	}
}

// AddUint16 adds a two-byte option.
func (b *Builder) AddUint16(c OptionCode, v uint16) {
	if d := b.header(c, 2); d != nil {
		binary.BigEndian.PutUint16(d, v)
	}
}

// AddUint32 adds a four-byte option.
func (b *Builder) AddUint32(c OptionCode, v uint32) {
	if d := b.header(c, 4); d != nil {
		binary.BigEndian.PutUint32(d, v)
	}
}

// AddAddrs adds an option holding a list of IPv6 addresses.
func (b *Builder) AddAddrs(c OptionCode, addrs ...netip.Addr) {
	for _, a := range addrs {
		if !a.Is6() || a.Zone() != "" {
			b.fail(ErrNotIPv6)
			return
		}
	}
	d := b.header(c, 16*len(addrs))
	if d == nil {
		return
	}
	for i, a := range addrs {
		a16 := a.As16()
		copy(d[16*i:], a16[:])
	}
}

// AddORO adds an Option Request option.
func (b *Builder) AddORO(codes ...OptionCode) {
	d := b.header(OptionORO, 2*len(codes))
	if d == nil {
		return
	}
	for i, c := range codes {
		binary.BigEndian.PutUint16(d[2*i:], uint16(c))
	}
}

// AddStatus adds a Status Code option.
func (b *Builder) AddStatus(code StatusCode, msg string) {
	if d := b.header(OptionStatusCode, 2+len(msg)); d != nil {
		binary.BigEndian.PutUint16(d, uint16(code))
		copy(d[2:], msg)
	}
}

// AddDomainList adds a Domain Search List option (RFC 3646).
func (b *Builder) AddDomainList(names ...string) {
	b.beginOption(OptionDomainList, 0)
	var name [256]byte // an encoded name has at most 255 bytes
	for _, n := range names {
		enc, err := EncodeDomainName(name[:0], n)
		if err != nil {
			b.fail(err)
			return
		}
		if d := b.grow(len(enc)); d != nil {
			copy(d, enc)
		}
	}
	b.End()
}

// beginOption writes the header of an option whose length End fills in,
// and fixed bytes of its value, which it returns.
func (b *Builder) beginOption(c OptionCode, fixed int) []byte {
	if b.err == nil && b.depth == maxDepth {
		b.fail(ErrNesting)
	}
	h := b.grow(4 + fixed)
	if h == nil {
		return nil
	}
	binary.BigEndian.PutUint16(h, uint16(c))
	b.open[b.depth] = len(b.buf) - 4 - fixed
	b.depth++
	return h[4:]
}

// BeginOption opens an option that encapsulates others written next
// (such as an NTP Server option's suboptions); End closes it.
func (b *Builder) BeginOption(c OptionCode) { b.beginOption(c, 0) }

// BeginIA opens an IA_NA or IA_PD option (or IA_TA, whose T1 and T2 are
// ignored); its IAADDR or IAPREFIX options follow, then End.
func (b *Builder) BeginIA(c OptionCode, iaid, t1, t2 uint32) {
	switch c {
	case OptionIANA, OptionIAPD:
		if d := b.beginOption(c, 12); d != nil {
			binary.BigEndian.PutUint32(d, iaid)
			binary.BigEndian.PutUint32(d[4:], t1)
			binary.BigEndian.PutUint32(d[8:], t2)
		}
	case OptionIATA:
		if d := b.beginOption(c, 4); d != nil {
			binary.BigEndian.PutUint32(d, iaid)
		}
	default:
		b.fail(ErrNesting)
	}
}

// BeginIAAddr opens an IAADDR option; its options (a Status Code) follow,
// then End.
func (b *Builder) BeginIAAddr(addr netip.Addr, preferred, valid uint32) {
	if !addr.Is6() {
		b.fail(ErrNotIPv6)
		return
	}
	if d := b.beginOption(OptionIAAddr, 24); d != nil {
		a := addr.As16()
		copy(d, a[:])
		binary.BigEndian.PutUint32(d[16:], preferred)
		binary.BigEndian.PutUint32(d[20:], valid)
	}
}

// BeginIAPrefix opens an IAPREFIX option; its options follow, then End.
func (b *Builder) BeginIAPrefix(p netip.Prefix, preferred, valid uint32) {
	if !p.Addr().Is6() || !p.IsValid() {
		b.fail(ErrNotIPv6)
		return
	}
	if d := b.beginOption(OptionIAPrefix, 25); d != nil {
		binary.BigEndian.PutUint32(d, preferred)
		binary.BigEndian.PutUint32(d[4:], valid)
		d[8] = byte(p.Bits())
		a := p.Addr().As16()
		copy(d[9:], a[:])
	}
}

// End closes the option opened last, writing its length.
func (b *Builder) End() {
	if b.err != nil {
		return
	}
	if b.depth == 0 {
		b.fail(ErrNesting)
		return
	}
	b.depth--
	off := b.open[b.depth]
	n := len(b.buf) - off - 4
	if n > 0xffff {
		b.fail(ErrValueTooLong)
		return
	}
	binary.BigEndian.PutUint16(b.buf[off+2:], uint16(n))
}

// Finish returns the message, or the first error met while building it.
// The message aliases the buffer given to Begin.
func (b *Builder) Finish() ([]byte, error) {
	if b.err == nil && b.buf == nil {
		b.err = ErrNotStarted
	}
	if b.err == nil && b.depth != 0 {
		b.err = ErrNesting
	}
	if b.err != nil {
		return nil, b.err
	}
	return b.buf, nil
}
