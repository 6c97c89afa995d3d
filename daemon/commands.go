package daemon

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"time"

	"github.com/leased/leased/config"
	"github.com/leased/leased/config/jsonc"
	"github.com/leased/leased/control"
)

// register installs the server's commands: configuration, status and
// shutdown (this file), leases (leasecmds.go), reservations (hostsdb.go)
// and statistics.
func (p *process) register(reg *control.Registry) error {
	cmds := map[string]control.Handler{
		"config-get":      p.cmdConfigGet,
		"config-hash-get": p.cmdConfigHashGet,
		"config-test":     p.cmdConfigTest,
		"config-set":      p.cmdConfigSet,
		"config-reload":   p.cmdConfigReload,
		"config-write":    p.cmdConfigWrite,
		"shutdown":        p.cmdShutdown,
		"status-get":      p.cmdStatusGet,
		"server-tag-get":  p.cmdServerTagGet,
		"dhcp-disable":    p.cmdDhcpDisable,
		"dhcp-enable":     p.cmdDhcpEnable,
		"leases-reclaim":  p.cmdLeasesReclaim,
		"ddns-queue-get":  p.cmdDdnsQueueGet,
	}
	for name, h := range p.leaseCommands() {
		cmds[name] = h
	}
	for name, h := range p.hostCommands() {
		cmds[name] = h
	}
	if p.ha != nil {
		for name, h := range p.ha.commands() {
			cmds[name] = h
		}
	}
	for name, h := range p.stats.Commands() {
		// Statistics are brought up to date before they are read or
		// reset, so that an answer is exact.
		cmds[name] = func(ctx context.Context, args json.RawMessage) control.Response {
			p.metrics.sync(ctx)
			return h(ctx, args)
		}
	}
	names := make([]string, 0, len(cmds))
	for n := range cmds {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		if err := reg.Register(n, cmds[n]); err != nil {
			return err
		}
	}
	return nil
}

// cmdConfigGet answers config-get: the configuration in force as it was
// read (comments dropped, includes spliced in) with every value whose
// key ends in "password" or "secret" replaced by "*****", and its hash.
func (p *process) cmdConfigGet(context.Context, json.RawMessage) control.Response {
	cfg := p.srv.Config()
	doc := bytes.TrimSpace(cfg.JSON())
	if len(doc) < 2 || doc[len(doc)-1] != '}' {
		return control.Errorf("internal error: the configuration is not a JSON map")
	}
	var b bytes.Buffer
	b.Write(doc[:len(doc)-1])
	if len(bytes.TrimSpace(doc[1:len(doc)-1])) > 0 {
		b.WriteByte(',')
	}
	fmt.Fprintf(&b, `"hash":%q}`, hashText(cfg))
	return control.OKWith(json.RawMessage(b.Bytes()))
}

func (p *process) cmdConfigHashGet(context.Context, json.RawMessage) control.Response {
	return control.OKWith(map[string]string{"hash": hashText(p.srv.Config())})
}

func (p *process) cmdServerTagGet(context.Context, json.RawMessage) control.Response {
	return control.OKWith(map[string]string{"server-tag": p.srv.Config().ServerTag})
}

// parseConfigArgs reads the arguments of config-test and config-set,
// {"Dhcp4": {...}}, as a configuration, with Kea's complaints about
// their shape. Positions in errors count from the start of the
// arguments.
func parseConfigArgs(command string, raw json.RawMessage) (*config.Config, error) {
	if isAbsent(raw) {
		return nil, errors.New("Missing mandatory 'arguments' parameter.")
	}
	var top map[string]json.RawMessage
	if err := json.Unmarshal(raw, &top); err != nil || top == nil {
		return nil, errors.New("'arguments' parameter expected to be a map.")
	}
	d, ok := top["Dhcp4"]
	switch {
	case !ok:
		return nil, errors.New("Missing mandatory 'Dhcp4' parameter.")
	case !isMap(d):
		return nil, errors.New("'Dhcp4' parameter expected to be a map.")
	}
	var others []string
	for k := range top {
		if k != "Dhcp4" {
			others = append(others, jsonc.Shorten(k))
		}
	}
	if len(others) > 0 {
		sort.Strings(others)
		return nil, fmt.Errorf("Unsupported '%s' parameter.", strings.Join(others, "', '"))
	}
	cfg, diags, err := config.Parse(command, raw, nil)
	if err != nil {
		var msgs []string
		for _, d := range diags {
			if d.Severity == config.Error {
				msgs = append(msgs, d.Brief())
			}
		}
		if len(msgs) == 0 {
			msgs = append(msgs, err.Error())
		}
		return nil, errors.New(strings.Join(msgs, "; "))
	}
	return cfg, nil
}

