package pgtest

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/leased/leased/internal/testnet"
)

// The cluster's fixed settings. Port only names the socket file.
const (
	BinDir   = "/usr/lib/postgresql/15/bin"
	Port     = 5432
	User     = "kea"
	Password = "s3cret-Pa55word"
	// Template is the database kea-admin db-init fills, cloned per test.
	Template = "kea_template"
)

// Options say how a cluster runs.
type Options struct {
	// TZ is the time zone of the server (its timezone setting) and of
	// kea-admin; empty means UTC.
	TZ string
	// Fsync keeps the server's fsync on. Off by default: the machine is
	// shared, and a server that is killed (not the machine) loses nothing
	// that was committed either way.
	Fsync bool
}

// Cluster is one running PostgreSQL server.
type Cluster struct {
	// Dir is the directory of the data, the log and the unix socket: the
	// host to connect to.
	Dir  string
	opts Options
	cred *syscall.Credential

	mu   sync.Mutex
	cmd  *exec.Cmd
	done chan struct{}

	counter atomic.Int64
}

// DB names one database of a cluster and how to log in to it.
type DB struct {
	Host     string // the socket directory
	Port     uint16
	Name     string
	User     string
	Password string
}

// ConnString is the database's libpq connection string.
func (d DB) ConnString() string {
	return fmt.Sprintf("host=%s port=%d user=%s password=%s dbname=%s", d.Host, d.Port, d.User, d.Password, d.Name)
}

var shared struct {
	once sync.Once
	c    *Cluster
	err  error
}

// Shared returns the process's shared cluster, started on first use with
// opts (later calls' opts are ignored), or skips the test saying why
// there is none; under LEASED_REQUIRE_E2E=1 it fails instead. TestMain
// stops it with Stop.
func Shared(t testing.TB, opts Options) *Cluster {
	t.Helper()
	shared.once.Do(func() { shared.c, shared.err = Start(opts) })
	if shared.err != nil {
		skipOrFail(t, shared.err)
	}
	return shared.c
}

// Stop stops the shared cluster, if one was started, and removes it.
func Stop() {
	if shared.c != nil {
		shared.c.Close()
	}
}

// New starts a cluster for t alone, removed when t ends.
func New(t testing.TB, opts Options) *Cluster {
	t.Helper()
	c, err := Start(opts)
	if c != nil {
		t.Cleanup(c.Close)
	}
	if err != nil {
		skipOrFail(t, err)
	}
	return c
}

func skipOrFail(t testing.TB, err error) {
	t.Helper()
	testnet.SkipOrFail(t, "no PostgreSQL for the test: "+err.Error())
}

// KeaAdmin returns the path of Debian's kea-admin.
func KeaAdmin() (string, error) {
	p, err := exec.LookPath("kea-admin")
	if err == nil {
		return p, nil
	}
	if _, e := os.Stat("/usr/sbin/kea-admin"); e == nil {
		return "/usr/sbin/kea-admin", nil
	}
	return "", fmt.Errorf("kea-admin missing (Debian's kea-admin): %w", err)
}

