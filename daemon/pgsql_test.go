package daemon

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/leased/leased/config"
	"github.com/leased/leased/internal/logtest"
	"github.com/leased/leased/internal/pgtest"
)

// TestDBRecovery drives Kea's on-fail, max-reconnect-tries and
// reconnect-wait-time with a database whose pings fail a given number of
// times.
func TestDBRecovery(t *testing.T) {
	tests := []struct {
		name         string
		onFail       string
		tries        uint32
		fails        int  // pings that fail before one succeeds
		wantDisabled bool // the service was disabled while reconnecting
		wantExit     bool
		wantEnabled  bool // the service runs at the end
	}{
		{"stop-retry-exit without tries", "stop-retry-exit", 0, 0, true, true, false},
		{"stop-retry-exit recovers", "stop-retry-exit", 5, 2, true, false, true},
		{"stop-retry-exit runs out", "stop-retry-exit", 3, 10, true, true, false},
		{"serve-retry-exit recovers", "serve-retry-exit", 5, 2, false, false, true},
		{"serve-retry-exit runs out", "serve-retry-exit", 3, 10, false, true, true},
		{"serve-retry-exit without tries", "serve-retry-exit", 0, 0, false, true, true},
		{"serve-retry-continue runs out", "serve-retry-continue", 3, 10, false, false, true},
		{"serve-retry-continue without tries", "serve-retry-continue", 0, 0, false, false, true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var svc serviceState
			var exited atomic.Bool
			var out logtest.Buffer
			db := config.Database{Type: "postgresql", OnFail: tc.onFail, MaxReconnectTries: tc.tries, ReconnectWaitTime: 1, ConnectTimeout: 5}
			r := newDBRecovery(db, &svc, slog.New(slog.NewTextHandler(&out, nil)), func() { exited.Store(true) })
			var pings, disabledSeen atomic.Int32
			r.ping = func(context.Context) error {
				if svc.off.Load() {
					disabledSeen.Add(1)
				}
				if int(pings.Add(1)) <= tc.fails {
					return errors.New("connection refused")
				}
				return nil
			}
			ctx, cancel := context.WithCancel(context.Background())
			defer cancel()
			done := make(chan struct{})
			go func() { r.run(ctx); close(done) }()
			r.onLost(errors.New("connection reset by peer"))
			r.onLost(errors.New("a second failure of the same outage"))
			deadline := time.Now().Add(5 * time.Second)
			for !exited.Load() && !strings.Contains(out.String(), "recovered") &&
				!strings.Contains(out.String(), "after every reconnection try") &&
				!strings.Contains(out.String(), "serving on (on-fail serve-retry-continue)") {
				if time.Now().After(deadline) {
					t.Fatalf("not finished after 5 s: %d pings; log:\n%s", pings.Load(), out.String())
				}
				time.Sleep(time.Millisecond)
			}
			time.Sleep(20 * time.Millisecond) // the last steps after the last ping
			if got := exited.Load(); got != tc.wantExit {
				t.Errorf("exit called: %t, want %t; log:\n%s", got, tc.wantExit, out.String())
			}
			if got := disabledSeen.Load() > 0 || (tc.tries == 0 && svc.off.Load()); got != tc.wantDisabled {
				t.Errorf("service disabled while reconnecting: %t, want %t", got, tc.wantDisabled)
			}
			if got := !svc.off.Load(); got != tc.wantEnabled {
				t.Errorf("service running at the end: %t, want %t; status %v", got, tc.wantEnabled, svc.status())
			}
			if tc.wantDisabled && !svc.status()["disabled-by-db-connection"].(bool) && !tc.wantEnabled {
				t.Errorf("status-get does not name the database: %v", svc.status())
			}
			state := r.status(time.Now())["state"]
			if recovered := tc.tries > 0 && tc.fails < int(tc.tries); recovered && state != "healthy" || tc.wantExit && state != "failed" {
				t.Errorf("lease-store status at the end: %v", r.status(time.Now()))
			}
			if tc.name == "stop-retry-exit runs out" && r.status(time.Now())["retries"] != uint32(3) {
				t.Errorf("lease-store status after 3 tries: %v", r.status(time.Now()))
			}
			if tc.tries > 0 && tc.fails < int(tc.tries) && int(pings.Load()) != tc.fails+1 {
				t.Errorf("%d pings, want %d (one outage, however many failures reported it)", pings.Load(), tc.fails+1)
			}
			if tc.wantExit {
				select {
				case <-done:
				case <-time.After(time.Second):
					t.Error("run goes on after asking to exit")
				}
			}
		})
	}
}

