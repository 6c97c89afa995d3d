package optdef

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"net/netip"
	"strconv"
	"strings"
)

// ErrNotText is wrapped by Format errors for payloads that are valid for
// the definition but that Kea's text notation cannot reproduce exactly
// (a string with surrounding blanks, a compressed domain name, ...).
// FormatHex always works.
var ErrNotText = errors.New("payload has no exact csv text form")

// Format returns the csv-format text of an option payload: the text
// that, given to Encode, produces exactly the payload again. Values are
// separated by ", "; commas and backslashes inside values are escaped;
// domain names are written without the final dot.
//
// For an option that carries sub-options (Encapsulate set, or
// vivso-suboptions) only the option's own value is formatted; the
// sub-options are left to the caller (see SplitSuboptions), and the
// guarantee is that Encode of the text equals Compose of that value
// without sub-options.
//
// Format fails for a payload that does not fit the definition, and with
// an error wrapping ErrNotText for one that fits but has no exact text
// form.
func (d *Def) Format(payload []byte) (string, error) {
	if err := d.Validate(); err != nil {
		return "", err
	}
	value, _, err := d.SplitSuboptions(payload)
	if err != nil {
		return "", err
	}
	text, err := d.formatValue(value)
	if err != nil {
		return "", err
	}
	want, err := d.Compose(nil, value, nil)
	if err != nil {
		return "", err
	}
	got, err := d.Encode(nil, text, true)
	if err != nil || !bytes.Equal(got, want) {
		return "", fmt.Errorf("option %s: %w", d.String(), ErrNotText)
	}
	return text, nil
}

func (d *Def) notText(format string, args ...any) error {
	return fmt.Errorf("option %s: %s: %w", d.String(), fmt.Sprintf(format, args...), ErrNotText)
}

// formatValue renders the value part of a payload.
func (d *Def) formatValue(v []byte) (string, error) {
	switch {
	case d.isSpecial(codeClasslessStaticRoute, TypeInternal):
		routes, err := parseRoutes(v)
		if err != nil {
			return "", d.dataErr(0, "", "", "%v", err)
		}
		return formatRoutes(routes), nil
	case d.isSpecial(codeDNR, TypeInternal):
		insts, err := parseDNR(v)
		if err != nil {
			return "", d.dataErr(0, "", "", "%v", err)
		}
		s, ok := formatDNR(insts)
		if !ok {
			return "", d.notText("DNR parameters outside Kea's notation")
		}
		return s, nil
	case d.isSpecial(codeFQDN, TypeRecord) && fqdnShape(d):
		if len(v) < 3 {
			return "", d.dataErr(0, "", "", "client FQDN option truncated")
		}
		name := ""
		if rest := v[3:]; len(rest) > 0 {
			if v[0]&fqdnFlagE != 0 {
				wire, next, err := readName(nil, rest, 0, false, false)
				if err != nil || next != len(rest) {
					return "", d.notText("domain name is partial or malformed")
				}
				name = nameText(wire)
			} else {
				name = string(rest)
			}
		} else {
			return "", d.notText("client FQDN option without a domain name")
		}
		return fmt.Sprintf("%d, %d, %d, %s", v[0], v[1], v[2], escapeCSV(name)), nil
	case d.isSpecial(codeVIVSO, TypeUint32) && !d.Array:
		return strconv.FormatUint(uint64(binary.BigEndian.Uint32(v)), 10), nil
	case d.isSpecial(codeSZTPRedirect, TypeTuple) && d.Array:
		if err := checkTuples(v, 2); err != nil {
			return "", d.dataErr(0, "", "", "%v", err)
		}
		var parts []string
		for off := 0; off < len(v); {
			n := int(binary.BigEndian.Uint16(v[off:]))
			parts = append(parts, escapeCSV(string(v[off+2:off+2+n])))
			off += 2 + n
		}
		return strings.Join(parts, ", "), nil
	}
	switch d.Type {
	case TypeEmpty:
		return "", nil
	case TypeBinary:
		return FormatHex(v), nil
	case TypeInternal:
		return string(v), nil
	case TypeString:
		return escapeCSV(string(v)), nil
	}
	if d.Array && (d.Type == TypeFQDN || d.Type == TypeTuple || d.Type == TypeIPv4Address || d.Type == TypeIPv6Address || d.Type.isInteger()) {
		var parts []string
		for off := 0; off < len(v); {
			n, err := d.fieldLen(d.Type, true, v[off:])
			if err != nil || n > len(v)-off {
				return "", d.notText("array element at offset %d does not fit", off)
			}
			s, err := d.formatField(d.Type, v[off:off+n])
			if err != nil {
				return "", err
			}
			parts = append(parts, s)
			off += n
		}
		return strings.Join(parts, ", "), nil
	}
	fields, rest, err := d.splitFields(v)
	if err != nil {
		return "", d.dataErr(0, "", "", "%v", err)
	}
	if len(rest) > 0 {
		return "", d.notText("%d bytes follow the value", len(rest))
	}
	parts := make([]string, len(fields))
	for i, f := range fields {
		if parts[i], err = d.formatField(f.t, f.b); err != nil {
			return "", err
		}
	}
	return strings.Join(parts, ", "), nil
}

