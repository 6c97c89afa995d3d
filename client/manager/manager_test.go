package manager

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"net"
	"net/netip"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"testing/synctest"
	"time"

	"github.com/leased/leased/client"
	"github.com/leased/leased/client/leasefile"
	"github.com/leased/leased/control"
)

func quiet() *slog.Logger { return slog.New(slog.NewTextHandler(io.Discard, nil)) }

func TestSupervisorBackoff(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		var mu sync.Mutex
		var starts []time.Time
		var waits []time.Duration
		fail := errors.New("boom")
		runFor := map[int]time.Duration{5: 10 * time.Minute} // the 6th run is stable for a while
		s := &supervisor{
			backoff: func() Backoff {
				return Backoff{Initial: time.Second, Max: 8 * time.Second, ResetAfter: 5 * time.Minute}
			},
			run: func(ctx context.Context) error {
				mu.Lock()
				n := len(starts)
				starts = append(starts, time.Now())
				mu.Unlock()
				if n == 2 {
					panic("instance panicked")
				}
				time.Sleep(runFor[n])
				return fail
			},
			failed: func(err error, wait time.Duration) {
				if !strings.Contains(err.Error(), "boom") && !strings.Contains(err.Error(), "panic: instance panicked") {
					t.Errorf("failure %v", err)
				}
				waits = append(waits, wait)
			},
		}
		ctx, cancel := context.WithCancel(context.Background())
		done := make(chan struct{})
		go func() { s.loop(ctx); close(done) }()
		time.Sleep(30 * time.Minute)
		cancel()
		<-done
		want := []time.Duration{1, 2, 4, 8, 8, 1, 2, 4, 8, 8}
		for i, w := range want {
			if i >= len(waits) {
				t.Fatalf("only %d failures: %v", len(waits), waits)
			}
			if waits[i] != w*time.Second {
				t.Errorf("wait %d: %v, want %v (all: %v)", i, waits[i], w*time.Second, waits[:len(want)])
			}
		}
		// The runs really are spaced by the waits.
		if gap := starts[1].Sub(starts[0]); gap != time.Second {
			t.Errorf("second run %v after the first", gap)
		}
		if gap := starts[4].Sub(starts[3]); gap != 8*time.Second {
			t.Errorf("fifth run %v after the fourth", gap)
		}
	})
}

func TestPrepareRemovesUnconfigured(t *testing.T) {
	dir := t.TempDir()
	saveLeases(t, dir, "wan0", "old0")
	os.WriteFile(filepath.Join(dir, "wan0.v4.lease.tmp"), []byte("torn"), 0o600)
	m := New(&Config{LeaseDirectory: dir, Interfaces: []InterfaceConfig{{Name: "wan0"}}}, quiet())
	if err := m.prepare(); err != nil {
		t.Fatal(err)
	}
	ents, _ := os.ReadDir(dir)
	var names []string
	for _, e := range ents {
		names = append(names, e.Name())
	}
	if len(names) != 1 || names[0] != "wan0.v4.lease" {
		t.Errorf("directory after prepare: %v", names)
	}
}

// saveLeases opens the lease directory at path and stores a lease
// obtained now for each interface of names.
func saveLeases(t *testing.T, path string, names ...string) *leasefile.Dir {
	t.Helper()
	d, err := leasefile.Open(path, quiet())
	if err != nil {
		t.Fatal(err)
	}
	for _, name := range names {
		if err := d.Save(record(name, time.Now())); err != nil {
			t.Fatal(err)
		}
	}
	return d
}

func record(name string, obtained time.Time) *leasefile.Record {
	return &leasefile.Record{
		Interface:    name,
		HardwareAddr: net.HardwareAddr{2, 0, 0, 0, 0, 1},
		Lease: client.Lease{
			Address: netip.MustParsePrefix("192.0.2.50/24"), ServerID: netip.MustParseAddr("192.0.2.1"),
			LeaseTime: time.Hour, T1: 30 * time.Minute, T2: 52*time.Minute + 30*time.Second,
			Obtained: obtained.Truncate(time.Second), ClientID: []byte{1, 2, 0, 0, 0, 0, 1},
		},
	}
}

