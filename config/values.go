package config

import (
	"fmt"
	"io"
	"math"
	"net/netip"
	"strconv"
	"strings"

	"github.com/leased/leased/classify"
	"github.com/leased/leased/config/jsonc"
)

// loader holds the state of one Load: the diagnostics found so far and the
// model being built.
type loader struct {
	opts   Options
	diags  []Diagnostic
	errors int
	full   bool
	cfg    *Config

	// globalHosts are the global reservations, indexed with the
	// subnets' ones once subnet ids are known.
	globalHosts []*Host
	// hostClasses are the class names reservations assign; guards may
	// name them even when no class definition exists.
	hostClasses map[string]bool
	// classRefs are the class names used by guards and option data,
	// checked once every class is known.
	classRefs []classRef
	// classExprs are the class expressions compiled while reading
	// client-classes, handed to the classifier so that it does not
	// compile them again.
	classExprs map[*Class]*classify.Expr
}

func (l *loader) add(d Diagnostic) {
	if l.full {
		return
	}
	if d.Severity == Error {
		l.errors++
	}
	if len(l.diags) >= l.opts.maxDiagnostics() {
		l.full = true
		l.diags = append(l.diags, Diagnostic{Pos: d.Pos, Severity: Error,
			Msg: fmt.Sprintf("too many problems; stopped reporting after %d", len(l.diags))})
		l.errors++
		return
	}
	l.diags = append(l.diags, d)
}

func (l *loader) errf(at Pos, format string, args ...any) {
	l.add(Diagnostic{Pos: at, Severity: Error, Msg: fmt.Sprintf(format, shortArgs(args)...)})
}

func (l *loader) warnf(at Pos, format string, args ...any) {
	l.add(Diagnostic{Pos: at, Severity: Warning, Msg: fmt.Sprintf(format, shortArgs(args)...)})
}

// shortArgs cuts the texts a message quotes with %q (keys, names,
// values: what the configuration wrote) to jsonc.MaxQuoted bytes and
// their length. Texts of leased's own, such as reasons, are printed with
// %s and left whole.
func shortArgs(args []any) []any {
	for i, a := range args {
		if s, ok := a.(string); ok && len(s) > jsonc.MaxQuoted {
			args[i] = shortText(s)
		}
	}
	return args
}

// shortText prints as jsonc.Quote with %q, and whole otherwise.
type shortText string

func (s shortText) Format(f fmt.State, verb rune) {
	if verb == 'q' {
		io.WriteString(f, jsonc.Quote(string(s)))
		return
	}
	io.WriteString(f, string(s))
}

// member is a key/value pair being read, with the scope it was found in
// for messages.
type member struct {
	*jsonc.Member
	scope string
}

func (m member) pos() Pos        { return m.Value.Pos() }
func (m member) keyPos() Pos     { return m.KeyPos() }
func (m member) v() *jsonc.Value { return &m.Value }

// show describes the value for a message without echoing secrets.
func (m member) show() string {
	if jsonc.IsSecretKey(m.Key) {
		return "a " + m.Value.Kind().String()
	}
	return m.Value.Describe()
}

func (l *loader) typeErr(m member, want string) {
	l.errf(m.pos(), "%s in %s: expected %s, got %s", m.Key, m.scope, want, m.show())
}

func (l *loader) obj(m member) bool {
	if m.Value.Kind() != jsonc.Object {
		l.typeErr(m, "a map")
		return false
	}
	return true
}

func (l *loader) list(m member) bool {
	if m.Value.Kind() != jsonc.Array {
		l.typeErr(m, "a list")
		return false
	}
	return true
}

func (l *loader) boolean(m member) (bool, bool) {
	if m.Value.Kind() != jsonc.Bool {
		l.typeErr(m, "true or false")
		return false, false
	}
	return m.Value.Bool(), true
}

func (l *loader) str(m member) (string, bool) {
	if m.Value.Kind() != jsonc.String {
		l.typeErr(m, "a string")
		return "", false
	}
	return m.Value.Str(), true
}

func (l *loader) integer(m member, lo, hi int64) (int64, bool) {
	want := fmt.Sprintf("an integer from %d to %d", lo, hi)
	if m.Value.Kind() != jsonc.Number {
		l.typeErr(m, want)
		return 0, false
	}
	n, err := m.Value.Int()
	if err != nil || n < lo || n > hi {
		l.typeErr(m, want)
		return 0, false
	}
	return n, true
}

func (l *loader) u32(m member) (uint32, bool) {
	n, ok := l.integer(m, 0, math.MaxUint32)
	return uint32(n), ok
}

func (l *loader) u16(m member) (uint16, bool) {
	n, ok := l.integer(m, 0, math.MaxUint16)
	return uint16(n), ok
}

