package classify

import (
	"bytes"
	"encoding/binary"
	"math"
	"net/netip"
	"strconv"

	"github.com/leased/leased/dhcpv4"
)

// Meta is what the expression language can see of a packet beyond its
// bytes: pkt.iface, pkt.src, pkt.dst and pkt.len.
type Meta struct {
	Iface string     // name of the receiving interface
	Src   netip.Addr // source address of the datagram
	Dst   netip.Addr // destination address of the datagram
	// Len overrides pkt.len. When zero, pkt.len is computed as Kea does:
	// the 236-byte fixed header plus, for each distinct option, its code,
	// length and value bytes (the magic cookie, pad and end not counted).
	Len int
}

// Eval evaluates expressions over one packet at a time. It holds the
// packet, its metadata, the classes assigned so far (for member) and
// scratch space, which it keeps between packets so that evaluation does
// not allocate once the buffers have grown. An Eval is not safe for
// concurrent use: give each worker its own. The zero Eval is ready for
// standalone use; [Classifier.NewEval] gives one bound to a classifier.
type Eval struct {
	pkt      *dhcpv4.Packet
	meta     Meta
	buf      []byte // scratch for computed values; reset per evaluation
	err      error  // first runtime error of the current evaluation
	bootpReq bool   // a BOOTP request the bootp hook would relabel as DHCPREQUEST

	cls     *Classifier
	classes Classes
	seen    []uint64 // additional-class deduplication
	errs    []EvalError
}

// EvalError records a class whose expression failed to evaluate for the
// current packet.
type EvalError struct {
	Class string
	Err   error
}

// Begin starts work on a new packet: it forgets the previous packet's
// classes and errors. The packet and m must stay unchanged while the Eval
// uses them.
func (e *Eval) Begin(p *dhcpv4.Packet, m Meta) {
	e.pkt = p
	e.meta = m
	e.bootpReq = false
	e.classes.reset(e.cls)
	e.errs = e.errs[:0]
}

// Packet returns the packet given to Begin.
func (e *Eval) Packet() *dhcpv4.Packet { return e.pkt }

// Classes returns the classes assigned to the current packet so far.
func (e *Eval) Classes() *Classes { return &e.classes }

// AddClass assigns a class to the current packet, as a host reservation's
// client-classes or a hook does. Adding a class it already has does
// nothing.
func (e *Eval) AddClass(name string) { e.classes.addString(name) }

// Errors returns the evaluation errors of the current packet (see
// RuntimeError): Kea logs them and leaves the class unassigned.
func (e *Eval) Errors() []EvalError { return e.errs }

func (e *Eval) ready(x *Expr, k Kind) error {
	if e.pkt == nil || len(e.pkt.Bytes()) < dhcpv4.HeaderLen {
		return errNoPacket
	}
	if x.kind != k {
		return errWrongKind
	}
	e.buf = e.buf[:0]
	e.err = nil
	return nil
}

// Bool evaluates a boolean expression for the packet given to Begin. An
// error means Kea would have thrown during evaluation (for example
// int16totext of a 3-byte value); the class is then not assigned.
func (e *Eval) Bool(x *Expr) (bool, error) {
	if err := e.ready(x, Bool); err != nil {
		return false, err
	}
	r := x.b(e)
	if e.err != nil {
		return false, e.err
	}
	return r, nil
}

// Value evaluates a string expression for the packet given to Begin. The
// result may alias the packet or the Eval's scratch space: it is valid
// until the next evaluation or Begin.
func (e *Eval) Value(x *Expr) ([]byte, error) {
	if err := e.ready(x, String); err != nil {
		return nil, err
	}
	r := x.s(e)
	if e.err != nil {
		return nil, e.err
	}
	return r, nil
}

func (e *Eval) fail(err error) {
	if e.err == nil {
		e.err = err
	}
}

// out returns the scratch bytes appended since start, capped so that an
// append to the result cannot overwrite what follows.
func (e *Eval) out(start int) []byte {
	return e.buf[start:len(e.buf):len(e.buf)]
}

func (e *Eval) put32(v uint32) []byte {
	start := len(e.buf)
	e.buf = binary.BigEndian.AppendUint32(e.buf, v)
	return e.out(start)
}

func (e *Eval) putAddr(a netip.Addr) []byte {
	if !a.IsValid() {
		return nil
	}
	a = a.Unmap()
	start := len(e.buf)
	if a.Is4() {
		a4 := a.As4()
		e.buf = append(e.buf, a4[:]...)
	} else {
		a16 := a.As16()
		e.buf = append(e.buf, a16[:]...)
	}
	return e.out(start)
}