func isAbsent(raw json.RawMessage) bool {
	t := bytes.TrimSpace(raw)
	return len(t) == 0 || bytes.Equal(t, []byte("null"))
}

func isMap(raw json.RawMessage) bool {
	t := bytes.TrimSpace(raw)
	return len(t) > 0 && t[0] == '{'
}

// cmdConfigTest checks a configuration without applying it: the running
// configuration and its hash do not change.
func (p *process) cmdConfigTest(_ context.Context, raw json.RawMessage) control.Response {
	next, err := parseConfigArgs("config-test", raw)
	if err != nil {
		return control.Errorf("%s", err)
	}
	if err := replaceable(p.srv.Config(), next); err != nil {
		return control.Errorf("%s", err)
	}
	return control.OK("Configuration seems sane. Control-sockets, hook-libraries, and D2 configuration were sanity checked, but not applied.")
}

// cmdConfigSet applies a configuration sent with the command. One that
// does not load, or cannot be applied, changes nothing.
func (p *process) cmdConfigSet(ctx context.Context, raw json.RawMessage) control.Response {
	next, err := parseConfigArgs("config-set", raw)
	if err != nil {
		p.log.Error("config-set: configuration rejected; the previous one stays in force", "error", err)
		return control.Errorf("%s", err)
	}
	return p.onLoop(ctx, func() control.Response {
		if err := p.apply(next); err != nil {
			p.log.Error("config-set: configuration not applied; the previous one stays in force", "error", err)
			return control.Errorf("%s", callerText(err))
		}
		return control.Answer(control.Success, "Configuration successful.", map[string]string{"hash": hashText(next)})
	})
}

// cmdConfigReload reads the configuration file again, as SIGHUP does,
// dropping what config-set changed. The file is read before the main
// loop is asked to apply it, so that a slow read holds up neither the
// loop nor a shutdown.
func (p *process) cmdConfigReload(ctx context.Context, _ json.RawMessage) control.Response {
	p.log.Info("reloading the configuration (config-reload)", "config", p.o.ConfigPath)
	next, why, err := loadConfig(p.o.ConfigPath, p.log)
	if err != nil {
		p.log.Error("configuration not reloaded; the previous one stays in force", "config", p.o.ConfigPath, "error", err)
		return control.Errorf("Config reload failed: %s", why)
	}
	return p.onLoop(ctx, func() control.Response {
		if err := p.apply(next); err != nil {
			p.log.Error("configuration not reloaded; the previous one stays in force", "config", p.o.ConfigPath, "error", err)
			return control.Errorf("Config reload failed: %s", callerText(err))
		}
		return control.Answer(control.Success, "Configuration successful.", map[string]string{"hash": hashText(next)})
	})
}

