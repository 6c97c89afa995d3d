package control

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"net"
	"os"
	"path/filepath"
	"sync"
	"syscall"
	"time"

	"github.com/leased/leased/config"
)

// maxUnixPath is the longest socket path the kernel accepts (sun_path
// holds 108 bytes with the terminating NUL).
const maxUnixPath = 107

// unixListener is a unix stream control socket and its lock file.
type unixListener struct {
	s     *Server
	path  string
	lock  *os.File
	ln    *net.UnixListener
	ino   uint64 // the socket file's inode, so stop removes only ours
	done  chan struct{}
	once  sync.Once
	conns sync.WaitGroup
}

// openUnix creates the socket at path. Like Kea it takes an exclusive
// lock on path+".lock" first, so two servers never fight over one socket.
// An existing socket file that accepts connections belongs to a live
// server (perhaps not a leased): it is left alone and openUnix fails. One
// that refuses connections is stale and is replaced. Anything else at
// path (a regular file, a directory) is never removed.
//
// The socket is bound inside a fresh private directory, given mode 0600,
// and only then renamed to path, so there is no moment at which it is
// reachable with looser permissions.
func (s *Server) openUnix(path string) (*unixListener, error) {
	if len(path) > maxUnixPath {
		return nil, fmt.Errorf("control socket %s: path is %d bytes long, the limit is %d", path, len(path), maxUnixPath)
	}
	lockName := path + ".lock"
	lock, err := os.OpenFile(lockName, os.O_RDONLY|os.O_CREATE, 0o600)
	if err != nil {
		return nil, fmt.Errorf("control socket %s: cannot create socket lockfile: %w", path, err)
	}
	if err := syscall.Flock(int(lock.Fd()), syscall.LOCK_EX|syscall.LOCK_NB); err != nil {
		lock.Close()
		return nil, fmt.Errorf("control socket %s: cannot lock socket lockfile %s (another server uses this socket): %w", path, lockName, err)
	}
	fail := func(err error) (*unixListener, error) {
		lock.Close()
		os.Remove(lockName)
		return nil, err
	}
	if err := removeStale(path); err != nil {
		// The lock file is someone else's only if they hold it; we do,
		// so it is ours to remove.
		return fail(err)
	}

	tmp, err := os.MkdirTemp(filepath.Dir(path), ".leased-ctl-")
	if err != nil {
		return fail(fmt.Errorf("control socket %s: %w", path, err))
	}
	defer os.RemoveAll(tmp)
	tmpSock := filepath.Join(tmp, "s")
	ln, err := net.ListenUnix("unix", &net.UnixAddr{Name: tmpSock, Net: "unix"})
	if err != nil {
		return fail(fmt.Errorf("control socket %s: %w", path, err))
	}
	ln.SetUnlinkOnClose(false)
	if err := os.Chmod(tmpSock, 0o600); err != nil {
		ln.Close()
		return fail(fmt.Errorf("control socket %s: %w", path, err))
	}
	if err := os.Rename(tmpSock, path); err != nil {
		ln.Close()
		return fail(fmt.Errorf("control socket %s: %w", path, err))
	}
	var ino uint64
	if fi, err := os.Lstat(path); err == nil {
		if st, ok := fi.Sys().(*syscall.Stat_t); ok {
			ino = st.Ino
		}
	}
	l := &unixListener{s: s, path: path, lock: lock, ln: ln, ino: ino, done: make(chan struct{})}
	go l.serve()
	return l, nil
}

// removeStale clears path for a new socket, or says why it cannot.
func removeStale(path string) error {
	fi, err := os.Lstat(path)
	if errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("control socket %s: %w", path, err)
	}
	if fi.Mode().Type() != fs.ModeSocket {
		return fmt.Errorf("control socket %s: the path exists and is not a socket; remove it or choose another socket-name", path)
	}
	c, err := net.DialTimeout("unix", path, time.Second)
	if err == nil {
		c.Close()
		return fmt.Errorf("control socket %s is in use: a live process accepts connections on it", path)
	}
	if !errors.Is(err, syscall.ECONNREFUSED) && !errors.Is(err, syscall.ENOENT) {
		return fmt.Errorf("control socket %s: cannot tell whether it is in use: %w", path, err)
	}
	if err := os.Remove(path); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("control socket %s: removing the stale socket: %w", path, err)
	}
	return nil
}

func (l *unixListener) describe() string                  { return "unix:" + l.path }
func (l *unixListener) addr() string                      { return l.path }
func (l *unixListener) update(config.ControlSocket) error { return nil }

func (l *unixListener) stop() {
	l.once.Do(func() {
		close(l.done)
		l.ln.Close()
		if fi, err := os.Lstat(l.path); err == nil {
			if st, ok := fi.Sys().(*syscall.Stat_t); ok && st.Ino == l.ino {
				os.Remove(l.path)
			}
		}
		os.Remove(l.path + ".lock")
		l.lock.Close()
	})
}

