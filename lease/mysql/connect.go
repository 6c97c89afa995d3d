package mysql

import (
	"crypto/tls"
	"crypto/x509"
	sqldriver "database/sql/driver"
	"fmt"
	"net"
	"net/netip"
	"os"
	"strconv"
	"strings"
	"time"

	driver "github.com/go-sql-driver/mysql"
)

// Options say which database to use and how.
type Options struct {
	// Host is a host name or an IP address, or the path of the server's
	// unix socket (beginning with "/"). "localhost", like an empty Host,
	// means the local server's unix socket, as libmysqlclient (and so
	// Kea) takes it: the path in MYSQL_UNIX_PORT, else
	// /run/mysqld/mysqld.sock.
	Host string
	// Port is the TCP port; 0 means 3306.
	Port uint16
	// Name is the database's name, User and Password the account that
	// logs in.
	Name     string
	User     string
	Password string
	// ConnectTimeout bounds each connection attempt, ReadTimeout and
	// WriteTimeout each read and write on a connection (Kea's
	// connect-timeout, read-timeout and write-timeout); 0 means no bound.
	ConnectTimeout, ReadTimeout, WriteTimeout time.Duration
	// MaxConns is the size of the connection pool; 0 means 16.
	MaxConns int
	// TrustAnchor is a file of CA certificates the server's certificate
	// must chain to; CertFile and KeyFile are the client's certificate
	// and key; CipherList is OpenSSL's cipher names, colon-separated (for
	// TLS 1.2: TLS 1.3's suites are not chosen). Any of them turns TLS on.
	TrustAnchor, CertFile, KeyFile, CipherList string
	// OnLost, when not nil, is called with the error each time a call
	// fails because the connection to the server failed (rather than the
	// statement); it must not block.
	OnLost func(error)
	// PoolID gives the pool of a lease read from the database, which
	// schema 14.0 does not store; nil means pool 0 for every lease.
	PoolID func(subnetID uint32, addr netip.Addr) uint32
}

// String describes o for logs, the password redacted.
func (o Options) String() string {
	pw := ""
	if o.Password != "" {
		pw = " password=*****"
	}
	return fmt.Sprintf("host=%s port=%d name=%s user=%s%s", o.Host, o.Port, o.Name, o.User, pw)
}

// GoString is String, so that %#v shows no password either.
func (o Options) GoString() string { return o.String() }

// DefaultSocket is the unix socket of a local server when neither Host
// nor MYSQL_UNIX_PORT names another: Debian's.
const DefaultSocket = "/run/mysqld/mysqld.sock"

// config is the driver configuration opts describe. Every session runs in
// UTC (time_zone '+00:00'), whatever the server's zone: the expiry is
// written and read as Unix seconds (FROM_UNIXTIME, UNIX_TIMESTAMP), which
// in a zone with daylight saving time would be ambiguous for an hour a
// year. sql_mode is Kea's (STRICT_ALL_TABLES): a value that does not fit
// fails instead of being cut. Affected rows count the rows found, not
// those changed, so a guarded write that matched its row counts it.
func config(opts Options) (*driver.Config, error) {
	c := driver.NewConfig()
	c.User, c.Passwd, c.DBName = opts.User, opts.Password, opts.Name
	switch {
	case strings.HasPrefix(opts.Host, "/"):
		c.Net, c.Addr = "unix", opts.Host
	case opts.Host == "" || opts.Host == "localhost":
		c.Net, c.Addr = "unix", DefaultSocket
		if p := os.Getenv("MYSQL_UNIX_PORT"); p != "" {
			c.Addr = p
		}
	default:
		port := opts.Port
		if port == 0 {
			port = 3306
		}
		c.Net, c.Addr = "tcp", net.JoinHostPort(opts.Host, strconv.Itoa(int(port)))
	}
	c.Timeout, c.ReadTimeout, c.WriteTimeout = opts.ConnectTimeout, opts.ReadTimeout, opts.WriteTimeout
	c.ClientFoundRows = true
	// The driver's own log lines (a broken connection it dropped) would
	// go to the process's standard logger; every failure that matters
	// reaches the caller as an error.
	c.Logger = quietLogger{}
	c.ParseTime = false
	c.Params = map[string]string{"time_zone": "'+00:00'", "sql_mode": "'STRICT_ALL_TABLES'"}
	if opts.TrustAnchor != "" || opts.CertFile != "" || opts.KeyFile != "" || opts.CipherList != "" {
		t, err := tlsConfig(opts, c.Net, opts.Host)
		if err != nil {
			return nil, err
		}
		c.TLS = t
	}
	return c, nil
}

