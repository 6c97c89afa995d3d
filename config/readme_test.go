package config

import (
	"fmt"
	"os"
	"strings"
	"testing"
)

// TestReadmeListsNotSupported keeps the README's compatibility table equal
// to what the loader rejects as not supported yet.
func TestReadmeListsNotSupported(t *testing.T) {
	readme, err := os.ReadFile("../README.md")
	if err != nil {
		t.Fatal(err)
	}
	// Count the rows of the table in the compatibility section only.
	section := string(readme)
	if i := strings.Index(section, "## Compatibility with Kea"); i >= 0 {
		section = section[i:]
		if j := strings.Index(section[3:], "\n## "); j >= 0 {
			section = section[:j+3]
		}
	} else {
		t.Fatal("README.md has no compatibility section")
	}
	rows := 0
	for _, line := range strings.Split(section, "\n") {
		if strings.HasPrefix(line, "| `") {
			rows++
		}
	}
	list := NotSupported()
	for _, u := range list {
		when := u.When
		if when == "" {
			when = "any value"
		}
		row := fmt.Sprintf("| `%s` | %s | %s | %s |", u.Keyword, u.Scope, when, u.Reason)
		if !strings.Contains(section, row) {
			t.Errorf("README.md lacks the row\n%s", row)
		}
	}
	if rows != len(list) {
		t.Errorf("README.md has %d rows in its tables, NotSupported lists %d", rows, len(list))
	}
}
