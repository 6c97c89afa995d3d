//go:build linux

package testnet

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"os"
	"os/exec"
	"regexp"
	"runtime"
	"runtime/debug"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"golang.org/x/sys/unix"
)

// nsPrefix starts the name of every namespace this package creates.
const nsPrefix = "ltn"

// netnsDir is where "ip netns" keeps its namespace handles.
const netnsDir = "/run/netns"

// Names must be unique across parallel tests in one test binary (the
// counter) and across test binaries running at once (the process id).
// sweepOnce removes namespaces left behind by killed test binaries.
var (
	nsCounter atomic.Uint64
	sweepOnce sync.Once
)

// NS is a network namespace created by NewNS for one test.
type NS struct {
	t    testing.TB
	name string
	dir  string // scratch directory for process output and state
}

// NewNS creates a network namespace with lo up, removed when the test
// ends: every process still in it is killed and the namespace deleted,
// which deletes the interfaces in it. label (letters, digits, '-') goes
// into the name to make it recognisable. NewNS calls RequireRoot.
func NewNS(t testing.TB, label string) *NS {
	t.Helper()
	RequireRoot(t)
	sweepOnce.Do(func() { sweepStale(t) })

	name := fmt.Sprintf("%s%d-%d", nsPrefix, os.Getpid(), nsCounter.Add(1))
	if l := sanitizeLabel(label); l != "" {
		name += "-" + l
	}
	ns := &NS{t: t, name: name, dir: t.TempDir()}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if out, err := runIP(ctx, "netns", "add", name); err != nil {
		t.Fatalf("create netns %s: %v%s", name, err, IndentOutput(out))
	}
	t.Cleanup(func() {
		if err := removeNS(name); err != nil {
			t.Errorf("cleanup: %v", err)
		}
	})
	ns.MustRun(t, "ip", "link", "set", "lo", "up")
	// Interfaces created later inherit "default": no duplicate address
	// detection, so IPv6 link-local addresses work at once.
	if err := ns.Do(func() error {
		for _, k := range []string{"default", "all"} {
			if err := writeSysctl("net/ipv6/conf/"+k+"/accept_dad", "0"); err != nil {
				return err
			}
		}
		return nil
	}); err != nil {
		t.Fatalf("netns %s: %v", name, err)
	}
	return ns
}

var labelRE = regexp.MustCompile(`[^a-zA-Z0-9-]+`)

func sanitizeLabel(s string) string {
	s = labelRE.ReplaceAllString(s, "-")
	if len(s) > 16 {
		s = s[:16]
	}
	return strings.Trim(s, "-")
}

// Name returns the namespace's name, as used by "ip netns".
func (ns *NS) Name() string { return ns.name }

// Path returns the namespace's handle file, /run/netns/NAME.
func (ns *NS) Path() string { return netnsDir + "/" + ns.name }

// Dir returns a scratch directory belonging to this namespace's test.
func (ns *NS) Dir() string { return ns.dir }

// String returns the name.
func (ns *NS) String() string { return ns.name }

// runIP runs ip(8) in the test process's own namespace, for the few
// operations that name namespaces (add, del, pids, veth creation).
func runIP(ctx context.Context, args ...string) (string, error) {
	ip, err := lookPath("ip")
	if err != nil {
		return "", err
	}
	cmd := exec.CommandContext(ctx, ip, args...)
	cmd.Env = commandEnv()
	out, err := cmd.CombinedOutput()
	if err != nil {
		return string(out), fmt.Errorf("ip %s: %w", strings.Join(args, " "), err)
	}
	return string(out), nil
}

// removeNS kills every process left in the namespace (all of them were
// started by the test that created it), then deletes it.
func removeNS(name string) error {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	killNSProcs(ctx, name)
	out, err := runIP(ctx, "netns", "del", name)
	if err != nil {
		if _, serr := os.Stat(netnsDir + "/" + name); errors.Is(serr, os.ErrNotExist) {
			return nil
		}
		return fmt.Errorf("delete netns %s: %w%s", name, err, IndentOutput(out))
	}
	return nil
}

