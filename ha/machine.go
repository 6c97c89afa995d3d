package ha

import (
	"errors"
	"fmt"
	"sort"
	"time"
)

// Thresholds Kea fixes in code rather than in the configuration.
const (
	// ClockSkewWarn: a partner clock further off than this is logged,
	// at most once per ClockSkewWarnInterval.
	ClockSkewWarn         = 30 * time.Second
	ClockSkewWarnInterval = 60 * time.Second
	// ClockSkewTerminate: a partner clock further off than this stops
	// the relationship (terminated).
	ClockSkewTerminate = 60 * time.Second
	// WaitingToTerminated: Kea 3.x leaves waiting for terminated once the
	// partner has been terminated this long.
	WaitingToTerminated = 10 * time.Minute
	// RejectedLeaseUpdateTTL: how long Kea 3.x remembers a client whose
	// lease update the partner rejected.
	RejectedLeaseUpdateTTL = 24 * time.Hour
)

// Result codes of HA commands beyond control's.
const (
	// MaintenanceNotAllowed answers ha-maintenance-notify in a state that
	// cannot go in-maintenance.
	MaintenanceNotAllowed = 1001
)

// Task is work the state machine asks its owner to carry out before it
// can go on; the owner reports the outcome with the matching method.
type Task int

const (
	// TaskNone: nothing to do.
	TaskNone Task = iota
	// TaskSync: fetch the partner's leases (dhcp-disable, lease4-get-page
	// pages, ha-sync-complete-notify), then call SyncDone. Heartbeats stop
	// meanwhile.
	TaskSync
	// TaskFlushBacklog: send the queued lease updates to the partner, in
	// order, then call BacklogFlushed.
	TaskFlushBacklog
	// TaskSendReset: send ha-reset to the partner, then call ResetSent.
	TaskSendReset
)

func (t Task) String() string {
	switch t {
	case TaskNone:
		return "none"
	case TaskSync:
		return "sync"
	case TaskFlushBacklog:
		return "flush-backlog"
	case TaskSendReset:
		return "send-reset"
	}
	return fmt.Sprintf("task(%d)", int(t))
}

// Event is something the state machine did or noticed, for the log.
type Event struct {
	Time time.Time
	// Kind is a short stable name: "transition", "clock-skew",
	// "communication-interrupted", "communication-resumed", "paused".
	Kind string
	Text string
}

// Heartbeat is the outcome of one ha-heartbeat exchange with the partner.
type Heartbeat struct {
	// OK is false when the exchange failed in any way (transport, an
	// answer Kea would not accept); the other fields are then ignored.
	OK    bool
	State State
	// Time is the partner's clock ("date-time").
	Time   time.Time
	Scopes []string
	// UnsentUpdates is the partner's "unsent-update-count".
	UnsentUpdates uint64
}

// Query is what failure detection needs of a client's query: who it is
// and for how long it has been trying (the secs field).
type Query struct {
	HWAddr   []byte
	ClientID []byte
	Secs     uint16
}

// CommitPlan says what to do with the lease changes of one client's
// query once they are committed locally.
type CommitPlan struct {
	// Send lists the peers to send lease4-update/lease4-del to now.
	Send []*Peer
	// Wait is how many of them must acknowledge before the reply leaves
	// (Kea's parking); 0 means reply at once.
	Wait int
	// Queue: keep the updates for the partner (communication-recovery);
	// they go out when communication resumes.
	Queue bool
}

// Machine is the HA state machine of one relationship as Kea runs it. It
// does no I/O and reads no clock: every input carries the time, and its
// decisions are read back (State, Serves, DHCPEnabled, Pending, Plan...).
// Like Kea's, each input runs the current state's handler once, which
// makes at most one transition.
//
// A Machine is not safe for concurrent use.
type Machine struct {
	rel     *Relationship
	dialect Dialect
	this    *Peer
	partner *Peer

	state, prev        State
	entryByMaintenance bool

	paused     bool
	pausedOnce map[State]bool

	scopes map[string]bool

	// Network state: the state decides; a partner's dhcp-disable holds
	// service off until dhcp-enable or the end of its max-period.
	remoteDisabled      bool
	remoteDisabledUntil time.Time
	syncHold            bool // ha-sync-complete-notify received in partner-down

	// What we know of the partner.
	partnerState     State
	partnerScopes    []string
	partnerUnsent    [2]uint64 // previous, latest
	partnerTermSince time.Time
	lastPoke         time.Time
	interrupted      bool // as last logged
	skew             time.Duration
	skewKnown        bool
	lastSkewWarn     time.Time

	// Failure detection: clients seen while communication is interrupted.
	connecting map[string]bool // key → unacked
	unacked    int
	analyzed   uint64

	unsent uint64 // our unsent-update-count

	backlog          int
	backlogOverflown bool
	// operatorSyncs counts the operator's ha-sync commands under way.
	operatorSyncs int

	rejected map[string]time.Time // 3.x: client → when the record expires

	// partnerStale: the partner's last known state predates a
	// maintenance cancel that moved both servers, so the handler waits
	// for the next heartbeat answer instead of acting on it (Kea skips
	// the handler run after the cancel, and its next run comes with a
	// heartbeat). Without it, a timer's run would follow the partner
	// back into maintenance.
	partnerStale bool
	// cancelGrace counts the heartbeat answers after a maintenance
	// cancel that may still show the partner in a maintenance state
	// without being followed: the partner can answer a heartbeat with
	// its old state between receiving (or sending) the cancel and
	// applying it, and following that answer puts both servers back in
	// maintenance for good. An answer in any other state ends the grace.
	cancelGrace int

	// Healing (leased's, off in Kea): see SetHealing.
	healAfter int
	termCause terminateCause // why the machine entered terminated
	healthy   int            // heartbeats in a row with the clocks close
	// healedAlone: this server left terminated while the partner is
	// still terminated; giveUp counts the heartbeats since that found
	// the partner still there, and noHeal keeps the machine terminated
	// until the partner leaves that state (it does not heal by itself).
	healedAlone bool
	giveUp      int
	noHeal      bool

	task Task
	// syncing is true between TaskSync being handed out and SyncDone.
	syncRunning bool

	events []Event
}

