package daemon

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"

	"github.com/leased/leased/control"
	"github.com/leased/leased/dhcpserver"
	"github.com/leased/leased/dhcpv4"
	"github.com/leased/leased/engine"
	"github.com/leased/leased/ha"
	"github.com/leased/leased/stats"
)

// haService is this server's side of a high-availability relationship
// (package ha): the state machine, fed by the commands the partner sends
// on the control listener and by the driver (ha_driver.go), which sends
// heartbeats, runs the machine's timer and tasks (lease sync, the
// backlog of communication-recovery, ha-reset), and the replicator
// (ha_replicate.go), which sends each client's lease changes to the
// partner before its ACK leaves; and the gate through which the
// machine's decisions reach the packet path.
type haService struct {
	rel *ha.Relationship
	d   ha.Dialect
	log *slog.Logger

	mu sync.Mutex
	m  *ha.Machine
	// backlog is the lease changes queued for the partner in
	// communication-recovery, in order; emptied when the machine leaves
	// that state.
	backlog []haChange
	// epoch counts maintenance cancels: a heartbeat answer sent for
	// before one tells a partner state that both servers have just left,
	// and is dropped rather than followed back into maintenance.
	epoch uint64
	// parked counts the replies waiting for the peers' answers to their
	// lease updates (Kea's parked packets), of every relationship.
	parked *atomic.Int64
	// idx is the relationship's place in the configuration (from 0).
	idx int
	// clock is the machine's clock; nil is time.Now (Options.HAClock).
	clock func() time.Time
	// owns, when set, says which subnets' leases belong to the
	// relationship (several relationships): a sync takes only those.
	owns func(subnetID uint32) bool
	// parkLimit is parked-packet-limit (0: none): a reply that would
	// wait while this many do is dropped, counted in queueFull.
	parkLimit atomic.Uint32
	queueFull *stats.Counter
	// slotWait bounds how long a lease update waits for one of its
	// peer's slots (0: ha.DefaultRequestTimeout).
	slotWait time.Duration

	gate *haGate

	// Set by start.
	leases  haLeases
	clients map[string]*ha.Client // every peer but this server, by name
	ctx     context.Context       // ends with stop
	cancel  context.CancelFunc
	wake    chan struct{}
	slots   map[string]chan struct{} // per peer: its requests under way (haInFlight)
	life    sync.Mutex               // orders goroutine starts before stop's wait
	stopped bool
	wg      sync.WaitGroup // the driver and the exchanges it and the replicator started
	syncMu  sync.Mutex     // one lease sync at a time
}

// haGate is what the packet path reads of the state machine, without its
// lock: whether the service runs, and which scopes this server answers.
type haGate struct {
	rel    *ha.Relationship
	off    atomic.Bool
	served atomic.Pointer[map[string]bool]
	// watch says the partner is unavailable: a query of its scope goes to
	// analyze (the machine's failure detection: unacked clients).
	watch   atomic.Bool
	analyze func(ha.Query)
	// classes are the HA_<scope> class names, by scope, made once.
	classes map[string]string
}

// addClasses gives a query the class of the scope it belongs to
// (HA_<server>), whether or not this server answers it, as Kea's HA hook
// does before classification: pools split between the servers of a
// load-balancing pair are guarded by these classes, and a server that
// took over its partner's scope serves its clients from the partner's
// pools. It is the engine's Options.Classes.
func (g *haGate) addClasses(r *dhcpserver.Request, c engine.ClassAdder) {
	if scope, ok := g.rel.Select(r.Packet); ok {
		c.AddClass(g.classes[scope])
	}
}

// admits reports whether this server answers the query now: the machine
// has the service on, and the query belongs to a scope it serves (the
// load-balancing split, or the primary's scope in the other modes). A
// query HA cannot place (no client identifier, no hardware address) is
// dropped, as Kea drops it.
func (g *haGate) admits(p *dhcpv4.Packet) bool {
	if g.off.Load() {
		return false
	}
	scope, ok := g.rel.Select(p)
	if ok && (*g.served.Load())[scope] {
		return true
	}
	if ok && g.watch.Load() && g.analyze != nil {
		g.analyze(ha.Query{HWAddr: p.CHAddr(), ClientID: p.ClientID(), Secs: p.Secs()})
	}
	return false
}

// now reads the service's clock.
func (s *haService) now() time.Time {
	if s.clock != nil {
		return s.clock()
	}
	return time.Now()
}

// haHealHeartbeats is how many heartbeats in a row must find the clocks
// close again before a server terminated by clock skew leaves that state
// by itself (ha.Machine.SetHealing): enough that one lucky answer does
// not end it, few enough that the pair is back within seconds of the
// clocks being corrected.
const haHealHeartbeats = 3

