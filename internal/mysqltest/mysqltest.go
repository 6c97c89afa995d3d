// Package mysqltest runs private MariaDB servers from Debian for tests:
// mariadb-install-db and mariadbd as an unprivileged user (nobody, when
// the test runs as root) in a temporary directory, with no network
// (--skip-networking), listening only on a unix socket there, and a
// template database holding Kea 2.2's MySQL schema made by Kea 2.2's own
// `kea-admin db-init mysql`. MySQL has no template databases: NewDB
// copies the template's tables, routines and triggers with mariadb-dump.
//
// Shared gives one server per test process, stopped by Stop from
// TestMain; New gives a test a server of its own, which it may kill
// (Crash) and start again (Restart), removed when the test ends. Unix
// sockets reach across network namespaces, so servers in a test's
// namespaces use it without any network.
//
// Without the programs, or without the rights to run them, the test is
// skipped, or fails when LEASED_REQUIRE_E2E=1.
package mysqltest

import (
	"bytes"
	"context"
	"database/sql"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/go-sql-driver/mysql"

	"github.com/leased/leased/internal/testnet"
)

// The server's fixed settings.
const (
	User     = "kea"
	Password = "s3cret-Pa55word"
	// Template is the database kea-admin db-init fills, copied per test.
	Template = "kea_template"
)

// Options say how a server runs.
type Options struct {
	// TZ is the time zone of the server (its SYSTEM time zone, which
	// sessions use unless they set their own) and of kea-admin; empty
	// means UTC.
	TZ string
}

// Server is one running MariaDB server.
type Server struct {
	// Dir holds the data, the log and the unix socket.
	Dir  string
	opts Options
	cred *syscall.Credential

	mu   sync.Mutex
	cmd  *exec.Cmd
	done chan struct{}

	dump    []byte // the template, as mariadb-dump writes it
	counter atomic.Int64
}

// DB names one database of a server and how to log in to it.
type DB struct {
	Socket   string
	Name     string
	User     string
	Password string
}

// DSN is the database's go-sql-driver/mysql data source name.
func (d DB) DSN() string {
	c := mysql.NewConfig()
	c.Net, c.Addr, c.User, c.Passwd, c.DBName = "unix", d.Socket, d.User, d.Password, d.Name
	return c.FormatDSN()
}

var shared struct {
	once sync.Once
	s    *Server
	err  error
}

// Shared returns the process's shared server, started on first use with
// opts (later calls' opts are ignored), or skips the test saying why
// there is none; under LEASED_REQUIRE_E2E=1 it fails instead. TestMain
// stops it with Stop.
func Shared(t testing.TB, opts Options) *Server {
	t.Helper()
	shared.once.Do(func() { shared.s, shared.err = Start(opts) })
	if shared.err != nil {
		skipOrFail(t, shared.err)
	}
	return shared.s
}

// Stop stops the shared server, if one was started, and removes it.
func Stop() {
	if shared.s != nil {
		shared.s.Close()
	}
}

// New starts a server for t alone, removed when t ends.
func New(t testing.TB, opts Options) *Server {
	t.Helper()
	s, err := Start(opts)
	if s != nil {
		t.Cleanup(s.Close)
	}
	if err != nil {
		skipOrFail(t, err)
	}
	return s
}

func skipOrFail(t testing.TB, err error) {
	t.Helper()
	testnet.SkipOrFail(t, "no MariaDB for the test: "+err.Error())
}

// program finds one of Debian's MariaDB programs.
func program(names ...string) (string, error) {
	for _, n := range names {
		if p, err := exec.LookPath(n); err == nil {
			return p, nil
		}
		for _, d := range []string{"/usr/sbin", "/usr/bin"} {
			if _, err := os.Stat(filepath.Join(d, n)); err == nil {
				return filepath.Join(d, n), nil
			}
		}
	}
	return "", fmt.Errorf("%s missing (Debian's mariadb-server)", names[0])
}

// Socket is the path of the server's unix socket.
func (s *Server) Socket() string { return filepath.Join(s.Dir, "sock") }

func (s *Server) data() string { return filepath.Join(s.Dir, "data") }

