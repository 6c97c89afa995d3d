package control

import (
	"encoding/json"
	"reflect"
	"strings"
	"testing"
)

func TestResponseJSONShape(t *testing.T) {
	tests := []struct {
		name string
		r    Response
		want string
	}{
		{"unsupported", Answer(Unsupported, "'foo' command not supported.", nil),
			`{"result":2,"text":"'foo' command not supported."}`},
		{"success without text", OKWith([]string{"a"}), `{"arguments":["a"],"result":0}`},
		// statistic-get of an unknown name answers an empty map, which
		// must be written, not dropped.
		{"empty map kept", OKWith(map[string]any{}), `{"arguments":{},"result":0}`},
		{"bare success", Answer(Success, "", nil), `{"result":0}`},
		{"all three", Answer(Success, "2.2.0", map[string]string{"extended": "x"}),
			`{"arguments":{"extended":"x"},"result":0,"text":"2.2.0"}`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			b, err := json.Marshal(tt.r)
			if err != nil {
				t.Fatal(err)
			}
			if string(b) != tt.want {
				t.Errorf("got  %s\nwant %s", b, tt.want)
			}
			var back Response
			if err := json.Unmarshal(b, &back); err != nil {
				t.Fatal(err)
			}
			if back.Result != tt.r.Result || back.Text != tt.r.Text || (back.Arguments == nil) != (tt.r.Arguments == nil) {
				t.Errorf("round trip: %+v", back)
			}
		})
	}
}

func TestResponseUnmarshalNeedsResult(t *testing.T) {
	var r Response
	if err := json.Unmarshal([]byte(`{"text": "x"}`), &r); err == nil {
		t.Fatal("an answer without result was accepted")
	}
}

func TestParseCommand(t *testing.T) {
	tests := []struct {
		name    string
		in      string
		want    Command
		wantErr string
		invalid bool // an InvalidCommandError
	}{
		{name: "plain", in: `{"command": "list-commands"}`, want: Command{Command: "list-commands"}},
		{name: "arguments and service",
			in:   `{"command": "statistic-get", "arguments": {"name": "pkt4-received"}, "service": ["dhcp4"]}`,
			want: Command{Command: "statistic-get", Arguments: json.RawMessage(`{"name": "pkt4-received"}`), Service: []string{"dhcp4"}}},
		{name: "comments everywhere",
			in: "# leading\n// another\n/* block */ {\n \"command\": /* inline */ \"config-get\", # trailing\n" +
				"\"arguments\": { \"x\": \"not // a comment\", \"y\": \"# nor this\" } // end\n}",
			want: Command{Command: "config-get", Arguments: json.RawMessage(`{ "x": "not // a comment", "y": "# nor this" }`)}},
		{name: "trailing space", in: "{\"command\": \"a\"} \r\n\t", want: Command{Command: "a"}},
		{name: "trailing bytes refused", in: `{"command": "a"} garbage`,
			wantErr: "unexpected data after the command: its closing bracket is byte 16, and byte 18 is 'g'"},
		{name: "second command refused", in: `{"command": "a"}{"command": "b"}`,
			wantErr: "unexpected data after the command: its closing bracket is byte 16, and byte 17 is '{'"},
		{name: "arguments null", in: `{"command": "a", "arguments": null}`, want: Command{Command: "a", Arguments: json.RawMessage(`null`)}},
		{name: "last of repeated keys", in: `{"command": "a", "command": "b", "remote-address": "192.0.2.1"}`,
			want: Command{Command: "b", RemoteAddress: "192.0.2.1"}},
		{name: "escaped command", in: `{"command": "l\u0069st"}`, want: Command{Command: "list"}},
		{name: "escaped quote and brace in string", in: `{"command": "a\"}{"}`, want: Command{Command: `a"}{`}},
		{name: "first character", in: `"command"`, wantErr: "invalid first character \""},
		{name: "character after space", in: `  x`, wantErr: "invalid character x"},
		{name: "bad comment", in: `/x`, wantErr: "invalid characters /x"},
		{name: "list", in: `["command"]`, invalid: true,
			wantErr: "invalid command: expected toplevel entry to be a map, got list instead"},
		{name: "no command", in: `{"arguments": {}}`, invalid: true,
			wantErr: "invalid command: does not contain mandatory 'command'"},
		{name: "unknown key", in: `{"command": "a", "foo": 1}`, invalid: true,
			wantErr: "invalid command: unsupported parameter 'foo'"},
		{name: "command not string", in: `{"command": 1}`, invalid: true,
			wantErr: "invalid command: expected 'command' to be a string, got map instead"},
		{name: "syntax", in: `{"command": "a",}`, wantErr: "in <wire>:1:"},
		{name: "incomplete", in: `{"command": "a"`, wantErr: "incomplete JSON"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := ParseCommand([]byte(tt.in))
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("error %v, want one containing %q", err, tt.wantErr)
				}
				var ic *InvalidCommandError
				if isInvalid := asInvalid(err, &ic); isInvalid != tt.invalid {
					t.Errorf("InvalidCommandError = %v, want %v", isInvalid, tt.invalid)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			got.service = nil
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("got %#v\nwant %#v", got, tt.want)
			}
		})
	}
}

