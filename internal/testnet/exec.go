//go:build linux

package testnet

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// waitDelay bounds how long Wait waits for a killed command's output pipes
// to close (a grandchild may still hold them).
const waitDelay = 2 * time.Second

// command builds "ip netns exec NS name args..." in its own process group.
// Cancelling ctx kills the whole group.
func (ns *NS) command(ctx context.Context, name string, args ...string) (*exec.Cmd, error) {
	ip, err := lookPath("ip")
	if err != nil {
		return nil, err
	}
	cmd := exec.CommandContext(ctx, ip, append([]string{"netns", "exec", ns.name, name}, args...)...)
	cmd.Env = commandEnv()
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	cmd.Cancel = func() error { return killGroup(cmd) }
	cmd.WaitDelay = waitDelay
	return cmd, nil
}

// commandEnv is the environment for every command: the test's own, with
// the sbin directories on PATH and a fixed locale so output parses.
func commandEnv() []string {
	env := make([]string, 0, len(os.Environ())+2)
	path := "/usr/local/bin:/usr/bin:/bin"
	for _, kv := range os.Environ() {
		switch {
		case strings.HasPrefix(kv, "PATH="):
			path = strings.TrimPrefix(kv, "PATH=")
		case strings.HasPrefix(kv, "LC_ALL="), strings.HasPrefix(kv, "LANG="):
		default:
			env = append(env, kv)
		}
	}
	for _, d := range sbinDirs {
		if !strings.Contains(":"+path+":", ":"+d+":") {
			path += ":" + d
		}
	}
	return append(env, "PATH="+path, "LC_ALL=C")
}

// killGroup sends SIGKILL to the process group the command leads.
func killGroup(cmd *exec.Cmd) error {
	if cmd.Process == nil {
		return nil
	}
	err := syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL)
	if errors.Is(err, syscall.ESRCH) {
		return os.ErrProcessDone
	}
	return err
}

// Run runs name with args inside the namespace and returns its combined
// output. It fails if the command exits non-zero; the error then includes
// the output. Cancelling ctx kills the command and everything it started.
func (ns *NS) Run(ctx context.Context, name string, args ...string) (string, error) {
	cmd, err := ns.command(ctx, name, args...)
	if err != nil {
		return "", err
	}
	var out bytes.Buffer
	cmd.Stdout = &out
	cmd.Stderr = &out
	err = cmd.Run()
	if err != nil {
		return out.String(), fmt.Errorf("netns %s: %s: %w%s", ns.name, quoteArgs(name, args), err, IndentOutput(out.String()))
	}
	return out.String(), nil
}

// MustRun is Run that fails the test on error. It must be called from the
// test's goroutine.
func (ns *NS) MustRun(t testing.TB, name string, args ...string) string {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	out, err := ns.Run(ctx, name, args...)
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// Proc is a process started in a namespace with NS.Start.
type Proc struct {
	desc    string
	cmd     *exec.Cmd
	outPath string
	done    chan struct{}
	err     error // set before done is closed
	stop    sync.Once
	stopErr error
}

// Start starts name with args inside the namespace, in its own process
// group, with stdout and stderr going to a file in the test's temporary
// directory. Cancelling ctx kills the whole group. The process is stopped
// when the test ends, and its output is logged if the test failed.
func (ns *NS) Start(ctx context.Context, name string, args ...string) (*Proc, error) {
	cmd, err := ns.command(ctx, name, args...)
	if err != nil {
		return nil, err
	}
	f, err := os.CreateTemp(ns.dir, "proc-*.out")
	if err != nil {
		return nil, fmt.Errorf("netns %s: output file for %s: %w", ns.name, name, err)
	}
	defer f.Close()
	cmd.Stdout = f
	cmd.Stderr = f
	p := &Proc{
		desc:    fmt.Sprintf("netns %s: %s", ns.name, quoteArgs(name, args)),
		cmd:     cmd,
		outPath: f.Name(),
		done:    make(chan struct{}),
	}
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("%s: %w", p.desc, err)
	}
	go func() {
		p.err = cmd.Wait()
		close(p.done)
	}()
	t := ns.t
	t.Cleanup(func() {
		if err := p.Stop(5 * time.Second); err != nil {
			t.Errorf("cleanup: %v", err)
		}
		if t.Failed() {
			t.Logf("%s (pid %d) output:%s", p.desc, p.Pid(), IndentOutput(Tail(p.Output(), 8192)))
		}
	})
	return p, nil
}

