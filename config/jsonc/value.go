package jsonc

import (
	"fmt"
	"slices"
	"strconv"
	"strings"
	"unicode/utf8"
)

// Pos is a place in a configuration file. Line and Col count from 1; Col
// counts bytes.
type Pos struct {
	File string
	Line int
	Col  int
}

func (p Pos) String() string {
	if p.File == "" && p.Line == 0 {
		return "-"
	}
	if p.Line == 0 {
		// The file as a whole, e.g. one that cannot be read.
		return p.File
	}
	return p.File + ":" + strconv.Itoa(p.Line) + ":" + strconv.Itoa(p.Col)
}

// IsValid reports whether p names a place.
func (p Pos) IsValid() bool { return p.Line > 0 }

// pos is the compact form of Pos stored in every Value: the file name is
// shared by all values of one file. The low 24 bits of col hold the
// column; a Value keeps its Kind in the top 8, which keeps large trees
// small.
type pos struct {
	file *string
	line int32
	col  uint32
}

const colMask = 1<<24 - 1

func (p pos) Pos() Pos {
	if p.file == nil {
		return Pos{}
	}
	return Pos{File: *p.file, Line: int(p.line), Col: int(p.col & colMask)}
}

// Severity tells whether a diagnostic makes the input unusable.
type Severity uint8

// Severities, from worst.
const (
	Error Severity = iota
	Warning
)

func (s Severity) String() string {
	if s == Warning {
		return "warning"
	}
	return "error"
}

// Diagnostic is one problem found in a configuration, with its place.
type Diagnostic struct {
	Pos      Pos
	Severity Severity
	Msg      string
	// Detail is what the operating system said about a file that could
	// not be read (such as "no such file or directory"): helpful to the
	// operator, but it tells whether a path exists, so Brief leaves it
	// out for answers to remote callers.
	Detail string
}

// String is the diagnostic as the operator sees it: place, severity,
// message and detail.
func (d Diagnostic) String() string {
	if d.Detail != "" {
		return d.Brief() + ": " + d.Detail
	}
	return d.Brief()
}

// Brief is String without the Detail.
func (d Diagnostic) Brief() string {
	return d.Pos.String() + ": " + d.Severity.String() + ": " + d.Msg
}

// Kind is the JSON type of a Value.
type Kind uint8

// The JSON types.
const (
	Null Kind = iota
	Bool
	Number
	String
	Array
	Object
)

var kindNames = [...]string{"null", "boolean", "number", "string", "list", "map"}

func (k Kind) String() string {
	if int(k) < len(kindNames) {
		return kindNames[k]
	}
	return "kind(" + strconv.Itoa(int(k)) + ")"
}

// Value is one JSON value with its position. Values are immutable once
// parsed.
type Value struct {
	// pos holds the Kind in the top bits of its column.
	pos pos
	// text is the unescaped string, the number's literal text, or "true"
	// / "false".
	text string
	// kids are an object's members in the order written, or an array's
	// elements (with empty keys).
	kids []Member
}

// Member is one key and value of an object, or one element of an array
// (Key is then empty).
type Member struct {
	Key    string
	keyPos pos
	Value  Value
}

// KeyPos is the position of the member's key.
func (m *Member) KeyPos() Pos { return m.keyPos.Pos() }

// Kind reports the value's JSON type.
func (v *Value) Kind() Kind { return Kind(v.pos.col >> 24) }

func newValue(at pos, k Kind, text string) Value {
	at.col = at.col&colMask | uint32(k)<<24
	return Value{pos: at, text: text}
}

// Pos reports where the value starts.
func (v *Value) Pos() Pos { return v.pos.Pos() }

// Str returns a string value's text, a number's literal, or "true"/"false".
func (v *Value) Str() string { return v.text }

// Bool returns a boolean value.
func (v *Value) Bool() bool { return v.Kind() == Bool && v.text == "true" }

// Int returns a number as an integer. It fails for numbers with a fraction
// or exponent and for numbers outside int64.
func (v *Value) Int() (int64, error) {
	if v.Kind() != Number {
		return 0, fmt.Errorf("not a number")
	}
	return strconv.ParseInt(v.text, 10, 64)
}

// Float returns a number as a float64.
func (v *Value) Float() (float64, error) {
	if v.Kind() != Number {
		return 0, fmt.Errorf("not a number")
	}
	t := v.text
	// Go's parser wants a digit before the point; Kea writes ".5".
	if strings.HasPrefix(t, ".") {
		t = "0" + t
	} else if strings.HasPrefix(t, "-.") {
		t = "-0" + t[1:]
	}
	return strconv.ParseFloat(t, 64)
}

// Members returns an object's members, or an array's elements.
func (v *Value) Members() []Member { return v.kids }

// Len returns the number of members or elements.
func (v *Value) Len() int { return len(v.kids) }

