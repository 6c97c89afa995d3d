package logging

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"log/syslog"
	"os"
	"strconv"
	"strings"
	"sync"
	"time"
)

// MinRotateSize is the smallest maxsize that turns rotation on; smaller
// values (0 included) leave the file unrotated, as in Kea.
const MinRotateSize = 204800

// flushDelay bounds how long a line written to a file without "flush"
// may wait in the buffer.
const flushDelay = time.Second

// fileSink is a log file, rotated when it would grow past maxSize:
// name → name.1 → name.2 … → name.maxver, the oldest dropped.
type fileSink struct {
	path    string
	maxSize int64 // 0: never rotate
	maxVer  int
	flush   bool
	delay   time.Duration // how long unflushed records may wait

	mu    sync.Mutex
	f     *os.File
	bw    *bufio.Writer // nil when every write goes straight to the file
	size  int64
	timer *time.Timer
	err   error // the last write error, reported once
}

func openFile(path string, maxSize uint64, maxVer uint32, flush bool) (*fileSink, error) {
	s := &fileSink{path: path, maxVer: max(int(maxVer), 1), flush: flush, delay: flushDelay}
	if maxSize >= MinRotateSize {
		s.maxSize = int64(min(maxSize, 1<<62))
	}
	if err := s.open(); err != nil {
		return nil, err
	}
	return s, nil
}

func (s *fileSink) open() error {
	f, err := os.OpenFile(s.path, os.O_WRONLY|os.O_APPEND|os.O_CREATE, 0o640)
	if err != nil {
		return fmt.Errorf("opening log file: %w", err)
	}
	fi, err := f.Stat()
	if err != nil {
		f.Close()
		return fmt.Errorf("opening log file: %w", err)
	}
	s.f, s.size = f, fi.Size()
	if !s.flush {
		s.bw = bufio.NewWriterSize(f, 32<<10)
	}
	return nil
}

// Write writes one formatted record. A record never straddles two
// files: rotation happens before a record that would not fit.
func (s *fileSink) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.f == nil {
		return 0, errors.New("log file closed")
	}
	if s.maxSize > 0 && s.size > 0 && s.size+int64(len(p)) > s.maxSize {
		if err := s.rotate(); err != nil {
			s.report(err)
		}
	}
	var n int
	var err error
	if s.bw != nil {
		n, err = s.bw.Write(p)
		if s.timer == nil {
			s.timer = time.AfterFunc(s.delay, s.flushLater)
		}
	} else {
		n, err = s.f.Write(p)
	}
	s.size += int64(n)
	if err != nil {
		s.report(err)
	}
	return n, err
}

// report writes a failure of the log file itself to stderr, once until
// the file works again; there is nowhere else to say it.
func (s *fileSink) report(err error) {
	if s.err == nil {
		fmt.Fprintf(os.Stderr, "leased: log file %s: %v\n", s.path, err)
	}
	s.err = err
}

func (s *fileSink) flushLater() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.timer = nil
	if s.bw != nil {
		s.bw.Flush()
	}
}

func (s *fileSink) rotate() error {
	if s.bw != nil {
		s.bw.Flush()
	}
	s.f.Close()
	s.f = nil
	for i := s.maxVer - 1; i >= 1; i-- {
		from := s.path + "." + strconv.Itoa(i)
		if err := os.Rename(from, s.path+"."+strconv.Itoa(i+1)); err != nil && !errors.Is(err, fs.ErrNotExist) {
			return fmt.Errorf("rotating: %w", err)
		}
	}
	if err := os.Rename(s.path, s.path+".1"); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("rotating: %w", err)
	}
	return s.open()
}

// Sync writes out buffered records.
func (s *fileSink) Sync() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.bw != nil {
		return s.bw.Flush()
	}
	return nil
}

func (s *fileSink) Close() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.timer != nil {
		s.timer.Stop()
		s.timer = nil
	}
	if s.f == nil {
		return nil
	}
	var err error
	if s.bw != nil {
		err = s.bw.Flush()
	}
	if cerr := s.f.Close(); err == nil {
		err = cerr
	}
	s.f = nil
	return err
}

