package meshd

import (
	"bytes"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

// startProcess gives the child /dev/null as stdin, this process's
// environment unless told otherwise, and its output to any io.Writer,
// all copied by the time wait returns; without Out the output goes
// nowhere.
func TestStartProcess(t *testing.T) {
	t.Setenv("LEASED_PROC_TEST", "inherited")
	dir := t.TempDir()
	var out bytes.Buffer
	p, err := startProcess(procSpec{
		Argv: []string{"/bin/sh", "-c", `echo "in=[$(cat)] env=$LEASED_PROC_TEST dir=$(pwd) args=$0 $1"; echo err >&2`, "a", "b"},
		Dir:  dir, Out: &out,
	})
	if err != nil {
		t.Fatal(err)
	}
	if err := p.wait(); err != nil {
		t.Fatal(err)
	}
	want := "in=[] env=inherited dir=" + dir + " args=a b\nerr\n"
	if out.String() != want {
		t.Errorf("output %q, want %q", out.String(), want)
	}

	p, err = startProcess(procSpec{Argv: []string{"/bin/sh", "-c", `echo "env=[$LEASED_PROC_TEST]" > ` + filepath.Join(dir, "f") + `; echo discarded`}, Env: []string{"PATH=/bin"}})
	if err != nil {
		t.Fatal(err)
	}
	if err := p.wait(); err != nil {
		t.Fatal(err)
	}
	if b, _ := os.ReadFile(filepath.Join(dir, "f")); string(b) != "env=[]\n" {
		t.Errorf("with Env set the child saw %q", b)
	}

	if _, err := startProcess(procSpec{Argv: []string{filepath.Join(dir, "no-such-program")}, Out: &out}); err == nil || !strings.Contains(err.Error(), "no-such-program") {
		t.Errorf("starting a missing program: %v", err)
	}
}

// TestStartProcessDiscard: a child whose output is discarded (the hook's,
// by default) writes to /dev/null, so wait returns when it exits even
// though a background process it started lives on; with a pipe, wait
// would last as long as that process, and hold the hook's slot.
func TestStartProcessDiscard(t *testing.T) {
	pidFile := filepath.Join(t.TempDir(), "pid")
	p, err := startProcess(procSpec{Argv: []string{"/bin/sh", "-c", `sleep 600 & echo $! > ` + pidFile}, Out: io.Discard})
	if err != nil {
		t.Fatal(err)
	}
	waited := make(chan error, 1)
	go func() { waited <- p.wait() }()
	defer func() {
		b, _ := os.ReadFile(pidFile)
		if pid, err := strconv.Atoi(strings.TrimSpace(string(b))); err == nil {
			syscall.Kill(pid, syscall.SIGKILL)
		}
	}()
	select {
	case err := <-waited:
		if err != nil {
			t.Fatal(err)
		}
	case <-time.After(20 * time.Second): // a hang, not a speed: the child exits at once
		t.Fatal("wait has not returned while the child's background process runs")
	}
}
