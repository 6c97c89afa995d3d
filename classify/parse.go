package classify

import (
	"encoding/binary"
	"encoding/hex"
	"regexp"
	"strconv"
)

// parser is a recursive-descent parser over the token list. The grammar is
// Kea's: two types, booleans and strings, with
//
//	bool   := bool 'sor' bool | bool 'or' bool | bool 'sand' bool
//	        | bool 'and' bool | 'not' bool | string '==' string
//	        | '(' bool ')' | ... '.exists' | member(...) | match(...)
//	string := string '+' string | '(' string ')' | literal | option ... | function
//
// and the precedence, lowest first: sor, or, sand, and, not, '==', '+'.
type parser struct {
	src     string
	toks    []token
	i       int
	depth   int // nesting of parentheses, calls and 'not'
	opts    *Options
	members []*memberRef
}

// maxDepth bounds the nesting of an expression, so that a hostile one
// cannot exhaust the stack of the recursive parser, compiler or
// evaluator.
const maxDepth = 500

func (p *parser) enter(t token) error {
	p.depth++
	if p.depth > maxDepth {
		return p.errAt(t, "expression nested too deeply (more than "+strconv.Itoa(maxDepth)+" levels)")
	}
	return nil
}

// checkDepth measures the tree without recursion: chains of '+', 'and'
// and the like are built by loops and may be deep though nothing nests.
func checkDepth(src string, root *node) error {
	type item struct {
		n *node
		d int
	}
	stack := []item{{root, 1}}
	for len(stack) > 0 {
		it := stack[len(stack)-1]
		stack = stack[:len(stack)-1]
		if it.d > maxDepth {
			return synErr(src, it.n.col, "expression nested too deeply (more than "+strconv.Itoa(maxDepth)+" levels)")
		}
		for _, a := range it.n.args {
			stack = append(stack, item{a, it.d + 1})
		}
	}
	return nil
}

func (p *parser) peek() token { return p.toks[p.i] }

func (p *parser) next() token {
	t := p.toks[p.i]
	if t.kind != tEOF {
		p.i++
	}
	return t
}

func (p *parser) isWord(w string) bool {
	t := p.toks[p.i]
	return t.kind == tWord && t.text == w
}

func (p *parser) errAt(t token, msg string) error { return synErr(p.src, t.col, msg) }

// keywords are the words the grammar uses; any other word is an unknown
// identifier (or an option name, inside brackets).
var keywords = map[string]bool{
	"option": true, "relay4": true, "relay6": true, "member": true, "peeraddr": true,
	"linkaddr": true, "text": true, "hex": true, "exists": true, "pkt": true, "iface": true,
	"src": true, "dst": true, "len": true, "pkt4": true, "mac": true, "hlen": true,
	"htype": true, "ciaddr": true, "giaddr": true, "yiaddr": true, "siaddr": true,
	"substring": true, "split": true, "all": true, "concat": true, "ifelse": true,
	"sifelse": true, "hexstring": true, "addrtotext": true, "int8totext": true,
	"int16totext": true, "int32totext": true, "uint8totext": true, "uint16totext": true,
	"uint32totext": true, "lcase": true, "ucase": true, "pkt6": true, "msgtype": true,
	"transid": true, "vendor-class": true, "vendor": true, "data": true,
	"enterprise": true, "match": true, "not": true, "and": true, "or": true, "sand": true,
	"sor": true,
}

func (p *parser) unexpected(t token, want string) error {
	if t.kind == tWord && !keywords[t.text] && (want == "" || want == "end of expression") {
		return p.errAt(t, "unknown identifier '"+t.text+"'")
	}
	if want == "" {
		return p.errAt(t, "unexpected "+t.describe())
	}
	return p.errAt(t, "expected "+want+", found "+t.describe())
}

func (p *parser) expect(k tokKind, want string) (token, error) {
	t := p.peek()
	if t.kind != k {
		return t, p.unexpected(t, want)
	}
	return p.next(), nil
}

