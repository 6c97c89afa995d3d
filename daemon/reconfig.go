package daemon

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"

	"github.com/leased/leased/config"
)

// storeIdentity is what of lease-database the running lease store was
// opened with: the fields that say which store it is (for PostgreSQL, the
// database, its server and the role). The others (a PostgreSQL password,
// timeouts, on-fail) may change freely; they take effect at a restart.
type storeIdentity struct {
	typ, name   string
	persist     bool
	lfcInterval uint32
	server      string // PostgreSQL's host, port and user
}

func storeOf(cfg *config.Config) storeIdentity {
	db := cfg.LeaseDatabase
	if isSQL(db) {
		return storeIdentity{typ: db.Type, name: db.Name, server: fmt.Sprintf("host %q port %d user %q", db.Host, db.Port, db.User)}
	}
	id := storeIdentity{typ: db.Type, persist: db.Persist, lfcInterval: db.LFCInterval}
	if id.typ == "" {
		id.typ = "memfile"
	}
	if db.Persist {
		id.name = db.Name
		if id.name == "" {
			id.name = DefaultLeaseFile
		}
		if abs, err := filepath.Abs(id.name); err == nil {
			id.name = abs
		}
	}
	return id
}

// sameLeaseStore refuses a configuration whose lease-database differs
// from the running one's in what leased acts on. The lease store is
// opened once, at start: it holds every lease handed out, the PID file
// lives beside it, and a reload that switched it would leave the running
// leases behind (Kea, which does switch, starts over on the new store's
// leases). So the change is refused, with the reason, and the running
// configuration, which config-get shows, stays in force; a restart
// opens the new store.
func sameLeaseStore(cur, next *config.Config) error {
	a, b := storeOf(cur), storeOf(next)
	if a == b {
		return nil
	}
	var changes []string
	if a.typ != b.typ {
		changes = append(changes, fmt.Sprintf("type %q to %q", a.typ, b.typ))
	}
	if a.persist != b.persist {
		changes = append(changes, fmt.Sprintf("persist %t to %t", a.persist, b.persist))
	}
	if a.name != b.name {
		changes = append(changes, fmt.Sprintf("name %q to %q", a.name, b.name))
	}
	if a.server != b.server {
		changes = append(changes, fmt.Sprintf("%s to %s", a.server, b.server))
	}
	if a.lfcInterval != b.lfcInterval {
		changes = append(changes, fmt.Sprintf("lfc-interval %d to %d", a.lfcInterval, b.lfcInterval))
	}
	return fmt.Errorf("lease-database changed (%s): leased does not switch its lease store while it runs, so the configuration is not applied; restart leased to use the new lease-database",
		strings.Join(changes, ", "))
}

// replaceable refuses a configuration next that cannot replace cur while
// leased runs (see sameLeaseStore and socketsApartFromStore): config-set,
// config-reload and SIGHUP refuse it, and config-test says they would.
func replaceable(cur, next *config.Config) error {
	if err := sameLeaseStore(cur, next); err != nil {
		return err
	}
	if err := sameHA(cur, next); err != nil {
		return err
	}
	return socketsApartFromStore(next)
}

// socketsApartFromStore refuses a unix control socket whose file, or its
// lock file, would take a name the lease store uses: N itself or any
// N.* beside it (the snapshot, journal segments, the lock file, the
// quarantine). A socket where the next journal segment belongs stops
// every compaction, and one named N takes N.lock and deletes it when it
// closes.
func socketsApartFromStore(cfg *config.Config) error {
	id := storeOf(cfg)
	if !id.persist {
		return nil
	}
	dir, base := filepath.Dir(id.name), filepath.Base(id.name)
	for _, cs := range cfg.ControlSockets {
		if cs.Type != "unix" || cs.Name == "" {
			continue
		}
		name, err := filepath.Abs(cs.Name)
		if err != nil {
			continue
		}
		if filepath.Dir(name) != dir {
			continue
		}
		if b := filepath.Base(name); b == base || strings.HasPrefix(b, base+".") || b+".lock" == base {
			return fmt.Errorf("control socket %q: the name is the lease store's (%s, %s.*): choose another socket-name", cs.Name, id.name, id.name)
		}
	}
	return nil
}

// guarded is a path config-write must not write: a file, or a directory
// and everything in it.
type guarded struct {
	path string
	dir  bool
	what string
}

// guardedPaths are the files the running server lives on: the lease
// store's directory (the store owns it: journal segments, snapshot, lock
// file and those still to come), the PID file, and the unix control
// sockets with their lock files. config-write replacing one of them
// would lose every lease at the next start, or take the server's own
// files away while it runs.
func guardedPaths(cfg *config.Config, pidPath string) []guarded {
	var g []guarded
	if id := storeOf(cfg); id.persist {
		g = append(g, guarded{filepath.Dir(id.name), true, "the lease store's directory"})
	}
	if pidPath != "" {
		g = append(g, guarded{pidPath, false, "the PID file"})
	}
	for _, cs := range cfg.ControlSockets {
		if cs.Type == "unix" && cs.Name != "" {
			g = append(g, guarded{cs.Name, false, "a control socket"},
				guarded{cs.Name + ".lock", false, "a control socket's lock file"})
		}
	}
	return g
}

