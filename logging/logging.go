package logging

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"sort"
	"strings"
	"sync"
	"sync/atomic"

	"github.com/leased/leased/config"
)

// Root is the name of leased's root logger; Kea's "kea-dhcp4" maps to
// it, and "kea-dhcp4.packets" to "leased.packets".
const Root = "leased"

// Names of the loggers leased's packages use, after Kea's kea-dhcp4
// loggers.
const (
	NameDHCP4      = "leased.dhcp4"
	NamePackets    = "leased.packets"
	NameBadPackets = "leased.bad-packets"
	NameOptions    = "leased.options"
	NameLeases     = "leased.leases"
	NameDDNS       = "leased.ddns"
	NameAlloc      = "leased.alloc-engine"
	NameHosts      = "leased.hosts"
	NameCommands   = "leased.commands"
	NameHooks      = "leased.hooks"
	NameDatabase   = "leased.database"
)

// LeasedName maps a Kea logger name to leased's: "kea-dhcp4" → "leased",
// "kea-dhcp4.X" → "leased.X". Other names are kept as they are.
func LeasedName(kea string) string {
	switch {
	case kea == "kea-dhcp4":
		return Root
	case strings.HasPrefix(kea, "kea-dhcp4."):
		return Root + kea[len("kea-dhcp4"):]
	}
	return kea
}

// Options tune a Logging. The zero value writes text to the process's
// stdout and stderr and uses the local syslog.
type Options struct {
	// JSON selects JSON records instead of text.
	JSON bool
	// Stdout and Stderr replace the process's streams.
	Stdout, Stderr io.Writer
	// SyslogNetwork and SyslogAddr name the syslog daemon (e.g.
	// "unixgram" and a path); empty means the local one.
	SyslogNetwork, SyslogAddr string
	// Tag is the program name given to syslog (default "leased").
	Tag string
	// Verbose forces DEBUG with debuglevel 99 on every logger, as
	// kea-dhcp4 -d does.
	Verbose bool
	// Default applies to loggers no configured logger covers (default:
	// INFO to stdout, Kea's behaviour without a loggers entry).
	Default *config.Logger
}

// Logging turns Kea "loggers" into slog loggers and lets them be
// reconfigured while in use. Create it with New, hand out loggers with
// Logger, change the configuration with Apply, and Close at exit.
type Logging struct {
	opts   Options
	stdout *lockedWriter
	stderr *lockedWriter

	mu    sync.Mutex
	nodes map[string]*node
	cur   *setup
}

// setup is one applied configuration: the rules and the outputs they
// opened.
type setup struct {
	rules   []rule // longest name first
	closers []io.Closer
	syncers []*fileSink
}

type rule struct {
	name    string // leased name; "" matches every logger
	level   slog.Level
	off     bool
	handler slog.Handler
}

// node is everything one logger name resolves to under the current
// setup; the slog handlers of that name read it atomically.
type node struct {
	name string
	t    atomic.Pointer[target]
}

type target struct {
	level   slog.Level
	off     bool
	handler slog.Handler // already carries logger=name
}

// New builds the loggers of a configuration. Files are opened and syslog
// connected now, so every error shows here.
func New(loggers []config.Logger, opts Options) (*Logging, error) {
	if opts.Stdout == nil {
		opts.Stdout = os.Stdout
	}
	if opts.Stderr == nil {
		opts.Stderr = os.Stderr
	}
	if opts.Tag == "" {
		opts.Tag = Root
	}
	l := &Logging{
		opts:   opts,
		stdout: &lockedWriter{w: opts.Stdout},
		stderr: &lockedWriter{w: opts.Stderr},
		nodes:  make(map[string]*node),
	}
	if err := l.Apply(loggers); err != nil {
		return nil, err
	}
	return l, nil
}

// Apply replaces the logging configuration. Loggers handed out before
// follow the new configuration at once. On error nothing changes, so a
// bad reload keeps the current logging, as Kea puts it back.
func (l *Logging) Apply(loggers []config.Logger) error {
	st, err := l.build(loggers)
	if err != nil {
		return err
	}
	l.mu.Lock()
	old := l.cur
	l.cur = st
	for _, n := range l.nodes {
		n.t.Store(st.resolve(n.name))
	}
	l.mu.Unlock()
	if old != nil {
		old.close()
	}
	return nil
}

