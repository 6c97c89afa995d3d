package daemon

import (
	"context"
	"encoding/json"
	"errors"
	"time"

	"github.com/leased/leased/control"
	"github.com/leased/leased/ha"
)

// The operator's HA commands that make this server talk to its partner:
// ha-maintenance-start, ha-maintenance-cancel and ha-sync. Each checks
// the state first, talks to the partner without holding the machine's
// lock, then gives the machine the outcome.

func (s *haService) cmdMaintenanceStart(ctx context.Context, raw json.RawMessage) control.Response {
	name, err := ha.DecodeServerName(ha.CmdMaintenanceStart, raw)
	if err == nil {
		err = s.checkServerName(name)
	}
	if err != nil {
		return control.Errorf("%v", err)
	}
	var state ha.State
	s.mu.Lock()
	err = s.m.CanStartMaintenance()
	state = s.m.State()
	s.mu.Unlock()
	if err != nil {
		return control.Errorf("Unable to transition to the partner-in-maintenance state: %v", err)
	}
	c := s.partnerClient()
	if c == nil {
		return control.Errorf("this server has no partner to put in maintenance")
	}
	xctx, done := s.exchangeCtx(ctx)
	r, err := c.MaintenanceNotify(xctx, false, s.rel.ThisServerName, state)
	done()
	exchangeOK, result := err == nil, r.Result
	var ae *ha.AnswerError
	if errors.As(err, &ae) {
		// The partner answered: its verdict decides (1001: it cannot go
		// in-maintenance; 1: treated as unreachable, as Kea does).
		exchangeOK = ae.Result == ha.MaintenanceNotAllowed
		result = ae.Result
	}
	if err != nil {
		s.log.Warn("high availability: ha-maintenance-notify to the partner failed", "peer", c.Peer().Name, "error", err)
	}
	var startErr error
	s.do(func(now time.Time) control.Response {
		startErr = s.m.MaintenanceStarted(now, exchangeOK, result)
		return control.Response{}
	})
	switch {
	case startErr != nil:
		return control.Errorf("Unable to transition the partner to the in-maintenance state: %v (%s)", startErr, r.Text)
	case !exchangeOK || result != control.Success:
		return control.OK("Server is now in the partner-down state as its partner appears to be offline for maintenance.")
	}
	return control.OK("Server is now in the partner-in-maintenance state and its partner is in-maintenance state. The partner can be now safely shut down.")
}

func (s *haService) cmdMaintenanceCancel(ctx context.Context, raw json.RawMessage) control.Response {
	name, err := ha.DecodeServerName(ha.CmdMaintenanceCancel, raw)
	if err == nil {
		err = s.checkServerName(name)
	}
	if err != nil {
		return control.Errorf("%v", err)
	}
	s.mu.Lock()
	state := s.m.State()
	s.mu.Unlock()
	if state != ha.StatePartnerInMaintenance {
		return control.Errorf("Unable to cancel maintenance request because the server is not in the partner-in-maintenance state.")
	}
	c := s.partnerClient()
	if c == nil {
		return control.Errorf("this server has no partner")
	}
	xctx, done := s.exchangeCtx(ctx)
	r, err := c.MaintenanceNotify(xctx, true, s.rel.ThisServerName, state)
	done()
	if err != nil {
		return control.Errorf("Unable to cancel maintenance. The partner server responded with the following message to the ha-maintenance-notify command: %s (%v)", r.Text, err)
	}
	var cancelErr error
	s.do(func(now time.Time) control.Response {
		cancelErr = s.m.MaintenanceCancel(now)
		if cancelErr == nil {
			s.epoch++
		}
		return control.Response{}
	})
	if cancelErr != nil {
		return control.Errorf("%v", cancelErr)
	}
	return control.OK("Server maintenance successfully canceled.")
}

// cmdSync is ha-sync: fetch the leases of the named peer now, as the
// syncing state does, with the peer's service disabled for max-period
// seconds at most (else sync-timeout) before each page, and this
// server's own service off until the sync ends.
func (s *haService) cmdSync(ctx context.Context, raw json.RawMessage) control.Response {
	a, err := ha.DecodeSync(raw)
	if err != nil {
		return control.Errorf("%v", err)
	}
	if a.ServerName == s.rel.ThisServerName {
		return control.Errorf("ha-sync: %q is this server; name the peer to fetch leases from", a.ServerName)
	}
	c := s.clients[a.ServerName]
	if c == nil {
		return control.Errorf("ha-sync: %q is not a peer of this server's relationship", a.ServerName)
	}
	maxPeriod := s.rel.SyncTimeout
	if a.MaxPeriod > 0 {
		maxPeriod = time.Duration(a.MaxPeriod) * time.Second
	}
	xctx, done := s.exchangeCtx(ctx)
	defer done()
	// This server answers no client while the partner's leases come in,
	// as Kea, which runs the sync in the command's handler, does not.
	s.do(func(time.Time) control.Response {
		s.m.OperatorSyncStarted()
		return control.Response{}
	})
	defer s.do(func(time.Time) control.Response {
		s.m.OperatorSyncEnded()
		return control.Response{}
	})
	if err := s.syncLeases(xctx, c, maxPeriod); err != nil {
		return control.Errorf("Lease database synchronization failed: %v", err)
	}
	return control.OK("Lease database synchronization complete.")
}

// exchangeCtx is the context of an exchange a command starts: it ends
// with the command's and with the service. Call done when the exchange
// is over.
func (s *haService) exchangeCtx(ctx context.Context) (_ context.Context, done func()) {
	if s.ctx == nil {
		return ctx, func() {}
	}
	ctx, cancel := context.WithCancel(ctx)
	stop := context.AfterFunc(s.ctx, cancel)
	return ctx, func() { stop(); cancel() }
}
