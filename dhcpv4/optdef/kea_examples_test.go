package optdef

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/leased/leased/internal/keaexamples"
)

// stripComments removes the #, // and /* */ comments Kea allows in its
// JSON files, leaving strings alone.
func stripComments(in []byte) []byte {
	var out []byte
	for i := 0; i < len(in); i++ {
		c := in[i]
		switch {
		case c == '"':
			j := i + 1
			for ; j < len(in) && in[j] != '"'; j++ {
				if in[j] == '\\' {
					j++
				}
			}
			out = append(out, in[i:j+1]...)
			i = j
		case c == '#' || c == '/' && i+1 < len(in) && in[i+1] == '/':
			for i < len(in) && in[i] != '\n' {
				i++
			}
			out = append(out, '\n')
		case c == '/' && i+1 < len(in) && in[i+1] == '*':
			end := strings.Index(string(in[i+2:]), "*/")
			if end < 0 {
				return out
			}
			i += end + 3
		default:
			out = append(out, c)
		}
	}
	return out
}

type keaOptionData struct {
	Name      *string `json:"name"`
	Code      *int64  `json:"code"`
	Space     *string `json:"space"`
	Data      *string `json:"data"`
	CSVFormat *bool   `json:"csv-format"`
}

type keaOptionDef struct {
	Name        string `json:"name"`
	Code        int64  `json:"code"`
	Type        string `json:"type"`
	Space       string `json:"space"`
	Array       bool   `json:"array"`
	RecordTypes string `json:"record-types"`
	Encapsulate string `json:"encapsulate"`
}

func toDefs(t *testing.T, raw json.RawMessage) []Def {
	var in []keaOptionDef
	if len(raw) == 0 {
		return nil
	}
	if err := json.Unmarshal(raw, &in); err != nil {
		t.Fatalf("option-def: %v", err)
	}
	var out []Def
	for _, k := range in {
		ty, err := ParseType(k.Type)
		if err != nil {
			t.Fatalf("option-def %s: %v", k.Name, err)
		}
		recs, err := ParseRecordTypes(k.RecordTypes)
		if err != nil {
			t.Fatalf("option-def %s: %v", k.Name, err)
		}
		code, err := CheckCode(k.Code)
		if err != nil {
			t.Fatalf("option-def %s: %v", k.Name, err)
		}
		space := k.Space
		if space == "" {
			space = SpaceDHCP4
		}
		out = append(out, Def{Name: k.Name, Code: code, Space: space, Type: ty, Array: k.Array, RecordTypes: recs, Encapsulate: k.Encapsulate})
	}
	return out
}

var leadingDot = regexp.MustCompile(`([:\[,]\s*)\.([0-9])`)

// encodeOptionData encodes one option-data entry as Kea's parser would.
func encodeOptionData(r *Registry, o keaOptionData) ([]byte, error) {
	space := SpaceDHCP4
	if o.Space != nil {
		space = *o.Space
	}
	var d Def
	var ok bool
	if o.Code != nil {
		code, err := CheckCode(*o.Code)
		if err != nil {
			return nil, err
		}
		d, ok = r.LookupCode(space, code)
	} else if o.Name != nil {
		d, ok = r.LookupName(space, *o.Name)
	}
	data := ""
	if o.Data != nil {
		data = *o.Data
	}
	csv := o.CSVFormat == nil || *o.CSVFormat
	if !ok {
		if o.Code == nil || (o.CSVFormat != nil && *o.CSVFormat) {
			return nil, fmt.Errorf("no definition for option %v in space %s", o.Name, space)
		}
		return appendRawData(nil, data)
	}
	if o.Name != nil && *o.Name != d.Name {
		return nil, fmt.Errorf("option name %s does not match definition %s", *o.Name, d.String())
	}
	return d.Encode(nil, data, csv)
}

// walk visits every object of a decoded configuration.
func walk(v any, visit func(map[string]any)) {
	switch x := v.(type) {
	case map[string]any:
		visit(x)
		for _, c := range x {
			walk(c, visit)
		}
	case []any:
		for _, c := range x {
			walk(c, visit)
		}
	}
}

