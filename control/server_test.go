package control

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"net"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/leased/leased/config"
	"github.com/leased/leased/internal/logtest"
)

func testRegistry(t *testing.T) *Registry {
	t.Helper()
	reg := NewRegistry(BuildInfo{Version: "1.2.3", Extended: "1.2.3 extended", Report: "report"}, nil)
	must(t, reg.Register("echo", func(ctx context.Context, args json.RawMessage) Response {
		return Answer(Success, Info(ctx).Transport+" "+Info(ctx).User, args)
	}))
	return reg
}

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

func startServer(t *testing.T, reg *Registry, opts Options, socks ...config.ControlSocket) *Server {
	t.Helper()
	s := NewServer(reg, opts)
	must(t, s.Apply(socks))
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		s.Shutdown(ctx)
	})
	return s
}

func unixSock(path string) config.ControlSocket {
	return config.ControlSocket{Type: "unix", Name: path}
}

// rawUnix sends data on a fresh connection and returns everything the
// server wrote before closing.
func rawUnix(t *testing.T, path string, data string) string {
	t.Helper()
	c, err := net.Dial("unix", path)
	must(t, err)
	defer c.Close()
	c.SetDeadline(time.Now().Add(10 * time.Second))
	_, err = c.Write([]byte(data))
	must(t, err)
	out, err := io.ReadAll(c)
	must(t, err)
	return string(out)
}

func TestUnixRoundTrip(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "ctrl.sock")
	startServer(t, testRegistry(t), Options{}, unixSock(path))

	fi, err := os.Lstat(path)
	must(t, err)
	if fi.Mode().Type() != os.ModeSocket {
		t.Fatalf("%s is %v, not a socket", path, fi.Mode())
	}
	if perm := fi.Mode().Perm(); perm&^0o600 != 0 {
		t.Errorf("socket mode %o, want 0600 or tighter", perm)
	}

	// Unix answers are not wrapped in a list, and the server closes.
	got := rawUnix(t, path, `{"command": "echo", "arguments": {"a": 1}}`)
	if got != `{"arguments":{"a":1},"result":0,"text":"unix "}` {
		t.Errorf("answer %s", got)
	}
	got = rawUnix(t, path, `{"command": "nosuch"}`)
	if got != `{"result":2,"text":"'nosuch' command not supported."}` {
		t.Errorf("unknown command: %s", got)
	}

	c := &Client{Target: path}
	r, err := c.Call(t.Context(), "list-commands", nil)
	must(t, err)
	var names []string
	must(t, r.Decode(&names))
	if strings.Join(names, ",") != "build-report,echo,list-commands,version-get" {
		t.Errorf("list-commands: %v", names)
	}
	r, err = c.Call(t.Context(), "version-get", nil)
	must(t, err)
	var ext struct{ Extended string }
	must(t, r.Decode(&ext))
	if r.Result != 0 || r.Text != "1.2.3" || ext.Extended != "1.2.3 extended" {
		t.Errorf("version-get: %+v %+v", r, ext)
	}
	r, err = (&Client{Target: "unix:" + path}).Call(t.Context(), "build-report", nil)
	must(t, err)
	if r.Text != "report" {
		t.Errorf("build-report: %+v", r)
	}
}

// A command written in pieces, with comments, is read to its end.
func TestUnixChunkedCommand(t *testing.T) {
	path := filepath.Join(t.TempDir(), "s")
	startServer(t, testRegistry(t), Options{}, unixSock(path))
	c, err := net.Dial("unix", path)
	must(t, err)
	defer c.Close()
	for _, part := range []string{"# hi\n{ \"command\"", ": \"echo\", /* x */ \"argu", "ments\": [1, {\"b\": \"}\"}]", "\n}"} {
		_, err := c.Write([]byte(part))
		must(t, err)
		time.Sleep(5 * time.Millisecond)
	}
	out, err := io.ReadAll(c)
	must(t, err)
	if string(out) != `{"arguments":[1,{"b":"}"}],"result":0,"text":"unix "}` {
		t.Errorf("answer %s", out)
	}
}