var msgTypeRequest = []byte{byte(dhcpv4.Request)}

// option returns top-level option code as Kea would see it.
func (e *Eval) option(code uint8, trim bool) ([]byte, bool) {
	if code == byte(dhcpv4.OptionMessageType) && e.bootpReq {
		return msgTypeRequest[:1:1], true
	}
	v, ok := e.pkt.Option(dhcpv4.OptionCode(code))
	if ok && trim {
		v = trimNul(v)
		if len(v) == 0 {
			return nil, false
		}
	}
	return v, ok
}

func trimNul(v []byte) []byte {
	for len(v) > 0 && v[len(v)-1] == 0 {
		v = v[:len(v)-1]
	}
	return v
}

// keaLen is pkt.len as Kea computes it for a received packet: the fixed
// header and the options as Kea holds them (string options trimmed, empty
// ones gone).
func (e *Eval) keaLen(str *[256]bool) int {
	if e.meta.Len > 0 {
		return e.meta.Len
	}
	n := 236
	e.pkt.Options(func(code dhcpv4.OptionCode, v []byte) bool {
		if str[code] {
			if v = trimNul(v); len(v) == 0 {
				return true
			}
		}
		n += 2 + len(v)
		return true
	})
	return n
}

// vendorBlock returns the enterprise id and data of the first block of
// option 125 (RFC 3925 §4), the one Kea's expressions look at.
func (e *Eval) vendorBlock() (ent uint32, data []byte, ok bool) {
	v, present := e.pkt.Option(dhcpv4.OptionVIVendorSpecific)
	if !present || len(v) < 5 {
		return 0, nil, false
	}
	n := int(v[4])
	if 5+n > len(v) {
		return 0, nil, false
	}
	return binary.BigEndian.Uint32(v), v[5 : 5+n : 5+n], true
}

// vendorClass parses option 124 as Kea does for DHCPv4: an enterprise id,
// then data tuples each preceded by the same enterprise id. It returns the
// enterprise id and tuple index (or nil when there is no such tuple), and
// ok false when the option is absent or malformed.
func (e *Eval) vendorClass(index int) (ent uint32, tuple []byte, ok bool) {
	v, present := e.pkt.Option(dhcpv4.OptionVIVendorClass)
	if !present || len(v) < 5 {
		return 0, nil, false
	}
	ent = binary.BigEndian.Uint32(v)
	pos := 4
	for i := 0; pos < len(v); i++ {
		n := int(v[pos])
		if pos+1+n > len(v) {
			return 0, nil, false
		}
		if i == index {
			tuple = v[pos+1 : pos+1+n : pos+1+n]
		}
		pos += 1 + n
		if pos == len(v) {
			break
		}
		if pos+4 > len(v) || binary.BigEndian.Uint32(v[pos:]) != ent {
			return 0, nil, false
		}
		pos += 4
		if len(v)-pos <= 1 {
			return 0, nil, false
		}
	}
	return ent, tuple, true
}

type (
	boolFn func(*Eval) bool
	strFn  func(*Eval) []byte
	lookFn func(*Eval) ([]byte, bool)
)

// compiler turns the syntax tree into closures.
type compiler struct{ opts *Options }

func isLiteral(n *node) bool {
	return n.op == opString || n.op == opHex || n.op == opInt || n.op == opIP
}