// Start makes and starts a server with Kea's schema in Template. On an
// error after the directory was made, the server is returned too, for
// Close to remove.
func Start(opts Options) (*Server, error) {
	if opts.TZ == "" {
		opts.TZ = "UTC"
	}
	install, err := program("mariadb-install-db", "mysql_install_db")
	if err != nil {
		return nil, err
	}
	if _, err := program("mariadbd", "mysqld"); err != nil {
		return nil, err
	}
	dump, err := program("mariadb-dump", "mysqldump")
	if err != nil {
		return nil, err
	}
	keaAdmin, err := keaAdmin()
	if err != nil {
		return nil, err
	}
	cred, err := testnet.Unprivileged()
	if err != nil {
		return nil, err
	}
	dir, err := os.MkdirTemp("", "leased-mysqltest-")
	if err != nil {
		return nil, err
	}
	s := &Server{Dir: dir, opts: opts, cred: cred}
	if cred != nil {
		if err := os.Chown(dir, int(cred.Uid), int(cred.Gid)); err != nil {
			return s, err
		}
	}
	// root logs in with an empty password on the socket; it is the
	// test's own server, reachable by nobody else.
	if out, err := s.command(install, "--no-defaults", "--auth-root-authentication-method=normal",
		"--datadir="+s.data(), "--skip-test-db").CombinedOutput(); err != nil {
		return s, fmt.Errorf("mariadb-install-db: %v\n%s", err, out)
	}
	if err := s.Restart(); err != nil {
		return s, err
	}
	if err := s.exec("", "CREATE USER '"+User+"'@'localhost' IDENTIFIED BY '"+Password+"'",
		"GRANT ALL ON *.* TO '"+User+"'@'localhost'", "CREATE DATABASE "+Template); err != nil {
		return s, err
	}
	admin := exec.Command(keaAdmin, "db-init", "mysql", "-u", User, "-p", Password, "-n", Template,
		"-h", "localhost", "-x", "--socket="+s.Socket())
	admin.Env = append(os.Environ(), "TZ="+opts.TZ)
	if out, err := admin.CombinedOutput(); err != nil {
		return s, fmt.Errorf("kea-admin db-init mysql: %v\n%s", err, out)
	}
	d := exec.Command(dump, "--no-defaults", "--socket="+s.Socket(), "-u", "root",
		"--routines", "--triggers", "--skip-comments", Template)
	var stderr bytes.Buffer
	d.Stderr = &stderr
	if s.dump, err = d.Output(); err != nil {
		return s, fmt.Errorf("mariadb-dump %s: %v\n%s", Template, err, stderr.Bytes())
	}
	return s, nil
}

// keaAdmin returns the path of Debian's kea-admin.
func keaAdmin() (string, error) {
	if p, err := exec.LookPath("kea-admin"); err == nil {
		return p, nil
	}
	if _, err := os.Stat("/usr/sbin/kea-admin"); err == nil {
		return "/usr/sbin/kea-admin", nil
	}
	return "", errors.New("kea-admin missing (Debian's kea-admin)")
}

// command runs a MariaDB program as the server's user, in its time zone.
// It is killed if the test process dies: a test binary that ends without
// Close or Stop leaves no server running.
func (s *Server) command(name string, args ...string) *exec.Cmd {
	cmd := exec.Command(name, args...)
	cmd.SysProcAttr = procAttr(s.cred)
	cmd.Env = append(os.Environ(), "TZ="+s.opts.TZ)
	cmd.Dir = s.Dir
	return cmd
}