func (l *unixListener) drain(ctx context.Context) error {
	done := make(chan struct{})
	go func() { l.conns.Wait(); close(done) }()
	select {
	case <-done:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

func (l *unixListener) serve() {
	s := l.s
	stopCtx, cancel := context.WithCancel(context.Background())
	go func() { <-l.done; cancel() }()
	for {
		if !s.table.waitRoom(stopCtx) {
			return
		}
		c, err := l.ln.Accept()
		if err != nil {
			select {
			case <-l.done:
				return
			default:
			}
			var ne net.Error
			if errors.As(err, &ne) && ne.Timeout() {
				continue
			}
			s.log.Error("control socket accept failed", "socket", l.describe(), "error", err)
			time.Sleep(100 * time.Millisecond)
			continue
		}
		tc, err := s.table.admit(stopCtx, c, "")
		if err != nil {
			c.Close()
			return
		}
		if !s.track(tc) {
			tc.Close()
			return
		}
		l.conns.Add(1)
		go func() {
			defer s.untrack(tc)
			defer l.conns.Done()
			defer tc.Close()
			s.serveStream(tc, RequestInfo{Transport: "unix"})
		}()
	}
}

// streamChunk is how much of a unix command one read takes.
const streamChunk = 32 << 10

// serveStream reads one command from c, answers it and returns. A client
// that goes quiet for the idle timeout, or has not sent the whole command
// within the read timeout, gets Kea's timeout answer. Once the command is
// complete and well formed, the connection is busy: newcomers can no
// longer displace it.
func (s *Server) serveStream(c *trackedConn, ri RequestInfo) {
	r := cmdReader{s: s}
	defer r.release()
	f := &r.f
	buf := make([]byte, streamChunk)
	deadline := time.Now().Add(s.opts.ReadTimeout)
	var rest []byte // what followed the command in the last read
	for !f.done && f.err == nil {
		next := time.Now().Add(s.opts.IdleTimeout)
		if next.After(deadline) {
			next = deadline
		}
		c.SetReadDeadline(next)
		n, err := c.Read(buf)
		used, werr := r.write(buf[:n])
		rest = buf[used:n]
		if werr != nil {
			if errors.Is(werr, errBusy) {
				s.log.Warn("control command refused: the commands in progress hold the most memory allowed",
					"transport", ri.Transport, "max-pending-bytes", s.opts.MaxPendingBytes)
			}
			s.reply(c, Errorf("%s", werr))
			return
		}
		if f.done || f.err != nil {
			break
		}
		if err != nil {
			var ne net.Error
			switch {
			case errors.As(err, &ne) && ne.Timeout():
				msg := "Connection over control channel timed out"
				if f.started() {
					msg += fmt.Sprintf(", discarded partial command of %d bytes", f.seen)
				}
				s.log.Info("control connection timed out", "transport", ri.Transport)
				s.reply(c, Errorf("%s", msg))
			case errors.Is(err, io.EOF) && f.started():
				s.reply(c, Errorf("incomplete command: the connection was closed after %d bytes", f.seen))
			}
			return
		}
	}
	if f.err != nil {
		s.log.Warn("control command rejected", "transport", ri.Transport, "error", f.err)
		s.reply(c, Errorf("%s", f.err))
		return
	}
	err := trailing(rest, f.seen, f.seen)
	if err == nil {
		err = trailingQueued(c.Conn, f.seen, f.seen+len(rest))
	}
	if err != nil {
		s.log.Warn("control command rejected", "transport", ri.Transport, "error", err)
		s.reply(c, Errorf("%s", err))
		return
	}
	cmd, err := decodeCommand(f.out)
	if err != nil {
		s.log.Warn("control command rejected", "transport", ri.Transport, "error", err)
		s.reply(c, parseErrorResponse(err))
		return
	}
	c.setBusy(true)
	c.SetReadDeadline(time.Time{})
	resp := s.reg.Execute(withInfo(s.ctx, ri), cmd)
	s.reply(c, resp)
}

// trailingQueued looks, without waiting, at what the client sent after
// the command that has not been read yet (a second write of the client
// may still be on its way; that one cannot be told from a next command
// the client never sent). The command ended at byte end, and before bytes
// were read.
func trailingQueued(c net.Conn, end, before int) error {
	sc, ok := c.(syscall.Conn)
	if !ok {
		return nil
	}
	rc, err := sc.SyscallConn()
	if err != nil {
		return nil
	}
	var buf [4096]byte
	for range 16 {
		var n int
		var rerr error
		if err := rc.Read(func(fd uintptr) bool {
			n, _, rerr = syscall.Recvfrom(int(fd), buf[:], syscall.MSG_DONTWAIT)
			return true
		}); err != nil || rerr != nil || n <= 0 {
			return nil
		}
		if err := trailing(buf[:n], end, before); err != nil {
			return err
		}
		before += n
	}
	return nil
}

func (s *Server) reply(c net.Conn, r Response) {
	c.SetWriteDeadline(time.Now().Add(s.opts.IdleTimeout))
	if _, err := c.Write(encode(r)); err != nil {
		s.log.Warn("writing control answer failed", "error", err)
	}
}
