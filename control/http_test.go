package control

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/base64"
	"encoding/pem"
	"errors"
	"io"
	"log/slog"
	"math/big"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/leased/leased/config"
	"github.com/leased/leased/internal/logtest"
)

func httpSock(auth *config.Authentication) config.ControlSocket {
	return config.ControlSocket{Type: "http", Address: "127.0.0.1", Port: 0, Authentication: auth}
}

func post(t *testing.T, url, body string, hdr map[string]string) (*http.Response, string) {
	t.Helper()
	req, err := http.NewRequest(http.MethodPost, url, strings.NewReader(body))
	must(t, err)
	req.Header.Set("Content-Type", "application/json")
	for k, v := range hdr {
		req.Header.Set(k, v)
	}
	resp, err := (&http.Client{Transport: &http.Transport{Proxy: nil}}).Do(req)
	must(t, err)
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	must(t, err)
	return resp, string(b)
}

func TestHTTPRoundTrip(t *testing.T) {
	sock := httpSock(nil)
	sock.HTTPHeaders = []config.HTTPHeader{{Name: "X-Test", Value: "yes"}}
	s := startServer(t, testRegistry(t), Options{Service: "dhcp4"}, sock)
	url := "http://" + s.Addrs()[0] + "/"

	// Answers are wrapped in a one-element list.
	resp, body := post(t, url, `{"command": "echo", "arguments": {"a": 1}}`, nil)
	if resp.StatusCode != 200 || body != `[ {"arguments":{"a":1},"result":0,"text":"http "} ]` {
		t.Errorf("echo: %d %s", resp.StatusCode, body)
	}
	if resp.Header.Get("X-Test") != "yes" || resp.Header.Get("Content-Type") != "application/json" {
		t.Errorf("headers %v", resp.Header)
	}

	_, body = post(t, url, `{"command": "echo", "service": ["dhcp6"]}`, nil)
	if body != `[ {"result":1,"text":"unsupported service 'dhcp6', expected 'dhcp4'"} ]` {
		t.Errorf("wrong service: %s", body)
	}
	_, body = post(t, url, `{"command": "echo", "service": ["dhcp4", "x"]}`, nil)
	if body != `[ {"result":1,"text":"service value has more than one item"} ]` {
		t.Errorf("two services: %s", body)
	}
	_, body = post(t, url, `{"command": "echo", "service": "dhcp4"}`, nil)
	if body != `[ {"result":1,"text":"service value must be a list"} ]` {
		t.Errorf("service string: %s", body)
	}
	resp, body = post(t, url, `{"command": "echo", "service": ["dhcp4"]}`, nil)
	if resp.StatusCode != 200 || !strings.Contains(body, `"result":0`) {
		t.Errorf("right service: %s", body)
	}
	_, body = post(t, url, `{"nocommand": 1}`, nil)
	if body != `[ {"result":1,"text":"Error during command processing: invalid command: does not contain mandatory 'command'"} ]` {
		t.Errorf("no command: %s", body)
	}

	// HTTP-level errors carry a bare map.
	resp, body = post(t, url, `{"command": `, nil)
	if resp.StatusCode != 400 || body != `{"result":400,"text":"Bad Request"}` {
		t.Errorf("truncated JSON: %d %s", resp.StatusCode, body)
	}
	resp, body = post(t, url, `{"command": "x",}`, nil)
	if resp.StatusCode != 400 {
		t.Errorf("bad JSON: %d %s", resp.StatusCode, body)
	}
	resp, body = post(t, url, `{"command": "echo"}`, map[string]string{"Content-Type": "text/plain"})
	if resp.StatusCode != 400 {
		t.Errorf("text/plain: %d %s", resp.StatusCode, body)
	}
	get, err := (&http.Client{Transport: &http.Transport{Proxy: nil}}).Get(url)
	must(t, err)
	get.Body.Close()
	if get.StatusCode != 400 {
		t.Errorf("GET: %d", get.StatusCode)
	}

	// The client unwraps the list.
	r, err := (&Client{Target: url}).Call(t.Context(), "version-get", nil)
	must(t, err)
	if r.Text != "1.2.3" {
		t.Errorf("client: %+v", r)
	}
}

