package optdef

import (
	"fmt"
	"slices"
	"strings"
)

// Registry is an immutable set of option definitions, indexed by option
// space and by code or name within a space. Standard returns Kea's
// built-in definitions; With and its variants return a new Registry
// with configured definitions added, leaving the receiver unchanged.
// A Registry is safe for concurrent use.
type Registry struct {
	spaces map[string]*table
}

// origin records where a table entry came from, which decides what a
// configured definition may replace.
type origin uint8

const (
	originStd      origin = iota + 1 // Kea's standard definition: cannot be redefined
	originFallback                   // Kea's fallback definition (option 43, vendor-4491): replaced by configuration
	originUser                       // defined by configuration
	originClass                      // defined by a client class
)

type entry struct {
	def    *Def
	origin origin
}

type table struct {
	byCode [256]entry
	byName map[string]entry
}

func (t *table) clone() *table {
	c := &table{byCode: t.byCode, byName: make(map[string]entry, len(t.byName)+1)}
	for k, v := range t.byName {
		c.byName[k] = v
	}
	return c
}

// stdTemplate holds Kea's standard definitions. It is built once and
// never handed out: Standard gives each caller a deep copy, so that no
// caller can change what another sees.
var stdTemplate = buildStandard()

// deepCopy returns a registry with its own copies of every definition.
func (r *Registry) deepCopy() *Registry {
	n := &Registry{spaces: make(map[string]*table, len(r.spaces))}
	for name, t := range r.spaces {
		nt := &table{byName: make(map[string]entry, len(t.byName))}
		copies := map[*Def]*Def{}
		dup := func(e entry) entry {
			if e.def == nil {
				return e
			}
			c, ok := copies[e.def]
			if !ok {
				d := *e.def
				d.RecordTypes = slices.Clip(slices.Clone(d.RecordTypes))
				c = &d
				copies[e.def] = c
			}
			return entry{c, e.origin}
		}
		for i, e := range t.byCode {
			nt.byCode[i] = dup(e)
		}
		for k, e := range t.byName {
			nt.byName[k] = dup(e)
		}
		n.spaces[name] = nt
	}
	return n
}

func buildStandard() *Registry {
	r := &Registry{spaces: map[string]*table{}}
	add := func(d Def, o origin) {
		t := r.spaces[d.Space]
		if t == nil {
			t = &table{byName: map[string]entry{}}
			r.spaces[d.Space] = t
		}
		p := &d
		if err := p.Validate(); err != nil {
			panic(fmt.Sprintf("optdef: bad standard definition: %v", err))
		}
		if t.byCode[d.Code].def != nil || t.byName[d.Name].def != nil {
			panic(fmt.Sprintf("optdef: duplicate standard definition %s", p))
		}
		e := entry{p, o}
		t.byCode[d.Code] = e
		t.byName[d.Name] = e
	}
	for _, list := range [][]Def{stdDHCP4, stdAgent, stdCableLabs, stdDOCSIS} {
		for _, d := range list {
			add(d, originStd)
		}
	}
	add(stdLastResort, originFallback)
	for _, d := range stdDOCSIS {
		d.Space = SpaceDOCSIS
		add(d, originFallback)
	}
	return r
}

// Standard returns the registry of the option definitions built into
// Kea for DHCPv4: the dhcp4 space, the relay agent (option 82) and
// CableLabs (option 122) sub-option spaces, the DOCSIS vendor space
// (both as "vendor-4491" and "docsis3-v4") and the fallback definition
// of option 43, which encapsulates "vendor-encapsulated-options-space".
//
// Each call builds a new Registry (tens of microseconds); callers keep
// the one they use.
func Standard() *Registry { return stdTemplate.deepCopy() }

// LookupCode returns the definition of the option with the given code
// in the given space. The lookup does not allocate.
func (r *Registry) LookupCode(space string, code uint8) (Def, bool) {
	if t := r.spaces[space]; t != nil {
		if e := t.byCode[code]; e.def != nil {
			return *e.def, true
		}
	}
	return Def{}, false
}

// LookupName returns the definition of the option with the given name
// in the given space. The lookup does not allocate.
func (r *Registry) LookupName(space, name string) (Def, bool) {
	if t := r.spaces[space]; t != nil {
		if e, ok := t.byName[name]; ok {
			return *e.def, true
		}
	}
	return Def{}, false
}

// Spaces returns the names of the option spaces that hold definitions,
// sorted.
func (r *Registry) Spaces() []string {
	out := make([]string, 0, len(r.spaces))
	for s := range r.spaces {
		out = append(out, s)
	}
	slices.Sort(out)
	return out
}