// terminateCause is why a machine went terminated: what healing may undo.
type terminateCause int

const (
	termOther   terminateCause = iota // rejected lease updates (3.x)
	termSkew                          // the clocks were too far apart
	termPartner                       // the partner was terminated
)

// SetHealing makes the machine leave on its own what Kea leaves only to
// an operator (ha-reset) or a restart: terminated, entered because the
// clocks were too far apart (or because the partner was terminated),
// once heartbeats in a row (at least 1) found the clocks within
// ClockSkewWarn, the threshold below which Kea does not even warn. The
// machine keeps sending heartbeats in terminated to see that. It then
// goes to waiting, and so through a lease sync back to the normal state,
// as after ha-reset; this is safe because a terminated server sends no
// lease updates and the sync brings both stores together again.
//
// A partner still terminated (Kea, which never heals, or a leased whose
// heartbeats have not told it yet) is handled as follows: only the
// primary leaves first, and a partner that stays terminated for as many
// heartbeats again sends the primary back to terminated (serving its own
// scope, rather than none in waiting) until the partner leaves that
// state by an operator's hand.
func (m *Machine) SetHealing(heartbeats int) { m.healAfter = max(heartbeats, 0) }

// NewMachine returns the state machine of rel for this server, in waiting,
// and runs the waiting handler once as Kea does at start (a backup goes
// to backup, passive-backup mode to passive-backup). The partner counts
// as silent since now.
func NewMachine(rel *Relationship, d Dialect, now time.Time) *Machine {
	m := &Machine{
		rel: rel, dialect: d, this: rel.This(), partner: rel.Partner(),
		pausedOnce: map[State]bool{}, scopes: map[string]bool{},
		connecting: map[string]bool{}, rejected: map[string]time.Time{},
		lastPoke: now, partnerState: StateUnknown,
	}
	m.enter(now, StateWaiting, false)
	m.run(now)
	return m
}

// State returns the current state.
func (m *Machine) State() State { return m.state }

// PrevState returns the state before the current one.
func (m *Machine) PrevState() State { return m.prev }

// PartnerState returns the partner's last known state: Unknown before the
// first heartbeat, Unavailable after a failed exchange.
func (m *Machine) PartnerState() State { return m.partnerState }

// Paused reports whether the machine stopped on entering its state
// (state-machine pauses) and waits for Continue.
func (m *Machine) Paused() bool { return m.paused }

// Pending returns the task the owner must carry out, if any.
func (m *Machine) Pending() Task { return m.task }

// Events returns what happened since the last call, and forgets it.
func (m *Machine) Events() []Event {
	e := m.events
	m.events = nil
	return e
}

func (m *Machine) logf(now time.Time, kind, format string, a ...any) {
	m.events = append(m.events, Event{Time: now, Kind: kind, Text: fmt.Sprintf(format, a...)})
}

// Scopes returns the scopes served now, sorted.
func (m *Machine) Scopes() []string {
	var s []string
	for n, on := range m.scopes {
		if on {
			s = append(s, n)
		}
	}
	sort.Strings(s)
	return s
}

// ServesExactly reports whether the scopes served now are exactly the
// names served maps to true, without building the list as Scopes does:
// the packet path's lookup is rebuilt only when they change, not at every
// event the machine sees.
func (m *Machine) ServesExactly(served map[string]bool) bool {
	n := 0
	for name, on := range m.scopes {
		if !on {
			continue
		}
		if !served[name] {
			return false
		}
		n++
	}
	return n == len(served)
}

// Serves reports whether this server answers queries of scope. A name
// that is no peer's counts as served, as in Kea.
func (m *Machine) Serves(scope string) bool {
	on, known := m.scopes[scope]
	return !known || on
}

// scopeKnown: scopes are named after peers.
func (m *Machine) scopeKnown(name string) bool { return m.rel.Peer(name) != nil }

