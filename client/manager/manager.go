package manager

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"sync"
	"time"

	"github.com/leased/leased/client"
	"github.com/leased/leased/client/leasefile"
	"github.com/leased/leased/config"
	"github.com/leased/leased/control"
)

// Manager runs the clients of a configuration.
type Manager struct {
	cfg   *Config
	log   *slog.Logger
	dirs  map[string]*leasefile.Dir
	insts []*instance
	byIf  map[string]*instance
	ctl   *control.Server
}

// New prepares a manager for cfg. It opens nothing until Run.
func New(cfg *Config, log *slog.Logger) *Manager {
	if log == nil {
		log = slog.Default()
	}
	return &Manager{cfg: cfg, log: log, dirs: map[string]*leasefile.Dir{}, byIf: map[string]*instance{}}
}

// Run runs the manager until ctx ends: it opens the control socket, cleans
// the lease directories, and starts and supervises one client per
// interface. It returns an error if it cannot start, nil after ctx ends.
func (m *Manager) Run(ctx context.Context) error {
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
	var wg sync.WaitGroup
	for _, in := range m.insts {
		s := &supervisor{backoff: m.cfg.Restart, run: in.run, failed: in.failed, started: in.started}
		wg.Go(func() { s.loop(ctx) })
	}
	m.log.Info("client manager running", "interfaces", len(m.insts))
	<-ctx.Done()
	wg.Wait()
	m.log.Info("client manager stopped")
	return nil
}

// prepare opens the lease directories, removes leftovers and the lease
// files of interfaces that are no longer configured, and makes the
// instances.
func (m *Manager) prepare() error {
	boot := leasefile.BootID()
	configured := map[string][]string{} // directory → interfaces
	for _, ic := range m.cfg.Interfaces {
		path := ic.LeaseDirectory
		if path == "" {
			path = m.cfg.LeaseDirectory
		}
		d, ok := m.dirs[path]
		if !ok {
			var err error
			if d, err = leasefile.Open(path, m.log); err != nil {
				return err
			}
			m.dirs[path] = d
		}
		configured[path] = append(configured[path], ic.Name)
		in := &instance{cfg: ic, dir: d, log: m.log.With("interface", ic.Name), base: m.log, bootID: boot}
		m.insts = append(m.insts, in)
		m.byIf[ic.Name] = in
	}
	if len(m.dirs) == 0 {
		// No interface: the default directory is still cleaned, so that
		// removing the last interface removes its lease.
		d, err := leasefile.Open(m.cfg.LeaseDirectory, m.log)
		if err != nil {
			return err
		}
		m.dirs[m.cfg.LeaseDirectory] = d
	}
	for path, d := range m.dirs {
		have, err := d.Clean()
		if err != nil {
			return err
		}
		for _, name := range have {
			if !slices.Contains(configured[path], name) {
				m.log.Info("removing the lease file of an interface that is no longer configured", "interface", name, "file", d.File(name))
				if err := d.Remove(name); err != nil {
					return err
				}
			}
		}
	}
	return nil
}

// Status returns the status of every interface, or of the one named.
func (m *Manager) Status(iface string) ([]Status, error) {
	now := time.Now()
	if iface != "" {
		in, ok := m.byIf[iface]
		if !ok {
			return nil, fmt.Errorf("interface %q is not configured", iface)
		}
		return []Status{in.status(now)}, nil
	}
	out := make([]Status, 0, len(m.insts))
	for _, in := range m.insts {
		out = append(out, in.status(now))
	}
	return out, nil
}

// Errors of Release and Renew.
var (
	ErrUnknownInterface = errors.New("interface not configured")
	ErrNotRunning       = errors.New("client not running")
)

// Release releases the lease of iface.
func (m *Manager) Release(ctx context.Context, iface string) error {
	c, err := m.client(iface)
	if err != nil {
		return err
	}
	return c.Release(ctx)
}

// Renew makes the client of iface renew its lease now (or start
// acquiring one).
func (m *Manager) Renew(ctx context.Context, iface string) error {
	c, err := m.client(iface)
	if err != nil {
		return err
	}
	return c.Renew(ctx)
}

func (m *Manager) client(iface string) (*client.Client, error) {
	in, ok := m.byIf[iface]
	if !ok {
		return nil, fmt.Errorf("%w: %q", ErrUnknownInterface, iface)
	}
	c := in.client()
	if c == nil {
		return nil, fmt.Errorf("%w on %s", ErrNotRunning, iface)
	}
	return c, nil
}

// Register adds the manager's commands to reg: status, release, renew.
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
}

// Run loads the configuration at configPath and runs a manager until ctx
// ends: the entry point of `leased client`.
func Run(ctx context.Context, configPath string, log *slog.Logger) error {
	cfg, err := LoadConfig(configPath)
	if err != nil {
		return err
	}
	return New(cfg, log).Run(ctx)
}
