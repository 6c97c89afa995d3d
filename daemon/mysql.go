package daemon

import (
	"bufio"
	"bytes"
	"context"
	"database/sql"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/netip"
	"time"

	"github.com/leased/leased/config"
	"github.com/leased/leased/hosts"
	hostsmysql "github.com/leased/leased/hosts/mysql"
	"github.com/leased/leased/internal/regularfile"
	"github.com/leased/leased/lease/mysql"
	mysqlschema "github.com/leased/leased/lease/mysql/schema"
)

// mysqlOptions are the mysql options lease-database describes, with
// Kea's defaults: host localhost (the local server's unix socket, as
// libmysqlclient takes it), connect-timeout 5 s. The password comes from
// password-file (its first line) when that is given. The hooks are a
// PostgreSQL store's: the same configuration, loss and retry handling.
func mysqlOptions(cfg *config.Config, h pgsqlHooks) (mysql.Options, error) {
	db := cfg.LeaseDatabase
	o := mysql.Options{
		Host: db.Host, Port: db.Port, Name: db.Name, User: db.User, Password: db.Password.Reveal(),
		ConnectTimeout: time.Duration(db.ConnectTimeout) * time.Second,
		ReadTimeout:    time.Duration(db.ReadTimeout) * time.Second,
		WriteTimeout:   time.Duration(db.WriteTimeout) * time.Second,
		TrustAnchor:    db.TrustAnchor, CertFile: db.CertFile, KeyFile: db.KeyFile, CipherList: db.CipherList,
		OnLost: h.onLost,
	}
	if o.Host == "" {
		o.Host = "localhost"
	}
	if o.ConnectTimeout == 0 {
		o.ConnectTimeout = 5 * time.Second
	}
	if db.PasswordFile != "" {
		var err error
		if o.Password, err = passwordFile("lease-database", db.PasswordFile); err != nil {
			return o, err
		}
	}
	poolsOf := func() *config.Config { return cfg }
	if h.config != nil {
		poolsOf = h.config
	}
	o.PoolID = func(subnetID uint32, a netip.Addr) uint32 { return poolOf(poolsOf(), subnetID, a) }
	return o, nil
}

// openMysql opens the MySQL lease store of cfg. With retry-on-startup and
// reconnection configured (max-reconnect-tries and reconnect-wait-time not
// 0), a database that cannot be reached is tried again as after a lost
// connection, before the server serves.
func openMysql(ctx context.Context, cfg *config.Config, log *slog.Logger, h pgsqlHooks) (*mysql.Store, error) {
	o, err := mysqlOptions(cfg, h)
	if err != nil {
		return nil, err
	}
	return openRetrying(ctx, log, "lease", cfg.LeaseDatabase, h.serving,
		func() (*mysql.Store, error) { return mysql.Open(ctx, o) }, mysql.ConnectionLost)
}

// passwordFile is the password in path: its first line, as Kea reads a
// database's password-file. scope names the database map for errors.
func passwordFile(scope, path string) (string, error) {
	b, err := regularfile.ReadLimited(path, 4096)
	if err != nil {
		return "", fmt.Errorf("%s password-file: %w", scope, err)
	}
	line, _, _ := bufio.NewReader(bytes.NewReader(b)).ReadLine()
	return string(line), nil
}

// sqlDesc names a SQL database (lease or hosts) for logs, without the password.
func sqlDesc(db config.Database) string {
	host := db.Host
	if host == "" {
		host = "localhost"
	}
	return fmt.Sprintf("%s database %q on %s as %q", db.Type, db.Name, host, db.User)
}

// isSQL reports whether lease-database is a database server's (shared,
// with on-fail), not a memfile.
func isSQL(db config.Database) bool { return db.Type == "postgresql" || db.Type == "mysql" }

// dbBackend is the backend `leased db` works on: o.Backend, else the
// type of the configuration's lease-database, else pgsql.
func dbBackend(o DBOptions, log *slog.Logger) (string, error) {
	switch o.Backend {
	case "pgsql", "mysql":
		return o.Backend, nil
	case "":
	default:
		return "", fmt.Errorf("unknown backend %q (want pgsql or mysql)", o.Backend)
	}
	if o.Config != "" {
		cfg, err := LoadConfig(o.Config, log)
		if err != nil {
			return "", err
		}
		if cfg.LeaseDatabase.Type == "mysql" {
			return "mysql", nil
		}
	}
	return "pgsql", nil
}

