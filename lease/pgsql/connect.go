package pgsql

import (
	"context"
	"fmt"
	"net"
	"strconv"
	"strings"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
)

// PoolConfig is the pool configuration opts describe: the lease store's,
// and that of Kea's host tables in the same kind of database (hosts/pgsql),
// so that both read Kea's connection keywords the same way.
func PoolConfig(opts Options) (*pgxpool.Config, error) {
	// The host, port and TLS settings go through libpq's keywords, so
	// that the TLS configuration is made for the host connected to.
	var dsn []string
	for _, kv := range [][2]string{{"host", opts.Host}, {"sslmode", opts.SSLMode},
		{"sslrootcert", opts.TrustAnchor}, {"sslcert", opts.CertFile}, {"sslkey", opts.KeyFile}} {
		if kv[1] != "" {
			dsn = append(dsn, kv[0]+"="+quoteDSN(kv[1]))
		}
	}
	if opts.Port != 0 {
		dsn = append(dsn, "port="+strconv.Itoa(int(opts.Port)))
	}
	cfg, err := pgxpool.ParseConfig(strings.Join(dsn, " "))
	if err != nil {
		return nil, fmt.Errorf("postgresql: host, port and TLS settings (%s): %w", opts, err)
	}
	cc := cfg.ConnConfig
	if opts.TCPUserTimeout > 0 {
		cc.DialFunc = tcpUserTimeoutDialer(opts.TCPUserTimeout)
	}
	if opts.Name != "" {
		cc.Database = opts.Name
	}
	if opts.User != "" {
		cc.User = opts.User
	}
	if opts.Password != "" {
		cc.Password = opts.Password
	}
	if opts.ConnectTimeout > 0 {
		cc.ConnectTimeout = opts.ConnectTimeout
	}
	cfg.MaxConns = DefaultMaxConns
	if opts.MaxConns > 0 {
		cfg.MaxConns = opts.MaxConns
	}
	return cfg, nil
}

// Where names the database, server and user of cc for messages; never the
// password.
func Where(cc *pgx.ConnConfig) string {
	server := net.JoinHostPort(cc.Host, strconv.Itoa(int(cc.Port)))
	if strings.HasPrefix(cc.Host, "/") {
		server = fmt.Sprintf("the unix socket in %s (port %d)", cc.Host, cc.Port)
	}
	return fmt.Sprintf("PostgreSQL database %q on %s as user %q", cc.Database, server, cc.User)
}

// Connect opens one connection with opts' settings, whatever schema the
// database holds (or none), for administering it (leased db). The string
// names the database, server and user for messages.
func Connect(ctx context.Context, opts Options) (*pgx.Conn, string, error) {
	cfg, err := PoolConfig(opts)
	if err != nil {
		return nil, "", fmt.Errorf("lease-database %w", err)
	}
	w := Where(cfg.ConnConfig)
	conn, err := pgx.ConnectConfig(ctx, cfg.ConnConfig)
	if err != nil {
		return nil, w, fmt.Errorf("%s: %w", w, err)
	}
	return conn, w, nil
}