// killNSProcs SIGKILLs the processes inside namespace name, by pid, and
// waits briefly for them to go.
func killNSProcs(ctx context.Context, name string) {
	out, err := runIP(ctx, "netns", "pids", name)
	if err != nil {
		return
	}
	var pids []int
	for _, f := range strings.Fields(out) {
		if pid, err := strconv.Atoi(f); err == nil && pid > 1 && pid != os.Getpid() {
			pids = append(pids, pid)
			_ = syscall.Kill(pid, syscall.SIGKILL)
		}
	}
	deadline := time.Now().Add(3 * time.Second)
	for _, pid := range pids {
		for time.Now().Before(deadline) && pidAlive(pid) {
			time.Sleep(20 * time.Millisecond)
		}
	}
}

// pidAlive reports whether pid exists and is not a zombie.
func pidAlive(pid int) bool {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return false
	}
	// The state follows the parenthesised command name.
	s := string(b)
	if i := strings.LastIndexByte(s, ')'); i >= 0 && i+2 < len(s) {
		return s[i+2] != 'Z' && s[i+2] != 'X'
	}
	return true
}

var staleRE = regexp.MustCompile(`^` + nsPrefix + `([0-9]+)-[0-9]+(-|$)`)

// sweepStale deletes namespaces created by this package in test binaries
// that no longer run (killed by a timeout, say, before their cleanup ran).
func sweepStale(t testing.TB) {
	entries, err := os.ReadDir(netnsDir)
	if err != nil {
		return
	}
	for _, e := range entries {
		m := staleRE.FindStringSubmatch(e.Name())
		if m == nil {
			continue
		}
		pid, err := strconv.Atoi(m[1])
		if err != nil || pid == os.Getpid() {
			continue
		}
		if _, err := os.Stat(fmt.Sprintf("/proc/%d", pid)); err == nil {
			continue // its test binary still runs
		}
		if err := removeNS(e.Name()); err != nil {
			t.Logf("removing stale namespace: %v", err)
		} else {
			t.Logf("removed stale namespace %s left by process %d", e.Name(), pid)
		}
	}
}

// Do runs fn inside the namespace: on a new goroutine locked to an OS
// thread that has joined the namespace. It restores the thread's
// namespace afterwards; if that fails the thread is discarded. Do returns
// fn's error. A panic in fn is returned as an error. See the package
// documentation for the rules fn must follow.
func (ns *NS) Do(fn func() error) error {
	errc := make(chan error, 1)
	go func() {
		runtime.LockOSThread()
		// No deferred unlock: a thread whose namespace could not be
		// restored must stay locked, so that it exits with this goroutine.
		orig, err := os.Open(fmt.Sprintf("/proc/self/task/%d/ns/net", unix.Gettid()))
		if err != nil {
			runtime.UnlockOSThread()
			errc <- fmt.Errorf("netns %s: open current namespace: %w", ns.name, err)
			return
		}
		defer orig.Close()
		target, err := os.Open(ns.Path())
		if err != nil {
			runtime.UnlockOSThread()
			errc <- fmt.Errorf("netns %s: %w", ns.name, err)
			return
		}
		defer target.Close()
		if err := unix.Setns(int(target.Fd()), unix.CLONE_NEWNET); err != nil {
			runtime.UnlockOSThread()
			errc <- fmt.Errorf("netns %s: setns: %w", ns.name, err)
			return
		}
		ferr := callRecover(fn)
		if err := unix.Setns(int(orig.Fd()), unix.CLONE_NEWNET); err != nil {
			errc <- fmt.Errorf("netns %s: restore namespace: %w (fn: %v)", ns.name, err, ferr)
			return
		}
		runtime.UnlockOSThread()
		errc <- ferr
	}()
	return <-errc
}

func callRecover(fn func() error) (err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("panic in function run in namespace: %v\n%s", r, debug.Stack())
		}
	}()
	return fn()
}

// writeSysctl writes a sysctl below /proc/sys in the calling thread's
// namespace (call it inside Do for per-namespace settings).
func writeSysctl(key, value string) error {
	if err := os.WriteFile("/proc/sys/"+key, []byte(value), 0); err != nil {
		return fmt.Errorf("sysctl %s=%s: %w", strings.ReplaceAll(key, "/", "."), value, err)
	}
	return nil
}

