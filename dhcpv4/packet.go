package dhcpv4

import (
	"encoding/binary"
	"errors"
	"net/netip"
)

// Errors returned by [Packet.Decode]. They are fixed values so that a flood
// of malformed packets costs no allocation.
var (
	ErrTruncated       = errors.New("dhcpv4: message shorter than the 240-byte fixed header")
	ErrBadCookie       = errors.New("dhcpv4: magic cookie missing or wrong")
	ErrOptionOverrun   = errors.New("dhcpv4: option length runs past the end of its field")
	ErrOverloadLoop    = errors.New("dhcpv4: option overload (52) inside an overloaded field")
	ErrBadOverload     = errors.New("dhcpv4: option overload (52) value is not 1, 2 or 3")
	ErrTooManyOptions  = errors.New("dhcpv4: more than 255 options")
	ErrTooLong         = errors.New("dhcpv4: message longer than 65535 bytes")
	ErrBadMessageType  = errors.New("dhcpv4: message type option (53) is not one byte")
	ErrDuplicateHeader = errors.New("dhcpv4: option overload (52) given more than once")
)

// maxOptions bounds the option index. A 1500-byte frame cannot carry more
// than a few hundred options; 255 keeps the index small and fixed.
const maxOptions = 255

// Where an indexed option value lives.
const (
	inPacket = 0 // p.buf[off : off+n]
	inJoined = 1 // p.joined[off : off+n]; several instances joined (RFC 3396)
	isRepeat = 2 // a later instance of a code that has an earlier entry
)

type optEntry struct {
	off  uint16
	n    uint16
	code OptionCode
	loc  uint8
}

// Packet is a decoded DHCPv4 message: a view over the bytes passed to
// Decode, with its options indexed. Accessors read the bytes in place and
// the slices they return alias them; they stay valid until the buffer is
// reused or the Packet decodes another message.
//
// The zero Packet is empty and ready for Decode. A Packet is not safe for
// concurrent use while it decodes, but a decoded Packet may be read from
// several goroutines.
type Packet struct {
	buf      []byte
	joined   []byte
	slot     [256]uint8 // 1 + index into ents of the first instance; 0 if absent
	ents     [maxOptions]optEntry
	nents    int
	overload uint8
}

// Parse decodes b into a new Packet. Use [Packet.Decode] on a reused Packet
// to avoid the allocation.
func Parse(b []byte) (*Packet, error) {
	p := new(Packet)
	if err := p.Decode(b); err != nil {
		return nil, err
	}
	return p, nil
}

// Decode makes p a view of the message in b. It keeps b, copying nothing
// except the values of options split over several instances, which it
// joins into a buffer the Packet keeps for reuse.
func (p *Packet) Decode(b []byte) error {
	p.reset()
	if len(b) < HeaderLen {
		return ErrTruncated
	}
	if len(b) > 0xffff {
		return ErrTooLong
	}
	if binary.BigEndian.Uint32(b[offCookie:]) != magicCookie {
		return ErrBadCookie
	}
	p.buf = b
	repeats, err := p.index(HeaderLen, len(b), true)
	if err != nil {
		return p.fail(err)
	}
	if p.overload != 0 {
		if p.overload&1 != 0 {
			r, err := p.index(offFile, offFile+lenFile, false)
			if err != nil {
				return p.fail(err)
			}
			repeats = repeats || r
		}
		if p.overload&2 != 0 {
			r, err := p.index(offSName, offSName+lenSName, false)
			if err != nil {
				return p.fail(err)
			}
			repeats = repeats || r
		}
	}
	if repeats {
		p.join()
	}
	if v, ok := p.Option(OptionMessageType); ok && len(v) != 1 {
		return p.fail(ErrBadMessageType)
	}
	return nil
}

func (p *Packet) reset() {
	for i := 0; i < p.nents; i++ {
		p.slot[p.ents[i].code] = 0
	}
	p.nents = 0
	p.overload = 0
	p.buf = nil
	p.joined = p.joined[:0]
}

func (p *Packet) fail(err error) error {
	p.reset()
	return err
}

// index records the options in b[start:end]. main is true for the options
// field proper, the only place option 52 may appear. It reports whether a
// code appeared more than once.
func (p *Packet) index(start, end int, main bool) (repeats bool, err error) {
	b := p.buf
	for i := start; i < end; {
		code := OptionCode(b[i])
		switch code {
		case OptionPad:
			i++
			continue
		case OptionEnd:
			return repeats, nil
		}
		if i+1 >= end {
			return repeats, ErrOptionOverrun
		}
		n := int(b[i+1])
		v := i + 2
		if v+n > end {
			return repeats, ErrOptionOverrun
		}
		if code == OptionOverload {
			if !main {
				return repeats, ErrOverloadLoop
			}
			if p.overload != 0 {
				return repeats, ErrDuplicateHeader
			}
			if n != 1 || b[v] < 1 || b[v] > 3 {
				return repeats, ErrBadOverload
			}
			p.overload = b[v]
		}
		if p.nents == maxOptions {
			return repeats, ErrTooManyOptions
		}
		e := optEntry{off: uint16(v), n: uint16(n), code: code, loc: inPacket}
		if p.slot[code] != 0 {
			e.loc = isRepeat
			repeats = true
		} else {
			p.slot[code] = uint8(p.nents + 1)
		}
		p.ents[p.nents] = e
		p.nents++
		i = v + n
	}
	// A field that ends without an end option is accepted: many clients
	// omit it when the options fill the field exactly, and nothing is lost.
	return repeats, nil
}