// stateEnablesDHCP is Kea's adjustNetworkState: the states in which the
// DHCP service runs.
func stateEnablesDHCP(s State) bool {
	switch s {
	case StateLoadBalancing, StateHotStandby, StatePartnerDown, StatePartnerInMaintenance,
		StatePassiveBackup, StateTerminated, StateCommunicationRecovery:
		return true
	}
	return false
}

// DHCPEnabled reports whether the DHCP service answers clients now: the
// state allows it and no partner's dhcp-disable holds it off.
func (m *Machine) DHCPEnabled(now time.Time) bool {
	if m.remoteDisabled && !m.remoteDisabledUntil.IsZero() && !now.Before(m.remoteDisabledUntil) {
		m.remoteDisabled = false
	}
	return stateEnablesDHCP(m.state) && !m.remoteDisabled && !m.syncHold && m.operatorSyncs == 0
}

// OperatorSyncStarted notes that an operator's ha-sync began: the DHCP
// service is off until it ends (OperatorSyncEnded). Kea runs ha-sync
// inside the command's handler, on the thread that reads DHCP queries,
// so it answers none while the leases come in; here the service is
// turned off for that time instead, so that no client is given an
// address the partner's leases are about to claim.
func (m *Machine) OperatorSyncStarted() { m.operatorSyncs++ }

// OperatorSyncing reports whether an operator's ha-sync is under way
// (and the DHCP service off for it).
func (m *Machine) OperatorSyncing() bool { return m.operatorSyncs > 0 }

// OperatorSyncEnded notes that an operator's ha-sync ended, however it
// ended.
func (m *Machine) OperatorSyncEnded() {
	if m.operatorSyncs > 0 {
		m.operatorSyncs--
	}
}

// ShouldHeartbeat reports whether heartbeats go to the partner in the
// current state (every RelationShip.HeartbeatDelay, counted from the
// previous answer).
func (m *Machine) ShouldHeartbeat() bool {
	if m.partner == nil || m.this.Role == RoleBackup || m.rel.HeartbeatDelay == 0 || m.syncRunning {
		return false
	}
	switch m.state {
	case StateTerminated:
		return m.healAfter > 0 && m.termCause != termOther
	case StatePassiveBackup, StateBackup:
		return false
	}
	return true
}

// normalState is the state of a healthy pair in this mode.
func (m *Machine) normalState() State {
	switch m.rel.Mode {
	case ModeLoadBalancing:
		return StateLoadBalancing
	case ModeHotStandby:
		return StateHotStandby
	}
	return StatePassiveBackup
}

// CommunicationInterrupted reports whether the partner has not answered a
// heartbeat for longer than max-response-delay.
func (m *Machine) CommunicationInterrupted(now time.Time) bool {
	return now.Sub(m.lastPoke) > m.rel.MaxResponseDelay
}

// failureDetected is Kea's verdict on the clients the partner left
// unanswered.
func (m *Machine) failureDetected() bool {
	return m.rel.MaxUnackedClients == 0 || uint32(m.unacked) > m.rel.MaxUnackedClients
}

// shouldPartnerDown is Kea's HAService::shouldPartnerDown.
func (m *Machine) shouldPartnerDown(now time.Time) bool {
	if !m.CommunicationInterrupted(now) {
		return false
	}
	if m.DHCPEnabled(now) && (m.rel.Mode == ModeLoadBalancing || m.this.Role == RoleStandby) {
		return m.failureDetected()
	}
	return true
}

// shouldTerminate: the clocks are too far apart, or (3.x) too many of
// our lease updates were rejected.
func (m *Machine) shouldTerminate(now time.Time) bool {
	if m.skewKnown && abs(m.skew) > ClockSkewTerminate {
		return true
	}
	if m.dialect == Kea3 && m.rel.MaxRejectedLeaseUpdates > 0 {
		n := 0
		for k, until := range m.rejected {
			if now.Before(until) {
				n++
			} else {
				delete(m.rejected, k)
			}
		}
		if uint32(n) >= m.rel.MaxRejectedLeaseUpdates {
			return true
		}
	}
	return false
}

func abs(d time.Duration) time.Duration {
	if d < 0 {
		return -d
	}
	return d
}

// partnerStateInvalid: the partner reports a state of another mode.
func (m *Machine) partnerStateInvalid() bool {
	switch m.partnerState {
	case StateCommunicationRecovery, StateLoadBalancing:
		return m.rel.Mode != ModeLoadBalancing
	case StateHotStandby:
		return m.rel.Mode != ModeHotStandby
	}
	return false
}