// Logger returns the logger of a name ("leased", "leased.packets", or a
// Kea name such as "kea-dhcp4.packets"). Its records carry the name in a
// "logger" attribute. A name no configured logger covers follows the
// closest configured parent ("leased.packets" follows "leased").
func (l *Logging) Logger(name string) *slog.Logger {
	name = LeasedName(name)
	l.mu.Lock()
	defer l.mu.Unlock()
	n := l.nodes[name]
	if n == nil {
		n = &node{name: name}
		n.t.Store(l.cur.resolve(name))
		l.nodes[name] = n
	}
	return slog.New(&handler{n: n})
}

// Sync writes out records buffered for files without "flush".
func (l *Logging) Sync() error {
	l.mu.Lock()
	defer l.mu.Unlock()
	var errs []error
	for _, s := range l.cur.syncers {
		errs = append(errs, s.Sync())
	}
	return errors.Join(errs...)
}

// Close flushes and closes the files and syslog connections. Loggers
// keep working afterwards but write nothing.
func (l *Logging) Close() error {
	l.mu.Lock()
	old := l.cur
	l.cur = &setup{}
	for _, n := range l.nodes {
		n.t.Store(l.cur.resolve(n.name))
	}
	l.mu.Unlock()
	return old.close()
}

func (s *setup) close() error {
	var errs []error
	for _, c := range s.closers {
		errs = append(errs, c.Close())
	}
	return errors.Join(errs...)
}

// resolve finds the rule of a name: the configured logger with the
// longest name that is the name itself or a dotted parent of it.
func (s *setup) resolve(name string) *target {
	for _, r := range s.rules {
		if r.name == "" || r.name == name || strings.HasPrefix(name, r.name+".") {
			if r.off || r.handler == nil {
				return &target{off: true}
			}
			return &target{level: r.level, handler: r.handler.WithAttrs([]slog.Attr{slog.String("logger", name)})}
		}
	}
	return &target{off: true}
}

// build opens the outputs of a configuration. Two loggers naming the same
// output share it.
func (l *Logging) build(loggers []config.Logger) (_ *setup, err error) {
	st := &setup{}
	defer func() {
		if err != nil {
			st.close()
		}
	}()
	outputs := map[string]func(func(io.Writer) slog.Handler) slog.Handler{}
	open := func(o config.LogOutput) (func(func(io.Writer) slog.Handler) slog.Handler, error) {
		key := o.Output
		if f, ok := outputs[key]; ok {
			return f, nil
		}
		var f func(func(io.Writer) slog.Handler) slog.Handler
		switch {
		case o.Output == "stdout":
			f = func(nh func(io.Writer) slog.Handler) slog.Handler { return nh(l.stdout) }
		case o.Output == "stderr":
			f = func(nh func(io.Writer) slog.Handler) slog.Handler { return nh(l.stderr) }
		case o.Output == "syslog" || strings.HasPrefix(o.Output, "syslog:"):
			facility, tag := parseSyslog(o.Output, l.opts.Tag)
			sink, err := dialSyslog(l.opts.SyslogNetwork, l.opts.SyslogAddr, facility, tag)
			if err != nil {
				return nil, fmt.Errorf("output %q: %w", o.Output, err)
			}
			st.closers = append(st.closers, sink)
			f = func(nh func(io.Writer) slog.Handler) slog.Handler { return newSyslogHandler(sink, nh) }
		default:
			sink, err := openFile(o.Output, o.MaxSize, o.MaxVer, o.Flush)
			if err != nil {
				return nil, fmt.Errorf("output %q: %w", o.Output, err)
			}
			st.closers = append(st.closers, sink)
			st.syncers = append(st.syncers, sink)
			f = func(nh func(io.Writer) slog.Handler) slog.Handler { return nh(sink) }
		}
		outputs[key] = f
		return f, nil
	}

	def := config.Logger{Name: "", Severity: "INFO", OutputOptions: []config.LogOutput{{Output: "stdout", Flush: true}}}
	if l.opts.Default != nil {
		def = *l.opts.Default
		def.Name = ""
	}
	all := append([]config.Logger{def}, loggers...)
	seen := map[string]bool{}
	for i, lg := range all {
		name := ""
		if i > 0 {
			if lg.Name == "" {
				return nil, fmt.Errorf("loggers entry %d: name is empty", i)
			}
			name = LeasedName(lg.Name)
			if seen[name] {
				return nil, fmt.Errorf("logger %q is configured twice", lg.Name)
			}
			seen[name] = true
		}
		level, off, err := ParseSeverity(lg.Severity, int(lg.DebugLevel))
		if err != nil {
			return nil, fmt.Errorf("logger %q: %w", lg.Name, err)
		}
		if l.opts.Verbose {
			level, off = Debug(DebugMax), false
		}
		outs := lg.OutputOptions
		if len(outs) == 0 {
			// Kea's default output is stdout.
			outs = []config.LogOutput{{Output: "stdout", Flush: true}}
		}
		var hs []slog.Handler
		for _, o := range outs {
			f, err := open(o)
			if err != nil {
				return nil, fmt.Errorf("logger %q: %w", lg.Name, err)
			}
			hs = append(hs, f(l.newHandler(o.Output)))
		}
		st.rules = append(st.rules, rule{name: name, level: level, off: off, handler: fanOut(hs)})
	}
	sort.SliceStable(st.rules, func(i, j int) bool { return len(st.rules[i].name) > len(st.rules[j].name) })
	return st, nil
}