// errWriteRefused marks refusals of config-write's own, as opposed to
// failures of the file system.
var errWriteRefused = errors.New("not allowed")

// allowedConfigPath resolves name (relative names are taken from the
// configuration file's directory) and checks that it is a regular file,
// or none yet, in that directory or one of its existing subdirectories,
// symbolic links resolved, and none of the guarded paths nor inside one.
// The configuration file itself may always be written, even in the
// lease store's directory. Every refusal wraps errWriteRefused, and
// names no reason that depends on what exists outside the configuration's
// directory: a path outside it is refused with the same words whether
// it exists or not.
func allowedConfigPath(cfgPath, name string, guard []guarded) (string, error) {
	dir, err := filepath.Abs(filepath.Dir(cfgPath))
	if err != nil {
		return "", err
	}
	if realDir, err := filepath.EvalSymlinks(dir); err == nil {
		dir = realDir
	}
	outside := fmt.Errorf("%w: only files in %s and its existing subdirectories may be written", errWriteRefused, dir)
	if !filepath.IsAbs(name) {
		name = filepath.Join(dir, name)
	}
	name = filepath.Clean(name)
	parent, err := filepath.EvalSymlinks(filepath.Dir(name))
	if err != nil || !within(parent, dir) {
		return "", outside
	}
	path := filepath.Join(parent, filepath.Base(name))
	resolved := path
	fi, err := os.Lstat(path)
	switch {
	case err == nil && fi.Mode()&fs.ModeSymlink != 0:
		// The link is replaced, not followed; still, what it points
		// to must be a file config-write could write. One text for
		// whatever else it points to, which may lie outside the
		// directory.
		noFile := fmt.Errorf("%w: %s is a symbolic link to no regular file", errWriteRefused, path)
		if resolved, err = filepath.EvalSymlinks(path); err != nil {
			return "", noFile
		}
		if fi, err = os.Stat(resolved); err != nil || !fi.Mode().IsRegular() {
			return "", noFile
		}
	case err == nil && !fi.Mode().IsRegular():
		return "", fmt.Errorf("%w: %s exists and is not a regular file", errWriteRefused, path)
	}
	self := isSameFile(path, cfgPath)
	for _, g := range guard {
		gp := realPath(g.path)
		for _, p := range []string{path, resolved} {
			hit := p == gp
			if g.dir {
				hit = within(filepath.Dir(p), gp) && !self
			}
			if hit {
				return "", fmt.Errorf("%w: %s is or lies in %s (%s)", errWriteRefused, path, g.what, g.path)
			}
		}
	}
	return path, nil
}

// within reports whether path is dir or lies under it.
func within(path, dir string) bool {
	rel, err := filepath.Rel(dir, path)
	return err == nil && rel != ".." && !strings.HasPrefix(rel, ".."+string(filepath.Separator))
}

// realPath is path made absolute with its symbolic links resolved, as
// far as it exists.
func realPath(path string) string {
	abs, err := filepath.Abs(path)
	if err != nil {
		return filepath.Clean(path)
	}
	if r, err := filepath.EvalSymlinks(abs); err == nil {
		return r
	}
	if r, err := filepath.EvalSymlinks(filepath.Dir(abs)); err == nil {
		return filepath.Join(r, filepath.Base(abs))
	}
	return abs
}

// isSameFile reports whether path names the configuration file.
func isSameFile(path, cfgPath string) bool {
	return path == realPath(cfgPath)
}

// callerText is err as a control-channel caller is told it: what the
// operating system said about a path ("no such file or directory",
// "permission denied", "not a directory"), which tells whether the path
// exists, is left out, as Kea's answers leave it out; the log keeps the
// whole error.
func callerText(err error) string {
	s := err.Error()
	walkErrors(err, func(e error) {
		var short string
		switch e := e.(type) {
		case *fs.PathError:
			short = "cannot " + e.Op + " " + e.Path
		case *os.SyscallError:
			short = e.Syscall + " failed"
		default:
			return
		}
		s = strings.ReplaceAll(s, e.Error(), short)
	})
	return s
}

// walkErrors calls fn on err and every error it wraps.
func walkErrors(err error, fn func(error)) {
	if err == nil {
		return
	}
	fn(err)
	switch u := err.(type) {
	case interface{ Unwrap() error }:
		walkErrors(u.Unwrap(), fn)
	case interface{ Unwrap() []error }:
		for _, e := range u.Unwrap() {
			walkErrors(e, fn)
		}
	}
}
