//go:build linux

package testnet

import (
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"sync"
	"syscall"
	"testing"
	"time"
)

// Helpers for tests that run Kea programs from Debian (kea-dhcp4,
// kea-ctrl-agent) next to leased: on loopback or in a namespace of the
// test's own, as nobody when the test runs as root, from a directory of
// the test's.

// KeaBinary returns the path of a Kea program: on PATH, else in the sbin
// directories where Debian puts it (a non-login shell's PATH may lack
// them). A program found nowhere is named as /usr/sbin/name, so that
// starting it fails with that path in the message.
func KeaBinary(name string) string {
	if p, err := lookPath(name); err == nil {
		return p
	}
	return filepath.Join("/usr/sbin", name)
}

// KeaHooksDir returns the directory of Kea's hook libraries, the one that
// holds lib (e.g. "libdhcp_ha.so"). Without it the test is skipped, or
// fails under LEASED_REQUIRE_E2E=1.
func KeaHooksDir(t testing.TB, lib string) string {
	t.Helper()
	m, _ := filepath.Glob(filepath.Join("/usr/lib/*/kea/hooks", lib))
	if len(m) == 0 {
		m, _ = filepath.Glob(filepath.Join("/usr/lib/kea/hooks", lib))
	}
	if len(m) == 0 {
		SkipOrFail(t, fmt.Sprintf("Kea hook library %s not found in /usr/lib/*/kea/hooks (Debian's kea-dhcp4-server)", lib))
		return ""
	}
	return filepath.Dir(m[0])
}

// UnprivilegedDir returns a temporary directory of the test's in which
// a program running as nobody can write: it and the directories above it
// up to the system's temporary directory are made world-writable (they
// are the test's own and removed with it).
func UnprivilegedDir(t testing.TB) string {
	t.Helper()
	dir := t.TempDir()
	for d := dir; d != os.TempDir() && d != "/"; d = filepath.Dir(d) {
		if err := os.Chmod(d, 0o777); err != nil {
			t.Fatalf("making %s writable for an unprivileged program: %v", d, err)
		}
	}
	return dir
}

