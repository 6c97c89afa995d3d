package mysql

import (
	"crypto/tls"
	"strings"
	"testing"
	"time"
)

// TestConfig: how Kea's host and port reach the driver (localhost is the
// local socket, as libmysqlclient takes it), the session settings every
// connection gets, and TLS from Kea's file keywords.
func TestConfig(t *testing.T) {
	t.Setenv("MYSQL_UNIX_PORT", "")
	for _, tc := range []struct {
		host, net, addr string
		port            uint16
	}{
		{"", "unix", DefaultSocket, 0},
		{"localhost", "unix", DefaultSocket, 0},
		{"/tmp/x/sock", "unix", "/tmp/x/sock", 0},
		{"db.example.org", "tcp", "db.example.org:3306", 0},
		{"192.0.2.7", "tcp", "192.0.2.7:3307", 3307},
		{"2001:db8::7", "tcp", "[2001:db8::7]:3306", 0},
	} {
		c, err := config(Options{Host: tc.host, Port: tc.port, Name: "kea", User: "u", Password: "p",
			ConnectTimeout: 3 * time.Second, ReadTimeout: 4 * time.Second, WriteTimeout: 5 * time.Second})
		if err != nil {
			t.Fatalf("%q: %v", tc.host, err)
		}
		if c.Net != tc.net || c.Addr != tc.addr || c.DBName != "kea" || c.Timeout != 3*time.Second || c.ReadTimeout != 4*time.Second || c.WriteTimeout != 5*time.Second {
			t.Errorf("%q: %s %s db %s timeouts %v %v %v", tc.host, c.Net, c.Addr, c.DBName, c.Timeout, c.ReadTimeout, c.WriteTimeout)
		}
		if !c.ClientFoundRows || c.Params["time_zone"] != "'+00:00'" || c.TLS != nil {
			t.Errorf("%q: found rows %v, params %v, TLS %v", tc.host, c.ClientFoundRows, c.Params, c.TLS)
		}
	}
	t.Setenv("MYSQL_UNIX_PORT", "/run/other.sock")
	if c, _ := config(Options{Host: "localhost"}); c.Addr != "/run/other.sock" {
		t.Errorf("localhost with MYSQL_UNIX_PORT: %s", c.Addr)
	}

	c, err := config(Options{Host: "db.example.org", CipherList: "ECDHE-RSA-AES128-GCM-SHA256:ECDHE-RSA-AES256-GCM-SHA384"})
	if err != nil {
		t.Fatal(err)
	}
	if c.TLS == nil || len(c.TLS.CipherSuites) != 2 || c.TLS.CipherSuites[0] != tls.TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256 || c.TLS.ServerName != "db.example.org" {
		t.Errorf("cipher-list: TLS %+v", c.TLS)
	}
	for _, bad := range []struct {
		o    Options
		want string
	}{
		{Options{CertFile: "/c.pem"}, "both cert-file and key-file"},
		{Options{CipherList: "RC4-MD5"}, `"RC4-MD5"`},
		{Options{TrustAnchor: "/nonexistent/ca.pem"}, "trust-anchor"},
	} {
		if _, err := config(bad.o); err == nil || !strings.Contains(err.Error(), bad.want) {
			t.Errorf("%+v: %v, want an error saying %s", bad.o, err, bad.want)
		}
	}
}
