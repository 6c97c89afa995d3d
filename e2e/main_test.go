//go:build linux

package e2e

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/netip"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/leased/leased/internal/testnet"
	"github.com/leased/leased/lease"
	"github.com/leased/leased/lease/memfile"
)

// The leased binary under test, built by the first test that needs it.
var (
	buildOnce sync.Once
	buildDir  string
	leasedBin string
	buildErr  error
)

func TestMain(m *testing.M) {
	if raceEnabled && os.Getenv("GORACE") == "" {
		// A race-enabled leased otherwise sleeps a second at every exit.
		os.Setenv("GORACE", "atexit_sleep_ms=0")
	}
	code := m.Run()
	if buildDir != "" {
		os.RemoveAll(buildDir)
	}
	os.Exit(code)
}

// build builds ./cmd/leased into a temporary directory, once per run.
func build() (string, error) {
	buildOnce.Do(func() {
		buildDir, buildErr = os.MkdirTemp("", "leased-e2e-")
		if buildErr != nil {
			return
		}
		bin := filepath.Join(buildDir, "leased")
		args := []string{"build", "-o", bin}
		if raceEnabled {
			// The server under test gets the race detector too when the
			// tests run with it (scripts/test does).
			args = append(args, "-race")
		}
		args = append(args, "github.com/leased/leased/cmd/leased")
		if out, err := exec.Command(goTool(), args...).CombinedOutput(); err != nil {
			buildErr = fmt.Errorf("go %s: %w\n%s", strings.Join(args, " "), err, out)
			return
		}
		leasedBin = bin
	})
	return leasedBin, buildErr
}

// goTool finds the go command: on PATH, or beside the GOROOT the tests
// were built with (sudo resets PATH).
func goTool() string {
	if p, err := exec.LookPath("go"); err == nil {
		return p
	}
	if root := os.Getenv("GOROOT"); root != "" {
		return filepath.Join(root, "bin", "go")
	}
	return filepath.Join(runtime.GOROOT(), "bin", "go")
}

// needs is how every test here starts: it needs root, ip and the named
// binaries (testnet.RequireRoot: a skip, or a failure when
// LEASED_REQUIRE_E2E=1), and the leased binary, built on first use.
func needs(t *testing.T, binaries ...string) {
	t.Helper()
	testnet.RequireRoot(t, binaries...)
	start := time.Now()
	if _, err := build(); err != nil {
		t.Fatalf("building leased: %v", err)
	}
	if d := time.Since(start); d > time.Second {
		t.Logf("built leased (race detector %v) in %v", raceEnabled, d.Round(time.Millisecond))
	}
}

// server is one lease file served by successive leased processes in one
// namespace: started, killed and restarted by the tests.
type server struct {
	t      *testing.T
	ns     *testnet.NS
	config string
	leases string // lease-database name
	runs   []*testnet.Proc
	cur    *testnet.Proc
}

func newServer(t *testing.T, ns *testnet.NS, config, leases string) *server {
	s := &server{t: t, ns: ns, config: config, leases: leases}
	t.Cleanup(func() {
		if s.cur != nil {
			s.cur.Stop(5 * time.Second)
		}
		for _, p := range s.runs {
			if out := p.Output(); strings.Contains(out, "WARNING: DATA RACE") {
				t.Errorf("the race detector found a data race in leased (%s):%s", p, testnet.IndentOutput(out))
			}
		}
	})
	return s
}

// readyLine is the line leased logs once it listens.
const readyLine = `msg="serving DHCPv4"`

// start starts leased and waits until it serves. It fails the test if the
// process exits first or is not ready within 15 s.
func (s *server) start() {
	s.t.Helper()
	if err := s.tryStart(15 * time.Second); err != nil {
		s.t.Fatal(err)
	}
}

func (s *server) tryStart(timeout time.Duration) error {
	if s.cur != nil && !s.cur.Exited() {
		return fmt.Errorf("leased already running (pid %d)", s.cur.Pid())
	}
	p, err := s.ns.Start(context.Background(), leasedBin, "serve", "-c", s.config)
	if err != nil {
		return err
	}
	s.cur = p
	s.runs = append(s.runs, p)
	deadline := time.Now().Add(timeout)
	for !strings.Contains(p.Output(), readyLine) {
		if p.Exited() {
			return fmt.Errorf("leased serve -c %s exited before serving (%v):%s", s.config, p.ExitErr(), testnet.IndentOutput(p.Output()))
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("leased serve -c %s not serving after %v:%s", s.config, timeout, testnet.IndentOutput(p.Output()))
		}
		time.Sleep(10 * time.Millisecond)
	}
	return nil
}

