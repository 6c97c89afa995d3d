package optdef

import (
	"encoding/binary"
	"errors"
	"fmt"
	"net/netip"
	"strings"
)

// DataError reports option data that does not fit its definition.
type DataError struct {
	Option   string // the option, as "space.name (code)"
	Index    int    // 1-based position of the offending value in data; 0 if not about one value
	Value    string // the offending value as written, if any
	Expected string // what the position takes: a type, with its range for integers
	Reason   string // what is wrong
}

func (e *DataError) Error() string {
	var b strings.Builder
	b.WriteString("option ")
	b.WriteString(e.Option)
	if e.Index > 0 {
		fmt.Fprintf(&b, ": value %d %q", e.Index, e.Value)
	} else if e.Value != "" {
		fmt.Fprintf(&b, ": %q", e.Value)
	}
	if e.Expected != "" {
		b.WriteString(": expected ")
		b.WriteString(e.Expected)
	}
	if e.Reason != "" {
		b.WriteString(": ")
		b.WriteString(e.Reason)
	}
	return b.String()
}

func (d *Def) dataErr(index int, value, expected, format string, args ...any) error {
	return &DataError{Option: d.String(), Index: index, Value: value, Expected: expected, Reason: fmt.Sprintf(format, args...)}
}

// AppendRaw appends the payload of an option-data entry whose option
// has no definition: data read as with csv-format false (hexadecimal
// digits, or text in single quotes). Kea sends such bytes unchanged.
func AppendRaw(dst []byte, data string) ([]byte, error) {
	out, err := appendRawData(dst, data)
	if err != nil {
		return dst, fmt.Errorf("option data %q is not a valid string of hexadecimal digits: %w", data, err)
	}
	return out, nil
}

// isSpecial reports whether d has the space, code and type of a standard
// dhcp4 option whose wire format Kea handles with dedicated code rather
// than generically.
func (d *Def) isSpecial(code uint8, t Type) bool {
	return d.Space == SpaceDHCP4 && d.Code == code && d.Type == t
}

// Encode appends to dst the option payload (the bytes after code and
// length) that Kea sends for an option-data entry of this definition
// with the given "data" and "csv-format".
//
// With csvFormat, data is Kea's comma-separated text: one value per
// field, a backslash escaping a comma or backslash, blanks around values
// ignored. Integers may be decimal or hexadecimal ("0x1f", and also
// "1f" when the text is not a decimal number); booleans are true, false,
// 0 or 1; binary fields are hexadecimal digits, blanks ignored. As in
// Kea, surplus values of a non-array option are ignored, and an empty
// array is accepted where Kea accepts it.
//
// Without csvFormat, data is the raw payload: hexadecimal digits (with
// an optional "0x" prefix, or as octets separated by colons or by
// single spaces) or text in single quotes. Kea then reads those bytes
// with the definition and sends what it read, so Encode checks them the
// same way and returns them as Kea would send them.
//
// For an option that carries sub-options (Encapsulate set, or
// vivso-suboptions), the result holds only what data itself gives; see
// Compose.
func (d *Def) Encode(dst []byte, data string, csvFormat bool) ([]byte, error) {
	if err := d.Validate(); err != nil {
		return dst, err
	}
	start := len(dst)
	var raw []byte
	var err error
	if !csvFormat {
		raw, err = appendRawData(nil, data)
		if err != nil {
			return dst, d.dataErr(0, data, "hexadecimal digits or 'quoted text'", "invalid raw option data (csv-format false): %v", err)
		}
	} else {
		var done bool
		dst, done, err = d.appendText(dst, data)
		if err != nil {
			return dst[:start], err
		}
		if done {
			return dst, nil
		}
		raw = dst[start:]
		raw = append([]byte(nil), raw...)
		dst = dst[:start]
	}
	dst, err = d.appendCanonical(dst, raw)
	if err != nil {
		return dst[:start], err
	}
	return dst, nil
}

