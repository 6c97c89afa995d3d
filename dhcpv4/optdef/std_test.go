package optdef

import (
	"os"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
)

// inventoryEntry is one option as the project's Kea inventory lists it.
type inventoryEntry struct {
	code   uint8
	name   string
	typ    string // "" when the inventory gives none
	array  bool
	fields []string
}

// parseInventory reads testdata/inventory-std-v4.txt, the standard
// option list of the project's Kea inventory (spec §1.9).
func parseInventory(t *testing.T) (v4 []inventoryEntry, agent []inventoryEntry) {
	t.Helper()
	raw, err := os.ReadFile("testdata/inventory-std-v4.txt")
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.SplitN(string(raw), "\n", 2)
	// Remarks in parentheses follow a blank; record field lists follow
	// "record" directly. "(all uint32)" types the entries before it.
	line := strings.ReplaceAll(lines[0], " (all uint32)", "!u32")
	line = regexp.MustCompile(` \([^()]*\)`).ReplaceAllString(line, "")
	entry := regexp.MustCompile(`^(\d+) ([a-z0-9-]+)(?::([a-z0-9-]+)(?:\(([a-z0-9, ]+)\))?)?(\[\])?$`)
	var pendingUntyped []int
	for _, part := range strings.Split(line, "; ") {
		part = strings.TrimSuffix(strings.TrimSpace(part), ".")
		allU32 := strings.HasSuffix(part, "!u32")
		part = strings.TrimSuffix(part, "!u32")
		m := entry.FindStringSubmatch(part)
		if m == nil {
			t.Fatalf("cannot parse inventory entry %q", part)
		}
		code, _ := strconv.Atoi(m[1])
		e := inventoryEntry{code: uint8(code), name: m[2], typ: m[3], array: m[5] != ""}
		if m[4] != "" {
			for _, f := range strings.Split(m[4], ",") {
				e.fields = append(e.fields, strings.TrimSpace(f))
			}
		}
		if e.typ == "" && !e.array {
			pendingUntyped = append(pendingUntyped, len(v4))
		}
		v4 = append(v4, e)
		if allU32 {
			for _, i := range pendingUntyped {
				v4[i].typ = "uint32"
			}
			pendingUntyped = nil
		}
	}
	if len(pendingUntyped) > 0 {
		t.Fatalf("inventory entries without a type: %v", pendingUntyped)
	}
	agentLine := lines[1]
	agentLine = agentLine[strings.Index(agentLine, ":")+1:]
	for _, part := range strings.Split(agentLine, ",") {
		part = strings.TrimSuffix(strings.TrimSpace(part), ".")
		var code int
		var name string
		f := strings.Fields(part)
		if len(f) != 2 {
			t.Fatalf("cannot parse agent entry %q", part)
		}
		code, _ = strconv.Atoi(f[0])
		name = f[1]
		agent = append(agent, inventoryEntry{code: uint8(code), name: name})
	}
	return v4, agent
}

var inventoryTypes = map[string]Type{
	"ipv4": TypeIPv4Address, "ipv6": TypeIPv6Address, "bool": TypeBoolean, "string": TypeString,
	"binary": TypeBinary, "fqdn": TypeFQDN, "tuple": TypeTuple, "psid": TypePSID,
	"int8": TypeInt8, "int16": TypeInt16, "int32": TypeInt32, "uint8": TypeUint8, "uint16": TypeUint16,
	"uint32": TypeUint32, "empty": TypeEmpty, "internal": TypeInternal, "record": TypeRecord,
}

