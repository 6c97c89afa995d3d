package manager

import (
	"bytes"
	"context"
	"fmt"
	"reflect"
	"slices"
	"strings"
	"sync"

	"github.com/leased/leased/client/leasefile"
)

// ReloadResult says what a reload did, by interface name.
type ReloadResult struct {
	// Added interfaces got an instance; Removed ones were stopped, their
	// leases released and their lease files removed.
	Added   []string `json:"added"`
	Removed []string `json:"removed"`
	// Restarted interfaces had changed settings and were stopped and
	// started again with the new ones.
	Restarted []string `json:"restarted"`
	// Unchanged interfaces kept running untouched.
	Unchanged []string `json:"unchanged"`
	// Deferred lists changed settings that take effect only when the
	// manager is started again: "control-socket", "lease-directory",
	// "interfaces[NAME].lease-directory".
	Deferred []string `json:"needs-restart,omitempty"`
}

func (r *ReloadResult) String() string {
	s := fmt.Sprintf("configuration reloaded: %d interface(s) added, %d removed, %d restarted, %d unchanged",
		len(r.Added), len(r.Removed), len(r.Restarted), len(r.Unchanged))
	if len(r.Deferred) > 0 {
		s += "; needs a restart to change: " + strings.Join(r.Deferred, ", ")
	}
	return s
}

type reloadRequest struct {
	cfg   *Config // nil: read the configuration file
	reply chan reloadReply
}

type reloadReply struct {
	res *ReloadResult
	err error
}

// Reload applies cfg to the running manager: see [Manager.ReloadFile]. It
// waits until the reload is done, and returns an error only if the
// manager is not running or ctx ends first.
func (m *Manager) Reload(ctx context.Context, cfg *Config) (*ReloadResult, error) {
	if cfg == nil {
		return nil, fmt.Errorf("manager: Reload of a nil configuration")
	}
	return m.request(ctx, reloadRequest{cfg: cfg})
}

// ReloadFile reads the configuration file again and applies it. A file
// that does not load is thrown away: the error (with its file, line and
// column) is logged and returned, and the instances keep running as
// they were. Otherwise instances of interfaces that left the configuration
// are stopped, their leases released and their lease files removed; new
// interfaces get an instance; an interface whose settings changed is
// stopped and started with the new ones (resuming its lease when its
// client identifier is unchanged, releasing it first otherwise); the
// others keep running untouched. The control socket and the lease
// directories stay as they are until the manager is started again.
//
// Reloads are applied one at a time, in the order they are asked for.
func (m *Manager) ReloadFile(ctx context.Context) (*ReloadResult, error) {
	if m.path == "" {
		return nil, ErrNoConfigFile
	}
	return m.request(ctx, reloadRequest{})
}

func (m *Manager) request(ctx context.Context, req reloadRequest) (*ReloadResult, error) {
	if !m.started.Load() {
		return nil, ErrManagerStopped
	}
	req.reply = make(chan reloadReply, 1)
	select {
	case m.reloads <- req:
	case <-m.done:
		return nil, ErrManagerStopped
	case <-ctx.Done():
		return nil, ctx.Err()
	}
	// Once taken, the reload runs to its end whatever ctx does: a half
	// applied configuration would be worse than a late answer.
	r := <-req.reply
	return r.res, r.err
}

// reload applies one request on Run's goroutine.
func (m *Manager) reload(base context.Context, req reloadRequest) (*ReloadResult, error) {
	nc := req.cfg
	if nc == nil {
		var err error
		if nc, err = LoadConfig(m.path); err != nil {
			m.log.Error("configuration reload failed, keeping the running configuration", "file", m.path, "error", err)
			return nil, err
		}
	}
	res, err := m.apply(base, nc)
	if err != nil {
		m.log.Error("configuration reload failed, keeping the running configuration", "error", err)
		return nil, err
	}
	m.log.Info("configuration reloaded", "added", res.Added, "removed", res.Removed, "restarted", res.Restarted,
		"unchanged", res.Unchanged)
	return res, nil
}

