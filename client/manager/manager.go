package manager

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"os/signal"
	"runtime"
	"slices"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/leased/leased/client"
	"github.com/leased/leased/client/leasefile"
	"github.com/leased/leased/client6"
	"github.com/leased/leased/config"
	"github.com/leased/leased/control"
)

// Manager runs the clients of a configuration.
type Manager struct {
	log  *slog.Logger
	path string // the configuration file, for config-reload; empty if none
	ctl  *control.Server

	// reloads carries reload requests to Run's loop, which applies them
	// one at a time, in order.
	reloads chan reloadRequest
	started atomic.Bool
	done    chan struct{} // closed when Run returns

	// runInstance, when set, replaces instance.run: a test seam.
	runInstance func(ctx context.Context, in *instance) error

	mu    sync.Mutex
	cfg   *Config
	dirs  map[string]*leasefile.Dir
	insts []*instance // in configuration order
	byIf  map[string]*instance
}

// New prepares a manager for cfg. It opens nothing until Run. A manager
// made by New reloads only through [Manager.Reload]; one made by [Open]
// also reloads its file.
func New(cfg *Config, log *slog.Logger) *Manager {
	if log == nil {
		log = slog.Default()
	}
	return &Manager{
		cfg: cfg, log: log,
		dirs: map[string]*leasefile.Dir{}, byIf: map[string]*instance{},
		reloads: make(chan reloadRequest), done: make(chan struct{}),
	}
}

// Open loads the configuration file at path and prepares a manager for
// it, which [Manager.ReloadFile] and the config-reload command read again.
func Open(path string, log *slog.Logger) (*Manager, error) {
	cfg, err := LoadConfig(path)
	if err != nil {
		return nil, err
	}
	m := New(cfg, log)
	m.path = path
	return m, nil
}

// Run runs the manager until ctx ends: it opens the control socket, cleans
// the lease directories, and starts and supervises one client per
// interface, applying reloads as they come. It returns an error if it
// cannot start, nil after ctx ends. A Manager runs once.
func (m *Manager) Run(ctx context.Context) error {
	if !m.started.CompareAndSwap(false, true) {
		return errors.New("manager: Run called twice")
	}
	defer close(m.done)
	if runtime.GOOS != "linux" {
		// Its clients send through AF_PACKET sockets and configure
		// interfaces with rtnetlink.
		return fmt.Errorf("manager: the client manager needs Linux; not supported on %s", runtime.GOOS)
	}
	// The control socket first: a second manager on the same
	// configuration finds it alive and stops before touching any file.
	if m.cfg.ControlSocket != "" {
		reg := control.NewRegistry(control.DefaultBuildInfo(), m.log)
		m.Register(reg)
		m.ctl = control.NewServer(reg, control.Options{Logger: m.log})
		if err := m.ctl.Apply([]config.ControlSocket{{Type: "unix", Name: m.cfg.ControlSocket}}); err != nil {
			return fmt.Errorf("control socket: %w", err)
		}
		defer func() {
			sctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
			defer cancel()
			_ = m.ctl.Shutdown(sctx)
		}()
	}
	if err := m.prepare(); err != nil {
		return err
	}
	// Instances get a context of their own, not ctx: at the end the
	// manager stops them itself, releasing the leases it was asked to
	// release before their clients go.
	base := context.WithoutCancel(ctx)
	m.mu.Lock()
	for _, in := range m.insts {
		m.launch(base, in)
	}
	n := len(m.insts)
	m.mu.Unlock()
	m.log.Info("client manager running", "interfaces", n)
	for {
		select {
		case <-ctx.Done():
			m.shutdown()
			m.log.Info("client manager stopped")
			return nil
		case req := <-m.reloads:
			res, err := m.reload(base, req)
			req.reply <- reloadReply{res, err}
		}
	}
}

// prepare opens the lease directories, removes leftovers and the lease
// files of interfaces that are no longer configured, and makes the
// instances.
func (m *Manager) prepare() error {
	m.mu.Lock()
	defer m.mu.Unlock()
	boot := leasefile.BootID()
	for _, ic := range m.cfg.Interfaces {
		d, err := m.openDir(dirOf(m.cfg, ic))
		if err != nil {
			return err
		}
		in := m.newInstance(ic, d, boot)
		m.insts = append(m.insts, in)
		m.byIf[ic.Name] = in
	}
	if len(m.dirs) == 0 {
		// No interface: the default directory is still cleaned, so that
		// removing the last interface removes its lease.
		if _, err := m.openDir(m.cfg.LeaseDirectory); err != nil {
			return err
		}
	}
	configured, configured6 := interfacesByDir(m.cfg)
	for path, d := range m.dirs {
		if err := m.clean(d, configured[path], configured6[path]); err != nil {
			return err
		}
	}
	return nil
}

