package daemon

import (
	"fmt"
	"log/slog"
	"net/netip"
	"sync"
	"sync/atomic"
	"time"

	"github.com/leased/leased/config"
	"github.com/leased/leased/ddns/ncr"
	"github.com/leased/leased/engine"
	"github.com/leased/leased/lease"
	"github.com/leased/leased/stats"
)

// ncrService sends the DNS updates leases owe to kea-dhcp-ddns (dhcp-ddns
// enable-updates): it is the engine's engine.NameChanges, turns each
// lease change into NameChangeRequests on Kea's events (ncr.ForChange)
// with the DDNS parameters of the lease's subnet and pool, and queues
// them on an ncr.Sender; or, when the configuration holds a DhcpDdns
// section beside Dhcp4, on leased's own updater (inProcessDNS), which
// makes the updates itself.
//
// Beyond Kea, requests owed survive a restart: they are written to a
// journal next to the lease file (ncr.Journal) before the change is
// acknowledged (and synced to disk right after, off the reply path), and
// those not yet sent at a crash or shutdown are sent after the next
// start. A journal rather than the lease's user context:
// a removal is owed for a lease that may be gone from the store
// (released, reclaimed and deleted), the lease store's write path stays
// as it is, a sent request is forgotten without writing the lease again,
// and no leased-private state appears in leases a Kea peer reads.
type ncrService struct {
	log  *slog.Logger
	path string // the journal; "" for none (a PostgreSQL lease store)
	cfg  atomic.Pointer[config.Config]

	sent, failed, queued *stats.Counter

	mu     sync.Mutex // guards the sender, its connectivity and the journal
	conn   config.DHCPDDNS
	sender nameSender
	// inProcess says the sender is leased's own updater (a DhcpDdns
	// section beside Dhcp4), not kea-dhcp-ddns.
	inProcess bool
	journal   *ncr.Journal
	// base holds the counts of the senders closed by reconnections (and
	// of requests no sender took), so that the statistics keep them.
	base ncr.SenderStats
	// sendErrLogged is when a failed Send was last logged; sendErrs
	// counts the failed Sends since.
	sendErrLogged time.Time
	sendErrs      int

	stop chan struct{}
	done chan struct{}
}

// Statistics of the requests sent to kea-dhcp-ddns (kea-dhcp4 has none
// of its own for them).
const (
	statNCRSent   = "ncr-sent"
	statNCRFailed = "ncr-send-failed"
	statNCRQueued = "ncr-queued"
)

// ncrJournalFor returns where the requests owed for cfg's leases are
// kept: beside the lease file, with ".ncr" added to its name. A
// PostgreSQL lease store has no file beside which to keep them; its
// requests are not kept across restarts (as in Kea).
func ncrJournalFor(cfg *config.Config, log *slog.Logger) string {
	if isSQL(cfg.LeaseDatabase) {
		if cfg.DHCPDDNS.EnableUpdates {
			log.Warn("DNS updates queued at a restart are lost with a lease store in a database (no file to keep them in)")
		}
		return ""
	}
	opts, err := storeOptions(cfg, log)
	if err != nil {
		return ""
	}
	return opts.Path + ".ncr"
}

// newNCRService starts sending per cfg's dhcp-ddns (nothing while
// enable-updates is false) with the journal at path ("" for none).
func newNCRService(cfg *config.Config, path string, st *stats.Manager, log *slog.Logger) (*ncrService, error) {
	s := &ncrService{log: log, path: path, stop: make(chan struct{}), done: make(chan struct{})}
	var err error
	for _, c := range []struct {
		name string
		dst  **stats.Counter
	}{{statNCRSent, &s.sent}, {statNCRFailed, &s.failed}, {statNCRQueued, &s.queued}} {
		if *c.dst, err = st.Counter(c.name); err != nil {
			return nil, fmt.Errorf("statistic %s: %w", c.name, err)
		}
	}
	s.cfg.Store(cfg)
	if err := s.connect(cfg); err != nil {
		return nil, err
	}
	go s.count()
	return s, nil
}

// connect opens the sender for cfg's dhcp-ddns when updates are
// enabled, with the requests the journal still holds: leased's own
// updater when cfg has a DhcpDdns section, else a sender to
// kea-dhcp-ddns. The caller holds mu or owns s.
func (s *ncrService) connect(cfg *config.Config) error {
	d := cfg.DHCPDDNS
	s.conn, s.inProcess = d, cfg.DhcpDdns != nil
	if !d.EnableUpdates {
		return nil
	}
	var pending []ncr.Request
	if s.path != "" {
		j, p, err := ncr.OpenJournal(s.path)
		if err != nil {
			return fmt.Errorf("dhcp-ddns: %w", err)
		}
		s.journal, pending = j, p
	}
	if s.inProcess {
		ip, err := startInProcessDNS(cfg.DhcpDdns, d.MaxQueueSize, s.journal, pending, s.log)
		if err != nil {
			if s.journal != nil {
				s.journal.Close()
				s.journal = nil
			}
			return err
		}
		s.sender = ip
		s.log.Info("making DNS updates in process (DhcpDdns)", "forward-domains", len(cfg.DhcpDdns.Forward),
			"reverse-domains", len(cfg.DhcpDdns.Reverse), "owed-from-before", len(pending))
		return nil
	}
	local := netip.AddrPortFrom(d.SenderIP, d.SenderPort)
	snd, err := ncr.NewSender(ncr.SenderConfig{
		Server: netip.AddrPortFrom(d.ServerIP, d.ServerPort), Local: local,
		MaxQueue: int(d.MaxQueueSize), Journal: s.journal, Logger: s.log,
	}, pending)
	if err != nil {
		if s.journal != nil {
			s.journal.Close()
			s.journal = nil
		}
		return fmt.Errorf("dhcp-ddns: %w", err)
	}
	s.sender = snd
	if len(pending) > 0 {
		s.log.Info("sending DNS updates owed from before the restart", "requests", len(pending), "journal", s.path)
	}
	s.log.Info("sending DNS updates to kea-dhcp-ddns", "server", netip.AddrPortFrom(d.ServerIP, d.ServerPort), "from", snd.LocalAddr())
	return nil
}