// enter makes the transition to s and does what Kea does on entry: the
// scopes, the network state, the pause.
func (m *Machine) enter(now time.Time, s State, byMaintenance bool) {
	if m.state != StateUnknown {
		m.logf(now, "transition", "%s -> %s (partner %s)", m.state, s, m.partnerState)
	}
	from := m.state
	if s == StateTerminated {
		switch {
		case m.skewKnown && abs(m.skew) > ClockSkewTerminate:
			m.termCause = termSkew
		case m.partnerState == StateTerminated:
			m.termCause = termPartner
		default:
			m.termCause = termOther
		}
		m.healthy = 0
	}
	m.prev, m.state = m.state, s
	m.entryByMaintenance = byMaintenance
	m.task = TaskNone
	m.syncRunning = false
	if from == StateCommunicationRecovery {
		m.backlog, m.backlogOverflown = 0, false
	}
	if s != StateWaiting {
		m.partnerTermSince = time.Time{}
	}
	switch s {
	case StateWaiting, StateSyncing, StateReady, StatePartnerDown, StateTerminated:
		clear(m.rejected)
	}

	switch s {
	case StateLoadBalancing, StateHotStandby, StateCommunicationRecovery, StateTerminated, StatePassiveBackup:
		m.serveDefault()
	case StatePartnerDown:
		if m.this.AutoFailover || byMaintenance {
			m.serveFailover()
		} else {
			m.serveDefault()
		}
	case StatePartnerInMaintenance:
		m.serveFailover()
	default:
		m.serveNone()
	}

	// adjustNetworkState on entry. Kea 2.2 has one origin for the local
	// state machine and the partner's commands, so enabling for the state
	// also lifts the partner's disable.
	m.syncHold = false
	if m.dialect == Kea22 && stateEnablesDHCP(s) {
		m.remoteDisabled = false
	}

	m.paused = false
	switch m.rel.Pause(s) {
	case PauseAlways:
		m.paused = true
	case PauseOnce:
		if !m.pausedOnce[s] {
			m.pausedOnce[s] = true
			m.paused = true
		}
	}
	if m.paused {
		m.logf(now, "paused", "state machine paused in %s until ha-continue", s)
	}
}

func (m *Machine) serveNone() {
	clear(m.scopes)
	for _, p := range m.rel.Peers {
		m.scopes[p.Name] = false
	}
}

// serveDefault: a primary or secondary serves its own scope, a standby or
// backup none.
func (m *Machine) serveDefault() {
	m.serveNone()
	if m.this.Role == RolePrimary || m.this.Role == RoleSecondary {
		m.scopes[m.this.Name] = true
	}
}

// serveFailover: every active server's scope (the primary's and, in load
// balancing, the secondary's).
func (m *Machine) serveFailover() {
	m.serveNone()
	for _, p := range m.rel.Peers {
		if p.Role == RolePrimary || p.Role == RoleSecondary {
			m.scopes[p.Name] = true
		}
	}
}

// Step runs the current state's handler: call it when time passed
// without another input (a timer), so that max-response-delay can expire.
func (m *Machine) Step(now time.Time) { m.run(now) }

// run is one run of the current state's handler.
func (m *Machine) run(now time.Time) {
	if in := m.CommunicationInterrupted(now); in != m.interrupted && m.partner != nil {
		m.interrupted = in
		if in {
			m.logf(now, "communication-interrupted", "no heartbeat answer from %s for more than %s", m.partner.Name, m.rel.MaxResponseDelay)
		}
	}
	if m.partnerStale {
		return
	}
	switch m.state {
	case StateWaiting:
		m.waiting(now)
	case StateSyncing:
		m.syncing(now)
	case StateReady:
		m.ready(now)
	case StateLoadBalancing, StateHotStandby:
		m.normal(now)
	case StateCommunicationRecovery:
		m.communicationRecovery(now)
	case StatePartnerDown:
		m.partnerDown(now)
	case StatePartnerInMaintenance:
		m.partnerInMaintenance(now)
	case StateInMaintenance, StateTerminated, StateBackup, StatePassiveBackup:
		// Only an operator (or a restart) moves these.
	}
}

// prefix is the start of most handlers: a paused machine stays; clocks
// too far apart (or too many rejected updates) terminate; a partner in a
// state of another mode sends us back to waiting. It reports whether the
// handler is done.
func (m *Machine) prefix(now time.Time, checkInvalid bool) bool {
	if m.paused {
		return true
	}
	if m.shouldTerminate(now) {
		m.enter(now, StateTerminated, false)
		return true
	}
	if checkInvalid && m.partnerStateInvalid() {
		if m.state != StateWaiting {
			m.enter(now, StateWaiting, false)
		}
		return true
	}
	return false
}

func (m *Machine) syncOrReady() State {
	if m.rel.SyncLeases {
		return StateSyncing
	}
	return StateReady
}

