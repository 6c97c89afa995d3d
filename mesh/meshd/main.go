package meshd

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/netip"
	"os"
	"os/signal"
	"path/filepath"
	"runtime/debug"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/leased/leased/dhcpserver"
	"github.com/leased/leased/mesh"
)

// Exit codes of Main and CtlMain.
const (
	exitOK    = 0
	exitError = 1
	exitUsage = 2
)

// DefaultStateRoot is where a node keeps its state unless told otherwise:
// in a directory named after its node id, so that several nodes on one
// host (ddhcpd's network-test runs them side by side) do not collide.
// /var/run is tmpfs on OpenWrt and on current Linux distributions alike:
// the state survives a restart of the node, not a reboot, which is what
// Gluon expects of ddhcpd (which keeps nothing at all) and writes nothing
// to flash. --state-copy keeps a copy across reboots.
const DefaultStateRoot = "/var/run/leased/mesh"

// foregroundEnv marks the process Main started to run in the background
// for -d.
const foregroundEnv = "LEASED_MESH_FOREGROUND"

// Options are the settings of Run.
type Options struct {
	Config mesh.Config
	// StateDir is where leases and claims are kept across restarts.
	// Empty means DefaultStateRoot/<node id>; there, a directory that
	// cannot be used only costs the persistence (logged), so that the
	// node runs wherever ddhcpd would.
	StateDir string
	// NoState turns persistence off, as in ddhcpd.
	NoState bool
	// StateCopy, if not empty, is a directory (on flash) that gets a copy
	// of the state every StateCopyEvery at most, when the leases changed,
	// and gives it back when the state directory is empty at start.
	StateCopy      string
	StateCopyEvery time.Duration // 0: DefaultStateCopyEvery
	// Logger receives the node's messages, and those of its DHCP server
	// and lease store; nil discards them.
	Logger Logger
	// SetLogLevel, if not nil, is called by the control socket's
	// LOG_LEVEL_SET with ddhcpd's level: 0 (fatal) to 4 (debug).
	SetLogLevel func(level int)
	// HookOutput receives the hook's output; nil discards it.
	HookOutput io.Writer
}

// Main runs `leased mesh` with ddhcpd's command line (args without the
// program name) until ctx ends, and returns the exit status. Among
// ddhcpd's flags it takes leased's own, which ddhcpd's never look like:
//
//	--state-dir DIR   keep leases and claims in DIR
//	--no-state        keep nothing across restarts (as ddhcpd)
//	--state-copy DIR  copy the state to DIR (on flash) now and then, and
//	                  take it from there when the state directory is empty
//	--state-copy-every DURATION
//	                  copy at most this often (default 1h, at least 1m)
func Main(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	return MainNamed(ctx, "leased mesh", args, stdout, stderr)
}

// MainNamed is Main for a program that calls itself prog in its usage,
// version and error messages (leased-mesh, the node built alone).
func MainNamed(ctx context.Context, prog string, args []string, stdout, stderr io.Writer) int {
	own, rest, err := ownOptions(args)
	if err != nil {
		fmt.Fprintf(stderr, "%s: %v\n", prog, err)
		return exitUsage
	}
	cfg, err := mesh.ParseArgs(rest)
	if err != nil {
		fmt.Fprintf(stderr, "%s: %v\n\n%s", prog, err, usage(prog))
		return exitUsage
	}
	if cfg.Help {
		fmt.Fprint(stdout, usage(prog))
		return exitOK
	}
	if cfg.Version {
		fmt.Fprintf(stdout, "%s %s (ddhcpd 3eefc27 compatible)\n", prog, revision())
		return exitOK
	}
	if cfg.Daemonize && os.Getenv(foregroundEnv) != "1" {
		if err := daemonize(); err != nil {
			fmt.Fprintf(stderr, "%s: -d: %v\n", prog, err)
			return exitError
		}
		return exitOK
	}
	// ddhcpd ignores SIGHUP and SIGPIPE.
	signal.Ignore(syscall.SIGHUP, syscall.SIGPIPE)
	log := newTextLogger(stderr, cfg.LogLevel)
	err = Run(ctx, Options{Config: cfg, StateDir: own.stateDir, NoState: own.noState, StateCopy: own.copyDir, StateCopyEvery: own.copyEvery,
		Logger: log, SetLogLevel: log.setLevel, HookOutput: stderr})
	if err != nil {
		log.Error(prog+" stopped", "error", err)
		return exitError
	}
	return exitOK
}

