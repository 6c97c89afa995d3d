package ha

import (
	"bytes"
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/netip"
	"os"
	"path/filepath"
	"sync/atomic"
	"time"

	"github.com/leased/leased/control"
	"github.com/leased/leased/lease"
)

// DefaultRequestTimeout bounds every exchange with a peer except a lease
// page, which sync-timeout bounds (Kea's 10 s).
const DefaultRequestTimeout = 10 * time.Second

// MaxUpdatesInFlight is how many lease update requests a server keeps
// under way to one peer: each a group commit's changes in one
// CmdLeaseBulkApply to a leased peer, one lease4-update or lease4-del to
// a Kea peer. Each request is answered only once the peer's store made
// its leases durable, so the pair's rate is this many requests per round
// trip and flush: a leased peer's journal makes concurrent writes durable
// with one flush (group commit). Kea 2.2's kea-ctrl-agent takes as many
// connections at once and forwards each command to kea-dhcp4.
// A leased peer admits this many connections, and a few more, from each
// configured peer's address (control.Options.Peers).
const MaxUpdatesInFlight = 32

// maxIdleConns is how many connections to one peer are kept open between
// requests: one per update under way, and one each for a heartbeat and a
// page of leases or a command beside them, so that a burst of updates
// reuses them instead of opening and closing connections.
const maxIdleConns = MaxUpdatesInFlight + 2

// maxAnswerBytes bounds a peer's answer: a page of leases is the largest.
const maxAnswerBytes = 256 << 20

// Client sends HA commands to one peer, at the peer's URL: a Kea 2.2
// kea-ctrl-agent, a Kea 3.x dedicated listener, or another leased. It
// keeps connections open between requests, as Kea does. A Client is safe
// for concurrent use.
type Client struct {
	peer    *Peer
	dialect Dialect
	http    *http.Client
	// noBulk: the peer answered CmdLeaseBulkApply with result 2 (a Kea
	// server, or a leased before the command); it gets per-lease
	// updates from then on.
	noBulk atomic.Bool
}

// NewClient returns a client of peer p: basic authentication with the
// peer's basic-auth-user and password, TLS with its trust anchor (a file
// or a directory of PEM files) and client certificate when configured.
func NewClient(p *Peer, d Dialect) (*Client, error) {
	tr := &http.Transport{
		Proxy:               nil,
		DialContext:         (&net.Dialer{Timeout: DefaultRequestTimeout, KeepAlive: 30 * time.Second}).DialContext,
		MaxIdleConnsPerHost: maxIdleConns,
		IdleConnTimeout:     25 * time.Second, // kea-ctrl-agent drops idle connections after 30 s
		ForceAttemptHTTP2:   false,
	}
	if p.TLS.Enabled() {
		cfg, err := clientTLS(p.TLS, p.Addr.Addr())
		if err != nil {
			return nil, fmt.Errorf("peer %s: %w", p.Name, err)
		}
		tr.TLSClientConfig = cfg
	}
	return &Client{peer: p, dialect: d, http: &http.Client{Transport: tr}}, nil
}

func clientTLS(t TLS, host netip.Addr) (*tls.Config, error) {
	pool := x509.NewCertPool()
	files := []string{t.TrustAnchor}
	if st, err := os.Stat(t.TrustAnchor); err == nil && st.IsDir() {
		entries, err := os.ReadDir(t.TrustAnchor)
		if err != nil {
			return nil, fmt.Errorf("trust-anchor: %w", err)
		}
		files = files[:0]
		for _, e := range entries {
			if !e.IsDir() {
				files = append(files, filepath.Join(t.TrustAnchor, e.Name()))
			}
		}
	}
	for _, f := range files {
		pem, err := os.ReadFile(f)
		if err != nil {
			return nil, fmt.Errorf("trust-anchor: %w", err)
		}
		if !pool.AppendCertsFromPEM(pem) && len(files) == 1 {
			return nil, fmt.Errorf("trust-anchor %s: no PEM certificate in it", f)
		}
	}
	cert, err := tls.LoadX509KeyPair(t.CertFile, t.KeyFile)
	if err != nil {
		return nil, fmt.Errorf("cert-file %s, key-file %s: %w", t.CertFile, t.KeyFile, err)
	}
	return &tls.Config{
		RootCAs: pool, Certificates: []tls.Certificate{cert},
		ServerName: host.String(), MinVersion: tls.VersionTLS12,
	}, nil
}

// Close drops the idle connections.
func (c *Client) Close() { c.http.CloseIdleConnections() }

// Peer returns the peer this client talks to.
func (c *Client) Peer() *Peer { return c.peer }

