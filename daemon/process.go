package daemon

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"os"
	"os/signal"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/leased/leased/config"
	"github.com/leased/leased/control"
	"github.com/leased/leased/daemon/pidfile"
	"github.com/leased/leased/daemon/sdnotify"
	"github.com/leased/leased/dhcpserver"
	"github.com/leased/leased/engine"
	"github.com/leased/leased/ha"
	"github.com/leased/leased/lease"
	"github.com/leased/leased/logging"
	"github.com/leased/leased/stats"
)

// DefaultRunDir holds the PID file of a server whose leases live only in
// memory.
const DefaultRunDir = "/run/leased"

// Options configure Run.
type Options struct {
	// ConfigPath is the Kea Dhcp4 configuration file (-c).
	ConfigPath string
	// ServerPort and ClientPort override the DHCP ports (kea-dhcp4's -p
	// and -P); 0 keeps 67 and 68.
	ServerPort, ClientPort uint16
	// Verbose logs everything at DEBUG level 99 (kea-dhcp4's -d).
	Verbose bool
	// JSONLog writes log records as JSON instead of text.
	JSONLog bool
	// Stdout and Stderr are the streams the "stdout" and "stderr" log
	// outputs write to, and where start-up errors go (Stderr); nil means
	// the process's own.
	Stdout, Stderr io.Writer
	// PIDFileDir is the directory of the PID file. Empty means the
	// directory of the lease file, which is the state the PID file
	// guards, or DefaultRunDir when leases live only in memory.
	PIDFileDir string
	// BuildInfo is what version-get and build-report tell.
	BuildInfo control.BuildInfo
	// ShutdownTimeout bounds how long messages in flight may take to
	// finish at shutdown; 5 s when zero.
	ShutdownTimeout time.Duration
	// Reload asks for the configuration file to be read again (SIGHUP).
	Reload <-chan struct{}
	// HA, when set, makes this server a member of high-availability
	// relationships (one, or Kea 3.x's several): it talks with its
	// partners (see haSet) and serves DHCP only as the state machines
	// allow. Nil takes it from the configuration file's libdhcp_ha.so
	// hooks-libraries entry, if any; a change of that entry takes effect
	// at a restart.
	HA *ha.Config
	// HAClock is the clock of the HA state machines and of the time this
	// server's heartbeat answers tell its partners; time.Now when nil.
	HAClock func() time.Time
}

// Main runs `leased serve` as a process until SIGTERM, SIGINT or the
// shutdown command, reloading on SIGHUP, and returns the exit code.
// Signals become events of the main loop; no work is done in a signal
// handler.
func Main(o Options) int {
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGTERM, syscall.SIGINT)
	defer stop()
	hup := make(chan os.Signal, 1)
	signal.Notify(hup, syscall.SIGHUP)
	defer signal.Stop(hup)
	// A burst of SIGHUPs becomes one reload (or one more, if a reload is
	// under way): each reads the file as it is then.
	reload := make(chan struct{}, 1)
	go func() {
		for range hup {
			select {
			case reload <- struct{}{}:
			default:
			}
		}
	}()
	o.Reload = reload
	code, err := Run(ctx, o)
	if err != nil {
		stderr := o.Stderr
		if stderr == nil {
			stderr = os.Stderr
		}
		fmt.Fprintf(stderr, "leased serve: %v\n", err)
		if code == 0 {
			code = 1
		}
	}
	return code
}

// process is one run of the server: everything Run sets up, and the main
// loop that owns configuration changes.
type process struct {
	o       Options
	log     *slog.Logger
	logging *logging.Logging
	store   lease.Store
	srv     *engine.Engine
	stack   *engine.Stack // srv, behind handler, as the sockets serve it
	stats   *stats.Manager
	metrics *metrics
	ctl     *control.Server
	handler *socketFilter // what the DHCP sockets call
	service serviceState  // dhcp-disable and dhcp-enable
	pg      *pgsqlLink    // a PostgreSQL lease store's pools and recovery; nil for memfile
	ha      *haSet        // nil without Options.HA
	ncr     *ncrService   // DNS updates sent to kea-dhcp-ddns
	notify  *sdnotify.Notifier

	pidPath    string // config-write must not replace it
	start      time.Time
	lastCommit atomic.Int64 // Unix seconds of the last configuration applied
	heartbeat  atomic.Int64 // Unix nanoseconds of the main loop's last turn

	// ifaces holds one DHCP server per served interface ("" for all);
	// the main loop changes it, status-get reads it.
	mu       sync.Mutex
	ifaces   map[string]*dhcpserver.Server
	sockErrs []string
	stopping sync.WaitGroup // DHCP servers being shut down
	// noRaw says the open DHCP sockets were opened without packet
	// sockets (dhcp-socket-type "udp"); retry is the pending attempts
	// to open the sockets that failed. The main loop owns both.
	noRaw bool
	retry *socketRetry

	// hosts is the hosts database in force (a nil store: none).
	hosts atomic.Pointer[hostsRef]

	requests chan request
	loaded   chan loaded   // configuration files read for SIGHUP
	done     chan struct{} // closed when the main loop has returned
	exit     int           // exit-value of the shutdown command
	quit     bool          // set by the shutdown command
}

