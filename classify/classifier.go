package classify

import (
	"errors"
	"strconv"
	"strings"

	"github.com/leased/leased/dhcpv4"
)

// ClassDef is one entry of Kea's client-classes list, as far as
// classification is concerned. Options, lifetimes and boot fields stay
// with the configuration; the classifier reports classes by index in the
// list it was given.
type ClassDef struct {
	Name string
	// Test is a boolean expression; the packet joins the class when it is
	// true. Empty: the class is only ever assigned by a host reservation,
	// a hook, or an evaluate-additional-classes list.
	Test string
	// TemplateTest is a string expression (Kea 3.x "template-test"); a
	// non-empty value v assigns the class SPAWN_<Name>_<v> and the class
	// itself. At most one of Test and TemplateTest may be set.
	TemplateTest string
	// OnlyInAdditional is only-in-additional-list (only-if-required in
	// Kea 2.2): the test runs only when the class is listed in an
	// evaluate-additional-classes (require-client-classes) list.
	OnlyInAdditional bool
	// Compiled, when set, is Test (Bool) or TemplateTest (String) already
	// compiled with Config.Options, as a configuration reader that
	// checked the expression has it; New uses it instead of compiling
	// the text again. New binds the expression's member() references to
	// the new Classifier, so one Expr must not be given to two.
	Compiled *Expr
}

// Config configures a Classifier.
type Config struct {
	// Options are used to compile every test; ClassDefined is ignored.
	Options
	// BOOTP does what Kea's libdhcp_bootp.so does: a BOOTREQUEST without a
	// message type joins class BOOTP and is seen by expressions as a
	// DHCPREQUEST (pkt4.msgtype is 3 and option 53 holds 3).
	BOOTP bool
	// Names are further class names the packet may be given at run time,
	// such as those in host reservations' client-classes. Naming them here
	// makes assigning and testing them allocation free; it is optional.
	Names []string
}

// ClassError is an error in one class definition.
type ClassError struct {
	Index int    // position in the list given to New
	Class string // the class's name
	Field string // "name", "test", "template-test" or "only-in-additional-list"
	Err   error  // a *SyntaxError for expression problems
}

func (e *ClassError) Error() string {
	var b strings.Builder
	b.WriteString("client class ")
	if e.Class != "" {
		b.WriteString(strconv.Quote(e.Class))
		b.WriteByte(' ')
	}
	b.WriteString("(client-classes[")
	b.WriteString(strconv.Itoa(e.Index))
	b.WriteString("]) ")
	b.WriteString(e.Field)
	b.WriteString(": ")
	b.WriteString(e.Err.Error())
	return b.String()
}

func (e *ClassError) Unwrap() error { return e.Err }

// Names of the built-in classes.
const (
	ClassALL     = "ALL"
	ClassKNOWN   = "KNOWN"
	ClassUNKNOWN = "UNKNOWN"
	ClassBOOTP   = "BOOTP"
	ClassDROP    = "DROP"
)

// The names and prefixes Kea treats as built in: they count as defined
// for member(), and ALL, KNOWN, UNKNOWN and BOOTP may not carry a test.
var (
	builtinNames    = []string{ClassALL, ClassKNOWN, ClassUNKNOWN, ClassBOOTP}
	builtinPrefixes = []string{"VENDOR_CLASS_", "HA_", "AFTER_", "EXTERNAL_"}
)

// IsBuiltin reports whether Kea treats name as a built-in class: ALL,
// KNOWN, UNKNOWN, BOOTP, or a name longer than one of the prefixes
// VENDOR_CLASS_, HA_, AFTER_ and EXTERNAL_. DROP is special but not built
// in: it must be defined to be tested.
func IsBuiltin(name string) bool {
	for _, b := range builtinNames {
		if name == b {
			return true
		}
	}
	for _, p := range builtinPrefixes {
		if len(name) > len(p) && strings.HasPrefix(name, p) {
			return true
		}
	}
	return false
}

type classDef struct {
	ClassDef
	expr           *Expr
	template       bool
	dependsOnKnown bool
}

// Classifier is a compiled client-classes list. It is immutable and safe
// for concurrent use; each worker evaluates packets with its own Eval
// from NewEval.
type Classifier struct {
	defs        []classDef
	ids         map[string]int32 // every known class name → id; defs first
	names       []string         // id → name
	early, late []int32          // defs evaluated before and after the host lookup
	bootp       bool
	trim60      bool
	idALL       int32
	idKNOWN     int32
	idUNKNOWN   int32
	idBOOTP     int32
	idDROP      int32
}