// parseTop parses a whole expression of the wanted kind.
func (p *parser) parseTop(kind Kind) (*node, error) {
	if p.peek().kind == tEOF {
		return nil, p.errAt(p.peek(), "empty expression")
	}
	n, err := p.parseBinary(0)
	if err != nil {
		return nil, err
	}
	if err := checkDepth(p.src, n); err != nil {
		return nil, err
	}
	if t := p.peek(); t.kind != tEOF {
		switch {
		case t.kind == tEq && n.isBool():
			return nil, p.errAt(t, "'==' compares strings, its left side is a boolean")
		case t.kind == tWord && !n.isBool() && isBoolOp(t.text):
			return nil, p.errAt(t, "'"+t.text+"' needs boolean operands, its left side is a string")
		}
		return nil, p.unexpected(t, "end of expression")
	}
	switch {
	case kind == Bool && !n.isBool():
		return nil, synErr(p.src, n.col, "a test must be a boolean expression, this is a string (compare it with '==')")
	case kind == String && n.isBool():
		return nil, synErr(p.src, n.col, "a template test must be a string expression, this is a boolean")
	}
	return n, nil
}

func isBoolOp(w string) bool { return w == "and" || w == "or" || w == "sand" || w == "sor" }

// The binary boolean operators by level, lowest first.
var boolLevels = [...]struct {
	word string
	op   opcode
}{{"sor", opSor}, {"or", opOr}, {"sand", opSand}, {"and", opAnd}}

// parseBinary parses the boolean operators from level lvl up; past the
// last level it parses 'not' and comparisons.
func (p *parser) parseBinary(lvl int) (*node, error) {
	if lvl == 0 {
		if err := p.enter(p.peek()); err != nil {
			return nil, err
		}
		defer func() { p.depth-- }()
	}
	if lvl == len(boolLevels) {
		return p.parseNot()
	}
	left, err := p.parseBinary(lvl + 1)
	if err != nil {
		return nil, err
	}
	for p.isWord(boolLevels[lvl].word) {
		opTok := p.next()
		if !left.isBool() {
			return nil, p.errAt(opTok, "'"+opTok.text+"' needs boolean operands, its left side is a string")
		}
		right, err := p.parseBinary(lvl + 1)
		if err != nil {
			return nil, err
		}
		if !right.isBool() {
			return nil, synErr(p.src, right.col, "'"+opTok.text+"' needs boolean operands, this is a string")
		}
		left = &node{op: boolLevels[lvl].op, col: left.col, args: []*node{left, right}}
	}
	return left, nil
}

func (p *parser) parseNot() (*node, error) {
	if !p.isWord("not") {
		return p.parseCompare()
	}
	t := p.next()
	if err := p.enter(t); err != nil {
		return nil, err
	}
	defer func() { p.depth-- }()
	arg, err := p.parseNot()
	if err != nil {
		return nil, err
	}
	if !arg.isBool() {
		return nil, synErr(p.src, arg.col, "'not' needs a boolean operand, this is a string")
	}
	return &node{op: opNot, col: t.col, args: []*node{arg}}, nil
}

func (p *parser) parseCompare() (*node, error) {
	left, err := p.parseConcat()
	if err != nil {
		return nil, err
	}
	if p.peek().kind != tEq {
		return left, nil
	}
	eq := p.next()
	if left.isBool() {
		return nil, synErr(p.src, eq.col, "'==' compares strings, its left side is a boolean")
	}
	right, err := p.parseConcat()
	if err != nil {
		return nil, err
	}
	if right.isBool() {
		return nil, synErr(p.src, right.col, "'==' compares strings, its right side is a boolean")
	}
	if t := p.peek(); t.kind == tEq {
		return nil, p.errAt(t, "'==' cannot be chained")
	}
	return &node{op: opEqual, col: left.col, args: []*node{left, right}}, nil
}

func (p *parser) parseConcat() (*node, error) {
	left, err := p.parsePrimary()
	if err != nil {
		return nil, err
	}
	for p.peek().kind == tPlus {
		plus := p.next()
		if left.isBool() {
			return nil, synErr(p.src, plus.col, "'+' joins strings, its left side is a boolean")
		}
		right, err := p.parsePrimary()
		if err != nil {
			return nil, err
		}
		if right.isBool() {
			return nil, synErr(p.src, right.col, "'+' joins strings, its right side is a boolean")
		}
		left = &node{op: opConcat, col: left.col, args: []*node{left, right}, infix: true}
	}
	return left, nil
}