func TestHTTPRequestLimit(t *testing.T) {
	s := startServer(t, testRegistry(t), Options{MaxRequestBytes: 64}, httpSock(nil))
	resp, body := post(t, "http://"+s.Addrs()[0]+"/", `{"command": "echo", "arguments": "`+strings.Repeat("x", 100)+`"}`, nil)
	if resp.StatusCode != 413 || body != `{"result":413,"text":"Request Entity Too Large"}` {
		t.Errorf("oversized: %d %s", resp.StatusCode, body)
	}
}

func TestHTTPBasicAuth(t *testing.T) {
	dir := t.TempDir()
	must(t, os.WriteFile(filepath.Join(dir, "user2"), []byte("bob\n"), 0o600))
	must(t, os.WriteFile(filepath.Join(dir, "pass2"), []byte("b0b-pass\nsecond line ignored\n"), 0o600))
	must(t, os.WriteFile(filepath.Join(dir, "both"), []byte("carol:c4r0l:with:colons"), 0o600))
	auth := &config.Authentication{
		Type: "basic", Realm: "kea-control", Directory: dir,
		Clients: []config.AuthClient{
			{User: "alice", Password: config.Secret("al1ce-secret")},
			{UserFile: "user2", PasswordFile: "/pass2"},
			{PasswordFile: "both"},
		},
	}
	var logs logtest.Buffer
	log := slog.New(slog.NewTextHandler(&logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	reg := testRegistry(t)
	s := startServer(t, reg, Options{Logger: log}, httpSock(auth))
	url := "http://" + s.Addrs()[0] + "/"
	cmd := `{"command": "echo", "arguments": {"db-password": "argument-secret"}}`

	resp, body := post(t, url, cmd, nil)
	if resp.StatusCode != 401 || body != `{"result":401,"text":"Unauthorized"}` {
		t.Errorf("no credentials: %d %s", resp.StatusCode, body)
	}
	if got := resp.Header.Get("WWW-Authenticate"); got != `Basic realm="kea-control"` {
		t.Errorf("WWW-Authenticate %q", got)
	}

	for _, tc := range []struct {
		user, pass string
		ok         bool
	}{
		{"alice", "al1ce-secret", true},
		{"alice", "wrong-password", false},
		{"bob", "b0b-pass", true},
		{"carol", "c4r0l:with:colons", true},
		{"mallory", "al1ce-secret", false},
	} {
		c := &Client{Target: url, User: tc.user, Password: tc.pass}
		r, err := c.Call(t.Context(), "echo", nil)
		if tc.ok {
			if err != nil || r.Result != 0 || r.Text != "http "+tc.user {
				t.Errorf("%s/%s: %+v %v", tc.user, tc.pass, r, err)
			}
			continue
		}
		var se *StatusError
		if !errors.As(err, &se) || se.StatusCode != 401 || se.Response == nil || se.Response.Text != "Unauthorized" {
			t.Errorf("%s/%s: want 401, got %+v %v", tc.user, tc.pass, r, err)
		}
	}

	// Authentication is checked before the body is read: a large body
	// from a stranger gets 401, not 413.
	small := startServer(t, reg, Options{Logger: log, MaxRequestBytes: 1024}, httpSock(auth))
	smallURL := "http://" + small.Addrs()[0] + "/"
	big := `{"command": "echo", "arguments": "` + strings.Repeat("x", 100<<10) + `"}`
	resp, _ = post(t, smallURL, big, nil)
	if resp.StatusCode != 401 {
		t.Errorf("large unauthenticated body: %d, want 401", resp.StatusCode)
	}
	resp, _ = post(t, smallURL, big, map[string]string{"Authorization": "Basic YWxpY2U6YWwxY2Utc2VjcmV0"})
	if resp.StatusCode != 413 {
		t.Errorf("large authenticated body: %d, want 413", resp.StatusCode)
	}

	// A wrong password in a raw header is refused too.
	resp, _ = post(t, url, cmd, map[string]string{"Authorization": "Bearer xyz"})
	if resp.StatusCode != 401 {
		t.Errorf("bearer: %d", resp.StatusCode)
	}

	// Neither the passwords nor the arguments reach the log.
	out := logs.String()
	for _, secret := range []string{"al1ce-secret", "wrong-password", "b0b-pass", "c4r0l", "argument-secret", "YWxpY2U"} {
		if strings.Contains(out, secret) {
			t.Errorf("log contains %q:\n%s", secret, out)
		}
	}
	if !strings.Contains(out, "not authorized") || !strings.Contains(out, "user=alice") {
		t.Errorf("expected authorization entries in the log:\n%s", out)
	}
}

func TestAuthConfigErrors(t *testing.T) {
	dir := t.TempDir()
	must(t, os.WriteFile(filepath.Join(dir, "nocolon"), []byte("justapassword"), 0o600))
	for _, tc := range []struct {
		name string
		c    config.AuthClient
		want string
	}{
		{"missing file", config.AuthClient{User: "a", PasswordFile: "nope"}, "expected a file at path"},
		{"no user part", config.AuthClient{PasswordFile: "nocolon"}, "can't find the user id part"},
		{"colon in user", config.AuthClient{User: "a:b", Password: "x"}, "must not contain a ':'"},
		{"no user", config.AuthClient{Password: "x"}, "user is required"},
		{"both users", config.AuthClient{User: "a", UserFile: "nocolon"}, "mutually exclusive"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			sock := httpSock(&config.Authentication{Type: "basic", Directory: dir, Clients: []config.AuthClient{tc.c}})
			err := NewServer(testRegistry(t), Options{}).Apply([]config.ControlSocket{sock})
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("got %v, want %q", err, tc.want)
			}
		})
	}
}

