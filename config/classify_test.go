package config

import (
	"strconv"
	"strings"
	"testing"

	"github.com/leased/leased/classify"
	"github.com/leased/leased/dhcpv4"
)

// TestClassExpressionsCompiled checks that Load compiles class tests with
// Kea's expression language: a syntax error points at its column in the
// file, and a valid list yields a classifier that evaluates packets.
func TestClassExpressionsCompiled(t *testing.T) {
	src := `{"Dhcp4": {"client-classes": [{"name": "a", "test": "option[60].text == 'x' and"}]}}`
	_, diags, err := Parse("t.json", []byte(src), nil)
	if err == nil {
		t.Fatal("a truncated expression loaded")
	}
	col := strings.Index(src, `"option[60]`) + 1 // 1-based column of the quote
	want := "t.json:1:" + strconv.Itoa(col+len("option[60].text == 'x' and")+1)
	if !strings.Contains(joinDiags(diags), want) {
		t.Errorf("diagnostic not at %s:\n%s", want, joinDiags(diags))
	}

	c, diags, err := Parse("t.json", []byte(`{"Dhcp4": {"client-classes": [
		{"name": "pxe", "test": "substring(option[vendor-class-identifier].text, 0, 9) == 'PXEClient'"},
		{"name": "known-pxe", "test": "member('pxe') and member('KNOWN')"}]}}`), nil)
	if err != nil {
		t.Fatalf("%v\n%s", err, joinDiags(diags))
	}
	if c.Classifier == nil || c.Classifier.Len() != 2 || !c.Classifier.DependsOnKnown(1) {
		t.Fatalf("classifier %+v", c.Classifier)
	}
	var b dhcpv4.Builder
	b.Begin(make([]byte, 600), dhcpv4.BootRequest, dhcpv4.Discover, 1)
	b.AddString(dhcpv4.OptionVendorClass, "PXEClient:Arch:00000")
	raw, err := b.Finish()
	if err != nil {
		t.Fatal(err)
	}
	p, err := dhcpv4.Parse(raw)
	if err != nil {
		t.Fatal(err)
	}
	e := c.Classifier.NewEval()
	e.Begin(p, classify.Meta{})
	e.Classify()
	e.SetKnown(true)
	if !e.Classes().Has("pxe") || !e.Classes().Has("known-pxe") {
		t.Errorf("classes %s", e.Classes())
	}
}

// TestBuiltinClassRules follows Kea: a built-in class may be defined to
// carry options but not with a test; DROP is not built in (a test may name
// it only once defined); template tests may name classes defined later.
func TestBuiltinClassRules(t *testing.T) {
	cases := []struct {
		name, classes, wantErr string
	}{
		{"KNOWN with options", `{"name": "KNOWN", "option-data": [{"name": "domain-name", "data": "known.example"}]}`, ""},
		{"KNOWN with a test", `{"name": "KNOWN", "test": "option[60].exists"}`, "built in"},
		{"member DROP undefined", `{"name": "a", "test": "member('DROP')"}`, "DROP"},
		{"member DROP defined", `{"name": "DROP", "test": "option[60].text == 'bad'"}, {"name": "a", "test": "member('DROP')"}`, ""},
		{"template names a later class", `{"name": "t", "template-test": "ifelse(member('later'), 'x', '')"}, {"name": "later", "test": "option[60].exists"}`, ""},
		{"test names a later class", `{"name": "t", "test": "member('later')"}, {"name": "later", "test": "option[60].exists"}`, "defined later"},
	}
	for _, c := range cases {
		_, diags, err := Parse("t.json", []byte(`{"Dhcp4": {"client-classes": [`+c.classes+`]}}`), nil)
		got := joinDiags(diags)
		switch {
		case c.wantErr == "" && err != nil:
			t.Errorf("%s: rejected: %s", c.name, got)
		case c.wantErr != "" && (err == nil || !strings.Contains(got, c.wantErr)):
			t.Errorf("%s: want an error about %q, got %v\n%s", c.name, c.wantErr, err, got)
		}
	}
}