// SetSysctl sets a per-namespace sysctl such as
// "net.ipv4.conf.all.rp_filter".
func (ns *NS) SetSysctl(key, value string) error {
	return ns.Do(func() error { return writeSysctl(strings.ReplaceAll(key, ".", "/"), value) })
}

// AddAddr adds an address in CIDR form ("192.0.2.1/24") to an interface,
// with the broadcast address derived from the prefix.
func (ns *NS) AddAddr(t testing.TB, ifname, cidr string) {
	t.Helper()
	if _, err := netip.ParsePrefix(cidr); err != nil {
		t.Fatalf("netns %s: AddAddr %s: %v", ns.name, ifname, err)
	}
	ns.MustRun(t, "ip", "addr", "add", cidr, "brd", "+", "dev", ifname)
}

// AddRoute adds a route for prefix dst on-link through interface dev.
func (ns *NS) AddRoute(t testing.TB, dst, dev string) {
	t.Helper()
	ns.MustRun(t, "ip", "route", "add", dst, "dev", dev)
}

// SetUp sets an interface up.
func (ns *NS) SetUp(t testing.TB, ifname string) {
	t.Helper()
	ns.MustRun(t, "ip", "link", "set", ifname, "up")
}

// WaitCarrier waits until the interface's operstate is "up" (the kernel
// updates it asynchronously after "link set up"; dhcpcd refuses links
// without carrier).
func (ns *NS) WaitCarrier(t testing.TB, ifname string) {
	t.Helper()
	if err := ns.waitOperUp(ifname, 10*time.Second); err != nil {
		t.Fatal(err)
	}
}