// Apply keeps an HTTP socket bound across reconfigurations and swaps its
// authentication; a reconfiguration that fails changes nothing.
func TestApplyReconfigure(t *testing.T) {
	dir := t.TempDir()
	reg := testRegistry(t)
	s := NewServer(reg, Options{})
	t.Cleanup(func() { s.Shutdown(t.Context()) })
	auth1 := &config.Authentication{Type: "basic", Clients: []config.AuthClient{{User: "u", Password: "one"}}}
	upath := filepath.Join(dir, "u.sock")
	// The socket is known by its configured address and port, so the
	// test needs a fixed port: borrow a free one.
	free, err := net.Listen("tcp", "127.0.0.1:0")
	must(t, err)
	port := uint16(free.Addr().(*net.TCPAddr).Port)
	free.Close()
	sock1 := httpSock(auth1)
	sock1.Port = port
	must(t, s.Apply([]config.ControlSocket{sock1, unixSock(upath)}))
	sock2 := httpSock(&config.Authentication{Type: "basic", Clients: []config.AuthClient{{User: "u", Password: "two"}}})
	sock2.Port = port
	url := "http://" + net.JoinHostPort("127.0.0.1", strconv.Itoa(int(port))) + "/"
	if r, err := (&Client{Target: url, User: "u", Password: "one"}).Call(t.Context(), "echo", nil); err != nil || r.Result != 0 {
		t.Fatalf("first password: %+v %v", r, err)
	}

	must(t, s.Apply([]config.ControlSocket{sock2}))
	if _, err := (&Client{Target: url, User: "u", Password: "one"}).Call(t.Context(), "echo", nil); err == nil {
		t.Error("old password still accepted")
	}
	if r, err := (&Client{Target: url, User: "u", Password: "two"}).Call(t.Context(), "echo", nil); err != nil || r.Result != 0 {
		t.Errorf("new password: %+v %v", r, err)
	}
	if _, err := os.Lstat(upath); !os.IsNotExist(err) {
		t.Errorf("removed unix socket still on disk: %v", err)
	}

	// A broken new socket: nothing changes.
	bad := config.ControlSocket{Type: "https", Address: "127.0.0.1", Port: 0}
	if err := s.Apply([]config.ControlSocket{bad, unixSock(upath)}); err == nil || !strings.Contains(err.Error(), "no TLS setup") {
		t.Fatalf("broken apply: %v", err)
	}
	if _, err := os.Lstat(upath); !os.IsNotExist(err) {
		t.Error("the unix socket of a failed apply was left open")
	}
	if r, err := (&Client{Target: url, User: "u", Password: "two"}).Call(t.Context(), "echo", nil); err != nil || r.Result != 0 {
		t.Errorf("after failed apply: %+v %v", r, err)
	}
	// Switching the bound socket to TLS is refused, as in Kea.
	pki := newTestPKI(t)
	sock3 := sock2
	sock3.Type, sock3.TrustAnchor, sock3.CertFile, sock3.KeyFile = "https", pki.caFile, pki.serverCert, pki.serverKey
	if err := s.Apply([]config.ControlSocket{sock3}); err == nil || !strings.Contains(err.Error(), "can not switch from HTTP to HTTPS") {
		t.Errorf("http to https: %v", err)
	}
}

