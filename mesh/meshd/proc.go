package meshd

import (
	"fmt"
	"io"
	"os"
	"syscall"
)

// process is a child started by startProcess.
//
// The node starts children itself (the hook, and its own copy for -d)
// rather than through os/exec: os/exec alone adds about 130 KB to the
// small build for routers (cmd/leased-mesh), and the node needs none of
// what it adds (path lookup, contexts, several pipes).
type process struct {
	p      *os.Process
	copied chan struct{} // closed when the output is copied; nil when the child writes to a file
}

// procSpec is what startProcess starts: argv[0] is the program's path
// (no lookup in PATH), Env nil means this process's environment, Out nil
// or io.Discard means /dev/null. Stdin is always /dev/null.
type procSpec struct {
	Argv []string
	Dir  string
	Env  []string
	Out  io.Writer // stdout and stderr
	Sys  *syscall.SysProcAttr
}

// startProcess starts a child as os/exec's Cmd.Start would for the same
// settings: an Out that is not an *os.File gets a pipe whose content a
// goroutine copies to it, and wait returns once the copy is done.
func startProcess(s procSpec) (*process, error) {
	null, err := os.OpenFile(os.DevNull, os.O_RDWR, 0)
	if err != nil {
		return nil, fmt.Errorf("start %s: %w", s.Argv[0], err)
	}
	defer null.Close()
	out := null
	var r, w *os.File
	if s.Out == io.Discard {
		// /dev/null, not a pipe: nothing to copy, and wait does not
		// wait for a background child of the hook (that inherited the
		// pipe) to close its end of it.
		s.Out = nil
	}
	switch o := s.Out.(type) {
	case nil:
	case *os.File:
		out = o
	default:
		if r, w, err = os.Pipe(); err != nil {
			return nil, fmt.Errorf("start %s: output pipe: %w", s.Argv[0], err)
		}
		out = w
	}
	p, err := os.StartProcess(s.Argv[0], s.Argv, &os.ProcAttr{
		Dir: s.Dir, Env: s.Env, Files: []*os.File{null, out, out}, Sys: s.Sys,
	})
	if w != nil {
		w.Close() // the child has its own copy; EOF comes when it (and its children) close theirs
	}
	if err != nil {
		if r != nil {
			r.Close()
		}
		return nil, err
	}
	pr := &process{p: p}
	if r != nil {
		pr.copied = make(chan struct{})
		go func() {
			defer close(pr.copied)
			io.Copy(s.Out, r)
			r.Close()
		}()
	}
	return pr, nil
}

// wait waits for the child to exit and its output to be copied.
func (pr *process) wait() error {
	_, err := pr.p.Wait()
	if pr.copied != nil {
		<-pr.copied
	}
	return err
}
