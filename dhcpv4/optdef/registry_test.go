package optdef

import (
	"errors"
	"strings"
	"testing"
)

func TestWithValidation(t *testing.T) {
	ok := func(d Def) Def { return d }
	base := Def{Name: "my-opt", Code: 224, Space: SpaceDHCP4, Type: TypeUint8}
	mod := func(f func(*Def)) Def { d := base; f(&d); return d }
	tests := []struct {
		name string
		defs []Def
		kind error
		msg  string
	}{
		{"bad name", []Def{mod(func(d *Def) { d.Name = "my opt" })}, ErrInvalidDef, `invalid option name "my opt"`},
		{"name starts with dash", []Def{mod(func(d *Def) { d.Name = "-x" })}, ErrInvalidDef, "invalid option name"},
		{"name ends with underscore", []Def{mod(func(d *Def) { d.Name = "x_" })}, ErrInvalidDef, "invalid option name"},
		{"empty name", []Def{mod(func(d *Def) { d.Name = "" })}, ErrInvalidDef, "invalid option name"},
		{"bad space", []Def{mod(func(d *Def) { d.Space = "my space" })}, ErrInvalidDef, `invalid option space name "my space"`},
		{"code 0", []Def{mod(func(d *Def) { d.Code = 0 })}, ErrInvalidDef, "reserved for PAD"},
		{"code 255", []Def{mod(func(d *Def) { d.Code = 255 })}, ErrInvalidDef, "reserved for END"},
		{"encapsulating array", []Def{mod(func(d *Def) { d.Array = true; d.Encapsulate = "sub" })}, ErrInvalidDef, "array option may not encapsulate"},
		{"encapsulates own space", []Def{mod(func(d *Def) { d.Encapsulate = SpaceDHCP4 })}, ErrInvalidDef, "must not encapsulate the option space"},
		{"bad encapsulated space", []Def{mod(func(d *Def) { d.Encapsulate = "a.b" })}, ErrInvalidDef, "invalid encapsulated option space"},
		{"record-types without record", []Def{mod(func(d *Def) { d.RecordTypes = []Type{TypeUint8, TypeUint8} })}, ErrInvalidDef, "type must be record"},
		{"record of one", []Def{mod(func(d *Def) { d.Type = TypeRecord; d.RecordTypes = []Type{TypeUint8} })}, ErrInvalidDef, "at least 2 fields"},
		{"string before end", []Def{mod(func(d *Def) { d.Type = TypeRecord; d.RecordTypes = []Type{TypeString, TypeUint8} })}, ErrInvalidDef, "string field must be the last"},
		{"binary before end", []Def{mod(func(d *Def) { d.Type = TypeRecord; d.RecordTypes = []Type{TypeBinary, TypeUint8} })}, ErrInvalidDef, "binary field must be the last"},
		{"empty field", []Def{mod(func(d *Def) { d.Type = TypeRecord; d.RecordTypes = []Type{TypeUint8, TypeEmpty} })}, ErrInvalidDef, "empty is not allowed in a record"},
		{"record field", []Def{mod(func(d *Def) { d.Type = TypeRecord; d.RecordTypes = []Type{TypeUint8, TypeRecord} })}, ErrInvalidDef, "record is not allowed"},
		{"internal field", []Def{mod(func(d *Def) { d.Type = TypeRecord; d.RecordTypes = []Type{TypeUint8, TypeInternal} })}, ErrInvalidDef, "internal type cannot be a record field"},
		{"record array of strings", []Def{mod(func(d *Def) { d.Type = TypeRecord; d.Array = true; d.RecordTypes = []Type{TypeUint8, TypeString} })}, ErrInvalidDef, "array of strings"},
		{"array of strings", []Def{mod(func(d *Def) { d.Type = TypeString; d.Array = true })}, ErrInvalidDef, "array of strings is not a valid option definition"},
		{"array of binary", []Def{mod(func(d *Def) { d.Type = TypeBinary; d.Array = true })}, ErrInvalidDef, "array of binary"},
		{"array of empty", []Def{mod(func(d *Def) { d.Type = TypeEmpty; d.Array = true })}, ErrInvalidDef, "array of empty"},
		{"array of internal", []Def{mod(func(d *Def) { d.Type = TypeInternal; d.Array = true })}, ErrInvalidDef, "array of internal"},
		{"unknown type", []Def{mod(func(d *Def) { d.Type = Type(99) })}, ErrInvalidDef, "unknown option type"},
		{"duplicate code", []Def{base, mod(func(d *Def) { d.Name = "other" })}, ErrDuplicateDef, "code 224 already exists"},
		{"duplicate name", []Def{base, mod(func(d *Def) { d.Code = 225 })}, ErrDuplicateDef, `name "my-opt" already exists`},
		{"standard code", []Def{mod(func(d *Def) { d.Code = 3 })}, ErrRedefineStd, "standard option dhcp4.routers (3)"},
		{"standard name", []Def{mod(func(d *Def) { d.Name = "routers" })}, ErrRedefineStd, "dhcp4.routers (3)"},
		{"standard agent sub-option", []Def{{Name: "circuit-id", Code: 1, Space: SpaceAgent, Type: TypeString}}, ErrRedefineStd, "circuit-id"},
		{"standard docsis3-v4", []Def{{Name: "x", Code: 2, Space: SpaceDOCSIS3, Type: TypeString}}, ErrRedefineStd, "tftp-servers"},
		{"post-2.2 standard", []Def{{Name: "classless-static-route", Code: 121, Space: SpaceDHCP4, Type: TypeBinary}}, ErrRedefineStd, "classless-static-route"},
	}
	for _, tt := range tests {
		r, err := Standard().With(tt.defs...)
		if err == nil {
			t.Errorf("%s: With succeeded", tt.name)
			continue
		}
		if r != nil {
			t.Errorf("%s: With returned a registry with its error", tt.name)
		}
		var de *DefError
		if !errors.Is(err, tt.kind) || !errors.As(err, &de) {
			t.Errorf("%s: error %v is not a *DefError of kind %v", tt.name, err, tt.kind)
		}
		if !strings.Contains(err.Error(), tt.msg) {
			t.Errorf("%s: error %q does not contain %q", tt.name, err, tt.msg)
		}
	}
	// Valid definitions Kea accepts.
	goods := []Def{
		ok(base),
		{Name: "vendor-encapsulated-options", Code: 43, Space: SpaceDHCP4, Type: TypeEmpty, Encapsulate: "339"},
		{Name: "vlanid", Code: 2, Space: "339", Type: TypeUint32},
		{Name: "dls", Code: 3, Space: "vendor-339", Type: TypeString},
		{Name: "my-oro", Code: 1, Space: SpaceDOCSIS, Type: TypeUint16, Array: true},
		{Name: "pad-ok", Code: 0, Space: "other", Type: TypeUint8},
		{Name: "end-ok", Code: 255, Space: "other", Type: TypeUint8},
		{Name: "enc-int", Code: 230, Space: SpaceDHCP4, Type: TypeUint32, Encapsulate: "sub"},
		{Name: "foo", Code: 1, Space: SpaceVendorEncapsulated, Type: TypeRecord, RecordTypes: []Type{TypeIPv4Address, TypeUint16, TypeString}},
		{Name: "lengthy", Code: 254, Space: "my-fancy-space", Type: TypeRecord, Array: true, RecordTypes: []Type{TypeInt8, TypeInt16, TypeInt32, TypeUint8, TypeUint16, TypeUint32, TypeIPv4Address, TypePSID, TypeTuple, TypeFQDN}},
	}
	r, err := Standard().With(goods...)
	if err != nil {
		t.Fatalf("With(valid) = %v", err)
	}
	if d, ok := r.LookupCode(SpaceDHCP4, 43); !ok || d.Encapsulate != "339" {
		t.Errorf("configured option 43 does not take precedence: %+v", d)
	}
	if d, ok := Standard().LookupCode(SpaceDHCP4, 43); !ok || d.Encapsulate != SpaceVendorEncapsulated {
		t.Errorf("With changed the standard registry: %+v", d)
	}
	if d, ok := r.LookupCode(SpaceDOCSIS, 1); !ok || d.Name != "my-oro" {
		t.Errorf("configured vendor-4491 option does not take precedence: %+v", d)
	}
	if d, ok := r.LookupName(SpaceDOCSIS, "oro"); !ok || d.Code != 1 || d.Type != TypeUint8 {
		t.Errorf("Kea's vendor-4491 oro is still found by name: %+v %v", d, ok)
	}
	if d, ok := r.LookupName("339", "vlanid"); !ok || d.Code != 2 {
		t.Errorf("LookupName(339, vlanid) = %+v %v", d, ok)
	}
	// A second With sees the first one's definitions as configured.
	if _, err := r.With(Def{Name: "my-opt", Code: 226, Space: SpaceDHCP4, Type: TypeUint8}); !errors.Is(err, ErrDuplicateDef) {
		t.Errorf("duplicate across With calls: %v", err)
	}
}