func TestHTTPS(t *testing.T) {
	pki := newTestPKI(t)
	sock := config.ControlSocket{Type: "https", Address: "127.0.0.1", TrustAnchor: pki.caFile,
		CertFile: pki.serverCert, KeyFile: pki.serverKey, CertRequired: true}
	s := startServer(t, testRegistry(t), Options{}, sock)
	url := "https://" + s.Addrs()[0] + "/"

	withCert := &tls.Config{RootCAs: pki.pool, Certificates: []tls.Certificate{pki.client}, ServerName: "localhost"}
	r, err := (&Client{Target: url, TLS: withCert}).Call(t.Context(), "echo", nil)
	if err != nil || r.Text != "https " {
		t.Fatalf("with client cert: %+v %v", r, err)
	}
	noCert := &tls.Config{RootCAs: pki.pool, ServerName: "localhost"}
	if _, err := (&Client{Target: url, TLS: noCert}).Call(t.Context(), "echo", nil); err == nil {
		t.Error("cert-required: a client without a certificate was served")
	}
	if _, err := (&Client{Target: url, TLS: &tls.Config{ServerName: "localhost"}}).Call(t.Context(), "echo", nil); err == nil {
		t.Error("a client that does not trust the server's CA connected")
	}
	if _, err := (&Client{Target: "http://" + s.Addrs()[0] + "/"}).Call(t.Context(), "echo", nil); err == nil {
		t.Error("plain HTTP to the HTTPS socket succeeded")
	}

	// cert-required false: a client without a certificate is served.
	sock.CertRequired = false
	sock.Port = 0
	s2 := startServer(t, testRegistry(t), Options{}, sock)
	r, err = (&Client{Target: "https://" + s2.Addrs()[0] + "/", TLS: noCert}).Call(t.Context(), "echo", nil)
	if err != nil || r.Result != 0 {
		t.Errorf("cert not required: %+v %v", r, err)
	}

	// All three TLS parameters are needed.
	partial := config.ControlSocket{Type: "http", Address: "127.0.0.1", CertFile: pki.serverCert, KeyFile: pki.serverKey}
	if err := NewServer(testRegistry(t), Options{}).Apply([]config.ControlSocket{partial}); err == nil || !strings.Contains(err.Error(), "trust-anchor parameter is missing") {
		t.Errorf("partial TLS: %v", err)
	}
	// A trust anchor may be a directory.
	dirSock := sock
	dirSock.TrustAnchor = filepath.Dir(pki.caFile)
	startServer(t, testRegistry(t), Options{}, dirSock)
}

type testPKI struct {
	caFile, serverCert, serverKey string
	pool                          *x509.CertPool
	client                        tls.Certificate
}

