package pgsql

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"strconv"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
)

// The tests run a private PostgreSQL 15 from Debian: initdb and postgres
// as an unprivileged user in a temporary directory, listening only on a
// unix socket there, with Kea's schema from Kea 2.2's own kea-admin. The
// server and the test process run in testTZ, a zone that is not UTC and
// whose offset is not whole hours, so that a wall-clock expiry anywhere
// shows.
const (
	pgBin     = "/usr/lib/postgresql/15/bin"
	testTZ    = "Asia/Kathmandu" // UTC+05:45, no daylight saving time
	testPort  = 5432             // names the socket file only
	testUser  = "kea"
	testPass  = "s3cret-Pa55word"
	templateD = "kea_template" // kea-admin db-init's database, cloned per test
)

var srv struct {
	once    sync.Once
	err     error // why there is no server
	dir     string
	cmd     *exec.Cmd
	done    chan struct{}
	counter atomic.Int64
}

func TestMain(m *testing.M) {
	// The whole package runs with TZ set; Go reads it once, at start.
	if os.Getenv("TZ") != testTZ {
		cmd := exec.Command(os.Args[0], os.Args[1:]...)
		cmd.Env = append(os.Environ(), "TZ="+testTZ)
		cmd.Stdin, cmd.Stdout, cmd.Stderr = os.Stdin, os.Stdout, os.Stderr
		err := cmd.Run()
		var ee *exec.ExitError
		if errors.As(err, &ee) {
			os.Exit(ee.ExitCode())
		}
		if err != nil {
			fmt.Fprintln(os.Stderr, "re-running the tests with TZ set:", err)
			os.Exit(1)
		}
		os.Exit(0)
	}
	code := m.Run()
	stopServer()
	os.Exit(code)
}

// needServer starts the server once, or skips the test saying why not;
// under LEASED_REQUIRE_E2E=1 it fails instead.
func needServer(t testing.TB) {
	t.Helper()
	srv.once.Do(func() { srv.err = startServer() })
	if srv.err != nil {
		if os.Getenv("LEASED_REQUIRE_E2E") == "1" {
			t.Fatalf("no PostgreSQL for the tests: %v", srv.err)
		}
		t.Skipf("no PostgreSQL for the tests: %v", srv.err)
	}
}

// unprivileged returns the credential to run PostgreSQL with: nobody when
// running as root (postgres refuses root), else none (the caller's own).
func unprivileged() (*syscall.Credential, error) {
	if os.Getuid() != 0 {
		return nil, nil
	}
	u, err := user.Lookup("nobody")
	if err != nil {
		return nil, fmt.Errorf("user nobody: %w", err)
	}
	uid, _ := strconv.Atoi(u.Uid)
	gid, _ := strconv.Atoi(u.Gid)
	return &syscall.Credential{Uid: uint32(uid), Gid: uint32(gid)}, nil
}