// cmdConfigWrite writes the configuration in force, secrets included, to
// the configuration file or to "filename", which must be inside the
// configuration file's directory. The file is replaced atomically.
func (p *process) cmdConfigWrite(_ context.Context, raw json.RawMessage) control.Response {
	a, err := control.OptionalArgs("config-write", raw)
	if err != nil {
		return control.Errorf("Argument must be a map")
	}
	cfgNow := p.srv.Config()
	name := p.o.ConfigPath
	if a.Has("filename") {
		if name, err = a.String("filename"); err != nil {
			return control.Errorf("passed parameter 'filename' is not a string")
		}
	}
	path, err := allowedConfigPath(p.o.ConfigPath, name, guardedPaths(cfgNow, p.pidPath))
	if err != nil {
		p.log.Error("config-write refused", "file", name, "error", err)
		return control.Errorf("not allowed to write config into %s: %s", name, strings.TrimPrefix(err.Error(), errWriteRefused.Error()+": "))
	}
	cfg := cfgNow
	var doc bytes.Buffer
	if err := json.Indent(&doc, cfg.Raw.AppendJSON(nil, false, false), "", "  "); err != nil {
		return control.Errorf("Error during config-write: %v", err)
	}
	doc.WriteByte('\n')
	if err := writeFileAtomic(path, doc.Bytes()); err != nil {
		// The caller learns that it failed; the log, why.
		p.log.Error("config-write failed", "file", path, "error", err)
		return control.Errorf("Error during config-write: unable to write %s", path)
	}
	p.log.Info("configuration written", "file", path, "hash", hashText(cfg))
	return control.Answer(control.Success, "Configuration written to "+path+" successful",
		map[string]any{"filename": path, "size": doc.Len()})
}

// writeFileAtomic replaces path with data: a temporary file in the same
// directory, fsynced, renamed over path, and the directory fsynced. The
// file keeps the mode of the one it replaces, or gets 0600 (it holds
// secrets).
func writeFileAtomic(path string, data []byte) (err error) {
	mode := fs.FileMode(0o600)
	if fi, err := os.Stat(path); err == nil {
		mode = fi.Mode().Perm()
	}
	dir := filepath.Dir(path)
	f, err := os.CreateTemp(dir, "."+filepath.Base(path)+".tmp-*")
	if err != nil {
		return err
	}
	defer func() {
		if err != nil {
			f.Close()
			os.Remove(f.Name())
		}
	}()
	if err = f.Chmod(mode); err != nil {
		return err
	}
	if _, err = f.Write(data); err != nil {
		return err
	}
	if err = f.Sync(); err != nil {
		return err
	}
	if err = f.Close(); err != nil {
		return err
	}
	if err = os.Rename(f.Name(), path); err != nil {
		return err
	}
	d, err := os.Open(dir)
	if err != nil {
		return err
	}
	defer d.Close()
	return d.Sync()
}

// cmdShutdown stops the server with the given exit-value (0 by default);
// the answer leaves before the server stops.
func (p *process) cmdShutdown(ctx context.Context, raw json.RawMessage) control.Response {
	exit := 0
	if !isAbsent(raw) {
		a, err := control.OptionalArgs("shutdown", raw)
		if err != nil {
			return control.Errorf("Argument must be a map")
		}
		if a.Has("exit-value") {
			n, err := a.Int("exit-value")
			if err != nil {
				return control.Errorf("parameter 'exit-value' is not an integer")
			}
			exit = int(n)
		}
	}
	return p.onLoop(ctx, func() control.Response {
		p.exit, p.quit = exit, true
		return control.OK("Shutting down.")
	})
}

// cmdStatusGet answers status-get: the process id, seconds since start
// and since the configuration was last applied, the state of the DHCP
// sockets, that of the lease store (see leaseStoreStatus) and, with high
// availability, Kea's "high-availability" list.
func (p *process) cmdStatusGet(context.Context, json.RawMessage) control.Response {
	now := time.Now()
	st := map[string]any{
		"pid":                     os.Getpid(),
		"uptime":                  int64(now.Sub(p.start) / time.Second),
		"reload":                  now.Unix() - p.lastCommit.Load(),
		"multi-threading-enabled": false,
	}
	p.mu.Lock()
	var served []string
	for k := range p.ifaces {
		served = append(served, ifaceName(k))
	}
	errs := append([]string(nil), p.sockErrs...)
	p.mu.Unlock()
	sort.Strings(served)
	sockets := map[string]any{"status": "ready", "interfaces": served}
	if len(errs) > 0 {
		sockets["status"] = "failed"
		sockets["errors"] = errs
	}
	st["sockets"] = sockets
	st["dhcp-state"] = p.service.status()
	st["lease-store"] = leaseStoreStatus(p.srv.LeaseStore(), now)
	if p.pg != nil {
		st["lease-store"] = p.pg.rec.status(now)
	}
	if p.ha != nil {
		st["high-availability"] = p.ha.status()
	}
	return control.OKWith(st)
}