func (c *compiler) boolNode(n *node) boolFn {
	switch n.op {
	case opEqual:
		a, b := n.args[0], n.args[1]
		if isLiteral(a) {
			a, b = b, a
		}
		if isLiteral(b) {
			fa := c.strNode(a)
			lit := string(b.val)
			return func(e *Eval) bool { return string(fa(e)) == lit }
		}
		fa, fb := c.strNode(a), c.strNode(b)
		return func(e *Eval) bool { return bytes.Equal(fa(e), fb(e)) }
	case opNot:
		f := c.boolNode(n.args[0])
		return func(e *Eval) bool { return !f(e) }
	case opAnd:
		fa, fb := c.boolNode(n.args[0]), c.boolNode(n.args[1])
		return func(e *Eval) bool { return fa(e) && fb(e) }
	case opOr:
		fa, fb := c.boolNode(n.args[0]), c.boolNode(n.args[1])
		return func(e *Eval) bool { return fa(e) || fb(e) }
	case opSand:
		fa, fb := c.boolNode(n.args[0]), c.boolNode(n.args[1])
		return func(e *Eval) bool {
			a := fa(e)
			b := fb(e)
			return a && b
		}
	case opSor:
		fa, fb := c.boolNode(n.args[0]), c.boolNode(n.args[1])
		return func(e *Eval) bool {
			a := fa(e)
			b := fb(e)
			return a || b
		}
	case opMember:
		ref := n.member
		return func(e *Eval) bool {
			if ref.owner != nil && ref.owner == e.cls {
				return e.classes.hasID(ref.id)
			}
			return e.classes.Has(ref.name)
		}
	case opMatch:
		re, fa := n.re, c.strNode(n.args[0])
		return func(e *Eval) bool { return re.Match(fa(e)) }
	case opOption, opRelay4:
		look := c.lookup(n)
		return func(e *Eval) bool { _, ok := look(e); return ok }
	case opVendor:
		if len(n.codes) > 0 {
			look := c.lookup(n)
			return func(e *Eval) bool { _, ok := look(e); return ok }
		}
		want := n.ent
		return func(e *Eval) bool {
			ent, _, ok := e.vendorBlock()
			return ok && (want == 0 || ent == want)
		}
	case opVendorClass:
		want := n.ent
		return func(e *Eval) bool {
			ent, _, ok := e.vendorClass(-1)
			return ok && (want == 0 || ent == want)
		}
	}
	panic("classify: boolNode on " + strconv.Itoa(int(n.op)))
}

// lookup compiles an option path (option, relay4 or vendor) into a
// function finding the value.
func (c *compiler) lookup(n *node) lookFn {
	sub := func(v []byte, codes []uint8) ([]byte, bool) {
		for _, code := range codes {
			var ok bool
			if v, ok = dhcpv4.RelayInfo(v).Sub(code); !ok {
				return nil, false
			}
		}
		return v, true
	}
	switch n.op {
	case opOption:
		top, rest := n.codes[0], n.codes[1:]
		trim := c.opts.isString(top)
		if len(rest) == 0 {
			return func(e *Eval) ([]byte, bool) { return e.option(top, trim) }
		}
		return func(e *Eval) ([]byte, bool) {
			v, ok := e.option(top, trim)
			if !ok {
				return nil, false
			}
			return sub(v, rest)
		}
	case opRelay4:
		codes := n.codes
		return func(e *Eval) ([]byte, bool) {
			v, ok := e.option(byte(dhcpv4.OptionRelayAgentInfo), false)
			if !ok {
				return nil, false
			}
			return sub(v, codes)
		}
	case opVendor:
		codes, want := n.codes, n.ent
		return func(e *Eval) ([]byte, bool) {
			ent, data, ok := e.vendorBlock()
			if !ok || (want != 0 && ent != want) {
				return nil, false
			}
			return sub(data, codes)
		}
	}
	panic("classify: lookup on " + strconv.Itoa(int(n.op)))
}