// request is work the main loop does for a command handler.
type request struct {
	fn    func() control.Response
	reply chan control.Response
}

// Run serves DHCP from the configuration file until ctx ends or the
// shutdown command arrives, then stops taking commands and reading
// messages, finishes the messages in flight, flushes and closes the lease
// store, removes the PID file and the control socket files, and returns
// the exit value (the shutdown command's exit-value, else 0). A
// configuration that fails to load on reload is logged with its
// positions and ignored: the previous one keeps serving. Run returns an
// error when the server cannot start.
func Run(ctx context.Context, o Options) (int, error) {
	if o.Stdout == nil {
		o.Stdout = os.Stdout
	}
	if o.Stderr == nil {
		o.Stderr = os.Stderr
	}
	if o.ShutdownTimeout <= 0 {
		o.ShutdownTimeout = 5 * time.Second
	}
	level := slog.LevelInfo
	if o.Verbose {
		level = logging.Debug(logging.DebugMax)
	}
	// Until the configuration names the loggers, problems go to stderr,
	// as kea-dhcp4 reports them on the console.
	boot := slog.New(slog.NewTextHandler(o.Stderr, &slog.HandlerOptions{Level: level, ReplaceAttr: logging.RedactAttr}))
	cfg, err := LoadConfig(o.ConfigPath, boot)
	if err != nil {
		return 1, err
	}
	if o.HA == nil {
		if o.HA, err = haFromConfig(cfg); err != nil {
			return 1, err
		}
	}
	if err := checkInterfaces(cfg); err != nil {
		return 1, err
	}
	if err := socketsApartFromStore(cfg); err != nil {
		return 1, err
	}
	lg, err := logging.New(cfg.Loggers, logging.Options{JSON: o.JSONLog, Stdout: o.Stdout, Stderr: o.Stderr, Verbose: o.Verbose})
	if err != nil {
		return 1, fmt.Errorf("loggers: %w", err)
	}
	defer lg.Close()
	p := &process{
		o:        o,
		log:      lg.Logger(logging.Root),
		logging:  lg,
		start:    time.Now(),
		ifaces:   make(map[string]*dhcpserver.Server),
		requests: make(chan request),
		loaded:   make(chan loaded),
		done:     make(chan struct{}),
	}
	if p.notify, err = sdnotify.New(); err != nil {
		p.log.Warn("cannot talk to systemd", "error", err)
	}

	pidPath := pidFilePath(o, cfg)
	p.pidPath = pidPath
	if err := os.MkdirAll(filepath.Dir(pidPath), 0o750); err != nil {
		return 1, fmt.Errorf("PID file directory: %w", err)
	}
	pf, err := pidfile.Create(pidPath, pidfile.Options{})
	if err != nil {
		return 1, err
	}
	defer func() {
		if err := pf.Remove(); err != nil {
			p.log.Warn("removing the PID file", "path", pidPath, "error", err)
		}
	}()

	var hooks pgsqlHooks
	if isSQL(cfg.LeaseDatabase) {
		p.pg, hooks = newPgsqlLink(p, cfg, lg.Logger(logging.NameLeases))
	}
	if p.store, err = openStore(ctx, cfg, lg.Logger(logging.NameLeases), hooks); err != nil {
		return 1, err
	}
	defer func() {
		if err := p.store.Close(); err != nil {
			p.log.Error("closing the lease store", "error", err)
		} else {
			p.log.Info("lease store closed", "leases", leaseDesc(cfg))
		}
	}()

	p.stats = stats.New(stats.Options{})
	p.metrics = newMetrics(p.stats, p.store, p.log)
	p.handler = &socketFilter{off: &p.service.off, unseen: &p.metrics.unseen}
	if o.HA != nil {
		if p.ha, err = newHASet(o.HA, lg.Logger(logging.NameHooks).With("hook", "ha"), o.HAClock); err != nil {
			return 1, err
		}
		p.handler.ha, p.handler.pk = p.ha.gate(), p.metrics.pk
		p.ha.setParking(cfg.ParkedPacketLimit, p.metrics.pk.QueueFull)
		p.ha.configure(cfg)
	}
	p.handler.policy.Store(policyOf(cfg))
	var repl engine.Replicator // a nil *haService would not be a nil Replicator
	var classes func(*dhcpserver.Request, engine.ClassAdder)
	var subnetSelected func(*dhcpserver.Request, *config.Subnet, engine.ClassAdder) bool
	if p.ha != nil {
		repl = p.ha
		classes, subnetSelected = p.ha.engineHooks()
	}
	if p.ncr, err = newNCRService(cfg, ncrJournalFor(cfg, lg.Logger(logging.NameDDNS)), p.stats, lg.Logger(logging.NameDDNS)); err != nil {
		return 1, err
	}
	defer p.ncr.close()
	p.stack, err = engine.NewStack(ctx, cfg, p.store, &engine.StackOptions{
		Options: engine.Options{Logger: lg.Logger(logging.NameDHCP4), Metrics: p.metrics, Replicator: repl, NameChanges: p.ncr, Classes: classes, SubnetSelected: subnetSelected},
		Middleware: func(next dhcpserver.Handler) dhcpserver.Handler {
			p.handler.next = &handler{next: next, pk: p.metrics.pk, log: lg.Logger(logging.NamePackets)}
			return p.handler
		},
	})
	if err != nil {
		return 1, fmt.Errorf("starting the server: %w", err)
	}
	p.srv = p.stack.Engine
	defer p.stack.Close()
	hs, err := openHosts(ctx, cfg, p.log, true)
	if err != nil {
		return 1, fmt.Errorf("opening hosts-database: %w", err)
	}
	p.setHosts(cfg, hs)
	defer func() {
		if s := p.setHosts(nil, nil); s != nil {
			s.Close()
		}
	}()
	if p.ha != nil {
		if err := p.ha.start(p.srv); err != nil {
			return 1, err
		}
		// Stopped before the stack closes (deferred calls run last
		// first), once no message is in flight any more.
		defer p.ha.stop()
	}
	p.metrics.configure(ctx, cfg)
	runCtx, stopRun := context.WithCancel(context.Background())
	defer stopRun()
	if p.pg != nil {
		p.pg.rec.ping = p.store.(interface{ Ping(context.Context) error }).Ping
		go p.pg.rec.run(runCtx)
	}

	reg := control.NewRegistry(o.BuildInfo, lg.Logger(logging.NameCommands))
	if err := p.register(reg); err != nil {
		return 1, err
	}
	defer p.service.stop()
	ctlOpts := control.Options{Logger: lg.Logger(logging.NameCommands), Service: "dhcp4",
		// Prometheus scrapes the HTTP control listener, behind its authentication.
		GetHandlers: map[string]http.Handler{"/metrics": p.metrics.handler()}}
	p.ha.admitPeers(&ctlOpts)
	p.ctl = control.NewServer(reg, ctlOpts)
	if err := p.ctl.Apply(cfg.ControlSockets); err != nil {
		return 1, fmt.Errorf("control sockets: %w", err)
	}
	ctlDown := false
	defer func() {
		if !ctlDown {
			p.stopControl()
		}
	}()

	if err := p.rebind(cfg, true); err != nil {
		return 1, err
	}
	defer p.stopRetry()
	p.lastCommit.Store(time.Now().Unix())
	attrs := []any{"config", o.ConfigPath, "interfaces", ifaceList(interfaces(cfg)),
		"port", p.serverPort(), "leases", leaseDesc(cfg), "pid-file", pidPath}
	p.mu.Lock()
	if len(p.sockErrs) > 0 {
		// The operator sees at once that not every interface is served.
		attrs = append(attrs, "sockets-not-open", strings.Join(p.sockErrs, "; "))
	}
	p.mu.Unlock()
	p.log.Info("serving DHCPv4", attrs...)
	if !dhcpserver.HardwareUnicast {
		// Said once for the process: no DHCP socket of this build can.
		p.log.Warn("this system has no packet sockets, so one RFC 2131 reply route is not taken: "+
			"an OFFER or ACK to a client that has no address yet (no relay, ciaddr 0, broadcast flag clear), "+
			"which RFC 2131 §4.1 unicasts to yiaddr at chaddr, is broadcast instead, as Kea does with UDP sockets",
			"system", runtime.GOOS)
	}
	p.notify.Ready()
	p.notify.Status("serving DHCPv4")
	tick := time.Second
	if iv, ok := sdnotify.WatchdogInterval(); ok && p.notify.Enabled() {
		// The watchdog is fed only while the main loop turns, and the
		// loop turns at least twice per interval.
		tick = min(tick, iv/2)
		go p.notify.RunWatchdog(runCtx, iv, func() bool {
			return time.Since(time.Unix(0, p.heartbeat.Load())) < iv
		})
	}

	p.loop(ctx, tick)

	// Shutdown, in Kea's order: no more commands, then no more DHCP;
	// what is in flight finishes; the store is flushed last (deferred).
	p.notify.Stopping()
	p.log.Info("shutting down", "exit-value", p.exit)
	p.stopControl()
	ctlDown = true
	p.stopDHCP()
	return p.exit, nil
}