func usage(prog string) string {
	return mesh.Usage(prog+" [--state-dir DIR | --no-state] [--state-copy DIR [--state-copy-every DURATION]]") + `
  --state-dir DIR  keep own leases and claims in DIR across restarts
                   (default ` + DefaultStateRoot + `/<node id>, tmpfs: kept
                   across a restart of the node, not across a reboot)
  --no-state       keep nothing across restarts, as ddhcpd
  --state-copy DIR copy the state to DIR (on flash) when the leases changed,
                   at most every --state-copy-every, and take it from DIR
                   when the state directory is empty (after a reboot);
                   leases given since the last copy are lost at a reboot
  --state-copy-every DURATION
                   (default ` + DefaultStateCopyEvery.String() + `, at least ` + minStateCopyEvery.String() + `): each copy
                   writes two files to flash
`
}

// ownOpts are leased's own options of `leased mesh`.
type ownOpts struct {
	stateDir  string
	noState   bool
	copyDir   string
	copyEvery time.Duration
}

// ownOptions takes leased's own options (--state-dir, --no-state,
// --state-copy, --state-copy-every) out of a ddhcpd command line,
// wherever they stand before a "--". ddhcpd's flags are single letters,
// so "--name" is never one of them, unless it is the value of a flag such
// as -H, which is left alone.
func ownOptions(args []string) (o ownOpts, rest []string, err error) {
	for i := 0; i < len(args); i++ {
		a := args[i]
		if a == "--" {
			rest = append(rest, args[i:]...)
			break
		}
		if !strings.HasPrefix(a, "--") || a == "--help" { // ParseArgs reads --help as -h
			rest = append(rest, a)
			if takesValue(a) && i+1 < len(args) {
				i++
				rest = append(rest, args[i])
			}
			continue
		}
		name, val, hasVal := strings.Cut(a, "=")
		value := func(what string) (string, error) {
			if !hasVal {
				if i+1 >= len(args) {
					return "", fmt.Errorf("%s needs %s", name, what)
				}
				i++
				val = args[i]
			}
			if val == "" {
				return "", fmt.Errorf("%s needs %s", name, what)
			}
			return val, nil
		}
		switch name {
		case "--state-dir":
			if o.stateDir, err = value("a directory"); err != nil {
				return ownOpts{}, nil, err
			}
		case "--state-copy":
			if o.copyDir, err = value("a directory"); err != nil {
				return ownOpts{}, nil, err
			}
		case "--state-copy-every":
			v, err := value("a duration")
			if err != nil {
				return ownOpts{}, nil, err
			}
			if o.copyEvery, err = time.ParseDuration(v); err != nil || o.copyEvery < minStateCopyEvery {
				return ownOpts{}, nil, fmt.Errorf("--state-copy-every %q: want a duration of at least %v, such as 30m or 2h", v, minStateCopyEvery)
			}
		case "--no-state":
			if hasVal {
				return ownOpts{}, nil, errors.New("--no-state takes no value")
			}
			o.noState = true
		default:
			return ownOpts{}, nil, fmt.Errorf("unknown option %s (leased's own options are --state-dir, --no-state, --state-copy and --state-copy-every; the others are ddhcpd's single-letter flags)", name)
		}
	}
	switch {
	case o.noState && o.stateDir != "":
		return ownOpts{}, nil, errors.New("--state-dir and --no-state exclude each other")
	case o.noState && o.copyDir != "":
		return ownOpts{}, nil, errors.New("--state-copy and --no-state exclude each other")
	case o.copyEvery != 0 && o.copyDir == "":
		return ownOpts{}, nil, errors.New("--state-copy-every needs --state-copy")
	}
	return o, rest, nil
}

// ddhcpdValued lists ddhcpd's flags that take a value.
const ddhcpdValued = "CcitbBNosHn"

// takesValue reports whether a ddhcpd flag argument ("-b", "-Lb") ends
// in a flag whose value is the next argument.
func takesValue(a string) bool {
	if len(a) < 2 || a[0] != '-' {
		return false
	}
	for j := 1; j < len(a); j++ {
		if strings.IndexByte(ddhcpdValued, a[j]) >= 0 {
			return j == len(a)-1
		}
	}
	return false
}