// appendText writes the fields of csv data the way Kea's option
// definition does before it reads the result back as an option. done
// reports that the output is final (options with a text notation of
// their own).
func (d *Def) appendText(dst []byte, data string) (out []byte, done bool, err error) {
	vals := splitCSV(data)
	switch {
	case d.Type == TypeInternal:
		if len(vals) == 0 {
			return dst, false, d.dataErr(0, "", d.Type.String(), "no option value specified")
		}
		// Kea glues the values back together with commas, re-escaping
		// commas that were escaped, and hands the text to the option.
		for i, v := range vals {
			vals[i] = strings.ReplaceAll(v, ",", `\,`)
		}
		text := strings.Join(vals, ",")
		switch {
		case d.isSpecial(codeClasslessStaticRoute, TypeInternal):
			out, err = d.appendRoutesText(dst, text)
			return out, true, err
		case d.isSpecial(codeDNR, TypeInternal):
			out, err = d.appendDNRText(dst, text)
			return out, true, err
		}
		return append(dst, text...), false, nil
	case d.Type == TypeRecord:
		if len(vals) < len(d.RecordTypes) {
			return dst, false, d.dataErr(0, data, d.recordLayout(), "%d values given, the record has %d fields", len(vals), len(d.RecordTypes))
		}
		if d.isSpecial(codeFQDN, TypeRecord) && fqdnShape(d) {
			out, err = d.appendFQDNText(dst, vals)
			return out, true, err
		}
		for i, t := range d.RecordTypes {
			if dst, err = d.appendValue(dst, i+1, vals[i], t); err != nil {
				return dst, false, err
			}
		}
		if d.Array {
			last := d.RecordTypes[len(d.RecordTypes)-1]
			for i := len(d.RecordTypes); i < len(vals); i++ {
				if dst, err = d.appendValue(dst, i+1, vals[i], last); err != nil {
					return dst, false, err
				}
			}
		}
		return dst, false, nil
	case d.Array:
		for i, v := range vals {
			if dst, err = d.appendValue(dst, i+1, v, d.Type); err != nil {
				return dst, false, err
			}
		}
		return dst, false, nil
	}
	if len(vals) == 0 {
		if d.Type == TypeEmpty {
			return dst, false, nil
		}
		return dst, false, d.dataErr(0, "", d.Type.String(), "no option value specified")
	}
	if d.Type == TypeEmpty {
		return dst, false, d.dataErr(1, vals[0], "no data", "an option of type empty takes no value")
	}
	dst, err = d.appendValue(dst, 1, vals[0], d.Type)
	return dst, false, err
}

func (d *Def) recordLayout() string {
	var b strings.Builder
	b.WriteString("record(")
	for i, t := range d.RecordTypes {
		if i > 0 {
			b.WriteString(", ")
		}
		b.WriteString(t.String())
	}
	b.WriteString(")")
	if d.Array {
		b.WriteString(" with the last field repeated")
	}
	return b.String()
}

// tupleLenSize is the size of a tuple's length field: one byte in
// DHCPv4, except in option 143 (RFC 8572) where it is two.
func (d *Def) tupleLenSize() int {
	if d.isSpecial(codeSZTPRedirect, TypeTuple) && d.Array {
		return 2
	}
	return 1
}