func startServer() error {
	for _, p := range []string{pgBin + "/initdb", pgBin + "/postgres"} {
		if _, err := os.Stat(p); err != nil {
			return fmt.Errorf("%s missing (Debian's postgresql-15): %w", p, err)
		}
	}
	keaAdmin, err := exec.LookPath("kea-admin")
	if err != nil {
		if _, e := os.Stat("/usr/sbin/kea-admin"); e != nil {
			return fmt.Errorf("kea-admin missing (Debian's kea-admin): %w", err)
		}
		keaAdmin = "/usr/sbin/kea-admin"
	}
	cred, err := unprivileged()
	if err != nil {
		return err
	}
	dir, err := os.MkdirTemp("", "leased-pgsql-")
	if err != nil {
		return err
	}
	srv.dir = dir
	if cred != nil {
		if err := os.Chown(dir, int(cred.Uid), int(cred.Gid)); err != nil {
			return err
		}
	}
	pw := filepath.Join(dir, "pw")
	if err := os.WriteFile(pw, []byte(testPass+"\n"), 0o600); err != nil {
		return err
	}
	if cred != nil {
		if err := os.Chown(pw, int(cred.Uid), int(cred.Gid)); err != nil {
			return err
		}
	}
	data := filepath.Join(dir, "data")
	initdb := exec.Command(pgBin+"/initdb", "-D", data, "-U", testUser, "--pwfile="+pw,
		"--auth=scram-sha-256", "-E", "UTF8", "--locale=C.UTF-8", "--no-sync", "--no-instructions")
	initdb.SysProcAttr = &syscall.SysProcAttr{Credential: cred}
	initdb.Env = append(os.Environ(), "TZ="+testTZ)
	if out, err := initdb.CombinedOutput(); err != nil {
		return fmt.Errorf("initdb: %v\n%s", err, out)
	}
	logf, err := os.Create(filepath.Join(dir, "postgres.log"))
	if err != nil {
		return err
	}
	defer logf.Close()
	// fsync off: the tests never crash the server, and the machine is
	// shared.
	cmd := exec.Command(pgBin+"/postgres", "-D", data, "-c", "listen_addresses=",
		"-c", "unix_socket_directories="+dir, "-c", "port="+strconv.Itoa(testPort),
		"-c", "fsync=off", "-c", "timezone="+testTZ, "-c", "max_connections=100")
	cmd.SysProcAttr = &syscall.SysProcAttr{Credential: cred, Setpgid: true}
	cmd.Stdout, cmd.Stderr = logf, logf
	cmd.Env = append(os.Environ(), "TZ="+testTZ)
	if err := cmd.Start(); err != nil {
		return fmt.Errorf("start postgres: %w", err)
	}
	srv.cmd = cmd
	srv.done = make(chan struct{})
	go func() { cmd.Wait(); close(srv.done) }()

	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	var conn *pgx.Conn
	for {
		conn, err = pgx.Connect(ctx, connString("postgres"))
		if err == nil {
			break
		}
		select {
		case <-srv.done:
			log, _ := os.ReadFile(filepath.Join(dir, "postgres.log"))
			return fmt.Errorf("postgres exited: %s", log)
		case <-ctx.Done():
			return fmt.Errorf("postgres did not accept connections in 30 s: %v", err)
		case <-time.After(50 * time.Millisecond):
		}
	}
	defer conn.Close(ctx)
	if _, err := conn.Exec(ctx, "CREATE DATABASE "+templateD); err != nil {
		return fmt.Errorf("create database %s: %w", templateD, err)
	}
	admin := exec.Command(keaAdmin, "db-init", "pgsql", "-u", testUser, "-p", testPass,
		"-n", templateD, "-h", dir, "-P", strconv.Itoa(testPort))
	admin.Env = append(os.Environ(), "TZ="+testTZ)
	if out, err := admin.CombinedOutput(); err != nil {
		return fmt.Errorf("kea-admin db-init pgsql: %v\n%s", err, out)
	}
	return nil
}

func connString(db string) string {
	return fmt.Sprintf("host=%s port=%d user=%s password=%s dbname=%s", srv.dir, testPort, testUser, testPass, db)
}

func stopServer() {
	if srv.cmd != nil && srv.cmd.Process != nil {
		srv.cmd.Process.Signal(syscall.SIGINT) // fast shutdown
		select {
		case <-srv.done:
		case <-time.After(20 * time.Second):
			syscall.Kill(-srv.cmd.Process.Pid, syscall.SIGKILL)
			<-srv.done
		}
	}
	if srv.dir != "" {
		os.RemoveAll(srv.dir)
	}
}

// newDB returns the options of a new database holding Kea's empty schema,
// a copy of what kea-admin db-init made.
func newDB(t *testing.T) Options { return newDBB(t) }

// newDBB is newDB for tests and benchmarks.
func newDBB(t testing.TB) Options {
	t.Helper()
	needServer(t)
	name := fmt.Sprintf("t%d", srv.counter.Add(1))
	admin(t, "postgres", "CREATE DATABASE "+name+" TEMPLATE "+templateD)
	return Options{Host: srv.dir, Port: testPort, Name: name, User: testUser, Password: testPass}
}

// connect opens a connection to database db outside any Store.
func connect(t testing.TB, db string) *pgx.Conn {
	t.Helper()
	conn, err := pgx.Connect(context.Background(), connString(db))
	if err != nil {
		t.Fatal(err)
	}
	return conn
}

// admin runs SQL statements on database db outside any Store.
func admin(t testing.TB, db string, stmts ...string) {
	t.Helper()
	ctx := context.Background()
	conn := connect(t, db)
	defer conn.Close(ctx)
	for _, q := range stmts {
		if _, err := conn.Exec(ctx, q); err != nil {
			t.Fatalf("%s: %v", q, err)
		}
	}
}

// openStore opens a store on o, closed at the end of the test.
func openStore(t *testing.T, o Options) *Store {
	t.Helper()
	s, err := Open(context.Background(), o)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}