// apply switches the manager to nc. Everything that can fail is done
// before the first instance is touched.
func (m *Manager) apply(base context.Context, nc *Config) (*ReloadResult, error) {
	nc = cloneConfig(nc)
	res := &ReloadResult{Added: []string{}, Removed: []string{}, Restarted: []string{}, Unchanged: []string{}}
	m.mu.Lock()
	old := m.cfg
	byIf := m.byIf
	insts := slices.Clone(m.insts)
	m.mu.Unlock()

	keepRunning := func(setting string, oldV, newV any) {
		res.Deferred = append(res.Deferred, setting)
		m.log.Warn("a changed setting takes effect only when the manager is started again; keeping the running one",
			"setting", setting, "running", oldV, "configured", newV)
	}
	if nc.ControlSocket != old.ControlSocket {
		keepRunning("control-socket", old.ControlSocket, nc.ControlSocket)
		nc.ControlSocket = old.ControlSocket
	}
	if nc.LeaseDirectory != old.LeaseDirectory {
		keepRunning("lease-directory", old.LeaseDirectory, nc.LeaseDirectory)
		nc.LeaseDirectory = old.LeaseDirectory
	}

	type change struct {
		old     *instance
		release bool
		// A family the new settings no longer run gives its leases back.
		drop4, drop6 bool
	}
	var stops []change
	var starts []*instance
	next := make([]*instance, 0, len(nc.Interfaces))
	newDirs := map[string]*leasefile.Dir{}
	boot := leasefile.BootID()
	for i := range nc.Interfaces {
		ic := &nc.Interfaces[i]
		in, running := byIf[ic.Name]
		if running && in.dir.Path() != dirOf(nc, *ic) {
			keepRunning("interfaces["+ic.Name+"].lease-directory", in.dir.Path(), dirOf(nc, *ic))
			// With the global directory kept, the old value gives the
			// old directory.
			ic.LeaseDirectory = in.cfg.LeaseDirectory
		}
		switch {
		case running && reflect.DeepEqual(in.cfg, *ic):
			res.Unchanged = append(res.Unchanged, ic.Name)
			next = append(next, in)
			continue
		case running:
			res.Restarted = append(res.Restarted, ic.Name)
			stops = append(stops, change{old: in, release: !sameIdentity(in, *ic),
				drop4: in.cfg.DHCP4 && !ic.DHCP4, drop6: in.cfg.DHCP6 != nil && ic.DHCP6 == nil})
		default:
			res.Added = append(res.Added, ic.Name)
		}
		path := dirOf(nc, *ic)
		m.mu.Lock()
		_, known := m.dirs[path]
		d, err := m.openDir(path)
		m.mu.Unlock()
		if err != nil {
			return nil, err
		}
		if !known {
			newDirs[path] = d
		}
		n := m.newInstance(*ic, d, boot)
		starts = append(starts, n)
		next = append(next, n)
	}
	for _, in := range insts {
		if !slices.ContainsFunc(nc.Interfaces, func(ic InterfaceConfig) bool { return ic.Name == in.cfg.Name }) {
			res.Removed = append(res.Removed, in.cfg.Name)
			stops = append(stops, change{old: in, release: true})
		}
	}

	// A directory new to the manager is cleaned as at start.
	configured, configured6 := interfacesByDir(nc)
	for path, d := range newDirs {
		if err := m.clean(d, configured[path], configured6[path]); err != nil {
			return nil, err
		}
	}

	// Stop what goes, all at once: a client busy in a slow script must not
	// hold the others up.
	var wg sync.WaitGroup
	for _, s := range stops {
		wg.Go(func() {
			if s.drop4 {
				s.old.release4()
			}
			if s.drop6 {
				s.old.release6()
			}
			s.old.stop(s.release)
			if s.release {
				s.old.dropStored()
			}
		})
	}
	wg.Wait()

	m.mu.Lock()
	m.cfg = nc
	m.insts = next
	m.byIf = make(map[string]*instance, len(next))
	for _, in := range next {
		m.byIf[in.cfg.Name] = in
	}
	for _, in := range starts {
		m.launch(base, in)
	}
	m.mu.Unlock()
	return res, nil
}

// sameIdentity reports whether ic gives the client of in the same client
// identifier it has: the stored lease is the client's only if it does.
// (The hardware address is the interface's, checked when the lease is
// loaded.)
func sameIdentity(in *instance, ic InterfaceConfig) bool {
	if bytes.Equal(in.cfg.ClientID, ic.ClientID) {
		return true
	}
	c := in.client()
	if c == nil {
		return false
	}
	return bytes.Equal(c.ClientID(), ic.clientID(c.HardwareAddr()))
}

// cloneConfig copies cfg so that the manager can adjust it without
// changing the caller's.
func cloneConfig(cfg *Config) *Config {
	c := *cfg
	c.Interfaces = slices.Clone(cfg.Interfaces)
	return &c
}
