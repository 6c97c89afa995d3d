package meshd

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"time"

	"github.com/leased/leased/mesh"
)

// ctlTimeout bounds one control connection: a client that connects and
// sends nothing is dropped.
const ctlTimeout = 5 * time.Second

// listenControl opens the control socket at path as ddhcpd does: a stale
// socket file is removed first.
func listenControl(path string) (*net.UnixListener, error) {
	if fi, err := os.Lstat(path); err == nil && fi.Mode()&os.ModeSocket != 0 {
		os.Remove(path)
	}
	ln, err := net.ListenUnix("unix", &net.UnixAddr{Name: path, Net: "unix"})
	if err != nil {
		return nil, fmt.Errorf("control socket: %w", err)
	}
	ln.SetUnlinkOnClose(true)
	return ln, nil
}

// acceptRetryMax bounds the pause after a failed accept.
const acceptRetryMax = time.Second

// serveControl answers control connections until ln is closed: one read
// of at most 1500 bytes, the command, the text answer, close. A failed
// accept (no file descriptor left, a connection aborted) is retried after
// a pause that doubles up to acceptRetryMax: the socket works again once
// the cause passes, and giving up would leave the node without its
// control socket until a restart.
func (c *core) serveControl(ln *net.UnixListener) {
	var pause time.Duration
	for {
		conn, err := ln.AcceptUnix()
		if err != nil {
			if errors.Is(err, net.ErrClosed) {
				return
			}
			pause = min(max(2*pause, 5*time.Millisecond), acceptRetryMax)
			c.log.Warn("control socket: accept failed, retrying", "error", err, "retry_in", pause)
			time.Sleep(pause)
			continue
		}
		pause = 0
		go c.controlConn(conn)
	}
}

func (c *core) controlConn(conn *net.UnixConn) {
	defer conn.Close()
	conn.SetDeadline(time.Now().Add(ctlTimeout))
	buf := make([]byte, mesh.MaxCtlRequest)
	n, err := conn.Read(buf)
	if err != nil {
		return
	}
	req, err := mesh.ParseCtlRequest(buf[:n])
	if err != nil {
		c.log.Warn("malformed control command", "error", err)
		return
	}
	if answer := c.control(req); len(answer) > 0 {
		conn.Write(answer)
	}
}

// control carries out one control request and returns its answer.
func (c *core) control(req mesh.CtlRequest) []byte {
	c.mu.Lock()
	defer c.mu.Unlock()
	switch req.Command {
	case mesh.CtlBlockShow:
		st := c.node.Status()
		return mesh.AppendBlockStatus(nil, &st)
	case mesh.CtlOptionsShow:
		return mesh.AppendOptionsStatus(nil, &c.opts, c.cfg.NoDHCP)
	case mesh.CtlOptionSet:
		if err := c.opts.Set(req.Option); err != nil {
			c.log.Warn("control: option not set", "error", err)
			return nil
		}
		c.log.Info("control: option set", "option", req.Option.String())
		c.node.SetLeaseTime(c.opts.LeaseTime())
	case mesh.CtlOptionRemove:
		if c.opts.Remove(req.Option.Code) {
			c.log.Info("control: option removed", "code", req.Option.Code)
		}
		c.node.SetLeaseTime(c.opts.LeaseTime())
	case mesh.CtlLogLevel:
		if c.setLevel != nil {
			c.setLevel(int(req.Level))
		}
	case mesh.CtlStatistics, mesh.CtlStatisticsReset:
		s := c.node.Stats()
		s.Add(&c.dstats)
		answer := mesh.AppendStatistics(nil, &s, c.node.Blocks())
		if req.Command == mesh.CtlStatisticsReset {
			c.node.ResetStats()
			c.dstats = mesh.Stats{}
		}
		return answer
	}
	return nil
}

// Query sends one request to the control socket of a mesh node (leased
// mesh or ddhcpd) at path and returns the answer, which is empty for the
// commands that have none.
func Query(ctx context.Context, path string, req mesh.CtlRequest) ([]byte, error) {
	msg, err := mesh.AppendCtlRequest(nil, req)
	if err != nil {
		return nil, err
	}
	if err := ctx.Err(); err != nil {
		return nil, fmt.Errorf("control socket %s: %w", path, err)
	}
	// DialUnix, not Dial: Dial links the DNS resolver into every binary
	// that can query a node, about 200 KB of the small build for routers.
	conn, err := net.DialUnix("unix", nil, &net.UnixAddr{Name: path, Net: "unix"})
	if err != nil {
		return nil, fmt.Errorf("control socket %s: %w", path, err)
	}
	defer conn.Close()
	deadline := time.Now().Add(ctlTimeout)
	if dl, ok := ctx.Deadline(); ok && dl.Before(deadline) {
		deadline = dl
	}
	conn.SetDeadline(deadline)
	if _, err := conn.Write(msg); err != nil {
		return nil, fmt.Errorf("control socket %s: %w", path, err)
	}
	answer, err := io.ReadAll(conn)
	if err != nil {
		return answer, fmt.Errorf("control socket %s: %w", path, err)
	}
	return answer, nil
}