func (p *parser) parsePrimary() (*node, error) {
	t := p.peek()
	switch t.kind {
	case tString:
		p.next()
		return &node{op: opString, col: t.col, val: []byte(t.text)}, nil
	case tHex:
		p.next()
		digits := t.text[2:]
		if len(digits)%2 != 0 {
			digits = "0" + digits
		}
		v, err := hex.DecodeString(digits)
		if err != nil { // the scanner admits only hex digits
			return nil, p.errAt(t, "bad hex string "+t.text)
		}
		return &node{op: opHex, col: t.col, val: v}, nil
	case tInt:
		p.next()
		if t.num < 0 || t.num > 0xffffffff {
			return nil, p.errAt(t, "integer "+t.text+" out of range 0..4294967295")
		}
		return &node{op: opInt, col: t.col, val: binary.BigEndian.AppendUint32(nil, uint32(t.num))}, nil
	case tIP:
		p.next()
		v := t.addr.AsSlice()
		return &node{op: opIP, col: t.col, val: v, addr: t.addr}, nil
	case tLParen:
		p.next()
		inner, err := p.parseBinary(0)
		if err != nil {
			return nil, err
		}
		if _, err := p.expect(tRParen, "')'"); err != nil {
			if nt := p.peek(); nt.kind == tWord && !inner.isBool() && isBoolOp(nt.text) {
				return nil, p.errAt(nt, "'"+nt.text+"' needs boolean operands, its left side is a string")
			}
			return nil, err
		}
		return inner, nil
	case tWord:
		return p.parseWord()
	case tEOF:
		return nil, p.errAt(t, "unexpected end of expression, expected a value")
	}
	return nil, p.unexpected(t, "")
}