func TestWithDoesNotAliasInput(t *testing.T) {
	in := Def{Name: "rec", Code: 224, Space: SpaceDHCP4, Type: TypeRecord, RecordTypes: []Type{TypeUint8, TypeUint16}}
	r, err := Standard().With(in)
	if err != nil {
		t.Fatal(err)
	}
	in.RecordTypes[1] = TypeString
	if d, _ := r.LookupCode(SpaceDHCP4, 224); d.RecordTypes[1] != TypeUint16 {
		t.Error("registry shares RecordTypes with the caller's Def")
	}
}

func TestWithClass(t *testing.T) {
	global, err := Standard().With(Def{Name: "g", Code: 224, Space: SpaceDHCP4, Type: TypeUint8})
	if err != nil {
		t.Fatal(err)
	}
	cls, err := global.WithClass(
		Def{Name: "vendor-encapsulated-options", Code: 43, Space: SpaceDHCP4, Type: TypeEmpty, Encapsulate: "339"},
		Def{Name: "c", Code: 224, Space: SpaceDHCP4, Type: TypeString},
	)
	if err != nil {
		t.Fatalf("WithClass = %v", err)
	}
	if d, _ := cls.LookupCode(SpaceDHCP4, 224); d.Name != "c" {
		t.Errorf("class definition does not take precedence: %+v", d)
	}
	if d, ok := cls.LookupName(SpaceDHCP4, "g"); !ok || d.Code != 224 {
		t.Errorf("global definition no longer found by name: %+v", d)
	}
	if d, _ := global.LookupCode(SpaceDHCP4, 224); d.Name != "g" {
		t.Errorf("WithClass changed its receiver: %+v", d)
	}
	for _, bad := range []Def{
		{Name: "x", Code: 200, Space: SpaceDHCP4, Type: TypeUint8},
		{Name: "x", Code: 1, Space: "339", Type: TypeUint8},
	} {
		if _, err := global.WithClass(bad); !errors.Is(err, ErrClassDefNotAllowed) {
			t.Errorf("WithClass(%+v) = %v, want ErrClassDefNotAllowed", bad, err)
		}
	}
	if _, err := global.WithClass(Def{Name: "a", Code: 230, Space: SpaceDHCP4, Type: TypeUint8}, Def{Name: "b", Code: 230, Space: SpaceDHCP4, Type: TypeUint8}); !errors.Is(err, ErrDuplicateDef) {
		t.Errorf("duplicate class definitions: %v", err)
	}
}