// TestDBConnectionOriginOutlivesMaxPeriod: a dhcp-disable's max-period
// running out does not end the database's disable, nor does dhcp-enable.
func TestDBConnectionOriginOutlivesMaxPeriod(t *testing.T) {
	var s serviceState
	s.disable(originDBConnection, 0)
	s.disable(originUser, time.Millisecond)
	time.Sleep(30 * time.Millisecond)
	s.enable(originUser)
	if !s.off.Load() {
		t.Fatal("the service runs while the database connection is being recovered")
	}
	s.enable(originDBConnection)
	if s.off.Load() {
		t.Fatal("the service stays off after the database recovered")
	}
}

// pgsqlConfig writes a configuration whose lease-database is db, its
// password in a password-file.
func pgsqlConfig(t *testing.T, dir string, db pgtest.DB) string {
	t.Helper()
	pw := filepath.Join(dir, "db-password")
	if err := os.WriteFile(pw, []byte(db.Password+"\nsecond line ignored\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(dir, "pg.json")
	cfg := fmt.Sprintf(`{"Dhcp4": {"interfaces-config": {"interfaces": ["lo"]}, "lease-database": {"type": "postgresql", "host": %q, "port": %d, "name": %q, "user": %q, "password-file": %q},
		"subnet4": [{"id": 1, "subnet": "192.0.2.0/24", "pools": [{"pool": "192.0.2.100-192.0.2.199"}]}]}}`,
		db.Host, db.Port, db.Name, db.User, pw)
	if err := os.WriteFile(path, []byte(cfg), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

// TestPgsqlExportImport migrates leases from memfile to PostgreSQL and
// back with `leased lease export` and `import`: every row survives both
// ways; -T reads the database and never shows the password.
func TestPgsqlExportImport(t *testing.T) {
	c := pgtest.New(t, pgtest.Options{})
	ctx := context.Background()
	log := slog.New(slog.DiscardHandler)
	dir := t.TempDir()
	src := writeConfig(t, dir, "src")
	if err := storeWithLeases(t, filepath.Join(dir, "src"), 3, "h,ost").Close(); err != nil {
		t.Fatal(err)
	}
	var csv bytes.Buffer
	if n, err := ExportLeases(ctx, src, &csv, log); err != nil || n != 3 {
		t.Fatalf("export from memfile: %d %v", n, err)
	}
	exported := filepath.Join(dir, "memfile.csv")
	os.WriteFile(exported, csv.Bytes(), 0o600)

	pg := pgsqlConfig(t, dir, c.NewDB(t))
	res, err := ImportLeases(ctx, pg, []string{exported}, func(e error) { t.Errorf("bad row: %v", e) }, log)
	if err != nil || res.Put != 3 {
		t.Fatalf("import into postgresql: %+v %v", res, err)
	}
	var fromPG bytes.Buffer
	if n, err := ExportLeases(ctx, pg, &fromPG, log); err != nil || n != 3 {
		t.Fatalf("export from postgresql: %d %v", n, err)
	}
	if fromPG.String() != csv.String() {
		t.Errorf("memfile → postgresql → CSV changed the leases:\n%s\nwant\n%s", fromPG.String(), csv.String())
	}

	back := filepath.Join(dir, "pg.csv")
	os.WriteFile(back, fromPG.Bytes(), 0o600)
	dst := writeConfig(t, dir, "dst")
	if res, err := ImportLeases(ctx, dst, []string{back}, func(e error) { t.Errorf("bad row: %v", e) }, log); err != nil || res.Put != 3 {
		t.Fatalf("import into memfile: %+v %v", res, err)
	}
	var again bytes.Buffer
	if _, err := ExportLeases(ctx, dst, &again, log); err != nil || again.String() != csv.String() {
		t.Errorf("postgresql → memfile changed the leases (%v):\n%s\nwant\n%s", err, again.String(), csv.String())
	}

	var w, errw bytes.Buffer
	if err := CheckDeep(pg, dir, &w, &errw); err != nil {
		t.Fatalf("-T: %v\n%s", err, errw.String())
	}
	if !strings.Contains(w.String(), "3 leases") || strings.Contains(w.String()+errw.String(), pgtest.Password) {
		t.Errorf("-T: %s%s", w.String(), errw.String())
	}
}

// TestPgsqlOpenErrors: a wrong password or an unreachable server is
// refused at start with the database named and the password not shown.
func TestPgsqlOpenErrors(t *testing.T) {
	c := pgtest.New(t, pgtest.Options{})
	dir := t.TempDir()
	db := c.NewDB(t)
	db.Password = "Wrong-pw-123"
	pg := pgsqlConfig(t, dir, db)
	log := slog.New(slog.DiscardHandler)
	_, err := ExportLeases(context.Background(), pg, &bytes.Buffer{}, log)
	if err == nil || !strings.Contains(err.Error(), db.Name) || strings.Contains(err.Error(), db.Password) {
		t.Errorf("wrong password: %v", err)
	}
	var w, errw bytes.Buffer
	if err := CheckDeep(pg, dir, &w, &errw); err == nil || strings.Contains(errw.String(), db.Password) || !strings.Contains(errw.String(), db.Name) {
		t.Errorf("-T with a wrong password: %v\n%s", err, errw.String())
	}
}

// TestPgsqlRetryOnStartup: with retry-on-startup a database that is down
// at start is tried every reconnect-wait-time until it answers; without,
// the start fails at once, naming the database.
func TestPgsqlRetryOnStartup(t *testing.T) {
	c := pgtest.New(t, pgtest.Options{})
	db := c.NewDB(t)
	cfg, diags, err := config.Parse("t.json", []byte(fmt.Sprintf(`{"Dhcp4": {"lease-database": {"type": "postgresql",
		"host": %q, "port": %d, "name": %q, "user": %q, "password": %q,
		"retry-on-startup": true, "max-reconnect-tries": 100, "reconnect-wait-time": 100}}}`,
		db.Host, db.Port, db.Name, db.User, db.Password)), nil)
	if err != nil {
		t.Fatalf("%v %v", err, diags)
	}
	if err := c.Crash(); err != nil {
		t.Fatal(err)
	}
	var out logtest.Buffer
	log := slog.New(slog.NewTextHandler(&out, nil))

	cfg.LeaseDatabase.RetryOnStartup = false
	if _, err := openPgsql(t.Context(), cfg, log, pgsqlHooks{serving: true}); err == nil || !strings.Contains(err.Error(), db.Name) {
		t.Fatalf("without retry-on-startup: %v", err)
	}
	cfg.LeaseDatabase.RetryOnStartup = true
	// Export, import and -T do not wait for the database.
	if _, err := openPgsql(t.Context(), cfg, log, pgsqlHooks{}); err == nil || out.Count("retrying") != 0 {
		t.Fatalf("retry-on-startup outside the server: %v\n%s", err, out.String())
	}
	restarted := make(chan error, 1)
	go func() {
		for out.Count("retrying (retry-on-startup)") < 3 {
			time.Sleep(10 * time.Millisecond)
		}
		restarted <- c.Restart()
	}()
	st, err := openPgsql(t.Context(), cfg, log, pgsqlHooks{serving: true})
	if err != nil {
		t.Fatalf("with retry-on-startup: %v\n%s", err, out.String())
	}
	st.Close()
	if err := <-restarted; err != nil {
		t.Fatal(err)
	}
}