// FreeTCPPort returns a TCP port free on host at the time of the call,
// for a program that listens on it next.
func FreeTCPPort(t testing.TB, host string) int {
	t.Helper()
	l, err := net.Listen("tcp4", net.JoinHostPort(host, "0"))
	if err != nil {
		t.Fatalf("a free TCP port on %s: %v", host, err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}

// FreeUDPPort returns a UDP port free on host at the time of the call.
func FreeUDPPort(t testing.TB, host string) int {
	t.Helper()
	c, err := net.ListenPacket("udp4", net.JoinHostPort(host, "0"))
	if err != nil {
		t.Fatalf("a free UDP port on %s: %v", host, err)
	}
	defer c.Close()
	return c.LocalAddr().(*net.UDPAddr).Port
}

// KeaOptions are the optional parts of StartKea.
type KeaOptions struct {
	// Args follow "-c <config file>" on the command line (e.g. kea-dhcp4's
	// -p and -P ports).
	Args []string
	// Env is added to the program's environment, which otherwise holds
	// only KEA_LOCKFILE_DIR, KEA_PIDFILE_DIR (the directory) and PATH;
	// e.g. "TZ=..." for the time zone Kea writes local times in.
	Env []string
	// LogFile is a file Kea's loggers write to, shown with the program's
	// output when the test fails.
	LogFile string
	// NS, when set, is the network namespace the program runs in.
	NS *NS
	// AmbientCaps are capabilities the unprivileged program keeps, e.g.
	// CAP_NET_BIND_SERVICE to bind port 67 in the test's namespace.
	AmbientCaps []uintptr
}

// KeaProc is a Kea program started by StartKea.
type KeaProc struct {
	prog    string
	cmd     *exec.Cmd
	outPath string
	done    chan struct{}
	err     error // set before done is closed
	stop    sync.Once
}

// StartKea writes cfg to dir/<prog>.json and runs the Kea program prog on
// it from dir, with its output to dir/<prog>.out. When the test runs as
// root the program runs as nobody (dir is given to nobody, so it must be
// one the test can hand over, e.g. from UnprivilegedDir), and it is killed
// if the test process dies. It is stopped when the test ends, and its
// output (after LogFile's end, when set) is logged if the test failed.
func StartKea(t testing.TB, dir, prog, cfg string, o KeaOptions) *KeaProc {
	t.Helper()
	file := filepath.Join(dir, prog+".json")
	if err := os.WriteFile(file, []byte(cfg), 0o644); err != nil {
		t.Fatalf("%s configuration: %v", prog, err)
	}
	out, err := os.Create(filepath.Join(dir, prog+".out"))
	if err != nil {
		t.Fatalf("%s output file: %v", prog, err)
	}
	defer out.Close()
	cmd := exec.Command(KeaBinary(prog), append([]string{"-c", file}, o.Args...)...)
	cmd.Dir = dir
	cmd.Env = append([]string{"KEA_LOCKFILE_DIR=" + dir, "KEA_PIDFILE_DIR=" + dir, "PATH=/usr/sbin:/usr/bin:/sbin:/bin"}, o.Env...)
	cmd.Stdout, cmd.Stderr = out, out
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL, AmbientCaps: o.AmbientCaps}
	if os.Geteuid() == 0 {
		cred, err := Nobody()
		if err != nil {
			t.Fatalf("running %s unprivileged: %v", prog, err)
		}
		if err := os.Chown(dir, int(cred.Uid), int(cred.Gid)); err != nil {
			t.Fatalf("giving %s to nobody for %s: %v", dir, prog, err)
		}
		cmd.SysProcAttr.Credential = cred
	}
	start := cmd.Start
	if o.NS != nil {
		start = func() error { return o.NS.Do(cmd.Start) }
	}
	if err := start(); err != nil {
		t.Fatalf("starting %s: %v", prog, err)
	}
	p := &KeaProc{prog: prog, cmd: cmd, outPath: out.Name(), done: make(chan struct{})}
	go func() { p.err = cmd.Wait(); close(p.done) }()
	t.Cleanup(func() {
		p.Stop()
		if t.Failed() {
			text := IndentOutput(Tail(p.Output(), 4000))
			if o.LogFile != "" {
				b, _ := os.ReadFile(o.LogFile)
				text = fmt.Sprintf("%s\n%s output:%s", IndentOutput(Tail(string(b), 6000)), prog, text)
			}
			t.Logf("%s (exit %v):%s", prog, p.ExitErr(), text)
		}
	})
	return p
}

// Pid returns the program's process id.
func (p *KeaProc) Pid() int { return p.cmd.Process.Pid }

// Done is closed when the program has exited.
func (p *KeaProc) Done() <-chan struct{} { return p.done }

// ExitErr returns how the program exited (nil for status 0), and nil
// while it runs.
func (p *KeaProc) ExitErr() error {
	select {
	case <-p.done:
		return p.err
	default:
		return nil
	}
}

// Wait waits up to timeout for the program to exit by itself and returns
// how it exited; an error naming the program if it still runs then.
func (p *KeaProc) Wait(timeout time.Duration) (exitErr error, err error) {
	select {
	case <-p.done:
		return p.err, nil
	case <-time.After(timeout):
		return nil, fmt.Errorf("%s still runs after %v", p.prog, timeout)
	}
}

// Stop sends SIGTERM, kills the program if it has not exited within 5 s,
// and waits for it. It is safe to call more than once and after the
// program has exited.
func (p *KeaProc) Stop() {
	p.stop.Do(func() {
		select {
		case <-p.done:
			return
		default:
		}
		p.cmd.Process.Signal(syscall.SIGTERM)
		select {
		case <-p.done:
		case <-time.After(5 * time.Second):
			p.cmd.Process.Kill()
			<-p.done
		}
	})
}

// Kill kills the program at once, as a crash would, and waits for it.
func (p *KeaProc) Kill() {
	p.cmd.Process.Kill()
	<-p.done
}

// Output returns what the program wrote to stdout and stderr so far.
func (p *KeaProc) Output() string {
	b, err := os.ReadFile(p.outPath)
	if err != nil {
		return fmt.Sprintf("(output of %s unavailable: %v)", p.prog, err)
	}
	return string(b)
}
