package jsonc

import (
	"errors"
	"io/fs"
	"strings"
	"testing"
)

func mapFS(files map[string]string) *Options {
	return &Options{ReadFile: func(name string) ([]byte, error) {
		s, ok := files[name]
		if !ok {
			return nil, fs.ErrNotExist
		}
		return []byte(s), nil
	}}
}

func TestParseValues(t *testing.T) {
	src := `# hash comment
// slash comment
/* block
   comment */
{ "a": 1, "b": [true, false, null], "c": "x\"y\u00e9\n", "d": .5, "e": -2.5e3,
  "f": { "g": [] }, "h": {} }`
	d := Parse("t.json", []byte(src), nil)
	if d.Failed() {
		t.Fatalf("diags: %v", d.Diags)
	}
	got := d.Root.String()
	want := `{"a":1,"b":[true,false,null],"c":"x\"yé\n","d":.5,"e":-2.5e3,"f":{"g":[]},"h":{}}`
	if got != want {
		t.Errorf("got  %s\nwant %s", got, want)
	}
	if f, err := d.Root.Get("d").Float(); err != nil || f != 0.5 {
		t.Errorf("d = %v, %v", f, err)
	}
	if n, err := d.Root.Get("a").Int(); err != nil || n != 1 {
		t.Errorf("a = %v, %v", n, err)
	}
	if p := d.Root.Get("b").Index(1).Pos(); p != (Pos{File: "t.json", Line: 5, Col: 23}) {
		t.Errorf("pos of b[1] = %v", p)
	}
	if p := d.Root.Members()[2].KeyPos(); p != (Pos{File: "t.json", Line: 5, Col: 37}) {
		t.Errorf("pos of key c = %v", p)
	}
}

func TestParseErrors(t *testing.T) {
	tests := []struct {
		src, want string
	}{
		{`{"a": 1`, `t.json:1:8: error: expected ',' or '}' after the value of "a", found end of file`},
		{`{"a": 1 "b": 2}`, `t.json:1:9: error: expected ',' or '}'`},
		{`{"a": foo}`, `t.json:1:7: error: unexpected word "foo"`},
		{`{"a": 1, "a": 2}`, `t.json:1:10: error: duplicate key "a" (first given at t.json:1:2)`},
		{`{"a": "x`, `t.json:1:7: error: string is never closed`},
		{"{\"a\": \"x\ny\"}", `t.json:1:7: error: string is not closed before the end of the line`},
		{`{"a": 1} /* open`, `t.json:1:10: error: comment started with /* is never closed`},
		{`{"a": 1} 2`, `t.json:1:10: error: unexpected number 2 after the end`},
		{``, `t.json:1:1: error: the file holds no configuration`},
		{`{"a": 12abc}`, `t.json:1:7: error: malformed number`},
		{`{"a": "\q"}`, `t.json:1:8: error: unknown escape \q`},
		{`{"a": [1,,2]}`, `t.json:1:10: error: expected a value, found ','`},
		{`<?include "nope.json"?>`, `t.json:1:1: error: cannot read included file "nope.json"`},
		{`<?inclde "x"?>`, `t.json:1:1: error: unknown directive`},
		{`{"a": [[[[[[1]]]]]]}`, `t.json:1:10: error: maps and lists are nested more than 4 deep`},
	}
	for _, tc := range tests {
		o := mapFS(nil)
		o.MaxDepth = 4
		d := Parse("t.json", []byte(tc.src), o)
		if !d.Failed() {
			t.Errorf("%q: no error", tc.src)
			continue
		}
		got := d.Diags[len(d.Diags)-1].String()
		if !strings.HasPrefix(got, tc.want) {
			t.Errorf("%q:\n got %s\nwant %s...", tc.src, got, tc.want)
		}
	}
}

func TestTrailingCommaWarns(t *testing.T) {
	d := Parse("t.json", []byte("{\"a\": [1, 2,],\n \"b\": 3,\n}"), nil)
	if d.Failed() {
		t.Fatalf("diags: %v", d.Diags)
	}
	if len(d.Diags) != 2 {
		t.Fatalf("want 2 warnings, got %v", d.Diags)
	}
	if g := d.Diags[0].String(); g != "t.json:1:12: warning: trailing comma before ']' ignored" {
		t.Errorf("got %s", g)
	}
	if g := d.Diags[1].String(); g != "t.json:2:8: warning: trailing comma before '}' ignored" {
		t.Errorf("got %s", g)
	}
}

