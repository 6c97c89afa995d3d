package daemon

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/netip"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/leased/leased/config"
	"github.com/leased/leased/dhcpserver"
	"github.com/leased/leased/lease"
	"github.com/leased/leased/lease/memfile"
	"github.com/leased/leased/server"
)

// DefaultLeaseFile is where leases are kept when lease-database names no
// file.
const DefaultLeaseFile = "/var/lib/leased/dhcp4.leases"

// ServeOptions configure Serve.
type ServeOptions struct {
	// ConfigPath is the Kea Dhcp4 configuration file.
	ConfigPath string
	// ServerPort and ClientPort override the DHCP ports (kea-dhcp4's -p
	// and -P); 0 keeps 67 and 68.
	ServerPort, ClientPort uint16
	// Logger receives the log; slog.Default() when nil.
	Logger *slog.Logger
	// Reload asks for the configuration to be read again (SIGHUP).
	Reload <-chan struct{}
	// Ready, if set, is called once the server is listening, with the
	// address it listens on.
	Ready func(netip.AddrPort)
	// ShutdownTimeout bounds how long in-flight messages may take to
	// finish at shutdown; 5 s when zero.
	ShutdownTimeout time.Duration
}

// Serve runs the DHCP server until ctx ends, then drains the messages in
// flight, flushes and closes the lease store, and returns. A configuration
// that fails to load on reload is logged with its positions and ignored:
// the previous one keeps serving.
func Serve(ctx context.Context, o ServeOptions) error {
	log := o.Logger
	if log == nil {
		log = slog.Default()
	}
	cfg, err := LoadConfig(o.ConfigPath, log)
	if err != nil {
		return err
	}
	store, err := OpenStore(cfg, log)
	if err != nil {
		return err
	}
	defer func() {
		if err := store.Close(); err != nil {
			log.Error("closing the lease store", "error", err)
		}
	}()
	srv, err := server.New(ctx, cfg, store, &server.Options{Logger: log})
	if err != nil {
		return fmt.Errorf("starting the server: %w", err)
	}
	runCtx, stopRun := context.WithCancel(context.Background())
	runDone := make(chan error, 1)
	go func() { runDone <- srv.Run(runCtx) }()
	defer func() {
		stopRun()
		<-runDone
	}()

	ifaces := interfaces(cfg)
	ds, err := listen(srv, ifaces, o, log)
	if err != nil {
		return err
	}
	log.Info("serving DHCPv4", "config", o.ConfigPath, "interfaces", ifaceList(ifaces), "address", ds.LocalAddr(), "leases", leaseDesc(cfg))
	if o.Ready != nil {
		o.Ready(ds.LocalAddr())
	}
	for {
		select {
		case <-ctx.Done():
			return shutdown(ds, o.ShutdownTimeout, log)
		case <-o.Reload:
			next, err := LoadConfig(o.ConfigPath, log)
			if err != nil {
				log.Error("configuration not reloaded; the previous one stays in force", "error", err)
				continue
			}
			if err := srv.Reload(ctx, next); err != nil {
				log.Error("configuration not reloaded; the previous one stays in force", "error", err)
				continue
			}
			if nextIfaces := interfaces(next); !slices.Equal(nextIfaces, ifaces) {
				// Bind the new set before letting the old go, so the
				// port is never unanswered.
				nds, err := listen(srv, nextIfaces, o, log)
				if err != nil {
					log.Error("cannot serve the new interface list; keeping the old sockets", "error", err)
				} else {
					go shutdown(ds, o.ShutdownTimeout, log)
					ds, ifaces = nds, nextIfaces
				}
			}
			log.Info("configuration reloaded", "config", o.ConfigPath, "hash", fmt.Sprintf("%x", next.Hash[:8]))
		}
	}
}

func listen(h dhcpserver.Handler, ifaces []string, o ServeOptions, log *slog.Logger) (*dhcpserver.Server, error) {
	port := o.ServerPort
	if port == 0 {
		port = dhcpserver.DefaultRelayPort
	}
	ds := &dhcpserver.Server{
		Addr:       ":" + strconv.Itoa(int(port)),
		Interfaces: ifaces,
		Handler:    h,
		ClientPort: o.ClientPort,
		RelayPort:  port,
		Logger:     log,
		// The server's handler never waits for the disk: it defers each
		// ACK until the group commit that makes its lease durable. So
		// the handler runs on the goroutine that reads the socket, with
		// no hand-off per message, which is what a lease costs most in
		// CPU time otherwise.
		Inline: true,
	}
	if err := ds.Listen(); err != nil {
		return nil, fmt.Errorf("listening on %v: %w", ifaceList(ifaces), err)
	}
	go func() {
		if err := ds.Serve(); err != nil && !errors.Is(err, dhcpserver.ErrServerClosed) {
			log.Error("DHCP service stopped", "error", err)
		}
	}()
	return ds, nil
}

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
	cfg, diags, err := config.Load(path, nil)
	for _, d := range diags {
		if d.Severity == config.Error {
			log.Error(d.String())
		} else {
			log.Warn(d.String())
		}
	}
	if err != nil {
		return nil, err
	}
	return cfg, nil
}

// OpenStore opens the lease store lease-database names.
func OpenStore(cfg *config.Config, log *slog.Logger) (lease.Store, error) {
	db := cfg.LeaseDatabase
	switch db.Type {
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
// interface, which the server does with one unbound socket.
func interfaces(cfg *config.Config) []string {
	var out []string
	for _, name := range cfg.Interfaces.Interfaces {
		if name == "*" {
			return nil
		}
		if i := strings.IndexByte(name, '/'); i >= 0 {
			name = name[:i]
		}
		if !slices.Contains(out, name) {
			out = append(out, name)
		}
	}
	slices.Sort(out)
	return out
}

func ifaceList(ifaces []string) string {
	if len(ifaces) == 0 {
		return "*"
	}
	return strings.Join(ifaces, ",")
}

func leaseDesc(cfg *config.Config) string {
	db := cfg.LeaseDatabase
	if !db.Persist {
		return "memory"
	}
	if db.Name == "" {
		return DefaultLeaseFile
	}
	return db.Name
}
