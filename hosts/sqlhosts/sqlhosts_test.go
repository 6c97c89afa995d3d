package sqlhosts

import (
	"slices"
	"strings"
	"testing"
)

func TestOptionClasses(t *testing.T) {
	for _, tc := range []struct {
		text string
		want []string
		err  bool
	}{
		{"", nil, false},
		{"[  ]", nil, false},
		{`[ "lab" ]`, []string{"lab"}, false},
		{`[ "lab", "night shift" ]`, []string{"lab", "night shift"}, false},
		{"lab", nil, true},
		{`[ "" ]`, nil, true},
		{`[ 1 ]`, nil, true},
		{`{"a": 1}`, nil, true},
	} {
		got, err := OptionClasses(tc.text)
		if (err != nil) != tc.err || !slices.Equal(got, tc.want) {
			t.Errorf("OptionClasses(%q) = %q, %v", tc.text, got, err)
		}
		if err != nil && !strings.Contains(err.Error(), "client_classes") {
			t.Errorf("OptionClasses(%q): error %q does not name the column", tc.text, err)
		}
	}
	if got := OptionClassesText(nil); got != "[  ]" {
		t.Errorf("no classes written as %q, want Kea's [  ]", got)
	}
	if got := OptionClassesText([]string{"lab", `a"b`}); got != `[ "lab", "a\"b" ]` {
		t.Errorf("written as %q", got)
	}
}

// FuzzOptionClasses: whatever the column holds, OptionClasses returns
// classes or an error, and classes it returns are written so that they
// read back the same.
func FuzzOptionClasses(f *testing.F) {
	for _, s := range []string{"", "[  ]", `[ "lab" ]`, `[ "a", "b" ]`, "lab", `[ "" ]`, `[ 1 ]`, `["\u00e9"]`, "[", "null"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, text string) {
		classes, err := OptionClasses(text)
		if err != nil {
			return
		}
		again, err := OptionClasses(OptionClassesText(classes))
		if err != nil || !slices.Equal(again, classes) {
			t.Fatalf("%q read as %q, written as %q, read back as %q, %v", text, classes, OptionClassesText(classes), again, err)
		}
	})
}
