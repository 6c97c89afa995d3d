package daemon

import (
	"context"
	"log/slog"
	"net/netip"
	"sync"
	"sync/atomic"
	"time"

	"github.com/leased/leased/config"
	"github.com/leased/leased/control"
	"github.com/leased/leased/lease/pgsql"
)

// pgsqlHooks connect a PostgreSQL lease store to the running process:
// the configuration its pools are read from (the one in force, which a
// reload changes), where a lost connection is reported, and whether
// retry-on-startup applies. Export, import and -T take none of them: they
// report an unreachable database at once.
type pgsqlHooks struct {
	config  func() *config.Config
	onLost  func(error)
	serving bool
}

// pgsqlOptions are the pgsql options lease-database describes, with
// Kea's defaults: host localhost, connect-timeout 5 s. The password comes
// from password-file (its first line) when that is given.
func pgsqlOptions(cfg *config.Config, h pgsqlHooks) (pgsql.Options, error) {
	db := cfg.LeaseDatabase
	o := pgsql.Options{
		Host: db.Host, Port: db.Port, Name: db.Name, User: db.User, Password: db.Password.Reveal(),
		ConnectTimeout: time.Duration(db.ConnectTimeout) * time.Second,
		TCPUserTimeout: time.Duration(db.TCPUserTimeout) * time.Second,
		SSLMode:        db.SSLMode, TrustAnchor: db.TrustAnchor, CertFile: db.CertFile, KeyFile: db.KeyFile,
		OnLost: h.onLost,
	}
	if o.Host == "" {
		o.Host = "localhost"
	}
	if o.ConnectTimeout == 0 {
		o.ConnectTimeout = 5 * time.Second
	}
	if db.PasswordFile != "" {
		var err error
		if o.Password, err = passwordFile("lease-database", db.PasswordFile); err != nil {
			return o, err
		}
	}
	poolsOf := func() *config.Config { return cfg }
	if h.config != nil {
		poolsOf = h.config
	}
	o.PoolID = func(subnetID uint32, a netip.Addr) uint32 { return poolOf(poolsOf(), subnetID, a) }
	return o, nil
}

// poolOf is the pool-id of the pool of subnet subnetID that holds a, 0
// when none does: what schema 13.0 does not store.
func poolOf(cfg *config.Config, subnetID uint32, a netip.Addr) uint32 {
	s := cfg.SubnetByID(subnetID)
	if s == nil {
		return 0
	}
	for _, p := range s.Pools {
		if p.First.Compare(a) <= 0 && a.Compare(p.Last) <= 0 {
			return p.ID
		}
	}
	return 0
}

// openPgsql opens the PostgreSQL lease store of cfg. With retry-on-startup
// and reconnection configured (max-reconnect-tries and
// reconnect-wait-time not 0), a database that cannot be reached is tried
// again as after a lost connection, before the server serves.
func openPgsql(ctx context.Context, cfg *config.Config, log *slog.Logger, h pgsqlHooks) (*pgsql.Store, error) {
	o, err := pgsqlOptions(cfg, h)
	if err != nil {
		return nil, err
	}
	return openRetrying(ctx, log, "lease", cfg.LeaseDatabase, h.serving,
		func() (*pgsql.Store, error) { return pgsql.Open(ctx, o) }, pgsql.ConnectionLost)
}

// openRetrying calls open until it succeeds, fails otherwise than by lost,
// or has been tried again as often as db's retry-on-startup allows: only
// when serving, with reconnection configured (max-reconnect-tries and
// reconnect-wait-time not 0), every reconnect-wait-time. what names the
// database (lease, hosts) in the log.
func openRetrying[S any](ctx context.Context, log *slog.Logger, what string, db config.Database, serving bool,
	open func() (S, error), lost func(error) bool) (S, error) {
	retries := uint32(0)
	if serving && db.RetryOnStartup && db.ReconnectWaitTime > 0 {
		retries = db.MaxReconnectTries
	}
	for try := uint32(0); ; try++ {
		s, err := open()
		if err == nil || !lost(err) || try >= retries {
			return s, err
		}
		wait := time.Duration(db.ReconnectWaitTime) * time.Millisecond
		log.Warn(what+" database unreachable at start; retrying (retry-on-startup)",
			"retry", try+1, "of", retries, "in", wait, "error", err)
		select {
		case <-ctx.Done():
			var none S
			return none, ctx.Err()
		case <-time.After(wait):
		}
	}
}

// dbRecovery is Kea's handling of a lost lease-database connection
// (on-fail, max-reconnect-tries, reconnect-wait-time): with
// stop-retry-exit the DHCP service is disabled (origin "db-connection")
// until the database answers again; the connection is tried every
// reconnect-wait-time, up to max-reconnect-tries times; when the tries
// run out, or there are none (max-reconnect-tries or reconnect-wait-time
// 0, Kea's defaults), stop-retry-exit and serve-retry-exit stop the
// server with exit value 1, and serve-retry-continue serves on. Meanwhile
// no lease is acknowledged that the database did not store: the engine
// withholds the reply of every failed write.
type dbRecovery struct {
	db      config.Database
	ping    func(context.Context) error
	service *serviceState
	log     *slog.Logger
	// origin is the service's disable origin while reconnecting; what
	// names the database in logs, and meanwhile says what is withheld
	// while it cannot be reached (the hosts database has its own:
	// daemon/hostsdb.go).
	origin          int
	what, meanwhile string
	// exit stops the server with exit value 1.
	exit func()

	lost chan error

	mu      sync.Mutex
	outage  error     // the failure that started the recovery under way, nil when none is
	since   time.Time // when it started
	retries uint32    // reconnection tries so far
}