// join concatenates the instances of every option that appeared more than
// once, in the order they were indexed (options, then file, then sname, as
// RFC 3396 §7 prescribes), and points the first entry at the result.
func (p *Packet) join() {
	for i := 0; i < p.nents; i++ {
		first := &p.ents[i]
		if first.loc != inPacket || !p.hasRepeat(i) {
			continue
		}
		start := len(p.joined)
		p.joined = append(p.joined, p.buf[first.off:first.off+first.n]...)
		for j := i + 1; j < p.nents; j++ {
			e := p.ents[j]
			if e.code == first.code && e.loc == isRepeat {
				p.joined = append(p.joined, p.buf[e.off:e.off+e.n]...)
			}
		}
		first.off = uint16(start)
		first.n = uint16(len(p.joined) - start)
		first.loc = inJoined
	}
}

func (p *Packet) hasRepeat(i int) bool {
	code := p.ents[i].code
	for j := i + 1; j < p.nents; j++ {
		if p.ents[j].code == code && p.ents[j].loc == isRepeat {
			return true
		}
	}
	return false
}

// Bytes returns the message as decoded.
func (p *Packet) Bytes() []byte { return p.buf }

// Len returns the length of the message in bytes.
func (p *Packet) Len() int { return len(p.buf) }

// Op returns the op field.
func (p *Packet) Op() OpCode { return OpCode(p.buf[offOp]) }

// HType returns the hardware address type (1 for Ethernet).
func (p *Packet) HType() uint8 { return p.buf[offHType] }

// HLen returns the hardware address length as sent.
func (p *Packet) HLen() uint8 { return p.buf[offHLen] }

// Hops returns the hops field, incremented by each relay.
func (p *Packet) Hops() uint8 { return p.buf[offHops] }

// XID returns the transaction id.
func (p *Packet) XID() uint32 { return binary.BigEndian.Uint32(p.buf[offXID:]) }

// Secs returns the seconds elapsed since the client began.
func (p *Packet) Secs() uint16 { return binary.BigEndian.Uint16(p.buf[offSecs:]) }

// Flags returns the flags field.
func (p *Packet) Flags() uint16 { return binary.BigEndian.Uint16(p.buf[offFlags:]) }

// Broadcast reports whether the client set the broadcast bit.
func (p *Packet) Broadcast() bool { return p.Flags()&FlagBroadcast != 0 }

// CIAddr returns the client's address, set when it is BOUND, RENEWING or
// REBINDING.
func (p *Packet) CIAddr() netip.Addr { return addrAt(p.buf, offCIAddr) }

// YIAddr returns "your" address, the one a server offers or assigns.
func (p *Packet) YIAddr() netip.Addr { return addrAt(p.buf, offYIAddr) }

// SIAddr returns the next server's address (boot server).
func (p *Packet) SIAddr() netip.Addr { return addrAt(p.buf, offSIAddr) }

// GIAddr returns the relay agent's address; the zero address when the
// message was not relayed.
func (p *Packet) GIAddr() netip.Addr { return addrAt(p.buf, offGIAddr) }

// CHAddr returns the client hardware address: the first hlen bytes of the
// chaddr field, at most 16.
func (p *Packet) CHAddr() []byte {
	n := int(p.buf[offHLen])
	if n > lenCHAddr {
		n = lenCHAddr
	}
	return p.buf[offCHAddr : offCHAddr+n : offCHAddr+n]
}

// CHAddrField returns the whole 16-byte chaddr field.
func (p *Packet) CHAddrField() []byte {
	return p.buf[offCHAddr : offCHAddr+lenCHAddr : offCHAddr+lenCHAddr]
}

// SName returns the server host name field up to its first NUL, or nil
// when the field carries overloaded options.
func (p *Packet) SName() []byte {
	if p.overload&2 != 0 {
		return nil
	}
	return cstring(p.buf[offSName : offSName+lenSName])
}

// File returns the boot file name field up to its first NUL, or nil when
// the field carries overloaded options.
func (p *Packet) File() []byte {
	if p.overload&1 != 0 {
		return nil
	}
	return cstring(p.buf[offFile : offFile+lenFile])
}

// Overload returns the value of option 52: 0 when absent, 1 when the file
// field carries options, 2 for sname, 3 for both.
func (p *Packet) Overload() uint8 { return p.overload }

// Option returns the value of option code, with all its instances joined,
// and whether the message carries it. The pad and end codes are never
// reported present.
func (p *Packet) Option(code OptionCode) ([]byte, bool) {
	s := p.slot[code]
	if s == 0 {
		return nil, false
	}
	e := p.ents[s-1]
	if e.loc == inJoined {
		return p.joined[e.off : e.off+e.n : e.off+e.n], true
	}
	return p.buf[e.off : e.off+e.n : e.off+e.n], true
}

// HasOption reports whether the message carries option code.
func (p *Packet) HasOption(code OptionCode) bool { return p.slot[code] != 0 }

// NumOptions returns the number of distinct options the message carries.
func (p *Packet) NumOptions() int {
	n := 0
	for i := 0; i < p.nents; i++ {
		if p.ents[i].loc != isRepeat {
			n++
		}
	}
	return n
}

// Options calls fn for each distinct option in the order of its first
// appearance, with its instances joined, until fn returns false.
func (p *Packet) Options(fn func(code OptionCode, value []byte) bool) {
	for i := 0; i < p.nents; i++ {
		e := p.ents[i]
		if e.loc == isRepeat {
			continue
		}
		v, _ := p.Option(e.code)
		if !fn(e.code, v) {
			return
		}
	}
}

func addrAt(b []byte, off int) netip.Addr {
	return netip.AddrFrom4([4]byte(b[off : off+4]))
}

func cstring(b []byte) []byte {
	for i, c := range b {
		if c == 0 {
			return b[:i:i]
		}
	}
	return b
}