// tlsConfig is the TLS of opts' files.
func tlsConfig(opts Options, network, host string) (*tls.Config, error) {
	t := &tls.Config{MinVersion: tls.VersionTLS12}
	if network == "tcp" {
		t.ServerName = host
	}
	if opts.TrustAnchor != "" {
		pem, err := os.ReadFile(opts.TrustAnchor)
		if err != nil {
			return nil, fmt.Errorf("lease-database mysql: trust-anchor: %w", err)
		}
		t.RootCAs = x509.NewCertPool()
		if !t.RootCAs.AppendCertsFromPEM(pem) {
			return nil, fmt.Errorf("lease-database mysql: trust-anchor %s holds no PEM certificate", opts.TrustAnchor)
		}
	} else {
		// Kea's MySQL connection without a trust anchor encrypts but
		// does not verify the server.
		t.InsecureSkipVerify = true
	}
	if (opts.CertFile == "") != (opts.KeyFile == "") {
		return nil, fmt.Errorf("lease-database mysql: a client certificate needs both cert-file and key-file")
	}
	if opts.CertFile != "" {
		cert, err := tls.LoadX509KeyPair(opts.CertFile, opts.KeyFile)
		if err != nil {
			return nil, fmt.Errorf("lease-database mysql: cert-file %s and key-file %s: %w", opts.CertFile, opts.KeyFile, err)
		}
		t.Certificates = []tls.Certificate{cert}
	}
	if opts.CipherList != "" {
		suites, err := cipherSuites(opts.CipherList)
		if err != nil {
			return nil, err
		}
		t.CipherSuites = suites
		t.MaxVersion = tls.VersionTLS12
	}
	return t, nil
}

// cipherSuites maps OpenSSL's names of TLS 1.2 suites to Go's.
func cipherSuites(list string) ([]uint16, error) {
	byOpenSSL := map[string]uint16{
		"ECDHE-ECDSA-AES128-GCM-SHA256": tls.TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256,
		"ECDHE-RSA-AES128-GCM-SHA256":   tls.TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256,
		"ECDHE-ECDSA-AES256-GCM-SHA384": tls.TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384,
		"ECDHE-RSA-AES256-GCM-SHA384":   tls.TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384,
		"ECDHE-ECDSA-CHACHA20-POLY1305": tls.TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256,
		"ECDHE-RSA-CHACHA20-POLY1305":   tls.TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256,
	}
	var out []uint16
	for _, n := range strings.Split(list, ":") {
		if n == "" {
			continue
		}
		id, ok := byOpenSSL[n]
		if !ok {
			return nil, fmt.Errorf("lease-database mysql: cipher-list: %q is not a TLS 1.2 ECDHE AEAD suite leased knows", n)
		}
		out = append(out, id)
	}
	return out, nil
}

// where names the database, server and user of c for messages; never the
// password.
func where(c *driver.Config) string {
	server := c.Addr
	if c.Net == "unix" {
		server = "the unix socket " + c.Addr
	}
	return fmt.Sprintf("MySQL database %q on %s as user %q", c.DBName, server, c.User)
}

// Connector is the driver's connector for opts, for other stores on the
// same database (hosts/mysql), and the database, server and user it
// reaches, named for messages without the password.
func Connector(opts Options) (sqldriver.Connector, string, error) {
	c, err := config(opts)
	if err != nil {
		return nil, "", err
	}
	w := where(c)
	conn, err := driver.NewConnector(c)
	if err != nil {
		return nil, w, fmt.Errorf("%s: %w", w, err)
	}
	return conn, w, nil
}

// quietLogger drops the driver's log lines.
type quietLogger struct{}

func (quietLogger) Print(...any) {}
