package main

import (
	"bytes"
	"strings"
	"testing"
)

func run(t *testing.T, input string) (string, bool) {
	t.Helper()
	var out bytes.Buffer
	s := &summary{out: &out, buf: map[key][]string{}}
	if err := s.read(strings.NewReader(input)); err != nil {
		t.Fatal(err)
	}
	ok := s.report()
	return out.String(), ok
}

func TestSummary(t *testing.T) {
	in := `{"Action":"start","Package":"p"}
{"Action":"run","Package":"p","Test":"TestA"}
{"Action":"output","Package":"p","Test":"TestA","Output":"=== RUN   TestA\n"}
{"Action":"pass","Package":"p","Test":"TestA"}
{"Action":"run","Package":"p","Test":"TestB"}
{"Action":"output","Package":"p","Test":"TestB","Output":"    b_test.go:9: wrong answer 41\n"}
{"Action":"fail","Package":"p","Test":"TestB"}
{"Action":"run","Package":"p","Test":"TestC"}
{"Action":"output","Package":"p","Test":"TestC","Output":"    c_test.go:3: needs root\n"}
{"Action":"output","Package":"p","Test":"TestC","Output":"--- SKIP: TestC (0.00s)\n"}
{"Action":"skip","Package":"p","Test":"TestC"}
{"Action":"output","Package":"p","Output":"FAIL\tp\t0.1s\n"}
{"Action":"fail","Package":"p"}
{"Action":"skip","Package":"q"}
not json: vet says hi
`
	out, ok := run(t, in)
	if ok {
		t.Error("a failed test reported as success")
	}
	for _, want := range []string{
		"wrong answer 41", "FAILED  p TestB", "SKIPPED p TestC: c_test.go:3: needs root",
		"FAILED package p", "packages: 0 ok, 1 failed, 1 without tests",
		"tests: 1 passed, 1 failed, 1 skipped", "not json: vet says hi", "FAIL\tp\t0.1s",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("output lacks %q:\n%s", want, out)
		}
	}
	if strings.Contains(out, "=== RUN   TestA") {
		t.Errorf("passing test's output shown:\n%s", out)
	}
}

func TestSummaryAllPass(t *testing.T) {
	out, ok := run(t, `{"Action":"pass","Package":"p","Test":"TestA"}
{"Action":"pass","Package":"p"}
`)
	if !ok || !strings.HasSuffix(out, "tests: 1 passed, 0 failed, 0 skipped\n") {
		t.Errorf("ok=%v, output:\n%s", ok, out)
	}
}

func TestSummaryNothingRan(t *testing.T) {
	out, ok := run(t, `{"Action":"skip","Package":"p"}`+"\n")
	if ok || !strings.Contains(out, "no test ran") {
		t.Errorf("ok=%v, output:\n%s", ok, out)
	}
}

func TestSummaryBuildFailureAndPanic(t *testing.T) {
	in := `{"ImportPath":"p [p.test]","Action":"build-output","Output":"p/x.go:1:1: syntax error\n"}
{"ImportPath":"p [p.test]","Action":"build-fail"}
{"Action":"pass","Package":"r","Test":"TestOK"}
{"Action":"run","Package":"q","Test":"TestHang"}
{"Action":"output","Package":"q","Test":"TestHang","Output":"still waiting\n"}
{"Action":"output","Package":"q","Output":"panic: test timed out after 1s\n"}
{"Action":"fail","Package":"q"}
`
	out, ok := run(t, in)
	if ok {
		t.Error("build failure reported as success")
	}
	for _, want := range []string{"syntax error", "FAILED package p [p.test] (build failed)", "still waiting", "panic: test timed out", "FAILED package q"} {
		if !strings.Contains(out, want) {
			t.Errorf("output lacks %q:\n%s", want, out)
		}
	}
}
