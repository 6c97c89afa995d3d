package classify

import (
	"errors"
	"strings"
	"testing"

	"github.com/leased/leased/dhcpv4"
)

func classNames(e *Eval) string { return e.Classes().String() }

func mustNew(t *testing.T, defs []ClassDef, cfg *Config) *Classifier {
	t.Helper()
	c, err := New(defs, cfg)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func TestClassifyOrder(t *testing.T) {
	defs := []ClassDef{
		{Name: "docsis", Test: "substring(option[60].hex, 0, 6) == 'docsis'"},
		{Name: "not-docsis", Test: "not member('docsis')"},
		{Name: "known-only", Test: "member('KNOWN')"},
		{Name: "known-indirect", Test: "member('known-only') or member('docsis')"},
		{Name: "unknown-and-docsis", Test: "member('UNKNOWN') and member('docsis')"},
		{Name: "vendor-tested", Test: "member('VENDOR_CLASS_docsis3.0')"},
		{Name: "extra", Test: "option[61].exists", OnlyInAdditional: true},
		{Name: "no-test"},
		{Name: "Client-ID", TemplateTest: "substring(option[61].hex, 1, 2)"},
		{Name: "Mac", TemplateTest: "hexstring(substring(pkt4.mac, 0, 3), ':')"},
		{Name: "Empty", TemplateTest: "option[250].hex"}, // spawns nothing
		{Name: "KnownTemplate", TemplateTest: "ifelse(member('KNOWN'), 'k', 'u')"},
		{Name: "DROP", Test: "option[60].text == 'evil'"},
	}
	c := mustNew(t, defs, nil)
	for i, want := range []bool{false, false, true, true, true, false, false, false, false, false, false, true, false} {
		if c.DependsOnKnown(i) != want {
			t.Errorf("DependsOnKnown(%s) = %v, want %v", defs[i].Name, !want, want)
		}
	}
	e := c.NewEval()
	e.Begin(richPacket(t), richMeta)
	e.Classify()
	want := "ALL, VENDOR_CLASS_docsis3.0, docsis, vendor-tested, SPAWN_Client-ID_%00%01, Client-ID, SPAWN_Mac_00:01:02, Mac"
	if got := classNames(e); got != want {
		t.Errorf("after Classify: %s\nwant %s", got, want)
	}
	if e.Drop() {
		t.Error("Drop() true")
	}
	e.AddClass("reserved")
	e.SetKnown(false)
	want += ", reserved, UNKNOWN, known-indirect, unknown-and-docsis, SPAWN_KnownTemplate_u, KnownTemplate"
	if got := classNames(e); got != want {
		t.Errorf("after SetKnown: %s\nwant %s", got, want)
	}
	e.EvaluateAdditional([]string{"extra", "undefined", "no-test"}, []string{"no-test", "extra", "docsis"})
	want += ", extra, no-test"
	if got := classNames(e); got != want {
		t.Errorf("after EvaluateAdditional: %s\nwant %s", got, want)
	}
	if len(e.Errors()) != 0 {
		t.Errorf("errors: %v", e.Errors())
	}
	// Definition indexes come back for defined classes only.
	cl := e.Classes()
	for i := 0; i < cl.Len(); i++ {
		name := cl.Name(i)
		idx, ok := c.Index(name)
		if got := cl.Class(i); (ok && got != idx) || (!ok && got != -1) {
			t.Errorf("Class(%d) for %s = %d", i, name, got)
		}
		if !cl.Has(name) {
			t.Errorf("Has(%s) false", name)
		}
	}
	if cl.Has("not-docsis") || cl.Has("KNOWN") || cl.Has("nothing") || cl.Has("SPAWN_Empty_") {
		t.Error("Has reports a class not assigned")
	}
	names := cl.AppendNames(nil)
	if strings.Join(names, ", ") != want {
		t.Errorf("AppendNames = %v", names)
	}
}

func TestClassifyKnown(t *testing.T) {
	defs := []ClassDef{
		{Name: "A", Test: "member('KNOWN')"},
		{Name: "B", Test: "not member('A')"},
		{Name: "DROP", Test: "member('B') and option[60].exists"},
	}
	c := mustNew(t, defs, nil)
	e := c.NewEval()
	e.Begin(richPacket(t), Meta{})
	e.Classify()
	if got := classNames(e); got != "ALL, VENDOR_CLASS_docsis3.0" {
		t.Errorf("after Classify: %s", got)
	}
	e.SetKnown(true)
	if got := classNames(e); got != "ALL, VENDOR_CLASS_docsis3.0, KNOWN, A" || e.Drop() {
		t.Errorf("known: %s, drop %v", got, e.Drop())
	}
	e.Begin(richPacket(t), Meta{})
	e.Classify()
	e.SetKnown(false)
	if got := classNames(e); got != "ALL, VENDOR_CLASS_docsis3.0, UNKNOWN, B, DROP" || !e.Drop() {
		t.Errorf("unknown: %s, drop %v", got, e.Drop())
	}
}

// TestReevaluate follows the case Kea's server code describes: a class
// given by a reservation changes what later tests see.
func TestReevaluate(t *testing.T) {
	defs := []ClassDef{
		{Name: "first_class", Test: "option[250].exists"},
		{Name: "second_class", Test: "not member('first_class')"},
		{Name: "Tmpl", TemplateTest: "'v'"},
	}
	c := mustNew(t, defs, nil)
	e := c.NewEval()
	e.Begin(richPacket(t), Meta{})
	e.Classify()
	if got := classNames(e); got != "ALL, VENDOR_CLASS_docsis3.0, second_class, SPAWN_Tmpl_v, Tmpl" {
		t.Fatalf("after Classify: %s", got)
	}
	e.RemoveEvaluated()
	if got := classNames(e); got != "ALL, VENDOR_CLASS_docsis3.0, SPAWN_Tmpl_v" {
		t.Fatalf("after RemoveEvaluated: %s", got)
	}
	e.AddClass("first_class")
	e.EvaluateEarly()
	if got := classNames(e); got != "ALL, VENDOR_CLASS_docsis3.0, SPAWN_Tmpl_v, first_class, Tmpl" {
		t.Errorf("after re-evaluation: %s", got)
	}
}

func TestVendorClassEscape(t *testing.T) {
	p := buildPacket(t, dhcpv4.Discover, func(b *dhcpv4.Builder) {
		b.AddOption(dhcpv4.OptionVendorClass, []byte("MSFT 5.0%\x01é\x00"))
	})
	defs := []ClassDef{{Name: "T", TemplateTest: "option[60].text"}}
	c := mustNew(t, defs, nil)
	e := c.NewEval()
	e.Begin(p, Meta{})
	e.Classify()
	want := "ALL, VENDOR_CLASS_MSFT%205.0%%%01%c3%a9, SPAWN_T_MSFT%205.0%%%01%c3%a9, T"
	if got := classNames(e); got != want {
		t.Errorf("got %s\nwant %s", got, want)
	}
	// An option 60 of NULs only is dropped, as Kea drops it.
	p = buildPacket(t, dhcpv4.Discover, func(b *dhcpv4.Builder) { b.AddOption(dhcpv4.OptionVendorClass, []byte{0}) })
	e.Begin(p, Meta{})
	e.Classify()
	if got := classNames(e); got != "ALL" {
		t.Errorf("NUL option 60: %s", got)
	}
}

func TestSpawnedMatchesDefinedClass(t *testing.T) {
	defs := []ClassDef{
		{Name: "SPAWN_Vendor_docsis3.0"},
		{Name: "Vendor", TemplateTest: "option[60].text"},
		{Name: "uses", Test: "member('SPAWN_Vendor_docsis3.0')"},
	}
	c := mustNew(t, defs, nil)
	e := c.NewEval()
	e.Begin(richPacket(t), Meta{})
	e.Classify()
	if got := classNames(e); got != "ALL, VENDOR_CLASS_docsis3.0, SPAWN_Vendor_docsis3.0, Vendor, uses" {
		t.Errorf("got %s", got)
	}
	if e.Classes().Class(2) != 0 {
		t.Errorf("the spawned class should map to definition 0, got %d", e.Classes().Class(2))
	}
}

func TestBOOTP(t *testing.T) {
	defs := []ClassDef{
		{Name: "req", Test: "pkt4.msgtype == 3 and option[53].hex == 0x03"},
		{Name: "bootp", Test: "member('BOOTP')"},
	}
	bootp := buildPacket(t, 0, nil)
	for _, on := range []bool{false, true} {
		c := mustNew(t, defs, &Config{BOOTP: on})
		e := c.NewEval()
		e.Begin(bootp, Meta{})
		e.Classify()
		want := "ALL"
		if on {
			want = "ALL, BOOTP, req, bootp"
		}
		if got := classNames(e); got != want {
			t.Errorf("BOOTP %v: %s, want %s", on, got, want)
		}
		// A DHCP message is never BOOTP.
		e.Begin(richPacket(t), Meta{})
		e.Classify()
		if e.Classes().Has("BOOTP") {
			t.Errorf("BOOTP %v: DHCP message in class BOOTP", on)
		}
	}
}

func TestEvalErrorsRecorded(t *testing.T) {
	defs := []ClassDef{
		{Name: "bad", Test: "int8totext(option[60].hex) == '1'"},
		{Name: "badTmpl", TemplateTest: "int16totext(option[60].hex)"},
		{Name: "good", Test: "option[60].exists"},
	}
	c := mustNew(t, defs, nil)
	e := c.NewEval()
	e.Begin(richPacket(t), Meta{})
	e.Classify()
	if got := classNames(e); got != "ALL, VENDOR_CLASS_docsis3.0, good" {
		t.Errorf("got %s", got)
	}
	errs := e.Errors()
	if len(errs) != 2 || errs[0].Class != "bad" || !errors.Is(errs[0].Err, errInt8Len) ||
		errs[1].Class != "badTmpl" || !errors.Is(errs[1].Err, errInt16Len) {
		t.Errorf("errors = %v", errs)
	}
	e.Begin(richPacket(t), Meta{})
	if len(e.Errors()) != 0 {
		t.Error("Begin does not clear the errors")
	}
}

func TestNewErrors(t *testing.T) {
	tests := []struct {
		name  string
		defs  []ClassDef
		index int
		field string
		col   int // 0: not a syntax error
		msg   string
	}{
		{"empty name", []ClassDef{{Name: "a"}, {Name: ""}}, 1, "name", 0, "name is empty"},
		{"duplicate", []ClassDef{{Name: "a"}, {Name: "b"}, {Name: "a"}}, 2, "name", 0, "defined twice (first at client-classes[0])"},
		{"both tests", []ClassDef{{Name: "a", Test: "member('ALL')", TemplateTest: "'x'"}}, 0, "test", 0, "cannot both be set"},
		{"builtin test", []ClassDef{{Name: "KNOWN", Test: "member('ALL')"}}, 0, "test", 0, "built-in class 'KNOWN' cannot have a test"},
		{"builtin template", []ClassDef{{Name: "ALL", TemplateTest: "'x'"}}, 0, "test", 0, "built-in class 'ALL' cannot have a test"},
		{"builtin additional", []ClassDef{{Name: "BOOTP", OnlyInAdditional: true}}, 0, "only-in-additional-list", 0, "cannot be additional-only"},
		{"drop additional", []ClassDef{{Name: "DROP", Test: "member('ALL')", OnlyInAdditional: true}}, 0, "only-in-additional-list", 0, "special class 'DROP'"},
		{"syntax", []ClassDef{{Name: "a", Test: "option[60].text == 'x"}}, 0, "test", 20, "unterminated string literal"},
		{"template syntax", []ClassDef{{Name: "a", TemplateTest: "member('x')"}}, 0, "template-test", 1, "must be a string expression"},
		{"undefined", []ClassDef{{Name: "a", Test: "member('ALL') and member('nope')"}}, 0, "test", 26, "client class 'nope' is not defined"},
		{"self", []ClassDef{{Name: "a", Test: "member('a')"}}, 0, "test", 8, "cannot test membership of itself"},
		{"forward", []ClassDef{{Name: "a", Test: "member('b')"}, {Name: "b", Test: "member('ALL')"}}, 0, "test", 8,
			"client class 'b' is defined after 'a'"},
		{"cycle", []ClassDef{
			{Name: "a", Test: "member('b')"},
			{Name: "b", Test: "member('c')"},
			{Name: "c", Test: "'x' == 'y' or member('a')"},
		}, 0, "test", 8, "dependency cycle: a -> b -> c -> a"},
		{"drop not builtin", []ClassDef{{Name: "a", Test: "member('DROP')"}}, 0, "test", 8, "client class 'DROP' is not defined"},
	}
	for _, tt := range tests {
		_, err := New(tt.defs, nil)
		var ce *ClassError
		if !errors.As(err, &ce) {
			t.Errorf("%s: error %v, want a *ClassError", tt.name, err)
			continue
		}
		if ce.Index != tt.index || ce.Field != tt.field || !strings.Contains(err.Error(), tt.msg) {
			t.Errorf("%s: got index %d field %s: %v", tt.name, ce.Index, ce.Field, err)
		}
		var se *SyntaxError
		if isSyntax := errors.As(err, &se); isSyntax != (tt.col != 0) || (isSyntax && se.Col != tt.col) {
			t.Errorf("%s: syntax error %v, want column %d", tt.name, se, tt.col)
		}
	}
}

func TestNewAccepts(t *testing.T) {
	defs := []ClassDef{
		{Name: "ALL"}, // built-ins may be defined to carry options
		{Name: "KNOWN"},
		{Name: "DROP", Test: "member('KNOWN') and option[60].text == 'x'"},
		{Name: "a", Test: "member('VENDOR_CLASS_x') or member('HA_server1') or member('EXTERNAL_y') or member('AFTER_z')"},
		// A template test may name classes not defined (yet): spawned ones.
		{Name: "t1", TemplateTest: "ifelse(member('SPAWN_t2_x') or member('later'), 'y', '')"},
		{Name: "later", Test: "member('a')"},
	}
	c := mustNew(t, defs, &Config{Options: Options{OptionCode: optionNames}, Names: []string{"reserved"}})
	if c.Len() != len(defs) || c.Def(5).Name != "later" || c.Expr(0) != nil || c.Expr(5) == nil {
		t.Error("accessors disagree with the definitions")
	}
	if !c.DependsOnKnown(2) || c.DependsOnKnown(3) {
		t.Error("DROP should depend on KNOWN, a should not")
	}
	if _, ok := c.Index("reserved"); ok {
		t.Error("Index finds a name that is not a definition")
	}
	if i, ok := c.Index("later"); !ok || i != 5 {
		t.Errorf("Index(later) = %d, %v", i, ok)
	}
}

func TestIsBuiltin(t *testing.T) {
	for name, want := range map[string]bool{
		"ALL": true, "KNOWN": true, "UNKNOWN": true, "BOOTP": true, "DROP": false,
		"VENDOR_CLASS_x": true, "VENDOR_CLASS_": false, "HA_a": true, "AFTER_x": true,
		"EXTERNAL_x": true, "SPAWN_x": false, "all": false, "SKIP_DDNS": false,
	} {
		if IsBuiltin(name) != want {
			t.Errorf("IsBuiltin(%q) = %v", name, !want)
		}
	}
}

func TestStandaloneEval(t *testing.T) {
	// Without a classifier, Classify assigns ALL and the vendor class, and
	// member() works by name.
	var e Eval
	e.Begin(richPacket(t), Meta{})
	e.Classify()
	e.AddClass("x")
	e.AddClass("x")
	if got := classNames(&e); got != "ALL, VENDOR_CLASS_docsis3.0, x" {
		t.Errorf("got %s", got)
	}
	x := MustCompile("member('x') and member('VENDOR_CLASS_docsis3.0') and not member('y')", Bool, nil)
	if ok, err := e.Bool(x); !ok || err != nil {
		t.Errorf("member by name: %v %v", ok, err)
	}
	e.SetKnown(true)
	if !e.Classes().Has("KNOWN") || e.Drop() {
		t.Error("SetKnown without a classifier")
	}
	e.AddClass("DROP")
	if !e.Drop() {
		t.Error("Drop without a classifier")
	}
	// An expression owned by one classifier evaluated under another falls
	// back to names.
	c1 := mustNew(t, []ClassDef{{Name: "p"}, {Name: "q", Test: "member('p')"}}, nil)
	c2 := mustNew(t, []ClassDef{{Name: "z"}, {Name: "p"}}, nil)
	e2 := c2.NewEval()
	e2.Begin(richPacket(t), Meta{})
	e2.AddClass("p")
	if ok, _ := e2.Bool(c1.Expr(1)); !ok {
		t.Error("foreign expression: member('p') false")
	}
}

func TestClassifyZeroAlloc(t *testing.T) {
	defs := []ClassDef{
		{Name: "docsis", Test: "substring(option[60].hex, 0, 6) == 'docsis'"},
		{Name: "relayed", Test: "relay4[1].exists and not member('docsis')"},
		{Name: "pxe", Test: "option[77].text == 'iPXE'"},
		{Name: "known", Test: "member('KNOWN') and member('pxe')"},
		{Name: "Client-ID", TemplateTest: "hexstring(substring(option[61].hex, 1, 3), ':')"},
		{Name: "extra", Test: "option[61].exists", OnlyInAdditional: true},
	}
	c := mustNew(t, defs, &Config{Names: []string{"reserved"}})
	e := c.NewEval()
	p := richPacket(t)
	pool, subnet := []string{"extra"}, []string{"docsis", "extra"}
	run := func() {
		e.Begin(p, richMeta)
		e.Classify()
		if e.Drop() {
			t.Fatal("dropped")
		}
		e.AddClass("reserved")
		e.SetKnown(true)
		e.EvaluateAdditional(pool, subnet)
	}
	run()
	want := "ALL, VENDOR_CLASS_docsis3.0, docsis, pxe, SPAWN_Client-ID_00:01:02, Client-ID, reserved, KNOWN, known, extra"
	if got := classNames(e); got != want {
		t.Fatalf("got %s\nwant %s", got, want)
	}
	if n := testing.AllocsPerRun(100, run); n != 0 {
		t.Errorf("%v allocations per packet, want 0", n)
	}
}

// TestConcurrentEvals shares one Classifier between goroutines, each with
// its own Eval, as server workers do; run with -race.
func TestConcurrentEvals(t *testing.T) {
	defs := []ClassDef{
		{Name: "docsis", Test: "substring(option[60].hex, 0, 6) == 'docsis'"},
		{Name: "T", TemplateTest: "hexstring(pkt4.mac, '')"},
		{Name: "k", Test: "member('KNOWN') and member('docsis')"},
	}
	c := mustNew(t, defs, nil)
	p := richPacket(t)
	want := "ALL, VENDOR_CLASS_docsis3.0, docsis, SPAWN_T_000102030405, T, KNOWN, k"
	done := make(chan string)
	for g := 0; g < 4; g++ {
		go func() {
			e := c.NewEval()
			got := ""
			for i := 0; i < 200; i++ {
				e.Begin(p, Meta{})
				e.Classify()
				e.SetKnown(true)
				if got = classNames(e); got != want {
					break
				}
			}
			done <- got
		}()
	}
	for g := 0; g < 4; g++ {
		if got := <-done; got != want {
			t.Errorf("got %s, want %s", got, want)
		}
	}
}

// TestNewUsesCompiled checks that New takes an expression its caller
// compiled instead of compiling the text again, and compiles the text
// when the expression given is not that text's.
func TestNewUsesCompiled(t *testing.T) {
	x := MustCompile("member('KNOWN')", Bool, nil)
	other := MustCompile("member('UNKNOWN')", Bool, nil)
	tmpl := MustCompile("'x'", String, nil)
	c, err := New([]ClassDef{
		{Name: "a", Test: "member('KNOWN')", Compiled: x},
		{Name: "b", Test: "member('KNOWN')", Compiled: other},
		{Name: "c", TemplateTest: "'x'", Compiled: tmpl},
		{Name: "d", TemplateTest: "'y'", Compiled: tmpl},
	}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if c.Expr(0) != x || c.Expr(2) != tmpl {
		t.Errorf("New compiled again what was compiled: %p %p, want %p %p", c.Expr(0), c.Expr(2), x, tmpl)
	}
	if c.Expr(1) == other || c.Expr(1).Source() != "member('KNOWN')" || c.Expr(3) == tmpl || c.Expr(3).Source() != "'y'" {
		t.Errorf("New used an expression compiled from other text: %q %q", c.Expr(1).Source(), c.Expr(3).Source())
	}
	if !c.DependsOnKnown(0) || !c.DependsOnKnown(1) {
		t.Error("the member('KNOWN') tests do not depend on KNOWN")
	}
}
