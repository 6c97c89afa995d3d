package jsonc

import (
	"errors"
	"fmt"
	"io/fs"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/leased/leased/internal/regularfile"
)

// Options tune Parse and ParseFile. The zero value is ready to use.
type Options struct {
	// ReadFile reads the file named by the path and included files. When
	// nil, only regular files are read (a FIFO or a device is refused),
	// within ReadTimeout and the size limit; tests and fuzzers supply
	// their own, whose results count against the size limit too.
	ReadFile func(name string) ([]byte, error)
	// MaxTotalSize bounds the bytes of the configuration and all its
	// includes together (default MaxTotalSize).
	MaxTotalSize int64
	// ReadTimeout bounds the reading of one file (default ReadTimeout).
	ReadTimeout time.Duration
	// MaxIncludeDepth bounds include nesting (default 16).
	MaxIncludeDepth int
	// MaxDepth bounds the nesting of maps and lists (default 256).
	MaxDepth int
}

// Doc is the result of reading a configuration.
type Doc struct {
	// Root is the top value; it is null when reading failed.
	Root Value
	// Files lists the files read, the named file first, then included
	// files in the order they were first included.
	Files []string
	// Diags holds the warnings and, when reading failed, the error.
	Diags []Diagnostic
}

// Failed reports whether the document could not be read.
func (d *Doc) Failed() bool {
	for _, g := range d.Diags {
		if g.Severity == Error {
			return true
		}
	}
	return false
}

// ParseFile reads the named file and the files it includes.
func ParseFile(path string, o *Options) *Doc {
	p := newParser(o)
	data, err := p.read(path)
	if err != nil {
		p.diags = append(p.diags, p.readError(Pos{File: path}, "configuration", path, err))
		return p.doc(Value{})
	}
	return p.run(path, data)
}

// Parse reads src, whose name is used in positions and to resolve relative
// includes. src counts against the size limit.
func Parse(name string, src []byte, o *Options) *Doc {
	p := newParser(o)
	if int64(len(src)) > p.left {
		p.diags = append(p.diags, Diagnostic{Pos: Pos{File: name}, Severity: Error,
			Msg: fmt.Sprintf("the configuration is too large: %d bytes, more than the %s a configuration and its includes may hold together", len(src), sizeText(p.left))})
		return p.doc(Value{})
	}
	return p.run(name, src)
}

// read reads a file of the configuration, counting it against the size
// limit.
func (p *parser) read(name string) ([]byte, error) {
	var data []byte
	var err error
	if p.readFile == nil {
		data, err = readRegular(name, p.left, p.timeout)
	} else if data, err = p.readFile(name); err == nil && int64(len(data)) > p.left {
		data, err = nil, &regularfile.TooLargeError{Size: int64(len(data)), Limit: p.left}
	}
	return data, err
}

// sizeText is n bytes in MiB when it is a whole number of them.
func sizeText(n int64) string {
	if n >= 1<<20 && n%(1<<20) == 0 {
		return fmt.Sprintf("%d MiB", n>>20)
	}
	return fmt.Sprintf("%d bytes", n)
}

// readError describes a file of the configuration that cannot be read.
// The operating system's words go to Detail: they tell the operator why,
// and a remote caller whether the path exists, which Brief leaves out.
func (p *parser) readError(at Pos, what, name string, err error) Diagnostic {
	// The message names the file; the detail is only why.
	var pe *fs.PathError
	if errors.As(err, &pe) {
		err = pe.Err
	}
	d := Diagnostic{Pos: at, Severity: Error, Detail: err.Error()}
	var nr *regularfile.NotRegularError
	var tl *regularfile.TooLargeError
	switch {
	case errors.As(err, &tl):
		d.Msg = fmt.Sprintf("%s %s is too large: a configuration and its includes may hold %s together", what, Quote(name), sizeText(p.maxTotal))
		// The limit left when the file was read, not the whole one: the
		// files read before took the rest.
		if tl.Size < 0 {
			d.Detail = fmt.Sprintf("it holds more than the %d bytes that were left", tl.Limit)
		} else {
			d.Detail = fmt.Sprintf("it holds %d bytes; %d were left", tl.Size, tl.Limit)
		}
	case errors.As(err, &nr):
		d.Msg = fmt.Sprintf("%s %s is not a regular file", what, Quote(name))
		d.Detail = "it is " + nr.Kind()
	default:
		d.Msg = fmt.Sprintf("cannot read %s %s", what, Quote(name))
	}
	return d
}