// mysqlDB is `leased db ACTION mysql`: version prints the version, as
// kea-admin db-version mysql; leased does not create or upgrade Kea's
// MySQL schema (kea-admin db-init mysql does).
func mysqlDB(ctx context.Context, action string, o DBOptions, w io.Writer, log *slog.Logger) error {
	opts := mysql.Options{Host: "localhost", ConnectTimeout: 5 * time.Second}
	if o.Config != "" {
		cfg, err := LoadConfig(o.Config, log)
		if err != nil {
			return err
		}
		if t := cfg.LeaseDatabase.Type; t != "mysql" {
			return fmt.Errorf("%s: lease-database is of type %q, not \"mysql\"", o.Config, t)
		}
		if opts, err = mysqlOptions(cfg, pgsqlHooks{}); err != nil {
			return fmt.Errorf("%s: %w", o.Config, err)
		}
		opts.PoolID = nil
	}
	for _, s := range []struct {
		to   *string
		from string
	}{
		{&opts.Name, o.Name}, {&opts.User, o.User}, {&opts.Password, o.Password}, {&opts.Host, o.Host},
	} {
		if s.from != "" {
			*s.to = s.from
		}
	}
	if o.Port != 0 {
		opts.Port = o.Port
	}
	if opts.Name == "" {
		return errors.New("no database named: give -n NAME, or -c FILE with a mysql lease-database")
	}
	switch action {
	case "init", "upgrade":
		connector, where, err := mysql.Connector(opts)
		if err != nil {
			return err
		}
		db := sql.OpenDB(connector)
		defer db.Close()
		if action == "init" {
			if err := mysqlschema.Init(ctx, db); err != nil {
				return fmt.Errorf("%s: %w", where, err)
			}
			fmt.Fprintf(w, "%s: created Kea's MySQL schema %s (Kea 2.2's)\n", where, mysqlschema.Kea22)
			return nil
		}
		from, err := mysqlschema.Upgrade(ctx, db)
		if err != nil {
			return fmt.Errorf("%s: %w", where, err)
		}
		if from == mysqlschema.Kea32 {
			fmt.Fprintf(w, "%s: MySQL schema %s already, nothing to do\n", where, from)
			return nil
		}
		fmt.Fprintf(w, "%s: upgraded Kea's MySQL schema from %s to %s (Kea 3.1.9 and 3.2's); Kea 2.2 no longer runs on it\n", where, from, mysqlschema.Kea32)
		return nil
	}
	v, where, err := mysql.ReadVersionOf(ctx, opts)
	if errors.Is(err, mysql.ErrNoSchema) {
		return fmt.Errorf("%s: %w; leased db init mysql creates it", where, err)
	}
	if err != nil {
		return err
	}
	fmt.Fprintln(w, v)
	return nil
}

// openMysqlHosts opens a mysql hosts-database, with Kea's defaults as for
// the lease database (host localhost, connect-timeout 5 s), read and
// write timeouts and TLS as Kea applies them to MySQL.
func openMysqlHosts(ctx context.Context, db config.HostsDatabase) (hosts.Store, error) {
	o := hostsmysql.Options{ReadOnly: db.ReadOnly, Options: mysql.Options{
		Host: db.Host, Port: db.Port, Name: db.Name, User: db.User, Password: db.Password.Reveal(),
		ConnectTimeout: time.Duration(db.ConnectTimeout) * time.Second,
		ReadTimeout:    time.Duration(db.ReadTimeout) * time.Second,
		WriteTimeout:   time.Duration(db.WriteTimeout) * time.Second,
		TrustAnchor:    db.TrustAnchor, CertFile: db.CertFile, KeyFile: db.KeyFile, CipherList: db.CipherList,
	}}
	if o.Host == "" {
		o.Host = "localhost"
	}
	if o.ConnectTimeout == 0 {
		o.ConnectTimeout = 5 * time.Second
	}
	if db.PasswordFile != "" {
		pw, err := passwordFile("hosts-database", db.PasswordFile)
		if err != nil {
			return nil, err
		}
		o.Password = pw
	}
	s, err := hostsmysql.Open(ctx, o)
	if err != nil {
		return nil, err
	}
	return s, nil
}
