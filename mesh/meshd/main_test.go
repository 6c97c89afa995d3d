package meshd

import (
	"bytes"
	"context"
	"log/slog"
	"net"
	"net/netip"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/leased/leased/dhcpserver/dhcptest"
	"github.com/leased/leased/dhcpv4"
	"github.com/leased/leased/mesh"
)

// waitFile waits until the file at path holds want.
func waitFile(t *testing.T, path, want string) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for {
		b, _ := os.ReadFile(path)
		if string(b) == want {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s holds %q, want %q", path, b, want)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// The hook is a shell script run with ddhcpd's arguments.
func TestHook(t *testing.T) {
	dir := t.TempDir()
	out := filepath.Join(dir, "calls")
	script := filepath.Join(dir, "hook.sh")
	// Not executable: ddhcpd runs it through /bin/sh.
	if err := os.WriteFile(script, []byte("echo \"$*\" >> "+out+"\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	h := newHookRunner(script, os.Stderr, slog.New(slog.DiscardHandler))
	h.run("endlearning")
	waitFile(t, out, "endlearning\n")
	h.run("lease", "10.0.0.5", macString([16]byte{0x02, 0xab, 0, 0, 0, 1}))
	waitFile(t, out, "endlearning\nlease 10.0.0.5 02:AB:00:00:00:01\n")
	h.stop()
	h.run("release", "10.0.0.5", "02:AB:00:00:00:01")
	time.Sleep(50 * time.Millisecond)
	waitFile(t, out, "endlearning\nlease 10.0.0.5 02:AB:00:00:00:01\n")
	var none *hookRunner
	none.run("lease") // no hook: nothing, no panic
}

// Calling the hook never waits for hooks that are still running, however
// many there are: the hook is called from the goroutines that read the
// mesh sockets and run the timers, which must not stall behind a slow
// script. Hooks beyond the ones allowed at once start as others end.
func TestSlowHooksDoNotBlock(t *testing.T) {
	dir := t.TempDir()
	gate, out := filepath.Join(dir, "gate"), filepath.Join(dir, "calls")
	script := filepath.Join(dir, "hook.sh")
	// Each call waits until the gate exists.
	body := "while [ ! -e " + gate + " ]; do sleep 0.02; done\necho \"$*\" >> " + out + "\n"
	if err := os.WriteFile(script, []byte(body), 0o644); err != nil {
		t.Fatal(err)
	}
	h := newHookRunner(script, os.Stderr, slog.New(slog.DiscardHandler))
	// Whatever happens, open the gate at the end and let the hooks finish
	// before the directory goes, so that none is left waiting.
	t.Cleanup(func() {
		h.stop()
		os.WriteFile(gate, nil, 0o644)
		for deadline := time.Now().Add(10 * time.Second); len(h.starts) > 0 && time.Now().Before(deadline); {
			time.Sleep(20 * time.Millisecond)
		}
	})
	const calls = 2*maxHooks + 3
	returned := make(chan struct{})
	go func() {
		defer close(returned)
		for i := range calls {
			h.run("lease", "10.0.0."+strconv.Itoa(i), "02:AB:00:00:00:01")
		}
	}()
	select {
	case <-returned:
	case <-time.After(10 * time.Second):
		t.Fatalf("%d hook calls with every hook still running did not return", calls)
	}
	if err := os.WriteFile(gate, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(20 * time.Second)
	for {
		b, _ := os.ReadFile(out)
		n := strings.Count(string(b), "\n")
		if n == calls {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("%d of %d hooks ran", n, calls)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// The hook runs when a lease is acknowledged and released, with the
// address and the client's MAC.
func TestHookOnLeaseAndRelease(t *testing.T) {
	dir := t.TempDir()
	out := filepath.Join(dir, "calls")
	script := filepath.Join(dir, "hook.sh")
	if err := os.WriteFile(script, []byte("echo \"$*\" >> "+out+"\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	b := newBus(t)
	c := b.add(testConfig(t), nil, newHookRunner(script, os.Stderr, slog.New(slog.DiscardHandler)))
	b.advance(5 * time.Second)
	waitFile(t, out, "endlearning\n")
	a := dora(t, c.handler(), hwA, 1)
	waitFile(t, out, "endlearning\nlease "+a.String()+" 02:AA:00:00:00:01\n")
	serve(t, c.handler(), releaseMsg(a))
	waitFile(t, out, "endlearning\nlease "+a.String()+" 02:AA:00:00:00:01\nrelease "+a.String()+" 02:AA:00:00:00:01\n")
}

func TestOwnOptions(t *testing.T) {
	for _, tc := range []struct {
		args    []string
		dir     string
		noState bool
		copyDir string
		every   time.Duration
		rest    string
		err     string
	}{
		{args: []string{"-L", "-c", "x"}, rest: "-L -c x"},
		{args: []string{"--state-dir", "/s", "-L"}, dir: "/s", rest: "-L"},
		{args: []string{"-d", "--state-dir=/s", "-b", "2"}, dir: "/s", rest: "-d -b 2"},
		{args: []string{"--no-state", "-b", "2"}, noState: true, rest: "-b 2"},
		{args: []string{"-H", "--hook-named-so", "-Lb", "--x"}, rest: "-H --hook-named-so -Lb --x"},
		{args: []string{"-b2", "--no-state"}, noState: true, rest: "-b2"},
		{args: []string{"--", "--no-state"}, rest: "-- --no-state"},
		{args: []string{"--no-state", "--help"}, noState: true, rest: "--help"},
		{args: []string{"--state-dir"}, err: "needs a directory"},
		{args: []string{"--state-dir="}, err: "needs a directory"},
		{args: []string{"--bogus"}, err: "unknown option --bogus"},
		{args: []string{"--no-state=1"}, err: "takes no value"},
		{args: []string{"--no-state", "--state-dir", "/s"}, err: "exclude each other"},
		{args: []string{"--state-copy", "/f", "-L"}, copyDir: "/f", rest: "-L"},
		{args: []string{"--state-copy=/f", "--state-copy-every", "2h"}, copyDir: "/f", every: 2 * time.Hour},
		{args: []string{"--state-copy", "/f", "--state-copy-every=59s"}, err: "at least 1m0s"},
		{args: []string{"--state-copy", "/f", "--state-copy-every", "often"}, err: "want a duration"},
		{args: []string{"--state-copy-every", "2h"}, err: "needs --state-copy"},
		{args: []string{"--state-copy"}, err: "needs a directory"},
		{args: []string{"--no-state", "--state-copy", "/f"}, err: "exclude each other"},
	} {
		o, rest, err := ownOptions(tc.args)
		dir, noState := o.stateDir, o.noState
		switch {
		case tc.err != "":
			if err == nil || !strings.Contains(err.Error(), tc.err) {
				t.Errorf("%q: error %v, want %q", tc.args, err, tc.err)
			}
		case err != nil:
			t.Errorf("%q: %v", tc.args, err)
		case dir != tc.dir || noState != tc.noState || o.copyDir != tc.copyDir || o.copyEvery != tc.every || strings.Join(rest, " ") != tc.rest:
			t.Errorf("%q: %+v %q", tc.args, o, rest)
		}
	}
}

func TestMainUsage(t *testing.T) {
	for _, tc := range []struct {
		args           []string
		code           int
		stdout, stderr string
	}{
		{args: []string{"-h"}, code: 0, stdout: "  -B SECONDS"},
		{args: []string{"--help"}, code: 0, stdout: "  -B SECONDS"},
		{args: []string{"-L", "-help"}, code: 0, stdout: "  -B SECONDS"},
		{args: []string{"-V"}, code: 0, stdout: "leased mesh "},
		{args: []string{"-b", "9"}, code: 2, stderr: "flag -b"},
		{args: []string{"-N", "10.0.0.0/4"}, code: 2, stderr: "-N"},
		{args: []string{"stray"}, code: 2, stderr: `unexpected argument "stray"`},
		{args: []string{"--nope"}, code: 2, stderr: "unknown option --nope"},
		{args: []string{"--no-state", "-i", "no-such-if0", "-S"}, code: 1, stderr: "no-such-if0"},
	} {
		var out, errb bytes.Buffer
		code := Main(context.Background(), tc.args, &out, &errb)
		if code != tc.code || !strings.Contains(out.String(), tc.stdout) || !strings.Contains(errb.String(), tc.stderr) {
			t.Errorf("Main %q: exit %d, stdout %q, stderr %q", tc.args, code, out.String(), errb.String())
		}
	}
}

// MainNamed and CtlMainNamed name the program they run as in their help,
// version and errors (leased-mesh is the node built alone).
func TestMainNamed(t *testing.T) {
	for _, tc := range []struct {
		ctl            bool
		args           []string
		code           int
		stdout, stderr string
	}{
		{args: []string{"-h"}, stdout: "Usage: leased-mesh [--state-dir"},
		{args: []string{"-V"}, stdout: "leased-mesh "},
		{args: []string{"--nope"}, code: 2, stderr: "leased-mesh: unknown option --nope"},
		{ctl: true, args: []string{"-h"}, stdout: "Usage: leased-mesh ctl [-C PATH]"},
		{ctl: true, args: []string{"-V"}, stdout: "leased-mesh ctl "},
		{ctl: true, args: []string{"-q"}, code: 2, stderr: "leased-mesh ctl: "},
	} {
		var out, errb bytes.Buffer
		var code int
		if tc.ctl {
			code = CtlMainNamed(context.Background(), "leased-mesh ctl", tc.args, &out, &errb)
		} else {
			code = MainNamed(context.Background(), "leased-mesh", tc.args, &out, &errb)
		}
		if code != tc.code || !strings.HasPrefix(out.String(), tc.stdout) || !strings.HasPrefix(errb.String(), tc.stderr) {
			t.Errorf("ctl %v %q: exit %d, stdout %q, stderr %q", tc.ctl, tc.args, code, out.String(), errb.String())
		}
	}
}

// Query and CtlMain speak ddhcpd's control protocol to a node's socket.
func TestControlSocket(t *testing.T) {
	b := twoNodes(t)
	c := b.cores[0]
	path := filepath.Join(t.TempDir(), "ctl")
	ln, err := listenControl(path)
	if err != nil {
		t.Fatal(err)
	}
	var level atomic.Int32
	level.Store(-1)
	c.setLevel = func(l int) { level.Store(int32(l)) }
	go c.serveControl(ln)
	defer ln.Close()
	ctx := context.Background()

	var out, errb bytes.Buffer
	if code := CtlMain(ctx, []string{"-C", path, "-b"}, &out, &errb); code != 0 || !strings.Contains(out.String(), "node id\t0200000001010000") {
		t.Errorf("ctl -b: exit %d, %q %q", code, out.String(), errb.String())
	}
	out.Reset()
	if code := CtlMain(ctx, []string{"-C", path, "-o", "3:4:10.0.0.254"}, &out, &errb); code != 0 || out.Len() != 0 {
		t.Errorf("ctl -o: exit %d, %q", code, out.String())
	}
	ans, err := Query(ctx, path, mesh.CtlRequest{Command: mesh.CtlOptionsShow})
	if err != nil || !strings.Contains(string(ans), "3\t4\t10\t0\t0\t254\t\n") {
		t.Errorf("options after -o 3:4:10.0.0.254: %q %v", ans, err)
	}
	if code := CtlMain(ctx, []string{"-C", path, "-v", "4"}, &out, &errb); code != 0 || level.Load() != 4 {
		t.Errorf("ctl -v 4: exit %d, level set to %d", code, level.Load())
	}
	// A malformed request gets the connection closed without an answer.
	conn, err := net.Dial("unix", path)
	if err != nil {
		t.Fatal(err)
	}
	conn.Write([]byte{1, 2})
	conn.SetDeadline(time.Now().Add(2 * time.Second))
	n, _ := conn.Read(make([]byte, 10))
	conn.Close()
	if n != 0 {
		t.Errorf("malformed BLOCK_SHOW answered with %d bytes", n)
	}
	errb.Reset()
	if code := CtlMain(ctx, []string{"-C", filepath.Join(t.TempDir(), "none"), "-b"}, &out, &errb); code != 1 ||
		!strings.Contains(errb.String(), "control socket") {
		t.Errorf("ctl to a missing socket: exit %d, %q", code, errb.String())
	}
	if code := CtlMain(ctx, []string{"-C", path}, &out, &errb); code != 2 {
		t.Errorf("ctl without a command: exit %d", code)
	}
}

// LOG_LEVEL_SET changes the level of a running node: at ddhcpd's level
// L, messages of levels 1 (error) to L are written, none at 0 (fatal).
func TestLogLevel(t *testing.T) {
	b := newBus(t)
	c := b.add(testConfig(t), nil, nil)
	var out bytes.Buffer
	lg := newTextLogger(&out, levelDebug)
	c.log, c.setLevel = lg, lg.setLevel
	for l, want := range [][]string{
		{},
		{"ERROR"},
		{"ERROR", "WARN"},
		{"ERROR", "WARN", "INFO"},
		{"ERROR", "WARN", "INFO", "DEBUG"},
		{"ERROR", "WARN", "INFO", "DEBUG"},
	} {
		c.control(mesh.CtlRequest{Command: mesh.CtlLogLevel, Level: uint8(l)})
		out.Reset()
		c.log.Error("e")
		c.log.Warn("w")
		c.log.Info("i")
		c.log.Debug("d")
		var got []string
		for line := range strings.Lines(out.String()) {
			_, rest, _ := strings.Cut(line, " level=")
			level, _, _ := strings.Cut(rest, " ")
			got = append(got, level)
		}
		if !slices.Equal(got, want) {
			t.Errorf("level %d: logged %q, want %q", l, got, want)
		}
	}
}

func releaseMsg(a netip.Addr) dhcptest.Message {
	return dhcptest.Message{Type: dhcpv4.Release, XID: 3, CHAddr: hwA, CIAddr: a}
}