func TestUnixTimeoutAndLimits(t *testing.T) {
	path := filepath.Join(t.TempDir(), "s")
	startServer(t, testRegistry(t), Options{IdleTimeout: 150 * time.Millisecond, MaxRequestBytes: 100}, unixSock(path))

	got := rawUnix(t, path, `{"command": "ec`)
	want := `{"result":1,"text":"Connection over control channel timed out, discarded partial command of 15 bytes"}`
	if got != want {
		t.Errorf("partial command: %s\nwant %s", got, want)
	}
	got = rawUnix(t, path, "")
	if got != `{"result":1,"text":"Connection over control channel timed out"}` {
		t.Errorf("silent client: %s", got)
	}
	got = rawUnix(t, path, `{"command": "echo", "arguments": "`+strings.Repeat("x", 200)+`"}`)
	if got != `{"result":1,"text":"command too large: more than 100 bytes"}` {
		t.Errorf("oversized: %s", got)
	}
	got = rawUnix(t, path, `[1]`)
	if got != `{"result":1,"text":"Error during command processing: invalid command: expected toplevel entry to be a map, got list instead"}` {
		t.Errorf("list: %s", got)
	}
}

func TestUnixSocketOwnership(t *testing.T) {
	dir := t.TempDir()

	t.Run("second server refused", func(t *testing.T) {
		path := filepath.Join(dir, "a")
		startServer(t, testRegistry(t), Options{}, unixSock(path))
		err := NewServer(testRegistry(t), Options{}).Apply([]config.ControlSocket{unixSock(path)})
		if err == nil || !strings.Contains(err.Error(), "lock") {
			t.Fatalf("second server on %s: %v", path, err)
		}
		// The first one still answers.
		if r, err := (&Client{Target: path}).Call(t.Context(), "list-commands", nil); err != nil || r.Result != 0 {
			t.Fatalf("first server after refusal: %v %v", r, err)
		}
	})

	t.Run("live foreign socket kept", func(t *testing.T) {
		path := filepath.Join(dir, "b")
		ln, err := net.Listen("unix", path)
		must(t, err)
		defer ln.Close()
		err = NewServer(testRegistry(t), Options{}).Apply([]config.ControlSocket{unixSock(path)})
		if err == nil || !strings.Contains(err.Error(), "in use") {
			t.Fatalf("apply over a live socket: %v", err)
		}
		if _, err := os.Lstat(path); err != nil {
			t.Fatalf("live socket was removed: %v", err)
		}
		if _, err := os.Lstat(path + ".lock"); !os.IsNotExist(err) {
			t.Errorf("lock file left behind: %v", err)
		}
	})

	t.Run("stale socket replaced", func(t *testing.T) {
		path := filepath.Join(dir, "c")
		ln, err := net.ListenUnix("unix", &net.UnixAddr{Name: path, Net: "unix"})
		must(t, err)
		ln.SetUnlinkOnClose(false)
		ln.Close()
		s := startServer(t, testRegistry(t), Options{}, unixSock(path))
		if r, err := (&Client{Target: path}).Call(t.Context(), "list-commands", nil); err != nil || r.Result != 0 {
			t.Fatalf("after replacing a stale socket: %v %v", r, err)
		}
		must(t, s.Shutdown(t.Context()))
		for _, p := range []string{path, path + ".lock"} {
			if _, err := os.Lstat(p); !os.IsNotExist(err) {
				t.Errorf("%s left after shutdown: %v", p, err)
			}
		}
	})

	t.Run("regular file never removed", func(t *testing.T) {
		path := filepath.Join(dir, "d")
		must(t, os.WriteFile(path, []byte("precious"), 0o644))
		err := NewServer(testRegistry(t), Options{}).Apply([]config.ControlSocket{unixSock(path)})
		if err == nil || !strings.Contains(err.Error(), "not a socket") {
			t.Fatalf("apply over a regular file: %v", err)
		}
		if b, _ := os.ReadFile(path); string(b) != "precious" {
			t.Fatal("the regular file was changed")
		}
	})

	t.Run("path too long", func(t *testing.T) {
		err := NewServer(testRegistry(t), Options{}).Apply([]config.ControlSocket{unixSock("/tmp/" + strings.Repeat("x", 120))})
		if err == nil || !strings.Contains(err.Error(), "limit is 107") {
			t.Fatalf("long path: %v", err)
		}
	})
}

