package control

import (
	"bytes"
	"context"
	"crypto/tls"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"strings"
	"time"
)

// Client sends commands to a control socket: a unix socket (Kea's
// kea-dhcp4 or leased) or an HTTP/HTTPS one (Kea 3.x, the Kea 2.x Control
// Agent, or leased). The zero value is not usable: set Target.
type Client struct {
	// Target is a unix socket path (optionally "unix:" prefixed) or an
	// http:// or https:// URL.
	Target string
	// User and Password are sent as HTTP basic authentication when User
	// is set.
	User, Password string
	// TLS configures HTTPS (trust anchor, client certificate); nil uses
	// the system roots.
	TLS *tls.Config
	// Timeout bounds one call (default 10 s); the context may end it
	// sooner.
	Timeout time.Duration
	// Service is sent as "service" on HTTP (e.g. ["dhcp4"] for a Kea 2.x
	// Control Agent).
	Service []string
	// MaxResponseBytes bounds the answer (default 256 MiB).
	MaxResponseBytes int64
}

// StatusError is an HTTP answer other than 200 OK. Response holds the
// body Kea sends with it ({"result": 401, "text": "Unauthorized"}) when
// it could be read.
type StatusError struct {
	StatusCode int
	Response   *Response
}

func (e *StatusError) Error() string {
	if e.Response != nil && e.Response.Text != "" {
		return fmt.Sprintf("control socket answered HTTP %d: %s", e.StatusCode, e.Response.Text)
	}
	return fmt.Sprintf("control socket answered HTTP %d %s", e.StatusCode, http.StatusText(e.StatusCode))
}

// Call sends a command with the given arguments (nil for none; any value
// encoding/json can marshal, or a json.RawMessage) and returns the
// answer. A non-zero result is not an error of Call: look at
// Response.Result.
func (c *Client) Call(ctx context.Context, command string, args any) (*Response, error) {
	cmd := Command{Command: command}
	if args != nil {
		raw, err := json.Marshal(args)
		if err != nil {
			return nil, fmt.Errorf("encoding arguments of %s: %w", command, err)
		}
		cmd.Arguments = raw
	}
	return c.Send(ctx, cmd)
}

// Send sends a prepared command.
func (c *Client) Send(ctx context.Context, cmd Command) (*Response, error) {
	timeout := c.Timeout
	if timeout <= 0 {
		timeout = DefaultIdleTimeout
	}
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	if strings.HasPrefix(c.Target, "http://") || strings.HasPrefix(c.Target, "https://") {
		if cmd.Service == nil {
			cmd.Service = c.Service
		}
		return c.sendHTTP(ctx, cmd)
	}
	if c.Target == "" {
		return nil, errors.New("control client: no target (socket path or URL)")
	}
	return c.sendUnix(ctx, cmd)
}

func (c *Client) maxBytes() int64 {
	if c.MaxResponseBytes > 0 {
		return c.MaxResponseBytes
	}
	return 256 << 20
}

func (c *Client) sendUnix(ctx context.Context, cmd Command) (*Response, error) {
	path := strings.TrimPrefix(c.Target, "unix:")
	body, err := json.Marshal(cmd)
	if err != nil {
		return nil, err
	}
	var d net.Dialer
	conn, err := d.DialContext(ctx, "unix", path)
	if err != nil {
		return nil, fmt.Errorf("connecting to control socket %s: %w", path, err)
	}
	defer conn.Close()
	if dl, ok := ctx.Deadline(); ok {
		conn.SetDeadline(dl)
	}
	stop := context.AfterFunc(ctx, func() { conn.SetDeadline(time.Unix(1, 0)) })
	defer stop()
	if _, err := conn.Write(body); err != nil {
		return nil, fmt.Errorf("sending %s to %s: %w", cmd.Command, path, err)
	}
	// The server reads until the JSON is complete, so there is no need to
	// half-close; reading stops at the end of the answer's JSON.
	var f feed
	buf := make([]byte, 32<<10)
	for !f.done && f.err == nil {
		n, err := conn.Read(buf)
		f.write(buf[:n])
		if int64(f.seen) > c.maxBytes() {
			return nil, fmt.Errorf("reading answer from %s: more than %d bytes", path, c.maxBytes())
		}
		if f.done || f.err != nil {
			break
		}
		if err != nil {
			if ctx.Err() != nil {
				return nil, fmt.Errorf("reading answer from %s: %w", path, ctx.Err())
			}
			if errors.Is(err, io.EOF) {
				return nil, fmt.Errorf("reading answer from %s: connection closed after %d bytes", path, f.seen)
			}
			return nil, fmt.Errorf("reading answer from %s: %w", path, err)
		}
	}
	if f.err != nil {
		return nil, fmt.Errorf("reading answer from %s: %w", path, f.err)
	}
	var r Response
	if err := json.Unmarshal(f.out, &r); err != nil {
		return nil, fmt.Errorf("decoding answer from %s: %w", path, err)
	}
	return &r, nil
}

func (c *Client) sendHTTP(ctx context.Context, cmd Command) (*Response, error) {
	body, err := json.Marshal(cmd)
	if err != nil {
		return nil, err
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, c.Target, bytes.NewReader(body))
	if err != nil {
		return nil, fmt.Errorf("control client: %w", err)
	}
	req.Header.Set("Content-Type", "application/json")
	if c.User != "" {
		req.SetBasicAuth(c.User, c.Password)
	}
	tr := &http.Transport{TLSClientConfig: c.TLS, DisableKeepAlives: true, Proxy: nil}
	defer tr.CloseIdleConnections()
	hc := &http.Client{Transport: tr}
	resp, err := hc.Do(req)
	if err != nil {
		return nil, fmt.Errorf("sending %s: %w", cmd.Command, err)
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(io.LimitReader(resp.Body, c.maxBytes()+1))
	if err != nil {
		return nil, fmt.Errorf("reading answer to %s: %w", cmd.Command, err)
	}
	if int64(len(data)) > c.maxBytes() {
		return nil, fmt.Errorf("reading answer to %s: more than %d bytes", cmd.Command, c.maxBytes())
	}
	r, perr := decodeHTTPAnswer(data)
	if resp.StatusCode != http.StatusOK {
		return nil, &StatusError{StatusCode: resp.StatusCode, Response: r}
	}
	if perr != nil {
		return nil, fmt.Errorf("decoding answer to %s: %w", cmd.Command, perr)
	}
	return r, nil
}

// decodeHTTPAnswer reads an HTTP body: normally a list holding one
// answer, but a bare map for HTTP errors.
func decodeHTTPAnswer(data []byte) (*Response, error) {
	t := bytes.TrimSpace(data)
	if len(t) > 0 && t[0] == '[' {
		var list []Response
		if err := json.Unmarshal(t, &list); err != nil {
			return nil, err
		}
		if len(list) == 0 {
			return nil, errors.New("the answer is an empty list")
		}
		return &list[0], nil
	}
	var r Response
	if err := json.Unmarshal(t, &r); err != nil {
		return nil, err
	}
	return &r, nil
}
