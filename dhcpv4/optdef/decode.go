package optdef

import (
	"encoding/binary"
	"net/netip"
)

// PSID is the value of a psid field (RFC 7597): the PSID's length in bits
// and its value.
type PSID struct {
	Len   uint8
	Value uint16
}

// Decode reads the option's own value from a payload into Go values, for a
// program that wants the routers of option 3 as addresses rather than as
// Kea's text. Sub-options are not decoded (see SplitSuboptions); the
// result does not alias payload.
//
// A single value of each type comes back as:
//
//	empty                        nil
//	binary                       []byte
//	boolean                      bool
//	int8, int16, int32           int8, int16, int32
//	uint8, uint16, uint32        uint8, uint16, uint32
//	ipv4-address, ipv6-address   netip.Addr
//	ipv6-prefix                  netip.Prefix
//	psid                         PSID
//	string, tuple, fqdn          string (a domain name without its final dot)
//	internal (options 121, 162)  string, in Kea's text form (see Format)
//
// An array is a slice of the element's type ([]netip.Addr for option 3,
// []uint16, []string, ...); a record is a []any holding its fields in
// order, the repeated last field of a record array appended one value per
// element. Client FQDN (81) is a record of its three one-byte fields and
// the name; vivso-suboptions (125) is its enterprise number (uint32).
//
// Decode fails, naming the option, for a payload that does not fit the
// definition.
func (d *Def) Decode(payload []byte) (any, error) {
	if err := d.Validate(); err != nil {
		return nil, err
	}
	v, _, err := d.SplitSuboptions(payload)
	if err != nil {
		return nil, err
	}
	switch {
	case d.isSpecial(codeClasslessStaticRoute, TypeInternal), d.isSpecial(codeDNR, TypeInternal):
		return d.formatValue(v)
	case d.isSpecial(codeFQDN, TypeRecord) && fqdnShape(d):
		if len(v) < 3 {
			return nil, d.dataErr(0, "", "", "client FQDN option truncated")
		}
		name := string(v[3:])
		if v[0]&fqdnFlagE != 0 && len(v) > 3 {
			wire, next, err := readName(nil, v[3:], 0, false, false)
			if err != nil || next != len(v)-3 {
				return nil, d.dataErr(0, "", "", "client FQDN option: malformed domain name")
			}
			name = nameText(wire)
		}
		return []any{v[0], v[1], v[2], name}, nil
	case d.isSpecial(codeVIVSO, TypeUint32) && !d.Array:
		return binary.BigEndian.Uint32(v), nil
	case d.isSpecial(codeSZTPRedirect, TypeTuple) && d.Array:
		if err := checkTuples(v, 2); err != nil {
			return nil, d.dataErr(0, "", "", "%v", err)
		}
		var out []string
		for off := 0; off < len(v); {
			n := int(binary.BigEndian.Uint16(v[off:]))
			out = append(out, string(v[off+2:off+2+n]))
			off += 2 + n
		}
		return out, nil
	}
	switch d.Type {
	case TypeEmpty:
		return nil, nil
	case TypeBinary:
		return append([]byte{}, v...), nil
	case TypeString, TypeInternal:
		return string(v), nil
	}
	if d.Array && d.Type != TypeRecord {
		var vals []any
		for off := 0; off < len(v); {
			n, err := d.fieldLen(d.Type, true, v[off:])
			if err != nil || n == 0 || n > len(v)-off {
				return nil, d.dataErr(0, "", "", "array element at offset %d does not fit", off)
			}
			x, err := d.decodeField(d.Type, v[off:off+n])
			if err != nil {
				return nil, err
			}
			vals = append(vals, x)
			off += n
		}
		return typedSlice(d.Type, vals), nil
	}
	fields, rest, err := d.splitFields(v)
	if err != nil {
		return nil, d.dataErr(0, "", "", "%v", err)
	}
	if len(rest) > 0 {
		return nil, d.dataErr(0, "", "", "%d bytes follow the value", len(rest))
	}
	vals := make([]any, len(fields))
	for i, f := range fields {
		if vals[i], err = d.decodeField(f.t, f.b); err != nil {
			return nil, err
		}
	}
	if d.Type != TypeRecord {
		if len(vals) != 1 {
			return nil, d.dataErr(0, "", "", "%d values where one was expected", len(vals))
		}
		return vals[0], nil
	}
	return vals, nil
}