// appendValue writes one csv value (untrimmed, at 1-based position
// index) as a field of type t.
func (d *Def) appendValue(dst []byte, index int, value string, t Type) ([]byte, error) {
	v := trim(value)
	bad := func(format string, args ...any) ([]byte, error) {
		exp := t.String()
		if t.isInteger() {
			lo, hi, _ := t.intRange()
			exp = fmt.Sprintf("%s (%d..%d)", t, lo, hi)
		}
		return dst, d.dataErr(index, v, exp, format, args...)
	}
	switch t {
	case TypeBinary:
		out, err := appendHexLoose(dst, v)
		if err != nil {
			return bad("%v", err)
		}
		return out, nil
	case TypeBoolean:
		b, ok := parseBool(v)
		if !ok {
			return bad("use true, false, 1 or 0")
		}
		if b {
			return append(dst, 1), nil
		}
		return append(dst, 0), nil
	case TypeInt8, TypeInt16, TypeInt32, TypeUint8, TypeUint16, TypeUint32:
		n, ok := parseInt(v)
		if !ok {
			return bad("not an integer")
		}
		lo, hi, size := t.intRange()
		if n < lo || n > hi {
			return bad("out of range")
		}
		return appendUint(dst, uint64(n), size), nil
	case TypeIPv4Address, TypeIPv6Address:
		a, err := netip.ParseAddr(v)
		if err != nil || a.Zone() != "" {
			return bad("not a valid IP address")
		}
		if t == TypeIPv4Address {
			if !a.Is4() {
				return bad("not an IPv4 address")
			}
			b := a.As4()
			return append(dst, b[:]...), nil
		}
		if !a.Is6() {
			return bad("not an IPv6 address")
		}
		b := a.As16()
		return append(dst, b[:]...), nil
	case TypeIPv6Prefix:
		s := strings.NewReplacer(" ", "", "\t", "").Replace(v)
		slash := strings.IndexByte(s, '/')
		if slash < 0 {
			return bad("not in address/length form")
		}
		a, err := netip.ParseAddr(s[:slash])
		if err != nil || !a.Is6() || a.Zone() != "" {
			return bad("%q is not an IPv6 address", s[:slash])
		}
		n, ok := parseInt(s[slash+1:])
		if !ok || n < 0 || n > 255 {
			return bad("prefix length %q is not valid", s[slash+1:])
		}
		if n > 128 {
			return bad("prefix length %d is above 128", n)
		}
		return appendPrefix(dst, a.As16(), int(n)), nil
	case TypePSID:
		s := strings.NewReplacer(" ", "", "\t", "").Replace(v)
		slash := strings.IndexByte(s, '/')
		if slash < 0 {
			return bad("not in psid/length form")
		}
		psid, ok := parseInt(s[:slash])
		if !ok || psid < 0 || psid > 0xffff {
			return bad("PSID %q is not valid", s[:slash])
		}
		n, ok := parseInt(s[slash+1:])
		if !ok || n < 0 || n > 255 {
			return bad("PSID length %q is not valid", s[slash+1:])
		}
		if n > 16 {
			return bad("PSID length %d is above 16", n)
		}
		if n > 0 && psid > 0xffff>>(16-n) {
			return bad("PSID %d does not fit in %d bits", psid, n)
		}
		var wire uint16
		if n > 0 {
			wire = uint16(psid << (16 - n))
		}
		return append(dst, byte(n), byte(wire>>8), byte(wire)), nil
	case TypeString:
		return append(dst, v...), nil
	case TypeTuple:
		if d.tupleLenSize() == 2 {
			if len(v) > 0xffff {
				return bad("longer than 65535 bytes")
			}
			dst = append(dst, byte(len(v)>>8), byte(len(v)))
		} else {
			if len(v) > 0xff {
				return bad("longer than 255 bytes")
			}
			dst = append(dst, byte(len(v)))
		}
		return append(dst, v...), nil
	case TypeFQDN:
		out, err := appendName(dst, v, false)
		if err != nil {
			return bad("%v", err)
		}
		return out, nil
	}
	return bad("a field of type %s cannot be written", t)
}

func appendUint(dst []byte, v uint64, size int) []byte {
	switch size {
	case 1:
		return append(dst, byte(v))
	case 2:
		return binary.BigEndian.AppendUint16(dst, uint16(v))
	}
	return binary.BigEndian.AppendUint32(dst, uint32(v))
}

// appendPrefix writes a prefix length and the bytes that hold it, with
// the bits past the length cleared.
func appendPrefix(dst []byte, addr [16]byte, n int) []byte {
	dst = append(dst, byte(n))
	nb := (n + 7) / 8
	dst = append(dst, addr[:nb]...)
	if pad := (8 - n%8) % 8; pad > 0 {
		dst[len(dst)-1] = dst[len(dst)-1] >> pad << pad
	}
	return dst
}

var errTruncated = errors.New("option buffer truncated")

