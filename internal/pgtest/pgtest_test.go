package pgtest

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

func TestMain(m *testing.M) {
	code := m.Run()
	Stop()
	os.Exit(code)
}

// TestCrashRestart: a row committed before Crash is there after Restart,
// and the databases made from the template hold Kea 2.2's schema.
func TestCrashRestart(t *testing.T) {
	c := New(t, Options{})
	db := c.NewDB(t)
	c.Admin(t, db.Name, "INSERT INTO lease4 (address, hwaddr, client_id, valid_lifetime, expire, subnet_id, fqdn_fwd, fqdn_rev, hostname, state, user_context) VALUES (3221226034, '', '', 600, now(), 1, false, false, '', 0, '')")
	if err := c.Crash(); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(c.Dir + "/.s.PGSQL.5432"); err == nil {
		t.Error("the socket is still there after Crash")
	}
	if err := c.Restart(); err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	conn := c.Connect(t, db.Name)
	var n, major int
	if err := conn.QueryRow(ctx, "SELECT count(*) FROM lease4").Scan(&n); err != nil || n != 1 {
		t.Errorf("lease4 after the restart: %d rows, %v", n, err)
	}
	if err := conn.QueryRow(ctx, "SELECT version FROM schema_version").Scan(&major); err != nil || major != 13 {
		t.Errorf("schema version %d, %v; want 13", major, err)
	}
}

func TestShared(t *testing.T) {
	a := Shared(t, Options{})
	b := Shared(t, Options{TZ: "Asia/Kathmandu"})
	if a != b {
		t.Fatal("two shared clusters")
	}
	d1, d2 := a.NewDB(t), a.NewDB(t)
	if d1.Name == d2.Name {
		t.Fatal("NewDB gave one name twice")
	}
}

// TestNoOrphanServer: a test process that ends without Stop (as one
// killed by go test's timeout does) leaves no server running.
func TestNoOrphanServer(t *testing.T) {
	if os.Getenv("PGTEST_CHILD_DIR_FILE") != "" {
		c := Shared(t, Options{})
		if err := os.WriteFile(os.Getenv("PGTEST_CHILD_DIR_FILE"), []byte(c.Dir), 0o644); err != nil {
			t.Fatal(err)
		}
		os.Exit(0) // no Stop
	}
	Shared(t, Options{}) // skips, or fails, without PostgreSQL
	file := filepath.Join(t.TempDir(), "dir")
	cmd := exec.Command(os.Args[0], "-test.run=^TestNoOrphanServer$")
	cmd.Env = append(os.Environ(), "PGTEST_CHILD_DIR_FILE="+file)
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("the child test: %v\n%s", err, out)
	}
	dir, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	defer os.RemoveAll(string(dir))
	pid, err := os.ReadFile(filepath.Join(string(dir), "data", "postmaster.pid"))
	if err != nil {
		t.Fatal(err)
	}
	n, err := strconv.Atoi(strings.SplitN(string(pid), "\n", 2)[0])
	if err != nil {
		t.Fatalf("postmaster.pid: %q", pid)
	}
	for deadline := time.Now().Add(10 * time.Second); syscall.Kill(n, 0) == nil; {
		if time.Now().After(deadline) {
			syscall.Kill(n, syscall.SIGKILL)
			t.Fatalf("postgres (pid %d) still running 10 s after its test process ended", n)
		}
		time.Sleep(20 * time.Millisecond)
	}
}
