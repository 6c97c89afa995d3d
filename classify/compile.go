package classify

import (
	"strings"
)

// Kind is the type of a compiled expression: Kea distinguishes boolean
// expressions (a class's "test") from string expressions (a class's
// "template-test", and the expressions of hooks such as flex-id).
type Kind uint8

const (
	Bool   Kind = iota // evaluates to true or false
	String             // evaluates to a byte string
)

func (k Kind) String() string {
	if k == Bool {
		return "boolean"
	}
	return "string"
}

// Options tell the compiler what it cannot know by itself. The zero
// Options is usable: option names are then rejected, every class name is
// accepted by member, and the standard DHCPv4 string options are trimmed.
type Options struct {
	// OptionCode resolves an option name in option[NAME] (space "dhcp4",
	// standard and custom definitions) to its code.
	OptionCode func(name string) (code uint8, ok bool)

	// StringOption reports whether the top-level option code is defined
	// with type string. Kea stores such options with trailing NUL bytes
	// removed and drops one that is empty after that, so option[N].hex,
	// .text and .exists, and the VENDOR_CLASS_ built-in class, see the
	// trimmed value. When nil, the standard definitions are used:
	// 12, 14, 15, 17, 18, 40, 47, 56, 60, 62, 64, 66, 67, 86, 87, 98, 100,
	// 101, 113 and 114.
	StringOption func(code uint8) bool

	// ClassDefined reports whether member('NAME') may name this class.
	// When nil, any name is accepted. The Classifier applies Kea's rule
	// itself (a test may name built-in classes and classes defined before
	// it) and ignores this field.
	ClassDefined func(name string) bool
}

// standardStringOptions are the dhcp4 options of type string in Kea's
// standard definitions.
var standardStringOptions = [256]bool{
	12: true, 14: true, 15: true, 17: true, 18: true, 40: true, 47: true, 56: true,
	60: true, 62: true, 64: true, 66: true, 67: true, 86: true, 87: true, 98: true,
	100: true, 101: true, 113: true, 114: true,
}

func (o *Options) isString(code uint8) bool {
	if o.StringOption != nil {
		return o.StringOption(code)
	}
	return standardStringOptions[code]
}

// memberRef is a member('NAME') inside an expression. A Classifier that
// owns the expression sets id to the class's index in its name table, so
// that evaluation tests one bit.
type memberRef struct {
	name  string
	col   int
	id    int32
	owner *Classifier
}

// Expr is a compiled expression. It is immutable and safe for concurrent
// use; evaluate it with an [Eval].
type Expr struct {
	src     string
	kind    Kind
	root    *node
	b       boolFn
	s       strFn
	members []*memberRef
}

// Compile compiles src, which must be of the given kind. Errors are
// *SyntaxError values giving the column inside src.
func Compile(src string, kind Kind, opts *Options) (*Expr, error) {
	if opts == nil {
		opts = &Options{}
	}
	toks, err := lex(src)
	if err != nil {
		return nil, err
	}
	p := &parser{src: src, toks: toks, opts: opts}
	root, err := p.parseTop(kind)
	if err != nil {
		return nil, err
	}
	x := &Expr{src: src, kind: kind, root: root, members: p.members}
	c := &compiler{opts: opts}
	if kind == Bool {
		x.b = c.boolNode(root)
	} else {
		x.s = c.strNode(root)
	}
	return x, nil
}

// MustCompile is Compile for expressions known to be valid, such as those
// in tests; it panics on error.
func MustCompile(src string, kind Kind, opts *Options) *Expr {
	x, err := Compile(src, kind, opts)
	if err != nil {
		panic(err)
	}
	return x
}

// Kind returns the kind the expression was compiled as.
func (x *Expr) Kind() Kind { return x.kind }

// Source returns the expression as given to Compile.
func (x *Expr) Source() string { return x.src }

// String returns the expression in canonical form: option names replaced
// by codes, hex literals normalised, and binary operators parenthesised.
// Compiling the result gives an equivalent expression whose String is the
// same.
func (x *Expr) String() string {
	var b strings.Builder
	x.root.print(&b)
	return b.String()
}

// Members returns the class names the expression tests with member, in
// order of appearance, without duplicates.
func (x *Expr) Members() []string {
	var out []string
	for _, m := range x.members {
		dup := false
		for _, o := range out {
			if o == m.name {
				dup = true
				break
			}
		}
		if !dup {
			out = append(out, m.name)
		}
	}
	return out
}
