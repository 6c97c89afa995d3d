package logging

import (
	"bytes"
	"encoding/json"
	"testing"
)

// FuzzRedactJSON checks that whatever document comes in, no secret
// member survives: every member whose key names a secret, outside
// user-context, reads "*****" in the output.
func FuzzRedactJSON(f *testing.F) {
	for _, s := range []string{
		`{"password": "x"}`, `{"a": [{"db-password": 1, "b": {"client-secret": {"deep": "v"}}}]}`,
		`{"user-context": {"password": "kept"}}`, `[1, "password", {"Secret": null}]`, `"s"`, `{`, `{"a":1e400}`,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, doc []byte) {
		out := RedactJSON(doc)
		dec := json.NewDecoder(bytes.NewReader(out))
		dec.UseNumber()
		var v any
		if err := dec.Decode(&v); err != nil {
			t.Fatalf("output %q is not JSON: %v", out, err)
		}
		var walk func(v any)
		walk = func(v any) {
			switch t2 := v.(type) {
			case map[string]any:
				for k, e := range t2 {
					switch {
					case IsSecretKey(k):
						if e != Redacted {
							t.Fatalf("secret %q kept: %v (input %q)", k, e, doc)
						}
					case k == "user-context":
					default:
						walk(e)
					}
				}
			case []any:
				for _, e := range t2 {
					walk(e)
				}
			}
		}
		walk(v)
	})
}
