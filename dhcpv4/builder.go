package dhcpv4

import (
	"encoding/binary"
	"errors"
	"net/netip"
)

// Errors reported by [Builder.Finish].
var (
	ErrBufferTooSmall = errors.New("dhcpv4: output buffer too small for the message")
	ErrFieldTooLong   = errors.New("dhcpv4: value longer than its header field")
	ErrReservedCode   = errors.New("dhcpv4: pad (0) and end (255) cannot carry values")
	ErrNotStarted     = errors.New("dhcpv4: Builder used before Reply or Begin")
	ErrNotIPv4        = errors.New("dhcpv4: address is not IPv4")
)

type stagedOption struct {
	off  uint32
	n    uint32
	code OptionCode
}

// Builder writes a DHCPv4 message into a caller-supplied buffer. Start a
// message with [Builder.Reply] or [Builder.Begin], set header fields and
// add options in any order, then call [Builder.Finish].
//
// A Builder keeps its internal buffers between messages, so reusing one
// makes building allocation free. The zero Builder is ready to use; a
// Builder is not safe for concurrent use.
type Builder struct {
	buf     []byte
	vals    []byte
	ents    [maxOptions]stagedOption
	nents   int
	slot    [256]uint8 // 1 + index into ents; 0 if not staged
	prl     []byte
	echo82  []byte
	has82   bool
	mark    uint32 // start in vals of the value being staged
	limit   int
	dropped int
	err     error
}

// Reply starts a reply of type mt to req in buf. It copies the fields RFC
// 2131 table 3 says a reply copies (htype, hlen, xid, flags, giaddr,
// chaddr; ciaddr for a DHCPACK), sets op to BOOTREPLY, adds option 53 unless
// mt is 0 (a BOOTP reply), and remembers the request's parameter list,
// maximum message size and relay agent information for Finish. The request
// must stay unchanged until Finish returns.
func (b *Builder) Reply(buf []byte, req *Packet, mt MessageType) {
	b.start(buf)
	if b.err != nil {
		return
	}
	h := b.buf
	rb := req.buf
	h[offOp] = byte(BootReply)
	h[offHType] = rb[offHType]
	h[offHLen] = rb[offHLen]
	copy(h[offXID:offXID+4], rb[offXID:offXID+4])
	copy(h[offFlags:offFlags+2], rb[offFlags:offFlags+2])
	if mt == Ack {
		copy(h[offCIAddr:offCIAddr+4], rb[offCIAddr:offCIAddr+4])
	}
	copy(h[offGIAddr:offGIAddr+4], rb[offGIAddr:offGIAddr+4])
	copy(h[offCHAddr:offCHAddr+lenCHAddr], rb[offCHAddr:offCHAddr+lenCHAddr])
	if mt != 0 {
		b.AddUint8(OptionMessageType, uint8(mt))
	}
	b.prl = req.ParameterList()
	size := MinMessageSize
	if mms, ok := req.MaxMessageSize(); ok && int(mms)-28 > size {
		size = int(mms) - 28
	}
	b.limit = min(size, len(b.buf))
	b.echo82, b.has82 = req.Option(OptionRelayAgentInfo)
}

// Begin starts a new message with the given op code, message type and
// transaction id, for clients and tests. The hardware type defaults to
// Ethernet; the size limit defaults to the 548 bytes every participant
// accepts (see [Builder.SetMaxSize]).
//
// The message is written into buf, up to its capacity: it needs at least
// [MinReplyLen] (300) bytes, else Finish reports [ErrBufferTooSmall], and
// [MinMessageSize] (548) bytes hold any message within the default limit.
func (b *Builder) Begin(buf []byte, op OpCode, mt MessageType, xid uint32) {
	b.start(buf)
	if b.err != nil {
		return
	}
	b.buf[offOp] = byte(op)
	b.buf[offHType] = 1
	b.buf[offHLen] = 6
	binary.BigEndian.PutUint32(b.buf[offXID:], xid)
	if mt != 0 {
		b.AddUint8(OptionMessageType, uint8(mt))
	}
	b.limit = min(MinMessageSize, len(b.buf))
}