type tokKind uint8

const (
	tEOF tokKind = iota
	tLBrace
	tRBrace
	tLBrack
	tRBrack
	tColon
	tComma
	tString
	tNumber
	tTrue
	tFalse
	tNull
)

var tokNames = [...]string{"end of file", "'{'", "'}'", "'['", "']'", "':'", "','", "string", "number", "true", "false", "null"}

type token struct {
	kind tokKind
	pos  pos
	text string
}

type source struct {
	name      *string
	data      string
	off       int
	line      int32
	lineStart int
}

type parser struct {
	readFile        func(string) ([]byte, error)
	maxIncludeDepth int
	maxDepth        int
	maxTotal        int64
	timeout         time.Duration
	// left is how many bytes the files still to be read may hold.
	left int64

	stack  []*source
	files  []string
	diags  []Diagnostic
	failed bool
	tok    token
	// secret counts the secret members being read (see IsSecretKey);
	// while it is not zero, errors do not quote the text they are about.
	secret int
	// scratch holds the members of the containers being read.
	scratch []Member
}

func newParser(o *Options) *parser {
	p := &parser{maxIncludeDepth: 16, maxDepth: 256, maxTotal: MaxTotalSize, timeout: ReadTimeout}
	if o != nil {
		p.readFile = o.ReadFile
		if o.MaxTotalSize > 0 {
			p.maxTotal = o.MaxTotalSize
		}
		if o.ReadTimeout > 0 {
			p.timeout = o.ReadTimeout
		}
		if o.MaxIncludeDepth > 0 {
			p.maxIncludeDepth = o.MaxIncludeDepth
		}
		if o.MaxDepth > 0 {
			p.maxDepth = o.MaxDepth
		}
	}
	p.left = p.maxTotal
	return p
}

func (p *parser) doc(root Value) *Doc {
	return &Doc{Root: root, Files: p.files, Diags: p.diags}
}

func (p *parser) run(name string, data []byte) *Doc {
	p.push(name, data)
	p.next()
	if p.failed {
		return p.doc(Value{})
	}
	if p.tok.kind == tEOF {
		p.errorAt(p.tok.pos, "the file holds no configuration (expected a map such as { \"Dhcp4\": { ... } })")
		return p.doc(Value{})
	}
	v := p.value(0)
	if p.failed {
		return p.doc(Value{})
	}
	if p.tok.kind != tEOF {
		p.errorAt(p.tok.pos, "unexpected "+p.describe(p.tok)+" after the end of the configuration")
		return p.doc(Value{})
	}
	return p.doc(v)
}

func (p *parser) push(name string, data []byte) {
	p.left -= int64(len(data))
	n := name
	p.files = append(p.files, name)
	p.stack = append(p.stack, &source{name: &n, data: string(data), line: 1})
}

func (p *parser) errorAt(at pos, msg string) {
	if p.failed {
		return
	}
	p.failed = true
	p.tok = token{kind: tEOF, pos: at}
	p.diags = append(p.diags, Diagnostic{Pos: at.Pos(), Severity: Error, Msg: msg})
}

// fail records d, an error, as errorAt does.
func (p *parser) fail(d Diagnostic) {
	if p.failed {
		return
	}
	p.failed = true
	p.tok = token{kind: tEOF}
	p.diags = append(p.diags, d)
}