// Index returns an array's i-th element.
func (v *Value) Index(i int) *Value { return &v.kids[i].Value }

// Get returns the member of an object with the given key, or nil.
func (v *Value) Get(key string) *Value {
	if v == nil || v.Kind() != Object {
		return nil
	}
	for i := range v.kids {
		if v.kids[i].Key == key {
			return &v.kids[i].Value
		}
	}
	return nil
}

// Describe names the value's type and, for short scalars, the value itself,
// for use in messages ("string \"abc\"", "map").
func (v *Value) Describe() string {
	switch v.Kind() {
	case String:
		if len(v.text) > 40 {
			return "a string"
		}
		return "string " + strconv.Quote(v.text)
	case Number:
		return "number " + v.text
	case Bool:
		return v.text
	case Null:
		return "null"
	case Array:
		return "a list"
	}
	return "a map"
}

// IsSecretKey reports whether a key names a secret: its name ends in
// "password" or "secret", in any case.
func IsSecretKey(key string) bool {
	k := strings.ToLower(key)
	return strings.HasSuffix(k, "password") || strings.HasSuffix(k, "secret")
}

// Redacted is what a secret prints as.
const Redacted = "*****"

// String returns the value as compact JSON with secrets redacted.
func (v *Value) String() string { return string(v.AppendJSON(nil, true, false)) }

// MarshalJSON returns the value as compact JSON with secrets redacted, so a
// Value never leaks a secret through encoding/json.
func (v *Value) MarshalJSON() ([]byte, error) { return v.AppendJSON(nil, true, false), nil }

// AppendJSON appends the value as compact JSON. With redact, every member
// whose key is a secret prints as "*****". With sorted, object keys are
// written in byte order, which gives a form that does not depend on how the
// file was laid out.
func (v *Value) AppendJSON(dst []byte, redact, sorted bool) []byte {
	switch v.Kind() {
	case Null:
		return append(dst, "null"...)
	case Bool, Number:
		return append(dst, v.text...)
	case String:
		return appendQuoted(dst, v.text)
	case Array:
		dst = append(dst, '[')
		for i := range v.kids {
			if i > 0 {
				dst = append(dst, ',')
			}
			dst = v.kids[i].Value.AppendJSON(dst, redact, sorted)
		}
		return append(dst, ']')
	}
	order := make([]int, len(v.kids))
	for i := range order {
		order[i] = i
	}
	if sorted {
		slices.SortStableFunc(order, func(a, b int) int { return strings.Compare(v.kids[a].Key, v.kids[b].Key) })
	}
	dst = append(dst, '{')
	for n, i := range order {
		if n > 0 {
			dst = append(dst, ',')
		}
		m := &v.kids[i]
		dst = appendQuoted(dst, m.Key)
		dst = append(dst, ':')
		if redact && IsSecretKey(m.Key) {
			dst = appendQuoted(dst, Redacted)
			continue
		}
		dst = m.Value.AppendJSON(dst, redact, sorted)
	}
	return append(dst, '}')
}

// appendQuoted writes s as a JSON string. Bytes that are not valid UTF-8
// are copied as they are, so text read from a file prints back unchanged.
func appendQuoted(dst []byte, s string) []byte {
	const hex = "0123456789abcdef"
	dst = append(dst, '"')
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c == '"' || c == '\\':
			dst = append(dst, '\\', c)
		case c == '\n':
			dst = append(dst, '\\', 'n')
		case c == '\t':
			dst = append(dst, '\\', 't')
		case c == '\r':
			dst = append(dst, '\\', 'r')
		case c < 0x20:
			dst = append(dst, '\\', 'u', '0', '0', hex[c>>4], hex[c&15])
		default:
			dst = append(dst, c)
		}
	}
	return append(dst, '"')
}

// MaxQuoted is how many bytes of a text a message quotes; the rest is
// cut and the text's length given instead, so that a key or value of
// megabytes makes a message of one line.
const MaxQuoted = 64

// Quote is strconv.Quote for messages: a text longer than MaxQuoted
// bytes is cut there, marked with "…", and followed by its length.
func Quote(s string) string {
	if len(s) <= MaxQuoted {
		return strconv.Quote(s)
	}
	return strconv.Quote(cut(s)+"…") + " (" + strconv.Itoa(len(s)) + " bytes)"
}

// Shorten is Quote without the quotes.
func Shorten(s string) string {
	if len(s) <= MaxQuoted {
		return s
	}
	return cut(s) + "… (" + strconv.Itoa(len(s)) + " bytes)"
}

// cut returns at most MaxQuoted bytes of s, not splitting a character.
func cut(s string) string {
	n := MaxQuoted
	for n > 0 && !utf8.RuneStart(s[n]) {
		n--
	}
	return s[:n]
}