func (p *parser) parseWord() (*node, error) {
	t := p.next()
	switch w := t.text; w {
	case "option":
		codes, err := p.optionPath(true)
		if err != nil {
			return nil, err
		}
		r, err := p.repr(false)
		if err != nil {
			return nil, err
		}
		return &node{op: opOption, col: t.col, codes: codes, repr: r}, nil
	case "relay4":
		if _, err := p.expect(tLBracket, "'['"); err != nil {
			return nil, err
		}
		first, err := p.code(false)
		if err != nil {
			return nil, err
		}
		if _, err := p.expect(tRBracket, "']'"); err != nil {
			return nil, err
		}
		codes := []uint8{first}
		// Kea's grammar takes names for the chained codes here, not for
		// the first one; follow it.
		more, err := p.chain(true)
		if err != nil {
			return nil, err
		}
		codes = append(codes, more...)
		r, err := p.repr(false)
		if err != nil {
			return nil, err
		}
		return &node{op: opRelay4, col: t.col, codes: codes, repr: r}, nil
	case "vendor":
		return p.parseVendor(t)
	case "vendor-class":
		return p.parseVendorClass(t)
	case "pkt", "pkt4":
		if _, err := p.expect(tDot, "'.'"); err != nil {
			return nil, err
		}
		f := p.next()
		names, op := pktFieldNames, opPkt
		want := "iface, src, dst or len"
		if w == "pkt4" {
			names, op = pkt4FieldNames, opPkt4
			want = "mac, hlen, htype, ciaddr, giaddr, yiaddr, siaddr, msgtype or transid"
		}
		field, ok := names[f.text]
		if f.kind != tWord || !ok {
			return nil, p.unexpected(f, want+" after "+w+".")
		}
		return &node{op: op, col: t.col, field: field}, nil
	case "pkt6", "relay6":
		return nil, p.errAt(t, w+" can only be used in DHCPv6")
	case "substring":
		return p.parseSubstring(t)
	case "split":
		if err := p.open(w); err != nil {
			return nil, err
		}
		s, err := p.stringArg(w, tComma)
		if err != nil {
			return nil, err
		}
		d, err := p.stringArg(w, tComma)
		if err != nil {
			return nil, err
		}
		f, err := p.expect(tInt, "an integer field number")
		if err != nil {
			return nil, err
		}
		if _, err := p.expect(tRParen, "')'"); err != nil {
			return nil, err
		}
		return &node{op: opSplit, col: t.col, args: []*node{s, d}, n1: f.num}, nil
	case "concat", "hexstring":
		if err := p.open(w); err != nil {
			return nil, err
		}
		a, err := p.stringArg(w, tComma)
		if err != nil {
			return nil, err
		}
		b, err := p.stringArg(w, tRParen)
		if err != nil {
			return nil, err
		}
		op := opConcat
		if w == "hexstring" {
			op = opHexstring
		}
		return &node{op: op, col: t.col, args: []*node{a, b}}, nil
	case "ifelse", "sifelse":
		if err := p.open(w); err != nil {
			return nil, err
		}
		c, err := p.parseBinary(0)
		if err != nil {
			return nil, err
		}
		if !c.isBool() {
			return nil, synErr(p.src, c.col, "the condition of "+w+" must be a boolean, this is a string")
		}
		if _, err := p.expect(tComma, "','"); err != nil {
			return nil, err
		}
		a, err := p.stringArg(w, tComma)
		if err != nil {
			return nil, err
		}
		b, err := p.stringArg(w, tRParen)
		if err != nil {
			return nil, err
		}
		op := opIfelse
		if w == "sifelse" {
			op = opSifelse
		}
		return &node{op: op, col: t.col, args: []*node{c, a, b}}, nil
	case "member":
		if err := p.open(w); err != nil {
			return nil, err
		}
		s, err := p.expect(tString, "a quoted class name")
		if err != nil {
			return nil, err
		}
		if _, err := p.expect(tRParen, "')'"); err != nil {
			return nil, err
		}
		if p.opts.ClassDefined != nil && !p.opts.ClassDefined(s.text) {
			return nil, p.errAt(s, "client class '"+s.text+"' is not defined")
		}
		ref := &memberRef{name: s.text, col: s.col, id: -1}
		p.members = append(p.members, ref)
		return &node{op: opMember, col: t.col, text: s.text, member: ref}, nil
	case "match":
		if err := p.open(w); err != nil {
			return nil, err
		}
		s, err := p.expect(tString, "a quoted regular expression")
		if err != nil {
			return nil, err
		}
		re, err := regexp.Compile(`^(?:` + s.text + `)$`)
		if err != nil {
			return nil, p.errAt(s, "invalid regular expression: "+err.Error())
		}
		if _, err := p.expect(tComma, "','"); err != nil {
			return nil, err
		}
		a, err := p.stringArg(w, tRParen)
		if err != nil {
			return nil, err
		}
		return &node{op: opMatch, col: t.col, args: []*node{a}, text: s.text, re: re}, nil
	case "known", "unknown":
		return nil, p.errAt(t, "unknown identifier '"+w+"' (Kea's parser has no such keyword: write member('KNOWN') or not member('KNOWN'))")
	case "not", "and", "or", "sand", "sor":
		return nil, p.errAt(t, "unexpected '"+w+"', expected a value")
	case "all", "hex", "text", "exists", "data", "enterprise", "iface", "src", "dst", "len",
		"mac", "hlen", "htype", "ciaddr", "giaddr", "yiaddr", "siaddr", "msgtype", "transid",
		"peeraddr", "linkaddr":
		return nil, p.errAt(t, "unexpected '"+w+"', expected a value")
	}
	if op, ok := unaryFuncs[t.text]; ok {
		if err := p.open(t.text); err != nil {
			return nil, err
		}
		a, err := p.stringArg(t.text, tRParen)
		if err != nil {
			return nil, err
		}
		return &node{op: op, col: t.col, args: []*node{a}}, nil
	}
	return nil, p.errAt(t, "unknown identifier '"+t.text+"'")
}

func (p *parser) open(fn string) error {
	_, err := p.expect(tLParen, "'(' after "+fn)
	return err
}