func (p *parser) warnAt(at pos, msg string) {
	p.diags = append(p.diags, Diagnostic{Pos: at.Pos(), Severity: Warning, Msg: msg})
}

func (s *source) here() pos {
	return pos{file: s.name, line: s.line, col: uint32(min(s.off-s.lineStart+1, colMask))}
}

func (p *parser) describe(t token) string {
	switch {
	case t.kind == tString && p.secret > 0:
		return "a string"
	case t.kind == tNumber && p.secret > 0:
		return "a number"
	case t.kind == tString:
		return "string " + Quote(t.text)
	case t.kind == tNumber:
		return "number " + t.text
	}
	return tokNames[t.kind]
}

// next reads the next token into p.tok, skipping space, comments and
// include directives, and leaving included files when they end.
func (p *parser) next() {
	if p.failed {
		return
	}
	for {
		s := p.stack[len(p.stack)-1]
		if !p.skipSpace(s) {
			return
		}
		if s.off >= len(s.data) {
			if len(p.stack) == 1 {
				p.tok = token{kind: tEOF, pos: s.here()}
				return
			}
			p.stack = p.stack[:len(p.stack)-1]
			continue
		}
		at := s.here()
		c := s.data[s.off]
		switch c {
		case '{', '}', '[', ']', ':', ',':
			s.off++
			p.tok = token{kind: punct(c), pos: at}
			return
		case '"':
			text, ok := p.scanString(s)
			if !ok {
				return
			}
			p.tok = token{kind: tString, pos: at, text: text}
			return
		case '<':
			if strings.HasPrefix(s.data[s.off:], "<?") {
				if !p.include(s) {
					return
				}
				continue
			}
		}
		if c == '-' || c == '.' || (c >= '0' && c <= '9') {
			text, ok := p.scanNumber(s)
			if !ok {
				return
			}
			p.tok = token{kind: tNumber, pos: at, text: text}
			return
		}
		if isWordByte(c) {
			start := s.off
			for s.off < len(s.data) && isWordByte(s.data[s.off]) {
				s.off++
			}
			w := s.data[start:s.off]
			switch w {
			case "true":
				p.tok = token{kind: tTrue, pos: at, text: w}
			case "false":
				p.tok = token{kind: tFalse, pos: at, text: w}
			case "null":
				p.tok = token{kind: tNull, pos: at}
			default:
				w = Quote(w)
				if p.secret > 0 {
					w = strconv.Quote(Redacted)
				}
				p.errorAt(at, "unexpected word "+w+" (text values must be in double quotes)")
				return
			}
			return
		}
		r, _ := utf8.DecodeRuneInString(s.data[s.off:])
		p.errorAt(at, "unexpected character "+strconv.QuoteRune(r))
		return
	}
}

func punct(c byte) tokKind {
	switch c {
	case '{':
		return tLBrace
	case '}':
		return tRBrace
	case '[':
		return tLBrack
	case ']':
		return tRBrack
	case ':':
		return tColon
	}
	return tComma
}

func isWordByte(c byte) bool {
	return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '_' || c == '-'
}

// skipSpace moves past white space and comments. It returns false after
// reporting an unterminated block comment.
func (p *parser) skipSpace(s *source) bool {
	for s.off < len(s.data) {
		c := s.data[s.off]
		switch {
		case c == '\n':
			s.off++
			s.line++
			s.lineStart = s.off
		case c == ' ' || c == '\t' || c == '\r' || c == '\f' || c == '\v':
			s.off++
		case c == '#' || (c == '/' && s.off+1 < len(s.data) && s.data[s.off+1] == '/'):
			for s.off < len(s.data) && s.data[s.off] != '\n' {
				s.off++
			}
		case c == '/' && s.off+1 < len(s.data) && s.data[s.off+1] == '*':
			at := s.here()
			s.off += 2
			for {
				if s.off >= len(s.data) {
					p.errorAt(at, "comment started with /* is never closed with */")
					return false
				}
				if s.data[s.off] == '*' && s.off+1 < len(s.data) && s.data[s.off+1] == '/' {
					s.off += 2
					break
				}
				if s.data[s.off] == '\n' {
					s.line++
					s.lineStart = s.off + 1
				}
				s.off++
			}
		default:
			return true
		}
	}
	return true
}