// status is status-get's "lease-store" map for the database: "state"
// "healthy", or "failed" while a lost connection is being recovered, with
// the "error" that started it, "since" (Unix seconds), "seconds" and the
// reconnection "retries" so far.
func (r *dbRecovery) status(now time.Time) map[string]any {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.outage == nil {
		return map[string]any{"state": "healthy"}
	}
	return map[string]any{"state": "failed", "error": r.outage.Error(), "since": r.since.Unix(),
		"seconds": int64(now.Sub(r.since) / time.Second), "retries": r.retries}
}

// setOutage records the recovery under way (err not nil) or its end.
func (r *dbRecovery) setOutage(err error, retries uint32) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if err != nil && r.outage == nil {
		r.since = time.Now()
	}
	r.outage, r.retries = err, retries
}

func newDBRecovery(db config.Database, service *serviceState, log *slog.Logger, exit func()) *dbRecovery {
	return &dbRecovery{db: db, service: service, log: log, exit: exit, lost: make(chan error, 1),
		origin: originDBConnection, what: "lease database", meanwhile: "no lease is acknowledged until the database answers"}
}

// onLost is the store's OnLost: it wakes run, without blocking the DHCP
// path that saw the failure.
func (r *dbRecovery) onLost(err error) {
	select {
	case r.lost <- err:
	default:
	}
}

// run handles lost connections until ctx ends.
func (r *dbRecovery) run(ctx context.Context) {
	for {
		select {
		case <-ctx.Done():
			return
		case err := <-r.lost:
			if !r.recover(ctx, err) {
				return
			}
		}
	}
}

// recover handles one lost connection; it returns false once the server
// is stopping.
func (r *dbRecovery) recover(ctx context.Context, cause error) bool {
	onFail := r.db.OnFail
	stop := onFail == "" || onFail == "stop-retry-exit"
	exitOnFailure := onFail != "serve-retry-continue"
	wait := time.Duration(r.db.ReconnectWaitTime) * time.Millisecond
	tries := r.db.MaxReconnectTries
	if stop {
		r.service.disable(r.origin, 0)
	}
	r.setOutage(cause, 0)
	if tries == 0 || wait == 0 {
		if exitOnFailure {
			r.log.Error(r.what+" connection lost and reconnection is not configured (max-reconnect-tries, reconnect-wait-time); shutting down",
				"on-fail", onFail, "error", cause)
			r.exit()
			return false
		}
		r.log.Error(r.what+" connection lost; serving on (on-fail serve-retry-continue): "+r.meanwhile,
			"error", cause)
		r.setOutage(nil, 0)
		return true
	}
	if stop {
		r.log.Error(r.what+" connection lost; DHCP service disabled while reconnecting", "on-fail", onFail,
			"max-reconnect-tries", tries, "reconnect-wait-time", wait, "error", cause)
	} else {
		r.log.Error(r.what+" connection lost; serving while reconnecting: "+r.meanwhile,
			"on-fail", onFail, "max-reconnect-tries", tries, "reconnect-wait-time", wait, "error", cause)
	}
	var err error
	for try := uint32(1); try <= tries; try++ {
		select {
		case <-ctx.Done():
			return false
		case <-time.After(wait):
		}
		pctx, cancel := context.WithTimeout(ctx, max(time.Duration(r.db.ConnectTimeout)*time.Second, time.Second))
		err = r.ping(pctx)
		cancel()
		if err == nil {
			// Failures seen while reconnecting are of the outage that
			// just ended.
			select {
			case <-r.lost:
			default:
			}
			r.setOutage(nil, 0)
			r.service.enable(r.origin)
			r.log.Info(r.what+" connection recovered; DHCP service resumed", "tries", try)
			return true
		}
		if ctx.Err() != nil {
			return false
		}
		r.setOutage(cause, try)
		r.log.Warn(r.what+" still unreachable", "try", try, "of", tries, "error", err)
	}
	if exitOnFailure {
		r.log.Error(r.what+" unreachable after every reconnection try; shutting down", "on-fail", onFail,
			"max-reconnect-tries", tries, "error", err)
		r.exit()
		return false
	}
	r.setOutage(nil, 0)
	r.service.enable(r.origin)
	r.log.Error(r.what+" unreachable after every reconnection try; serving on (on-fail serve-retry-continue)",
		"max-reconnect-tries", tries, "error", err)
	return true
}

// pgsqlLink is what the running process keeps of a PostgreSQL lease
// store: the configuration in force, whose pools give the leases read
// their pool-id, and the recovery of lost connections.
type pgsqlLink struct {
	cfg atomic.Pointer[config.Config]
	rec *dbRecovery
}

// newPgsqlLink prepares the PostgreSQL store of cfg for the process p.
func newPgsqlLink(p *process, cfg *config.Config, log *slog.Logger) (*pgsqlLink, pgsqlHooks) {
	l := &pgsqlLink{rec: newDBRecovery(cfg.LeaseDatabase, &p.service, log, func() {
		p.onLoop(context.Background(), func() control.Response {
			p.exit, p.quit = 1, true
			return control.OK("")
		})
	})}
	l.cfg.Store(cfg)
	return l, pgsqlHooks{config: l.cfg.Load, onLost: l.rec.onLost, serving: true}
}