// appendCanonical reads raw as Kea reads an option of this definition
// from bytes and appends what Kea would then send.
func (d *Def) appendCanonical(dst, raw []byte) ([]byte, error) {
	wireErr := func(err error) ([]byte, error) {
		return dst, d.dataErr(0, "", "", "%v", err)
	}
	switch {
	case d.isSpecial(codeSLPServiceScope, TypeRecord):
		if len(raw) < 1 {
			return wireErr(errors.New("SLP service scope option truncated"))
		}
		if raw[0] > 1 {
			return wireErr(fmt.Errorf("mandatory flag %d is not a boolean", raw[0]))
		}
		return append(dst, raw...), nil
	case d.isSpecial(codeFQDN, TypeRecord) && fqdnShape(d):
		out, err := canonicalFQDN(dst, raw)
		if err != nil {
			return wireErr(err)
		}
		return out, nil
	case d.isSpecial(codeClasslessStaticRoute, TypeInternal):
		if _, err := parseRoutes(raw); err != nil {
			return wireErr(err)
		}
		return append(dst, raw...), nil
	case d.isSpecial(codeDNR, TypeInternal):
		out, err := canonicalDNR(dst, raw)
		if err != nil {
			return wireErr(err)
		}
		return out, nil
	case d.isSpecial(codeVIVCO, TypeRecord) && vivcoShape(d):
		if err := checkVIVCO(raw); err != nil {
			return wireErr(err)
		}
		return append(dst, raw...), nil
	case d.isSpecial(codeVIVSO, TypeUint32) && !d.Array:
		id, subs, err := splitVIVSO(raw)
		if err != nil {
			return wireErr(err)
		}
		return appendVendorBlock(dst, id, subs, nil)
	case d.isSpecial(codeSZTPRedirect, TypeTuple) && d.Array:
		if err := checkTuples(raw, 2); err != nil {
			return wireErr(err)
		}
		return append(dst, raw...), nil
	}

	switch d.Type {
	case TypeEmpty:
		if d.Encapsulate == "" {
			// Kea builds a plain empty option and ignores the bytes.
			return dst, nil
		}
		return d.appendSubopts(dst, raw)
	case TypeBinary, TypeInternal:
		return append(dst, raw...), nil
	case TypeString:
		s := trimNULs(raw)
		if len(s) == 0 {
			return wireErr(errors.New("string value is empty or only NULs"))
		}
		return append(dst, s...), nil
	}
	if d.Type.isInteger() {
		_, _, size := d.Type.intRange()
		if d.Array {
			if len(raw) == 0 {
				return wireErr(errors.New("integer array is empty"))
			}
			if len(raw)%size != 0 {
				return wireErr(fmt.Errorf("length %d is not a multiple of %d", len(raw), size))
			}
			return append(dst, raw...), nil
		}
		if len(raw) < size {
			return wireErr(errTruncated)
		}
		dst = append(dst, raw[:size]...)
		return d.appendSubopts(dst, raw[size:])
	}
	if d.Array && !(d.Type == TypeRecord) {
		switch d.Type {
		case TypeIPv4Address, TypeIPv6Address:
			if n := d.Type.fixedLen(); len(raw)%n != 0 {
				return wireErr(fmt.Errorf("length %d is not a multiple of %d", len(raw), n))
			}
			return append(dst, raw...), nil
		case TypeTuple:
			if err := checkTuples(raw, 1); err != nil {
				return wireErr(err)
			}
			return append(dst, raw...), nil
		case TypeFQDN:
			if len(raw) == 0 {
				return wireErr(errors.New("FQDN list option is empty"))
			}
			for off := 0; off < len(raw); {
				var err error
				if dst, off, err = readName(dst, raw, off, true, false); err != nil {
					return wireErr(err)
				}
			}
			return dst, nil
		}
	}
	fields, rest, err := d.splitFields(raw)
	if err != nil {
		return wireErr(err)
	}
	for _, f := range fields {
		dst = append(dst, f.b...)
	}
	return d.appendSubopts(dst, rest)
}

// appendSubopts appends the sub-options that follow an option's value
// as Kea re-sends them. An option that encapsulates no space drops them
// unless it is a plain integer (Kea keeps them as generic sub-options).
func (d *Def) appendSubopts(dst, rest []byte) ([]byte, error) {
	if len(rest) == 0 {
		return dst, nil
	}
	if d.Encapsulate == "" && !(d.Type.isInteger() && !d.Array) {
		return dst, nil
	}
	out, err := canonicalTLVs(dst, rest, d.Code == codeVendorEncapsulated)
	if err != nil {
		return dst, d.dataErr(0, "", "", "sub-options: %v", err)
	}
	return out, nil
}

func trimNULs(b []byte) []byte {
	for len(b) > 0 && b[len(b)-1] == 0 {
		b = b[:len(b)-1]
	}
	return b
}

func checkTuples(b []byte, lenSize int) error {
	for off := 0; off < len(b); {
		if len(b)-off < lenSize {
			return fmt.Errorf("tuple length field truncated at offset %d", off)
		}
		n := int(b[off])
		if lenSize == 2 {
			n = int(binary.BigEndian.Uint16(b[off:]))
		}
		off += lenSize
		if len(b)-off < n {
			return fmt.Errorf("tuple of length %d truncated at offset %d", n, off)
		}
		off += n
	}
	return nil
}

type field struct {
	t Type
	b []byte
}