// syslogFacilities are the names syslog:name accepts.
var syslogFacilities = map[string]syslog.Priority{
	"kern": syslog.LOG_KERN, "user": syslog.LOG_USER, "mail": syslog.LOG_MAIL, "daemon": syslog.LOG_DAEMON,
	"auth": syslog.LOG_AUTH, "syslog": syslog.LOG_SYSLOG, "lpr": syslog.LOG_LPR, "news": syslog.LOG_NEWS,
	"uucp": syslog.LOG_UUCP, "cron": syslog.LOG_CRON, "authpriv": syslog.LOG_AUTHPRIV, "ftp": syslog.LOG_FTP,
	"local0": syslog.LOG_LOCAL0, "local1": syslog.LOG_LOCAL1, "local2": syslog.LOG_LOCAL2,
	"local3": syslog.LOG_LOCAL3, "local4": syslog.LOG_LOCAL4, "local5": syslog.LOG_LOCAL5,
	"local6": syslog.LOG_LOCAL6, "local7": syslog.LOG_LOCAL7,
}

// parseSyslog reads "syslog" or "syslog:name". Kea takes the name as the
// facility (default local0); a name that is no facility is taken as the
// program name syslog shows instead, with facility local0.
func parseSyslog(output, defaultTag string) (syslog.Priority, string) {
	name := strings.TrimPrefix(strings.TrimPrefix(output, "syslog"), ":")
	if name == "" {
		return syslog.LOG_LOCAL0, defaultTag
	}
	if f, ok := syslogFacilities[strings.ToLower(name)]; ok {
		return f, defaultTag
	}
	return syslog.LOG_LOCAL0, name
}

// syslogSink sends records to syslog with the severity of their level.
type syslogSink struct {
	w *syslog.Writer
}

func dialSyslog(network, addr string, facility syslog.Priority, tag string) (*syslogSink, error) {
	w, err := syslog.Dial(network, addr, facility|syslog.LOG_INFO, tag)
	if err != nil {
		return nil, fmt.Errorf("connecting to syslog: %w", err)
	}
	return &syslogSink{w: w}, nil
}

func (s *syslogSink) send(level slog.Level, msg string) error {
	switch {
	case level >= LevelFatal:
		return s.w.Crit(msg)
	case level >= LevelError:
		return s.w.Err(msg)
	case level >= LevelWarn:
		return s.w.Warning(msg)
	case level >= LevelInfo:
		return s.w.Info(msg)
	}
	return s.w.Debug(msg)
}

func (s *syslogSink) Close() error { return s.w.Close() }

// syslogHandler formats a record with a text or JSON handler (without a
// time: syslog stamps its own) and sends it at the record's severity.
type syslogHandler struct {
	sink  *syslogSink
	mu    *sync.Mutex
	buf   *bytes.Buffer
	inner slog.Handler
}

func newSyslogHandler(sink *syslogSink, newInner func(io.Writer) slog.Handler) *syslogHandler {
	buf := &bytes.Buffer{}
	return &syslogHandler{sink: sink, mu: &sync.Mutex{}, buf: buf, inner: newInner(buf)}
}

func (h *syslogHandler) Enabled(context.Context, slog.Level) bool { return true }

func (h *syslogHandler) Handle(ctx context.Context, r slog.Record) error {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.buf.Reset()
	if err := h.inner.Handle(ctx, r); err != nil {
		return err
	}
	return h.sink.send(r.Level, strings.TrimRight(h.buf.String(), "\n"))
}

func (h *syslogHandler) WithAttrs(as []slog.Attr) slog.Handler {
	c := *h
	c.inner = h.inner.WithAttrs(as)
	return &c
}

func (h *syslogHandler) WithGroup(name string) slog.Handler {
	c := *h
	c.inner = h.inner.WithGroup(name)
	return &c
}

// lockedWriter serialises writes to a shared stream (stdout, stderr), so
// that records of different loggers do not interleave.
type lockedWriter struct {
	mu sync.Mutex
	w  io.Writer
}

func (l *lockedWriter) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.w.Write(p)
}