func TestStoredLeaseChecks(t *testing.T) {
	hw := net.HardwareAddr{2, 0, 0, 0, 0, 1}
	ifi := &net.Interface{Name: "wan0", HardwareAddr: hw}
	cid := []byte{1, 2, 0, 0, 0, 0, 1}
	cases := []struct {
		name     string
		obtained time.Time
		hw       net.HardwareAddr
		cid      []byte
		resume   bool
	}{
		{"valid", time.Now().Add(-time.Minute), hw, cid, true},
		{"expired", time.Now().Add(-2 * time.Hour), hw, cid, false},
		{"other hardware address", time.Now(), net.HardwareAddr{2, 0, 0, 0, 0, 2}, cid, false},
		{"other client id", time.Now(), hw, []byte{0, 'x', 'y'}, false},
	}
	for _, c := range cases {
		var logs bytes.Buffer
		d, err := leasefile.Open(t.TempDir(), quiet())
		if err != nil {
			t.Fatal(err)
		}
		r := record("wan0", c.obtained)
		r.HardwareAddr = c.hw
		if err := d.Save(r); err != nil {
			t.Fatal(err)
		}
		in := &instance{cfg: InterfaceConfig{Name: "wan0"}, dir: d, log: slog.New(slog.NewTextHandler(&logs, nil))}
		got := in.storedLease(ifi, c.cid)
		if (got != nil) != c.resume {
			t.Errorf("%s: resume %v, want %v", c.name, got != nil, c.resume)
		}
		_, err = d.Load("wan0")
		if c.resume && err != nil {
			t.Errorf("%s: lease file gone: %v", c.name, err)
		}
		if !c.resume {
			if !errors.Is(err, os.ErrNotExist) {
				t.Errorf("%s: dropped lease still on disk (%v)", c.name, err)
			}
			if !strings.Contains(logs.String(), "stored lease dropped") {
				t.Errorf("%s: not logged: %s", c.name, logs.String())
			}
		}
	}
}

func TestControlCommands(t *testing.T) {
	m := New(&Config{Interfaces: []InterfaceConfig{{Name: "wan0"}}}, quiet())
	m.insts = []*instance{{cfg: InterfaceConfig{Name: "wan0"}, log: quiet()}}
	m.byIf["wan0"] = m.insts[0]
	m.insts[0].failed(errors.New("interface wan0: no such network interface"), 4*time.Second)
	reg := control.NewRegistry(control.BuildInfo{Version: "test"}, quiet())
	m.Register(reg)
	run := func(cmd string) control.Response {
		return reg.Process(context.Background(), []byte(cmd))
	}
	r := run(`{"command": "status"}`)
	if r.Result != control.Success {
		t.Fatalf("status: %+v", r)
	}
	b, _ := json.Marshal(r.Arguments)
	var st struct{ Interfaces []Status }
	if err := json.Unmarshal(b, &st); err != nil || len(st.Interfaces) != 1 {
		t.Fatalf("status arguments %s: %v", b, err)
	}
	s := st.Interfaces[0]
	if s.Interface != "wan0" || s.State != "FAILED" || s.Failures != 1 || !strings.Contains(s.LastError, "no such network interface") || s.NextRestart == "" {
		t.Errorf("status %+v", s)
	}
	for cmd, want := range map[string]int{
		`{"command": "status", "arguments": {"interface": "wan9"}}`:  control.Empty,
		`{"command": "release", "arguments": {"interface": "wan9"}}`: control.Empty,
		`{"command": "release", "arguments": {"interface": "wan0"}}`: control.Error,
		`{"command": "renew", "arguments": {"interface": "wan0"}}`:   control.Error,
		`{"command": "renew"}`:                                control.Error,
		`{"command": "renew", "arguments": {"interface": 7}}`: control.Error,
		`{"command": "shutdown"}`:                             control.Unsupported,
	} {
		if r := run(cmd); r.Result != want {
			t.Errorf("%s: result %d (%s), want %d", cmd, r.Result, r.Text, want)
		}
	}
	r = run(`{"command": "list-commands"}`)
	b, _ = json.Marshal(r.Arguments)
	for _, c := range []string{"status", "release", "renew", "config-reload"} {
		if !strings.Contains(string(b), `"`+c+`"`) {
			t.Errorf("list-commands lacks %s: %s", c, b)
		}
	}
}