func (b *Builder) start(buf []byte) {
	for i := 0; i < b.nents; i++ {
		b.slot[b.ents[i].code] = 0
	}
	b.nents = 0
	b.vals = b.vals[:0]
	b.prl = nil
	b.echo82, b.has82 = nil, false
	b.dropped = 0
	b.err = nil
	buf = buf[:cap(buf)]
	if len(buf) < MinReplyLen {
		b.buf = nil
		b.err = ErrBufferTooSmall
		return
	}
	b.buf = buf
	clear(buf[:HeaderLen])
	binary.BigEndian.PutUint32(buf[offCookie:], magicCookie)
}

// SetMaxSize sets the largest message, in bytes of DHCP payload, Finish may
// write. Reply derives it from option 57; this overrides it.
func (b *Builder) SetMaxSize(n int) {
	if b.buf != nil {
		b.limit = min(max(n, MinReplyLen), len(b.buf))
	}
}

// SetEcho sets whether Finish echoes the request's option 82 (RFC 3046:
// always, unless a policy says otherwise).
func (b *Builder) SetEcho(echo bool) {
	if !echo {
		b.has82 = false
	}
}

// SetOp sets the op field.
func (b *Builder) SetOp(op OpCode) { b.put8(offOp, byte(op)) }

// SetHops sets the hops field.
func (b *Builder) SetHops(h uint8) { b.put8(offHops, h) }

// SetXID sets the transaction id.
func (b *Builder) SetXID(xid uint32) {
	if b.buf != nil {
		binary.BigEndian.PutUint32(b.buf[offXID:], xid)
	}
}

// SetSecs sets the seconds field.
func (b *Builder) SetSecs(s uint16) {
	if b.buf != nil {
		binary.BigEndian.PutUint16(b.buf[offSecs:], s)
	}
}

// SetFlags sets the flags field.
func (b *Builder) SetFlags(f uint16) {
	if b.buf != nil {
		binary.BigEndian.PutUint16(b.buf[offFlags:], f)
	}
}

// SetBroadcast sets or clears the broadcast bit.
func (b *Builder) SetBroadcast(on bool) {
	if b.buf == nil {
		return
	}
	f := binary.BigEndian.Uint16(b.buf[offFlags:])
	if on {
		f |= FlagBroadcast
	} else {
		f &^= FlagBroadcast
	}
	binary.BigEndian.PutUint16(b.buf[offFlags:], f)
}

// SetCIAddr sets the client address field.
func (b *Builder) SetCIAddr(a netip.Addr) { b.putAddr(offCIAddr, a) }

// SetYIAddr sets the "your" address field.
func (b *Builder) SetYIAddr(a netip.Addr) { b.putAddr(offYIAddr, a) }

// SetSIAddr sets the next-server address field.
func (b *Builder) SetSIAddr(a netip.Addr) { b.putAddr(offSIAddr, a) }

// SetGIAddr sets the relay agent address field.
func (b *Builder) SetGIAddr(a netip.Addr) { b.putAddr(offGIAddr, a) }

// SetCHAddr sets the hardware type, length and address. An address longer
// than the 16-byte field leaves the field as it was, and Finish reports
// [ErrFieldTooLong].
func (b *Builder) SetCHAddr(htype uint8, hw []byte) {
	if b.buf == nil {
		return
	}
	if len(hw) > lenCHAddr {
		b.fail(ErrFieldTooLong)
		return
	}
	b.buf[offHType] = htype
	b.buf[offHLen] = uint8(len(hw))
	f := b.buf[offCHAddr : offCHAddr+lenCHAddr]
	clear(f)
	copy(f, hw)
}

// SetSName sets the server host name field (at most 63 bytes, so that a NUL
// follows).
func (b *Builder) SetSName(s string) { b.putField(offSName, lenSName, s) }

// SetFile sets the boot file name field (at most 127 bytes).
func (b *Builder) SetFile(s string) { b.putField(offFile, lenFile, s) }

// AddOption stages option code with value v, replacing an earlier value.
// Values longer than 255 bytes are split into several instances on output
// (RFC 3396).
func (b *Builder) AddOption(code OptionCode, v []byte) {
	if !b.stage(code) {
		return
	}
	b.vals = append(b.vals, v...)
	b.commit(code)
}

// AddString stages option code with the bytes of s.
func (b *Builder) AddString(code OptionCode, s string) {
	if !b.stage(code) {
		return
	}
	b.vals = append(b.vals, s...)
	b.commit(code)
}