// Start makes and starts a cluster with Kea's schema in Template. On an
// error after the directory was made, the cluster is returned too, for
// Close to remove.
func Start(opts Options) (*Cluster, error) {
	if opts.TZ == "" {
		opts.TZ = "UTC"
	}
	for _, p := range []string{BinDir + "/initdb", BinDir + "/postgres", BinDir + "/pg_ctl"} {
		if _, err := os.Stat(p); err != nil {
			return nil, fmt.Errorf("%s missing (Debian's postgresql-15): %w", p, err)
		}
	}
	keaAdmin, err := KeaAdmin()
	if err != nil {
		return nil, err
	}
	cred, err := testnet.Unprivileged()
	if err != nil {
		return nil, err
	}
	dir, err := os.MkdirTemp("", "leased-pgtest-")
	if err != nil {
		return nil, err
	}
	c := &Cluster{Dir: dir, opts: opts, cred: cred}
	pw := filepath.Join(dir, "pw")
	if err := os.WriteFile(pw, []byte(Password+"\n"), 0o600); err != nil {
		return c, err
	}
	if cred != nil {
		for _, p := range []string{dir, pw} {
			if err := os.Chown(p, int(cred.Uid), int(cred.Gid)); err != nil {
				return c, err
			}
		}
	}
	initdb := c.command(BinDir+"/initdb", "-D", c.data(), "-U", User, "--pwfile="+pw,
		"--auth=scram-sha-256", "-E", "UTF8", "--locale=C.UTF-8", "--no-sync", "--no-instructions")
	if out, err := initdb.CombinedOutput(); err != nil {
		return c, fmt.Errorf("initdb: %v\n%s", err, out)
	}
	if err := c.Restart(); err != nil {
		return c, err
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	conn, err := pgx.Connect(ctx, c.connString("postgres"))
	if err != nil {
		return c, err
	}
	defer conn.Close(ctx)
	if _, err := conn.Exec(ctx, "CREATE DATABASE "+Template); err != nil {
		return c, fmt.Errorf("create database %s: %w", Template, err)
	}
	admin := exec.Command(keaAdmin, "db-init", "pgsql", "-u", User, "-p", Password,
		"-n", Template, "-h", dir, "-P", strconv.Itoa(Port))
	admin.Env = append(os.Environ(), "TZ="+opts.TZ)
	if out, err := admin.CombinedOutput(); err != nil {
		return c, fmt.Errorf("kea-admin db-init pgsql: %v\n%s", err, out)
	}
	return c, nil
}

func (c *Cluster) data() string { return filepath.Join(c.Dir, "data") }

// command runs a PostgreSQL program as the cluster's user, in its time
// zone. It is killed if the test process dies: a test binary that ends
// without Close or Stop (a timeout, a panic, a package without a
// TestMain that calls Stop) leaves no server running.
func (c *Cluster) command(name string, args ...string) *exec.Cmd {
	cmd := exec.Command(name, args...)
	cmd.SysProcAttr = procAttr(c.cred)
	cmd.Env = append(os.Environ(), "TZ="+c.opts.TZ)
	return cmd
}

// Restart starts the server on the cluster's data, after Crash or at
// first, and waits until it accepts connections.
func (c *Cluster) Restart() error {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.cmd != nil {
		select {
		case <-c.done:
		default:
			return errors.New("the server is running")
		}
	}
	logf, err := os.OpenFile(filepath.Join(c.Dir, "postgres.log"), os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
	if err != nil {
		return err
	}
	defer logf.Close()
	fsync := "off"
	if c.opts.Fsync {
		fsync = "on"
	}
	cmd := c.command(BinDir+"/postgres", "-D", c.data(), "-c", "listen_addresses=",
		"-c", "unix_socket_directories="+c.Dir, "-c", "port="+strconv.Itoa(Port),
		"-c", "fsync="+fsync, "-c", "timezone="+c.opts.TZ, "-c", "max_connections=100")
	cmd.Stdout, cmd.Stderr = logf, logf
	if err := cmd.Start(); err != nil {
		return fmt.Errorf("start postgres: %w", err)
	}
	done := make(chan struct{})
	go func() { cmd.Wait(); close(done) }()
	c.cmd, c.done = cmd, done

	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	for {
		conn, err := pgx.Connect(ctx, c.connString("postgres"))
		if err == nil {
			conn.Close(ctx)
			return nil
		}
		select {
		case <-done:
			log, _ := os.ReadFile(filepath.Join(c.Dir, "postgres.log"))
			return fmt.Errorf("postgres exited: %s", log)
		case <-ctx.Done():
			return fmt.Errorf("postgres did not accept connections in 30 s: %v", err)
		case <-time.After(50 * time.Millisecond):
		}
	}
}

// Crash stops the server as `pg_ctl stop -m immediate` does: every
// backend is killed at once, with no checkpoint, as in a crash of the
// server (not of the machine); the next start recovers from the WAL.
func (c *Cluster) Crash() error {
	c.mu.Lock()
	defer c.mu.Unlock()
	out, err := c.command(BinDir+"/pg_ctl", "stop", "-m", "immediate", "-D", c.data(), "-w").CombinedOutput()
	if err != nil {
		return fmt.Errorf("pg_ctl stop -m immediate: %v\n%s", err, out)
	}
	select {
	case <-c.done:
		return nil
	case <-time.After(30 * time.Second):
		return errors.New("postgres still running 30 s after pg_ctl stop -m immediate")
	}
}

// Close stops the server (a fast shutdown) and removes the cluster.
func (c *Cluster) Close() {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.cmd != nil && c.cmd.Process != nil {
		c.cmd.Process.Signal(syscall.SIGINT)
		select {
		case <-c.done:
		case <-time.After(20 * time.Second):
			syscall.Kill(-c.cmd.Process.Pid, syscall.SIGKILL)
			<-c.done
		}
	}
	os.RemoveAll(c.Dir)
}

func (c *Cluster) connString(db string) string {
	return DB{Host: c.Dir, Port: Port, User: User, Password: Password, Name: db}.ConnString()
}

// NewDB returns a new database holding Kea's empty schema, a copy of what
// kea-admin db-init made.
func (c *Cluster) NewDB(t testing.TB) DB {
	t.Helper()
	name := fmt.Sprintf("t%d", c.counter.Add(1))
	c.Admin(t, "postgres", "CREATE DATABASE "+name+" TEMPLATE "+Template)
	return DB{Host: c.Dir, Port: Port, Name: name, User: User, Password: Password}
}

// Connect opens a connection to database db outside any store, closed
// when t ends.
func (c *Cluster) Connect(t testing.TB, db string) *pgx.Conn {
	t.Helper()
	conn, err := pgx.Connect(context.Background(), c.connString(db))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close(context.Background()) })
	return conn
}

// Admin runs SQL statements on database db outside any store.
func (c *Cluster) Admin(t testing.TB, db string, stmts ...string) {
	t.Helper()
	ctx := context.Background()
	conn, err := pgx.Connect(ctx, c.connString(db))
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(ctx)
	for _, q := range stmts {
		if _, err := conn.Exec(ctx, q); err != nil {
			t.Fatalf("%s: %v", q, err)
		}
	}
}
