package optdef

import (
	"bytes"
	"strings"
	"testing"
)

func TestAppendName(t *testing.T) {
	tests := []struct {
		in       string
		downcase bool
		want     string
	}{
		{"example.com", false, "\x07example\x03com\x00"},
		{"example.com.", false, "\x07example\x03com\x00"},
		{"Example.COM", false, "\x07Example\x03COM\x00"},
		{"Example.COM", true, "\x07example\x03com\x00"},
		{".", false, "\x00"},
		{"@", false, "\x00"},
		{"a", false, "\x01a\x00"},
		{`a\.b.c`, false, "\x03a.b\x01c\x00"},
		{`a\032b`, false, "\x03a b\x00"},
		{`\065`, true, "\x01a\x00"},
		{`a\\b`, false, "\x03a\\b\x00"},
	}
	for _, tt := range tests {
		got, err := appendName(nil, tt.in, tt.downcase)
		if err != nil || string(got) != tt.want {
			t.Errorf("appendName(%q, %v) = %q, %v; want %q", tt.in, tt.downcase, got, err, tt.want)
		}
	}
	long63 := strings.Repeat("a", 63)
	if _, err := appendName(nil, long63+".b", false); err != nil {
		t.Errorf("63-byte label rejected: %v", err)
	}
	// 4 labels of 63 = 256 bytes + root: too long; 3*63+61 gives exactly 255.
	exact := strings.Join([]string{long63, long63, long63, strings.Repeat("b", 61)}, ".")
	if w, err := appendName(nil, exact, false); err != nil || len(w) != 255 {
		t.Errorf("255-byte name: len %d, %v", len(w), err)
	}
	bad := []string{"", "..", "a..b", ".a", long63 + "a.b", exact + "b", `a\`, `a\25`, `a\2x5`, `a\256`, `\[x`, strings.Repeat("a.", 128) + "a"}
	for _, in := range bad {
		if got, err := appendName([]byte{1}, in, false); err == nil || !bytes.Equal(got, []byte{1}) {
			t.Errorf("appendName(%q) = %q, %v; want error, dst untouched", in, got, err)
		}
	}
}

func TestReadName(t *testing.T) {
	// Second name is "www" followed by a pointer to offset 0.
	buf := []byte("\x07example\x03com\x00\x03www\xc0\x00")
	w, next, err := readName(nil, buf, 0, true, false)
	if err != nil || string(w) != "\x07example\x03com\x00" || next != 13 {
		t.Fatalf("first name: %q %d %v", w, next, err)
	}
	w, next, err = readName(nil, buf, next, true, false)
	if err != nil || string(w) != "\x03www\x07example\x03com\x00" || next != len(buf) {
		t.Fatalf("second name: %q %d %v", w, next, err)
	}
	if _, _, err := readName(nil, buf, 13, false, false); err == nil {
		t.Error("pointer accepted where not allowed")
	}
	if _, _, err := readName(nil, []byte("\xc0\x00"), 0, true, false); err == nil {
		t.Error("pointer to itself accepted")
	}
	if _, _, err := readName(nil, []byte("\x03www\xc0\x05\x01a\x00"), 0, true, false); err == nil {
		t.Error("forward pointer accepted")
	}
	w, _, err = readName(nil, []byte("\x03WwW\x00"), 0, false, true)
	if err != nil || string(w) != "\x03www\x00" {
		t.Errorf("downcase: %q %v", w, err)
	}
	for _, b := range []string{"", "\x03ww", "\x03www", "\x40aaaa", "\x80", "\xc0"} {
		if _, _, err := readName(nil, []byte(b), 0, true, false); err == nil {
			t.Errorf("readName(%q) succeeded", b)
		}
	}
}

func TestNameText(t *testing.T) {
	tests := map[string]string{
		"\x00":                   ".",
		"\x07example\x03com\x00": "example.com",
		"\x03a.b\x00":            `a\.b`,
		"\x03a b\x00":            `a\032b`,
		"\x02\"@\x00":            `\"\@`,
		"\x01\xff\x00":           `\255`,
	}
	for wire, want := range tests {
		if got := nameText([]byte(wire)); got != want {
			t.Errorf("nameText(%q) = %q, want %q", wire, got, want)
		}
		back, err := appendName(nil, want, false)
		if err != nil || string(back) != wire {
			t.Errorf("appendName(nameText(%q)) = %q, %v", wire, back, err)
		}
	}
}