// newTestPKI makes a CA, a server certificate for localhost/127.0.0.1 and
// a client certificate, all signed by the CA, in a temporary directory.
func newTestPKI(t *testing.T) *testPKI {
	t.Helper()
	dir := t.TempDir()
	caDir := filepath.Join(dir, "ca")
	must(t, os.Mkdir(caDir, 0o700))
	caKey, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	must(t, err)
	caTmpl := &x509.Certificate{
		SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "test CA"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour),
		IsCA: true, BasicConstraintsValid: true, KeyUsage: x509.KeyUsageCertSign,
	}
	caDER, err := x509.CreateCertificate(rand.Reader, caTmpl, caTmpl, &caKey.PublicKey, caKey)
	must(t, err)
	caCert, err := x509.ParseCertificate(caDER)
	must(t, err)
	p := &testPKI{caFile: filepath.Join(caDir, "ca.pem"), pool: x509.NewCertPool()}
	p.pool.AddCert(caCert)
	must(t, os.WriteFile(p.caFile, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: caDER}), 0o600))

	issue := func(serial int64, usage x509.ExtKeyUsage, name string) ([]byte, []byte) {
		key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
		must(t, err)
		tmpl := &x509.Certificate{
			SerialNumber: big.NewInt(serial), Subject: pkix.Name{CommonName: name},
			NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour),
			ExtKeyUsage: []x509.ExtKeyUsage{usage}, KeyUsage: x509.KeyUsageDigitalSignature,
			DNSNames: []string{"localhost"}, IPAddresses: []net.IP{net.ParseIP("127.0.0.1")},
		}
		der, err := x509.CreateCertificate(rand.Reader, tmpl, caCert, &key.PublicKey, caKey)
		must(t, err)
		kb, err := x509.MarshalECPrivateKey(key)
		must(t, err)
		return pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}),
			pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: kb})
	}
	sc, sk := issue(2, x509.ExtKeyUsageServerAuth, "localhost")
	p.serverCert, p.serverKey = filepath.Join(dir, "server.pem"), filepath.Join(dir, "server.key")
	must(t, os.WriteFile(p.serverCert, sc, 0o600))
	must(t, os.WriteFile(p.serverKey, sk, 0o600))
	cc, ck := issue(3, x509.ExtKeyUsageClientAuth, "operator")
	p.client, err = tls.X509KeyPair(cc, ck)
	must(t, err)
	return p
}

// TestHTTPGetHandlers: a GET path such as /metrics is served behind the
// socket's authentication; commands stay POSTs.
func TestHTTPGetHandlers(t *testing.T) {
	auth := &config.Authentication{Type: "basic", Clients: []config.AuthClient{{User: "prom", Password: "scrape"}}}
	metrics := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { io.WriteString(w, "leased_up 1\n") })
	s := startServer(t, testRegistry(t), Options{GetHandlers: map[string]http.Handler{"/metrics": metrics}}, httpSock(auth))
	url := "http://" + s.Addrs()[0]
	get := func(user, pw string) (int, string) {
		req, _ := http.NewRequest(http.MethodGet, url+"/metrics", nil)
		if user != "" {
			req.SetBasicAuth(user, pw)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(b)
	}
	if code, _ := get("", ""); code != http.StatusUnauthorized {
		t.Errorf("GET /metrics without credentials: %d", code)
	}
	if code, body := get("prom", "scrape"); code != 200 || body != "leased_up 1\n" {
		t.Errorf("GET /metrics: %d %q", code, body)
	}
	if resp, _ := post(t, url+"/metrics", `{"command": "echo"}`, map[string]string{"Authorization": "Basic " + base64.StdEncoding.EncodeToString([]byte("prom:scrape"))}); resp.StatusCode != http.StatusBadRequest {
		t.Errorf("POST to /metrics: %d", resp.StatusCode)
	}
	req, _ := http.NewRequest(http.MethodGet, url+"/", nil)
	req.SetBasicAuth("prom", "scrape")
	if resp, err := http.DefaultClient.Do(req); err != nil || resp.StatusCode != http.StatusBadRequest {
		t.Errorf("GET of a command path: %v %v", resp, err)
	}
}
