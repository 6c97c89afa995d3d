//go:build linux

package testnet

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

// ClientKind names a real DHCP client that NewClient can drive.
type ClientKind string

// The clients. Each is the distribution's own binary.
const (
	Dhclient        ClientKind = "dhclient"     // ISC dhclient 4.4 (isc-dhcp-client)
	Udhcpc          ClientKind = "udhcpc"       // BusyBox udhcpc, broadcast flag clear
	UdhcpcBroadcast ClientKind = "udhcpc-bcast" // BusyBox udhcpc -B, broadcast flag set
	Dhcpcd          ClientKind = "dhcpcd"       // dhcpcd 9 (dhcpcd-base), DUID client id
)

// ClientKinds returns every client kind, for table tests.
func ClientKinds() []ClientKind {
	return []ClientKind{Dhclient, Udhcpc, UdhcpcBroadcast, Dhcpcd}
}

// Binary returns the name of the client's executable.
func (k ClientKind) Binary() string {
	switch k {
	case Udhcpc, UdhcpcBroadcast:
		return "udhcpc"
	default:
		return string(k)
	}
}

// ClientOptions adjusts a client. The zero value is fine.
type ClientOptions struct {
	// Timeout bounds each operation whose context has no deadline, and
	// tells the client how long to try. Default 30 s.
	Timeout time.Duration
	// Args are extra command-line arguments, placed before the interface.
	Args []string
	// Config holds extra lines for the client's config file (dhclient.conf
	// or dhcpcd.conf syntax). udhcpc has no config file and ignores it.
	Config []string
	// ARPProbe makes dhcpcd ARP-probe the offered address before using it,
	// which takes 4-7 s. By default it is off ("noarp").
	ARPProbe bool
}

// Lease is a lease as the client saw it: the values its hook script was
// given.
type Lease struct {
	Event     string            // hook reason: BOUND, REBOOT, RENEW, bound, renew, ...
	Addr      netip.Addr        // your address
	Mask      net.IPMask        // subnet mask
	Prefix    netip.Prefix      // Addr with the mask's length (not masked)
	Routers   []netip.Addr      // option 3
	DNS       []netip.Addr      // option 6
	LeaseTime time.Duration     // option 51
	ServerID  netip.Addr        // option 54
	Env       map[string]string // everything the hook saw
}

// ClientEvent is one run of the client's hook script.
type ClientEvent struct {
	Reason string            // dhclient/dhcpcd $reason, udhcpc $1
	Env    map[string]string // the script's environment
}

// Client runs one real DHCP client on one interface in a namespace. Its
// methods must not be called concurrently.
//
// Each client has a private state directory: lease file, pid file, config
// file, hook script and the events the hook recorded. The client process
// runs in a private mount and UTS namespace in which /run and
// /var/lib/dhcpcd are bound to that directory and /etc/resolv.conf to a
// scratch file, so it cannot change the host's files or hostname. The
// client owns its interface's IPv4 addresses: the hook configures and
// flushes them as dhclient-script and udhcpc's default.script would
// (dhcpcd configures them itself).
type Client struct {
	t     testing.TB
	kind  ClientKind
	ns    *NS
	iface string
	opts  ClientOptions

	dir, hook, events, conf, leaseFile, pidFile, wrap string

	proc     *Proc
	procs    []*Proc
	oneshots []string
	seen     map[string]bool
	evs      []ClientEvent
}