func (m *Machine) waiting(now time.Time) {
	if m.paused {
		return
	}
	if m.this.Role == RoleBackup {
		m.enter(now, StateBackup, false)
		return
	}
	if m.rel.Mode == ModePassiveBackup {
		m.enter(now, StatePassiveBackup, false)
		return
	}
	if m.prefix(now, true) {
		return
	}
	switch m.partnerState {
	case StateCommunicationRecovery, StateHotStandby, StateLoadBalancing, StateInMaintenance,
		StatePartnerDown, StatePartnerInMaintenance, StateReady:
		m.enter(now, m.syncOrReady(), false)
	case StateWaiting:
		if m.this.Role == RolePrimary {
			m.enter(now, m.syncOrReady(), false)
		}
	case StateTerminated:
		if m.dialect == Kea3 {
			if m.partnerTermSince.IsZero() {
				m.partnerTermSince = now
			} else if now.Sub(m.partnerTermSince) >= WaitingToTerminated {
				m.enter(now, StateTerminated, false)
			}
		}
	case StateUnavailable:
		if m.shouldPartnerDown(now) {
			m.enter(now, StatePartnerDown, false)
		}
	}
	if m.state == StateWaiting && m.partnerState != StateTerminated {
		m.partnerTermSince = time.Time{}
	}
}

func (m *Machine) syncing(now time.Time) {
	if m.prefix(now, true) {
		return
	}
	switch m.partnerState {
	case StateTerminated:
		m.enter(now, StateTerminated, false)
	case StateUnavailable:
		if m.shouldPartnerDown(now) {
			m.enter(now, StatePartnerDown, false)
		}
	default:
		if !m.syncRunning {
			m.syncRunning = true
			m.task = TaskSync
		}
	}
}

// SyncDone reports the end of a TaskSync: success moves to ready, failure
// stays in syncing to try again on a later run.
func (m *Machine) SyncDone(now time.Time, ok bool) {
	if m.state != StateSyncing || !m.syncRunning {
		return
	}
	m.syncRunning, m.task = false, TaskNone
	if ok {
		m.enter(now, StateReady, false)
		return
	}
	m.logf(now, "sync-failed", "lease database synchronization with %s failed; staying in syncing", m.partner.Name)
}

func (m *Machine) ready(now time.Time) {
	if m.prefix(now, true) {
		return
	}
	switch m.partnerState {
	case StateHotStandby, StateLoadBalancing, StateCommunicationRecovery:
		m.enter(now, m.normalState(), false)
	case StateInMaintenance:
		m.enter(now, StatePartnerInMaintenance, false)
	case StatePartnerInMaintenance:
		m.enter(now, StateInMaintenance, false)
	case StateReady:
		if m.this.Role == RolePrimary {
			m.enter(now, m.normalState(), false)
		}
	case StateTerminated:
		m.enter(now, StateTerminated, false)
	case StateUnavailable:
		if m.shouldPartnerDown(now) {
			m.enter(now, StatePartnerDown, false)
		}
	}
}

func (m *Machine) normal(now time.Time) {
	if m.prefix(now, true) || m.followPartner(now) || m.partnerState != StateUnavailable {
		return
	}
	switch {
	case m.shouldPartnerDown(now):
		m.enter(now, StatePartnerDown, false)
	case m.rel.DelayedUpdatesLimit > 0:
		m.enter(now, StateCommunicationRecovery, false)
	}
}

// followPartner enters the state that the partner's state calls for in
// the normal states and in communication-recovery alike, and reports
// whether it was one of those: the partner in maintenance (or about to
// be), partner-down (the partner served alone: resynchronise) or
// terminated.
func (m *Machine) followPartner(now time.Time) bool {
	switch m.partnerState {
	case StateInMaintenance:
		m.enter(now, StatePartnerInMaintenance, false)
	case StatePartnerDown:
		m.enter(now, StateWaiting, false)
	case StatePartnerInMaintenance:
		m.enter(now, StateInMaintenance, false)
	case StateTerminated:
		m.enter(now, StateTerminated, false)
	default:
		return false
	}
	return true
}

func (m *Machine) communicationRecovery(now time.Time) {
	if m.prefix(now, true) {
		return
	}
	if m.task != TaskNone {
		return // waiting for the owner to report
	}
	if m.followPartner(now) {
		return
	}
	switch m.partnerState {
	case StateUnavailable:
		if m.shouldPartnerDown(now) {
			m.enter(now, StatePartnerDown, false)
		}
	case StateWaiting, StateSyncing, StateReady:
		// The partner resynchronises anyway; we must too only if we lost
		// updates for it.
		if !m.CommunicationInterrupted(now) && m.backlogOverflown {
			m.enter(now, StateWaiting, false)
		}
	default:
		if m.CommunicationInterrupted(now) {
			return
		}
		if m.partnerState == m.normalState() || m.partnerState == StateCommunicationRecovery {
			if m.backlogOverflown {
				m.task = TaskSendReset
			} else {
				m.task = TaskFlushBacklog
			}
			return
		}
		m.enter(now, StateWaiting, false)
	}
}

// BacklogFlushed reports the end of a TaskFlushBacklog: every queued update
// delivered moves to the normal state; a failure asks for ha-reset, as
// does a backlog that overflowed while it was being sent (clients are
// served during the flush, and an update that found the backlog full
// never reaches the partner).
func (m *Machine) BacklogFlushed(now time.Time, ok bool) {
	if m.state != StateCommunicationRecovery || m.task != TaskFlushBacklog {
		return
	}
	if ok && !m.backlogOverflown {
		m.enter(now, m.normalState(), false)
		return
	}
	m.task = TaskSendReset
}

