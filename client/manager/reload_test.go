package manager

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/leased/leased/control"
)

// fakeRuns stands in for the instances' clients: it counts the runs of
// each interface and when they end.
type fakeRuns struct {
	mu     sync.Mutex
	starts map[string]int
	stops  map[string]int
	cfgs   map[string]InterfaceConfig
}

func newFakeRuns() *fakeRuns {
	return &fakeRuns{starts: map[string]int{}, stops: map[string]int{}, cfgs: map[string]InterfaceConfig{}}
}

func (f *fakeRuns) run(ctx context.Context, in *instance) error {
	f.mu.Lock()
	f.starts[in.cfg.Name]++
	f.cfgs[in.cfg.Name] = in.cfg
	f.mu.Unlock()
	<-ctx.Done()
	f.mu.Lock()
	f.stops[in.cfg.Name]++
	f.mu.Unlock()
	return nil
}

func (f *fakeRuns) counts() (starts, stops map[string]int) {
	f.mu.Lock()
	defer f.mu.Unlock()
	return maps.Clone(f.starts), maps.Clone(f.stops)
}

func (f *fakeRuns) waitStarts(t *testing.T, want map[string]int) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for {
		starts, _ := f.counts()
		if fmt.Sprint(starts) == fmt.Sprint(want) {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("starts %v, want %v", starts, want)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// writeClient4 writes a configuration with the given global keys and
// interfaces.
func writeClient4(t *testing.T, path string, global map[string]any, ifaces ...map[string]any) {
	t.Helper()
	c4 := map[string]any{"interfaces": ifaces}
	for k, v := range global {
		c4[k] = v
	}
	b, err := json.MarshalIndent(map[string]any{"Client4": c4}, "", "  ")
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, b, 0o644); err != nil {
		t.Fatal(err)
	}
}

func iface(name string, kv ...any) map[string]any {
	m := map[string]any{"interface": name, "configure-interface": false}
	for i := 0; i+1 < len(kv); i += 2 {
		m[kv[i].(string)] = kv[i+1]
	}
	return m
}

func names(st []Status) []string {
	var out []string
	for _, s := range st {
		out = append(out, s.Interface)
	}
	return out
}

// startFake runs a manager opened from path with fake instances.
func startFake(t *testing.T, path string) (*Manager, *fakeRuns, func()) {
	t.Helper()
	m, err := Open(path, quiet())
	if err != nil {
		t.Fatal(err)
	}
	f := newFakeRuns()
	m.runInstance = f.run
	ctx, cancel := context.WithCancel(context.Background())
	errc := make(chan error, 1)
	go func() { errc <- m.Run(ctx) }()
	stop := func() {
		cancel()
		if err := <-errc; err != nil {
			t.Errorf("Run: %v", err)
		}
	}
	t.Cleanup(func() {
		select {
		case <-m.done:
		default:
			stop()
		}
	})
	return m, f, stop
}

func TestReload(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "client4.json")
	leases := filepath.Join(dir, "leases")
	global := map[string]any{"lease-directory": leases}
	writeClient4(t, path, global,
		iface("wan0", "hostname", "a"),
		iface("wan1", "hostname", "b"),
		iface("wan2", "hostname", "c"),
		iface("wan3", "client-id", "01:02:00:00:00:00:03"))
	m, f, stop := startFake(t, path)
	f.waitStarts(t, map[string]int{"wan0": 1, "wan1": 1, "wan2": 1, "wan3": 1})
	d := saveLeases(t, leases, "wan1", "wan2", "wan3")
	st, _ := m.Status("")
	wan0 := m.byIf["wan0"]

	// wan0 stays, wan1 goes, wan2 gets another host name, wan3 another
	// client identifier, wan4 comes; the control socket and the lease
	// directory change too.
	global2 := map[string]any{
		"lease-directory": filepath.Join(dir, "elsewhere"),
		"control-socket":  map[string]any{"socket-type": "unix", "socket-name": filepath.Join(dir, "sock")},
	}
	writeClient4(t, path, global2,
		iface("wan4"),
		iface("wan0", "hostname", "a"),
		iface("wan2", "hostname", "c2"),
		iface("wan3", "client-id", "01:02:00:00:00:00:33"))
	res, err := m.ReloadFile(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	want := &ReloadResult{Added: []string{"wan4"}, Removed: []string{"wan1"}, Restarted: []string{"wan2", "wan3"},
		Unchanged: []string{"wan0"}, Deferred: []string{"control-socket", "lease-directory"}}
	if fmt.Sprint(res) != fmt.Sprint(want) {
		t.Errorf("reload result\n%+v, want\n%+v", res, want)
	}
	f.waitStarts(t, map[string]int{"wan0": 1, "wan1": 1, "wan2": 2, "wan3": 2, "wan4": 1})
	if _, stops := f.counts(); fmt.Sprint(stops) != fmt.Sprint(map[string]int{"wan1": 1, "wan2": 1, "wan3": 1}) {
		t.Errorf("stops %v: wan0 must keep running", stops)
	}
	if m.byIf["wan0"] != wan0 {
		t.Error("wan0's instance was replaced")
	}
	if st2, _ := m.Status(""); !slices.Equal(names(st2), []string{"wan4", "wan0", "wan2", "wan3"}) || len(st) != 4 {
		t.Errorf("status after reload lists %v", names(st2))
	}
	f.mu.Lock()
	if f.cfgs["wan2"].HostName != "c2" {
		t.Errorf("wan2 restarted with host name %q", f.cfgs["wan2"].HostName)
	}
	f.mu.Unlock()
	// The removed interface's lease file goes, and the restarted one with
	// a new client identifier; the one restarted with the same identity
	// keeps it to resume it.
	for name, kept := range map[string]bool{"wan1": false, "wan2": true, "wan3": false} {
		_, err := d.Load(name)
		if kept && err != nil {
			t.Errorf("%s: lease file gone after the restart: %v", name, err)
		}
		if !kept && !errors.Is(err, os.ErrNotExist) {
			t.Errorf("%s: lease file still there (%v)", name, err)
		}
	}
	m.mu.Lock()
	cs, ld := m.cfg.ControlSocket, m.cfg.LeaseDirectory
	wan4Dir := m.byIf["wan4"].dir.Path()
	m.mu.Unlock()
	if cs != "" || ld != leases || wan4Dir != leases {
		t.Errorf("after reload: control socket %q, lease directory %q, wan4's %q; want the running ones kept", cs, ld, wan4Dir)
	}
	if _, err := os.Stat(filepath.Join(dir, "elsewhere")); !os.IsNotExist(err) {
		t.Errorf("the new global lease directory was made: %v", err)
	}

	// A broken file changes nothing.
	if err := os.WriteFile(path, []byte("{\"Client4\": {\n  \"interfaces\": [{\"interface\": 7}]}}\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	_, err = m.ReloadFile(context.Background())
	if err == nil || !strings.HasPrefix(err.Error(), path+":2:") || !strings.Contains(err.Error(), "must be a string") {
		t.Errorf("broken file: %v; want an error at %s:2:col", err, path)
	}
	f.waitStarts(t, map[string]int{"wan0": 1, "wan1": 1, "wan2": 2, "wan3": 2, "wan4": 1})
	if st2, _ := m.Status(""); !slices.Equal(names(st2), []string{"wan4", "wan0", "wan2", "wan3"}) {
		t.Errorf("status after a failed reload lists %v", names(st2))
	}

	// Reloading the same file again changes nothing either.
	writeClient4(t, path, global, iface("wan4"), iface("wan0", "hostname", "a"))
	if _, err := m.ReloadFile(context.Background()); err != nil {
		t.Fatal(err)
	}
	res, err = m.ReloadFile(context.Background())
	if err != nil || len(res.Unchanged) != 2 || len(res.Added)+len(res.Removed)+len(res.Restarted)+len(res.Deferred) != 0 {
		t.Errorf("second reload of the same file: %+v, %v", res, err)
	}
	stop()
	if _, stops := f.counts(); stops["wan0"] != 1 || stops["wan4"] != 1 {
		t.Errorf("stops after Run ended: %v", stops)
	}
	if _, err := m.ReloadFile(context.Background()); !errors.Is(err, ErrManagerStopped) {
		t.Errorf("reload after Run ended: %v", err)
	}
}

// TestReloadLeaseDirectory: an interface's own lease directory changes
// only at a restart; a new interface's is opened and cleaned.
func TestReloadLeaseDirectory(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "client4.json")
	global := map[string]any{"lease-directory": filepath.Join(dir, "leases")}
	own := filepath.Join(dir, "own")
	writeClient4(t, path, global, iface("wan0", "lease-directory", own))
	m, f, _ := startFake(t, path)
	f.waitStarts(t, map[string]int{"wan0": 1})
	other := filepath.Join(dir, "other")
	d := saveLeases(t, other, "old9", "wan1")
	writeClient4(t, path, global, iface("wan0", "lease-directory", filepath.Join(dir, "moved")), iface("wan1", "lease-directory", other))
	res, err := m.ReloadFile(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(res.Deferred, []string{"interfaces[wan0].lease-directory"}) || !slices.Equal(res.Unchanged, []string{"wan0"}) ||
		!slices.Equal(res.Added, []string{"wan1"}) {
		t.Errorf("result %+v", res)
	}
	m.mu.Lock()
	p0, p1 := m.byIf["wan0"].dir.Path(), m.byIf["wan1"].dir.Path()
	m.mu.Unlock()
	if p0 != own || p1 != other {
		t.Errorf("directories %s and %s", p0, p1)
	}
	if _, err := d.Load("old9"); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("lease file of an unconfigured interface in the new directory: %v", err)
	}
	if _, err := d.Load("wan1"); err != nil {
		t.Errorf("lease file of the new interface: %v", err)
	}
}

func TestReloadCommand(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "client4.json")
	writeClient4(t, path, map[string]any{"lease-directory": filepath.Join(dir, "leases")}, iface("wan0"))
	m, f, _ := startFake(t, path)
	f.waitStarts(t, map[string]int{"wan0": 1})
	reg := control.NewRegistry(control.BuildInfo{Version: "test"}, quiet())
	m.Register(reg)
	run := func(cmd string) control.Response { return reg.Process(context.Background(), []byte(cmd)) }

	os.WriteFile(path, []byte(`{"Client4": {"interfaces": [{"interface": "wan0", "frobnicate": 1}]}}`), 0o644)
	r := run(`{"command": "config-reload"}`)
	if r.Result != control.Error || !strings.HasPrefix(r.Text, "Config reload failed: "+path+":1:") || !strings.Contains(r.Text, "frobnicate") {
		t.Errorf("config-reload of a broken file: %d %q", r.Result, r.Text)
	}
	writeClient4(t, path, map[string]any{"lease-directory": filepath.Join(dir, "leases")}, iface("wan0"), iface("wan1"))
	r = run(`{"command": "config-reload"}`)
	if r.Result != control.Success || !strings.Contains(r.Text, "1 interface(s) added") {
		t.Fatalf("config-reload: %d %q", r.Result, r.Text)
	}
	b, _ := json.Marshal(r.Arguments)
	if string(b) != `{"added":["wan1"],"removed":[],"restarted":[],"unchanged":["wan0"]}` {
		t.Errorf("config-reload arguments %s", b)
	}
	f.waitStarts(t, map[string]int{"wan0": 1, "wan1": 1})
	if r := run(`{"command": "config-reload", "arguments": 5}`); r.Result != control.Error {
		t.Errorf("config-reload with bad arguments: %d %q", r.Result, r.Text)
	}

	// A manager made from a Config has no file to read again.
	m2 := New(&Config{}, quiet())
	if _, err := m2.ReloadFile(context.Background()); !errors.Is(err, ErrNoConfigFile) {
		t.Errorf("ReloadFile without a file: %v", err)
	}
	if _, err := m2.Reload(context.Background(), &Config{}); !errors.Is(err, ErrManagerStopped) {
		t.Errorf("Reload before Run: %v", err)
	}
}
