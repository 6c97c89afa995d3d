package daemon

import (
	"bufio"
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"strconv"
	"time"

	"github.com/leased/leased/config"
	"github.com/leased/leased/control"
)

// CtlOptions configure Ctl, the client of `leased ctl`.
type CtlOptions struct {
	// Target is a unix socket path or an http:// or https:// URL. When
	// empty, the first control socket of the configuration at Config is
	// used: its unix socket if it has one, else its HTTP socket.
	Target string
	// Config is the server's configuration file.
	Config string
	// User is sent with HTTP basic authentication; the password comes
	// from PasswordFile (its first line) or $LEASED_CTL_PASSWORD.
	User, PasswordFile string
	// CA, Cert and Key configure HTTPS: the trust anchor, and the client
	// certificate and key.
	CA, Cert, Key string
	// Timeout bounds the call; 10 s when zero.
	Timeout time.Duration
	// JSON prints the answer as JSON instead of tables.
	JSON bool
}

// CtlUsageError is returned by Ctl for a mistake in its arguments.
type CtlUsageError struct{ msg string }

func (e *CtlUsageError) Error() string { return e.msg }

// Ctl sends one command to a leased (or Kea) control socket, with args as
// its arguments unless args is nil (they must be a JSON map), and writes
// the answer to w: leases, statistics and status as tables, anything else
// as JSON. It returns the answer's result code (0 success, 1 error, 2
// unsupported, 3 empty, 4 conflict), or an error when no answer came.
func Ctl(ctx context.Context, o CtlOptions, command string, args []byte, w io.Writer) (int, error) {
	if command == "" {
		return 0, &CtlUsageError{"name a command, e.g. list-commands"}
	}
	target, err := ctlTarget(o)
	if err != nil {
		return 0, err
	}
	c := &control.Client{Target: target, Timeout: o.Timeout, User: o.User}
	if o.User != "" {
		pw, err := ctlPassword(o.PasswordFile)
		if err != nil {
			return 0, err
		}
		c.Password = pw
	}
	if o.CA != "" || o.Cert != "" {
		if c.TLS, err = ctlTLS(o); err != nil {
			return 0, err
		}
	}
	cmd := control.Command{Command: command}
	if args != nil {
		var v any
		if err := json.Unmarshal(args, &v); err != nil {
			return 0, &CtlUsageError{fmt.Sprintf("arguments must be JSON: %v", err)}
		}
		if _, ok := v.(map[string]any); !ok {
			return 0, &CtlUsageError{"arguments must be a JSON map, such as {\"ip-address\": \"192.0.2.10\"}"}
		}
		cmd.Arguments = json.RawMessage(args)
	}
	r, err := c.Send(ctx, cmd)
	if err != nil {
		return 0, err
	}
	if o.JSON {
		b, err := json.MarshalIndent(r, "", "  ")
		if err != nil {
			return 0, err
		}
		_, err = w.Write(append(b, '\n'))
		return r.Result, err
	}
	return r.Result, control.Formatter{}.Response(w, command, r)
}

// ctlTarget picks the socket to talk to.
func ctlTarget(o CtlOptions) (string, error) {
	if o.Target != "" {
		return o.Target, nil
	}
	if o.Config == "" {
		return "", &CtlUsageError{"name the control socket (-s PATH or -s URL) or the server's configuration (-c FILE)"}
	}
	cfg, diags, err := config.Load(o.Config, nil)
	if err != nil {
		for _, d := range diags {
			if d.Severity == config.Error {
				return "", errors.New(d.String())
			}
		}
		return "", fmt.Errorf("%s: %w", o.Config, err)
	}
	var http *config.ControlSocket
	for i := range cfg.ControlSockets {
		cs := &cfg.ControlSockets[i]
		switch {
		case cs.Type == "unix":
			return cs.Name, nil
		case http == nil:
			http = cs
		}
	}
	if http == nil {
		return "", fmt.Errorf("%s configures no control socket", o.Config)
	}
	scheme := "http"
	if http.Type == "https" || http.CertFile != "" {
		scheme = "https"
	}
	return scheme + "://" + net.JoinHostPort(http.Address, strconv.Itoa(int(http.Port))) + "/", nil
}

func ctlPassword(file string) (string, error) {
	if file == "" {
		if pw, ok := os.LookupEnv("LEASED_CTL_PASSWORD"); ok {
			return pw, nil
		}
		return "", &CtlUsageError{"-u needs a password: -password-file FILE or $LEASED_CTL_PASSWORD"}
	}
	f, err := os.Open(file)
	if err != nil {
		return "", fmt.Errorf("password file: %w", err)
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	if sc.Scan() {
		return sc.Text(), nil
	}
	if err := sc.Err(); err != nil {
		return "", fmt.Errorf("password file: %w", err)
	}
	return "", nil
}

func ctlTLS(o CtlOptions) (*tls.Config, error) {
	tc := &tls.Config{MinVersion: tls.VersionTLS12}
	if o.CA != "" {
		pem, err := os.ReadFile(o.CA)
		if err != nil {
			return nil, fmt.Errorf("trust anchor: %w", err)
		}
		pool := x509.NewCertPool()
		if !pool.AppendCertsFromPEM(pem) {
			return nil, fmt.Errorf("trust anchor %s: no PEM certificate", o.CA)
		}
		tc.RootCAs = pool
	}
	if o.Cert != "" || o.Key != "" {
		if o.Cert == "" || o.Key == "" {
			return nil, &CtlUsageError{"-cert and -key go together"}
		}
		cert, err := tls.LoadX509KeyPair(o.Cert, o.Key)
		if err != nil {
			return nil, fmt.Errorf("client certificate: %w", err)
		}
		tc.Certificates = []tls.Certificate{cert}
	}
	return tc, nil
}

// IsCtlUsage reports whether err is a mistake in the ctl arguments.
func IsCtlUsage(err error) bool {
	var ue *CtlUsageError
	return errors.As(err, &ue)
}