// AddUint8 stages a one-byte option.
func (b *Builder) AddUint8(code OptionCode, v uint8) {
	if !b.stage(code) {
		return
	}
	b.vals = append(b.vals, v)
	b.commit(code)
}

// AddUint16 stages a two-byte option in network byte order.
func (b *Builder) AddUint16(code OptionCode, v uint16) {
	if !b.stage(code) {
		return
	}
	b.vals = binary.BigEndian.AppendUint16(b.vals, v)
	b.commit(code)
}

// AddUint32 stages a four-byte option in network byte order.
func (b *Builder) AddUint32(code OptionCode, v uint32) {
	if !b.stage(code) {
		return
	}
	b.vals = binary.BigEndian.AppendUint32(b.vals, v)
	b.commit(code)
}

// AddIP stages an option holding one IPv4 address. An IPv4-mapped IPv6
// address is written as its IPv4 address; any other address is not added,
// and Finish reports [ErrNotIPv4].
func (b *Builder) AddIP(code OptionCode, a netip.Addr) {
	if !b.stage(code) {
		return
	}
	if !is4(a) {
		b.fail(ErrNotIPv4)
		return
	}
	a4 := a.As4() // of an IPv4-mapped address too
	b.vals = append(b.vals, a4[:]...)
	b.commit(code)
}

// AddIPs stages an option holding a list of IPv4 addresses. If one of
// them is not IPv4 (see [Builder.AddIP]) the option is not added, and
// Finish reports [ErrNotIPv4].
func (b *Builder) AddIPs(code OptionCode, addrs ...netip.Addr) {
	if !b.stage(code) {
		return
	}
	for _, a := range addrs {
		if !is4(a) {
			b.vals = b.vals[:b.mark]
			b.fail(ErrNotIPv4)
			return
		}
		a4 := a.As4()
		b.vals = append(b.vals, a4[:]...)
	}
	b.commit(code)
}

// is4 reports whether a has four bytes for an option: an IPv4 address or
// an IPv4-mapped IPv6 one, which As4 reads as well. The zero Addr and other
// IPv6 addresses are not IPv4 (As4 would panic on them).
func is4(a netip.Addr) bool { return a.Is4() || a.Is4In6() }

// Option returns the staged value of option code.
func (b *Builder) Option(code OptionCode) ([]byte, bool) {
	s := b.slot[code]
	if s == 0 {
		return nil, false
	}
	e := b.ents[s-1]
	return b.vals[e.off : e.off+e.n : e.off+e.n], true
}

// HasOption reports whether option code is staged.
func (b *Builder) HasOption(code OptionCode) bool { return b.slot[code] != 0 }

// RemoveOption unstages option code.
func (b *Builder) RemoveOption(code OptionCode) {
	s := b.slot[code]
	if s == 0 {
		return
	}
	b.slot[code] = 0
	i := int(s - 1)
	copy(b.ents[i:b.nents], b.ents[i+1:b.nents])
	b.nents--
	for j := i; j < b.nents; j++ {
		b.slot[b.ents[j].code] = uint8(j + 1)
	}
}

// Dropped returns how many options the last Finish left out because they
// did not fit the size limit.
func (b *Builder) Dropped() int { return b.dropped }