// Restart starts the server on its data, after Crash or at first, and
// waits until it accepts connections.
func (s *Server) Restart() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.cmd != nil {
		select {
		case <-s.done:
		default:
			return errors.New("the server is running")
		}
	}
	mariadbd, err := program("mariadbd", "mysqld")
	if err != nil {
		return err
	}
	logf, err := os.OpenFile(filepath.Join(s.Dir, "mariadb.log"), os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
	if err != nil {
		return err
	}
	defer logf.Close()
	if s.cred != nil {
		logf.Chown(int(s.cred.Uid), int(s.cred.Gid))
	}
	// Committed transactions reach the log on each commit
	// (innodb-flush-log-at-trx-commit=2): a killed server loses nothing
	// committed; the machine is shared, so nothing is synced to disk.
	cmd := s.command(mariadbd, "--no-defaults", "--datadir="+s.data(), "--socket="+s.Socket(),
		"--skip-networking", "--pid-file="+filepath.Join(s.Dir, "mariadbd.pid"),
		"--log-error="+filepath.Join(s.Dir, "mariadb.log"), "--innodb-flush-log-at-trx-commit=2",
		"--innodb-doublewrite=0", "--skip-log-bin", "--max-connections=200", "--innodb-buffer-pool-size=64M")
	cmd.Stdout, cmd.Stderr = logf, logf
	if err := cmd.Start(); err != nil {
		return fmt.Errorf("start mariadbd: %w", err)
	}
	done := make(chan struct{})
	go func() { cmd.Wait(); close(done) }()
	s.cmd, s.done = cmd, done

	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	for {
		db, err := sql.Open("mysql", s.rootDSN(""))
		if err == nil {
			err = db.PingContext(ctx)
			db.Close()
		}
		if err == nil {
			return nil
		}
		select {
		case <-done:
			log, _ := os.ReadFile(filepath.Join(s.Dir, "mariadb.log"))
			return fmt.Errorf("mariadbd exited: %s", log)
		case <-ctx.Done():
			return fmt.Errorf("mariadbd did not accept connections in 60 s: %v", err)
		case <-time.After(50 * time.Millisecond):
		}
	}
}

// Crash kills the server (SIGKILL), as in a crash of the server (not of
// the machine); the next start recovers from InnoDB's log.
func (s *Server) Crash() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.cmd == nil || s.cmd.Process == nil {
		return errors.New("the server is not running")
	}
	s.cmd.Process.Kill()
	select {
	case <-s.done:
		return nil
	case <-time.After(30 * time.Second):
		return errors.New("mariadbd still running 30 s after SIGKILL")
	}
}

// Close stops the server (a normal shutdown) and removes it.
func (s *Server) Close() {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.cmd != nil && s.cmd.Process != nil {
		s.cmd.Process.Signal(syscall.SIGTERM)
		select {
		case <-s.done:
		case <-time.After(30 * time.Second):
			syscall.Kill(-s.cmd.Process.Pid, syscall.SIGKILL)
			<-s.done
		}
	}
	os.RemoveAll(s.Dir)
}

func (s *Server) rootDSN(db string) string {
	c := mysql.NewConfig()
	c.Net, c.Addr, c.User, c.DBName = "unix", s.Socket(), "root", db
	c.MultiStatements = true
	return c.FormatDSN()
}

// exec runs statements as root on database db ("" for none).
func (s *Server) exec(db string, stmts ...string) error {
	conn, err := sql.Open("mysql", s.rootDSN(db))
	if err != nil {
		return err
	}
	defer conn.Close()
	for _, q := range stmts {
		if _, err := conn.Exec(q); err != nil {
			return fmt.Errorf("%s: %w", q, err)
		}
	}
	return nil
}

// NewDB returns a new database holding Kea's empty schema, a copy of what
// kea-admin db-init made.
func (s *Server) NewDB(t testing.TB) DB {
	t.Helper()
	name := fmt.Sprintf("t%d", s.counter.Add(1))
	if err := s.exec("", "CREATE DATABASE "+name); err != nil {
		t.Fatal(err)
	}
	client, err := program("mariadb", "mysql")
	if err != nil {
		t.Fatal(err)
	}
	load := exec.Command(client, "--no-defaults", "--socket="+s.Socket(), "-u", "root", name)
	load.Stdin = bytes.NewReader(s.dump)
	if out, err := load.CombinedOutput(); err != nil {
		t.Fatalf("load Kea's schema into %s: %v\n%s", name, err, out)
	}
	return DB{Socket: s.Socket(), Name: name, User: User, Password: Password}
}

// Open opens database db as the kea user outside any store, closed when
// t ends.
func (s *Server) Open(t testing.TB, db string) *sql.DB {
	t.Helper()
	conn, err := sql.Open("mysql", DB{Socket: s.Socket(), Name: db, User: User, Password: Password}.DSN())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close() })
	return conn
}

// Admin runs SQL statements as root on database db outside any store.
func (s *Server) Admin(t testing.TB, db string, stmts ...string) {
	t.Helper()
	if err := s.exec(db, stmts...); err != nil {
		t.Fatal(err)
	}
}