// New compiles a client-classes list. It applies Kea's rules: names are
// unique and not empty; test and template-test exclude each other; ALL,
// KNOWN, UNKNOWN and BOOTP have no test and DROP is not additional-only; a
// test may use member() only on built-in classes and classes defined
// before it (a template test may name any class). A class whose test
// depends on KNOWN or UNKNOWN, directly or through the classes it tests,
// is evaluated after the host reservation lookup. Errors are *ClassError.
func New(defs []ClassDef, cfg *Config) (*Classifier, error) {
	if cfg == nil {
		cfg = &Config{}
	}
	opts := cfg.Options
	opts.ClassDefined = nil
	c := &Classifier{
		defs:   make([]classDef, len(defs)),
		ids:    make(map[string]int32, len(defs)+8),
		bootp:  cfg.BOOTP,
		trim60: opts.isString(byte(dhcpv4.OptionVendorClass)),
	}
	for i, d := range defs {
		if d.Name == "" {
			return nil, &ClassError{Index: i, Field: "name", Err: errors.New("name is empty")}
		}
		if j, dup := c.ids[d.Name]; dup {
			return nil, &ClassError{Index: i, Class: d.Name, Field: "name",
				Err: errors.New("defined twice (first at client-classes[" + strconv.Itoa(int(j)) + "])")}
		}
		c.ids[d.Name] = int32(i)
		c.names = append(c.names, d.Name)
	}
	for i, d := range defs {
		if err := c.compileDef(i, d, &opts); err != nil {
			return nil, err
		}
	}
	for i := range c.defs {
		if err := c.checkDeps(i); err != nil {
			return nil, err
		}
	}
	intern := func(name string) int32 {
		if id, ok := c.ids[name]; ok {
			return id
		}
		id := int32(len(c.names))
		c.ids[name] = id
		c.names = append(c.names, name)
		return id
	}
	c.idALL = intern(ClassALL)
	c.idKNOWN = intern(ClassKNOWN)
	c.idUNKNOWN = intern(ClassUNKNOWN)
	c.idBOOTP = intern(ClassBOOTP)
	c.idDROP = intern(ClassDROP)
	for i := range c.defs {
		if x := c.defs[i].expr; x != nil {
			for _, m := range x.members {
				m.id = intern(m.name)
				m.owner = c
			}
		}
	}
	for _, n := range cfg.Names {
		intern(n)
	}
	for i, d := range c.defs {
		if d.expr == nil || d.OnlyInAdditional {
			continue
		}
		if d.dependsOnKnown {
			c.late = append(c.late, int32(i))
		} else {
			c.early = append(c.early, int32(i))
		}
	}
	return c, nil
}

func (c *Classifier) compileDef(i int, d ClassDef, opts *Options) error {
	cd := &c.defs[i]
	cd.ClassDef = d
	fail := func(field, msg string) error {
		return &ClassError{Index: i, Class: d.Name, Field: field, Err: errors.New(msg)}
	}
	if d.Test != "" && d.TemplateTest != "" {
		return fail("test", "test and template-test cannot both be set")
	}
	for _, b := range builtinNames {
		if d.Name != b {
			continue
		}
		if d.Test != "" || d.TemplateTest != "" {
			return fail("test", "built-in class '"+b+"' cannot have a test expression")
		}
		if d.OnlyInAdditional {
			return fail("only-in-additional-list", "built-in class '"+b+"' cannot be additional-only")
		}
	}
	if (d.Name == ClassDROP || d.Name == "REJECT") && d.OnlyInAdditional {
		return fail("only-in-additional-list", "special class '"+d.Name+"' cannot be additional-only")
	}
	switch {
	case d.Test != "":
		x, err := compiled(d.Compiled, d.Test, Bool, opts)
		if err != nil {
			return &ClassError{Index: i, Class: d.Name, Field: "test", Err: err}
		}
		cd.expr = x
	case d.TemplateTest != "":
		x, err := compiled(d.Compiled, d.TemplateTest, String, opts)
		if err != nil {
			return &ClassError{Index: i, Class: d.Name, Field: "template-test", Err: err}
		}
		cd.expr = x
		cd.template = true
		for _, m := range x.members {
			if m.name == ClassKNOWN || m.name == ClassUNKNOWN {
				cd.dependsOnKnown = true
			}
		}
	}
	return nil
}

// compiled returns x when it is src compiled as kind, else src compiled
// now.
func compiled(x *Expr, src string, kind Kind, opts *Options) (*Expr, error) {
	if x != nil && x.src == src && x.kind == kind {
		return x, nil
	}
	return Compile(src, kind, opts)
}