func TestInclude(t *testing.T) {
	o := mapFS(map[string]string{
		"/etc/kea/main.conf":         "{ \"Dhcp4\": {\n <?include \"sub/part.json\"?>\n, \"z\": 9 } }",
		"/etc/kea/sub/part.json":     "// part\n\"a\": <?include \"inner.json\"?>,\n \"b\": oops",
		"/etc/kea/sub/inner.json":    "[1, 2]",
		"/etc/kea/good.conf":         "{ \"Dhcp4\": {\n <?include \"sub/good.json\"?>\n, \"z\": 9 } }",
		"/etc/kea/sub/good.json":     "// part\n\"a\": <?include \"inner.json\"?>,\n \"b\": true",
		"/etc/kea/loop.conf":         "{ \"a\": <?include \"loop2.conf\"?> }",
		"/etc/kea/loop2.conf":        "<?include \"/etc/kea/loop.conf\"?>",
		"/etc/kea/abs.conf":          "<?include   \"/etc/kea/sub/inner.json\"  ?>",
		"/etc/kea/sub/unclosed.json": "/* no end",
		"/etc/kea/unclosed.conf":     "{ \"a\": <?include \"sub/unclosed.json\"?> 1 }",
	})
	d := ParseFile("/etc/kea/main.conf", o)
	if !d.Failed() {
		t.Fatal("want error")
	}
	if g := d.Diags[0].String(); !strings.HasPrefix(g, "/etc/kea/sub/part.json:3:7: error: unexpected word \"oops\"") {
		t.Errorf("error from include: %s", g)
	}

	d = ParseFile("/etc/kea/good.conf", o)
	if d.Failed() {
		t.Fatalf("diags: %v", d.Diags)
	}
	if g := d.Root.String(); g != `{"Dhcp4":{"a":[1,2],"b":true,"z":9}}` {
		t.Errorf("got %s", g)
	}
	a := d.Root.Get("Dhcp4").Get("a")
	if p := a.Index(1).Pos(); p != (Pos{File: "/etc/kea/sub/inner.json", Line: 1, Col: 5}) {
		t.Errorf("pos in included file: %v", p)
	}
	if p := d.Root.Get("Dhcp4").Members()[1].KeyPos(); p != (Pos{File: "/etc/kea/sub/good.json", Line: 3, Col: 2}) {
		t.Errorf("key pos in included file: %v", p)
	}
	if p := d.Root.Get("Dhcp4").Members()[2].KeyPos(); p != (Pos{File: "/etc/kea/good.conf", Line: 3, Col: 3}) {
		t.Errorf("key pos after include: %v", p)
	}
	if len(d.Files) != 3 {
		t.Errorf("files: %v", d.Files)
	}

	d = ParseFile("/etc/kea/loop.conf", o)
	if !d.Failed() || !strings.Contains(d.Diags[0].Msg, "include cycle") {
		t.Errorf("loop: %v", d.Diags)
	}
	d = ParseFile("/etc/kea/abs.conf", o)
	if d.Failed() || d.Root.String() != "[1,2]" {
		t.Errorf("abs: %v %s", d.Diags, d.Root.String())
	}
	d = ParseFile("/etc/kea/unclosed.conf", o)
	if !d.Failed() || !strings.HasPrefix(d.Diags[0].String(), "/etc/kea/sub/unclosed.json:1:1: error: comment") {
		t.Errorf("unclosed: %v", d.Diags)
	}
	d = ParseFile("/etc/kea/missing.conf", o)
	if !d.Failed() || !errors.Is(fs.ErrNotExist, fs.ErrNotExist) || !strings.Contains(d.Diags[0].Msg, "cannot read configuration") {
		t.Errorf("missing: %v", d.Diags)
	}
}

func TestRedaction(t *testing.T) {
	src := `{"user": "u", "password": "p1", "x": {"Client-Secret": {"a": 1}, "list": [{"db-password": 5}]}}`
	d := Parse("t", []byte(src), nil)
	if d.Failed() {
		t.Fatal(d.Diags)
	}
	got := d.Root.String()
	if strings.Contains(got, "p1") || strings.Contains(got, `"a":1`) || strings.Contains(got, "5") {
		t.Errorf("secret leaked: %s", got)
	}
	want := `{"user":"u","password":"*****","x":{"Client-Secret":"*****","list":[{"db-password":"*****"}]}}`
	if got != want {
		t.Errorf("got %s", got)
	}
	raw := string(d.Root.AppendJSON(nil, false, true))
	if raw != `{"password":"p1","user":"u","x":{"Client-Secret":{"a":1},"list":[{"db-password":5}]}}` {
		t.Errorf("sorted raw: %s", raw)
	}
}