// dirOf is the lease directory of ic under cfg.
func dirOf(cfg *Config, ic InterfaceConfig) string {
	if ic.LeaseDirectory != "" {
		return ic.LeaseDirectory
	}
	return cfg.LeaseDirectory
}

// interfacesByDir lists the interfaces of cfg by lease directory: the
// lease files each directory keeps, and the DHCPv6 ones.
func interfacesByDir(cfg *Config) (v4, v6 map[string][]string) {
	v4, v6 = map[string][]string{}, map[string][]string{}
	for _, ic := range cfg.Interfaces {
		path := dirOf(cfg, ic)
		v4[path] = append(v4[path], ic.Name)
		if ic.DHCP6 != nil {
			v6[path] = append(v6[path], ic.Name)
		}
	}
	return v4, v6
}

// openDir returns the lease directory at path, opening it the first time.
func (m *Manager) openDir(path string) (*leasefile.Dir, error) {
	if d, ok := m.dirs[path]; ok {
		return d, nil
	}
	d, err := leasefile.Open(path, m.log)
	if err != nil {
		return nil, err
	}
	m.dirs[path] = d
	return d, nil
}

// clean removes temporary leftovers from d and the lease files of the
// interfaces not in keep, and the DHCPv6 lease files of those not in
// keep6.
func (m *Manager) clean(d *leasefile.Dir, keep, keep6 []string) error {
	have, err := d.Clean()
	if err != nil {
		return err
	}
	for _, name := range have {
		if !slices.Contains(keep, name) {
			m.log.Info("removing the lease file of an interface that is no longer configured", "interface", name, "file", d.File(name))
			if err := d.Remove(name); err != nil {
				return err
			}
		}
	}
	have6, err := d.Interfaces6()
	if err != nil {
		return err
	}
	for _, name := range have6 {
		if !slices.Contains(keep6, name) {
			m.log.Info("removing the DHCPv6 lease file of an interface that no longer runs DHCPv6", "interface", name, "file", d.File6(name))
			if err := d.Remove6(name); err != nil {
				return err
			}
		}
	}
	return nil
}

func (m *Manager) newInstance(ic InterfaceConfig, d *leasefile.Dir, boot [16]byte) *instance {
	return &instance{cfg: ic, dir: d, log: m.log.With("interface", ic.Name), base: m.log, bootID: boot, done: make(chan struct{})}
}

// launch starts the supervision of in: one supervisor per family it
// runs, so that a failing DHCPv6 client does not disturb the DHCPv4 one
// of the same interface, nor the reverse. m.mu is held.
func (m *Manager) launch(base context.Context, in *instance) {
	ctx, cancel := context.WithCancel(base)
	in.cancel = cancel
	var sups []*supervisor
	switch {
	case m.runInstance != nil:
		run := func(ctx context.Context) error { return m.runInstance(ctx, in) }
		sups = append(sups, &supervisor{backoff: m.backoff, run: run, failed: in.failed, started: in.started})
	default:
		if in.cfg.DHCP4 {
			sups = append(sups, &supervisor{backoff: m.backoff, run: in.run4, failed: in.failed, started: in.started})
		}
		if in.cfg.DHCP6 != nil {
			sups = append(sups, &supervisor{backoff: m.backoff, run: in.run6, failed: in.failed6, started: in.started6})
		}
	}
	var wg sync.WaitGroup
	for _, s := range sups {
		wg.Go(func() { s.loop(ctx) })
	}
	go func() {
		wg.Wait()
		close(in.done)
	}()
}

// backoff is the restart back-off of the configuration now running.
func (m *Manager) backoff() Backoff {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.cfg.Restart
}

// shutdown stops every instance, releasing the leases of those configured
// with release-on-stop.
func (m *Manager) shutdown() {
	m.mu.Lock()
	insts := slices.Clone(m.insts)
	m.mu.Unlock()
	var wg sync.WaitGroup
	for _, in := range insts {
		wg.Go(func() { in.stop(in.cfg.ReleaseOnStop) })
	}
	wg.Wait()
}

// Status returns the status of every interface, or of the one named.
func (m *Manager) Status(iface string) ([]Status, error) {
	now := time.Now()
	m.mu.Lock()
	insts := slices.Clone(m.insts)
	in, ok := m.byIf[iface]
	m.mu.Unlock()
	if iface != "" {
		if !ok {
			return nil, fmt.Errorf("interface %q is not configured", iface)
		}
		return []Status{in.status(now)}, nil
	}
	out := make([]Status, 0, len(insts))
	for _, in := range insts {
		out = append(out, in.status(now))
	}
	return out, nil
}

// Errors of Release, Renew and Reload.
var (
	ErrUnknownInterface = errors.New("interface not configured")
	ErrNotRunning       = errors.New("client not running")
	ErrManagerStopped   = errors.New("manager not running")
	ErrNoConfigFile     = errors.New("no configuration file to reload: the manager was not opened from one")
)

