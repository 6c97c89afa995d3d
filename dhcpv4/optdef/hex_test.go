package optdef

import (
	"bytes"
	"testing"
)

// TestParseHex walks the grammar of HexSyntax: HexKea as Kea reads it,
// then each flag against the same text without it.
func TestParseHex(t *testing.T) {
	const bad = "error"
	for _, c := range []struct {
		in   string
		syn  HexSyntax
		want string // the bytes in Go's %x, or bad
	}{
		// Kea's formatted hexadecimal.
		{"", HexKea, ""},
		{"01:02:0a", HexKea, "01020a"},
		{"1:a:FF", HexKea, "010aff"},
		{"01 02 0a", HexKea, "01020a"},
		{"01020a", HexKea, "01020a"},
		{"0x01020A", HexKea, "01020a"},
		{"123", HexKea, "0123"},
		{"0x1", HexKea, "01"},
		{"0a\t0b", HexKea, bad}, // odd length: padded to "00a\t0b", 5 digits
		{"0a\t\t0b", HexKea, "0a0b"},
		{"0x", HexKea, bad},
		{"0X01", HexKea, bad},
		{"01::02", HexKea, bad},
		{":01", HexKea, bad},
		{"01:", HexKea, bad},
		{"001:02", HexKea, bad},
		{"01:02 03", HexKea, bad},
		{"01-02", HexKea, bad},
		{"0x01:02", HexKea, bad},
		{"0g", HexKea, bad},
		{"0a==", HexKea, bad},
		// Runs only, without separators.
		{"01:02", 0, bad},
		{"0102", 0, "0102"},
		// One flag at a time.
		{"01-02", HexDash, "0102"},
		{"01-02", HexColon, bad},
		{"01:02-03", HexColon | HexDash, bad},
		{"01:02-03", HexColon | HexDash | HexMixed, "010203"},
		{"01::02", HexColon | HexMixed, "0102"},
		{":", HexColon | HexMixed, ""},
		{" 01:02 ", HexColon, bad},
		{" 01:02 ", HexColon | HexTrim, "0102"},
		{"0X0102", HexUpperPrefix, "0102"},
		{"0x01:02", HexColon | HexPrefixSeparated, "0102"},
		{"0x0x01", HexPrefixSeparated, bad},
		{"0x", 0, bad},
		{"0x", HexBarePrefix, ""},
		{"123", HexEvenRun, bad},
		{"0x123", HexEvenRun, bad},
		{"0a\t\t0b", HexStrictRun, bad},
		{"", HexNoEmpty, bad},
		{" ", HexTrim | HexNoEmpty, bad},
		{":", HexColon | HexMixed | HexNoEmpty, ""},
	} {
		got, err := ParseHex(c.in, c.syn)
		switch {
		case c.want == bad && err == nil:
			t.Errorf("ParseHex(%q, %#x) = %x, want an error", c.in, c.syn, got)
		case c.want != bad && err != nil:
			t.Errorf("ParseHex(%q, %#x): %v", c.in, c.syn, err)
		case c.want != bad && bytesHex(got) != c.want:
			t.Errorf("ParseHex(%q, %#x) = %x, want %s", c.in, c.syn, got, c.want)
		}
	}
}

func bytesHex(b []byte) string {
	const digits = "0123456789abcdef"
	out := make([]byte, 0, 2*len(b))
	for _, c := range b {
		out = append(out, digits[c>>4], digits[c&15])
	}
	return string(out)
}

// TestAppendHexKeepsDst checks that a failure leaves dst as it was, also
// when some octets were decoded before the bad one.
func TestAppendHexKeepsDst(t *testing.T) {
	for _, in := range []string{"01:02:zz", "0102zz", "01:02:", "010"} {
		got, err := AppendHex([]byte{9}, in, HexKea|HexEvenRun)
		if err == nil || !bytes.Equal(got, []byte{9}) {
			t.Errorf("AppendHex(%q) = % x, %v; want an error and dst untouched", in, got, err)
		}
	}
	got, err := AppendHex([]byte{9}, "0a:0b", HexKea)
	if err != nil || !bytes.Equal(got, []byte{9, 10, 11}) {
		t.Errorf("AppendHex(9, 0a:0b) = % x, %v; want 09 0a 0b", got, err)
	}
}