// ResetSent reports the end of a TaskSendReset: accepted moves to waiting
// (both servers resynchronise); refused stays, to try again on a later run.
func (m *Machine) ResetSent(now time.Time, accepted bool) {
	if m.state != StateCommunicationRecovery || m.task != TaskSendReset {
		return
	}
	m.task = TaskNone
	if accepted {
		m.enter(now, StateWaiting, false)
	}
}

func (m *Machine) partnerDown(now time.Time) {
	if m.prefix(now, true) {
		return
	}
	switch m.partnerState {
	case StateCommunicationRecovery, StatePartnerDown, StatePartnerInMaintenance:
		m.enter(now, StateWaiting, false)
	case StateReady:
		if m.partnerHasNewUnsentUpdates() {
			m.enter(now, StateWaiting, false)
		} else {
			m.enter(now, m.normalState(), false)
		}
	case StateTerminated:
		m.enter(now, StateTerminated, false)
	}
}

func (m *Machine) partnerHasNewUnsentUpdates() bool {
	return m.partnerUnsent[1] > 0 && m.partnerUnsent[1] != m.partnerUnsent[0]
}

func (m *Machine) partnerInMaintenance(now time.Time) {
	if m.prefix(now, false) {
		return
	}
	if m.partnerState == StateUnavailable {
		m.enter(now, StatePartnerDown, true)
	}
}

// HeartbeatDone feeds the outcome of a heartbeat and runs the handler.
// Only a successful heartbeat counts as contact with the partner.
func (m *Machine) HeartbeatDone(now time.Time, hb Heartbeat) {
	m.partnerStale = false
	if !hb.OK {
		m.healthy = 0
		m.markUnavailable(now)
		if m.state == StatePartnerDown && m.syncHold {
			// The partner synced from us and vanished before becoming
			// ready: serve again (Kea's synced-partner-unavailable).
			m.syncHold = false
			m.remoteDisabled = false
		}
		m.run(now)
		return
	}
	if hb.State == StateUnknown || hb.State == StateUnavailable {
		m.markUnavailable(now)
		m.run(now)
		return
	}
	if m.cancelGrace > 0 {
		if hb.State == StateInMaintenance || hb.State == StatePartnerInMaintenance {
			// Taken as an answer from before the cancel: keep what
			// was known of the partner, and do not follow it.
			m.cancelGrace--
			m.lastPoke = now
			return
		}
		m.cancelGrace = 0
	}
	m.partnerState = hb.State
	m.partnerScopes = append(m.partnerScopes[:0], hb.Scopes...)
	m.partnerUnsent[0], m.partnerUnsent[1] = m.partnerUnsent[1], hb.UnsentUpdates
	m.skew = hb.Time.Sub(now).Truncate(time.Second)
	m.skewKnown = true
	if abs(m.skew) > ClockSkewWarn && (m.lastSkewWarn.IsZero() || now.Sub(m.lastSkewWarn) >= ClockSkewWarnInterval) {
		m.lastSkewWarn = now
		m.logf(now, "clock-skew", "%s's clock is %s off ours (terminated beyond %s)", m.partner.Name, m.skew, ClockSkewTerminate)
	}
	if m.interrupted {
		m.interrupted = false
		m.logf(now, "communication-resumed", "%s answers again", m.partner.Name)
	}
	m.lastPoke = now
	clear(m.connecting)
	m.unacked = 0
	if m.heal(now) {
		return
	}
	m.run(now)
}

// heal is the healing of SetHealing, after a successful heartbeat. It
// reports whether it made a transition.
func (m *Machine) heal(now time.Time) bool {
	if m.healAfter == 0 {
		return false
	}
	if m.partnerState != StateTerminated {
		m.healedAlone, m.giveUp, m.noHeal = false, 0, false
	}
	switch m.state {
	case StateTerminated:
		if m.termCause == termOther || abs(m.skew) > ClockSkewWarn {
			m.healthy = 0
			return false
		}
		m.healthy++
		partnerTerm := m.partnerState == StateTerminated
		if m.healthy < m.healAfter || m.paused || partnerTerm && (m.this.Role != RolePrimary || m.noHeal) {
			return false
		}
		m.logf(now, "healed", "clocks within %s of %s's for %d heartbeats: leaving terminated to resynchronise", ClockSkewWarn, m.partner.Name, m.healthy)
		m.enter(now, StateWaiting, false)
		m.healedAlone = partnerTerm
		m.giveUp = 0
		m.run(now)
		return true
	case StateWaiting:
		if !m.healedAlone {
			return false
		}
		m.giveUp++
		if m.giveUp < m.healAfter {
			return false
		}
		m.logf(now, "heal-abandoned", "%s stayed terminated for %d heartbeats: back to terminated, serving this server's scope, until it leaves that state", m.partner.Name, m.giveUp)
		m.enter(now, StateTerminated, false)
		m.healedAlone, m.noHeal = false, true
		return true
	}
	return false
}