func asInvalid(err error, ic **InvalidCommandError) bool {
	e, ok := err.(*InvalidCommandError)
	if ok {
		*ic = e
	}
	return ok
}

// The answer texts for unreadable commands are Kea's: syntax errors as
// they are, invalid commands behind "Error during command processing: ".
func TestProcessErrorTexts(t *testing.T) {
	reg := NewRegistry(BuildInfo{}, nil)
	tests := []struct{ in, want string }{
		{`{"commandx": "a"}`, "Error during command processing: invalid command: does not contain mandatory 'command'"},
		{`x`, "invalid first character x"},
		{`{"command": "nosuch"}`, "'nosuch' command not supported."},
	}
	for _, tt := range tests {
		r := reg.Process(t.Context(), []byte(tt.in))
		if r.Text != tt.want {
			t.Errorf("%s: text %q, want %q", tt.in, r.Text, tt.want)
		}
		if tt.want == "'nosuch' command not supported." {
			if r.Result != Unsupported {
				t.Errorf("unknown command: result %d, want 2", r.Result)
			}
		} else if r.Result != Error {
			t.Errorf("%s: result %d, want 1", tt.in, r.Result)
		}
	}
}

// Feeding a command in any split gives the same result as feeding it
// whole, because the unix transport reads it in pieces.
func TestFeedSplits(t *testing.T) {
	in := []byte("/* c */ {\"command\": \"x\", # note\n \"arguments\": {\"a\": \"}\\\"{\"}}tail")
	var whole feed
	whole.write(in)
	if !whole.done || whole.err != nil {
		t.Fatalf("whole: done=%v err=%v", whole.done, whole.err)
	}
	for split := 0; split <= len(in); split++ {
		for split2 := split; split2 <= len(in); split2 += 3 {
			var f feed
			for _, part := range [][]byte{in[:split], in[split:split2], in[split2:]} {
				f.write(part)
			}
			if string(f.out) != string(whole.out) || f.done != whole.done || f.seen != whole.seen {
				t.Fatalf("split %d/%d: %q seen %d, want %q seen %d", split, split2, f.out, f.seen, whole.out, whole.seen)
			}
		}
	}
}