// Release releases the leases of iface: its DHCPv4 lease and its DHCPv6
// addresses and prefixes. It returns client.ErrNoLease when neither
// client held any.
func (m *Manager) Release(ctx context.Context, iface string) error {
	c, c6, err := m.clients(iface)
	if err != nil {
		return err
	}
	var err4, err6 error = client.ErrNoLease, client6.ErrNoBinding
	if c != nil {
		err4 = c.Release(ctx)
	}
	if c6 != nil {
		err6 = c6.Release(ctx)
	}
	none4, none6 := errors.Is(err4, client.ErrNoLease), errors.Is(err6, client6.ErrNoBinding)
	switch {
	case none4 && none6:
		return client.ErrNoLease
	case none4:
		err4 = nil
	case none6:
		err6 = nil
	}
	return errors.Join(err4, err6)
}

// Renew makes the clients of iface renew their leases now (or start
// acquiring them).
func (m *Manager) Renew(ctx context.Context, iface string) error {
	c, c6, err := m.clients(iface)
	if err != nil {
		return err
	}
	var errs []error
	if c != nil {
		errs = append(errs, c.Renew(ctx))
	}
	if c6 != nil {
		errs = append(errs, c6.Renew(ctx))
	}
	return errors.Join(errs...)
}

// clients returns the running clients of iface; nil for a family it does
// not run.
func (m *Manager) clients(iface string) (*client.Client, *client6.Client, error) {
	m.mu.Lock()
	in, ok := m.byIf[iface]
	m.mu.Unlock()
	if !ok {
		return nil, nil, fmt.Errorf("%w: %q", ErrUnknownInterface, iface)
	}
	c, c6 := in.client(), in.client6()
	if c == nil && c6 == nil {
		return nil, nil, fmt.Errorf("%w on %s", ErrNotRunning, iface)
	}
	return c, c6, nil
}

// Register adds the manager's commands to reg: status, release, renew
// and config-reload.
func (m *Manager) Register(reg control.Registrar) {
	must := func(err error) {
		if err != nil {
			panic(err) // only on a duplicate name, a programming error
		}
	}
	must(reg.Register("status", func(ctx context.Context, raw json.RawMessage) control.Response {
		args, err := control.OptionalArgs("status", raw)
		if err != nil {
			return control.Errorf("%s", err)
		}
		var iface string
		if args.Has("interface") {
			if iface, err = args.String("interface"); err != nil {
				return control.Errorf("%s", err)
			}
		}
		st, err := m.Status(iface)
		if err != nil {
			return control.Answer(control.Empty, err.Error(), nil)
		}
		return control.Answer(control.Success, fmt.Sprintf("%d interface(s)", len(st)), map[string]any{"interfaces": st})
	}))
	perIface := func(name string, f func(context.Context, string) error, done string) {
		must(reg.Register(name, func(ctx context.Context, raw json.RawMessage) control.Response {
			args, err := control.RequireArgs(name, raw)
			if err != nil {
				return control.Errorf("%s", err)
			}
			iface, err := args.String("interface")
			if err != nil {
				return control.Errorf("%s", err)
			}
			switch err := f(ctx, iface); {
			case errors.Is(err, ErrUnknownInterface):
				return control.Answer(control.Empty, err.Error(), nil)
			case errors.Is(err, client.ErrNoLease):
				return control.Answer(control.Empty, "no lease on "+iface, nil)
			case err != nil:
				return control.Errorf("%s on %s: %v", name, iface, err)
			}
			st, _ := m.Status(iface)
			return control.Answer(control.Success, done+" on "+iface, map[string]any{"interfaces": st})
		}))
	}
	perIface("release", m.Release, "lease released")
	perIface("renew", m.Renew, "renewal started")
	must(reg.Register("config-reload", func(ctx context.Context, raw json.RawMessage) control.Response {
		if _, err := control.OptionalArgs("config-reload", raw); err != nil {
			return control.Errorf("%s", err)
		}
		res, err := m.ReloadFile(ctx)
		if err != nil {
			return control.Errorf("Config reload failed: %v", err)
		}
		return control.Answer(control.Success, res.String(), res)
	}))
}

// Run opens the configuration at configPath and runs a manager until ctx
// ends: the entry point of `leased client`. SIGHUP reloads the
// configuration, as the config-reload command does.
func Run(ctx context.Context, configPath string, log *slog.Logger) error {
	m, err := Open(configPath, log)
	if err != nil {
		return err
	}
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	hup := make(chan os.Signal, 1)
	signal.Notify(hup, syscall.SIGHUP)
	defer signal.Stop(hup)
	go func() {
		for {
			select {
			case <-hup:
				m.log.Info("SIGHUP: reloading the configuration", "file", configPath)
				// ReloadFile logs the outcome.
				_, _ = m.ReloadFile(ctx)
			case <-ctx.Done():
				return
			}
		}
	}()
	return m.Run(ctx)
}
