package daemon

import (
	"context"
	"fmt"
	"log/slog"
	"strings"
	"time"

	"github.com/leased/leased/config"
	"github.com/leased/leased/dhcpserver"
	"github.com/leased/leased/lease"
	"github.com/leased/leased/lease/memfile"
)

// DefaultLeaseFile is where leases are kept when lease-database names no
// file.
const DefaultLeaseFile = "/var/lib/leased/dhcp4.leases"

// shutdown stops ds gracefully, letting the messages in flight finish
// for up to timeout (5 s when zero), and closes it.
func shutdown(ds *dhcpserver.Server, timeout time.Duration, log *slog.Logger) error {
	if timeout <= 0 {
		timeout = 5 * time.Second
	}
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	if err := ds.Shutdown(ctx); err != nil {
		log.Warn("messages still in flight at shutdown were abandoned", "error", err)
		return ds.Close()
	}
	return nil
}

// LoadConfig loads a configuration, logging its warnings and, when it
// cannot be used, its errors with their positions.
func LoadConfig(path string, log *slog.Logger) (*config.Config, error) {
	cfg, _, err := loadConfig(path, log)
	return cfg, err
}

// loadConfig is LoadConfig that also says why the configuration cannot
// be used in words for a control-channel caller: the first error
// without what the operating system said about a file (see
// jsonc.Diagnostic.Detail), which would tell the caller whether a path
// exists. The log has it all.
func loadConfig(path string, log *slog.Logger) (*config.Config, string, error) {
	cfg, diags, err := config.Load(path, nil)
	for _, d := range diags {
		if d.Severity == config.Error {
			log.Error(d.String())
		} else {
			log.Warn(d.String())
		}
	}
	if err != nil {
		return nil, publicLoadError(diags, err), err
	}
	return cfg, "", nil
}

func publicLoadError(diags []config.Diagnostic, err error) string {
	n := 0
	first := ""
	for _, d := range diags {
		if d.Severity == config.Error {
			if n == 0 {
				first = d.Brief()
			}
			n++
		}
	}
	if n == 0 {
		return err.Error()
	}
	return fmt.Sprintf("%v: %d error(s), first: %s", config.ErrInvalid, n, first)
}

// OpenStore opens the lease store lease-database names.
func OpenStore(cfg *config.Config, log *slog.Logger) (lease.Store, error) {
	return openStore(context.Background(), cfg, log, pgsqlHooks{})
}

// openStore is OpenStore with what a PostgreSQL store needs of the
// running process.
func openStore(ctx context.Context, cfg *config.Config, log *slog.Logger, h pgsqlHooks) (lease.Store, error) {
	db := cfg.LeaseDatabase
	switch db.Type {
	case "postgresql":
		s, err := openPgsql(ctx, cfg, log, h)
		if err != nil {
			return nil, fmt.Errorf("opening lease-database: %w", err)
		}
		return s, nil
	case "mysql":
		s, err := openMysql(ctx, cfg, log, h)
		if err != nil {
			return nil, fmt.Errorf("opening lease-database: %w", err)
		}
		return s, nil
	case "", "memfile":
		name := db.Name
		if name == "" && db.Persist {
			name = DefaultLeaseFile
		}
		s, err := memfile.Open(memfile.Options{
			Path:        name,
			Persist:     db.Persist,
			LFCInterval: time.Duration(db.LFCInterval) * time.Second,
			Logger:      log,
		})
		if err != nil {
			return nil, fmt.Errorf("opening lease-database %s: %w", name, err)
		}
		return s, nil
	}
	return nil, fmt.Errorf("lease-database type %q: not supported yet", db.Type)
}

// interfaces maps interfaces-config to the server's interface list:
// "eth0" and "eth0/192.0.2.1" both serve eth0; "*" serves every
// interface, which the server does with one unbound socket, and so does
// outbound-interface "use-routing" (see sockets.go). An empty list never
// gets this far: checkInterfaces refuses it.
func interfaces(cfg *config.Config) []string {
	if useRouting(cfg) {
		return nil
	}
	return namedInterfaces(cfg)
}

func ifaceList(ifaces []string) string {
	if len(ifaces) == 0 {
		return "*"
	}
	return strings.Join(ifaces, ",")
}

func leaseDesc(cfg *config.Config) string {
	db := cfg.LeaseDatabase
	if isSQL(db) {
		return sqlDesc(db)
	}
	if !db.Persist {
		return "memory"
	}
	if db.Name == "" {
		return DefaultLeaseFile
	}
	return db.Name
}