// loop is the main loop: configuration changes, signals and the
// shutdown command are handled here, one at a time.
func (p *process) loop(ctx context.Context, every time.Duration) {
	defer close(p.done)
	tick := time.NewTicker(every)
	defer tick.Stop()
	p.heartbeat.Store(time.Now().UnixNano())
	// The file is read off the loop, so that a read that takes long
	// (a file on a mount that stopped answering) delays neither the
	// commands nor SIGTERM; reading and again make a SIGHUP that arrives
	// meanwhile read the file once more afterwards.
	reading, again := false, false
	for !p.quit {
		select {
		case <-ctx.Done():
			return
		case <-p.o.Reload:
			if reading {
				again = true
				break
			}
			reading = true
			go p.readForReload()
		case l := <-p.loaded:
			err := l.err
			if err == nil {
				err = p.apply(l.cfg)
			}
			if err != nil {
				p.log.Error("configuration not reloaded; the previous one stays in force", "config", p.o.ConfigPath, "error", err)
			}
			reading = again
			if again {
				again = false
				go p.readForReload()
			}
		case req := <-p.requests:
			req.reply <- req.fn()
		case <-tick.C:
			p.metrics.sync(ctx)
			if p.ha != nil {
				p.ha.step()
			}
		}
		p.heartbeat.Store(time.Now().UnixNano())
	}
}