// ExchangeFailed records that a command other than a heartbeat (a lease
// update, dhcp-disable, a notification) failed: the partner is unavailable
// from now on, though partner-down still needs the interruption and the
// unacked clients. It runs the handler.
func (m *Machine) ExchangeFailed(now time.Time) {
	m.markUnavailable(now)
	m.run(now)
}

func (m *Machine) markUnavailable(now time.Time) {
	m.partnerStale = false
	m.partnerState = StateUnavailable
	if m.dialect == Kea3 {
		m.skewKnown = false
	}
}

// Analyze feeds a query this server does not answer (it belongs to the
// partner's scope) to failure detection. Only while communication is
// interrupted does it count: a client whose secs exceed max-ack-delay is
// one the partner left unanswered. It runs the handler when that tips
// the balance.
func (m *Machine) Analyze(now time.Time, q Query) {
	if !m.CommunicationInterrupted(now) {
		return
	}
	m.analyzed++
	secs := q.Secs
	if secs > 255 && secs&0xff == 0 {
		// Some clients (Windows) send secs little-endian.
		secs = secs>>8 | secs<<8
	}
	unacked := time.Duration(secs)*time.Second > m.rel.MaxAckDelay
	key := string(q.HWAddr) + "\x00" + string(q.ClientID)
	was, seen := m.connecting[key]
	switch {
	case !seen:
		m.connecting[key] = unacked
		if unacked {
			m.unacked++
		}
	case !was && unacked:
		m.connecting[key] = true
		m.unacked++
	}
	if m.shouldPartnerDown(now) {
		m.run(now)
	}
}

// LeasesCommitted decides what happens to the lease changes of one query
// now committed locally (Kea's leases4_committed): to whom they are sent,
// how many answers the reply waits for, or whether they are queued. A
// query that changed no lease needs no plan. It counts unsent updates.
// leases is how many lease changes the query made: delayed-updates-limit
// bounds the leases queued in communication-recovery, as Kea's backlog
// holds one entry a lease, not one a query.
func (m *Machine) LeasesCommitted(now time.Time, leases int) CommitPlan {
	var plan CommitPlan
	if !m.rel.SendLeaseUpdates {
		return plan
	}
	for _, p := range m.rel.Peers {
		if p == m.this {
			continue
		}
		if p.Role == RoleBackup {
			if m.this.Role == RoleBackup {
				continue
			}
			plan.Send = append(plan.Send, p)
			if m.rel.WaitBackupAck {
				plan.Wait++
			}
			continue
		}
		if m.this.Role == RoleBackup {
			continue
		}
		if m.state == StateCommunicationRecovery {
			if m.backlog+leases <= int(m.rel.DelayedUpdatesLimit) {
				m.backlog += leases
				plan.Queue = true
			} else {
				m.backlogOverflown = true
			}
			continue
		}
		switch m.state {
		case StateLoadBalancing, StateHotStandby, StatePartnerInMaintenance:
			plan.Send = append(plan.Send, p)
			plan.Wait++
		default:
			m.unsent++
			if m.unsent == 0 { // wrapped: never report 0 again
				m.unsent = 1
			}
		}
	}
	return plan
}

// UnsentUpdates is this server's unsent-update-count for heartbeats.
func (m *Machine) UnsentUpdates() uint64 { return m.unsent }

// LeaseUpdateRejected records (Kea 3.x) that the partner answered a lease
// update for this client with result 4 (conflict); it is not a failure
// of the partner. Enough such clients terminate the relationship. It runs
// the handler.
func (m *Machine) LeaseUpdateRejected(now time.Time, hwaddr, clientID []byte) {
	if m.dialect != Kea3 {
		return
	}
	m.rejected[string(hwaddr)+"\x00"+string(clientID)] = now.Add(RejectedLeaseUpdateTTL)
	m.run(now)
}

// LeaseUpdateAccepted forgets a client's earlier rejected update.
func (m *Machine) LeaseUpdateAccepted(hwaddr, clientID []byte) {
	delete(m.rejected, string(hwaddr)+"\x00"+string(clientID))
}

// Reset carries out ha-reset: back to waiting from any state.
func (m *Machine) Reset(now time.Time) (changed bool) {
	if m.state == StateWaiting {
		return false
	}
	m.enter(now, StateWaiting, false)
	return true
}

// Continue carries out ha-continue: a paused machine goes on (and runs
// its handler). It reports whether it was paused.
func (m *Machine) Continue(now time.Time) bool {
	if !m.paused {
		return false
	}
	m.paused = false
	m.run(now)
	return true
}

// SetScopes carries out ha-scopes: serve exactly these scopes. Every name
// must be a peer's; on error nothing changes.
func (m *Machine) SetScopes(names []string) error {
	for _, n := range names {
		if !m.scopeKnown(n) {
			return fmt.Errorf("invalid scope name %q: no peer has this name", n)
		}
	}
	m.serveNone()
	for _, n := range names {
		m.scopes[n] = true
	}
	return nil
}