func (p *parser) scanString(s *source) (string, bool) {
	at := s.here()
	s.off++ // opening quote
	start := s.off
	// Fast path: no escapes, so the value can share the file's text.
	for i := s.off; i < len(s.data); i++ {
		c := s.data[i]
		if c == '"' {
			s.off = i + 1
			return s.data[start:i], true
		}
		if c == '\\' || c < 0x20 {
			break
		}
	}
	var b strings.Builder
	for {
		if s.off >= len(s.data) {
			p.errorAt(at, "string is never closed with a double quote")
			return "", false
		}
		c := s.data[s.off]
		switch {
		case c == '"':
			s.off++
			return b.String(), true
		case c == '\n':
			p.errorAt(at, "string is not closed before the end of the line")
			return "", false
		case c < 0x20:
			p.errorAt(s.here(), "control character "+strconv.QuoteRune(rune(c))+" in a string (write it as an escape such as \\t)")
			return "", false
		case c != '\\':
			b.WriteByte(c)
			s.off++
			continue
		}
		escAt := s.here()
		if s.off+1 >= len(s.data) {
			p.errorAt(at, "string is never closed with a double quote")
			return "", false
		}
		e := s.data[s.off+1]
		s.off += 2
		switch e {
		case '"', '\\', '/':
			b.WriteByte(e)
		case 'b':
			b.WriteByte('\b')
		case 'f':
			b.WriteByte('\f')
		case 'n':
			b.WriteByte('\n')
		case 'r':
			b.WriteByte('\r')
		case 't':
			b.WriteByte('\t')
		case 'u':
			r, ok := p.hex4(s, escAt)
			if !ok {
				return "", false
			}
			if utf16IsHigh(r) && strings.HasPrefix(s.data[s.off:], "\\u") {
				s.off += 2
				r2, ok := p.hex4(s, escAt)
				if !ok {
					return "", false
				}
				r = utf16Decode(r, r2)
			}
			b.WriteRune(r)
		default:
			p.errorAt(escAt, "unknown escape \\"+string(rune(e))+" in a string")
			return "", false
		}
	}
}

func (p *parser) hex4(s *source, at pos) (rune, bool) {
	if s.off+4 > len(s.data) {
		p.errorAt(at, "\\u escape needs four hex digits")
		return 0, false
	}
	n, err := strconv.ParseUint(s.data[s.off:s.off+4], 16, 32)
	if err != nil {
		p.errorAt(at, "\\u escape needs four hex digits")
		return 0, false
	}
	s.off += 4
	return rune(n), true
}

func utf16IsHigh(r rune) bool { return r >= 0xd800 && r < 0xdc00 }

func utf16Decode(hi, lo rune) rune {
	if lo < 0xdc00 || lo >= 0xe000 {
		return utf8.RuneError
	}
	return (hi-0xd800)<<10 | (lo - 0xdc00) + 0x10000
}