// onLoop runs fn on the main loop and returns its answer.
func (p *process) onLoop(ctx context.Context, fn func() control.Response) control.Response {
	req := request{fn: fn, reply: make(chan control.Response, 1)}
	select {
	case p.requests <- req:
	case <-p.done:
		return control.Errorf("the server is shutting down")
	case <-ctx.Done():
		return control.Errorf("%v", ctx.Err())
	}
	return <-req.reply
}

// loaded is a configuration file read for a reload.
type loaded struct {
	cfg *config.Config
	err error
}

// readForReload reads the configuration file for SIGHUP and hands it to
// the main loop, unless the loop has ended meanwhile.
func (p *process) readForReload() {
	p.log.Info("reloading the configuration (SIGHUP)", "config", p.o.ConfigPath)
	cfg, err := LoadConfig(p.o.ConfigPath, p.log)
	select {
	case p.loaded <- loaded{cfg, err}:
	case <-p.done:
	}
}

// apply makes next the configuration in force, or changes nothing and
// says why. The loggers and the control sockets, which can fail to open,
// change first and are put back when a later step fails; the server's
// configuration is swapped atomically (messages in flight finish under
// the one they started with; leases are kept); DHCP sockets are opened
// and closed only for the interfaces that were added or removed.
func (p *process) apply(next *config.Config) error {
	p.notify.Reloading()
	defer p.notify.Ready()
	cur := p.srv.Config()
	if err := replaceable(cur, next); err != nil {
		return err
	}
	if err := checkInterfaces(next); err != nil {
		return err
	}
	if err := p.logging.Apply(next.Loggers); err != nil {
		return fmt.Errorf("loggers: %w", err)
	}
	restoreLogging := func() {
		if err := p.logging.Apply(cur.Loggers); err != nil {
			p.log.Error("cannot put the previous loggers back", "error", err)
		}
	}
	if err := p.ctl.Apply(next.ControlSockets); err != nil {
		restoreLogging()
		return fmt.Errorf("control sockets: %w", err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	restoreControl := func() {
		if err := p.ctl.Apply(cur.ControlSockets); err != nil {
			p.log.Error("cannot put the previous control sockets back", "error", err)
		}
	}
	// A changed hosts database is opened before anything is swapped, so
	// that one that cannot be opened leaves the running configuration.
	newHosts, changeHosts := p.hostsStore(), !sameHostsDatabases(cur, next)
	if changeHosts {
		var err error
		if newHosts, err = openHosts(ctx, next, p.log, false); err != nil {
			restoreControl()
			restoreLogging()
			return fmt.Errorf("opening hosts-database: %w", err)
		}
	}
	if err := p.srv.Reload(ctx, next); err != nil {
		if changeHosts && newHosts != nil {
			newHosts.Close()
		}
		restoreControl()
		restoreLogging()
		return err
	}
	if changeHosts {
		if old := p.setHosts(next, newHosts); old != nil {
			old.Close()
		}
	}
	p.handler.policy.Store(policyOf(next))
	if p.ha != nil {
		p.ha.setParking(next.ParkedPacketLimit, nil)
		p.ha.configure(next)
	}
	if err := p.ncr.apply(next); err != nil {
		p.log.Error("DNS updates not sent with the new dhcp-ddns", "error", err)
	}
	if p.pg != nil {
		p.pg.cfg.Store(next)
	}
	p.rebind(next, false)
	p.metrics.configure(ctx, next)
	p.lastCommit.Store(time.Now().Unix())
	p.log.Info("configuration applied", "config", p.o.ConfigPath, "hash", hashText(next), "interfaces", ifaceList(interfaces(next)))
	return nil
}

// rebind opens DHCP sockets for the interfaces of cfg that are not served
// yet and closes those of interfaces cfg no longer lists; the others are
// left as they are, unless dhcp-socket-type changed, which reopens them
// all. Sockets that fail to open are handled per
// service-sockets-require-all and service-sockets-max-retries (see
// sockets.go): failures are logged, reported by status-get, and retried
// in the background when max-retries asks for it; at start, without
// retries, a failure with require-all, or failures that leave no DHCP
// socket open at all, undo what rebind opened and are returned, the only
// errors rebind returns. It runs on the main loop (or before it starts).
func (p *process) rebind(cfg *config.Config, start bool) error {
	p.stopRetry()
	keys := serveKeys(cfg)
	noRaw := cfg.Interfaces.DHCPSocketType == "udp"
	p.mu.Lock()
	if noRaw != p.noRaw && len(p.ifaces) > 0 {
		// Kea reopens its sockets when their type changes; so does
		// leased, so that packet sockets are there exactly when raw
		// sockets are asked for.
		p.log.Info("dhcp-socket-type changed; reopening every DHCP socket", "dhcp-socket-type", cfg.Interfaces.DHCPSocketType)
		for k, ds := range p.ifaces {
			delete(p.ifaces, k)
			p.stopSockets(ds)
		}
	}
	p.noRaw = noRaw
	for k, ds := range p.ifaces {
		if !slices.Contains(keys, k) {
			delete(p.ifaces, k)
			p.log.Info("no longer serving interface", "interface", ifaceName(k))
			p.stopping.Add(1)
			go func() {
				defer p.stopping.Done()
				p.stopSockets(ds)
			}()
		}
	}
	p.mu.Unlock()
	opened, errs := p.open(keys)
	ic := &cfg.Interfaces
	if len(errs) == 0 {
		return nil
	}
	for _, err := range errs {
		p.log.Warn("DHCP socket not open", "error", err)
	}
	err := errors.Join(errs...)
	none := p.openCount() == 0
	switch {
	case ic.ServiceSocketsMaxRetries > 0:
		ctx, cancel := context.WithCancel(context.Background())
		p.retry = &socketRetry{cancel: cancel}
		wait := time.Duration(ic.ServiceSocketsRetryWaitTime) * time.Millisecond
		go p.retrySockets(ctx, ic.ServiceSocketsMaxRetries, wait, ic.ServiceSocketsRequireAll, start)
	case start && (ic.ServiceSocketsRequireAll || none):
		p.mu.Lock()
		for _, k := range opened {
			p.ifaces[k].Close()
			delete(p.ifaces, k)
		}
		p.mu.Unlock()
		if ic.ServiceSocketsRequireAll {
			return fmt.Errorf("%w (service-sockets-require-all is true)", err)
		}
		return fmt.Errorf("no DHCP socket could be opened, so there is nothing to serve: %w", err)
	case ic.ServiceSocketsRequireAll:
		p.socketsGiveUp(0, true, false)
	case none:
		p.log.Error("no DHCP socket is open: no client is answered until a configuration names interfaces that can be served", "errors", err)
	}
	return nil
}

// openCount returns how many DHCP servers (one per served interface, or
// one for all) are open.
func (p *process) openCount() int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return len(p.ifaces)
}

// serveKeys are the keys of p.ifaces that cfg asks for: one per named
// interface, or "" for one socket bound to no interface.
func serveKeys(cfg *config.Config) []string {
	if keys := interfaces(cfg); len(keys) > 0 {
		return keys
	}
	return []string{""}
}

// open opens the sockets of keys that are not open, records the failures
// for status-get, and returns the keys it opened and the failures.
func (p *process) open(keys []string) (opened []string, errs []error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	for _, k := range keys {
		if p.ifaces[k] != nil {
			continue
		}
		ds, err := p.serveInterface(k)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		p.ifaces[k] = ds
		opened = append(opened, k)
		p.log.Debug("DHCP socket open", "interface", ifaceName(k))
	}
	p.sockErrs = p.sockErrs[:0]
	for _, err := range errs {
		p.sockErrs = append(p.sockErrs, err.Error())
	}
	return opened, errs
}

// openMissing opens the sockets of cfg that are not open and returns the
// failures. It runs on the main loop.
func (p *process) openMissing(cfg *config.Config) []error {
	_, errs := p.open(serveKeys(cfg))
	return errs
}

// stopRetry cancels the pending attempts to open sockets, if any.
func (p *process) stopRetry() {
	if p.retry != nil {
		p.retry.cancel()
		p.retry = nil
	}
}

func ifaceName(k string) string {
	if k == "" {
		return "*"
	}
	return k
}

func (p *process) serverPort() uint16 {
	if p.o.ServerPort != 0 {
		return p.o.ServerPort
	}
	return dhcpserver.DefaultRelayPort
}

// serveInterface opens and serves the DHCP socket of one interface ("" for
// all).
func (p *process) serveInterface(iface string) (*dhcpserver.Server, error) {
	var ifaces []string
	if iface != "" {
		ifaces = []string{iface}
	}
	ds, err := p.stack.Listen(engine.ListenOptions{Interfaces: ifaces, ServerPort: p.o.ServerPort,
		ClientPort: p.o.ClientPort, NoRawSockets: p.noRaw, Logger: p.logging.Logger(logging.NameDHCP4)})
	if err != nil {
		return nil, err
	}
	p.metrics.addSockets(ds)
	return ds, nil
}

// stopSockets stops one DHCP server: it stops reading and lets the
// messages in flight finish, for up to the shutdown timeout.
func (p *process) stopSockets(ds *dhcpserver.Server) {
	shutdown(ds, p.o.ShutdownTimeout, p.log)
	p.metrics.removeSockets(ds)
}

// stopDHCP stops every DHCP server, in parallel, and waits for them.
func (p *process) stopDHCP() {
	p.mu.Lock()
	for k, ds := range p.ifaces {
		delete(p.ifaces, k)
		p.stopping.Add(1)
		go func() {
			defer p.stopping.Done()
			p.stopSockets(ds)
		}()
	}
	p.mu.Unlock()
	p.stopping.Wait()
}

// stopControl closes the control sockets, removing their files, and
// waits a moment for the commands in flight.
func (p *process) stopControl() {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	if err := p.ctl.Shutdown(ctx); err != nil {
		p.log.Warn("control connections still open at shutdown were closed", "error", err)
	}
}

// pidFilePath is where the PID file of a run goes: Kea's name for the
// configuration file, in o.PIDFileDir or beside the leases it guards.
func pidFilePath(o Options, cfg *config.Config) string {
	dir := o.PIDFileDir
	if dir == "" {
		dir = DefaultRunDir
		if db := cfg.LeaseDatabase; (db.Type == "" || db.Type == "memfile") && db.Persist {
			name := db.Name
			if name == "" {
				name = DefaultLeaseFile
			}
			dir = filepath.Dir(name)
		}
	}
	return pidfile.Name(dir, o.ConfigPath)
}

// hashText is the configuration's hash as Kea writes it: SHA-256 in
// upper-case hexadecimal.
func hashText(cfg *config.Config) string {
	return strings.ToUpper(fmt.Sprintf("%x", cfg.Hash[:]))
}