// formatField renders one field, escaped for csv.
func (d *Def) formatField(t Type, b []byte) (string, error) {
	switch t {
	case TypeBinary:
		return FormatHex(b), nil
	case TypeBoolean:
		switch b[0] {
		case 0:
			return "false", nil
		case 1:
			return "true", nil
		}
		return "", d.notText("boolean byte %d", b[0])
	case TypeInt8:
		return strconv.Itoa(int(int8(b[0]))), nil
	case TypeInt16:
		return strconv.Itoa(int(int16(binary.BigEndian.Uint16(b)))), nil
	case TypeInt32:
		return strconv.Itoa(int(int32(binary.BigEndian.Uint32(b)))), nil
	case TypeUint8:
		return strconv.Itoa(int(b[0])), nil
	case TypeUint16:
		return strconv.Itoa(int(binary.BigEndian.Uint16(b))), nil
	case TypeUint32:
		return strconv.FormatUint(uint64(binary.BigEndian.Uint32(b)), 10), nil
	case TypeIPv4Address:
		return netip.AddrFrom4([4]byte(b)).String(), nil
	case TypeIPv6Address:
		return netip.AddrFrom16([16]byte(b)).String(), nil
	case TypeIPv6Prefix:
		if len(b) == 0 {
			return "", d.notText("empty prefix field")
		}
		var a [16]byte
		copy(a[:], b[1:])
		return netip.AddrFrom16(a).String() + "/" + strconv.Itoa(int(b[0])), nil
	case TypePSID:
		n := int(b[0])
		v := binary.BigEndian.Uint16(b[1:])
		if n > 16 {
			return "", d.notText("PSID length %d", n)
		}
		if n == 0 {
			return "0/0", nil
		}
		return strconv.Itoa(int(v>>(16-n))) + "/" + strconv.Itoa(n), nil
	case TypeString:
		return escapeCSV(string(b)), nil
	case TypeTuple:
		return escapeCSV(string(b[1:])), nil
	case TypeFQDN:
		wire, _, err := readName(nil, b, 0, true, false)
		if err != nil {
			return "", d.dataErr(0, "", "", "domain name: %v", err)
		}
		return escapeCSV(nameText(wire)), nil
	}
	return "", d.notText("field of type %s", t)
}

// SplitSuboptions separates an option payload into the option's own
// value and the sub-options that follow it, for a definition that
// carries sub-options: Encapsulate set, or vivso-suboptions (125), whose
// payload is an enterprise number and a length-prefixed block. For
// other definitions the whole payload is the value.
//
// The sub-options are returned as they are on the wire (code, length,
// data triples); they are checked to be complete.
func (d *Def) SplitSuboptions(payload []byte) (value, subopts []byte, err error) {
	if err := d.Validate(); err != nil {
		return nil, nil, err
	}
	if d.isSpecial(codeVIVSO, TypeUint32) && !d.Array {
		if len(payload) < 4 {
			return nil, nil, d.dataErr(0, "", "", "vendor-specific information option has length %d; it must be at least 4", len(payload))
		}
		rest := payload[4:]
		if len(rest) == 0 {
			return payload[:4], nil, nil
		}
		n := int(rest[0])
		if 1+n > len(rest) {
			return nil, nil, d.dataErr(0, "", "", "vendor-specific information block of length %d truncated", n)
		}
		if _, err := splitTLVs(rest[1 : 1+n]); err != nil {
			return nil, nil, d.dataErr(0, "", "", "%v", err)
		}
		return payload[:4], rest[1 : 1+n], nil
	}
	if d.Encapsulate == "" {
		return payload, nil, nil
	}
	var n int
	switch d.Type {
	case TypeEmpty:
		n = 0
	case TypeBinary, TypeString, TypeInternal:
		// These take the whole payload; Kea never finds sub-options.
		return payload, nil, nil
	default:
		fields, _, err := d.splitFields(payload)
		if err != nil {
			return nil, nil, d.dataErr(0, "", "", "%v", err)
		}
		for _, f := range fields {
			n += len(f.b)
		}
	}
	if _, err := splitTLVs(payload[n:]); err != nil {
		return nil, nil, d.dataErr(0, "", "", "sub-options: %v", err)
	}
	return payload[:n], payload[n:], nil
}

// Compose appends the full payload of an option that carries
// sub-options: base, as returned by Encode (which may already hold
// sub-options given in raw data), followed by subs. Sub-options are
// placed in code order, as Kea sends them. For vivso-suboptions (125)
// base is the enterprise number (4 bytes, or Encode's form with its
// block) and the sub-options go in its length-prefixed block.
//
// Compose fails for a definition that carries no sub-options if subs is
// not empty, and when a sub-option or the block exceeds 255 bytes.
func (d *Def) Compose(dst, base []byte, subs []Suboption) ([]byte, error) {
	if err := d.Validate(); err != nil {
		return dst, err
	}
	start := len(dst)
	if d.isSpecial(codeVIVSO, TypeUint32) && !d.Array {
		id, existing, err := splitVIVSO(base)
		if err != nil {
			return dst, d.dataErr(0, "", "", "%v", err)
		}
		out, err := appendVendorBlock(dst, id, existing, subs)
		if err != nil {
			return dst[:start], d.dataErr(0, "", "", "%v", err)
		}
		return out, nil
	}
	if len(subs) == 0 {
		return append(dst, base...), nil
	}
	if d.Encapsulate == "" {
		return dst, d.dataErr(0, "", "", "option encapsulates no option space; it cannot carry sub-options")
	}
	value, existing, err := d.SplitSuboptions(base)
	if err != nil {
		return dst, err
	}
	all, err := splitTLVs(existing)
	if err != nil {
		return dst, d.dataErr(0, "", "", "%v", err)
	}
	all = append(all, subs...)
	dst = append(dst, value...)
	if dst, err = appendSuboptions(dst, all); err != nil {
		return dst[:start], d.dataErr(0, "", "", "%v", err)
	}
	return dst, nil
}