func TestStandardMatchesInventory(t *testing.T) {
	v4, agent := parseInventory(t)
	r := Standard()
	if len(v4) != len(stdDHCP4)+1 { // +1: option 43, a fallback definition in Kea
		t.Errorf("inventory lists %d dhcp4 options, table has %d (+ option 43)", len(v4), len(stdDHCP4))
	}
	for _, e := range v4 {
		d, ok := r.LookupCode(SpaceDHCP4, e.code)
		if !ok {
			t.Errorf("option %d %s missing", e.code, e.name)
			continue
		}
		if d.Name != e.name {
			t.Errorf("option %d: name %q, inventory says %q", e.code, d.Name, e.name)
		}
		want := TypeIPv4Address // the inventory's unmarked arrays
		if e.typ != "" {
			want = inventoryTypes[e.typ]
		}
		if d.Type != want || d.Array != e.array {
			t.Errorf("option %d %s: type %s array %v, inventory says %s array %v", e.code, e.name, d.Type, d.Array, want, e.array)
		}
		var fields []Type
		for _, f := range e.fields {
			fields = append(fields, inventoryTypes[f])
		}
		if !slices.Equal(d.RecordTypes, fields) {
			t.Errorf("option %d %s: record %v, inventory says %v", e.code, e.name, d.RecordTypes, fields)
		}
	}
	if got := len(r.Defs(SpaceAgent)); got != len(agent) {
		t.Errorf("agent space has %d definitions, inventory lists %d", got, len(agent))
	}
	for _, e := range agent {
		if d, ok := r.LookupCode(SpaceAgent, e.code); !ok || d.Name != e.name {
			t.Errorf("agent sub-option %d: got %q %v, inventory says %q", e.code, d.Name, ok, e.name)
		}
	}
}

func TestStandardSpecifics(t *testing.T) {
	r := Standard()
	tests := []Def{
		{Name: "vendor-encapsulated-options", Code: 43, Space: SpaceDHCP4, Type: TypeEmpty, Encapsulate: SpaceVendorEncapsulated},
		{Name: "dhcp-agent-options", Code: 82, Space: SpaceDHCP4, Type: TypeEmpty, Encapsulate: SpaceAgent},
		{Name: "cablelabs-client-conf", Code: 122, Space: SpaceDHCP4, Type: TypeEmpty, Encapsulate: SpaceCableLabsClientConf},
		{Name: "fqdn", Code: 81, Space: SpaceDHCP4, Type: TypeRecord, RecordTypes: []Type{TypeUint8, TypeUint8, TypeUint8, TypeFQDN}},
		{Name: "vivso-suboptions", Code: 125, Space: SpaceDHCP4, Type: TypeUint32},
		{Name: "circuit-id", Code: 1, Space: SpaceAgent, Type: TypeBinary},
		{Name: "remote-id", Code: 2, Space: SpaceAgent, Type: TypeBinary},
		{Name: "link-selection", Code: 5, Space: SpaceAgent, Type: TypeIPv4Address},
		{Name: "subscriber-id", Code: 6, Space: SpaceAgent, Type: TypeString},
		{Name: "server-id-override", Code: 11, Space: SpaceAgent, Type: TypeIPv4Address},
		{Name: "relay-id", Code: 12, Space: SpaceAgent, Type: TypeBinary},
		{Name: "relay-port", Code: 19, Space: SpaceAgent, Type: TypeUint16},
		{Name: "virtual-subnet-select-ctrl", Code: 152, Space: SpaceAgent, Type: TypeEmpty},
		{Name: "oro", Code: 1, Space: SpaceDOCSIS, Type: TypeUint8, Array: true},
		{Name: "tftp-servers", Code: 2, Space: SpaceDOCSIS, Type: TypeIPv4Address, Array: true},
		{Name: "oro", Code: 1, Space: SpaceDOCSIS3, Type: TypeUint8, Array: true},
		{Name: "tsp-as-parameters", Code: 4, Space: SpaceCableLabsClientConf, Type: TypeRecord, RecordTypes: []Type{TypeUint32, TypeUint32, TypeUint32}},
		{Name: "kdc-server", Code: 10, Space: SpaceCableLabsClientConf, Type: TypeIPv4Address, Array: true},
	}
	for _, want := range tests {
		got, ok := r.LookupCode(want.Space, want.Code)
		if !ok || got.Name != want.Name || got.Type != want.Type || got.Array != want.Array ||
			got.Encapsulate != want.Encapsulate || got.Space != want.Space || !slices.Equal(got.RecordTypes, want.RecordTypes) {
			t.Errorf("LookupCode(%s, %d) = %+v, %v; want %+v", want.Space, want.Code, got, ok, want)
		}
		byName, ok := r.LookupName(want.Space, want.Name)
		if !ok || byName.Code != want.Code {
			t.Errorf("LookupName(%s, %s) = %+v, %v", want.Space, want.Name, byName, ok)
		}
	}
	for _, missing := range []struct {
		space string
		code  uint8
	}{{SpaceDHCP4, 0}, {SpaceDHCP4, 120}, {SpaceDHCP4, 255}, {SpaceDHCP4, 224}, {SpaceVendorEncapsulated, 1}, {"vendor-339", 2}, {"nope", 1}} {
		if d, ok := r.LookupCode(missing.space, missing.code); ok {
			t.Errorf("LookupCode(%s, %d) found %v", missing.space, missing.code, d.Name)
		}
	}
	if _, ok := r.LookupName(SpaceDHCP4, "sip-server"); ok {
		t.Error("Kea defines no sip-server option in dhcp4")
	}
}