// scanNumber reads -?digits*(.digits*)?([eE][+-]?digits+)? with at least
// one digit before the exponent. Kea's lexer accepts ".5" and leading
// zeros, so this does too.
func (p *parser) scanNumber(s *source) (string, bool) {
	at := s.here()
	start := s.off
	d := s.data
	i := s.off
	if i < len(d) && d[i] == '-' {
		i++
	}
	digits := 0
	for i < len(d) && d[i] >= '0' && d[i] <= '9' {
		i++
		digits++
	}
	if i < len(d) && d[i] == '.' {
		i++
		for i < len(d) && d[i] >= '0' && d[i] <= '9' {
			i++
			digits++
		}
	}
	if digits == 0 {
		p.errorAt(at, "malformed number")
		return "", false
	}
	if i < len(d) && (d[i] == 'e' || d[i] == 'E') {
		i++
		if i < len(d) && (d[i] == '+' || d[i] == '-') {
			i++
		}
		e := 0
		for i < len(d) && d[i] >= '0' && d[i] <= '9' {
			i++
			e++
		}
		if e == 0 {
			p.errorAt(at, "malformed number (exponent without digits)")
			return "", false
		}
	}
	if i < len(d) && isWordByte(d[i]) && d[i] != '-' {
		text := d[start:min(i+1, len(d))]
		if p.secret > 0 {
			text = Redacted
		}
		p.errorAt(at, "malformed number "+Quote(text)+" (text values must be in double quotes)")
		return "", false
	}
	s.off = i
	return d[start:i], true
}

// include handles <?include "path"?> at s.off and pushes the named file.
func (p *parser) include(s *source) bool {
	at := s.here()
	rest := s.data[s.off+2:]
	if !strings.HasPrefix(rest, "include") {
		p.errorAt(at, "unknown directive (only <?include \"file\"?> is understood)")
		return false
	}
	rest = rest[len("include"):]
	trimmed := strings.TrimLeft(rest, " \t")
	if !strings.HasPrefix(trimmed, "\"") {
		p.errorAt(at, "include directive needs a quoted file name: <?include \"file\"?>")
		return false
	}
	body := trimmed[1:]
	end := strings.IndexAny(body, "\"\n")
	if end < 0 || body[end] != '"' || end == 0 {
		p.errorAt(at, "include directive needs a quoted file name: <?include \"file\"?>")
		return false
	}
	name := body[:end]
	after := strings.TrimLeft(body[end+1:], " \t")
	if !strings.HasPrefix(after, "?>") {
		p.errorAt(at, "include directive is not closed with ?>")
		return false
	}
	s.off = len(s.data) - len(after) + 2

	if len(p.stack) > p.maxIncludeDepth {
		p.errorAt(at, fmt.Sprintf("includes are nested more than %d deep", p.maxIncludeDepth))
		return false
	}
	path := filepath.Clean(name)
	var data []byte
	var err error
	if filepath.IsAbs(path) {
		data, err = p.read(path)
	} else {
		// Kea opens a relative include from its working directory;
		// the including file's directory is tried first so that a
		// configuration moved with its includes keeps working.
		path = filepath.Join(filepath.Dir(*s.name), path)
		data, err = p.read(path)
		if errors.Is(err, fs.ErrNotExist) {
			if d, err2 := p.read(name); err2 == nil {
				path, data, err = filepath.Clean(name), d, nil
			}
		}
	}
	for _, o := range p.stack {
		if filepath.Clean(*o.name) == path {
			chain := make([]string, 0, len(p.stack)+1)
			for _, o := range p.stack {
				chain = append(chain, *o.name)
			}
			chain = append(chain, path)
			p.errorAt(at, "include cycle: "+strings.Join(chain, " includes "))
			return false
		}
	}
	if err != nil {
		p.fail(p.readError(at.Pos(), "included file", name, err))
		return false
	}
	p.push(path, data)
	return true
}

func (p *parser) value(depth int) Value {
	t := p.tok
	switch t.kind {
	case tString:
		p.next()
		return newValue(t.pos, String, t.text)
	case tNumber:
		p.next()
		return newValue(t.pos, Number, t.text)
	case tTrue, tFalse:
		p.next()
		return newValue(t.pos, Bool, t.text)
	case tNull:
		p.next()
		return newValue(t.pos, Null, "")
	case tLBrace, tLBrack:
		if depth >= p.maxDepth {
			p.errorAt(t.pos, fmt.Sprintf("maps and lists are nested more than %d deep", p.maxDepth))
			return Value{}
		}
		if t.kind == tLBrace {
			return p.object(depth)
		}
		return p.array(depth)
	}
	p.errorAt(t.pos, "expected a value, found "+p.describe(t))
	return Value{}
}