func (l *loader) real(m member, lo, hi float64) (float64, bool) {
	want := fmt.Sprintf("a number from %g to %g", lo, hi)
	if m.Value.Kind() != jsonc.Number {
		l.typeErr(m, want)
		return 0, false
	}
	f, err := m.Value.Float()
	if err != nil || f < lo || f > hi || math.IsNaN(f) {
		l.typeErr(m, want)
		return 0, false
	}
	return f, true
}

func (l *loader) enum(m member, values ...string) (string, bool) {
	want := "one of " + quoteList(values)
	if m.Value.Kind() != jsonc.String {
		l.typeErr(m, want)
		return "", false
	}
	s := m.Value.Str()
	for _, v := range values {
		if s == v {
			return s, true
		}
	}
	l.typeErr(m, want)
	return "", false
}

func quoteList(vs []string) string {
	q := make([]string, len(vs))
	for i, v := range vs {
		q[i] = strconv.Quote(v)
	}
	return strings.Join(q, ", ")
}

func (l *loader) ipv4(m member) (netip.Addr, bool) {
	if m.Value.Kind() == jsonc.String {
		if a, err := netip.ParseAddr(m.Value.Str()); err == nil && a.Is4() {
			return a, true
		}
	}
	l.typeErr(m, "an IPv4 address such as \"192.0.2.1\"")
	return netip.Addr{}, false
}

// strList reads a list of strings.
func (l *loader) strList(m member) ([]string, bool) {
	if !l.list(m) {
		return nil, false
	}
	out := make([]string, 0, m.Value.Len())
	ok := true
	for i := range m.Value.Members() {
		e := m.Value.Index(i)
		if e.Kind() != jsonc.String {
			l.errf(e.Pos(), "%s in %s: expected a list of strings, element %d is %s", m.Key, m.scope, i+1, e.Describe())
			ok = false
			continue
		}
		out = append(out, e.Str())
	}
	return out, ok
}

// members iterates over the members of a map value, each tagged with the
// scope for messages.
func members(v *jsonc.Value, scope string) []member {
	ms := v.Members()
	out := make([]member, len(ms))
	for i := range ms {
		out[i] = member{Member: &ms[i], scope: scope}
	}
	return out
}

// elements returns the maps of a list value, reporting elements that are
// not maps.
func (l *loader) elements(m member, what string) []*jsonc.Value {
	if !l.list(m) {
		return nil
	}
	out := make([]*jsonc.Value, 0, m.Value.Len())
	for i := range m.Value.Members() {
		e := m.Value.Index(i)
		if e.Kind() != jsonc.Object {
			l.errf(e.Pos(), "%s: each entry must be a map (a %s), got %s", m.Key, what, e.Describe())
			continue
		}
		out = append(out, e)
	}
	return out
}

// comment handles "comment" and "user-context", which every scope
// accepts. It returns true when it consumed the member.
func (l *loader) comment(m member, uc **jsonc.Value) bool {
	switch m.Key {
	case "comment":
		l.str(m)
		return true
	case "user-context":
		if l.obj(m) {
			*uc = m.v()
		}
		return true
	}
	return false
}

// unknown reports a key the scope does not accept: a keyword leased does
// not implement yet, one that belongs to another scope or dialect, or one
// that Kea does not know either.
func (l *loader) unknown(m member) {
	if l.full {
		// Nothing more is reported, so nothing is looked up for the
		// message: a suggestion compares the key with every keyword of
		// its scope.
		return
	}
	if ns := findNotSupported(m.scope, m.Key, ""); ns != nil {
		l.notSupported(m.keyPos(), ns)
		return
	}
	if other := scopesOf(m.Key); len(other) > 0 {
		l.errf(m.keyPos(), "unknown keyword %q in %s (Kea accepts it in %s)", m.Key, m.scope, strings.Join(other, ", "))
		return
	}
	if s := suggest(m.Key, m.scope); s != "" {
		l.errf(m.keyPos(), "unknown keyword %q in %s (did you mean %q?)", m.Key, m.scope, s)
		return
	}
	l.errf(m.keyPos(), "unknown keyword %q in %s", m.Key, m.scope)
}

func (l *loader) notSupported(at Pos, ns *Unsupported) {
	kw := ns.Keyword
	if ns.When != "" {
		kw += " " + ns.When
	}
	l.errf(at, "not supported yet: %s in %s at %s (%s)", kw, ns.Scope, at, ns.Reason)
}

// renamed warns that an old keyword was read as its new form.
func (l *loader) renamed(m member, now string) {
	l.warnf(m.keyPos(), "%q in %s is the Kea 2.2 name; read as %s (rename it to keep working with current Kea)", m.Key, m.scope, now)
}