// Send posts cmd to the peer and judges the answer as Kea's HA hook does
// (see DecodeAnswer). timeout 0 is DefaultRequestTimeout. The answer is
// returned whenever one was read, also with an error.
func (c *Client) Send(ctx context.Context, cmd control.Command, timeout time.Duration) (control.Response, error) {
	if timeout <= 0 {
		timeout = DefaultRequestTimeout
	}
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	body, err := EncodeCommand(cmd)
	if err != nil {
		return control.Response{}, err
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, c.peer.URL.String(), bytes.NewReader(body))
	if err != nil {
		return control.Response{}, fmt.Errorf("%s to %s: %w", cmd.Command, c.peer.Name, err)
	}
	// Kea sends the bare address as Host; its agent does not care, but a
	// peer may.
	if a := c.peer.Addr.Addr(); a.Is6() {
		req.Host = "[" + a.String() + "]"
	} else {
		req.Host = a.String()
	}
	req.Header.Set("Content-Type", "application/json")
	if c.peer.BasicAuthUser != "" {
		req.SetBasicAuth(c.peer.BasicAuthUser, c.peer.BasicAuthPassword)
	}
	resp, err := c.http.Do(req)
	if err != nil {
		return control.Response{}, fmt.Errorf("%s to %s (%s): %w", cmd.Command, c.peer.Name, c.peer.URL, err)
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(io.LimitReader(resp.Body, maxAnswerBytes+1))
	if err != nil {
		return control.Response{}, fmt.Errorf("%s to %s: reading the answer: %w", cmd.Command, c.peer.Name, err)
	}
	if len(raw) > maxAnswerBytes {
		return control.Response{}, fmt.Errorf("%s to %s: answer larger than %d bytes", cmd.Command, c.peer.Name, maxAnswerBytes)
	}
	r, err := DecodeAnswer(raw)
	if err == nil && resp.StatusCode != http.StatusOK {
		err = fmt.Errorf("HTTP status %s", resp.Status)
	}
	if err != nil {
		return r, fmt.Errorf("%s to %s: %w", cmd.Command, c.peer.Name, err)
	}
	return r, nil
}

func (c *Client) send(ctx context.Context, cmd control.Command, err error) (control.Response, error) {
	if err != nil {
		return control.Response{}, err
	}
	return c.Send(ctx, cmd, 0)
}

// Heartbeat sends ha-heartbeat and decodes the partner's state. A failed
// exchange returns an error and a Heartbeat that is not OK, ready for
// Machine.HeartbeatDone.
func (c *Client) Heartbeat(ctx context.Context, thisServer string) (Heartbeat, error) {
	cmd, err := HeartbeatCommand(c.dialect, thisServer)
	r, err := c.send(ctx, cmd, err)
	if err != nil {
		return Heartbeat{}, err
	}
	hb, err := DecodeHeartbeat(r)
	if err != nil {
		return Heartbeat{}, fmt.Errorf("ha-heartbeat to %s: %w", c.peer.Name, err)
	}
	return hb, nil
}

// UpdateLease sends lease4-update (with force-create) for l.
func (c *Client) UpdateLease(ctx context.Context, l *lease.Lease) (control.Response, error) {
	cmd, err := NewCommand(CmdLease4Update, LeaseToWire(c.dialect, l, true))
	return c.send(ctx, cmd, err)
}

// DeleteLease sends lease4-del for l; a lease the partner does not have
// (result 3) counts as success.
func (c *Client) DeleteLease(ctx context.Context, l *lease.Lease) (control.Response, error) {
	cmd, err := NewCommand(CmdLease4Del, LeaseToWire(c.dialect, l, false))
	return c.send(ctx, cmd, err)
}

// GetPage fetches the leases after from (the invalid Addr for the first
// page), at most limit, within timeout (sync-timeout). Leases the page
// holds but that do not parse are returned as skipped.
func (c *Client) GetPage(ctx context.Context, from netip.Addr, limit uint32, timeout time.Duration) (leases []lease.Lease, skipped []error, err error) {
	cmd, err := GetPageCommand(from, limit)
	if err != nil {
		return nil, nil, err
	}
	r, err := c.Send(ctx, cmd, timeout)
	if err != nil {
		return nil, nil, err
	}
	return DecodePage(r, c.dialect, time.Now())
}

// DisableDHCP sends dhcp-disable for the sync, max-period from syncTimeout.
func (c *Client) DisableDHCP(ctx context.Context, syncTimeout time.Duration, originID int) (control.Response, error) {
	cmd, err := DisableCommand(c.dialect, syncTimeout, originID)
	return c.send(ctx, cmd, err)
}

// EnableDHCP sends dhcp-enable.
func (c *Client) EnableDHCP(ctx context.Context, originID int) (control.Response, error) {
	cmd, err := EnableCommand(c.dialect, originID)
	return c.send(ctx, cmd, err)
}

// SyncComplete sends ha-sync-complete-notify and, when the partner does
// not know it (result 2), dhcp-enable instead, as Kea does.
func (c *Client) SyncComplete(ctx context.Context, thisServer string, originID int) (control.Response, error) {
	cmd, err := SyncCompleteCommand(c.dialect, thisServer, originID)
	r, err := c.send(ctx, cmd, err)
	if errors.Is(err, ErrUnsupported) {
		return c.EnableDHCP(ctx, originID)
	}
	return r, err
}

// Reset sends ha-reset.
func (c *Client) Reset(ctx context.Context, thisServer string) (control.Response, error) {
	cmd, err := ResetCommand(c.dialect, thisServer)
	return c.send(ctx, cmd, err)
}

// MaintenanceNotify sends ha-maintenance-notify.
func (c *Client) MaintenanceNotify(ctx context.Context, cancel bool, thisServer string, state State) (control.Response, error) {
	cmd, err := MaintenanceNotifyCommand(c.dialect, cancel, thisServer, state)
	return c.send(ctx, cmd, err)
}
