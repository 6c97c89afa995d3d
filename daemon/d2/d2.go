package d2

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/netip"
	"os"
	"os/signal"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/leased/leased/config"
	"github.com/leased/leased/control"
	"github.com/leased/leased/ddns/ncr"
	"github.com/leased/leased/dnsupdate"
	"github.com/leased/leased/logging"
)

// LoggerName is the logger `leased ddns` logs to: kea-dhcp-ddns's root
// logger, so that its loggers entries apply unchanged.
const LoggerName = "kea-dhcp-ddns"

// Options tune Run.
type Options struct {
	// ConfigPath is the file holding the DhcpDdns section.
	ConfigPath string
	// Verbose logs everything at DEBUG level 99, as kea-dhcp-ddns -d.
	Verbose bool
	// JSONLog writes JSON log records instead of text.
	JSONLog        bool
	Stdout, Stderr io.Writer
	BuildInfo      control.BuildInfo
	// Updater tunes the DNS updates (retry waits, the queue bound).
	Updater dnsupdate.Options
	// Listening, when set, is called with the address requests are
	// received on once it is open, and again after a reload opened
	// another.
	Listening func(netip.AddrPort)
	// Reload asks for the configuration file to be read again (SIGHUP).
	Reload <-chan struct{}
}

// Check reads the configuration at path as `kea-dhcp-ddns -t` does and
// writes its diagnostics to w; the error is non-nil when it cannot be
// used.
func Check(path string, w io.Writer) error {
	c, diags, err := config.LoadDdns(path, nil)
	for _, d := range diags {
		fmt.Fprintln(w, d.String())
	}
	if err != nil {
		return err
	}
	// What only building the updater finds (none expected once the
	// loader accepted the section, but the updater has the last word).
	if _, err := dnsupdate.New(c, nil, dnsupdate.Options{}); err != nil {
		return fmt.Errorf("%w: %v", config.ErrInvalid, err)
	}
	return nil
}

// Main runs Run until SIGTERM or SIGINT, reloading on SIGHUP, and
// returns the exit code, having printed why it failed.
func Main(o Options) int {
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGTERM, syscall.SIGINT)
	defer stop()
	hup := make(chan os.Signal, 1)
	signal.Notify(hup, syscall.SIGHUP)
	defer signal.Stop(hup)
	reload := make(chan struct{}, 1)
	go func() {
		for range hup {
			select {
			case reload <- struct{}{}:
			default:
			}
		}
	}()
	o.Reload = reload
	if err := Run(ctx, o); err != nil {
		w := o.Stderr
		if w == nil {
			w = os.Stderr
		}
		fmt.Fprintf(w, "leased ddns: %v\n", err)
		return 1
	}
	return 0
}

// counts are the request counts kea-dhcp-ddns keeps.
type counts struct {
	received, invalid, errors atomic.Uint64
}

// process is one run of leased ddns.
type process struct {
	o       Options
	log     *slog.Logger
	logging *logging.Logging
	u       *dnsupdate.Updater
	ctl     *control.Server // nil without control sockets at start
	n       counts
	start   time.Time
	cancel  func()

	// mu guards the receiver and the configuration in force.
	mu  sync.Mutex
	cfg *config.DhcpDdns
	rcv *ncr.Receiver
	// addr is the configured address rcv was opened on. A reload that
	// fails after moving the receiver leaves cfg as it was, so this,
	// not cfg, says whether the next one must move it.
	addr   netip.AddrPort
	recvWG sync.WaitGroup
}

// Run serves the configuration until ctx is done or the shutdown
// command. A reload (Options.Reload, or the config-reload command)
// reads the file again and applies it, or keeps the running
// configuration when the file is not valid.
func Run(ctx context.Context, o Options) error {
	c, diags, err := config.LoadDdns(o.ConfigPath, nil)
	stderr := o.Stderr
	if stderr == nil {
		stderr = os.Stderr
	}
	if err != nil {
		for _, d := range diags {
			fmt.Fprintln(stderr, d.String())
		}
		return fmt.Errorf("%s: %w", o.ConfigPath, err)
	}
	lg, err := logging.New(c.Loggers, logging.Options{JSON: o.JSONLog, Stdout: o.Stdout, Stderr: o.Stderr,
		Verbose: o.Verbose, Tag: "leased-ddns"})
	if err != nil {
		return fmt.Errorf("loggers: %w", err)
	}
	defer lg.Close()
	p := &process{o: o, logging: lg, log: lg.Logger(LoggerName), cfg: c, start: time.Now()}
	for _, d := range diags {
		p.log.Warn("configuration", "diagnostic", d.String())
	}

	uo := o.Updater
	uo.Logger = p.log
	if p.u, err = dnsupdate.New(c, nil, uo); err != nil {
		return err
	}
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	p.cancel = cancel
	reload := make(chan chan error)
	p.ctl = control.NewServer(p.registry(reload), control.Options{Logger: p.log})
	if err := p.ctl.Apply(c.ControlSockets); err != nil {
		return fmt.Errorf("control socket: %w", err)
	}
	defer func() {
		sctx, scancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer scancel()
		p.ctl.Shutdown(sctx)
	}()
	if err := p.listen(netip.AddrPortFrom(c.IPAddress, c.Port)); err != nil {
		return err
	}
	defer p.recvWG.Wait()
	defer p.closeReceiver()

	var wg sync.WaitGroup
	defer wg.Wait()
	wg.Add(1)
	go func() { defer wg.Done(); p.u.Run(ctx) }()

	p.log.Info("leased ddns started", "listen", p.rcv.Addr(), "forward-domains", len(c.Forward),
		"reverse-domains", len(c.Reverse), "dns-server-timeout-ms", c.DNSServerTimeout)
	for {
		select {
		case <-ctx.Done():
			p.log.Info("leased ddns stopped", "requests-left", p.u.Stats().Pending)
			return nil
		case <-o.Reload:
			if err := p.reload(); err != nil {
				p.log.Error("configuration not reloaded; the running one is kept", "err", err)
			}
		case done := <-reload:
			done <- p.reload()
		}
	}
}