// NewClient prepares a client of the given kind on interface iface in ns.
// Nothing runs until Obtain. The client is stopped (without a release)
// when the test ends.
func NewClient(t testing.TB, kind ClientKind, ns *NS, iface string, opts ClientOptions) *Client {
	t.Helper()
	if !slices.Contains(ClientKinds(), kind) {
		t.Fatalf("NewClient: unknown client kind %q", kind)
	}
	RequireBinaries(t, kind.Binary(), "unshare", "mount")
	if opts.Timeout <= 0 {
		opts.Timeout = 30 * time.Second
	}
	dir := t.TempDir()
	c := &Client{
		t: t, kind: kind, ns: ns, iface: iface, opts: opts,
		dir:       dir,
		hook:      filepath.Join(dir, "hook.sh"),
		events:    filepath.Join(dir, "events"),
		conf:      filepath.Join(dir, kind.Binary()+".conf"),
		leaseFile: filepath.Join(dir, "dhclient.leases"),
		pidFile:   filepath.Join(dir, kind.Binary()+".pid"),
		wrap:      filepath.Join(dir, "wrap.sh"),
		seen:      map[string]bool{},
	}
	for _, d := range []string{c.events, filepath.Join(dir, "run"), filepath.Join(dir, "db")} {
		if err := os.MkdirAll(d, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	files := map[string]string{
		c.hook:                            c.hookScript(),
		c.wrap:                            wrapScript(dir),
		filepath.Join(dir, "resolv.conf"): "",
	}
	switch kind {
	case Dhclient:
		files[c.conf] = c.dhclientConf()
	case Dhcpcd:
		files[c.conf] = c.dhcpcdConf()
	}
	for path, content := range files {
		if err := os.WriteFile(path, []byte(content), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	t.Cleanup(func() {
		if err := c.Stop(); err != nil {
			t.Errorf("cleanup: %v", err)
		}
		if t.Failed() {
			t.Logf("%s on %s/%s: events: %s", kind, ns.name, iface, c.eventSummary())
		}
	})
	return c
}

// Kind returns the client's kind.
func (c *Client) Kind() ClientKind { return c.kind }

// Iface returns the interface the client runs on.
func (c *Client) Iface() string { return c.iface }

// Dir returns the client's private state directory.
func (c *Client) Dir() string { return c.dir }

// Running reports whether the client process runs.
func (c *Client) Running() bool { return c.proc != nil && !c.proc.Exited() }

// Obtain starts the client and waits until it has bound a lease and the
// address is on its interface. It fails if the client gives up, exits or
// ctx ends first; the error includes the client's output. A failed Obtain
// stops the client, so it never goes on running (and perhaps binding
// later) behind the caller's back.
func (c *Client) Obtain(ctx context.Context) (Lease, error) {
	if c.Running() {
		return Lease{}, c.errorf(nil, "Obtain: client already running")
	}
	ctx, cancel := c.opContext(ctx)
	defer cancel()
	mark := c.mark()
	if err := c.start(); err != nil {
		return Lease{}, err
	}
	l, err := c.waitLease(ctx, "obtain", mark)
	if err != nil {
		if serr := c.stopProc(); serr != nil {
			return Lease{}, errors.Join(err, serr)
		}
		return Lease{}, err
	}
	return l, nil
}

// Renew makes the running client renew its lease and returns the lease it
// then holds. dhclient cannot be told to renew, so it is stopped (without
// a release) and started again on the same lease file: it asks for its
// address again (INIT-REBOOT, reason REBOOT). udhcpc gets SIGUSR1 (unicast
// renewal, reason renew). dhcpcd is sent "dhcpcd -n" (rebind, reason
// RENEW).
func (c *Client) Renew(ctx context.Context) (Lease, error) {
	if !c.Running() {
		return Lease{}, c.errorf(nil, "Renew: client not running")
	}
	ctx, cancel := c.opContext(ctx)
	defer cancel()
	mark := c.mark()
	switch c.kind {
	case Dhclient:
		if err := c.stopProc(); err != nil {
			return Lease{}, err
		}
		if err := c.start(); err != nil {
			return Lease{}, err
		}
	case Udhcpc, UdhcpcBroadcast:
		if err := c.proc.Signal(syscall.SIGUSR1); err != nil {
			return Lease{}, c.errorf(err, "Renew")
		}
	case Dhcpcd:
		if err := c.oneshot(ctx, "dhcpcd", "-4", "-f", c.conf, "-n", c.iface); err != nil {
			return Lease{}, err
		}
	}
	return c.waitLease(ctx, "renew", mark)
}

// Release makes the client send a DHCPRELEASE and waits until it has
// removed the address from its interface. dhclient -r and dhcpcd -k
// release and then stop the client; udhcpc (SIGUSR2) releases and stays
// running, unbound, until Stop.
func (c *Client) Release(ctx context.Context) error {
	if !c.Running() {
		return c.errorf(nil, "Release: client not running")
	}
	ctx, cancel := c.opContext(ctx)
	defer cancel()
	mark := c.mark()
	var leased netip.Addr
	if l, ok := c.lastLease(); ok {
		leased = l.Addr
	}
	switch c.kind {
	case Dhclient:
		if err := c.oneshot(ctx, "dhclient", "-4", "-r", "-v", "-cf", c.conf, "-sf", c.hook,
			"-lf", c.leaseFile, "-pf", c.pidFile, c.iface); err != nil {
			return err
		}
		if err := c.proc.Wait(ctx); err != nil && ctx.Err() != nil {
			return c.errorf(err, "Release: dhclient did not exit")
		}
	case Udhcpc, UdhcpcBroadcast:
		if err := c.proc.Signal(syscall.SIGUSR2); err != nil {
			return c.errorf(err, "Release")
		}
		if _, err := c.waitEvent(ctx, mark, "deconfig"); err != nil {
			return c.errorf(err, "Release")
		}
	case Dhcpcd:
		if err := c.oneshot(ctx, "dhcpcd", "-4", "-f", c.conf, "-k", c.iface); err != nil {
			return err
		}
		if err := c.proc.Wait(ctx); err != nil && ctx.Err() != nil {
			return c.errorf(err, "Release: dhcpcd did not exit")
		}
	}
	if leased.IsValid() {
		for {
			addrs, err := c.ns.Addrs(c.iface)
			if err != nil {
				return c.errorf(err, "Release")
			}
			if !slices.ContainsFunc(addrs, func(p netip.Prefix) bool { return p.Addr() == leased }) {
				break
			}
			select {
			case <-ctx.Done():
				return c.errorf(ctx.Err(), "Release: %v still on %s", leased, c.iface)
			case <-time.After(50 * time.Millisecond):
			}
		}
	}
	return nil
}

// Stop stops the client without releasing its lease (SIGTERM, then
// SIGKILL to its process group). The address stays on the interface. It
// is safe to call at any time, more than once.
func (c *Client) Stop() error { return c.stopProc() }

// Events returns every hook event recorded so far, oldest first.
func (c *Client) Events() []ClientEvent {
	c.readEvents()
	return slices.Clone(c.evs)
}

// Output returns the output of every client command run so far.
func (c *Client) Output() string {
	var b strings.Builder
	for _, p := range c.procs {
		fmt.Fprintf(&b, "== %s\n%s", p, p.Output())
	}
	for _, o := range c.oneshots {
		b.WriteString(o)
	}
	return b.String()
}

func (c *Client) opContext(ctx context.Context) (context.Context, context.CancelFunc) {
	if _, ok := ctx.Deadline(); ok {
		return context.WithCancel(ctx)
	}
	return context.WithTimeout(ctx, c.opts.Timeout)
}

// mark returns a position in the event list; waits look only past it.
func (c *Client) mark() int {
	c.readEvents()
	return len(c.evs)
}

// command returns the argument list that runs the client binary bin with
// args inside the private mount namespace.
func (c *Client) command(bin string, args ...string) []string {
	return append([]string{"--mount", "--uts", "--propagation", "private", "sh", c.wrap, bin}, args...)
}

// start starts the long-running client process.
func (c *Client) start() error {
	secs := strconv.Itoa(max(1, int(c.opts.Timeout/time.Second)))
	var bin string
	var args []string
	switch c.kind {
	case Dhclient:
		bin = "dhclient"
		args = []string{"-4", "-d", "-1", "-v", "-cf", c.conf, "-sf", c.hook, "-lf", c.leaseFile, "-pf", c.pidFile}
	case Udhcpc, UdhcpcBroadcast:
		bin = "udhcpc"
		tries := strconv.Itoa(max(1, int(c.opts.Timeout/(2*time.Second))))
		args = []string{"-f", "-n", "-t", tries, "-T", "2", "-s", c.hook}
		if c.kind == UdhcpcBroadcast {
			args = append(args, "-B")
		}
	case Dhcpcd:
		bin = "dhcpcd"
		args = []string{"-4", "-B", "-d", "-f", c.conf, "-t", secs, "--script", c.hook}
	}
	args = append(args, c.opts.Args...)
	if c.kind == Udhcpc || c.kind == UdhcpcBroadcast {
		args = append(args, "-i", c.iface)
	} else {
		args = append(args, c.iface)
	}
	// The process outlives the operation that starts it: it gets its own
	// context and is ended by Stop (or the test's cleanup).
	p, err := c.ns.Start(context.Background(), "unshare", c.command(bin, args...)...)
	if err != nil {
		return c.errorf(err, "start")
	}
	c.proc = p
	c.procs = append(c.procs, p)
	return nil
}

func (c *Client) stopProc() error {
	if c.proc == nil {
		return nil
	}
	if err := c.proc.Stop(5 * time.Second); err != nil {
		return c.errorf(err, "stop")
	}
	return nil
}

// oneshot runs a short client command (dhclient -r, dhcpcd -n/-k) in the
// client's private mount namespace and keeps its output.
func (c *Client) oneshot(ctx context.Context, bin string, args ...string) error {
	out, err := c.ns.Run(ctx, "unshare", c.command(bin, args...)...)
	c.oneshots = append(c.oneshots, fmt.Sprintf("== %s\n%s", quoteArgs(bin, args), out))
	if err != nil {
		return c.errorf(err, "%s", bin)
	}
	return nil
}

// boundReasons are the hook reasons that carry a lease just bound.
func (c *Client) isBound(reason string) bool {
	switch c.kind {
	case Udhcpc, UdhcpcBroadcast:
		return reason == "bound" || reason == "renew"
	default:
		return reason == "BOUND" || reason == "RENEW" || reason == "REBIND" || reason == "REBOOT"
	}
}

// waitLease waits for a bound event after mark, then for its address to
// be on the interface.
func (c *Client) waitLease(ctx context.Context, op string, mark int) (Lease, error) {
	ev, err := c.waitFor(ctx, mark, func(e ClientEvent) bool { return c.isBound(e.Reason) })
	if err != nil {
		return Lease{}, c.errorf(err, "%s", op)
	}
	l, err := leaseFromEvent(c.kind, ev)
	if err != nil {
		return Lease{}, c.errorf(err, "%s", op)
	}
	for {
		addrs, err := c.ns.Addrs(c.iface)
		if err != nil {
			return Lease{}, c.errorf(err, "%s", op)
		}
		if slices.ContainsFunc(addrs, func(p netip.Prefix) bool { return p == l.Prefix }) {
			return l, nil
		}
		select {
		case <-ctx.Done():
			return Lease{}, c.errorf(ctx.Err(), "%s: lease %v bound but %s has %v", op, l.Prefix, c.iface, addrs)
		case <-time.After(50 * time.Millisecond):
		}
	}
}

func (c *Client) waitEvent(ctx context.Context, mark int, reason string) (ClientEvent, error) {
	return c.waitFor(ctx, mark, func(e ClientEvent) bool { return e.Reason == reason })
}

// waitFor polls the recorded events past mark until one satisfies ok, the
// client process exits, or ctx ends.
func (c *Client) waitFor(ctx context.Context, mark int, ok func(ClientEvent) bool) (ClientEvent, error) {
	for {
		c.readEvents()
		for _, e := range c.evs[mark:] {
			if ok(e) {
				return e, nil
			}
		}
		if c.proc != nil && c.proc.Exited() {
			// The hook may have run just before the exit.
			c.readEvents()
			for _, e := range c.evs[mark:] {
				if ok(e) {
					return e, nil
				}
			}
			return ClientEvent{}, fmt.Errorf("client exited (%v)", c.proc.ExitErr())
		}
		select {
		case <-ctx.Done():
			return ClientEvent{}, ctx.Err()
		case <-time.After(50 * time.Millisecond):
		}
	}
}

func (c *Client) lastLease() (Lease, bool) {
	c.readEvents()
	for i := len(c.evs) - 1; i >= 0; i-- {
		if c.isBound(c.evs[i].Reason) {
			l, err := leaseFromEvent(c.kind, c.evs[i])
			return l, err == nil
		}
	}
	return Lease{}, false
}

// readEvents loads event files written by the hook since the last call.
// Names are the hook's nanosecond clock, so they sort in order.
func (c *Client) readEvents() {
	entries, err := os.ReadDir(c.events)
	if err != nil {
		return
	}
	var names []string
	for _, e := range entries {
		if strings.HasSuffix(e.Name(), ".ev") && !c.seen[e.Name()] {
			names = append(names, e.Name())
		}
	}
	sort.Strings(names)
	for _, n := range names {
		b, err := os.ReadFile(filepath.Join(c.events, n))
		if err != nil {
			continue
		}
		c.seen[n] = true
		env := parseEnv(string(b))
		c.evs = append(c.evs, ClientEvent{Reason: env["LT_REASON"], Env: env})
	}
}

// parseEnv parses env(1) output. A line without '=' continues the
// previous value (a value containing a newline).
func parseEnv(s string) map[string]string {
	env := map[string]string{}
	var last string
	for _, line := range strings.Split(strings.TrimSuffix(s, "\n"), "\n") {
		k, v, ok := strings.Cut(line, "=")
		if !ok || k == "" || strings.ContainsAny(k, " \t") {
			if last != "" {
				env[last] += "\n" + line
			}
			continue
		}
		env[k] = v
		last = k
	}
	return env
}

func (c *Client) eventSummary() string {
	c.readEvents()
	var r []string
	for _, e := range c.evs {
		s := e.Reason
		if a := firstNonEmpty(e.Env["new_ip_address"], e.Env["ip"]); a != "" {
			s += "(" + a + ")"
		}
		r = append(r, s)
	}
	if len(r) == 0 {
		return "none"
	}
	return strings.Join(r, " ")
}

func (c *Client) errorf(err error, format string, args ...any) error {
	msg := fmt.Sprintf(format, args...)
	if err != nil {
		msg += ": " + err.Error()
	}
	return fmt.Errorf("%s on %s/%s: %s\n\thook events: %s\n\tclient output:%s",
		c.kind, c.ns.name, c.iface, msg, c.eventSummary(), IndentOutput(Tail(c.Output(), 4096)))
}

func firstNonEmpty(s ...string) string {
	for _, v := range s {
		if v != "" {
			return v
		}
	}
	return ""
}

// leaseFromEvent reads a lease out of a bound event's environment.
func leaseFromEvent(kind ClientKind, ev ClientEvent) (Lease, error) {
	e := ev.Env
	key := map[string]string{
		"ip": "new_ip_address", "mask": "new_subnet_mask", "routers": "new_routers",
		"dns": "new_domain_name_servers", "lease": "new_dhcp_lease_time", "sid": "new_dhcp_server_identifier",
	}
	if kind == Udhcpc || kind == UdhcpcBroadcast {
		key = map[string]string{
			"ip": "ip", "mask": "subnet", "routers": "router",
			"dns": "dns", "lease": "lease", "sid": "serverid",
		}
	}
	l := Lease{Event: ev.Reason, Env: e}
	var err error
	if l.Addr, err = netip.ParseAddr(e[key["ip"]]); err != nil || !l.Addr.Is4() {
		return Lease{}, fmt.Errorf("event %s: address %s=%q: not an IPv4 address", ev.Reason, key["ip"], e[key["ip"]])
	}
	m, err := netip.ParseAddr(e[key["mask"]])
	if err != nil || !m.Is4() {
		return Lease{}, fmt.Errorf("event %s: subnet mask %s=%q: not an IPv4 mask", ev.Reason, key["mask"], e[key["mask"]])
	}
	l.Mask = net.IPMask(m.AsSlice())
	ones, bits := l.Mask.Size()
	if bits == 0 {
		return Lease{}, fmt.Errorf("event %s: subnet mask %v is not contiguous", ev.Reason, m)
	}
	l.Prefix = netip.PrefixFrom(l.Addr, ones)
	if l.Routers, err = parseAddrList(e[key["routers"]]); err != nil {
		return Lease{}, fmt.Errorf("event %s: routers: %w", ev.Reason, err)
	}
	if l.DNS, err = parseAddrList(e[key["dns"]]); err != nil {
		return Lease{}, fmt.Errorf("event %s: DNS servers: %w", ev.Reason, err)
	}
	if s := e[key["lease"]]; s != "" {
		n, err := strconv.ParseUint(s, 10, 32)
		if err != nil {
			return Lease{}, fmt.Errorf("event %s: lease time %q: %w", ev.Reason, s, err)
		}
		l.LeaseTime = time.Duration(n) * time.Second
	}
	if s := e[key["sid"]]; s != "" {
		if l.ServerID, err = netip.ParseAddr(s); err != nil {
			return Lease{}, fmt.Errorf("event %s: server identifier: %w", ev.Reason, err)
		}
	}
	return l, nil
}

func parseAddrList(s string) ([]netip.Addr, error) {
	var out []netip.Addr
	for _, f := range strings.Fields(s) {
		a, err := netip.ParseAddr(f)
		if err != nil {
			return nil, err
		}
		out = append(out, a)
	}
	return out, nil
}

// wrapScript shadows the host's state directories before exec'ing the
// client. It runs as "unshare --mount --uts sh wrap.sh CLIENT ARGS...", so
// the mounts exist only for the client. /run is replaced whole: the
// client finds nothing of the host's there, and dhcpcd's pid file and
// control socket land in DIR/run/dhcpcd, where "dhcpcd -n/-k" run through
// the same wrapper find them.
func wrapScript(dir string) string {
	return fmt.Sprintf(`#!/bin/sh
# Written by leased's internal/testnet for one test client.
set -e
dir=%s
if [ -f /etc/resolv.conf ] && [ ! -L /etc/resolv.conf ]; then
	mount --bind "$dir/resolv.conf" /etc/resolv.conf
fi
mount --bind "$dir/run" /run
if [ -d /var/lib/dhcpcd ]; then
	mount --bind "$dir/db" /var/lib/dhcpcd
fi
exec "$@"
`, shellQuote(dir))
}

// hookScript records each event with its environment into the events
// directory (written to a temporary name, then renamed, so a reader never
// sees half a file) and, for dhclient and udhcpc, configures the address.
func (c *Client) hookScript() string {
	var apply string
	switch c.kind {
	case Dhclient:
		apply = `case "$ev" in
PREINIT) ip link set dev "$interface" up ;;
BOUND|RENEW|REBIND|REBOOT)
	if [ -n "${old_ip_address:-}" ] && [ "$old_ip_address" != "$new_ip_address" ]; then
		ip -4 addr flush dev "$interface"
	fi
	ip addr replace "$new_ip_address/$new_subnet_mask" brd + dev "$interface" ;;
EXPIRE|FAIL|RELEASE|STOP) ip -4 addr flush dev "$interface" ;;
esac`
	case Udhcpc, UdhcpcBroadcast:
		apply = `case "$ev" in
deconfig) ip -4 addr flush dev "$interface"; ip link set dev "$interface" up ;;
bound) ip -4 addr flush dev "$interface"; ip addr add "$ip/${mask:-24}" brd + dev "$interface" ;;
renew) ip addr replace "$ip/${mask:-24}" brd + dev "$interface" ;;
esac`
	case Dhcpcd:
		apply = `: # dhcpcd configures the interface itself`
	}
	return fmt.Sprintf(`#!/bin/sh
# Written by leased's internal/testnet: records every event of one %s.
PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin
export PATH
ev="${reason:-${1:-}}"
f=%s/"$(date +%%s%%N)-$$"
{ printf 'LT_REASON=%%s\n' "$ev"; env; } >"$f.tmp" && mv "$f.tmp" "$f.ev"
%s
exit 0
`, c.kind, shellQuote(c.events), apply)
}

func (c *Client) dhclientConf() string {
	lines := []string{
		"# Written by leased's internal/testnet.",
		fmt.Sprintf("timeout %d;", max(1, int(c.opts.Timeout/time.Second))),
		"request subnet-mask, broadcast-address, time-offset, routers, domain-name, domain-name-servers, host-name;",
	}
	return strings.Join(append(lines, c.opts.Config...), "\n") + "\n"
}

// dhcpcdConf is Debian's stock dhcpcd.conf, IPv4 only, without IPv4LL
// (no 169.254 address when there is no server) and by default without
// the ARP probe.
func (c *Client) dhcpcdConf() string {
	lines := []string{
		"# Written by leased's internal/testnet.",
		"duid",
		"persistent",
		"vendorclassid",
		"option domain_name_servers, domain_name, domain_search",
		"option classless_static_routes",
		"option interface_mtu",
		"option host_name",
		"option rapid_commit",
		"require dhcp_server_identifier",
		"ipv4only",
		"noipv4ll",
	}
	if !c.opts.ARPProbe {
		lines = append(lines, "noarp")
	}
	return strings.Join(append(lines, c.opts.Config...), "\n") + "\n"
}

func shellQuote(s string) string {
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}
