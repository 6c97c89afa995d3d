package control

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"runtime/debug"
	"slices"
	"sort"
	"strings"
	"sync"
)

// Handler carries out one command. args is the command's raw "arguments"
// value, nil when the client sent none. Handlers run concurrently, one
// goroutine per connection; a handler that changes shared state must
// guard it. ctx is cancelled when the server is shut down; Info(ctx)
// describes the request.
type Handler func(ctx context.Context, args json.RawMessage) Response

// Registrar is what a package needs to offer its commands: the server
// registers its lease4-* commands, package stats its statistic-*
// commands, through this interface.
type Registrar interface {
	Register(name string, h Handler) error
}

// BuildInfo is what version-get and build-report tell.
type BuildInfo struct {
	// Version is the short version, e.g. "0.1.0" or "devel-0123abcd".
	Version string
	// Extended is the longer form version-get puts in
	// arguments.extended (version, toolchain, platform).
	Extended string
	// Report is the build report of build-report (and `-W`).
	Report string
}

// DefaultBuildInfo describes the running binary from the build
// information the Go toolchain records.
func DefaultBuildInfo() BuildInfo {
	bi, ok := debug.ReadBuildInfo()
	if !ok {
		return BuildInfo{Version: "unknown", Extended: "unknown", Report: "no build information recorded"}
	}
	v := bi.Main.Version
	if v == "" || v == "(devel)" {
		v = "devel"
	}
	var rev string
	for _, s := range bi.Settings {
		if s.Key == "vcs.revision" {
			rev = s.Value
		}
	}
	if rev != "" && v == "devel" {
		v += "-" + rev[:min(12, len(rev))]
	}
	var rep strings.Builder
	fmt.Fprintf(&rep, "Version:     %s\nGo:          %s\nModule:      %s\n", v, bi.GoVersion, bi.Main.Path)
	for _, s := range bi.Settings {
		fmt.Fprintf(&rep, "%-12s %s\n", s.Key+":", s.Value)
	}
	deps := slices.Clone(bi.Deps)
	sort.Slice(deps, func(i, j int) bool { return deps[i].Path < deps[j].Path })
	if len(deps) > 0 {
		rep.WriteString("Dependencies:\n")
		for _, d := range deps {
			fmt.Fprintf(&rep, "  %s %s\n", d.Path, d.Version)
		}
	}
	return BuildInfo{
		Version:  v,
		Extended: fmt.Sprintf("%s\nbuilt with %s", v, bi.GoVersion),
		Report:   strings.TrimRight(rep.String(), "\n"),
	}
}

// Registry maps command names to handlers. The zero value is not usable;
// call NewRegistry. A Registry is safe for concurrent use.
type Registry struct {
	mu       sync.RWMutex
	handlers map[string]Handler
	log      *slog.Logger
}

// NewRegistry returns a registry holding the built-in commands
// list-commands, version-get and build-report. log may be nil.
func NewRegistry(info BuildInfo, log *slog.Logger) *Registry {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	r := &Registry{handlers: make(map[string]Handler), log: log}
	r.handlers["list-commands"] = func(context.Context, json.RawMessage) Response {
		return OKWith(r.Commands())
	}
	r.handlers["version-get"] = func(context.Context, json.RawMessage) Response {
		return Answer(Success, info.Version, map[string]string{"extended": info.Extended})
	}
	r.handlers["build-report"] = func(context.Context, json.RawMessage) Response {
		return OK(info.Report)
	}
	return r
}

// Register installs h as the handler of the named command. Registering a
// name twice is an error, as in Kea.
func (r *Registry) Register(name string, h Handler) error {
	if name == "" {
		return fmt.Errorf("registering a command: empty name")
	}
	if h == nil {
		return fmt.Errorf("registering command %q: nil handler", name)
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	if _, ok := r.handlers[name]; ok {
		return fmt.Errorf("handler for command '%s' is already installed", name)
	}
	r.handlers[name] = h
	return nil
}

// Deregister removes a command. list-commands cannot be removed.
func (r *Registry) Deregister(name string) error {
	if name == "list-commands" {
		return fmt.Errorf("can't uninstall internal command 'list-commands'")
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	if _, ok := r.handlers[name]; !ok {
		return fmt.Errorf("handler for command '%s' not found", name)
	}
	delete(r.handlers, name)
	return nil
}

// Commands returns the registered command names in byte order.
func (r *Registry) Commands() []string {
	r.mu.RLock()
	names := make([]string, 0, len(r.handlers))
	for n := range r.handlers {
		names = append(names, n)
	}
	r.mu.RUnlock()
	sort.Strings(names)
	return names
}

// Execute runs a parsed command. An unknown command gets result 2; a
// handler that panics gets result 1 and a log entry, and the process
// carries on.
func (r *Registry) Execute(ctx context.Context, c Command) (resp Response) {
	r.log.LogAttrs(ctx, slog.LevelInfo, "received command", slog.String("command", c.Command))
	r.mu.RLock()
	h, ok := r.handlers[c.Command]
	r.mu.RUnlock()
	if !ok {
		return Answer(Unsupported, "'"+c.Command+"' command not supported.", nil)
	}
	defer func() {
		if p := recover(); p != nil {
			r.log.LogAttrs(ctx, slog.LevelError, "command handler panicked",
				slog.String("command", c.Command), slog.Any("panic", p), slog.String("stack", string(debug.Stack())))
			resp = Errorf("internal server error: command '%s' failed", c.Command)
		}
	}()
	return h(withCommand(ctx, c.Command), c.Arguments)
}

// Process parses one command as read from a connection and executes it.
// A command that cannot be parsed gets result 1 with Kea's texts.
func (r *Registry) Process(ctx context.Context, data []byte) Response {
	c, err := ParseCommand(data)
	if err != nil {
		return parseErrorResponse(err)
	}
	return r.Execute(ctx, c)
}

// parseErrorResponse answers a command that could not be read: Kea
// reports syntax errors as they are and prefixes the errors of a
// well-formed but invalid command.
func parseErrorResponse(err error) Response {
	var ic *InvalidCommandError
	if errors.As(err, &ic) {
		return Errorf("Error during command processing: %s", err)
	}
	return Errorf("%s", err)
}

type ctxKey int

const (
	keyInfo ctxKey = iota
)

// RequestInfo describes the request a handler is serving.
type RequestInfo struct {
	// Command is the command's name.
	Command string
	// Transport is "unix", "http" or "https"; empty when the command did
	// not come through a Server.
	Transport string
	// Remote is the client's address (empty for unix sockets).
	Remote string
	// User is the authenticated user of an HTTP request, if any.
	User string
}

// Info returns the description of the request ctx belongs to.
func Info(ctx context.Context) RequestInfo {
	ri, _ := ctx.Value(keyInfo).(RequestInfo)
	return ri
}

func withInfo(ctx context.Context, ri RequestInfo) context.Context {
	return context.WithValue(ctx, keyInfo, ri)
}

func withCommand(ctx context.Context, name string) context.Context {
	ri := Info(ctx)
	ri.Command = name
	return withInfo(ctx, ri)
}
