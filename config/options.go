package config

import (
	"cmp"
	"errors"
	"fmt"
	"slices"
	"strconv"

	"github.com/leased/leased/config/jsonc"
	"github.com/leased/leased/dhcpv4/optdef"
)

// OptionDefs is a set of option definitions: the standard ones plus those
// of option-def.
type OptionDefs = optdef.Registry

// Option is one option-data entry, validated and encoded.
type Option struct {
	Space string
	Code  uint8
	// Data is the payload sent after code and length. For an option whose
	// definition encapsulates an option space, it already holds the
	// sub-options configured in the same scope.
	Data []byte
	// Formatted is the data as comma-separated values when it was given
	// so (csv-format) and the option has a definition; empty when the
	// data was hexadecimal. Kea's host tables keep this text.
	Formatted string
	// AlwaysSend sends the option even when the client did not ask for
	// it; NeverSend suppresses it. Both are sticky: true in any scope
	// that supplies the option wins, and NeverSend beats AlwaysSend.
	AlwaysSend bool
	NeverSend  bool
	// ClientClasses, when not empty, limits the entry to clients in one
	// of these classes; otherwise the next entry for the code applies.
	ClientClasses []string
	Pos           Pos
}

// OptionSet holds a scope's options, and those of its outer scopes once
// merged, ordered by space and code; for one code the most specific entry
// comes first.
type OptionSet struct {
	opts []Option
	// n4 counts the dhcp4-space entries, which come first.
	n4 int
}

// Len returns the number of entries.
func (s *OptionSet) Len() int { return len(s.opts) }

// All returns every entry; the slice must not be modified.
func (s *OptionSet) All() []Option { return s.opts }

// DHCP4 returns the entries for a top-level option code, most specific
// first; the server sends the first whose ClientClasses the client
// passes.
func (s *OptionSet) DHCP4(code uint8) []Option {
	top := s.opts[:s.n4]
	i, _ := slices.BinarySearchFunc(top, code, func(o Option, c uint8) int { return cmp.Compare(o.Code, c) })
	j := i
	for j < len(top) && top[j].Code == code {
		j++
	}
	return top[i:j]
}

// Get returns the entries for an option in any space.
func (s *OptionSet) Get(space string, code uint8) []Option {
	if space == optdef.SpaceDHCP4 {
		return s.DHCP4(code)
	}
	rest := s.opts[s.n4:]
	i, _ := slices.BinarySearchFunc(rest, Option{Space: space, Code: code}, compareOption)
	j := i
	for j < len(rest) && rest[j].Space == space && rest[j].Code == code {
		j++
	}
	return rest[i:j]
}

// compareOption orders dhcp4 first, then by space, then code.
func compareOption(a, b Option) int {
	a4, b4 := a.Space == optdef.SpaceDHCP4, b.Space == optdef.SpaceDHCP4
	switch {
	case a4 && !b4:
		return -1
	case b4 && !a4:
		return 1
	}
	if c := cmp.Compare(a.Space, b.Space); c != 0 {
		return c
	}
	return cmp.Compare(a.Code, b.Code)
}

func newOptionSet(opts []Option) OptionSet {
	slices.SortStableFunc(opts, compareOption)
	n4 := 0
	for n4 < len(opts) && opts[n4].Space == optdef.SpaceDHCP4 {
		n4++
	}
	return OptionSet{opts: opts, n4: n4}
}

// mergeOptions returns own's entries over outer's. Either is returned as
// it is when the other is empty, so scopes without options of their own
// share their parent's set.
func mergeOptions(own, outer OptionSet) OptionSet {
	if len(own.opts) == 0 {
		return outer
	}
	if len(outer.opts) == 0 {
		return own
	}
	all := make([]Option, 0, len(own.opts)+len(outer.opts))
	all = append(append(all, own.opts...), outer.opts...)
	return newOptionSet(all)
}