// splitFields cuts raw into the fields of the definition as Kea's
// generic option class does, and returns the bytes left over. A
// trailing partial element of an array is dropped, as in Kea.
func (d *Def) splitFields(raw []byte) ([]field, []byte, error) {
	var fields []field
	data := raw
	if d.Type == TypeRecord {
		for _, t := range d.RecordTypes {
			n, err := d.fieldLen(t, false, data)
			if err != nil {
				return nil, nil, err
			}
			if len(data) < n {
				return nil, nil, errTruncated
			}
			fields = append(fields, field{t, data[:n]})
			data = data[n:]
		}
		if d.Array {
			last := d.RecordTypes[len(d.RecordTypes)-1]
			for len(data) > 0 {
				n, err := d.fieldLen(last, true, data)
				if err != nil {
					return nil, nil, err
				}
				if len(data) < n {
					break
				}
				fields = append(fields, field{last, data[:n]})
				data = data[n:]
			}
			return fields, nil, nil
		}
		return fields, data, nil
	}
	if d.Type == TypeEmpty {
		return nil, data, nil
	}
	if len(data) < d.Type.fixedLen() {
		return nil, nil, errTruncated
	}
	if d.Array {
		for len(data) > 0 {
			n, err := d.fieldLen(d.Type, true, data)
			if err != nil {
				return nil, nil, err
			}
			if len(data) < n {
				break
			}
			fields = append(fields, field{d.Type, data[:n]})
			data = data[n:]
		}
		return fields, nil, nil
	}
	n, err := d.fieldLen(d.Type, false, data)
	if err != nil {
		return nil, nil, err
	}
	if n == 0 || len(data) < n {
		return nil, nil, errTruncated
	}
	return []field{{d.Type, data[:n]}}, data[n:], nil
}

// fieldLen returns how many bytes of data a field of type t takes.
func (d *Def) fieldLen(t Type, inArray bool, data []byte) (int, error) {
	if n := t.fixedLen(); n > 0 {
		return n, nil
	}
	switch t {
	case TypeFQDN:
		wire, _, err := readName(nil, data, 0, false, false)
		if err != nil {
			return 0, fmt.Errorf("domain name: %w", err)
		}
		if len(wire) == 1 {
			// Kea sizes a name by its text plus one, which for the root
			// name "." is one byte more than the name takes.
			return 2, nil
		}
		return len(wire), nil
	case TypeBinary, TypeString:
		if !d.Array {
			return len(data), nil
		}
	case TypeIPv6Prefix:
		if len(data) == 0 && !inArray {
			return 0, nil
		}
		if len(data) == 0 {
			return 0, errors.New("prefix truncated")
		}
		if data[0] > 128 {
			return 0, fmt.Errorf("prefix length %d is above 128", data[0])
		}
		n := 1 + (int(data[0])+7)/8
		if len(data) < n {
			return 0, fmt.Errorf("prefix of length %d truncated", data[0])
		}
		return n, nil
	case TypeTuple:
		if len(data) < 1 {
			return 0, errors.New("tuple length field truncated")
		}
		n := 1 + int(data[0])
		if len(data) < n {
			return 0, fmt.Errorf("tuple of length %d truncated", data[0])
		}
		return n, nil
	}
	return 0, errTruncated
}

// canonicalTLVs reads sub-options the way Kea does (a truncated tail is
// dropped; with padEnd, code 0 is padding and 255 ends the list; several
// instances of one code are joined) and appends them ordered by code.
func canonicalTLVs(dst, b []byte, padEnd bool) ([]byte, error) {
	var data [256][]byte
	var seen [256]bool
	for off := 0; off < len(b); {
		code := b[off]
		off++
		if padEnd && code == optionEnd {
			break
		}
		if padEnd && code == optionPad {
			continue
		}
		if off+1 > len(b) {
			break
		}
		n := int(b[off])
		off++
		if off+n > len(b) {
			break
		}
		seen[code] = true
		data[code] = append(data[code], b[off:off+n]...)
		off += n
	}
	for code := range 256 {
		if !seen[code] {
			continue
		}
		if len(data[code]) > 255 {
			return dst, fmt.Errorf("sub-option %d is %d bytes long after joining its instances; the limit is 255", code, len(data[code]))
		}
		dst = append(dst, byte(code), byte(len(data[code])))
		dst = append(dst, data[code]...)
	}
	return dst, nil
}