func TestStandardDefinitionsValid(t *testing.T) {
	r := Standard()
	n := 0
	for _, s := range r.Spaces() {
		for _, d := range r.Defs(s) {
			n++
			if err := d.Validate(); err != nil {
				t.Errorf("%v", err)
			}
			if d.Space != s {
				t.Errorf("%s listed under space %s", d.String(), s)
			}
		}
	}
	want := len(stdDHCP4) + 1 + len(stdAgent) + len(stdCableLabs) + 2*len(stdDOCSIS)
	if n != want {
		t.Errorf("registry holds %d definitions, want %d", n, want)
	}
	wantSpaces := []string{SpaceCableLabsClientConf, SpaceAgent, SpaceDHCP4, SpaceDOCSIS3, SpaceDOCSIS}
	slices.Sort(wantSpaces)
	if got := r.Spaces(); !slices.Equal(got, wantSpaces) {
		t.Errorf("Spaces() = %v, want %v", got, wantSpaces)
	}
}

func TestTypeNames(t *testing.T) {
	for ty := TypeEmpty; ty < numTypes; ty++ {
		got, err := ParseType(ty.String())
		if err != nil || got != ty {
			t.Errorf("ParseType(%q) = %v, %v", ty.String(), got, err)
		}
	}
	for _, bad := range []string{"", "UINT8", "ipv4", "uint64", "bool", " uint8"} {
		if _, err := ParseType(bad); err == nil {
			t.Errorf("ParseType(%q) succeeded", bad)
		}
	}
	if s := Type(200).String(); s != "Type(200)" {
		t.Errorf("unknown type prints %q", s)
	}
}

func TestVendorSpace(t *testing.T) {
	if s := VendorSpace(4491); s != "vendor-4491" {
		t.Errorf("VendorSpace = %q", s)
	}
	good := map[string]uint32{"vendor-4491": 4491, "vendor-339": 339, "vendor-4294967295": 4294967295, "vendor-0339": 339}
	for s, want := range good {
		if got, ok := VendorID(s); !ok || got != want {
			t.Errorf("VendorID(%q) = %d, %v", s, got, ok)
		}
	}
	for _, s := range []string{"vendor-", "vendor-x", "vendor-4294967296", "vendor-0", "Vendor-1", "339", "vendor--1", "vendor-+1"} {
		if got, ok := VendorID(s); ok {
			t.Errorf("VendorID(%q) = %d, want not a vendor space", s, got)
		}
	}
}

func TestCheckCode(t *testing.T) {
	for _, c := range []int64{0, 1, 255} {
		if got, err := CheckCode(c); err != nil || int64(got) != c {
			t.Errorf("CheckCode(%d) = %d, %v", c, got, err)
		}
	}
	for _, c := range []int64{-1, 256, 1 << 40} {
		if _, err := CheckCode(c); err == nil {
			t.Errorf("CheckCode(%d) succeeded", c)
		}
	}
}