// TestKeaExamples encodes every option-data entry of every example
// configuration of Kea 2.2 that Debian's kea-doc installs: all of them
// load in Kea, so all must encode here.
func TestKeaExamples(t *testing.T) {
	files := keaexamples.Configs(t)
	if len(files) == 0 {
		t.Fatalf("no example configurations in %s", keaexamples.Dir(t))
	}
	total := 0
	for _, file := range files {
		raw, err := os.ReadFile(file)
		if err != nil {
			t.Fatal(err)
		}
		// Kea also accepts numbers written like ".5".
		raw = leadingDot.ReplaceAll(stripComments(raw), []byte("${1}0.$2"))
		var top map[string]map[string]json.RawMessage
		if err := json.Unmarshal(raw, &top); err != nil {
			t.Errorf("%s: %v", filepath.Base(file), err)
			continue
		}
		dhcp4, ok := top["Dhcp4"]
		if !ok {
			continue
		}
		global, err := Standard().WithKea22(toDefs(t, dhcp4["option-def"])...)
		if err != nil {
			t.Errorf("%s: %v", filepath.Base(file), err)
			continue
		}
		var tree any
		_ = json.Unmarshal(raw, &tree)
		walk(tree, func(m map[string]any) {
			od, ok := m["option-data"]
			if !ok {
				return
			}
			r := global
			if defs, ok := m["option-def"]; ok && m["name"] != nil && m["subnet"] == nil {
				b, _ := json.Marshal(defs)
				if r, err = global.WithClass(toDefs(t, b)...); err != nil {
					t.Errorf("%s: class %v: %v", filepath.Base(file), m["name"], err)
					return
				}
			}
			b, _ := json.Marshal(od)
			var list []keaOptionData
			if err := json.Unmarshal(b, &list); err != nil {
				t.Errorf("%s: %v", filepath.Base(file), err)
				return
			}
			for _, o := range list {
				total++
				if _, err := encodeOptionData(r, o); err != nil {
					t.Errorf("%s: %v", filepath.Base(file), err)
				}
			}
		})
	}
	t.Logf("encoded %d option-data entries from %d files", total, len(files))
	if total < 100 {
		t.Errorf("only %d option-data entries found; the examples hold more", total)
	}
}

// TestKeaAllOptionsBytes checks the payloads of the entries of
// all-options.json that Kea's text rules make least obvious.
func TestKeaAllOptionsBytes(t *testing.T) {
	r, err := Standard().With(
		Def{Name: "my-lengthy-option", Code: 224, Space: "my-fancy-space", Type: TypeRecord, RecordTypes: []Type{TypeIPv4Address, TypePSID, TypeTuple, TypeFQDN, TypeString}},
		Def{Name: "my-fancy-option", Code: 254, Space: "my-fancy-space", Type: TypeRecord, Array: true, RecordTypes: []Type{TypeInt8, TypeInt16, TypeInt32, TypeUint8, TypeUint16, TypeUint32, TypeIPv4Address, TypePSID, TypeTuple, TypeFQDN}},
		Def{Name: "my-encapsulating-option", Code: 232, Space: "my-encapsulating-space", Type: TypeEmpty, Encapsulate: "my-fancy-space"},
	)
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		space, name, data string
		want              string
	}{
		{"my-fancy-space", "my-fancy-option", "127, 32767, 2147483647, 255, 65535, 4294967295, 192.0.2.75, 3/4, 1, example.org, string",
			"7f" + "7fff" + "7fffffff" + "ff" + "ffff" + "ffffffff" + "c000024b" + "043000" + "0131" + "076578616d706c65036f726700" + "06737472696e6700"}, // the last field, fqdn, repeats
		{"my-encapsulating-space", "my-encapsulating-option", "", ""},
		{"docsis3-v4", "oro", "32, 42", "202a"},
		{"docsis3-v4", "tftp-servers", "192.0.2.76, 192.0.2.77", "c000024cc000024d"},
		{SpaceDHCP4, "netbios-node-type", "0x1", "01"},
		{SpaceDHCP4, "default-ip-ttl", "0xf0", "f0"},
		{SpaceDHCP4, "boot-file-name", `EST5EDT4\,M3.2.0/02:00\,M11.1.0/02:00`, "455354354544543" + "42c4d332e322e302f30323a30302c4d31312e312e302f30323a3030"},
	}
	for _, tt := range tests {
		d, ok := r.LookupName(tt.space, tt.name)
		if !ok {
			t.Fatalf("no %s.%s", tt.space, tt.name)
		}
		got, err := d.Encode(nil, tt.data, true)
		if err != nil {
			t.Errorf("%s: %v", tt.name, err)
			continue
		}
		if FormatHex(got) != strings.ToUpper(tt.want) {
			t.Errorf("%s: got %s want %s", tt.name, FormatHex(got), strings.ToUpper(tt.want))
		}
	}
}