// optionDefs reads an option-def list and returns base extended with it;
// class tells a client class's definitions from global ones.
func (l *loader) optionDefs(m *member, base *OptionDefs, what string, class bool) *OptionDefs {
	if m == nil {
		return base
	}
	var defs []optdef.Def
	var at []Pos
	for _, e := range l.elements(*m, "option definition") {
		d := optdef.Def{Space: optdef.SpaceDHCP4}
		var uc *jsonc.Value
		var hasName, hasCode, hasType bool
		var recordTypes *member
		for _, m := range members(e, "option-def") {
			if l.comment(m, &uc) {
				continue
			}
			switch m.Key {
			case "name":
				d.Name, hasName = l.str(m)
			case "code":
				if n, ok := l.integer(m, 0, 255); ok {
					d.Code, hasCode = uint8(n), true
				}
			case "type":
				if s, ok := l.str(m); ok {
					t, err := optdef.ParseType(s)
					if err != nil {
						l.errf(m.pos(), "option-def type: %v (use one of empty, binary, boolean, int8, int16, int32, uint8, uint16, uint32, ipv4-address, ipv6-address, ipv6-prefix, psid, string, tuple, fqdn, internal, record)", err)
					} else {
						d.Type, hasType = t, true
					}
				}
			case "space":
				d.Space, _ = l.str(m)
			case "array":
				d.Array, _ = l.boolean(m)
			case "record-types":
				recordTypes = &m
			case "encapsulate":
				d.Encapsulate, _ = l.str(m)
			default:
				l.unknown(m)
			}
		}
		if !hasName || !hasCode || !hasType {
			l.errf(e.Pos(), "option-def in %s: \"name\", \"code\" and \"type\" are required", what)
			continue
		}
		if recordTypes != nil {
			if s, ok := l.str(*recordTypes); ok {
				rt, err := optdef.ParseRecordTypes(s)
				if err != nil {
					l.errf(recordTypes.pos(), "option-def %s: %v", d.Name, err)
					continue
				}
				if d.Type == optdef.TypeRecord {
					d.RecordTypes = rt
				} else if len(rt) > 0 {
					l.errf(recordTypes.pos(), "option-def %s: record-types is given but type is %s, not record", d.Name, d.Type)
					continue
				}
			}
		}
		if err := d.Validate(); err != nil {
			l.errf(e.Pos(), "option-def in %s: %v", what, err)
			continue
		}
		defs = append(defs, d)
		at = append(at, e.Pos())
	}
	if len(defs) == 0 {
		return base
	}
	// Global definitions follow the union of both dialects: a Kea 2.2
	// configuration may define options that later became standard.
	with := base.WithKea22
	if class {
		with = base.WithClass
	}
	reg, err := with(defs...)
	if err != nil {
		// Point at the definition the error is about when it says which.
		pos := at[0]
		var de *optdef.DefError
		if errors.As(err, &de) {
			for i, d := range defs {
				if d.Space == de.Def.Space && d.Code == de.Def.Code && d.Name == de.Def.Name {
					pos = at[i]
				}
			}
		}
		l.errf(pos, "option-def in %s: %v", what, err)
		return base
	}
	return reg
}

// optionDraft is an option-data entry before encapsulation.
type optionDraft struct {
	Option
	def    optdef.Def
	hasDef bool
}

// optionSet reads an option-data list, validates each entry against its
// definition and encodes it.
func (l *loader) optionSet(m *member, defs *OptionDefs, what string) OptionSet {
	if m == nil {
		return OptionSet{}
	}
	var drafts []optionDraft
	for _, e := range l.elements(*m, "option") {
		if d, ok := l.option(e, defs, what); ok {
			drafts = append(drafts, d)
		}
	}
	if len(drafts) == 0 {
		return OptionSet{}
	}
	// Options whose definition encapsulates a space carry the sub-options
	// of that space configured in the same scope, as Kea assembles them
	// at configuration time.
	opts := make([]Option, len(drafts))
	for i := range drafts {
		opts[i] = drafts[i].Option
	}
	for i := range drafts {
		if !drafts[i].hasDef || drafts[i].def.Encapsulate == "" {
			continue
		}
		data, err := encapsulate(drafts, i, 0)
		if err != nil {
			l.errf(drafts[i].Pos, "option-data in %s: %v", what, err)
			continue
		}
		opts[i].Data = data
	}
	return newOptionSet(opts)
}

// encapsulate returns the payload of drafts[i] with the options of the
// space its definition encapsulates appended as sub-options.
func encapsulate(drafts []optionDraft, i, depth int) ([]byte, error) {
	if depth > 8 {
		return nil, fmt.Errorf("option spaces encapsulate each other more than 8 deep")
	}
	o := &drafts[i]
	if !o.hasDef || o.def.Encapsulate == "" {
		return o.Data, nil
	}
	var subs []optdef.Suboption
	for j := range drafts {
		sub := &drafts[j]
		if sub.Space != o.def.Encapsulate || sub.NeverSend {
			continue
		}
		data, err := encapsulate(drafts, j, depth+1)
		if err != nil {
			return nil, err
		}
		subs = append(subs, optdef.Suboption{Code: sub.Code, Data: data})
	}
	return o.def.Compose(nil, o.Data, subs)
}

