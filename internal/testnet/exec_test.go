//go:build linux

package testnet

import (
	"strings"
	"testing"
)

func TestIndentOutput(t *testing.T) {
	for in, want := range map[string]string{
		"":             " (no output)",
		"\n\n":         " (no output)",
		"one\n":        "\n\t| one",
		"one\ntwo\n\n": "\n\t| one\n\t| two",
		"one\n\nthree": "\n\t| one\n\t| \n\t| three",
	} {
		if got := IndentOutput(in); got != want {
			t.Errorf("IndentOutput(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestTail(t *testing.T) {
	log := strings.Repeat("0123456789\n", 10) // 110 bytes
	tests := []struct {
		s    string
		n    int
		want string
	}{
		{log, 110, log},
		{log, 200, log},
		{log, 25, "[...]\n0123456789\n0123456789\n"},
		{log, 23, "[...]\n0123456789\n0123456789\n"},
		{log, 22, "[...]\n0123456789\n"}, // the cut lands on a line start, which it cannot tell
		{log, 21, "[...]\n0123456789\n"},
		{"no newline at all", 4, "[...]\n all"},
	}
	for _, tt := range tests {
		if got := Tail(tt.s, tt.n); got != tt.want {
			t.Errorf("Tail(%d bytes, %d) = %q, want %q", len(tt.s), tt.n, got, tt.want)
		}
	}
}