// revision returns the VCS revision the binary was built from.
func revision() string {
	bi, ok := debug.ReadBuildInfo()
	if !ok {
		return "(unknown revision)"
	}
	for _, s := range bi.Settings {
		if s.Key == "vcs.revision" && len(s.Value) >= 7 {
			return s.Value[:7]
		}
	}
	return bi.Main.Version
}

// daemonize starts this program again in the background, detached from
// the terminal, as ddhcpd's daemon(0, 0) does; the parent then exits.
func daemonize() error {
	exe, err := os.Executable()
	if err != nil {
		return err
	}
	p, err := startProcess(procSpec{
		Argv: append([]string{exe}, os.Args[1:]...), Dir: "/", Env: append(os.Environ(), foregroundEnv+"=1"),
		Sys: &syscall.SysProcAttr{Setsid: true},
	})
	if err != nil {
		return err
	}
	return p.p.Release()
}

// Run runs a mesh node until ctx ends.
func Run(ctx context.Context, o Options) error {
	cfg := o.Config
	if err := cfg.Validate(); err != nil {
		return err
	}
	log := o.Logger
	if log == nil {
		log = discardLogger{}
	}
	id, err := mesh.NodeIDForInterface(cfg.MeshInterface)
	if err != nil {
		return fmt.Errorf("node id from -i %s: %w", cfg.MeshInterface, err)
	}
	tr, err := openD2D(ctx, cfg.MeshInterface)
	if err != nil {
		return err
	}
	defer tr.close()

	var exclude []netip.Addr
	if !cfg.NoDHCP {
		if exclude, err = interfaceAddrs4(cfg.ClientInterface); err != nil {
			return err
		}
	}
	var st *state
	switch {
	case o.NoState:
	case o.StateDir != "":
		if st, err = openState(o.StateDir, log); err != nil {
			return err
		}
	default:
		dir := filepath.Join(DefaultStateRoot, id.String())
		if st, err = openState(dir, log); err != nil {
			log.Warn("running without persistence: leases will not survive a restart", "error", err)
			st = nil
		}
	}
	if st != nil {
		defer st.close()
		if o.StateCopy != "" {
			n, err := restoreStateCopy(st, o.StateCopy)
			if err != nil {
				log.Warn("cannot take the state from its copy", "dir", o.StateCopy, "error", err)
			} else if n > 0 {
				log.Info("state taken from its copy", "dir", o.StateCopy, "leases", n)
			}
		}
	}
	hookOut := o.HookOutput
	if hookOut == nil {
		hookOut = io.Discard
	}
	hook := newHookRunner(cfg.Hook, hookOut, log)
	defer hook.stop()
	c, err := newCore(coreConfig{Config: cfg, ID: id, Exclude: exclude, Logger: log, SetLogLevel: o.SetLogLevel, State: st, Hook: hook}, tr)
	if err != nil {
		return err
	}
	c.resume()

	var srv *dhcpserver.Server
	if !cfg.NoDHCP {
		srv = &dhcpserver.Server{Interfaces: []string{cfg.ClientInterface}, Handler: c.handler(), Logger: log}
		if err := srv.Listen(); err != nil {
			return fmt.Errorf("DHCP on -c %s: %w", cfg.ClientInterface, err)
		}
	}
	ln, err := listenControl(cfg.ControlPath)
	if err != nil {
		if srv != nil {
			srv.Close()
		}
		return err
	}

	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	errc := make(chan error, 1)
	var wg sync.WaitGroup
	readErr := func(err error) { log.Warn("mesh socket read failed", "error", err) }
	wg.Go(func() { tr.read(tr.mcast, c.handleMulticast, readErr) })
	wg.Go(func() { tr.read(tr.ucast, c.handleUnicast, readErr) })
	wg.Go(func() { c.loop(ctx) })
	wg.Go(func() { c.serveControl(ln) })
	if st != nil {
		st.startClaimsWriter(id, c.rng, c.claimSnapshot) // stopped by st.close
		wg.Go(func() { expireLoop(ctx, st) })
		if o.StateCopy != "" {
			every := o.StateCopyEvery
			if every == 0 {
				every = DefaultStateCopyEvery
			}
			sc := &stateCopy{dir: o.StateCopy, st: st, log: log,
				claims: func() []byte { return claimsData(id, c.rng, c.claimSnapshot) }}
			tick := time.NewTicker(every)
			defer tick.Stop()
			wg.Go(func() { sc.run(ctx, tick.C) })
		}
	}
	if srv != nil {
		wg.Go(func() {
			if err := srv.Serve(); err != nil && !errors.Is(err, dhcpserver.ErrServerClosed) {
				errc <- fmt.Errorf("DHCP server: %w", err)
				cancel()
			}
		})
	}
	log.Info("mesh node running", "node_id", id, "mesh_if", cfg.MeshInterface, "link_local", tr.linkLocal,
		"client_if", cfg.ClientInterface, "range", c.rng, "control", cfg.ControlPath, "learning", cfg.LearningPhase)

	<-ctx.Done()
	// Nothing is announced on shutdown, as in ddhcpd: peers let the
	// claims run out.
	ln.Close()
	tr.close()
	c.shutdown()
	if srv != nil {
		sctx, scancel := context.WithTimeout(context.Background(), 2*time.Second)
		srv.Shutdown(sctx)
		scancel()
		c.shutdown() // replies deferred while the server drained
	}
	wg.Wait()
	select {
	case err := <-errc:
		return err
	default:
		return nil
	}
}