// listen opens the receiver on addr and starts reading from it, then
// closes the receiver it replaces.
func (p *process) listen(addr netip.AddrPort) error {
	rcv, err := ncr.Listen(addr)
	if err != nil {
		return err
	}
	p.mu.Lock()
	old := p.rcv
	p.rcv, p.addr = rcv, addr
	p.mu.Unlock()
	if old != nil {
		old.Close()
	}
	p.recvWG.Add(1)
	go func() { defer p.recvWG.Done(); p.receive(rcv) }()
	if p.o.Listening != nil {
		p.o.Listening(rcv.Addr())
	}
	return nil
}

func (p *process) closeReceiver() {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.rcv != nil {
		p.rcv.Close()
	}
}

// receive hands the requests read from rcv to the updater until rcv is
// closed.
func (p *process) receive(rcv *ncr.Receiver) {
	for {
		r, from, err := rcv.Receive()
		switch {
		case errors.Is(err, net.ErrClosed):
			return
		case errors.Is(err, ncr.ErrInvalid):
			p.n.invalid.Add(1)
			p.log.Warn("NameChangeRequest refused", "err", err)
			continue
		case err != nil:
			p.log.Error("NameChangeRequest receiver", "err", err)
			time.Sleep(100 * time.Millisecond)
			continue
		}
		p.n.received.Add(1)
		p.log.Debug("NameChangeRequest received", "from", from, "request", r.String())
		if err := p.u.Send(r); err != nil {
			p.n.errors.Add(1)
		}
	}
}

// reload reads the configuration file again and applies it, in this
// order: the receiver's address, DNS domains and keys, control sockets,
// loggers. Nothing changes when the file is not valid; a part that
// cannot be applied (a control socket whose port is taken) ends the
// reload with the parts before it applied.
func (p *process) reload() error {
	c, diags, err := config.LoadDdns(p.o.ConfigPath, nil)
	if err != nil {
		for _, d := range diags {
			p.log.Error("configuration", "diagnostic", d.String())
		}
		return fmt.Errorf("%s: %w", p.o.ConfigPath, err)
	}
	p.mu.Lock()
	current := p.addr
	p.mu.Unlock()
	addr := netip.AddrPortFrom(c.IPAddress, c.Port)
	if addr != current {
		if err := p.listen(addr); err != nil {
			return err
		}
	}
	if err := p.u.Reconfigure(c); err != nil {
		return err
	}
	if err := p.ctl.Apply(c.ControlSockets); err != nil {
		return fmt.Errorf("control socket: %w", err)
	}
	if err := p.logging.Apply(c.Loggers); err != nil {
		return fmt.Errorf("loggers: %w", err)
	}
	p.mu.Lock()
	p.cfg = c
	p.mu.Unlock()
	p.log.Info("configuration reloaded", "file", p.o.ConfigPath, "listen", addr)
	return nil
}

// registry holds the commands of the control socket.
func (p *process) registry(reload chan chan error) *control.Registry {
	u, n, start, log := p.u, &p.n, p.start, p.log
	reg := control.NewRegistry(p.o.BuildInfo, log)
	reg.Register("shutdown", func(context.Context, json.RawMessage) control.Response {
		// Run then returns, and its control server's Shutdown waits for
		// this answer to be written before it closes the connection.
		p.cancel()
		return control.OK("Shutting down.")
	})
	reg.Register("config-reload", func(ctx context.Context, _ json.RawMessage) control.Response {
		done := make(chan error, 1)
		select {
		case reload <- done:
		case <-ctx.Done():
			return control.Errorf("not reloaded: %v", ctx.Err())
		}
		select {
		case err := <-done:
			if err != nil {
				return control.Errorf("configuration not reloaded; the running one is kept: %v", err)
			}
			return control.OK("Configuration successfully reloaded.")
		case <-ctx.Done():
			return control.Errorf("not reloaded: %v", ctx.Err())
		}
	})
	reg.Register("status-get", func(context.Context, json.RawMessage) control.Response {
		s := u.Stats()
		return control.OKWith(map[string]any{
			"pid":    os.Getpid(),
			"uptime": int64(time.Since(start).Seconds()),
			"queue":  map[string]int{"pending": s.Pending, "running": s.Running},
		})
	})
	reg.Register("statistic-get-all", func(context.Context, json.RawMessage) control.Response {
		s := u.Stats()
		now := time.Now().UTC().Format("2006-01-02 15:04:05.000000")
		out := map[string]any{}
		for name, v := range map[string]uint64{
			"ncr-received": n.received.Load(), "ncr-invalid": n.invalid.Load(), "ncr-error": n.errors.Load(),
			"update-sent": s.UpdateSent, "update-signed": s.UpdateSigned, "update-unsigned": s.UpdateUnsigned,
			"update-success": s.UpdateSuccess, "update-timeout": s.UpdateTimeout, "update-error": s.UpdateError,
			"transaction-completed": s.Completed, "transaction-failed": s.Failed, "transaction-retried": s.Retried,
			"queue-pending": uint64(s.Pending),
		} {
			out[name] = [][]any{{v, now}}
		}
		return control.OKWith(out)
	})
	reg.Register("ddns-queue-get", func(context.Context, json.RawMessage) control.Response {
		return dnsupdate.QueueAnswer(u.Queue())
	})
	return reg
}
