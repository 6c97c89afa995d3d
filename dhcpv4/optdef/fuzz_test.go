package optdef

import (
	"bytes"
	"errors"
	"testing"
)

// fuzzDefs is every standard definition plus custom ones that cover
// each type as a scalar, an array, a record field and an encapsulating
// option.
func fuzzDefs() []Def {
	var defs []Def
	r := Standard()
	for _, s := range r.Spaces() {
		defs = append(defs, r.Defs(s)...)
	}
	c := func(name string, t Type, array bool, enc string, recs ...Type) Def {
		return Def{Name: name, Code: 230, Space: "fuzz", Type: t, Array: array, Encapsulate: enc, RecordTypes: recs}
	}
	for ty := TypeEmpty; ty < TypeInternal; ty++ {
		defs = append(defs, c("scalar", ty, false, ""))
		if ty != TypeEmpty && ty != TypeString && ty != TypeBinary {
			defs = append(defs, c("array", ty, true, ""))
		}
		defs = append(defs, c("encap", ty, false, "sub"))
	}
	defs = append(defs,
		c("internal", TypeInternal, false, ""),
		c("rec", TypeRecord, false, "", TypeIPv4Address, TypePSID, TypeTuple, TypeFQDN, TypeString),
		c("recarr", TypeRecord, true, "", TypeInt8, TypeInt16, TypeInt32, TypeUint8, TypeUint16, TypeUint32, TypeIPv4Address, TypePSID, TypeTuple, TypeFQDN),
		c("recprefix", TypeRecord, true, "", TypeBoolean, TypeIPv6Prefix),
		c("recbin", TypeRecord, false, "sub", TypeIPv6Address, TypeBinary),
		Def{Name: "vendor-encapsulated-options", Code: 43, Space: "fuzz", Type: TypeEmpty, Encapsulate: "sub"},
	)
	return defs
}

func addSeeds(f *testing.F, withText bool) {
	defs := fuzzDefs()
	for i, d := range defs {
		data, ok := samples[d.Space+"."+d.Name]
		if !ok {
			data = "1, 2"
		}
		if withText {
			f.Add(uint16(i), data, true)
			f.Add(uint16(i), FormatHex([]byte(data)), false)
		} else if b, err := d.Encode(nil, data, true); err == nil {
			f.Add(uint16(i), b)
		}
	}
}

func FuzzEncode(f *testing.F) {
	addSeeds(f, true)
	f.Add(uint16(0), `a\,b\\c\`, true)
	f.Add(uint16(0), "0x", false)
	f.Add(uint16(0), "'x'", false)
	defs := fuzzDefs()
	f.Fuzz(func(t *testing.T, which uint16, data string, csv bool) {
		d := defs[int(which)%len(defs)]
		b, err := d.Encode([]byte{1, 2}, data, csv)
		if err != nil {
			if !bytes.Equal(b, []byte{1, 2}) {
				t.Fatalf("%s: failed Encode changed dst to % x", d.String(), b)
			}
			return
		}
		b = b[2:]
		// Kea's reading of its own output gives it back.
		again, err := d.Encode(nil, FormatHex(b), false)
		if err != nil || !bytes.Equal(again, b) {
			t.Fatalf("%s: raw re-encoding of % x gives % x, %v", d.String(), b, again, err)
		}
		text, err := d.Format(b)
		if err != nil {
			if !errors.Is(err, ErrNotText) {
				t.Fatalf("%s: Format of Encode output % x: %v", d.String(), b, err)
			}
			return
		}
		value, _, err := d.SplitSuboptions(b)
		if err != nil {
			t.Fatalf("%s: SplitSuboptions(% x): %v", d.String(), b, err)
		}
		want, _ := d.Compose(nil, value, nil)
		b2, err := d.Encode(nil, text, true)
		if err != nil || !bytes.Equal(b2, want) {
			t.Fatalf("%s: Format gave %q, which encodes to % x, %v; want % x", d.String(), text, b2, err, want)
		}
		if text2, err := d.Format(b2); err != nil || text2 != text {
			t.Fatalf("%s: Format not stable: %q then %q, %v", d.String(), text, text2, err)
		}
	})
}

func FuzzFormat(f *testing.F) {
	addSeeds(f, false)
	f.Add(uint16(0), []byte{})
	defs := fuzzDefs()
	f.Fuzz(func(t *testing.T, which uint16, payload []byte) {
		d := defs[int(which)%len(defs)]
		_ = FormatHex(payload)
		value, subs, splitErr := d.SplitSuboptions(payload)
		if splitErr == nil {
			if len(value)+len(subs) > len(payload) {
				t.Fatalf("%s: split of %d bytes gave %d + %d", d.String(), len(payload), len(value), len(subs))
			}
			if _, err := ParseSuboptions(subs); err != nil {
				t.Fatalf("%s: SplitSuboptions returned bad sub-options % x: %v", d.String(), subs, err)
			}
		}
		text, err := d.Format(payload)
		if err == nil {
			if splitErr != nil {
				t.Fatalf("%s: Format succeeded where SplitSuboptions failed: %v", d.String(), splitErr)
			}
			want, _ := d.Compose(nil, value, nil)
			b, err := d.Encode(nil, text, true)
			if err != nil || !bytes.Equal(b, want) {
				t.Fatalf("%s: Format(% x) = %q, which encodes to % x, %v; want % x", d.String(), payload, text, b, err, want)
			}
			if text2, err := d.Format(b); err != nil || text2 != text {
				t.Fatalf("%s: Format not stable: %q then %q, %v", d.String(), text, text2, err)
			}
		}
		// Reading raw bytes as Kea does is idempotent.
		c, err := d.Encode(nil, FormatHex(payload), false)
		if err != nil {
			return
		}
		c2, err := d.Encode(nil, FormatHex(c), false)
		if err != nil || !bytes.Equal(c, c2) {
			t.Fatalf("%s: raw canonical form of % x is % x, then % x, %v", d.String(), payload, c, c2, err)
		}
	})
}

// FuzzDef builds arbitrary definitions and feeds them data: nothing may
// panic, and invalid definitions are refused by every entry point.
func FuzzDef(f *testing.F) {
	f.Add(uint8(TypeRecord), true, []byte{byte(TypeUint8), byte(TypeFQDN)}, "x", uint8(1), "1, a.b", true, []byte{1, 1, 'a', 0})
	f.Add(uint8(TypeRecord), true, []byte{}, "x", uint8(1), "1", true, []byte{1})
	f.Add(uint8(TypeTuple), false, []byte{}, "", uint8(143), "abc", false, []byte{0})
	f.Fuzz(func(t *testing.T, typ uint8, array bool, recs []byte, enc string, code uint8, data string, csv bool, payload []byte) {
		d := Def{Name: "fuzz", Code: code, Space: SpaceDHCP4, Type: Type(typ % (uint8(numTypes) + 2)), Array: array, Encapsulate: enc}
		for _, r := range recs {
			d.RecordTypes = append(d.RecordTypes, Type(r%uint8(numTypes+1)))
		}
		valid := d.Validate() == nil
		b, errE := d.Encode(nil, data, csv)
		_, errF := d.Format(payload)
		_, _, errS := d.SplitSuboptions(payload)
		_, errC := d.Compose(nil, b, []Suboption{{Code: 1, Data: payload[:min(len(payload), 255)]}})
		if !valid && (errE == nil || errF == nil || errS == nil || errC == nil) {
			t.Fatalf("invalid definition %+v accepted", d)
		}
	})
}