// kill kills the running leased with SIGKILL and waits until it is gone.
func (s *server) kill() error {
	p := s.cur
	if p == nil || p.Exited() {
		return fmt.Errorf("kill: leased is not running%s", s.lastLog())
	}
	if err := p.Signal(syscall.SIGKILL); err != nil {
		return err
	}
	select {
	case <-p.Done():
		return nil
	case <-time.After(10 * time.Second):
		return fmt.Errorf("leased (pid %d) still running 10 s after SIGKILL", p.Pid())
	}
}

// stop stops leased with SIGTERM, as an operator does, and checks that it
// exits with status 0 within 10 s.
func (s *server) stop() {
	s.t.Helper()
	p := s.cur
	if p == nil {
		s.t.Fatal("stop: leased never started")
	}
	if p.Exited() {
		s.t.Fatalf("stop: leased is not running (%v)%s", p.ExitErr(), s.lastLog())
	}
	if err := p.Signal(syscall.SIGTERM); err != nil {
		s.t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := p.Wait(ctx); err != nil {
		s.t.Fatalf("leased after SIGTERM: %v%s", err, s.lastLog())
	}
}

// running reports whether the current leased process runs.
func (s *server) running() bool { return s.cur != nil && !s.cur.Exited() }

// log returns the output of the current (or last) leased process.
func (s *server) log() string {
	if s.cur == nil {
		return ""
	}
	return s.cur.Output()
}

// lastLog formats the tail of the current process's log for a failure
// message.
func (s *server) lastLog() string {
	if s.cur == nil {
		return "\n\t(leased never started)"
	}
	return "\n\tleased log (" + s.cur.String() + "):" + testnet.IndentOutput(testnet.Tail(s.cur.Output(), 6000))
}

// store reads the lease file with memfile.OpenReadOnly, which works beside
// the running server, and returns every lease in address order.
func (s *server) store() ([]lease.Lease, error) {
	return readStore(s.leases)
}

func readStore(path string) ([]lease.Lease, error) {
	st, err := memfile.OpenReadOnly(memfile.Options{
		Path:    path,
		Persist: true,
		Logger:  slog.New(slog.NewTextHandler(io.Discard, nil)),
	})
	if err != nil {
		return nil, err
	}
	defer st.Close()
	var out []lease.Lease
	st.Walk(func(l *lease.Lease) bool {
		out = append(out, l.Clone())
		return true
	})
	return out, nil
}

// leaseOf returns the lease at addr in leases.
func leaseOf(leases []lease.Lease, addr netip.Addr) (lease.Lease, bool) {
	for _, l := range leases {
		if l.Addr == addr {
			return l, true
		}
	}
	return lease.Lease{}, false
}

// waitStore polls the store until cond holds for its leases, for up to
// timeout; it returns the last leases read and whether cond held.
func (s *server) waitStore(timeout time.Duration, cond func([]lease.Lease) bool) ([]lease.Lease, bool, error) {
	deadline := time.Now().Add(timeout)
	for {
		ls, err := s.store()
		if err != nil {
			return nil, false, err
		}
		if cond(ls) {
			return ls, true, nil
		}
		if time.Now().After(deadline) {
			return ls, false, nil
		}
		time.Sleep(50 * time.Millisecond)
	}
}

func writeFile(t *testing.T, path, content string) {
	t.Helper()
	if err := os.WriteFile(path, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
}

func sameMAC(a []byte, b net.HardwareAddr) bool { return net.HardwareAddr(a).String() == b.String() }

func inRange(a netip.Addr, first, last string) bool {
	return !a.Less(netip.MustParseAddr(first)) && !netip.MustParseAddr(last).Less(a)
}

// exitCode returns the exit status carried by err (from testnet's Run), or
// -1 if err is not an exit status.
func exitCode(err error) int {
	var ee *exec.ExitError
	if errors.As(err, &ee) {
		return ee.ExitCode()
	}
	return -1
}