func (ns *NS) waitOperUp(ifname string, timeout time.Duration) error {
	deadline := time.Now().Add(timeout)
	for {
		var state operState
		err := ns.Do(func() error {
			var err error
			state, err = linkOperState(ifname)
			return err
		})
		if err != nil {
			return fmt.Errorf("netns %s: %w", ns.name, err)
		}
		if state == operUp {
			return nil
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("netns %s: %s operstate is %d, not up (6), after %v", ns.name, ifname, state, timeout)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// operState is a link's RFC 2863 operational state (IFLA_OPERSTATE).
type operState uint8

const operUp operState = 6

// linkOperState reads an interface's operational state over rtnetlink in
// the calling thread's namespace. (/sys/class/net cannot be used: sysfs
// shows the namespace it was mounted in, not the thread's.)
func linkOperState(ifname string) (operState, error) {
	rib, err := syscall.NetlinkRIB(syscall.RTM_GETLINK, syscall.AF_UNSPEC)
	if err != nil {
		return 0, fmt.Errorf("rtnetlink dump: %w", err)
	}
	msgs, err := syscall.ParseNetlinkMessage(rib)
	if err != nil {
		return 0, fmt.Errorf("rtnetlink dump: %w", err)
	}
	for _, m := range msgs {
		if m.Header.Type != syscall.RTM_NEWLINK {
			continue
		}
		attrs, err := syscall.ParseNetlinkRouteAttr(&m)
		if err != nil {
			return 0, fmt.Errorf("rtnetlink link attributes: %w", err)
		}
		var name string
		var state operState
		for _, a := range attrs {
			switch a.Attr.Type {
			case syscall.IFLA_IFNAME:
				name = strings.TrimRight(string(a.Value), "\x00")
			case syscall.IFLA_OPERSTATE:
				if len(a.Value) > 0 {
					state = operState(a.Value[0])
				}
			}
		}
		if name == ifname {
			return state, nil
		}
	}
	return 0, fmt.Errorf("no interface %q", ifname)
}

// Addrs returns the IPv4 addresses on an interface.
func (ns *NS) Addrs(ifname string) ([]netip.Prefix, error) {
	var out []netip.Prefix
	err := ns.Do(func() error {
		ifi, err := net.InterfaceByName(ifname)
		if err != nil {
			return err
		}
		addrs, err := ifi.Addrs()
		if err != nil {
			return err
		}
		for _, a := range addrs {
			ipn, ok := a.(*net.IPNet)
			if !ok || ipn.IP.To4() == nil {
				continue
			}
			ip, _ := netip.AddrFromSlice(ipn.IP.To4())
			ones, _ := ipn.Mask.Size()
			out = append(out, netip.PrefixFrom(ip, ones))
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("netns %s: addresses of %s: %w", ns.name, ifname, err)
	}
	return out, nil
}

// HardwareAddr returns an interface's MAC address.
func (ns *NS) HardwareAddr(t testing.TB, ifname string) net.HardwareAddr {
	t.Helper()
	var mac net.HardwareAddr
	if err := ns.Do(func() error {
		ifi, err := net.InterfaceByName(ifname)
		if err != nil {
			return err
		}
		mac = ifi.HardwareAddr
		return nil
	}); err != nil {
		t.Fatalf("netns %s: %s: %v", ns.name, ifname, err)
	}
	return mac
}

// WaitUDPListen waits until some socket in the namespace listens on UDP
// port port (on any address), for example a server that has become ready.
func (ns *NS) WaitUDPListen(ctx context.Context, port uint16) error {
	want := fmt.Sprintf(":%04X ", port)
	for {
		var found bool
		err := ns.Do(func() error {
			// /proc/thread-self/net shows this thread's namespace;
			// /proc/net would show the process's.
			b, err := os.ReadFile("/proc/thread-self/net/udp")
			if err != nil {
				return err
			}
			for _, line := range strings.Split(string(b), "\n")[1:] {
				f := strings.Fields(line)
				if len(f) > 2 && strings.HasSuffix(f[1]+" ", want) {
					found = true
				}
			}
			return nil
		})
		if err != nil {
			return fmt.Errorf("netns %s: %w", ns.name, err)
		}
		if found {
			return nil
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("netns %s: nothing listens on UDP port %d: %w", ns.name, port, ctx.Err())
		case <-time.After(50 * time.Millisecond):
		}
	}
}

// Veth creates a veth pair with one end, aIf, in namespace a and the other,
// bIf, in namespace b, and sets both up. The ends are created directly in
// their namespaces, so the names only need to be unique there. They go
// away with the namespaces.
func Veth(t testing.TB, a *NS, aIf string, b *NS, bIf string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if out, err := runIP(ctx, "link", "add", aIf, "netns", a.name, "type", "veth", "peer", "name", bIf, "netns", b.name); err != nil {
		t.Fatalf("veth %s/%s <-> %s/%s: %v%s", a.name, aIf, b.name, bIf, err, IndentOutput(out))
	}
	a.SetUp(t, aIf)
	b.SetUp(t, bIf)
	a.WaitCarrier(t, aIf)
	b.WaitCarrier(t, bIf)
}

// AddMacvlan adds a macvlan interface name (bridge mode) on parent, with
// the given MAC (a fresh locally administered one if mac is nil), sets it
// up and returns its MAC. Clients on macvlans share parent's link but each
// has its own MAC, so several clients can sit behind one veth.
func (ns *NS) AddMacvlan(t testing.TB, parent, name string, mac net.HardwareAddr) net.HardwareAddr {
	t.Helper()
	if mac == nil {
		mac = NewMAC()
	}
	ns.MustRun(t, "ip", "link", "add", name, "link", parent, "address", mac.String(), "type", "macvlan", "mode", "bridge")
	ns.SetUp(t, name)
	ns.WaitCarrier(t, name)
	return mac
}

var macCounter atomic.Uint32

// NewMAC returns a locally administered unicast MAC address, unique within
// the test binary (02, two bytes of the process id, a 16-bit counter). It
// identifies a client to a server, so different clients need different
// ones.
func NewMAC() net.HardwareAddr {
	pid := uint16(os.Getpid())
	n := uint16(macCounter.Add(1))
	return net.HardwareAddr{0x02, 0x1e, byte(pid >> 8), byte(pid), byte(n >> 8), byte(n)}
}