func TestArgs(t *testing.T) {
	if _, err := RequireArgs("x", nil); err == nil || err.Error() != "invalid command 'x': no arguments specified" {
		t.Errorf("absent: %v", err)
	}
	if _, err := RequireArgs("x", json.RawMessage(`[1]`)); err == nil || err.Error() != "invalid command 'x': expected 'arguments' to be a map, got list instead" {
		t.Errorf("list: %v", err)
	}
	if _, err := RequireArgs("x", json.RawMessage(`{}`)); err == nil || err.Error() != "invalid command 'x': 'arguments' is empty" {
		t.Errorf("empty: %v", err)
	}
	a, err := RequireArgs("x", json.RawMessage(`{"name": "5", "n": 7, "big": 5000000000, "b": true, "f": 1.5}`))
	if err != nil {
		t.Fatal(err)
	}
	if s, err := a.String("name"); err != nil || s != "5" {
		t.Errorf("String: %q %v", s, err)
	}
	if _, err := a.String("n"); err == nil || err.Error() != "'n' parameter expected to be a string." {
		t.Errorf("String of a number: %v", err)
	}
	if _, err := a.String("missing"); err == nil || err.Error() != "Missing mandatory 'missing' parameter." {
		t.Errorf("missing: %v", err)
	}
	if n, err := a.Int("n"); err != nil || n != 7 {
		t.Errorf("Int: %d %v", n, err)
	}
	if _, err := a.Int("f"); err == nil {
		t.Error("Int accepted 1.5")
	}
	if _, err := a.Int("name"); err == nil || err.Error() != "'name' parameter expected to be an integer." {
		t.Errorf("Int of a string: %v", err)
	}
	if _, err := a.Uint32("big"); err == nil {
		t.Error("Uint32 accepted 5000000000")
	}
	if b, err := a.Bool("b"); err != nil || !b {
		t.Errorf("Bool: %v %v", b, err)
	}
	if o, err := OptionalArgs("x", nil); err != nil || len(o) != 0 {
		t.Errorf("OptionalArgs(nil) = %v, %v", o, err)
	}
	if _, err := OptionalArgs("x", json.RawMessage(`"s"`)); err == nil {
		t.Error("OptionalArgs accepted a string")
	}
	// The type is named from the value's first bytes, as Kea names it.
	for raw, kind := range map[string]string{`7`: "integer", `-1.5e3`: "real", ` "s"`: "string", `true`: "boolean", `[{}]`: "list"} {
		want := "invalid command 'x': expected 'arguments' to be a map, got " + kind + " instead"
		if _, err := RequireArgs("x", json.RawMessage(raw)); err == nil || err.Error() != want {
			t.Errorf("%s: %v, want %s", raw, err, want)
		}
	}
}

func FuzzParseCommand(f *testing.F) {
	for _, s := range []string{
		`{"command": "list-commands"}`,
		`{"command": "statistic-get", "arguments": {"name": "pkt4-received"}, "service": ["dhcp4"]}`,
		"# c\n{\"command\": /* x */ \"a\" // y\n}",
		`["command"]`, `{"command": 1}`, `{"command": "a", "x": 2}`, `{`, `/`, `"`, `{"a": "\"}"}`,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		c, err := ParseCommand(data)
		if err != nil {
			return
		}
		// A command that parsed survives a round trip unchanged.
		b, err := json.Marshal(c)
		if err != nil {
			t.Fatalf("marshal %#v: %v", c, err)
		}
		c2, err := ParseCommand(b)
		if err != nil {
			t.Fatalf("reparse of %s: %v", b, err)
		}
		if c2.Command != c.Command {
			t.Fatalf("command %q became %q", c.Command, c2.Command)
		}
		// The top-level walk finds what a full decode finds.
		var whole feed
		whole.write(data)
		var m map[string]json.RawMessage
		if err := json.Unmarshal(whole.out, &m); err != nil {
			t.Fatalf("ParseCommand accepted %q, which does not decode: %v", data, err)
		}
		var name string
		if json.Unmarshal(m["command"], &name); name != c.Command || string(m["arguments"]) != string(c.Arguments) {
			t.Fatalf("%q: command %q arguments %s, a full decode gives %q %s", data, c.Command, c.Arguments, name, m["arguments"])
		}
		// Whatever was fed in pieces gives the same result.
		var f1, f2 feed
		f1.write(data)
		for i := range data {
			f2.write(data[i : i+1])
		}
		if string(f1.out) != string(f2.out) || f1.done != f2.done {
			t.Fatalf("split feed differs")
		}
	})
}