func (l *loader) option(e *jsonc.Value, defs *OptionDefs, what string) (optionDraft, bool) {
	var o optionDraft
	o.Pos = e.Pos()
	o.Space = optdef.SpaceDHCP4
	var uc *jsonc.Value
	var name, data string
	var hasName, hasCode, hasData bool
	var csv, csvSet bool
	var codePos, dataPos Pos
	csv = true
	for _, m := range members(e, "option-data") {
		if l.comment(m, &uc) {
			continue
		}
		switch m.Key {
		case "name":
			name, hasName = l.str(m)
		case "code":
			if n, ok := l.integer(m, 0, 255); ok {
				o.Code, hasCode, codePos = uint8(n), true, m.pos()
			}
		case "space":
			o.Space, _ = l.str(m)
		case "data":
			data, hasData = l.str(m)
			dataPos = m.pos()
		case "csv-format":
			csv, csvSet = l.boolean(m)
			if !csvSet {
				csv = true
			}
		case "always-send":
			o.AlwaysSend, _ = l.boolean(m)
		case "never-send":
			o.NeverSend, _ = l.boolean(m)
		case "client-classes":
			o.ClientClasses, _ = l.strList(m)
			for i, n := range o.ClientClasses {
				l.refClass(n, m.Value.Index(i).Pos(), "option-data client-classes")
			}
		default:
			l.unknown(m)
		}
	}
	if !hasName && !hasCode {
		l.errf(e.Pos(), "option-data in %s: give the option's \"name\" or \"code\"", what)
		return o, false
	}
	if o.Space == optdef.SpaceDHCP4 && hasCode && (o.Code == 0 || o.Code == 255) {
		l.errf(codePos, "option-data in %s: code %d is reserved (pad/end) and cannot be configured", what, o.Code)
		return o, false
	}
	label := name
	if !hasName {
		label = o.Space + "." + strconv.Itoa(int(o.Code))
	}
	// As in Kea, the code finds the definition when both are given, and
	// the name must then be the definition's; a code without definition
	// makes a raw option whatever the name says.
	var def optdef.Def
	var found bool
	switch {
	case hasCode:
		def, found = defs.LookupCode(o.Space, o.Code)
		if found && hasName && def.Name != name {
			if named, ok := defs.LookupName(o.Space, name); ok {
				l.errf(codePos, "option-data in %s: option %q has code %d, not %d", what, name, named.Code, o.Code)
			} else {
				l.errf(e.Pos(), "option-data in %s: option %d in space %q is named %q, not %q", what, o.Code, o.Space, def.Name, name)
			}
			return o, false
		}
	default:
		def, found = defs.LookupName(o.Space, name)
		if !found {
			l.errf(e.Pos(), "option-data in %s: no option named %q in space %q (define it with option-def, or give its code)", what, name, o.Space)
			return o, false
		}
		o.Code = def.Code
	}
	o.def, o.hasDef = def, found
	// An option that is never sent may be given without data: it only
	// stops the same option of an outer scope (Kea's "cancelled" option).
	if o.NeverSend && !hasData {
		o.Data = nil
		return o, true
	}
	if !found {
		// No definition: Kea sends the data as raw hexadecimal bytes,
		// which needs csv-format false (or left unset).
		if csvSet && csv {
			l.errf(e.Pos(), "option-data in %s: option %s has no definition, so its data cannot be read as csv-format values; define it with option-def or set csv-format to false and give hexadecimal data", what, label)
			return o, false
		}
		raw := optdef.Def{Name: "option-" + strconv.Itoa(int(o.Code)), Code: o.Code, Space: o.Space, Type: optdef.TypeBinary}
		b, err := raw.Encode(nil, data, false)
		if err != nil {
			l.errf(firstPos(dataPos, e.Pos()), "option-data in %s: %v", what, err)
			return o, false
		}
		o.Data = b
		return o, true
	}
	b, err := def.Encode(nil, data, csv)
	if err != nil {
		l.errf(firstPos(dataPos, e.Pos()), "option-data in %s: %v", what, err)
		return o, false
	}
	o.Data = b
	if csv {
		o.Formatted = data
	}
	return o, true
}
