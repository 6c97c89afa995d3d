package optdef

import (
	"bytes"
	"fmt"
	"net/netip"
	"reflect"
	"slices"
	"strings"
	"testing"
)

// decodedText renders a value Decode returned for d as Kea's csv text, so
// that Encode can say whether Decode read every field right.
func decodedText(d Def, v any) string {
	switch x := v.(type) {
	case []byte:
		if d.Type == TypeBinary {
			return FormatHex(x)
		}
	case string:
		if d.Type == TypeInternal {
			return x // already Kea's text
		}
	case []any:
		// A record: its binary fields are hexadecimal, its uint8 fields
		// numbers, though both are []byte in Go.
		parts := make([]string, len(x))
		for i, e := range x {
			ft := d.RecordTypes[min(i, len(d.RecordTypes)-1)]
			parts[i] = decodedText(Def{Type: ft}, e)
		}
		return strings.Join(parts, ", ")
	}
	return valueText(v)
}

func valueText(v any) string {
	switch x := v.(type) {
	case nil:
		return ""
	case []byte:
		parts := make([]string, len(x))
		for i, b := range x {
			parts[i] = fmt.Sprint(b)
		}
		return strings.Join(parts, ", ")
	case string:
		return escapeCSV(x)
	case PSID:
		return fmt.Sprintf("%d/%d", x.Value, x.Len)
	case []any:
		parts := make([]string, len(x))
		for i, e := range x {
			parts[i] = valueText(e)
		}
		return strings.Join(parts, ", ")
	}
	rv := reflect.ValueOf(v)
	if rv.Kind() == reflect.Slice {
		parts := make([]string, rv.Len())
		for i := range parts {
			parts[i] = valueText(rv.Index(i).Interface())
		}
		return strings.Join(parts, ", ")
	}
	return fmt.Sprint(v)
}

// TestDecodeStandard decodes the sample payload of every standard option
// and encodes the values again: the payload must come back unchanged.
func TestDecodeStandard(t *testing.T) {
	r := Standard()
	n := 0
	for _, s := range r.Spaces() {
		for _, d := range r.Defs(s) {
			key := d.Space + "." + d.Name
			data, ok := samples[key]
			if !ok {
				continue // TestRoundTripStandard reports it
			}
			payload, err := d.Encode(nil, data, true)
			if err != nil {
				continue // likewise
			}
			v, err := d.Decode(payload)
			if err != nil {
				t.Errorf("%s: Decode(% x): %v", key, payload, err)
				continue
			}
			text := decodedText(d, v)
			back, err := d.Encode(nil, text, true)
			if err != nil || !bytes.Equal(back, payload) {
				t.Errorf("%s: % x decoded as %#v, whose text %q encodes to % x (%v)", key, payload, v, text, back, err)
			}
			n++
		}
	}
	if n < 100 {
		t.Fatalf("only %d standard options decoded", n)
	}
}

func TestDecodeTypes(t *testing.T) {
	r := Standard()
	for _, c := range []struct {
		name, data string
		want       any
	}{
		{"routers", "192.0.2.1, 192.0.2.2", []netip.Addr{netip.MustParseAddr("192.0.2.1"), netip.MustParseAddr("192.0.2.2")}},
		{"subnet-mask", "255.255.255.0", netip.MustParseAddr("255.255.255.0")},
		{"dhcp-lease-time", "3600", uint32(3600)},
		{"interface-mtu", "1400", uint16(1400)},
		{"time-offset", "-25200", int32(-25200)},
		{"ip-forwarding", "true", true},
		{"host-name", "client-7", "client-7"},
		{"domain-search", "example.org, example.net", []string{"example.org", "example.net"}},
		{"path-mtu-plateau-table", "3072, 4096", []uint16{3072, 4096}},
		{"classless-static-route", "10.0.0.0/8 - 192.0.2.1", "10.0.0.0/8 - 192.0.2.1"},
		{"fqdn", "1, 0, 0, host.example.org", []any{uint8(1), uint8(0), uint8(0), "host.example.org"}},
	} {
		d, ok := r.LookupName(SpaceDHCP4, c.name)
		if !ok {
			t.Fatalf("no standard option %q", c.name)
		}
		payload, err := d.Encode(nil, c.data, true)
		if err != nil {
			t.Fatalf("%s: Encode: %v", c.name, err)
		}
		got, err := d.Decode(payload)
		if err != nil || !reflect.DeepEqual(got, c.want) {
			t.Errorf("%s: Decode = %#v, %v; want %#v", c.name, got, err, c.want)
		}
	}
}

func TestDecodeDoesNotAlias(t *testing.T) {
	d := Def{Name: "blob", Code: 200, Space: SpaceDHCP4, Type: TypeBinary}
	payload := []byte{1, 2, 3}
	v, err := d.Decode(payload)
	if err != nil {
		t.Fatal(err)
	}
	payload[0] = 9
	if got := v.([]byte); !slices.Equal(got, []byte{1, 2, 3}) {
		t.Errorf("decoded value changed with the payload: % x", got)
	}
}

func TestDecodeMalformed(t *testing.T) {
	r := Standard()
	for _, c := range []struct {
		name    string
		payload []byte
	}{
		{"subnet-mask", []byte{255, 255, 0}},
		{"routers", []byte{192, 0, 2, 1, 192}},
		{"dhcp-lease-time", []byte{0, 0, 1}},
		{"ip-forwarding", []byte{2}},
	} {
		d, _ := r.LookupName(SpaceDHCP4, c.name)
		if v, err := d.Decode(c.payload); err == nil {
			t.Errorf("%s: Decode(% x) = %#v, want an error", c.name, c.payload, v)
		} else if !strings.Contains(err.Error(), c.name) {
			t.Errorf("%s: error %q does not name the option", c.name, err)
		}
	}
}

func FuzzDecode(f *testing.F) {
	r := Standard()
	for _, name := range []string{"routers", "fqdn", "classless-static-route", "domain-search"} {
		d, _ := r.LookupName(SpaceDHCP4, name)
		if p, err := d.Encode(nil, samples["dhcp4."+name], true); err == nil {
			f.Add(d.Code, p)
		}
	}
	f.Fuzz(func(t *testing.T, code uint8, payload []byte) {
		d, ok := r.LookupCode(SpaceDHCP4, code)
		if !ok {
			return
		}
		v, err := d.Decode(payload)
		if err != nil {
			return
		}
		// What decodes must encode back to what was sent, wherever Kea's
		// text can express the payload at all.
		if _, ferr := d.Format(payload); ferr != nil {
			return
		}
		value, _, _ := d.SplitSuboptions(payload)
		want, _ := d.Compose(nil, value, nil)
		back, err := d.Encode(nil, decodedText(d, v), true)
		if err != nil || !bytes.Equal(back, want) {
			t.Errorf("%s: % x decoded as %#v; its text encodes to % x (%v)", d.Name, payload, v, back, err)
		}
	})
}