// expireLoop deletes run-out leases from the store now and then.
func expireLoop(ctx context.Context, st *state) {
	t := time.NewTicker(time.Minute)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case now := <-t.C:
			st.expire(now)
		}
	}
}

// interfaceAddrs4 returns the IPv4 addresses of the -c interface: never
// leased, since they are the node's own.
func interfaceAddrs4(name string) ([]netip.Addr, error) {
	ifi, err := net.InterfaceByName(name)
	if err != nil {
		return nil, fmt.Errorf("client interface (-c) %s: %w", name, err)
	}
	addrs, err := ifi.Addrs()
	if err != nil {
		return nil, fmt.Errorf("client interface (-c) %s: %w", name, err)
	}
	var out []netip.Addr
	for _, a := range addrs {
		if n, ok := a.(*net.IPNet); ok {
			if ip, ok := netip.AddrFromSlice(n.IP); ok && ip.Unmap().Is4() {
				out = append(out, ip.Unmap())
			}
		}
	}
	return out, nil
}

// CtlMain is ddhcpdctl: it parses ddhcpdctl's command line (args without
// the program name: -b, -d, -s, -S, -o CODE:LEN:B1…, -l SECONDS, -r CODE,
// -v LEVEL, -C PATH, -V, -h), sends the request to the node's control
// socket and prints the answer to stdout. It returns the exit status.
func CtlMain(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	return CtlMainNamed(ctx, "leased ctl", args, stdout, stderr)
}

// CtlMainNamed is CtlMain for a program that calls itself prog.
func CtlMainNamed(ctx context.Context, prog string, args []string, stdout, stderr io.Writer) int {
	inv, err := mesh.ParseCtlArgs(args)
	if err != nil {
		fmt.Fprintf(stderr, "%s: %v\n\n%s", prog, err, ctlUsage(prog))
		return exitUsage
	}
	if inv.Help {
		fmt.Fprint(stdout, ctlUsage(prog))
		return exitOK
	}
	if inv.Version {
		fmt.Fprintf(stdout, "%s %s (ddhcpdctl compatible)\n", prog, revision())
		if inv.Request.Command == 0 {
			return exitOK
		}
	}
	answer, err := Query(ctx, inv.Path, inv.Request)
	stdout.Write(answer)
	if err != nil {
		fmt.Fprintf(stderr, "%s: %v\n", prog, err)
		return exitError
	}
	return exitOK
}

func ctlUsage(prog string) string {
	return `Usage: ` + prog + ` [-C PATH] (-b | -d | -s | -S | -o CODE:LEN:B1.B2... | -l SECONDS | -r CODE | -v LEVEL)

  -C PATH     control socket of the node (default ` + mesh.DefaultControlPath + `)
  -b          show the block table
  -d          show the DHCP options
  -s          show the statistics
  -S          show the statistics, then reset them
  -o OPTION   set a DHCP option, CODE:LEN:B1.B2...
  -l SECONDS  set the lease time (option 51)
  -r CODE     remove a DHCP option
  -v LEVEL    set the log level (0 fatal ... 4 debug)
  -V          print the version
  -h          print this help
`
}
