package config

import (
	"strings"
	"testing"
)

// TestLongTextsInMessages gives keys and values of megabytes where a
// message quotes them: each message stays a line that quotes at most
// jsonc.MaxQuoted bytes of the text and gives its length, and the
// "did you mean" search does not compare a 10 MiB key with every
// keyword (which took 33 s).
func TestLongTextsInMessages(t *testing.T) {
	long := strings.Repeat("k", 10<<20)
	tests := []struct{ name, src, want string }{
		{"unknown keyword", `{"Dhcp4": {"` + long + `": 1}}`,
			`unknown keyword "` + strings.Repeat("k", 64) + `…" (10485760 bytes) in Dhcp4`},
		{"misspelt long keyword", `{"Dhcp4": {"valid-lifetime` + long + `": 1}}`,
			`unknown keyword "valid-lifetime` + strings.Repeat("k", 50) + `…" (10485774 bytes) in Dhcp4`},
		{"duplicate key", `{"Dhcp4": {}, "` + long + `": 1, "` + long + `": 2}`,
			`duplicate key "` + strings.Repeat("k", 64) + `…" (10485760 bytes)`},
		{"subnet", `{"Dhcp4": {"subnet4": [{"id": 1, "subnet": "` + long + `"}]}}`,
			`subnet: "` + strings.Repeat("k", 64) + `…" (10485760 bytes) is not an IPv4 prefix`},
		{"class guard", `{"Dhcp4": {"client-classes": [{"name": "` + long + `x"}],
			"subnet4": [{"id": 1, "subnet": "192.0.2.0/24", "client-classes": ["` + long + `"]}]}}`,
			`names class "` + strings.Repeat("k", 64) + `…" (10485760 bytes), which is not defined in client-classes`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, diags, _ := Parse("t.json", []byte(tt.src), nil)
			found := false
			for _, d := range diags {
				if len(d.String()) > 400 {
					t.Errorf("a message of %d bytes: %.200s...", len(d.String()), d.String())
				}
				found = found || strings.Contains(d.Msg, tt.want)
			}
			if !found {
				var msgs []string
				for _, d := range diags {
					msgs = append(msgs, d.String()[:min(len(d.String()), 300)])
				}
				t.Errorf("no message containing %q in:\n%s", tt.want, strings.Join(msgs, "\n"))
			}
		})
	}
}
