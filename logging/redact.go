package logging

import (
	"bytes"
	"encoding/json"
	"log/slog"
	"strings"
)

// Redacted is what a secret prints as, as in Kea.
const Redacted = "*****"

// IsSecretKey reports whether a key names a secret: its name ends in
// "password" or "secret", in any case (password, db-password,
// client-secret). Kea redacts by the same rule.
func IsSecretKey(key string) bool {
	k := strings.ToLower(key)
	return strings.HasSuffix(k, "password") || strings.HasSuffix(k, "secret")
}

// RedactAttr replaces the value of an attribute whose key names a secret
// with "*****", in groups too. Every handler this package builds applies
// it; use it as slog.HandlerOptions.ReplaceAttr in handlers of your own.
func RedactAttr(_ []string, a slog.Attr) slog.Attr {
	if IsSecretKey(a.Key) && a.Value.Kind() != slog.KindGroup {
		return slog.String(a.Key, Redacted)
	}
	return a
}

// Secret is an attribute whose value is never written: it logs that a
// secret was there, not what it is.
func Secret(key string) slog.Attr { return slog.String(key, Redacted) }

// RedactJSON returns a copy of a JSON document in which the value of
// every member whose key names a secret is "*****", at any depth. As in
// Kea, "user-context" maps are copied as they are. A document that is not
// valid JSON is not returned at all (its secrets could not be found):
// the result is then a short note instead.
func RedactJSON(doc []byte) []byte {
	dec := json.NewDecoder(bytes.NewReader(doc))
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err != nil {
		return []byte(`"(unreadable JSON withheld)"`)
	}
	out, err := json.Marshal(redactValue(v, 0))
	if err != nil {
		return []byte(`"(unreadable JSON withheld)"`)
	}
	return out
}

// maxRedactDepth stops runaway recursion, as Kea's redaction does;
// anything deeper is withheld whole.
const maxRedactDepth = 100

func redactValue(v any, depth int) any {
	if depth > maxRedactDepth {
		return Redacted
	}
	switch t := v.(type) {
	case map[string]any:
		out := make(map[string]any, len(t))
		for k, e := range t {
			switch {
			case IsSecretKey(k):
				out[k] = Redacted
			case k == "user-context":
				out[k] = e
			default:
				out[k] = redactValue(e, depth+1)
			}
		}
		return out
	case []any:
		out := make([]any, len(t))
		for i, e := range t {
			out[i] = redactValue(e, depth+1)
		}
		return out
	}
	return v
}
