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
	// received on once it is open.
	Listening func(netip.AddrPort)
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

// Main runs Run until SIGTERM or SIGINT and returns the exit code,
// having printed why it failed.
func Main(o Options) int {
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGTERM, syscall.SIGINT)
	defer stop()
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

// Run serves the configuration until ctx is done or the shutdown
// command.
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
	log := lg.Logger(LoggerName)
	for _, d := range diags {
		log.Warn("configuration", "diagnostic", d.String())
	}

	uo := o.Updater
	uo.Logger = log
	u, err := dnsupdate.New(c, nil, uo)
	if err != nil {
		return err
	}
	rcv, err := ncr.Listen(netip.AddrPortFrom(c.IPAddress, c.Port))
	if err != nil {
		return err
	}
	defer rcv.Close()

	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	var n counts
	start := time.Now()
	if len(c.ControlSockets) > 0 {
		srv := control.NewServer(registry(o.BuildInfo, log, u, &n, start, cancel), control.Options{Logger: log})
		if err := srv.Apply(c.ControlSockets); err != nil {
			return fmt.Errorf("control socket: %w", err)
		}
		defer func() {
			sctx, scancel := context.WithTimeout(context.Background(), 5*time.Second)
			defer scancel()
			srv.Shutdown(sctx)
		}()
	}

	var wg sync.WaitGroup
	defer wg.Wait()
	wg.Add(1)
	go func() { defer wg.Done(); u.Run(ctx) }()
	stop := context.AfterFunc(ctx, func() { rcv.Close() })
	defer stop()

	log.Info("leased ddns started", "listen", rcv.Addr(), "forward-domains", len(c.Forward),
		"reverse-domains", len(c.Reverse), "dns-server-timeout-ms", c.DNSServerTimeout)
	if o.Listening != nil {
		o.Listening(rcv.Addr())
	}
	for {
		r, from, err := rcv.Receive()
		switch {
		case errors.Is(err, net.ErrClosed) || ctx.Err() != nil:
			s := u.Stats()
			log.Info("leased ddns stopped", "requests-left", s.Pending)
			return nil
		case errors.Is(err, ncr.ErrInvalid):
			n.invalid.Add(1)
			log.Warn("NameChangeRequest refused", "err", err)
			continue
		case err != nil:
			return err
		}
		n.received.Add(1)
		log.Debug("NameChangeRequest received", "from", from, "request", r.String())
		if err := u.Send(r); err != nil {
			n.errors.Add(1)
		}
	}
}

// registry holds the commands of the control socket.
func registry(info control.BuildInfo, log *slog.Logger, u *dnsupdate.Updater, n *counts, start time.Time, shutdown func()) *control.Registry {
	reg := control.NewRegistry(info, log)
	reg.Register("shutdown", func(context.Context, json.RawMessage) control.Response {
		// Answer first: the socket closes with the process.
		time.AfterFunc(100*time.Millisecond, shutdown)
		return control.OK("Shutting down.")
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
		type entry struct {
			Request   json.RawMessage `json:"request"`
			Running   bool            `json:"running"`
			Tries     int             `json:"unanswered-tries"`
			NotBefore string          `json:"next-try,omitempty"`
		}
		q := u.Queue()
		out := make([]entry, 0, len(q))
		for _, e := range q {
			text, err := e.Request.AppendJSON(nil)
			if err != nil {
				continue
			}
			en := entry{Request: text, Running: e.Running, Tries: e.Tries}
			if !e.NotBefore.IsZero() {
				en.NotBefore = e.NotBefore.UTC().Format(time.RFC3339)
			}
			out = append(out, en)
		}
		if len(out) == 0 {
			return control.Answer(control.Empty, "no DNS updates pending", map[string]any{"requests": out})
		}
		return control.Answer(control.Success, fmt.Sprintf("%d DNS update(s) pending", len(out)), map[string]any{"requests": out})
	})
	return reg
}
