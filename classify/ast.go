package classify

import (
	"encoding/hex"
	"net/netip"
	"regexp"
	"strconv"
	"strings"
)

type opcode uint8

const (
	opString         opcode = iota // 'text'
	opHex                          // 0x...
	opInt                          // 123, a 4-byte big-endian value
	opIP                           // 10.0.0.1, 2001:db8::1
	opOption                       // option[a].option[b]... .hex/.text/.exists
	opRelay4                       // relay4[a].option[b]... .hex/.text/.exists
	opVendor                       // vendor[ent].exists, vendor[ent].option[a]... .hex/.text/.exists
	opVendorEnt                    // vendor.enterprise
	opVendorClass                  // vendor-class[ent].exists, vendor-class[ent].data[i]
	opVendorClassEnt               // vendor-class.enterprise
	opPkt                          // pkt.iface/src/dst/len
	opPkt4                         // pkt4.mac/...
	opSubstring                    // substring(s, start, length|all)
	opSplit                        // split(s, delims, field)
	opConcat                       // concat(a, b) or a + b
	opLcase
	opUcase
	opIfelse
	opSifelse
	opHexstring
	opAddrToText
	opInt8ToText
	opInt16ToText
	opInt32ToText
	opUint8ToText
	opUint16ToText
	opUint32ToText
	opEqual
	opNot
	opAnd
	opOr
	opSand
	opSor
	opMember
	opMatch
)

// The representation asked for at the end of an option path.
type repr uint8

const (
	reprHex repr = iota
	reprText
	reprExists
	reprData // vendor-class[ent].data[i]
)

// Fields of pkt and pkt4.
const (
	fieldIface uint8 = iota
	fieldSrc
	fieldDst
	fieldLen
	fieldMAC
	fieldHLen
	fieldHType
	fieldCIAddr
	fieldGIAddr
	fieldYIAddr
	fieldSIAddr
	fieldMsgType
	fieldTransID
)

var pktFieldNames = map[string]uint8{"iface": fieldIface, "src": fieldSrc, "dst": fieldDst, "len": fieldLen}

var pkt4FieldNames = map[string]uint8{
	"mac": fieldMAC, "hlen": fieldHLen, "htype": fieldHType, "ciaddr": fieldCIAddr,
	"giaddr": fieldGIAddr, "yiaddr": fieldYIAddr, "siaddr": fieldSIAddr,
	"msgtype": fieldMsgType, "transid": fieldTransID,
}

var fieldText = [...]string{
	fieldIface: "iface", fieldSrc: "src", fieldDst: "dst", fieldLen: "len",
	fieldMAC: "mac", fieldHLen: "hlen", fieldHType: "htype", fieldCIAddr: "ciaddr",
	fieldGIAddr: "giaddr", fieldYIAddr: "yiaddr", fieldSIAddr: "siaddr",
	fieldMsgType: "msgtype", fieldTransID: "transid",
}

// Functions taking one string argument and giving a string.
var unaryFuncs = map[string]opcode{
	"lcase": opLcase, "ucase": opUcase, "addrtotext": opAddrToText,
	"int8totext": opInt8ToText, "int16totext": opInt16ToText, "int32totext": opInt32ToText,
	"uint8totext": opUint8ToText, "uint16totext": opUint16ToText, "uint32totext": opUint32ToText,
}

var funcNames = map[opcode]string{
	opLcase: "lcase", opUcase: "ucase", opAddrToText: "addrtotext",
	opInt8ToText: "int8totext", opInt16ToText: "int16totext", opInt32ToText: "int32totext",
	opUint8ToText: "uint8totext", opUint16ToText: "uint16totext", opUint32ToText: "uint32totext",
	opSubstring: "substring", opSplit: "split", opConcat: "concat", opIfelse: "ifelse",
	opSifelse: "sifelse", opHexstring: "hexstring", opMember: "member", opMatch: "match",
	opAnd: "and", opOr: "or", opSand: "sand", opSor: "sor",
}

// node is one element of the syntax tree.
type node struct {
	op    opcode
	col   int // 1-based column of the construct in the source
	args  []*node
	val   []byte // literal value (string, hex, int, ip)
	text  string // class name (member), regular expression source (match)
	codes []uint8
	repr  repr
	field uint8
	ent   uint32 // enterprise id; 0 is any
	index int    // vendor-class data index
	// substring start and length, split field. Kea parses them as a C int at
	// evaluation, so a value outside int32 is an evaluation error, not a
	// syntax error.
	n1, n2 int64
	all    bool // substring length is 'all'
	infix  bool // concat written as a + b
	addr   netip.Addr
	re     *regexp.Regexp
	member *memberRef
}

// isBool reports whether the node yields a boolean.
func (n *node) isBool() bool {
	switch n.op {
	case opEqual, opNot, opAnd, opOr, opSand, opSor, opMember, opMatch:
		return true
	case opOption, opRelay4, opVendor, opVendorClass:
		return n.repr == reprExists
	}
	return false
}