// PartnerDisable carries out a partner's dhcp-disable: service stops for
// maxPeriod (0: until dhcp-enable).
func (m *Machine) PartnerDisable(now time.Time, maxPeriod time.Duration) {
	m.remoteDisabled = true
	m.remoteDisabledUntil = time.Time{}
	if maxPeriod > 0 {
		m.remoteDisabledUntil = now.Add(maxPeriod)
	}
}

// PartnerEnable carries out a partner's dhcp-enable.
func (m *Machine) PartnerEnable() { m.remoteDisabled = false }

// SyncCompleteNotify carries out ha-sync-complete-notify: the partner
// finished fetching our leases. In partner-down the service stays off
// until the partner's next state is known (it is about to be ready, and we
// must not serve its clients meanwhile); otherwise the partner's disable
// is lifted.
func (m *Machine) SyncCompleteNotify() {
	if m.state == StatePartnerDown {
		m.syncHold = true
		if m.dialect == Kea3 {
			m.remoteDisabled = false // 3.x holds through its local origin
		}
		return
	}
	m.remoteDisabled = false
}

// ErrMaintenance is the error of a maintenance command the current state
// does not allow.
var ErrMaintenance = errors.New("maintenance not allowed")

// MaintenanceNotify carries out ha-maintenance-notify from the partner.
// cancel=false moves to in-maintenance (result MaintenanceNotAllowed in
// backup, partner-in-maintenance and terminated); cancel=true leaves
// in-maintenance for the state before it.
func (m *Machine) MaintenanceNotify(now time.Time, cancel bool) (result int, text string) {
	if !cancel {
		switch m.state {
		case StateBackup, StatePartnerInMaintenance, StateTerminated:
			return MaintenanceNotAllowed, fmt.Sprintf("Unable to transition the server from the %s to in-maintenance state.", m.state)
		}
		m.enter(now, StateInMaintenance, false)
		return 0, "Server is in-maintenance state."
	}
	if m.state != StateInMaintenance {
		return 1, "Unable to cancel the maintenance for the server not in the in-maintenance state."
	}
	back := m.prev
	if m.dialect == Kea3 && back == StateInMaintenance {
		back = StateWaiting
	}
	m.enter(now, back, false)
	m.partnerStale = true
	m.cancelGrace = maintenanceCancelGrace
	return 0, fmt.Sprintf("Server maintenance successfully canceled; back in %s.", back)
}

// CanStartMaintenance checks ha-maintenance-start before the notification
// goes to the partner.
func (m *Machine) CanStartMaintenance() error {
	switch m.state {
	case StateBackup, StateInMaintenance, StatePartnerInMaintenance, StateTerminated:
		return fmt.Errorf("%w: the server is in the %s state", ErrMaintenance, m.state)
	}
	return nil
}

// MaintenanceStarted reports the partner's answer to our
// ha-maintenance-notify {cancel: false}: result 0 moves to
// partner-in-maintenance; a failed exchange (or result 1) to partner-down,
// serving everything; MaintenanceNotAllowed changes nothing and is an
// error for the operator.
func (m *Machine) MaintenanceStarted(now time.Time, exchangeOK bool, result int) error {
	if m.state == StatePartnerInMaintenance && exchangeOK && result == 0 {
		// A heartbeat answer from the partner, already in-maintenance,
		// got here before its answer to our notify: the machine
		// followed it, and the maintenance has started.
		return nil
	}
	if err := m.CanStartMaintenance(); err != nil {
		return err
	}
	switch {
	case exchangeOK && result == 0:
		m.enter(now, StatePartnerInMaintenance, false)
	case exchangeOK && result == MaintenanceNotAllowed:
		return fmt.Errorf("%w: the partner refused to go in-maintenance", ErrMaintenance)
	default:
		m.markUnavailable(now)
		m.enter(now, StatePartnerDown, true)
	}
	return nil
}

// MaintenanceCancel carries out ha-maintenance-cancel once the partner was
// told: back to the state before partner-in-maintenance.
func (m *Machine) MaintenanceCancel(now time.Time) error {
	if m.state != StatePartnerInMaintenance {
		return fmt.Errorf("%w: cannot cancel, the server is in %s, not partner-in-maintenance", ErrMaintenance, m.state)
	}
	m.enter(now, m.prev, false)
	m.partnerStale = true
	m.cancelGrace = maintenanceCancelGrace
	return nil
}

// maintenanceCancelGrace is how many heartbeat answers after a
// maintenance cancel may still show the partner in maintenance unfollowed
// (see Machine.cancelGrace): one answer can be in flight on each side of
// the cancel. A partner still in maintenance after that is followed, as
// Kea follows it.
const maintenanceCancelGrace = 2

// ClockSkew returns the partner's clock minus ours, as of the last
// heartbeat; ok is false before the first (and, in Kea 3.x, after the
// partner became unavailable).
func (m *Machine) ClockSkew() (time.Duration, bool) { return m.skew, m.skewKnown }