// Finish writes the options and returns the message, a prefix of the
// buffer given to Reply or Begin. The order is: message type (53), server
// identifier (54), the options the request listed in option 55 in its
// order, the remaining options in the order they were added, relay agent
// information (82) last, then end. An option that does not fit the size
// limit is left out and counted by Dropped; the message is padded to 300
// bytes for BOOTP clients.
//
// The message type, the server identifier and the echoed relay agent
// information are never left out. The echo counts against the size limit
// like any option, but when it is so long that even those three exceed the
// limit they are written anyway: the relay agent strips option 82 before
// the client sees the reply. When they do not fit the buffer at all,
// Finish returns ErrBufferTooSmall.
func (b *Builder) Finish() ([]byte, error) {
	if b.err != nil {
		return nil, b.err
	}
	if b.buf == nil {
		return nil, ErrNotStarted
	}
	var done [4]uint64
	mark := func(c OptionCode) { done[c>>6] |= 1 << (c & 63) }
	isDone := func(c OptionCode) bool { return done[c>>6]&(1<<(c&63)) != 0 }

	// Room for the options: the limit less the end option and the echoed
	// relay information, which must both go out.
	room := b.limit - 1
	// What goes out whatever the limit: the message type, the server
	// identifier and the echo. It must fit the buffer.
	must := HeaderLen + 1
	if b.has82 {
		room -= encodedLen(len(b.echo82))
		must += encodedLen(len(b.echo82))
	}
	for _, c := range [...]OptionCode{OptionMessageType, OptionServerID} {
		if v, ok := b.Option(c); ok {
			must += encodedLen(len(v))
		}
	}
	if must > len(b.buf) {
		return nil, ErrBufferTooSmall
	}
	mark(OptionRelayAgentInfo)
	pos := HeaderLen
	emit := func(c OptionCode) {
		if isDone(c) {
			return
		}
		mark(c)
		v, ok := b.Option(c)
		if !ok {
			return
		}
		if pos+encodedLen(len(v)) > room && c != OptionMessageType && c != OptionServerID {
			b.dropped++
			return
		}
		pos = putOption(b.buf, pos, c, v)
	}
	emit(OptionMessageType)
	emit(OptionServerID)
	for _, c := range b.prl {
		emit(OptionCode(c))
	}
	for i := 0; i < b.nents; i++ {
		emit(b.ents[i].code)
	}
	if b.has82 {
		pos = putOption(b.buf, pos, OptionRelayAgentInfo, b.echo82)
	} else if v, ok := b.Option(OptionRelayAgentInfo); ok {
		// Staged by the caller (a relay or a test), not echoed.
		if pos+encodedLen(len(v)) <= room {
			pos = putOption(b.buf, pos, OptionRelayAgentInfo, v)
		} else {
			b.dropped++
		}
	}
	b.buf[pos] = byte(OptionEnd)
	pos++
	if pos < MinReplyLen {
		clear(b.buf[pos:MinReplyLen])
		pos = MinReplyLen
	}
	return b.buf[:pos:pos], nil
}

// encodedLen is the size of an option value of n bytes on the wire,
// counting a code and length byte for every 255-byte instance.
func encodedLen(n int) int {
	if n == 0 {
		return 2
	}
	return n + 2*((n+254)/255)
}

func putOption(buf []byte, pos int, c OptionCode, v []byte) int {
	if len(v) == 0 {
		buf[pos], buf[pos+1] = byte(c), 0
		return pos + 2
	}
	for len(v) > 0 {
		n := min(len(v), 255)
		buf[pos], buf[pos+1] = byte(c), byte(n)
		copy(buf[pos+2:], v[:n])
		pos += 2 + n
		v = v[n:]
	}
	return pos
}

func (b *Builder) stage(code OptionCode) bool {
	if b.buf == nil {
		b.fail(ErrNotStarted)
		return false
	}
	if code == OptionPad || code == OptionEnd {
		b.fail(ErrReservedCode)
		return false
	}
	b.mark = uint32(len(b.vals))
	return true
}

// commit records the value appended to vals since stage as the value of
// code. A replaced value's bytes stay in vals until the next message; that
// costs memory only, never correctness.
func (b *Builder) commit(code OptionCode) {
	start, end := b.mark, uint32(len(b.vals))
	if s := b.slot[code]; s != 0 {
		b.ents[s-1].off, b.ents[s-1].n = start, end-start
		return
	}
	if b.nents == maxOptions {
		b.fail(ErrTooManyOptions)
		return
	}
	b.ents[b.nents] = stagedOption{off: start, n: end - start, code: code}
	b.nents++
	b.slot[code] = uint8(b.nents)
}

func (b *Builder) fail(err error) {
	if b.err == nil {
		b.err = err
	}
}

func (b *Builder) put8(off int, v byte) {
	if b.buf != nil {
		b.buf[off] = v
	}
}

func (b *Builder) putAddr(off int, a netip.Addr) {
	if b.buf == nil {
		return
	}
	if !a.Is4() && a.IsValid() {
		a = a.Unmap()
	}
	if !a.Is4() {
		clear(b.buf[off : off+4])
		return
	}
	a4 := a.As4()
	copy(b.buf[off:off+4], a4[:])
}

func (b *Builder) putField(off, size int, s string) {
	if b.buf == nil {
		return
	}
	if len(s) >= size {
		b.fail(ErrFieldTooLong)
		return
	}
	f := b.buf[off : off+size]
	clear(f)
	copy(f, s)
}