// print writes the canonical form of n. Binary operators are fully
// parenthesised so that printing and parsing again gives the same tree.
func (n *node) print(b *strings.Builder) {
	switch n.op {
	case opString:
		b.WriteByte('\'')
		b.Write(n.val)
		b.WriteByte('\'')
	case opHex:
		b.WriteString("0x")
		b.WriteString(hex.EncodeToString(n.val))
	case opInt:
		b.WriteString(strconv.FormatUint(uint64(be32(n.val)), 10))
	case opIP:
		b.WriteString(n.addr.String())
	case opOption:
		for i, c := range n.codes {
			if i > 0 {
				b.WriteByte('.')
			}
			b.WriteString("option[")
			b.WriteString(strconv.Itoa(int(c)))
			b.WriteByte(']')
		}
		printRepr(b, n.repr)
	case opRelay4:
		b.WriteString("relay4[")
		b.WriteString(strconv.Itoa(int(n.codes[0])))
		b.WriteByte(']')
		for _, c := range n.codes[1:] {
			b.WriteString(".option[")
			b.WriteString(strconv.Itoa(int(c)))
			b.WriteByte(']')
		}
		printRepr(b, n.repr)
	case opVendor:
		b.WriteString("vendor[")
		printEnt(b, n.ent)
		b.WriteByte(']')
		for _, c := range n.codes {
			b.WriteString(".option[")
			b.WriteString(strconv.Itoa(int(c)))
			b.WriteByte(']')
		}
		printRepr(b, n.repr)
	case opVendorEnt:
		b.WriteString("vendor.enterprise")
	case opVendorClass:
		b.WriteString("vendor-class[")
		printEnt(b, n.ent)
		b.WriteByte(']')
		if n.repr == reprExists {
			b.WriteString(".exists")
		} else {
			b.WriteString(".data[")
			b.WriteString(strconv.Itoa(n.index))
			b.WriteByte(']')
		}
	case opVendorClassEnt:
		b.WriteString("vendor-class.enterprise")
	case opPkt:
		b.WriteString("pkt.")
		b.WriteString(fieldText[n.field])
	case opPkt4:
		b.WriteString("pkt4.")
		b.WriteString(fieldText[n.field])
	case opSubstring:
		b.WriteString("substring(")
		n.args[0].print(b)
		b.WriteString(", ")
		b.WriteString(strconv.FormatInt(n.n1, 10))
		b.WriteString(", ")
		if n.all {
			b.WriteString("all")
		} else {
			b.WriteString(strconv.FormatInt(n.n2, 10))
		}
		b.WriteByte(')')
	case opSplit:
		b.WriteString("split(")
		n.args[0].print(b)
		b.WriteString(", ")
		n.args[1].print(b)
		b.WriteString(", ")
		b.WriteString(strconv.FormatInt(n.n1, 10))
		b.WriteByte(')')
	case opConcat:
		if n.infix {
			b.WriteByte('(')
			n.args[0].print(b)
			b.WriteString(" + ")
			n.args[1].print(b)
			b.WriteByte(')')
			return
		}
		printCall(b, "concat", n.args)
	case opEqual:
		n.args[0].print(b)
		b.WriteString(" == ")
		n.args[1].print(b)
	case opNot:
		b.WriteString("not ")
		n.args[0].print(b)
	case opAnd, opOr, opSand, opSor:
		b.WriteByte('(')
		n.args[0].print(b)
		b.WriteByte(' ')
		b.WriteString(funcNames[n.op])
		b.WriteByte(' ')
		n.args[1].print(b)
		b.WriteByte(')')
	case opMember:
		b.WriteString("member('")
		b.WriteString(n.text)
		b.WriteString("')")
	case opMatch:
		b.WriteString("match('")
		b.WriteString(n.text)
		b.WriteString("', ")
		n.args[0].print(b)
		b.WriteByte(')')
	default:
		printCall(b, funcNames[n.op], n.args)
	}
}

func printCall(b *strings.Builder, name string, args []*node) {
	b.WriteString(name)
	b.WriteByte('(')
	for i, a := range args {
		if i > 0 {
			b.WriteString(", ")
		}
		a.print(b)
	}
	b.WriteByte(')')
}

func printRepr(b *strings.Builder, r repr) {
	switch r {
	case reprHex:
		b.WriteString(".hex")
	case reprText:
		b.WriteString(".text")
	case reprExists:
		b.WriteString(".exists")
	}
}

func printEnt(b *strings.Builder, ent uint32) {
	if ent == 0 {
		b.WriteByte('*')
		return
	}
	b.WriteString(strconv.FormatUint(uint64(ent), 10))
}

func be32(b []byte) uint32 {
	return uint32(b[0])<<24 | uint32(b[1])<<16 | uint32(b[2])<<8 | uint32(b[3])
}