// MaxConns bounds the connections served at once: while one command is
// being handled, a second client is not served; it is once the first is
// done.
func TestConnectionBound(t *testing.T) {
	path := filepath.Join(t.TempDir(), "s")
	reg := testRegistry(t)
	entered := make(chan struct{})
	release := make(chan struct{})
	must(t, reg.Register("block", func(ctx context.Context, _ json.RawMessage) Response {
		close(entered)
		<-release
		return OK("released")
	}))
	startServer(t, reg, Options{MaxConns: 1}, unixSock(path))

	first := make(chan *Response, 1)
	go func() {
		r, _ := (&Client{Target: path}).Call(context.Background(), "block", nil)
		first <- r
	}()
	<-entered
	second := make(chan *Response, 1)
	go func() {
		r, _ := (&Client{Target: path}).Call(context.Background(), "list-commands", nil)
		second <- r
	}()
	select {
	case r := <-second:
		t.Fatalf("second client served while the only slot was taken: %+v", r)
	case <-time.After(300 * time.Millisecond):
	}
	close(release)
	if r := <-first; r == nil || r.Text != "released" {
		t.Fatalf("first: %+v", r)
	}
	if r := <-second; r == nil || r.Result != 0 {
		t.Fatalf("second: %+v", r)
	}
}

// Shutdown waits for commands in flight, and past its deadline cancels
// their context.
func TestShutdownCancelsHandlers(t *testing.T) {
	path := filepath.Join(t.TempDir(), "s")
	reg := testRegistry(t)
	entered := make(chan struct{})
	sawCancel := make(chan struct{})
	must(t, reg.Register("wait", func(ctx context.Context, _ json.RawMessage) Response {
		close(entered)
		<-ctx.Done()
		close(sawCancel)
		return Errorf("cancelled")
	}))
	s := NewServer(reg, Options{})
	must(t, s.Apply([]config.ControlSocket{unixSock(path)}))
	go (&Client{Target: path}).Call(context.Background(), "wait", nil)
	<-entered
	ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
	defer cancel()
	if err := s.Shutdown(ctx); !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("Shutdown = %v, want deadline exceeded", err)
	}
	select {
	case <-sawCancel:
	default:
		t.Error("the handler's context was not cancelled")
	}
	if err := s.Apply([]config.ControlSocket{unixSock(path)}); err == nil {
		t.Error("Apply after Shutdown succeeded")
	}
}

func TestHandlerPanicIsContained(t *testing.T) {
	var logs logtest.Buffer
	reg := NewRegistry(BuildInfo{}, slog.New(slog.NewTextHandler(&logs, nil)))
	must(t, reg.Register("boom", func(context.Context, json.RawMessage) Response { panic("bad") }))
	r := reg.Execute(t.Context(), Command{Command: "boom"})
	if r.Result != Error || !strings.Contains(r.Text, "internal server error") {
		t.Errorf("panic answer %+v", r)
	}
	if !strings.Contains(logs.String(), "panicked") {
		t.Errorf("panic not logged: %s", logs.String())
	}
}

func TestRegistryRules(t *testing.T) {
	reg := NewRegistry(BuildInfo{}, nil)
	h := func(context.Context, json.RawMessage) Response { return OK("") }
	must(t, reg.Register("a", h))
	if err := reg.Register("a", h); err == nil || !strings.Contains(err.Error(), "already installed") {
		t.Errorf("duplicate: %v", err)
	}
	if err := reg.Register("", h); err == nil {
		t.Error("empty name accepted")
	}
	if err := reg.Register("b", nil); err == nil {
		t.Error("nil handler accepted")
	}
	if err := reg.Deregister("list-commands"); err == nil {
		t.Error("list-commands removed")
	}
	must(t, reg.Deregister("a"))
	if err := reg.Deregister("a"); err == nil {
		t.Error("removing twice succeeded")
	}
	if r := reg.Execute(t.Context(), Command{Command: "a"}); r.Result != Unsupported {
		t.Errorf("removed command answered %+v", r)
	}
}

// Errors returned through syscall must still be recognised by the stale
// socket check on this platform.
func TestStaleDetectionErrno(t *testing.T) {
	path := filepath.Join(t.TempDir(), "x")
	_, err := net.Dial("unix", path)
	if !errors.Is(err, syscall.ENOENT) {
		t.Fatalf("dialing a missing socket: %v", err)
	}
}