// checkDeps applies Kea's definition-order rule to class i's test and
// works out whether it depends on KNOWN/UNKNOWN. Classes before i have
// been checked.
func (c *Classifier) checkDeps(i int) error {
	cd := &c.defs[i]
	if cd.expr == nil || cd.template {
		return nil
	}
	for _, m := range cd.expr.members {
		if IsBuiltin(m.name) {
			if m.name == ClassKNOWN || m.name == ClassUNKNOWN {
				cd.dependsOnKnown = true
			}
			continue
		}
		j, ok := c.ids[m.name]
		var msg string
		switch {
		case !ok:
			msg = "client class '" + m.name + "' is not defined"
		case int(j) == i:
			msg = "class '" + m.name + "' cannot test membership of itself"
		case int(j) > i:
			if path := c.cycle(int(j), i); path != nil {
				msg = "dependency cycle: " + strings.Join(path, " -> ")
			} else {
				msg = "client class '" + m.name + "' is defined after '" + cd.Name +
					"'; a test may only use built-in classes and classes defined before it"
			}
		default:
			if c.defs[j].dependsOnKnown {
				cd.dependsOnKnown = true
			}
			continue
		}
		return &ClassError{Index: i, Class: cd.Name, Field: "test",
			Err: &SyntaxError{Expr: cd.Test, Col: m.col, Msg: msg}}
	}
	return nil
}

// cycle looks for a chain of member() references in tests leading from
// class from back to class to, and returns it as names from to to to.
func (c *Classifier) cycle(from, to int) []string {
	seen := make([]bool, len(c.defs))
	var walk func(k int) []string
	walk = func(k int) []string {
		if k == to {
			return []string{c.defs[k].Name}
		}
		if seen[k] || c.defs[k].expr == nil || c.defs[k].template {
			return nil
		}
		seen[k] = true
		for _, m := range c.defs[k].expr.members {
			j, ok := c.ids[m.name]
			if !ok || int(j) >= len(c.defs) {
				continue
			}
			if rest := walk(int(j)); rest != nil {
				return append([]string{c.defs[k].Name}, rest...)
			}
		}
		return nil
	}
	if path := walk(from); path != nil {
		return append([]string{c.defs[to].Name}, path...)
	}
	return nil
}

// Len returns the number of class definitions.
func (c *Classifier) Len() int { return len(c.defs) }

// Def returns definition i as given to New.
func (c *Classifier) Def(i int) ClassDef { return c.defs[i].ClassDef }

// Index returns the position of the definition named name.
func (c *Classifier) Index(name string) (int, bool) {
	id, ok := c.ids[name]
	if !ok || int(id) >= len(c.defs) {
		return 0, false
	}
	return int(id), true
}

// Expr returns the compiled test or template test of definition i, or nil.
func (c *Classifier) Expr(i int) *Expr { return c.defs[i].expr }

// DependsOnKnown reports whether definition i is evaluated after the host
// reservation lookup because its test uses KNOWN or UNKNOWN, directly or
// through other classes.
func (c *Classifier) DependsOnKnown(i int) bool { return c.defs[i].dependsOnKnown }

// NewEval returns an Eval bound to c.
func (c *Classifier) NewEval() *Eval {
	e := &Eval{cls: c}
	e.classes.reset(c)
	return e
}

// Classify performs Kea's first classification steps on the packet given
// to Begin: the ALL class; BOOTP for a BOOTREQUEST without a message type
// when Config.BOOTP is set; VENDOR_CLASS_<option 60> (the value escaped as
// Kea 3.3 does); then, in definition order, the tests that neither depend
// on KNOWN/UNKNOWN nor are additional-only, template tests spawning their
// classes. Check DROP (see Drop) afterwards.
func (e *Eval) Classify() {
	if e.pkt == nil || len(e.pkt.Bytes()) < dhcpv4.HeaderLen {
		e.errs = append(e.errs, EvalError{Class: ClassALL, Err: errNoPacket})
		return
	}
	e.AddClass(ClassALL)
	trim60 := true
	if c := e.cls; c != nil {
		trim60 = c.trim60
		if c.bootp && e.pkt.Op() == dhcpv4.BootRequest && !e.pkt.HasOption(dhcpv4.OptionMessageType) {
			e.bootpReq = true
			e.classes.addID(c.idBOOTP)
		}
	}
	if v, ok := e.option(byte(dhcpv4.OptionVendorClass), trim60); ok {
		e.buf = append(e.buf[:0], "VENDOR_CLASS_"...)
		e.buf = appendEscaped(e.buf, v)
		e.classes.addBytes(e.buf)
	}
	e.EvaluateEarly()
}