// TestSyntaxErrorsHideSecrets checks that a malformed value written for a
// secret key (unquoted, a broken number) is not echoed in the error, while
// the error still says where and what is wrong.
func TestSyntaxErrorsHideSecrets(t *testing.T) {
	tests := []struct{ src, want string }{
		{`{"db": {"password": hunter2}}`, `t.json:1:21: error: unexpected word "*****"`},
		{`{"api-secret": 12ab34}`, `t.json:1:16: error: malformed number "*****"`},
		{`{"auth": {"Password": tr0ub4dor}}`, `t.json:1:23: error: unexpected word "*****"`},
		{`{"secret": {"a": [hunter2]}}`, `t.json:1:19: error: unexpected word "*****"`},
		// Not a secret: the word is shown.
		{`{"user": hunter2}`, `t.json:1:10: error: unexpected word "hunter2"`},
	}
	for _, tt := range tests {
		d := Parse("t.json", []byte(tt.src), nil)
		if !d.Failed() || len(d.Diags) == 0 {
			t.Errorf("%s: accepted", tt.src)
			continue
		}
		got := d.Diags[0].String()
		if !strings.HasPrefix(got, tt.want) {
			t.Errorf("%s:\n got  %s\n want %s...", tt.src, got, tt.want)
		}
		if strings.Contains(tt.want, "*****") && (strings.Contains(got, "hunter2") || strings.Contains(got, "12ab") || strings.Contains(got, "tr0ub4dor")) {
			t.Errorf("%s: secret in %s", tt.src, got)
		}
	}
}

func FuzzParse(f *testing.F) {
	seeds := []string{
		`{"Dhcp4": {"a": [1, 2.5, .5, -3e2, true, false, null, "x\u0041"]}}`,
		"# c\n{ /* x */ \"a\": 1, // y\n}",
		`{"a": <?include "inc.json"?>}`,
		`<?include "inc.json"?>`,
		`{"a": <?include "loop.json"?>}`,
		`[1,]`,
		`{"a":"\ud83d\ude00"}`,
	}
	for _, s := range seeds {
		f.Add(s, `[1, {"b": "c"}]`)
	}
	f.Fuzz(func(t *testing.T, src, inc string) {
		o := mapFS(map[string]string{"inc.json": inc, "loop.json": `<?include "loop.json"?>`})
		o.ReadFile = func(name string) ([]byte, error) {
			switch name {
			case "inc.json":
				return []byte(inc), nil
			case "loop.json":
				return []byte(`<?include "loop.json"?>`), nil
			}
			return nil, fs.ErrNotExist
		}
		d := Parse("main.json", []byte(src), o)
		for _, g := range d.Diags {
			if !g.Pos.IsValid() {
				t.Fatalf("diagnostic without position: %v", g)
			}
		}
		if d.Failed() {
			return
		}
		// A parsed document prints as JSON that reads back to the same text.
		out := d.Root.AppendJSON(nil, false, false)
		d2 := Parse("again", out, nil)
		if d2.Failed() {
			t.Fatalf("re-reading %s: %v", out, d2.Diags)
		}
		if again := d2.Root.AppendJSON(nil, false, false); string(again) != string(out) {
			t.Fatalf("not stable:\n%s\n%s", out, again)
		}
	})
}

// TestIncludeFromWorkingDirectory checks that a relative include missing
// beside the including file is opened as given, relative to the working
// directory, which is where kea-dhcp4 looks for it.
func TestIncludeFromWorkingDirectory(t *testing.T) {
	o := mapFS(map[string]string{
		"/etc/kea/main.conf":    `{"a": <?include "parts/x.json"?>, "b": <?include "y.json"?>}`,
		"parts/x.json":          `1`,
		"/etc/kea/y.json":       `2`,
		"y.json":                `"working directory"`,
		"/etc/kea/missing.conf": `{"a": <?include "nowhere.json"?>}`,
		"/etc/kea/nested.conf":  `<?include "parts/z.json"?>`,
		"parts/z.json":          `<?include "w.json"?>`,
		"parts/w.json":          `3`,
	})
	d := ParseFile("/etc/kea/main.conf", o)
	if d.Failed() {
		t.Fatalf("diags: %v", d.Diags)
	}
	// The including file's directory wins when the file is there.
	if g := d.Root.String(); g != `{"a":1,"b":2}` {
		t.Errorf("got %s", g)
	}
	if p := d.Root.Get("a").Pos(); p.File != "parts/x.json" {
		t.Errorf("position of included value: %v", p)
	}
	d = ParseFile("/etc/kea/nested.conf", o)
	if d.Failed() || d.Root.String() != "3" {
		t.Errorf("nested: %v %s", d.Diags, d.Root.String())
	}
	d = ParseFile("/etc/kea/missing.conf", o)
	if !d.Failed() || !strings.Contains(d.Diags[0].Msg, `cannot read included file "nowhere.json"`) {
		t.Errorf("missing: %v", d.Diags)
	}
}