// stringArg parses a string argument of fn followed by the token end
// (',' or ')').
func (p *parser) stringArg(fn string, end tokKind) (*node, error) {
	a, err := p.parseBinary(0)
	if err != nil {
		return nil, err
	}
	if a.isBool() {
		return nil, synErr(p.src, a.col, "arguments of "+fn+" must be strings, this is a boolean")
	}
	want := "','"
	if end == tRParen {
		want = "')'"
	}
	if t := p.peek(); t.kind != end {
		if t.kind == tComma && end == tRParen {
			return nil, p.errAt(t, "too many arguments to "+fn)
		}
		if t.kind == tRParen && end == tComma {
			return nil, p.errAt(t, "too few arguments to "+fn)
		}
		return nil, p.unexpected(t, want)
	}
	p.next()
	return a, nil
}

func (p *parser) parseSubstring(t token) (*node, error) {
	if err := p.open("substring"); err != nil {
		return nil, err
	}
	s, err := p.stringArg("substring", tComma)
	if err != nil {
		return nil, err
	}
	start, err := p.expect(tInt, "an integer start position")
	if err != nil {
		return nil, err
	}
	if _, err := p.expect(tComma, "','"); err != nil {
		return nil, err
	}
	n := &node{op: opSubstring, col: t.col, args: []*node{s}, n1: start.num}
	switch l := p.next(); {
	case l.kind == tInt:
		n.n2 = l.num
	case l.kind == tWord && l.text == "all":
		n.all = true
	default:
		return nil, p.unexpected(l, "an integer length or 'all'")
	}
	if _, err := p.expect(tRParen, "')'"); err != nil {
		return nil, err
	}
	return n, nil
}

// code parses an option code: an integer 0..255, or, when names is set, an
// option name resolved by Options.OptionCode.
func (p *parser) code(names bool) (uint8, error) {
	t := p.next()
	switch {
	case t.kind == tInt:
		if t.num < 0 || t.num > 255 {
			return 0, p.errAt(t, "option code "+t.text+" out of range 0..255")
		}
		return uint8(t.num), nil
	case t.kind == tWord && names:
		if !validOptionName(t.text) {
			return 0, p.errAt(t, "invalid option name '"+t.text+"'")
		}
		if p.opts.OptionCode == nil {
			return 0, p.errAt(t, "option '"+t.text+"' cannot be resolved: no option name lookup configured")
		}
		c, ok := p.opts.OptionCode(t.text)
		if !ok {
			return 0, p.errAt(t, "option '"+t.text+"' is not defined")
		}
		return c, nil
	case t.kind == tWord:
		return 0, p.errAt(t, "a sub-option must be given by code, not by name ('"+t.text+"')")
	}
	if names {
		return 0, p.unexpected(t, "an option code or name")
	}
	return 0, p.unexpected(t, "an option code")
}

// validOptionName reports whether s has the shape Kea's scanner accepts as
// an option name: a letter, then letters, digits, '-' or '_', ending with a
// letter or digit.
func validOptionName(s string) bool {
	last := s[len(s)-1]
	return isLetter(last) || isDigit(last)
}

// optionPath parses "[code]" followed by any ".option[code]" links. In
// option[...] the first code may be a name and the chained ones may not,
// as in Kea's grammar.
func (p *parser) optionPath(firstNames bool) ([]uint8, error) {
	if _, err := p.expect(tLBracket, "'['"); err != nil {
		return nil, err
	}
	c, err := p.code(firstNames)
	if err != nil {
		return nil, err
	}
	if _, err := p.expect(tRBracket, "']'"); err != nil {
		return nil, err
	}
	more, err := p.chain(false)
	if err != nil {
		return nil, err
	}
	return append([]uint8{c}, more...), nil
}

// chain parses ".option[code]" links. It stops before a '.' followed by
// anything but 'option'.
func (p *parser) chain(names bool) ([]uint8, error) {
	var codes []uint8
	for p.peek().kind == tDot && p.i+1 < len(p.toks) && p.toks[p.i+1].kind == tWord && p.toks[p.i+1].text == "option" {
		p.next()
		p.next()
		if _, err := p.expect(tLBracket, "'['"); err != nil {
			return nil, err
		}
		c, err := p.code(names)
		if err != nil {
			return nil, err
		}
		if _, err := p.expect(tRBracket, "']'"); err != nil {
			return nil, err
		}
		codes = append(codes, c)
	}
	return codes, nil
}