func (p *parser) object(depth int) Value {
	v := newValue(p.tok.pos, Object, "")
	p.next()
	if p.tok.kind == tRBrace {
		p.next()
		return v
	}
	// Members collect on a stack shared by all open containers, so each
	// container gets one allocation of exactly its size when it closes.
	base := len(p.scratch)
	defer func() { p.scratch = p.scratch[:base] }()
	var index map[string]int
	for !p.failed {
		if p.tok.kind != tString {
			p.errorAt(p.tok.pos, "expected a quoted key, found "+p.describe(p.tok))
			break
		}
		key := p.tok
		// A secret's value is kept out of messages from the key on, in
		// case the colon is what is missing.
		secret := 0
		if IsSecretKey(key.text) {
			secret = 1
		}
		p.secret += secret
		p.next()
		if p.tok.kind != tColon {
			p.errorAt(p.tok.pos, "expected ':' after key "+Quote(key.text)+", found "+p.describe(p.tok))
			break
		}
		p.next()
		val := p.value(depth + 1)
		p.secret -= secret
		if p.failed {
			break
		}
		kids := p.scratch[base:]
		if prev, dup := findKey(kids, &index, key.text); dup {
			p.errorAt(key.pos, "duplicate key "+Quote(key.text)+" (first given at "+kids[prev].keyPos.Pos().String()+")")
			break
		}
		p.scratch = append(p.scratch, Member{Key: key.text, keyPos: key.pos, Value: val})
		if index != nil {
			index[key.text] = len(p.scratch) - 1 - base
		}
		switch p.tok.kind {
		case tRBrace:
			p.next()
			v.kids = slices.Clone(p.scratch[base:])
			return v
		case tComma:
			comma := p.tok.pos
			p.next()
			if p.tok.kind == tRBrace {
				p.warnAt(comma, "trailing comma before '}' ignored")
				p.next()
				v.kids = slices.Clone(p.scratch[base:])
				return v
			}
		default:
			p.errorAt(p.tok.pos, "expected ',' or '}' after the value of "+Quote(key.text)+", found "+p.describe(p.tok))
		}
	}
	return Value{}
}

// findKey looks for a key among an object's members so far; objects with
// many keys get an index.
func findKey(kids []Member, index *map[string]int, key string) (int, bool) {
	if *index != nil {
		i, ok := (*index)[key]
		return i, ok
	}
	for i := range kids {
		if kids[i].Key == key {
			return i, true
		}
	}
	if len(kids) >= 16 {
		*index = make(map[string]int, 2*len(kids))
		for i := range kids {
			(*index)[kids[i].Key] = i
		}
	}
	return 0, false
}

func (p *parser) array(depth int) Value {
	v := newValue(p.tok.pos, Array, "")
	p.next()
	if p.tok.kind == tRBrack {
		p.next()
		return v
	}
	base := len(p.scratch)
	defer func() { p.scratch = p.scratch[:base] }()
	for !p.failed {
		at := p.tok.pos
		val := p.value(depth + 1)
		if p.failed {
			break
		}
		p.scratch = append(p.scratch, Member{keyPos: at, Value: val})
		switch p.tok.kind {
		case tRBrack:
			p.next()
			v.kids = slices.Clone(p.scratch[base:])
			return v
		case tComma:
			comma := p.tok.pos
			p.next()
			if p.tok.kind == tRBrack {
				p.warnAt(comma, "trailing comma before ']' ignored")
				p.next()
				v.kids = slices.Clone(p.scratch[base:])
				return v
			}
		default:
			p.errorAt(p.tok.pos, "expected ',' or ']' in a list, found "+p.describe(p.tok))
		}
	}
	return Value{}
}
