package sdnotify

import (
	"context"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"
)

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

// listen makes the socket systemd would have made and points
// NOTIFY_SOCKET at it.
func listen(t *testing.T, name string) *net.UnixConn {
	t.Helper()
	c, err := net.ListenUnixgram("unixgram", &net.UnixAddr{Name: name, Net: "unixgram"})
	must(t, err)
	t.Cleanup(func() { c.Close() })
	t.Setenv("NOTIFY_SOCKET", name)
	return c
}

func recv(t *testing.T, c *net.UnixConn) string {
	t.Helper()
	buf := make([]byte, 4096)
	c.SetReadDeadline(time.Now().Add(5 * time.Second))
	n, err := c.Read(buf)
	must(t, err)
	return string(buf[:n])
}

func TestStates(t *testing.T) {
	c := listen(t, filepath.Join(t.TempDir(), "notify"))
	n, err := New()
	must(t, err)
	if !n.Enabled() {
		t.Fatal("not enabled with NOTIFY_SOCKET set")
	}
	must(t, n.Ready())
	if got := recv(t, c); got != "READY=1" {
		t.Errorf("Ready sent %q", got)
	}
	before := monotonicUsec()
	must(t, n.Reloading())
	after := monotonicUsec()
	got := recv(t, c)
	lines := strings.Split(got, "\n")
	if len(lines) != 2 || lines[0] != "RELOADING=1" || !strings.HasPrefix(lines[1], "MONOTONIC_USEC=") {
		t.Fatalf("Reloading sent %q", got)
	}
	usec, err := strconv.ParseInt(strings.TrimPrefix(lines[1], "MONOTONIC_USEC="), 10, 64)
	must(t, err)
	if usec < before || usec > after {
		t.Errorf("MONOTONIC_USEC %d outside [%d, %d]", usec, before, after)
	}
	must(t, n.Stopping())
	if got := recv(t, c); got != "STOPPING=1" {
		t.Errorf("Stopping sent %q", got)
	}
	must(t, n.Watchdog())
	if got := recv(t, c); got != "WATCHDOG=1" {
		t.Errorf("Watchdog sent %q", got)
	}
	must(t, n.Status("serving\n2 subnets"))
	if got := recv(t, c); got != "STATUS=serving 2 subnets" {
		t.Errorf("Status sent %q", got)
	}
}

func TestAbstractSocket(t *testing.T) {
	name := "@leased-sdnotify-test-" + strconv.Itoa(os.Getpid())
	c := listen(t, name)
	n, err := New()
	must(t, err)
	must(t, n.Ready())
	if got := recv(t, c); got != "READY=1" {
		t.Errorf("got %q", got)
	}
}

func TestWithoutSystemd(t *testing.T) {
	t.Setenv("NOTIFY_SOCKET", "")
	n, err := New()
	must(t, err)
	if n != nil || n.Enabled() {
		t.Fatal("a notifier without NOTIFY_SOCKET")
	}
	for _, f := range []func() error{n.Ready, n.Reloading, n.Stopping, n.Watchdog} {
		if err := f(); err != nil {
			t.Errorf("nil notifier: %v", err)
		}
	}
	n.RunWatchdog(context.Background(), time.Second, nil) // returns at once
	if _, err := At("relative/path"); err == nil {
		t.Error("a relative socket path was accepted")
	}
	// A socket that is gone is an error, not a hang.
	gone, err := At(filepath.Join(t.TempDir(), "none"))
	must(t, err)
	if err := gone.Ready(); err == nil {
		t.Error("notify to a missing socket succeeded")
	}
}

func TestWatchdogInterval(t *testing.T) {
	pid := strconv.Itoa(os.Getpid())
	for _, tc := range []struct {
		usec, pid string
		want      time.Duration
		ok        bool
	}{
		{"", "", 0, false},
		{"500000", "", 500 * time.Millisecond, true},
		{"500000", pid, 500 * time.Millisecond, true},
		{"500000", "1", 0, false},
		{"x", "", 0, false},
		{"-5", "", 0, false},
	} {
		t.Setenv("WATCHDOG_USEC", tc.usec)
		t.Setenv("WATCHDOG_PID", tc.pid)
		got, ok := WatchdogInterval()
		if got != tc.want || ok != tc.ok {
			t.Errorf("USEC=%q PID=%q: %v %v, want %v %v", tc.usec, tc.pid, got, ok, tc.want, tc.ok)
		}
	}
}

func TestRunWatchdog(t *testing.T) {
	c := listen(t, filepath.Join(t.TempDir(), "notify"))
	n, err := New()
	must(t, err)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	var asked int
	go func() {
		n.RunWatchdog(ctx, 20*time.Millisecond, func() bool { asked++; return asked != 2 })
		close(done)
	}()
	for range 3 {
		if got := recv(t, c); got != "WATCHDOG=1" {
			t.Errorf("got %q", got)
		}
	}
	cancel()
	<-done
	if asked < 4 {
		t.Errorf("alive asked %d times for 3 pings with one refusal", asked)
	}
}