// repr parses ".hex", ".text" or ".exists"; with existsOnly, only the last.
func (p *parser) repr(existsOnly bool) (repr, error) {
	if _, err := p.expect(tDot, "'.'"); err != nil {
		return 0, err
	}
	t := p.next()
	if t.kind == tWord {
		switch t.text {
		case "hex":
			if !existsOnly {
				return reprHex, nil
			}
		case "text":
			if !existsOnly {
				return reprText, nil
			}
		case "exists":
			return reprExists, nil
		}
	}
	if existsOnly {
		return 0, p.unexpected(t, "'exists' or 'option'")
	}
	return 0, p.unexpected(t, "'hex', 'text', 'exists' or 'option'")
}

// enterprise parses "[ent]" where ent is a 32-bit integer or '*'.
func (p *parser) enterprise() (uint32, error) {
	if _, err := p.expect(tLBracket, "'['"); err != nil {
		return 0, err
	}
	t := p.next()
	var ent uint32
	switch {
	case t.kind == tStar:
	case t.kind == tInt:
		if t.num < 0 || t.num > 0xffffffff {
			return 0, p.errAt(t, "enterprise id "+t.text+" out of range 0..4294967295")
		}
		ent = uint32(t.num)
	default:
		return 0, p.unexpected(t, "an enterprise id or '*'")
	}
	if _, err := p.expect(tRBracket, "']'"); err != nil {
		return 0, err
	}
	return ent, nil
}

func (p *parser) parseVendor(t token) (*node, error) {
	if p.peek().kind == tDot {
		p.next()
		if f := p.next(); f.kind != tWord || f.text != "enterprise" {
			return nil, p.unexpected(f, "'enterprise' after vendor.")
		}
		return &node{op: opVendorEnt, col: t.col}, nil
	}
	ent, err := p.enterprise()
	if err != nil {
		return nil, err
	}
	n := &node{op: opVendor, col: t.col, ent: ent}
	if p.peek().kind == tDot && p.i+1 < len(p.toks) && p.toks[p.i+1].kind == tWord && p.toks[p.i+1].text == "option" {
		// vendor[ent].option[code]...: the first code is a number, the
		// chained ones may be names, as in Kea's grammar.
		p.next()
		p.next()
		if _, err := p.expect(tLBracket, "'['"); err != nil {
			return nil, err
		}
		c, err := p.code(false)
		if err != nil {
			return nil, err
		}
		if _, err := p.expect(tRBracket, "']'"); err != nil {
			return nil, err
		}
		more, err := p.chain(true)
		if err != nil {
			return nil, err
		}
		n.codes = append([]uint8{c}, more...)
		if n.repr, err = p.repr(false); err != nil {
			return nil, err
		}
		return n, nil
	}
	if n.repr, err = p.repr(true); err != nil {
		return nil, err
	}
	return n, nil
}

func (p *parser) parseVendorClass(t token) (*node, error) {
	if p.peek().kind == tDot {
		p.next()
		if f := p.next(); f.kind != tWord || f.text != "enterprise" {
			return nil, p.unexpected(f, "'enterprise' after vendor-class.")
		}
		return &node{op: opVendorClassEnt, col: t.col}, nil
	}
	ent, err := p.enterprise()
	if err != nil {
		return nil, err
	}
	n := &node{op: opVendorClass, col: t.col, ent: ent}
	if _, err := p.expect(tDot, "'.'"); err != nil {
		return nil, err
	}
	f := p.next()
	switch {
	case f.kind == tWord && f.text == "exists":
		n.repr = reprExists
	case f.kind == tWord && f.text == "data":
		n.repr = reprData
		if p.peek().kind == tLBracket {
			p.next()
			i, err := p.expect(tInt, "a data index")
			if err != nil {
				return nil, err
			}
			if i.num < 0 || i.num > 255 {
				return nil, p.errAt(i, "data index "+i.text+" out of range 0..255")
			}
			n.index = int(i.num)
			if _, err := p.expect(tRBracket, "']'"); err != nil {
				return nil, err
			}
		}
	default:
		return nil, p.unexpected(f, "'exists' or 'data'")
	}
	return n, nil
}