func (c *compiler) strNode(n *node) strFn {
	switch n.op {
	case opString, opHex, opInt, opIP:
		v := n.val[:len(n.val):len(n.val)]
		return func(*Eval) []byte { return v }
	case opOption, opRelay4, opVendor:
		// .hex and .text give the same bytes here: see the package
		// documentation for how .text differs from Kea for options that
		// are not strings.
		look := c.lookup(n)
		return func(e *Eval) []byte { v, _ := look(e); return v }
	case opVendorEnt:
		return func(e *Eval) []byte {
			if ent, _, ok := e.vendorBlock(); ok {
				return e.put32(ent)
			}
			return nil
		}
	case opVendorClassEnt:
		return func(e *Eval) []byte {
			if ent, _, ok := e.vendorClass(-1); ok {
				return e.put32(ent)
			}
			return nil
		}
	case opVendorClass: // .data[i]
		want, index := n.ent, n.index
		return func(e *Eval) []byte {
			ent, t, ok := e.vendorClass(index)
			if !ok || (want != 0 && ent != want) {
				return nil
			}
			return t
		}
	case opPkt:
		return c.pktField(n.field)
	case opPkt4:
		return c.pkt4Field(n.field)
	case opSubstring:
		return c.substring(n)
	case opSplit:
		return c.split(n)
	case opConcat:
		fa, fb := c.strNode(n.args[0]), c.strNode(n.args[1])
		return func(e *Eval) []byte {
			a := fa(e)
			b := fb(e)
			switch {
			case len(a) == 0:
				return b
			case len(b) == 0:
				return a
			}
			start := len(e.buf)
			e.buf = append(e.buf, a...)
			e.buf = append(e.buf, b...)
			return e.out(start)
		}
	case opLcase, opUcase:
		f := c.strNode(n.args[0])
		// Kea uses the C locale: only ASCII letters change.
		lo, hi, flip := byte('A'), byte('Z'), byte('a'-'A')
		if n.op == opUcase {
			lo, hi = 'a', 'z'
		}
		return func(e *Eval) []byte {
			v := f(e)
			i := 0
			for i < len(v) && (v[i] < lo || v[i] > hi) {
				i++
			}
			if i == len(v) {
				return v
			}
			start := len(e.buf)
			e.buf = append(e.buf, v...)
			for j := start + i; j < len(e.buf); j++ {
				if b := e.buf[j]; b >= lo && b <= hi {
					e.buf[j] = b ^ flip
				}
			}
			return e.out(start)
		}
	case opIfelse:
		cond, fa, fb := c.boolNode(n.args[0]), c.strNode(n.args[1]), c.strNode(n.args[2])
		return func(e *Eval) []byte {
			if cond(e) {
				return fa(e)
			}
			return fb(e)
		}
	case opSifelse:
		cond, fa, fb := c.boolNode(n.args[0]), c.strNode(n.args[1]), c.strNode(n.args[2])
		return func(e *Eval) []byte {
			t := cond(e)
			a := fa(e)
			b := fb(e)
			if t {
				return a
			}
			return b
		}
	case opHexstring:
		fa, fsep := c.strNode(n.args[0]), c.strNode(n.args[1])
		return func(e *Eval) []byte {
			v := fa(e)
			sep := fsep(e)
			start := len(e.buf)
			for i, b := range v {
				if i > 0 {
					e.buf = append(e.buf, sep...)
				}
				e.buf = append(e.buf, hexDigits[b>>4], hexDigits[b&15])
			}
			return e.out(start)
		}
	case opAddrToText:
		f := c.strNode(n.args[0])
		return func(e *Eval) []byte {
			v := f(e)
			start := len(e.buf)
			switch len(v) {
			case 0:
				return v
			case 4:
				e.buf = netip.AddrFrom4([4]byte(v)).AppendTo(e.buf)
			case 16:
				e.buf = appendIPv6Text(e.buf, [16]byte(v))
			default:
				e.fail(errAddrLen)
				return nil
			}
			return e.out(start)
		}
	case opInt8ToText, opInt16ToText, opInt32ToText, opUint8ToText, opUint16ToText, opUint32ToText:
		return c.intToText(n)
	}
	panic("classify: strNode on " + strconv.Itoa(int(n.op)))
}

const hexDigits = "0123456789abcdef"

func (c *compiler) pktField(field uint8) strFn {
	switch field {
	case fieldIface:
		return func(e *Eval) []byte {
			start := len(e.buf)
			e.buf = append(e.buf, e.meta.Iface...)
			return e.out(start)
		}
	case fieldSrc:
		return func(e *Eval) []byte { return e.putAddr(e.meta.Src) }
	case fieldDst:
		return func(e *Eval) []byte { return e.putAddr(e.meta.Dst) }
	default: // fieldLen
		var str [256]bool
		for code := range str {
			str[code] = c.opts.isString(uint8(code))
		}
		return func(e *Eval) []byte { return e.put32(uint32(e.keaLen(&str))) }
	}
}

func (c *compiler) pkt4Field(field uint8) strFn {
	switch field {
	case fieldMAC:
		return func(e *Eval) []byte { return e.pkt.CHAddr() }
	case fieldHLen:
		return func(e *Eval) []byte { return e.put32(uint32(len(e.pkt.CHAddr()))) }
	case fieldHType:
		return func(e *Eval) []byte { return e.put32(uint32(e.pkt.HType())) }
	case fieldCIAddr:
		return func(e *Eval) []byte { return e.putAddr(e.pkt.CIAddr()) }
	case fieldGIAddr:
		return func(e *Eval) []byte { return e.putAddr(e.pkt.GIAddr()) }
	case fieldYIAddr:
		return func(e *Eval) []byte { return e.putAddr(e.pkt.YIAddr()) }
	case fieldSIAddr:
		return func(e *Eval) []byte { return e.putAddr(e.pkt.SIAddr()) }
	case fieldMsgType:
		return func(e *Eval) []byte {
			if e.bootpReq {
				return e.put32(uint32(dhcpv4.Request))
			}
			return e.put32(uint32(e.pkt.MessageType()))
		}
	default: // fieldTransID
		return func(e *Eval) []byte { return e.put32(e.pkt.XID()) }
	}
}