// newHAService starts the state machine of cfg's relationship, in
// waiting: cfg must have exactly one (newHASet takes several).
func newHAService(cfg *ha.Config, log *slog.Logger, now time.Time) (*haService, error) {
	if len(cfg.Relationships) != 1 {
		return nil, fmt.Errorf("high-availability: %d relationships where one was expected", len(cfg.Relationships))
	}
	for _, p := range cfg.Ignored {
		log.Warn("high-availability parameter unknown to Kea, ignored", "parameter", p)
	}
	return newHARelationship(cfg.Relationships[0], cfg.Dialect, 0, new(atomic.Int64), log, now), nil
}

// newHARelationship starts the state machine of rel, the idx-th
// relationship (from 0) of this server, in waiting; parked counts the
// replies waiting for the peers of every relationship.
func newHARelationship(rel *ha.Relationship, d ha.Dialect, idx int, parked *atomic.Int64, log *slog.Logger, now time.Time) *haService {
	s := &haService{rel: rel, d: d, idx: idx, parked: parked, log: log, m: ha.NewMachine(rel, d, now),
		gate: &haGate{rel: rel, classes: make(map[string]string)}}
	s.gate.analyze = s.analyze
	for _, p := range rel.Peers {
		s.gate.classes[p.Name] = ha.ScopeClass(p.Name)
	}
	s.m.SetHealing(haHealHeartbeats)
	s.mu.Lock()
	s.sync(now)
	s.mu.Unlock()
	log.Info("high availability", "this-server", rel.ThisServerName, "mode", rel.Mode.String(),
		"role", rel.This().Role.String(), "state", s.m.State().String(), "dialect", d.String())
	return s
}

// sync logs what the machine did and publishes its decisions to the
// packet path. s.mu is held.
func (s *haService) sync(now time.Time) {
	for _, e := range s.m.Events() {
		s.log.Info("high availability: "+e.Text, "event", e.Kind, "state", s.m.State().String())
	}
	// The lookup changes with the scopes only: every group commit and
	// every heartbeat comes here, and they mostly leave them as they are.
	if cur := s.gate.served.Load(); cur == nil || !s.m.ServesExactly(*cur) {
		served := make(map[string]bool)
		for _, n := range s.m.Scopes() {
			served[n] = true
		}
		s.gate.served.Store(&served)
	}
	s.gate.off.Store(!s.m.DHCPEnabled(now))
	// Failure detection watches the partner's clients only once an
	// exchange failed; until then the packet path takes no lock.
	s.gate.watch.Store(s.m.PartnerState() == ha.StateUnavailable)
	if s.m.State() != ha.StateCommunicationRecovery {
		s.backlog = nil
	}
	if s.m.Pending() != ha.TaskNone && s.wake != nil {
		s.poke()
	}
}

// do runs fn on the machine under the lock, then syncs.
func (s *haService) do(fn func(now time.Time) control.Response) control.Response {
	now := s.now()
	s.mu.Lock()
	defer s.mu.Unlock()
	r := fn(now)
	s.sync(now)
	return r
}

// step runs the machine's handler as time passes (a partner's
// dhcp-disable ends with its max-period).
func (s *haService) step() {
	s.do(func(now time.Time) control.Response {
		s.m.Step(now)
		return control.Response{}
	})
}

// analyze feeds a query of the partner's scope to failure detection.
func (s *haService) analyze(q ha.Query) {
	s.do(func(now time.Time) control.Response {
		s.m.Analyze(now, q)
		return control.Response{}
	})
}

// partnerDisable and partnerEnable carry out a dhcp-disable or
// dhcp-enable with origin "ha-partner": the machine's network state,
// not the operator's.
func (s *haService) partnerDisable(maxPeriod time.Duration) {
	s.do(func(now time.Time) control.Response {
		s.m.PartnerDisable(now, maxPeriod)
		return control.Response{}
	})
}

func (s *haService) partnerEnable() {
	s.do(func(time.Time) control.Response {
		s.m.PartnerEnable()
		return control.Response{}
	})
}

// fromHAPartner reads a dhcp-disable or dhcp-enable that comes from the
// HA partner (origin "ha-partner", or Kea 3.x's numeric HA origins),
// whose network state the state machine tracks apart from the
// operator's. ok is false without HA and for any other command, which
// the operator's dhcp-disable and dhcp-enable answer as before.
func (p *process) fromHAPartner(command string, raw json.RawMessage) (ns ha.NetworkState, ok bool) {
	if p.ha == nil {
		return ns, false
	}
	ns, err := ha.DecodeNetworkState(command, raw)
	return ns, err == nil && ns.FromPartner
}

