package daemon

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"os"
	"path"
	"path/filepath"
	"strings"

	"github.com/leased/leased/config"
	"github.com/leased/leased/lease/memfile"
	"golang.org/x/sys/unix"
)

// builtinHooks are the Kea hook libraries whose commands leased has built
// in; a configuration that loads them works unchanged.
var builtinHooks = map[string]string{
	"libdhcp_lease_cmds": "the lease4-* commands",
	"libdhcp_ha":         "high availability",
}

// CheckDeep checks the configuration file as `kea-dhcp4 -T` does:
// what `-t` checks, and also what serving would open first, without
// opening any socket or writing anything. It reads the lease database
// (read-only, beside a running server), checks that the lease and PID
// file directories can be used, reads the TLS and password files of the
// HTTP control sockets, and says what becomes of each hook library. It
// writes the findings to w, problems to errw, and returns an error when
// the server could not start with this configuration.
func CheckDeep(file string, pidDir string, w, errw io.Writer) error {
	cfg, diags, err := config.Load(file, nil)
	for _, d := range diags {
		fmt.Fprintln(errw, d.String())
	}
	if err != nil {
		return err
	}
	var problems []error
	fail := func(format string, args ...any) {
		err := fmt.Errorf(format, args...)
		fmt.Fprintf(errw, "%s: %v\n", file, err)
		problems = append(problems, err)
	}

	if err := checkListed(cfg); err != nil {
		fail("%v", err)
	}

	db := cfg.LeaseDatabase
	if isSQL(db) {
		// As kea-dhcp4 -T does, the database is connected to and its
		// schema checked; nothing is written.
		if st, err := openStore(context.Background(), cfg, slog.New(slog.DiscardHandler), pgsqlHooks{}); err != nil {
			fail("%v", err)
		} else {
			n, err := st.Len(context.Background())
			st.Close()
			if err != nil {
				fail("lease-database: %v", err)
			} else {
				fmt.Fprintf(w, "lease-database %s: %d leases\n", leaseDesc(cfg), n)
			}
		}
	} else if db.Persist {
		name := db.Name
		if name == "" {
			name = DefaultLeaseFile
		}
		if err := usableDir(filepath.Dir(name)); err != nil {
			fail("lease-database %s: %v", name, err)
		} else if _, err := os.Stat(filepath.Dir(name)); errors.Is(err, fs.ErrNotExist) {
			fmt.Fprintf(w, "lease-database %s: no leases yet; the directory will be created\n", name)
		} else if st, err := memfile.OpenReadOnly(memfile.Options{Path: name, Persist: true, Logger: slog.New(slog.DiscardHandler)}); err != nil {
			fail("lease-database %s: %v", name, err)
		} else {
			n, _ := st.Len(context.Background())
			st.Close()
			fmt.Fprintf(w, "lease-database %s: %d leases\n", name, n)
		}
	} else {
		fmt.Fprintln(w, "lease-database: in memory only")
	}

	// The hosts database too is connected to and its schema checked.
	if hs, err := openHosts(context.Background(), cfg, nil, false); err != nil {
		fail("hosts-database: %v", err)
	} else if hs != nil {
		hs.Close()
		fmt.Fprintf(w, "hosts-database %s: Kea schema checked\n", sqlDesc(cfg.HostsDatabases[0].Database))
	}

	pidPath := pidFilePath(Options{ConfigPath: file, PIDFileDir: pidDir}, cfg)
	if err := usableDir(filepath.Dir(pidPath)); err != nil {
		fail("PID file %s: %v", pidPath, err)
	}

	for i, cs := range cfg.ControlSockets {
		switch cs.Type {
		case "unix":
			if err := usableDir(filepath.Dir(cs.Name)); err != nil {
				fail("control socket %s: %v", cs.Name, err)
			}
			continue
		}
		if cs.CertFile != "" {
			if _, err := tls.LoadX509KeyPair(cs.CertFile, cs.KeyFile); err != nil {
				fail("control socket %d (%s): cert-file and key-file: %v", i+1, cs.Pos, err)
			}
			if _, err := os.Stat(cs.TrustAnchor); err != nil {
				fail("control socket %d (%s): trust-anchor: %v", i+1, cs.Pos, err)
			}
		}
		if a := cs.Authentication; a != nil {
			for j, c := range a.Clients {
				for _, f := range []string{c.UserFile, c.PasswordFile} {
					if f == "" {
						continue
					}
					p := f
					if a.Directory != "" {
						p = filepath.Join(a.Directory, strings.TrimPrefix(f, "/"))
					}
					if fi, err := os.Stat(p); err != nil {
						fail("control socket %d (%s): authentication client %d: %v", i+1, cs.Pos, j+1, err)
					} else if !fi.Mode().IsRegular() {
						fail("control socket %d (%s): authentication client %d: %s is not a regular file", i+1, cs.Pos, j+1, p)
					}
				}
			}
		}
	}

	if _, err := haFromConfig(cfg); err != nil {
		fail("%v", err)
	}
	for _, h := range cfg.HooksLibraries {
		base := path.Base(h.Library)
		if i := strings.IndexByte(base, '.'); i > 0 {
			base = base[:i]
		}
		// The configuration's own warnings (above) name the libraries
		// that are not loaded.
		if what, ok := builtinHooks[base]; ok {
			fmt.Fprintf(w, "hooks-libraries %s: built in (%s)\n", h.Library, what)
		}
	}
	if len(problems) > 0 {
		return fmt.Errorf("%w: %d problem(s), first: %v", config.ErrInvalid, len(problems), problems[0])
	}
	return nil
}

// usableDir reports whether dir exists and can be written, or else
// whether its nearest existing parent can be, so that dir can be
// created.
func usableDir(dir string) error {
	d := dir
	for {
		fi, err := os.Stat(d)
		if err == nil {
			if !fi.IsDir() {
				return fmt.Errorf("%s is not a directory", d)
			}
			if err := unix.Access(d, unix.W_OK|unix.X_OK); err != nil {
				return fmt.Errorf("directory %s is not writable: %w", d, err)
			}
			return nil
		}
		if !errors.Is(err, fs.ErrNotExist) {
			return err
		}
		parent := filepath.Dir(d)
		if parent == d {
			return fmt.Errorf("%s: no existing parent directory", dir)
		}
		d = parent
	}
}
