package config

import (
	"fmt"
	"os"
	"strings"
	"testing"
)

// Headers of the README's two tables.
const (
	notSupportedHeader = "| keyword | scope | rejected when | why |"
	noEffectHeader     = "| keyword | scope | when | warns | why |"
)

// readmeTable returns the rows of the table under header in the README's
// compatibility section.
func readmeTable(t *testing.T, header string) []string {
	t.Helper()
	readme, err := os.ReadFile("../README.md")
	if err != nil {
		t.Fatal(err)
	}
	section := string(readme)
	i := strings.Index(section, "## Compatibility with Kea")
	if i < 0 {
		t.Fatal("README.md has no compatibility section")
	}
	section = section[i:]
	if j := strings.Index(section[3:], "\n## "); j >= 0 {
		section = section[:j+3]
	}
	i = strings.Index(section, "\n"+header+"\n")
	if i < 0 {
		t.Fatalf("the compatibility section of README.md has no table headed\n%s", header)
	}
	var rows []string
	for n, line := range strings.Split(section[i+1:], "\n") {
		if n < 2 { // the header and its rule
			continue
		}
		if !strings.HasPrefix(line, "|") {
			break
		}
		rows = append(rows, line)
	}
	return rows
}

func notSupportedRows() []string {
	var rows []string
	for _, u := range NotSupported() {
		when := u.When
		if when == "" {
			when = "any value"
		}
		rows = append(rows, fmt.Sprintf("| `%s` | %s | %s | %s |", u.Keyword, u.Scope, when, u.Reason))
	}
	return rows
}

func noEffectRows() []string {
	var rows []string
	for _, e := range NoEffect() {
		when := e.When
		if when == "" {
			when = "any value"
		}
		warns := "no"
		if e.Warns {
			warns = "yes"
		}
		rows = append(rows, fmt.Sprintf("| `%s` | %s | %s | %s | %s |", e.Keyword, e.Scope, when, warns, e.Reason))
	}
	return rows
}

func compareRows(t *testing.T, what string, got, want []string) {
	t.Helper()
	for i := 0; i < max(len(got), len(want)); i++ {
		switch {
		case i >= len(got):
			t.Errorf("README.md's %s table lacks the row\n%s", what, want[i])
		case i >= len(want):
			t.Errorf("README.md's %s table has a row the code does not list\n%s", what, got[i])
		case got[i] != want[i]:
			t.Errorf("README.md's %s table, row %d:\n%s\nthe code lists\n%s", what, i+1, got[i], want[i])
		}
	}
}

// TestReadmeListsNotSupported keeps the README's table of what is
// rejected equal to what the loader rejects as not supported yet.
func TestReadmeListsNotSupported(t *testing.T) {
	compareRows(t, "not-supported", readmeTable(t, notSupportedHeader), notSupportedRows())
}

// TestReadmeListsNoEffect keeps the README's table of what is accepted
// without effect equal to NoEffect.
func TestReadmeListsNoEffect(t *testing.T) {
	compareRows(t, "no-effect", readmeTable(t, noEffectHeader), noEffectRows())
}

// TestNoEffectKeywordsAreKea checks that every entry of NoEffect and
// NotSupported names a keyword Kea accepts in each scope it lists (a
// value of a keyword for the few that are not keywords of their own).
func TestNoEffectKeywordsAreKea(t *testing.T) {
	check := func(kw, scopes string) {
		for _, sc := range strings.Split(scopes, ", ") {
			if kw == "binding-variables" {
				continue // a key inside hooks-libraries parameters
			}
			if !strings.Contains(" "+keaKeywords[sc]+" ", " "+kw+" ") {
				t.Errorf("%q is not a Kea keyword of %s", kw, sc)
			}
		}
	}
	for _, e := range NoEffect() {
		check(e.Keyword, e.Scope)
	}
	for _, u := range NotSupported() {
		check(u.Keyword, u.Scope)
	}
}
