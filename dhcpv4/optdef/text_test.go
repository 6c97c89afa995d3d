package optdef

import (
	"bytes"
	"slices"
	"testing"
)

func TestTokens(t *testing.T) {
	tests := []struct {
		in   string
		want []string
	}{
		{"", nil},
		{"a", []string{"a"}},
		{"a,b", []string{"a", "b"}},
		{"a, b", []string{"a", " b"}},
		{"a,,b", []string{"a", "b"}},
		{",a,", []string{"a"}},
		{" , ", []string{" ", " "}},
		{`a\,b`, []string{"a,b"}},
		{`a\\b`, []string{`a\b`}},
		{`a\b`, []string{`a\b`}},
		{`a\`, []string{`a\`}},
		{`\,`, []string{","}},
		{`EST5EDT4\,M3.2.0/02:00\,M11.1.0/02:00`, []string{"EST5EDT4,M3.2.0/02:00,M11.1.0/02:00"}},
	}
	for _, tt := range tests {
		if got := splitCSV(tt.in); !slices.Equal(got, tt.want) {
			t.Errorf("splitCSV(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
	if got := tokens("a-b--c", "-", false); !slices.Equal(got, []string{"a", "b", "c"}) {
		t.Errorf("tokens without escape = %q", got)
	}
	if got := tokens(`a\-b`, "-", false); !slices.Equal(got, []string{`a\`, "b"}) {
		t.Errorf("tokens without escape keeps backslash as a plain byte: %q", got)
	}
}

func TestEscapeCSVRoundTrip(t *testing.T) {
	for _, s := range []string{"", "plain", "a,b", `a\b`, `\,\\,`, `end\`} {
		got := splitCSV(escapeCSV(s))
		if s == "" {
			if len(got) != 0 {
				t.Errorf("escape of empty string splits to %q", got)
			}
			continue
		}
		if len(got) != 1 || got[0] != s {
			t.Errorf("splitCSV(escapeCSV(%q)) = %q", s, got)
		}
	}
}

func TestParseInt(t *testing.T) {
	good := map[string]int64{
		"0": 0, "10": 10, "-25200": -25200, "+5": 5, "007": 7,
		"0x1f": 31, "0X1F": 31, "1e": 30, "ff": 255, "FF": 255, "-0x10": -16, "+0x10": 16,
		"9223372036854775807": 1<<63 - 1, "-9223372036854775808": -1 << 63,
	}
	for in, want := range good {
		if got, ok := parseInt(in); !ok || got != want {
			t.Errorf("parseInt(%q) = %d, %v; want %d", in, got, ok, want)
		}
	}
	for _, in := range []string{"", "-", "+", "0x", "1.5", "12g", " 1", "1 ", "99999999999999999999", "0x8000000000000000", "true"} {
		if v, ok := parseInt(in); ok {
			t.Errorf("parseInt(%q) = %d, want failure", in, v)
		}
	}
}

func TestParseBool(t *testing.T) {
	good := map[string]bool{"true": true, "TRUE": true, "True": true, "false": false, "FaLsE": false, "1": true, "0": false, "+1": true, "-0": false, "01": true}
	for in, want := range good {
		if got, ok := parseBool(in); !ok || got != want {
			t.Errorf("parseBool(%q) = %v, %v; want %v", in, got, ok, want)
		}
	}
	for _, in := range []string{"", "2", "-1", "yes", "on", "0x1", "t"} {
		if _, ok := parseBool(in); ok {
			t.Errorf("parseBool(%q) succeeded, want failure", in)
		}
	}
}

func TestAppendHexLoose(t *testing.T) {
	good := map[string][]byte{
		"":                  {},
		"0a":                {0x0a},
		"1A BB AD":          {0x1a, 0xbb, 0xad},
		"1ABBAD":            {0x1a, 0xbb, 0xad},
		" 1 A\tB\nB ":       {0x1a, 0xbb},
		"0f BA AD AB BA D0": {0x0f, 0xba, 0xad, 0xab, 0xba, 0xd0},
	}
	for in, want := range good {
		got, err := appendHexLoose(nil, in)
		if err != nil || !bytes.Equal(got, want) {
			t.Errorf("appendHexLoose(%q) = % x, %v; want % x", in, got, err, want)
		}
	}
	for _, in := range []string{"1", "abc", "0x12", "zz", "12=", "1:2"} {
		if got, err := appendHexLoose([]byte{9}, in); err == nil || !bytes.Equal(got, []byte{9}) {
			t.Errorf("appendHexLoose(%q) = % x, %v; want error and dst untouched", in, got, err)
		}
	}
}

func TestAppendRawData(t *testing.T) {
	good := map[string][]byte{
		"":                  {},
		"ffff8000":          {0xff, 0xff, 0x80, 0x00},
		"0xffff8000":        {0xff, 0xff, 0x80, 0x00},
		"abc":               {0x0a, 0xbc},
		"0xabc":             {0x0a, 0xbc},
		"0a:b:CC":           {0x0a, 0x0b, 0xcc},
		"1A BB AD":          {0x1a, 0xbb, 0xad},
		"'hello world'":     []byte("hello world"),
		"  ' padded '  ":    []byte("padded"),
		"01:04:c0:a8:01:01": {1, 4, 0xc0, 0xa8, 1, 1},
		"0a0b0C0D":          {0x0a, 0x0b, 0x0c, 0x0d},
		"0A:0B:0C:0D":       {0x0a, 0x0b, 0x0c, 0x0d},
		"0A 0B 0C 0D":       {0x0a, 0x0b, 0x0c, 0x0d},
		"A0B0C0D":           {0x0a, 0x0b, 0x0c, 0x0d},
		"0xA0B0C0D":         {0x0a, 0x0b, 0x0c, 0x0d},
		"0":                 {0},
		"1":                 {1},
	}
	for in, want := range good {
		got, err := appendRawData(nil, in)
		if err != nil || !bytes.Equal(got, want) {
			t.Errorf("appendRawData(%q) = % x, %v; want % x", in, got, err, want)
		}
	}
	for _, in := range []string{"01020R", "0x01:02", "0x01 02", "0X0102", "01.02", "0x", "xyz", "0a::cc", "abc:", "1A  BB", " ab", "123:4", "''", "'", "12 345"} {
		if got, err := appendRawData(nil, in); err == nil {
			t.Errorf("appendRawData(%q) = % x, want error", in, got)
		}
	}
}

func TestFormatHex(t *testing.T) {
	if got := FormatHex([]byte{0x0a, 0xbc, 0xff, 0x00}); got != "0ABCFF00" {
		t.Errorf("FormatHex = %q", got)
	}
	if got := FormatHex(nil); got != "" {
		t.Errorf("FormatHex(nil) = %q", got)
	}
}