// disconnect closes the sender and the journal, keeping the sender's
// counts. The caller holds mu.
func (s *ncrService) disconnect() {
	if s.sender != nil {
		st := s.sender.Stats()
		s.base.Sent += st.Sent
		s.base.Failed += st.Failed
		s.sender.Close()
		s.sender = nil
	}
	if s.journal != nil {
		s.journal.Close()
		s.journal = nil
	}
}

// apply takes a new configuration: its DDNS parameters at once, its
// connectivity by reopening the sender when it changed (what is queued
// stays in the journal and is sent by the new one).
func (s *ncrService) apply(cfg *config.Config) error {
	s.cfg.Store(cfg)
	s.mu.Lock()
	defer s.mu.Unlock()
	if cfg.DHCPDDNS == s.conn && (cfg.DhcpDdns != nil) == s.inProcess {
		if ip, ok := s.sender.(*inProcessDNS); ok {
			// The updater takes its new domains, servers and keys
			// without losing what it holds.
			return ip.u.Reconfigure(cfg.DhcpDdns)
		}
		return nil
	}
	s.disconnect()
	return s.connect(cfg)
}

// NameChanges is engine.NameChanges: it queues the requests of changes,
// written to the journal before it returns (synced in the background).
func (s *ncrService) NameChanges(changes []engine.Change) {
	cfg := s.cfg.Load()
	if !cfg.DHCPDDNS.EnableUpdates {
		return
	}
	var reqs []ncr.Request
	scope := func(l *lease.Lease) ncr.Scope { return ncrScope(cfg, l) }
	for _, c := range changes {
		var errs []error
		reqs, errs = ncr.ForChange(reqs, c.Old, c.New, scope)
		for _, err := range errs {
			s.log.Error("DNS update not requested", "error", err)
		}
	}
	if len(reqs) == 0 {
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.sender == nil {
		s.log.Error("DNS updates not sent: no connection to kea-dhcp-ddns", "requests", len(reqs))
		s.base.Failed += uint64(len(reqs))
		return
	}
	if err := s.sender.Send(reqs...); err != nil {
		// This is the DHCP reply path, and while DNS is slower than
		// DHCP every call finds the queue full: one line a second, with
		// the calls that failed since (the statistics count each
		// request).
		s.sendErrs++
		if now := time.Now(); now.Sub(s.sendErrLogged) >= sendErrLogEvery {
			s.log.Error("DNS updates not queued", "error", err, "failed-calls-since-last-report", s.sendErrs)
			s.sendErrLogged, s.sendErrs = now, 0
		}
	}
}

// sendErrLogEvery is how often at most NameChanges logs that requests
// were not queued.
const sendErrLogEvery = time.Second

// ncrScope returns the DDNS parameters of l's subnet, or of its pool
// when the pool sets its own.
func ncrScope(cfg *config.Config, l *lease.Lease) ncr.Scope {
	sn := cfg.SubnetByID(l.SubnetID)
	if sn == nil {
		sn = cfg.SubnetContaining(l.Addr)
	}
	if sn == nil || sn.Params.DDNS == nil {
		return ncr.Scope{}
	}
	d := sn.Params.DDNS
	for _, p := range sn.Pools {
		if p.Contains(l.Addr) && p.DDNS != nil {
			d = p.DDNS
			break
		}
	}
	mode, err := ncr.ParseMode(d.ConflictResolutionMode)
	if err != nil {
		mode = ncr.CheckWithDHCID // the configuration checked it
	}
	return ncr.Scope{
		UpdateOnRenew: d.UpdateOnRenew,
		TTL:           ncr.TTLParams{Percent: d.TTLPercent, TTL: d.TTL, Min: d.TTLMin, Max: d.TTLMax},
		Mode:          mode,
	}
}

// Stats returns the counts of every sender so far and the requests
// queued now.
func (s *ncrService) Stats() ncr.SenderStats {
	s.mu.Lock()
	defer s.mu.Unlock()
	st := s.base
	if s.sender != nil {
		cur := s.sender.Stats()
		st.Sent += cur.Sent
		st.Failed += cur.Failed
		st.Queued = cur.Queued
	}
	return st
}

// count copies the counts into the statistics every second until close.
func (s *ncrService) count() {
	defer close(s.done)
	tick := time.NewTicker(time.Second)
	defer tick.Stop()
	for {
		s.publish()
		select {
		case <-s.stop:
			s.publish()
			return
		case <-tick.C:
		}
	}
}

func (s *ncrService) publish() {
	st := s.Stats()
	s.sent.Set(int64(st.Sent))
	s.failed.Set(int64(st.Failed))
	s.queued.Set(int64(st.Queued))
}

// close stops sending; what is still queued stays in the journal.
func (s *ncrService) close() error {
	close(s.stop)
	<-s.done
	s.mu.Lock()
	defer s.mu.Unlock()
	s.disconnect()
	return nil
}

var _ engine.NameChanges = (*ncrService)(nil)