func fitsInt32(n int64) bool { return n >= math.MinInt32 && n <= math.MaxInt32 }

// substring follows Kea: an empty input gives an empty result before the
// numbers are looked at; a start outside the string gives an empty
// result; a negative length takes bytes before start.
func (c *compiler) substring(n *node) strFn {
	f := c.strNode(n.args[0])
	start, length, all := n.n1, n.n2, n.all
	startOK, lengthOK := fitsInt32(start), all || fitsInt32(length)
	return func(e *Eval) []byte {
		s := f(e)
		if len(s) == 0 {
			return nil
		}
		if !startOK {
			e.fail(errSubStart)
			return nil
		}
		if !lengthOK {
			e.fail(errSubLength)
			return nil
		}
		size := int64(len(s))
		pos, l := start, length
		if all {
			l = size
		}
		if pos < -size || pos >= size {
			return nil
		}
		if pos < 0 {
			pos += size
		}
		if l < 0 {
			l = -l
			if l <= pos {
				pos -= l
			} else {
				l = pos
				pos = 0
			}
		}
		end := min(pos+l, size)
		return s[pos:end:end]
	}
}

// split follows Kea: fields are separated by any one of the delimiter
// bytes, adjacent delimiters give empty fields, and fields are numbered
// from 1.
func (c *compiler) split(n *node) strFn {
	fs, fd := c.strNode(n.args[0]), c.strNode(n.args[1])
	field := n.n1
	fieldOK := fitsInt32(field)
	return func(e *Eval) []byte {
		s := fs(e)
		delims := fd(e)
		if len(s) == 0 {
			return nil
		}
		if !fieldOK {
			e.fail(errSplitField)
			return nil
		}
		if len(delims) == 0 {
			return s
		}
		if field < 1 {
			return nil
		}
		k := int64(1)
		begin := 0
		for i := 0; i <= len(s); i++ {
			if i < len(s) && bytes.IndexByte(delims, s[i]) < 0 {
				continue
			}
			if k == field {
				return s[begin:i:i]
			}
			k++
			begin = i + 1
		}
		return nil
	}
}

func (c *compiler) intToText(n *node) strFn {
	f := c.strNode(n.args[0])
	op := n.op
	return func(e *Eval) []byte {
		v := f(e)
		if len(v) == 0 {
			return v
		}
		start := len(e.buf)
		switch op {
		case opInt8ToText:
			if len(v) != 1 {
				e.fail(errInt8Len)
				return nil
			}
			e.buf = strconv.AppendInt(e.buf, int64(int8(v[0])), 10)
		case opInt16ToText:
			if len(v) != 2 {
				e.fail(errInt16Len)
				return nil
			}
			e.buf = strconv.AppendInt(e.buf, int64(int16(binary.BigEndian.Uint16(v))), 10)
		case opInt32ToText:
			if len(v) != 4 {
				e.fail(errInt32Len)
				return nil
			}
			e.buf = strconv.AppendInt(e.buf, int64(int32(binary.BigEndian.Uint32(v))), 10)
		case opUint8ToText:
			if len(v) != 1 {
				e.fail(errUint8Len)
				return nil
			}
			e.buf = strconv.AppendUint(e.buf, uint64(v[0]), 10)
		case opUint16ToText:
			if len(v) != 2 {
				e.fail(errUint16Len)
				return nil
			}
			e.buf = strconv.AppendUint(e.buf, uint64(binary.BigEndian.Uint16(v)), 10)
		default:
			if len(v) != 4 {
				e.fail(errUint32Len)
				return nil
			}
			e.buf = strconv.AppendUint(e.buf, uint64(binary.BigEndian.Uint32(v)), 10)
		}
		return e.out(start)
	}
}

// appendIPv6Text writes a 16-byte address as the C library's inet_ntop
// does, which is what Kea prints: like Go's form, except that an address
// in ::/96 other than :: and ::1 ends in dotted IPv4 (::192.0.2.1).
func appendIPv6Text(b []byte, a [16]byte) []byte {
	var zero12 [12]byte
	if [12]byte(a[:12]) == zero12 && (a[12]|a[13]|a[14] != 0 || a[15] > 1) {
		b = append(b, "::"...)
		return netip.AddrFrom4([4]byte(a[12:])).AppendTo(b)
	}
	return netip.AddrFrom16(a).AppendTo(b)
}