// decodeField reads one field of type t from exactly its bytes.
func (d *Def) decodeField(t Type, b []byte) (any, error) {
	if n := t.fixedLen(); n > 0 && len(b) != n {
		return nil, d.dataErr(0, "", "", "%s field of %d bytes", t, len(b))
	}
	switch t {
	case TypeBinary:
		return append([]byte{}, b...), nil
	case TypeBoolean:
		if b[0] > 1 {
			return nil, d.dataErr(0, "", "", "boolean byte %d", b[0])
		}
		return b[0] == 1, nil
	case TypeInt8:
		return int8(b[0]), nil
	case TypeInt16:
		return int16(binary.BigEndian.Uint16(b)), nil
	case TypeInt32:
		return int32(binary.BigEndian.Uint32(b)), nil
	case TypeUint8:
		return b[0], nil
	case TypeUint16:
		return binary.BigEndian.Uint16(b), nil
	case TypeUint32:
		return binary.BigEndian.Uint32(b), nil
	case TypeIPv4Address:
		return netip.AddrFrom4([4]byte(b)), nil
	case TypeIPv6Address:
		return netip.AddrFrom16([16]byte(b)), nil
	case TypeIPv6Prefix:
		if len(b) == 0 {
			return netip.Prefix{}, nil
		}
		var a [16]byte
		copy(a[:], b[1:])
		return netip.AddrFrom16(a).Prefix(int(b[0]))
	case TypePSID:
		n := b[0]
		if n > 16 {
			return nil, d.dataErr(0, "", "", "PSID length %d is above 16", n)
		}
		v := binary.BigEndian.Uint16(b[1:])
		if n == 0 {
			return PSID{}, nil
		}
		return PSID{Len: n, Value: v >> (16 - n)}, nil
	case TypeString:
		return string(b), nil
	case TypeTuple:
		if len(b) == 0 || int(b[0]) != len(b)-1 {
			return nil, d.dataErr(0, "", "", "malformed tuple")
		}
		return string(b[1:]), nil
	case TypeFQDN:
		wire, _, err := readName(nil, b, 0, true, false)
		if err != nil {
			return nil, d.dataErr(0, "", "", "domain name: %v", err)
		}
		return nameText(wire), nil
	}
	return nil, d.dataErr(0, "", "", "field of type %s cannot be decoded", t)
}

// typedSlice turns the decoded elements of an array of t into a slice of
// their Go type.
func typedSlice(t Type, vals []any) any {
	switch t {
	case TypeBoolean:
		return collect[bool](vals)
	case TypeInt8:
		return collect[int8](vals)
	case TypeInt16:
		return collect[int16](vals)
	case TypeInt32:
		return collect[int32](vals)
	case TypeUint8:
		return collect[uint8](vals)
	case TypeUint16:
		return collect[uint16](vals)
	case TypeUint32:
		return collect[uint32](vals)
	case TypeIPv4Address, TypeIPv6Address:
		return collect[netip.Addr](vals)
	case TypeIPv6Prefix:
		return collect[netip.Prefix](vals)
	case TypePSID:
		return collect[PSID](vals)
	case TypeString, TypeTuple, TypeFQDN:
		return collect[string](vals)
	}
	return vals
}

func collect[T any](vals []any) []T {
	out := make([]T, len(vals))
	for i, v := range vals {
		out[i] = v.(T)
	}
	return out
}