// status is the "high-availability" list of status-get.
func (s *haService) status() []ha.Status {
	now := s.now()
	s.mu.Lock()
	defer s.mu.Unlock()
	st := s.m.Status(now)
	local := &st.Servers.Local
	if local.Reason == "" && s.m.PartnerState() == ha.StateUnavailable && s.rel.Partner() != nil {
		// The machine has nothing to say of a normal state; what the
		// operator needs to know is that the partner stopped answering.
		local.Reason = fmt.Sprintf("%s does not answer; lease updates to it fail, so a client whose lease it must store gets no reply, until it answers again or this server goes partner-down", s.rel.Partner().Name)
	}
	if s.m.OperatorSyncing() {
		if local.Reason != "" {
			local.Reason += "; "
		}
		local.Reason += "an operator's ha-sync is fetching the partner's leases: no client is answered until it ends"
	}
	if n := s.parked.Load(); n > 0 {
		if local.Reason != "" {
			local.Reason += "; "
		}
		local.Reason += fmt.Sprintf("%d client replies wait for their lease updates to be acknowledged", n)
	}
	return []ha.Status{st}
}

// commands are the HA commands a partner (and an operator) sends to this
// server. lease4-update, lease4-del and lease4-get-page are the lease
// commands every server has, and dhcp-disable and dhcp-enable pass the
// "ha-partner" origin to the machine.
func (s *haService) commands() map[string]control.Handler {
	return map[string]control.Handler{
		ha.CmdHeartbeat:          s.cmdHeartbeat,
		ha.CmdSyncCompleteNotify: s.cmdSyncCompleteNotify,
		ha.CmdReset:              s.cmdReset,
		ha.CmdContinue:           s.cmdContinue,
		ha.CmdScopes:             s.cmdScopes,
		ha.CmdMaintenanceNotify:  s.cmdMaintenanceNotify,
		ha.CmdMaintenanceStart:   s.cmdMaintenanceStart,
		ha.CmdMaintenanceCancel:  s.cmdMaintenanceCancel,
		ha.CmdSync:               s.cmdSync,
	}
}

// checkServerName refuses a server-name (Kea 3.x's, naming the
// relationship) that is no peer of this server's relationship.
func (s *haService) checkServerName(name string) error {
	if name != "" && s.rel.Peer(name) == nil {
		return fmt.Errorf("server-name %q is not a server of this relationship (this server is %s)", name, s.rel.ThisServerName)
	}
	return nil
}

func (s *haService) cmdHeartbeat(_ context.Context, raw json.RawMessage) control.Response {
	name, err := ha.DecodeServerName(ha.CmdHeartbeat, raw)
	if err == nil {
		err = s.checkServerName(name)
	}
	if err != nil {
		return control.Errorf("%v", err)
	}
	return s.do(func(now time.Time) control.Response {
		return ha.HeartbeatResponse(s.m.State(), now, s.m.Scopes(), s.m.UnsentUpdates())
	})
}

func (s *haService) cmdSyncCompleteNotify(_ context.Context, raw json.RawMessage) control.Response {
	name, _, err := ha.DecodeSyncComplete(raw)
	if err == nil {
		err = s.checkServerName(name)
	}
	if err != nil {
		return control.Errorf("%v", err)
	}
	return s.do(func(time.Time) control.Response {
		s.m.SyncCompleteNotify()
		return ha.SyncCompleteResponse()
	})
}

func (s *haService) cmdReset(_ context.Context, raw json.RawMessage) control.Response {
	name, err := ha.DecodeServerName(ha.CmdReset, raw)
	if err == nil {
		err = s.checkServerName(name)
	}
	if err != nil {
		return control.Errorf("%v", err)
	}
	return s.do(func(now time.Time) control.Response {
		if !s.m.Reset(now) {
			return control.OK("HA state machine already in WAITING state.")
		}
		return control.OK("HA state machine reset.")
	})
}

func (s *haService) cmdContinue(_ context.Context, raw json.RawMessage) control.Response {
	name, err := ha.DecodeServerName(ha.CmdContinue, raw)
	if err == nil {
		err = s.checkServerName(name)
	}
	if err != nil {
		return control.Errorf("%v", err)
	}
	return s.do(func(now time.Time) control.Response {
		if !s.m.Continue(now) {
			return control.OK("HA state machine is not paused.")
		}
		return control.OK("HA state machine continues.")
	})
}

func (s *haService) cmdScopes(_ context.Context, raw json.RawMessage) control.Response {
	a, err := ha.DecodeScopes(raw)
	if err == nil {
		err = s.checkServerName(a.ServerName)
	}
	if err != nil {
		return control.Errorf("%v", err)
	}
	return s.do(func(time.Time) control.Response {
		if err := s.m.SetScopes(a.Scopes); err != nil {
			return control.Errorf("%v", err)
		}
		return control.OK("New HA scopes configured.")
	})
}

func (s *haService) cmdMaintenanceNotify(_ context.Context, raw json.RawMessage) control.Response {
	a, err := ha.DecodeMaintenanceNotify(raw)
	if err == nil {
		err = s.checkServerName(a.ServerName)
	}
	if err != nil {
		return control.Errorf("%v", err)
	}
	return s.do(func(now time.Time) control.Response {
		result, text := s.m.MaintenanceNotify(now, a.Cancel)
		if a.Cancel && result == 0 {
			s.epoch++
		}
		return control.Answer(result, text, nil)
	})
}