func TestWithKea22(t *testing.T) {
	defs := []Def{
		{Name: "rfc3442-routes", Code: 121, Space: SpaceDHCP4, Type: TypeUint8, Array: true},
		{Name: "circuit-id", Code: 1, Space: SpaceAgent, Type: TypeString},
	}
	r, err := Standard().WithKea22(defs...)
	if err != nil {
		t.Fatalf("WithKea22 = %v", err)
	}
	if d, _ := r.LookupCode(SpaceDHCP4, 121); d.Name != "rfc3442-routes" {
		t.Errorf("121 = %+v", d)
	}
	if _, ok := r.LookupName(SpaceDHCP4, "classless-static-route"); ok {
		t.Error("replaced standard definition still found by name")
	}
	if d, _ := r.LookupCode(SpaceAgent, 1); d.Type != TypeString {
		t.Errorf("agent 1 = %+v", d)
	}
	if d, _ := r.LookupCode(SpaceAgent, 2); d.Name != "remote-id" {
		t.Errorf("other agent sub-options are kept: %+v", d)
	}
	// The 2.2-era routes option encodes as its definition says, not as
	// Kea's later dedicated notation.
	d, _ := r.LookupCode(SpaceDHCP4, 121)
	if b, err := d.Encode(nil, "24, 192, 168, 1, 192, 168, 1, 1", true); err != nil || len(b) != 8 {
		t.Errorf("Encode = % x, %v", b, err)
	}
	if _, err := Standard().WithKea22(Def{Name: "routers", Code: 3, Space: SpaceDHCP4, Type: TypeString}); !errors.Is(err, ErrRedefineStd) {
		t.Errorf("WithKea22 let a 2.2 standard option be redefined: %v", err)
	}
	if d, _ := Standard().LookupCode(SpaceDHCP4, 121); d.Name != "classless-static-route" {
		t.Error("WithKea22 changed the standard registry")
	}
}

func TestParseRecordTypes(t *testing.T) {
	got, err := ParseRecordTypes("ipv4-address, psid, tuple, fqdn, string")
	if err != nil || len(got) != 5 || got[1] != TypePSID || got[4] != TypeString {
		t.Errorf("ParseRecordTypes = %v, %v", got, err)
	}
	if got, err := ParseRecordTypes(""); err != nil || got != nil {
		t.Errorf("ParseRecordTypes(\"\") = %v, %v", got, err)
	}
	if _, err := ParseRecordTypes("uint8, uint64"); err == nil || !strings.Contains(err.Error(), `"uint64"`) {
		t.Errorf("ParseRecordTypes(bad) = %v", err)
	}
}

func TestStandardCopiesAreIndependent(t *testing.T) {
	a := Standard()
	d, _ := a.LookupName(SpaceDHCP4, "fqdn")
	d.RecordTypes[3] = TypeString // misuse: the documented contract forbids this
	if d2, _ := Standard().LookupName(SpaceDHCP4, "fqdn"); d2.RecordTypes[3] != TypeFQDN {
		t.Error("a change through one Standard registry is seen by another")
	}
}

func BenchmarkStandard(b *testing.B) {
	b.ReportAllocs()
	for b.Loop() {
		_ = Standard()
	}
}