// Defs returns the definitions of a space in code order. A definition
// replaced by code but still found by its name is listed too.
func (r *Registry) Defs(space string) []Def {
	t := r.spaces[space]
	if t == nil {
		return nil
	}
	var out []Def
	seen := map[*Def]bool{}
	for _, e := range t.byCode {
		if e.def != nil {
			out = append(out, *e.def)
			seen[e.def] = true
		}
	}
	for _, e := range t.byName {
		if !seen[e.def] {
			out = append(out, *e.def)
			seen[e.def] = true
		}
	}
	slices.SortStableFunc(out, func(a, b Def) int {
		if a.Code != b.Code {
			return int(a.Code) - int(b.Code)
		}
		return strings.Compare(a.Name, b.Name)
	})
	return out
}

// With returns a registry with the configured option definitions defs
// (global option-def entries) added, checked as Kea checks them: each
// must pass Def.Validate, must not repeat the code or name of another
// configured definition in its space, and must not redefine, by code or
// by name, a standard definition of the dhcp4, dhcp-agent-options-space,
// cablelabs-client-conf or docsis3-v4 spaces. Option 43 in dhcp4 and the
// vendor-4491 options may be defined: the configured definition takes
// precedence over Kea's fallback one.
//
// The first bad definition stops the work; the error (a *DefError)
// names it.
func (r *Registry) With(defs ...Def) (*Registry, error) {
	return r.with(defs, originUser, false)
}

// WithKea22 is With for configurations written for Kea 2.2, which lacked
// some standard definitions that later versions added (options 121, 122,
// 143, 151 to 157 and 162 in dhcp4, and all definitions of the
// dhcp-agent-options-space and cablelabs-client-conf spaces). Such
// configurations often define those options themselves; here such a
// definition replaces the standard one (by code and by name) instead of
// being rejected. Everything else is checked as by With.
func (r *Registry) WithKea22(defs ...Def) (*Registry, error) {
	return r.with(defs, originUser, true)
}

// WithClass returns a registry for the option data of one client class:
// r with the class's own option-def entries added. As in Kea, a class
// may only define options in space dhcp4 with code 43 or 224 to 254, and
// its definitions take precedence over global configured ones.
func (r *Registry) WithClass(defs ...Def) (*Registry, error) {
	return r.with(defs, originClass, false)
}

func (r *Registry) with(defs []Def, o origin, kea22 bool) (*Registry, error) {
	n := &Registry{spaces: make(map[string]*table, len(r.spaces)+1)}
	for k, v := range r.spaces {
		n.spaces[k] = v
	}
	cloned := map[string]bool{}
	for i := range defs {
		d := defs[i]
		d.RecordTypes = slices.Clip(slices.Clone(d.RecordTypes))
		if err := d.Validate(); err != nil {
			return nil, err
		}
		if o == originClass && !(d.Space == SpaceDHCP4 && (d.Code == codeVendorEncapsulated || d.Code >= firstPrivateCode && d.Code <= lastPrivateCode)) {
			return nil, defErr(&d, ErrClassDefNotAllowed, "a client class may only define options 43 and 224-254 in space dhcp4")
		}
		t := n.spaces[d.Space]
		switch {
		case t == nil:
			t = &table{byName: map[string]entry{}}
			n.spaces[d.Space] = t
			cloned[d.Space] = true
		case !cloned[d.Space]:
			t = t.clone()
			n.spaces[d.Space] = t
			cloned[d.Space] = true
		}
		byCode, byName := t.byCode[d.Code], t.byName[d.Name]
		switch {
		case byCode.origin == o:
			return nil, defErr(&d, ErrDuplicateDef, "an option definition with code %d already exists in option space %q", d.Code, d.Space)
		case byName.origin == o:
			return nil, defErr(&d, ErrDuplicateDef, "an option definition with name %q already exists in option space %q", d.Name, d.Space)
		}
		for _, e := range []entry{byCode, byName} {
			if e.origin != originStd {
				continue
			}
			if !kea22 || !post22(e.def.Space, e.def.Code) {
				return nil, defErr(&d, ErrRedefineStd, "it would redefine standard option %s", e.def)
			}
			// Kea 2.2 had no such definition: drop it entirely.
			if t.byCode[e.def.Code].def == e.def {
				t.byCode[e.def.Code] = entry{}
			}
			if t.byName[e.def.Name].def == e.def {
				delete(t.byName, e.def.Name)
			}
		}
		p := &d
		t.byCode[d.Code] = entry{p, o}
		t.byName[d.Name] = entry{p, o}
	}
	return n, nil
}