// Pid returns the process id: the command itself, since ip netns exec
// execs it.
func (p *Proc) Pid() int { return p.cmd.Process.Pid }

// Signal sends sig to the process (not its group).
func (p *Proc) Signal(sig os.Signal) error {
	if p.Exited() {
		return fmt.Errorf("%s: signal %v: %w", p.desc, sig, os.ErrProcessDone)
	}
	if err := p.cmd.Process.Signal(sig); err != nil {
		return fmt.Errorf("%s: signal %v: %w", p.desc, sig, err)
	}
	return nil
}

// Done is closed when the process has exited.
func (p *Proc) Done() <-chan struct{} { return p.done }

// Exited reports whether the process has exited.
func (p *Proc) Exited() bool {
	select {
	case <-p.done:
		return true
	default:
		return false
	}
}

// Wait waits for the process to exit and returns its exit error, or ctx's
// error if ctx ends first (the process keeps running then).
func (p *Proc) Wait(ctx context.Context) error {
	select {
	case <-p.done:
		return p.err
	case <-ctx.Done():
		return fmt.Errorf("%s: waiting for exit: %w", p.desc, ctx.Err())
	}
}

// ExitErr returns the exit error once the process has exited (nil for
// exit status 0), and nil while it runs.
func (p *Proc) ExitErr() error {
	if !p.Exited() {
		return nil
	}
	return p.err
}

// Stop sends SIGTERM, waits up to grace for the process to exit, then
// kills its whole process group. Any process left in the group after the
// leader exits is killed too. Stop does not treat the exit status as an
// error; it fails only if the process cannot be stopped. It is safe to call
// more than once.
func (p *Proc) Stop(grace time.Duration) error {
	p.stop.Do(func() {
		if !p.Exited() {
			_ = p.cmd.Process.Signal(syscall.SIGTERM)
			select {
			case <-p.done:
			case <-time.After(grace):
			}
		}
		_ = syscall.Kill(-p.cmd.Process.Pid, syscall.SIGKILL)
		select {
		case <-p.done:
		case <-time.After(grace + waitDelay):
			p.stopErr = fmt.Errorf("%s (pid %d): still running after SIGKILL", p.desc, p.Pid())
		}
	})
	return p.stopErr
}

// Output returns everything the process wrote to stdout and stderr so far.
func (p *Proc) Output() string {
	b, err := os.ReadFile(p.outPath)
	if err != nil {
		return fmt.Sprintf("(output unavailable: %v)", err)
	}
	return string(b)
}

// String describes the process for messages.
func (p *Proc) String() string { return p.desc }

func quoteArgs(name string, args []string) string {
	var b strings.Builder
	b.WriteString(name)
	for _, a := range args {
		b.WriteByte(' ')
		if a == "" || strings.ContainsAny(a, " \t\n'\"\\$") {
			fmt.Fprintf(&b, "%q", a)
		} else {
			b.WriteString(a)
		}
	}
	return b.String()
}

// IndentOutput formats command output for a test's message: on lines of
// their own, each marked "\t| ", or " (no output)" when there is none.
func IndentOutput(s string) string {
	s = strings.TrimRight(s, "\n")
	if s == "" {
		return " (no output)"
	}
	return "\n\t| " + strings.ReplaceAll(s, "\n", "\n\t| ")
}

// Tail returns at most the last n bytes of s, cut at a line start and
// marked "[...]" when anything was cut: the end of a long log.
func Tail(s string, n int) string {
	if len(s) <= n {
		return s
	}
	s = s[len(s)-n:]
	if i := strings.IndexByte(s, '\n'); i >= 0 {
		s = s[i+1:]
	}
	return "[...]\n" + s
}
