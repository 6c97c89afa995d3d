package config

import (
	"fmt"
	"strings"
	"testing"
)

// parseAllocs is the number of allocations Parse makes for src.
func parseAllocs(src string) float64 {
	return testing.AllocsPerRun(1, func() { Parse("t.json", []byte(src), nil) })
}

// undefinedClassRefs is a configuration with n classes and a subnet that
// names n other, undefined classes: each name is within edit distance 2
// of every class, so a "did you mean" search compares it with all of
// them.
func undefinedClassRefs(n int) string {
	var b strings.Builder
	b.WriteString(`{"Dhcp4": {"client-classes": [`)
	for i := range n {
		if i > 0 {
			b.WriteString(", ")
		}
		fmt.Fprintf(&b, `{"name": "c%05d"}`, i)
	}
	b.WriteString(`], "subnet4": [{"id": 1, "subnet": "192.0.2.0/24", "client-classes": [`)
	for i := range n {
		if i > 0 {
			b.WriteString(", ")
		}
		fmt.Fprintf(&b, `"u%05d"`, i)
	}
	b.WriteString(`]}]}}`)
	return b.String()
}

// unknownKeywords is a configuration with n unknown keywords, each close
// to a real one.
func unknownKeywords(n int) string {
	var b strings.Builder
	b.WriteString(`{"Dhcp4": {`)
	for i := range n {
		if i > 0 {
			b.WriteString(", ")
		}
		fmt.Fprintf(&b, `"valid-lifetim%05d": 1`, i)
	}
	b.WriteString(`}}`)
	return b.String()
}

// TestSuggestionsBounded: once the loader stops reporting (after
// MaxDiagnostics problems), it stops looking for "did you mean"
// suggestions too, so that a configuration of many undefined class names
// costs time linear in its size, not in the product of its names and
// classes (2,000 of each, 64 KB, took seconds), and one of many unknown
// keywords does not compare each with every keyword of its scope. The
// work is measured in allocations, which the searches make on every
// comparison, not in time.
func TestSuggestionsBounded(t *testing.T) {
	small, large := parseAllocs(undefinedClassRefs(400)), parseAllocs(undefinedClassRefs(1600))
	// Four times the names and classes: four times the work when
	// linear, sixteen when every name is compared with every class.
	if large > 6*small {
		t.Errorf("undefined class names: %.0f allocations for 400, %.0f for 1600 (%.1f times); want linear growth", small, large, large/small)
	}
	small, large = parseAllocs(unknownKeywords(2000)), parseAllocs(unknownKeywords(4000))
	if perKey := (large - small) / 2000; perKey > 10 {
		t.Errorf("unknown keywords past the reporting limit: %.0f allocations each; want a few (reading the key and its value)", perKey)
	}
}