// newHandler returns the constructor of the formatting handler of one
// output. Levels are filtered before records reach it, so it lets
// everything through; it names levels as Kea does and redacts secrets.
func (l *Logging) newHandler(output string) func(io.Writer) slog.Handler {
	toSyslog := output == "syslog" || strings.HasPrefix(output, "syslog:")
	opts := &slog.HandlerOptions{
		Level: slog.Level(-1 << 20),
		ReplaceAttr: func(groups []string, a slog.Attr) slog.Attr {
			if len(groups) == 0 {
				switch a.Key {
				case slog.LevelKey:
					if lv, ok := a.Value.Any().(slog.Level); ok {
						return slog.String(slog.LevelKey, levelName(lv))
					}
				case slog.TimeKey:
					if toSyslog {
						return slog.Attr{}
					}
				}
			}
			return RedactAttr(groups, a)
		},
	}
	if l.opts.JSON {
		return func(w io.Writer) slog.Handler { return slog.NewJSONHandler(w, opts) }
	}
	return func(w io.Writer) slog.Handler { return slog.NewTextHandler(w, opts) }
}

// handler is the slog.Handler of one logger name: Enabled is an atomic
// load and a compare, so a disabled level costs nothing.
type handler struct {
	n   *node
	ops []op // WithAttrs and WithGroup calls, in order
	// cache holds the node's handler with ops applied, for the target it
	// was built from.
	cache atomic.Pointer[derived]
}

type op struct {
	attrs []slog.Attr
	group string
}

type derived struct {
	t *target
	h slog.Handler
}

func (h *handler) Enabled(_ context.Context, level slog.Level) bool {
	t := h.n.t.Load()
	return !t.off && level >= t.level
}

func (h *handler) Handle(ctx context.Context, r slog.Record) error {
	t := h.n.t.Load()
	if t.off || r.Level < t.level {
		return nil
	}
	d := h.cache.Load()
	if d == nil || d.t != t {
		hh := t.handler
		for _, o := range h.ops {
			if o.group != "" {
				hh = hh.WithGroup(o.group)
			} else {
				hh = hh.WithAttrs(o.attrs)
			}
		}
		d = &derived{t: t, h: hh}
		h.cache.Store(d)
	}
	return d.h.Handle(ctx, r)
}

func (h *handler) WithAttrs(as []slog.Attr) slog.Handler {
	if len(as) == 0 {
		return h
	}
	return &handler{n: h.n, ops: append(h.ops[:len(h.ops):len(h.ops)], op{attrs: as})}
}

func (h *handler) WithGroup(name string) slog.Handler {
	if name == "" {
		return h
	}
	return &handler{n: h.n, ops: append(h.ops[:len(h.ops):len(h.ops)], op{group: name})}
}

// fanOut sends each record to every handler.
func fanOut(hs []slog.Handler) slog.Handler {
	if len(hs) == 1 {
		return hs[0]
	}
	return multi(hs)
}

type multi []slog.Handler

func (m multi) Enabled(context.Context, slog.Level) bool { return true }

func (m multi) Handle(ctx context.Context, r slog.Record) error {
	var errs []error
	for _, h := range m {
		errs = append(errs, h.Handle(ctx, r.Clone()))
	}
	return errors.Join(errs...)
}

func (m multi) WithAttrs(as []slog.Attr) slog.Handler {
	out := make(multi, len(m))
	for i, h := range m {
		out[i] = h.WithAttrs(as)
	}
	return out
}

func (m multi) WithGroup(name string) slog.Handler {
	out := make(multi, len(m))
	for i, h := range m {
		out[i] = h.WithGroup(name)
	}
	return out
}