// EvaluateEarly evaluates, in definition order, the tests that neither
// depend on KNOWN/UNKNOWN nor are additional-only. Classify does this; a
// server calls it again after RemoveEvaluated when a reservation found
// before subnet selection brings classes of its own.
func (e *Eval) EvaluateEarly() {
	if e.cls != nil {
		e.evaluate(e.cls.early)
	}
}

// RemoveEvaluated removes the classes that have a test or template test
// (spawned classes stay), as Kea does before re-evaluating with a
// reservation's classes.
func (e *Eval) RemoveEvaluated() {
	c := e.cls
	if c == nil {
		return
	}
	e.classes.removeIf(func(id int32) bool { return int(id) < len(c.defs) && c.defs[id].expr != nil })
}

// SetKnown records the outcome of the host reservation lookup, assigning
// KNOWN or UNKNOWN, then evaluates in definition order the tests that
// depend on KNOWN/UNKNOWN. Check DROP again afterwards. Add the
// reservation's own classes with AddClass before calling it.
func (e *Eval) SetKnown(known bool) {
	if known {
		e.AddClass(ClassKNOWN)
	} else {
		e.AddClass(ClassUNKNOWN)
	}
	if e.cls != nil {
		e.evaluate(e.cls.late)
	}
}

// Drop reports whether the packet is in class DROP and must be dropped.
func (e *Eval) Drop() bool {
	if e.cls != nil {
		return e.classes.hasID(e.cls.idDROP)
	}
	return e.classes.Has(ClassDROP)
}

// EvaluateAdditional evaluates the evaluate-additional-classes
// (require-client-classes) lists, given in Kea's order: pool, subnet,
// shared network. Each class is taken once, in order of first mention;
// names without a definition are skipped; a class without a test is
// assigned; one with a test is assigned when the test is true, and a
// template spawns its class.
func (e *Eval) EvaluateAdditional(lists ...[]string) {
	c := e.cls
	if c == nil {
		return
	}
	need := (len(c.defs) + 63) / 64
	if cap(e.seen) < need {
		e.seen = make([]uint64, need)
	}
	e.seen = e.seen[:need]
	clear(e.seen)
	for _, list := range lists {
		for _, name := range list {
			id, ok := c.ids[name]
			if !ok || int(id) >= len(c.defs) || e.seen[id>>6]&(1<<(id&63)) != 0 {
				continue
			}
			e.seen[id>>6] |= 1 << (id & 63)
			if c.defs[id].expr == nil {
				e.classes.addID(id)
				continue
			}
			e.evalDef(id)
		}
	}
}

func (e *Eval) evaluate(list []int32) {
	for _, i := range list {
		e.evalDef(i)
	}
}

func (e *Eval) evalDef(i int32) {
	d := &e.cls.defs[i]
	if !d.template {
		ok, err := e.Bool(d.expr)
		if err != nil {
			e.errs = append(e.errs, EvalError{Class: d.Name, Err: err})
			return
		}
		if ok {
			e.classes.addID(i)
		}
		return
	}
	v, err := e.Value(d.expr)
	if err != nil {
		e.errs = append(e.errs, EvalError{Class: d.Name, Err: err})
		return
	}
	if len(v) == 0 {
		return
	}
	// Build the spawned name after the value in the scratch space; the
	// value stays valid even if the append moves the buffer.
	start := len(e.buf)
	e.buf = append(e.buf, "SPAWN_"...)
	e.buf = append(e.buf, d.Name...)
	e.buf = append(e.buf, '_')
	e.buf = appendEscaped(e.buf, v)
	e.classes.addBytes(e.buf[start:])
	e.classes.addID(i)
}

// validClassChar marks the bytes Kea 3.3 leaves as they are in generated
// class names: letters, digits and !#$%&*+-./:?@^_|~.
var validClassChar = func() (t [256]bool) {
	for c := 'a'; c <= 'z'; c++ {
		t[c] = true
		t[c-'a'+'A'] = true
	}
	for c := '0'; c <= '9'; c++ {
		t[c] = true
	}
	for _, c := range "!#$%&*+-./:?@^_|~" {
		t[c] = true
	}
	return t
}()

// appendEscaped appends v with every byte outside validClassChar written
// as '%' and two lowercase hex digits, and '%' itself doubled.
func appendEscaped(b, v []byte) []byte {
	for _, c := range v {
		switch {
		case c == '%':
			b = append(b, '%', '%')
		case validClassChar[c]:
			b = append(b, c)
		default:
			b = append(b, '%', hexDigits[c>>4], hexDigits[c&15])
		}
	}
	return b
}
