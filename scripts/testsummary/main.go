// Command testsummary reads "go test -json" on standard input and writes a
// readable log: each package's result line, the full output of every test
// that failed, the reason of every skipped test, build errors, and a final
// count of tests passed, failed and skipped. It exits 1 if any test or
// package failed, or if the input held no test result at all.
//
// scripts/test pipes "go test -json" through it.
package main

import (
	"bufio"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"sort"
	"strings"
)

// event is one line of "go test -json" (test2json's TestEvent, plus the
// build events' ImportPath).
type event struct {
	Action     string
	Package    string
	Test       string
	Elapsed    float64
	Output     string
	ImportPath string
}

type key struct{ pkg, test string }

type summary struct {
	out      io.Writer
	buf      map[key][]string // output of running tests
	passed   int
	failed   []string
	skipped  []string
	pkgOK    int
	pkgFail  []string
	pkgEmpty int
}

func main() {
	s := &summary{out: os.Stdout, buf: map[key][]string{}}
	if err := s.read(os.Stdin); err != nil {
		fmt.Fprintf(os.Stderr, "testsummary: %v\n", err)
		os.Exit(2)
	}
	if !s.report() {
		os.Exit(1)
	}
}

func (s *summary) read(r io.Reader) error {
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 1<<20), 64<<20)
	for sc.Scan() {
		line := sc.Bytes()
		var e event
		if len(line) == 0 || line[0] != '{' || json.Unmarshal(line, &e) != nil {
			// go vet / build errors outside JSON: pass them through.
			fmt.Fprintln(s.out, string(line))
			continue
		}
		s.handle(e)
	}
	return sc.Err()
}

func (s *summary) handle(e event) {
	switch e.Action {
	case "build-output":
		fmt.Fprint(s.out, e.Output)
		return
	case "build-fail":
		s.pkgFail = append(s.pkgFail, e.ImportPath+" (build failed)")
		return
	}
	if e.Test == "" {
		s.handlePackage(e)
		return
	}
	k := key{e.Package, e.Test}
	switch e.Action {
	case "output":
		s.buf[k] = append(s.buf[k], e.Output)
	case "pass":
		s.passed++
		delete(s.buf, k)
	case "fail":
		s.failed = append(s.failed, e.Package+" "+e.Test)
		fmt.Fprintf(s.out, "--- FAIL output of %s %s:\n%s", e.Package, e.Test, strings.Join(s.buf[k], ""))
		delete(s.buf, k)
	case "skip":
		reason := skipReason(s.buf[k])
		s.skipped = append(s.skipped, fmt.Sprintf("%s %s: %s", e.Package, e.Test, reason))
		delete(s.buf, k)
	}
}

func (s *summary) handlePackage(e event) {
	switch e.Action {
	case "output":
		// The package's own lines: "ok ...", "FAIL ...", panics, timeouts.
		if strings.TrimSpace(e.Output) != "PASS" {
			fmt.Fprint(s.out, e.Output)
		}
	case "pass":
		s.pkgOK++
	case "fail":
		s.pkgFail = append(s.pkgFail, e.Package)
		// Tests still running when the package failed (a panic or a
		// timeout) never get their own event: show what they printed.
		var running []key
		for k := range s.buf {
			if k.pkg == e.Package {
				running = append(running, k)
			}
		}
		sort.Slice(running, func(i, j int) bool { return running[i].test < running[j].test })
		for _, k := range running {
			fmt.Fprintf(s.out, "--- output of %s %s (unfinished):\n%s", k.pkg, k.test, strings.Join(s.buf[k], ""))
			delete(s.buf, k)
		}
	case "skip":
		s.pkgEmpty++
	}
}

// skipReason picks the message a skipped test logged.
func skipReason(out []string) string {
	var lines []string
	for _, o := range out {
		t := strings.TrimSpace(o)
		if t == "" || strings.HasPrefix(t, "=== ") || strings.HasPrefix(t, "--- SKIP") {
			continue
		}
		lines = append(lines, t)
	}
	if len(lines) == 0 {
		return "(no reason given)"
	}
	return strings.Join(lines, " ")
}

// report prints the totals and returns whether everything passed.
func (s *summary) report() bool {
	w := s.out
	fmt.Fprintln(w, "")
	fmt.Fprintln(w, "==================== test summary ====================")
	for _, sk := range s.skipped {
		fmt.Fprintf(w, "SKIPPED %s\n", sk)
	}
	for _, f := range s.failed {
		fmt.Fprintf(w, "FAILED  %s\n", f)
	}
	for _, p := range s.pkgFail {
		fmt.Fprintf(w, "FAILED package %s\n", p)
	}
	fmt.Fprintf(w, "packages: %d ok, %d failed, %d without tests\n", s.pkgOK, len(s.pkgFail), s.pkgEmpty)
	fmt.Fprintf(w, "tests: %d passed, %d failed, %d skipped\n", s.passed, len(s.failed), len(s.skipped))
	ok := len(s.failed) == 0 && len(s.pkgFail) == 0 && s.passed > 0
	if s.passed == 0 && len(s.failed) == 0 {
		fmt.Fprintln(w, "no test ran")
	}
	return ok
}
