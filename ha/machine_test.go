package ha

import (
	"fmt"
	"reflect"
	"strings"
	"testing"
	"time"
)

var t0 = time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)

// rel builds a relationship of two servers s1 (primary) and s2 (secondary
// or standby), plus any extra peers, with short delays, as server this.
func rel(t *testing.T, d Dialect, mode, this, extra string) *Relationship {
	t.Helper()
	second := "secondary"
	if mode == "hot-standby" {
		second = "standby"
	}
	cfg := fmt.Sprintf(`{"high-availability": [{"this-server-name": %q, "mode": %q,
		"heartbeat-delay": 1000, "max-response-delay": 5000, "max-ack-delay": 2000, "max-unacked-clients": 2 %s,
		"peers": [{"name": "s1", "url": "http://127.0.0.1:8000/", "role": "primary"},
		          {"name": "s2", "url": "http://127.0.0.2:8000/", "role": %q},
		          {"name": "b1", "url": "http://127.0.0.3:8000/", "role": "backup"}]}]}`, this, mode, extra, second)
	c, err := Parse([]byte(cfg), Options{Dialect: d})
	if err != nil {
		t.Fatal(err)
	}
	return c.Relationships[0]
}

// ok is a successful heartbeat from a partner in state s with our clock.
func ok(s State, now time.Time) Heartbeat { return Heartbeat{OK: true, State: s, Time: now} }

var failed = Heartbeat{}

func want(t *testing.T, m *Machine, s State) {
	t.Helper()
	if m.State() != s {
		t.Fatalf("state %s, want %s (events %v)", m.State(), s, m.events)
	}
}

// to drives a fresh machine into state s the usual way.
func to(t *testing.T, m *Machine, s State) time.Time {
	t.Helper()
	now := t0.Add(time.Second)
	m.HeartbeatDone(now, ok(StateWaiting, now)) // primary: waiting -> syncing
	if s == StateSyncing {
		return now
	}
	m.HeartbeatDone(now, ok(StateWaiting, now))
	if m.Pending() != TaskSync {
		t.Fatalf("no sync task in %s", m.State())
	}
	m.SyncDone(now, true)
	if s == StateReady {
		want(t, m, StateReady)
		return now
	}
	m.HeartbeatDone(now, ok(StateReady, now)) // primary goes to normal
	want(t, m, s)
	return now
}

func TestStartRoles(t *testing.T) {
	m := NewMachine(rel(t, Kea22, "load-balancing", "b1", ""), Kea22, t0)
	want(t, m, StateBackup)
	if m.ShouldHeartbeat() || m.DHCPEnabled(t0) || len(m.Scopes()) != 0 {
		t.Errorf("backup: heartbeat %v dhcp %v scopes %v", m.ShouldHeartbeat(), m.DHCPEnabled(t0), m.Scopes())
	}
	c, err := Parse([]byte(`{"high-availability": [{"this-server-name": "p", "mode": "passive-backup",
		"peers": [{"name": "p", "url": "http://127.0.0.1/", "role": "primary"}, {"name": "b", "url": "http://127.0.0.2/", "role": "backup"}]}]}`), Options{})
	if err != nil {
		t.Fatal(err)
	}
	m = NewMachine(c.Relationships[0], Kea22, t0)
	want(t, m, StatePassiveBackup)
	if m.ShouldHeartbeat() || !m.DHCPEnabled(t0) || !reflect.DeepEqual(m.Scopes(), []string{"p"}) {
		t.Errorf("passive-backup: heartbeat %v dhcp %v scopes %v", m.ShouldHeartbeat(), m.DHCPEnabled(t0), m.Scopes())
	}
	plan := m.LeasesCommitted(t0, 1)
	if len(plan.Send) != 1 || plan.Send[0].Name != "b" || plan.Wait != 0 {
		t.Errorf("passive-backup plan %+v", plan)
	}
}

func TestWaiting(t *testing.T) {
	r := rel(t, Kea22, "load-balancing", "s1", "")
	m := NewMachine(r, Kea22, t0)
	want(t, m, StateWaiting)
	if m.DHCPEnabled(t0) || len(m.Scopes()) != 0 || !m.ShouldHeartbeat() {
		t.Fatalf("waiting: dhcp %v scopes %v heartbeat %v", m.DHCPEnabled(t0), m.Scopes(), m.ShouldHeartbeat())
	}
	m.HeartbeatDone(t0, ok(StateSyncing, t0))
	want(t, m, StateWaiting)
	m.HeartbeatDone(t0, ok(StateWaiting, t0))
	want(t, m, StateSyncing) // the primary goes first

	m2 := NewMachine(rel(t, Kea22, "load-balancing", "s2", ""), Kea22, t0)
	m2.HeartbeatDone(t0, ok(StateWaiting, t0))
	want(t, m2, StateWaiting) // the secondary waits for the primary
	for _, ps := range []State{StateCommunicationRecovery, StateLoadBalancing, StateInMaintenance,
		StatePartnerDown, StatePartnerInMaintenance, StateReady} {
		m := NewMachine(r, Kea22, t0)
		m.HeartbeatDone(t0, ok(ps, t0))
		want(t, m, StateSyncing)
	}
	nosync := rel(t, Kea22, "load-balancing", "s2", `, "sync-leases": false`)
	m = NewMachine(nosync, Kea22, t0)
	m.HeartbeatDone(t0, ok(StateLoadBalancing, t0))
	want(t, m, StateReady)

	// A partner of another mode is ignored in waiting.
	m = NewMachine(r, Kea22, t0)
	m.HeartbeatDone(t0, ok(StateHotStandby, t0))
	want(t, m, StateWaiting)
}

func TestWaitingPartnerTerminated(t *testing.T) {
	for _, d := range []Dialect{Kea22, Kea3} {
		m := NewMachine(rel(t, d, "hot-standby", "s2", ""), d, t0)
		m.HeartbeatDone(t0, ok(StateTerminated, t0))
		m.HeartbeatDone(t0.Add(9*time.Minute), ok(StateTerminated, t0.Add(9*time.Minute)))
		want(t, m, StateWaiting)
		now := t0.Add(10 * time.Minute)
		m.HeartbeatDone(now, ok(StateTerminated, now))
		if d == Kea22 {
			want(t, m, StateWaiting) // 2.2 waits for ever
		} else {
			want(t, m, StateTerminated)
		}
	}
}

// TestAloneGoesPartnerDown: a server started alone goes partner-down once
// max-response-delay has passed since it started, without clients, as its
// service is disabled.
func TestAloneGoesPartnerDown(t *testing.T) {
	m := NewMachine(rel(t, Kea22, "load-balancing", "s2", ""), Kea22, t0)
	m.HeartbeatDone(t0.Add(time.Second), failed)
	m.HeartbeatDone(t0.Add(5*time.Second), failed)
	want(t, m, StateWaiting) // exactly max-response-delay: not yet
	m.HeartbeatDone(t0.Add(5*time.Second+time.Millisecond), failed)
	want(t, m, StatePartnerDown)
	if !m.DHCPEnabled(t0) || !reflect.DeepEqual(m.Scopes(), []string{"s1", "s2"}) {
		t.Errorf("partner-down: dhcp %v scopes %v", m.DHCPEnabled(t0), m.Scopes())
	}
	ev := m.Events()
	if len(ev) != 2 || ev[0].Kind != "communication-interrupted" || ev[1].Text != "waiting -> partner-down (partner unavailable)" {
		t.Errorf("events %+v", ev)
	}
}

func TestSyncing(t *testing.T) {
	r := rel(t, Kea22, "load-balancing", "s1", "")
	m := NewMachine(r, Kea22, t0)
	now := to(t, m, StateSyncing)
	if m.Pending() != TaskNone {
		t.Fatalf("task %s before the handler ran in syncing", m.Pending())
	}
	m.HeartbeatDone(now, ok(StateWaiting, now))
	if m.Pending() != TaskSync || m.ShouldHeartbeat() {
		t.Fatalf("task %s heartbeat %v", m.Pending(), m.ShouldHeartbeat())
	}
	m.SyncDone(now, false)
	want(t, m, StateSyncing)
	if m.Pending() != TaskNone || !m.ShouldHeartbeat() {
		t.Fatalf("after a failed sync: task %s heartbeat %v", m.Pending(), m.ShouldHeartbeat())
	}
	m.Step(now)
	if m.Pending() != TaskSync {
		t.Fatalf("no retry: %s", m.Pending())
	}
	m.SyncDone(now, true)
	want(t, m, StateReady)

	m = NewMachine(r, Kea22, t0)
	now = to(t, m, StateSyncing)
	m.HeartbeatDone(now, ok(StateTerminated, now))
	want(t, m, StateTerminated)

	m = NewMachine(r, Kea22, t0)
	now = to(t, m, StateSyncing)
	m.HeartbeatDone(now, failed)
	want(t, m, StateSyncing) // not interrupted yet
	m.HeartbeatDone(now.Add(6*time.Second), failed)
	want(t, m, StatePartnerDown) // service disabled: no client check

	m = NewMachine(r, Kea22, t0)
	now = to(t, m, StateSyncing)
	m.HeartbeatDone(now, ok(StateHotStandby, now))
	want(t, m, StateWaiting) // partner in another mode
}

func TestReady(t *testing.T) {
	r := rel(t, Kea22, "load-balancing", "s1", "")
	for _, tc := range []struct {
		partner, next State
	}{
		{StateLoadBalancing, StateLoadBalancing},
		{StateCommunicationRecovery, StateLoadBalancing},
		{StateInMaintenance, StatePartnerInMaintenance},
		{StatePartnerInMaintenance, StateInMaintenance},
		{StateReady, StateLoadBalancing}, // primary
		{StateTerminated, StateTerminated},
		{StateWaiting, StateReady},
		{StateHotStandby, StateWaiting},
	} {
		m := NewMachine(r, Kea22, t0)
		now := to(t, m, StateReady)
		m.HeartbeatDone(now, ok(tc.partner, now))
		if m.State() != tc.next {
			t.Errorf("ready, partner %s: %s, want %s", tc.partner, m.State(), tc.next)
		}
	}
	// The secondary waits in ready for the primary.
	m := NewMachine(rel(t, Kea22, "load-balancing", "s2", ""), Kea22, t0)
	m.HeartbeatDone(t0, ok(StateReady, t0))
	m.HeartbeatDone(t0, ok(StateReady, t0))
	m.SyncDone(t0, true)
	want(t, m, StateReady)
	m.HeartbeatDone(t0, ok(StateReady, t0))
	want(t, m, StateReady)
	m.HeartbeatDone(t0, ok(StateLoadBalancing, t0))
	want(t, m, StateLoadBalancing)
	if !m.DHCPEnabled(t0) || !reflect.DeepEqual(m.Scopes(), []string{"s2"}) || !m.Serves("s2") || m.Serves("s1") {
		t.Errorf("load-balancing s2: dhcp %v scopes %v", m.DHCPEnabled(t0), m.Scopes())
	}
	// ready, partner unavailable: partner-down once interrupted.
	m = NewMachine(r, Kea22, t0)
	now := to(t, m, StateReady)
	m.HeartbeatDone(now.Add(6*time.Second), failed)
	want(t, m, StatePartnerDown)
}

func TestNormal(t *testing.T) {
	r := rel(t, Kea22, "load-balancing", "s1", `, "delayed-updates-limit": 0`)
	for _, tc := range []struct {
		partner, next State
	}{
		{StateInMaintenance, StatePartnerInMaintenance},
		{StatePartnerDown, StateWaiting},
		{StatePartnerInMaintenance, StateInMaintenance},
		{StateTerminated, StateTerminated},
		{StateLoadBalancing, StateLoadBalancing},
		{StateHotStandby, StateWaiting},
		{StateUnavailable, StateLoadBalancing}, // not interrupted
	} {
		m := NewMachine(r, Kea22, t0)
		now := to(t, m, StateLoadBalancing)
		if tc.partner == StateUnavailable {
			m.HeartbeatDone(now, failed)
		} else {
			m.HeartbeatDone(now, ok(tc.partner, now))
		}
		if m.State() != tc.next {
			t.Errorf("load-balancing, partner %s: %s, want %s", tc.partner, m.State(), tc.next)
		}
	}
}

// TestLoadBalancingFailover: in load balancing, partner-down needs the
// interruption and more than max-unacked-clients clients of the partner's
// scope whose secs exceed max-ack-delay.
func TestLoadBalancingFailover(t *testing.T) {
	m := NewMachine(rel(t, Kea22, "load-balancing", "s1", `, "delayed-updates-limit": 0`), Kea22, t0)
	now := to(t, m, StateLoadBalancing)
	client := func(i int, secs uint16) Query {
		return Query{HWAddr: []byte{0, 1, 2, 3, 4, byte(i)}, Secs: secs}
	}
	m.Analyze(now, client(1, 10)) // not interrupted: ignored
	later := now.Add(6 * time.Second)
	m.HeartbeatDone(later, failed)
	want(t, m, StateLoadBalancing)
	m.Analyze(later, client(1, 2))      // 2 s is not more than 2000 ms
	m.Analyze(later, client(1, 3))      // the same client turns unacked: 1
	m.Analyze(later, client(1, 9))      // counted once
	m.Analyze(later, client(2, 0x0100)) // little-endian 1 s, not 256 s
	m.Analyze(later, client(3, 0x0300)) // little-endian 3 s: 2
	want(t, m, StateLoadBalancing)
	if m.unacked != 2 || m.analyzed != 5 {
		t.Fatalf("unacked %d analyzed %d", m.unacked, m.analyzed)
	}
	st := m.Status(later)
	if r := st.Servers.Remote; r == nil || r.UnackedClients != 2 || r.ConnectingClients != 3 || r.UnackedClientsLeft != 1 || !r.CommunicationInterrupted {
		t.Errorf("status remote %+v", st.Servers.Remote)
	}
	m.Analyze(later, Query{HWAddr: []byte{0, 1, 2, 3, 4, 2}, ClientID: []byte{1}, Secs: 5}) // another client (client id): 3 > 2
	want(t, m, StatePartnerDown)
	if !reflect.DeepEqual(m.Scopes(), []string{"s1", "s2"}) {
		t.Errorf("scopes %v", m.Scopes())
	}
	// A successful heartbeat clears the watched clients.
	m.HeartbeatDone(later, ok(StateWaiting, later))
	if m.unacked != 0 || len(m.connecting) != 0 {
		t.Errorf("clients kept after a heartbeat: %d", m.unacked)
	}
}

func TestHotStandbyFailover(t *testing.T) {
	// The primary goes partner-down on the interruption alone.
	m := NewMachine(rel(t, Kea22, "hot-standby", "s1", ""), Kea22, t0)
	now := to(t, m, StateHotStandby)
	if !reflect.DeepEqual(m.Scopes(), []string{"s1"}) {
		t.Fatalf("primary scopes %v", m.Scopes())
	}
	m.HeartbeatDone(now.Add(6*time.Second), failed)
	want(t, m, StatePartnerDown)

	// The standby serves nothing, keeps DHCP on to watch, and needs the
	// unacked clients.
	m = NewMachine(rel(t, Kea22, "hot-standby", "s2", `, "max-unacked-clients": 0`), Kea22, t0)
	m.HeartbeatDone(t0, ok(StateHotStandby, t0))
	m.HeartbeatDone(t0, ok(StateHotStandby, t0))
	m.SyncDone(t0, true)
	m.HeartbeatDone(t0, ok(StateHotStandby, t0))
	want(t, m, StateHotStandby)
	if len(m.Scopes()) != 0 || !m.DHCPEnabled(t0) {
		t.Fatalf("standby: scopes %v dhcp %v", m.Scopes(), m.DHCPEnabled(t0))
	}
	m.HeartbeatDone(t0.Add(6*time.Second), failed)
	want(t, m, StatePartnerDown) // max-unacked-clients 0: at once
	if !reflect.DeepEqual(m.Scopes(), []string{"s1"}) {
		t.Errorf("standby in partner-down scopes %v", m.Scopes())
	}
}

func TestCommunicationRecovery(t *testing.T) {
	r := rel(t, Kea22, "load-balancing", "s1", `, "delayed-updates-limit": 2`)
	start := func() (*Machine, time.Time) {
		m := NewMachine(r, Kea22, t0)
		now := to(t, m, StateLoadBalancing)
		m.HeartbeatDone(now, failed)
		want(t, m, StateCommunicationRecovery)
		if !m.DHCPEnabled(now) || !reflect.DeepEqual(m.Scopes(), []string{"s1"}) {
			t.Fatalf("communication-recovery: dhcp %v scopes %v", m.DHCPEnabled(now), m.Scopes())
		}
		return m, now
	}
	// Updates are queued up to the limit, then the backlog overflows.
	m, now := start()
	for i := 0; i < 2; i++ {
		if p := m.LeasesCommitted(now, 1); !p.Queue || p.Wait != 0 || len(p.Send) != 1 || p.Send[0].Name != "b1" {
			t.Fatalf("plan %d: %+v", i, p)
		}
	}
	if p := m.LeasesCommitted(now, 1); p.Queue || !m.backlogOverflown {
		t.Fatalf("overflow plan %+v", p)
	}
	m.HeartbeatDone(now, ok(StateLoadBalancing, now))
	if m.Pending() != TaskSendReset {
		t.Fatalf("overflowed backlog: task %s", m.Pending())
	}
	m.ResetSent(now, false)
	want(t, m, StateCommunicationRecovery)
	m.Step(now)
	m.ResetSent(now, true)
	want(t, m, StateWaiting)
	if m.backlog != 0 || m.backlogOverflown {
		t.Errorf("backlog kept on exit: %d %v", m.backlog, m.backlogOverflown)
	}

	// The limit counts leases, not queries: a query of one lease fits
	// in a backlog of 2, then one of two leases overflows it.
	m, now = start()
	if p := m.LeasesCommitted(now, 1); !p.Queue {
		t.Fatalf("one lease: plan %+v", p)
	}
	if p := m.LeasesCommitted(now, 2); p.Queue || !m.backlogOverflown {
		t.Fatalf("two leases more than the limit of 2: plan %+v, overflown %v", p, m.backlogOverflown)
	}

	// A backlog within the limit is flushed, then back to normal.
	m, now = start()
	m.LeasesCommitted(now, 1)
	m.HeartbeatDone(now, ok(StateCommunicationRecovery, now))
	if m.Pending() != TaskFlushBacklog {
		t.Fatalf("task %s", m.Pending())
	}
	m.BacklogFlushed(now, true)
	want(t, m, StateLoadBalancing)

	// Updates that found the backlog full while it was being sent never
	// reach the partner: a reset, not the normal state.
	m, now = start()
	m.LeasesCommitted(now, 1)
	m.HeartbeatDone(now, ok(StateCommunicationRecovery, now))
	if m.Pending() != TaskFlushBacklog {
		t.Fatalf("task %s", m.Pending())
	}
	for range 2 {
		m.LeasesCommitted(now, 1)
	}
	m.BacklogFlushed(now, true)
	want(t, m, StateCommunicationRecovery)
	if m.Pending() != TaskSendReset {
		t.Fatalf("backlog overflowed during the flush: task %s", m.Pending())
	}

	// A failed flush asks for a reset.
	m, now = start()
	m.HeartbeatDone(now, ok(StateLoadBalancing, now))
	m.BacklogFlushed(now, false)
	if m.Pending() != TaskSendReset {
		t.Fatalf("task %s", m.Pending())
	}

	// A partner resynchronising: wait, unless we lost updates.
	m, now = start()
	m.HeartbeatDone(now, ok(StateSyncing, now))
	want(t, m, StateCommunicationRecovery)
	m.LeasesCommitted(now, 1)
	m.LeasesCommitted(now, 1)
	m.LeasesCommitted(now, 1)
	m.HeartbeatDone(now, ok(StateReady, now))
	want(t, m, StateWaiting)

	// Interrupted long enough with unacked clients: partner-down.
	m, now = start()
	m.HeartbeatDone(now.Add(6*time.Second), failed)
	want(t, m, StateCommunicationRecovery)
	for i := 0; i < 3; i++ {
		m.Analyze(now.Add(6*time.Second), Query{HWAddr: []byte{byte(i)}, Secs: 10})
	}
	want(t, m, StatePartnerDown)

	for _, tc := range []struct{ partner, next State }{
		{StateInMaintenance, StatePartnerInMaintenance},
		{StatePartnerDown, StateWaiting},
		{StatePartnerInMaintenance, StateInMaintenance},
		{StateTerminated, StateTerminated},
	} {
		m, now := start()
		m.HeartbeatDone(now, ok(tc.partner, now))
		if m.State() != tc.next {
			t.Errorf("communication-recovery, partner %s: %s, want %s", tc.partner, m.State(), tc.next)
		}
	}
}

func TestPartnerDown(t *testing.T) {
	r := rel(t, Kea22, "load-balancing", "s1", "")
	down := func(r *Relationship) (*Machine, time.Time) {
		m := NewMachine(r, Kea22, t0)
		now := t0.Add(6 * time.Second)
		m.HeartbeatDone(now, failed)
		want(t, m, StatePartnerDown)
		return m, now
	}
	m, now := down(r)
	p := m.LeasesCommitted(now, 1)
	if len(p.Send) != 1 || p.Send[0].Name != "b1" || p.Wait != 0 || m.UnsentUpdates() != 1 {
		t.Fatalf("partner-down plan %+v unsent %d", p, m.UnsentUpdates())
	}
	m.LeasesCommitted(now, 1)
	if m.UnsentUpdates() != 2 {
		t.Errorf("unsent %d", m.UnsentUpdates())
	}
	for _, tc := range []struct {
		partner State
		prior   []uint64 // unsent-update-count of earlier heartbeats
		unsent  uint64
		next    State
	}{
		{StateCommunicationRecovery, nil, 0, StateWaiting},
		{StatePartnerDown, nil, 0, StateWaiting},
		{StatePartnerInMaintenance, nil, 0, StateWaiting},
		{StateTerminated, nil, 0, StateTerminated},
		{StateWaiting, nil, 0, StatePartnerDown},
		{StateReady, nil, 0, StateLoadBalancing},
		{StateReady, nil, 3, StateWaiting},               // new unsent updates
		{StateReady, []uint64{3}, 3, StateLoadBalancing}, // seen before
		{StateReady, []uint64{3}, 4, StateWaiting},
	} {
		m, now := down(r)
		for _, u := range tc.prior {
			m.HeartbeatDone(now, Heartbeat{OK: true, State: StateWaiting, Time: now, UnsentUpdates: u})
		}
		m.HeartbeatDone(now, Heartbeat{OK: true, State: tc.partner, Time: now, UnsentUpdates: tc.unsent})
		if m.State() != tc.next {
			t.Errorf("partner-down, partner %s unsent %v then %d: %s, want %s", tc.partner, tc.prior, tc.unsent, m.State(), tc.next)
		}
	}
	// Without auto-failover only the own scope is served.
	noAF := rel(t, Kea22, "load-balancing", "s1", "")
	noAF.Peer("s1").AutoFailover = false
	m, _ = down(noAF)
	if !reflect.DeepEqual(m.Scopes(), []string{"s1"}) {
		t.Errorf("auto-failover false: scopes %v", m.Scopes())
	}
}

func TestClockSkew(t *testing.T) {
	r := rel(t, Kea3, "load-balancing", "s1", "")
	m := NewMachine(r, Kea3, t0)
	now := to(t, m, StateLoadBalancing)
	m.Events()
	m.HeartbeatDone(now, ok(StateLoadBalancing, now.Add(31*time.Second)))
	m.HeartbeatDone(now.Add(30*time.Second), ok(StateLoadBalancing, now.Add(61*time.Second)))
	m.HeartbeatDone(now.Add(60*time.Second), ok(StateLoadBalancing, now.Add(91*time.Second)))
	var warns int
	for _, e := range m.Events() {
		if e.Kind == "clock-skew" {
			warns++
		}
	}
	if warns != 2 {
		t.Errorf("%d skew warnings in 60 s, want 2 (at 0 s and 60 s)", warns)
	}
	want(t, m, StateLoadBalancing)
	if s, ok := m.ClockSkew(); !ok || s != 31*time.Second {
		t.Errorf("skew %v %v", s, ok)
	}
	m.HeartbeatDone(now, ok(StateLoadBalancing, now.Add(-61*time.Second)))
	want(t, m, StateTerminated)
	if m.ShouldHeartbeat() || !m.DHCPEnabled(now) || !reflect.DeepEqual(m.Scopes(), []string{"s1"}) {
		t.Errorf("terminated: heartbeat %v dhcp %v scopes %v", m.ShouldHeartbeat(), m.DHCPEnabled(now), m.Scopes())
	}
	p := m.LeasesCommitted(now, 1)
	if p.Wait != 0 || m.UnsentUpdates() != 1 {
		t.Errorf("terminated plan %+v unsent %d", p, m.UnsentUpdates())
	}
	m.HeartbeatDone(now, ok(StateLoadBalancing, now))
	want(t, m, StateTerminated) // never leaves on its own
	if !m.Reset(now) {
		t.Fatal("reset did nothing")
	}
	want(t, m, StateWaiting)
	if m.Reset(now) {
		t.Error("reset in waiting reported a change")
	}
	// 3.x forgets the skew when the partner becomes unavailable.
	m.HeartbeatDone(now, failed)
	if _, ok := m.ClockSkew(); ok {
		t.Error("skew kept after a failed heartbeat in 3.x")
	}
}

func TestPauses(t *testing.T) {
	r := rel(t, Kea22, "load-balancing", "s1", `, "state-machine": {"states": [{"state": "waiting", "pause": "once"}, {"state": "ready", "pause": "always"}]}`)
	m := NewMachine(r, Kea22, t0)
	if !m.Paused() {
		t.Fatal("not paused in waiting")
	}
	m.HeartbeatDone(t0, ok(StateWaiting, t0))
	want(t, m, StateWaiting)
	if !m.Continue(t0) || m.Paused() {
		t.Fatal("continue did not unpause")
	}
	want(t, m, StateSyncing) // the handler ran on continue
	if m.Continue(t0) {
		t.Error("continue when not paused")
	}
	m.HeartbeatDone(t0, ok(StateWaiting, t0))
	m.SyncDone(t0, true)
	want(t, m, StateReady)
	m.HeartbeatDone(t0, ok(StateLoadBalancing, t0))
	want(t, m, StateReady)
	m.Continue(t0)
	want(t, m, StateLoadBalancing)
	m.Reset(t0)
	if m.Paused() {
		t.Error("waiting paused twice with pause once")
	}
}

func TestMaintenance(t *testing.T) {
	r := rel(t, Kea22, "load-balancing", "s1", "")
	r.Peer("s1").AutoFailover = false
	m := NewMachine(r, Kea22, t0)
	now := to(t, m, StateLoadBalancing)
	if res, _ := m.MaintenanceNotify(now, true); res != 1 {
		t.Errorf("cancel outside in-maintenance: %d", res)
	}
	if res, text := m.MaintenanceNotify(now, false); res != 0 || !strings.Contains(text, "in-maintenance") {
		t.Fatalf("notify: %d %q", res, text)
	}
	want(t, m, StateInMaintenance)
	if m.DHCPEnabled(now) || len(m.Scopes()) != 0 || !m.ShouldHeartbeat() {
		t.Errorf("in-maintenance: dhcp %v scopes %v", m.DHCPEnabled(now), m.Scopes())
	}
	m.HeartbeatDone(now, ok(StatePartnerDown, now))
	want(t, m, StateInMaintenance) // never leaves on its own
	if err := m.CanStartMaintenance(); err == nil {
		t.Error("maintenance start allowed in in-maintenance")
	}
	if res, _ := m.MaintenanceNotify(now, true); res != 0 {
		t.Fatalf("cancel: %d", res)
	}
	want(t, m, StateLoadBalancing)

	// The initiator: partner agrees → partner-in-maintenance, serving all.
	if err := m.MaintenanceStarted(now, true, 0); err != nil {
		t.Fatal(err)
	}
	want(t, m, StatePartnerInMaintenance)
	if !reflect.DeepEqual(m.Scopes(), []string{"s1", "s2"}) || !m.DHCPEnabled(now) {
		t.Errorf("partner-in-maintenance: scopes %v", m.Scopes())
	}
	if p := m.LeasesCommitted(now, 1); p.Wait != 1 {
		t.Errorf("partner-in-maintenance sends updates: %+v", p)
	}
	if res, _ := m.MaintenanceNotify(now, false); res != MaintenanceNotAllowed {
		t.Errorf("notify in partner-in-maintenance: %d", res)
	}
	m.HeartbeatDone(now, ok(StateHotStandby, now))
	want(t, m, StatePartnerInMaintenance) // no invalid-partner check here
	if err := m.MaintenanceCancel(now); err != nil {
		t.Fatal(err)
	}
	want(t, m, StateLoadBalancing)
	if err := m.MaintenanceCancel(now); err == nil {
		t.Error("cancel outside partner-in-maintenance")
	}

	// The partner shut down for maintenance: partner-down at once, serving
	// everything although auto-failover is off.
	m.MaintenanceStarted(now, true, 0)
	m.HeartbeatDone(now, failed)
	want(t, m, StatePartnerDown)
	if !reflect.DeepEqual(m.Scopes(), []string{"s1", "s2"}) {
		t.Errorf("partner-down by maintenance: scopes %v", m.Scopes())
	}

	// The partner refuses; or cannot be told.
	m = NewMachine(r, Kea22, t0)
	now = to(t, m, StateLoadBalancing)
	if err := m.MaintenanceStarted(now, true, MaintenanceNotAllowed); err == nil {
		t.Error("refusal not reported")
	}
	want(t, m, StateLoadBalancing)
	m.MaintenanceStarted(now, false, 0)
	want(t, m, StatePartnerDown)
}

func TestLeasesCommitted(t *testing.T) {
	r := rel(t, Kea22, "hot-standby", "s1", "")
	m := NewMachine(r, Kea22, t0)
	if p := m.LeasesCommitted(t0, 1); len(p.Send) != 1 || p.Send[0].Name != "b1" || p.Wait != 0 || m.UnsentUpdates() != 1 {
		t.Errorf("waiting plan %+v", p)
	}
	now := to(t, m, StateHotStandby)
	p := m.LeasesCommitted(now, 1)
	if len(p.Send) != 2 || p.Wait != 1 || p.Queue {
		t.Errorf("hot-standby plan %+v", p)
	}
	r2 := rel(t, Kea22, "hot-standby", "s1", `, "send-lease-updates": false`)
	if p := NewMachine(r2, Kea22, t0).LeasesCommitted(t0, 1); len(p.Send) != 0 {
		t.Errorf("send-lease-updates false: %+v", p)
	}
	b := NewMachine(rel(t, Kea22, "hot-standby", "b1", ""), Kea22, t0)
	if p := b.LeasesCommitted(t0, 1); len(p.Send) != 0 || b.UnsentUpdates() != 0 {
		t.Errorf("backup sends: %+v", p)
	}
}

func TestRejectedLeaseUpdates(t *testing.T) {
	r := rel(t, Kea3, "load-balancing", "s1", `, "max-rejected-lease-updates": 2`)
	m := NewMachine(r, Kea3, t0)
	now := to(t, m, StateLoadBalancing)
	m.LeaseUpdateRejected(now, []byte{1}, nil)
	m.LeaseUpdateRejected(now, []byte{1}, nil) // the same client
	want(t, m, StateLoadBalancing)
	m.LeaseUpdateAccepted([]byte{1}, nil)
	m.LeaseUpdateRejected(now, []byte{2}, nil)
	want(t, m, StateLoadBalancing)
	m.LeaseUpdateRejected(now.Add(25*time.Hour), []byte{3}, nil) // client 2 expired
	want(t, m, StateLoadBalancing)
	m.LeaseUpdateRejected(now.Add(25*time.Hour), []byte{4}, nil)
	want(t, m, StateTerminated)

	m2 := NewMachine(rel(t, Kea22, "load-balancing", "s1", ""), Kea22, t0)
	now = to(t, m2, StateLoadBalancing)
	for i := 0; i < 20; i++ {
		m2.LeaseUpdateRejected(now, []byte{byte(i)}, nil)
	}
	want(t, m2, StateLoadBalancing) // 2.2 has no such rule
}

func TestNetworkState(t *testing.T) {
	for _, d := range []Dialect{Kea22, Kea3} {
		r := rel(t, d, "load-balancing", "s1", "")
		m := NewMachine(r, d, t0)
		now := t0.Add(6 * time.Second)
		m.HeartbeatDone(now, failed)
		want(t, m, StatePartnerDown)
		// The partner syncs from us: disable with max-period, pages, notify.
		m.PartnerDisable(now, 20*time.Second)
		if m.DHCPEnabled(now) {
			t.Fatal("dhcp-disable ignored")
		}
		if !m.DHCPEnabled(now.Add(20 * time.Second)) {
			t.Fatal("max-period did not end the disable")
		}
		m.PartnerDisable(now, 20*time.Second)
		m.SyncCompleteNotify()
		if m.DHCPEnabled(now) {
			t.Fatalf("%s: serving after sync-complete-notify in partner-down", d)
		}
		// The partner vanishes before it is ready: serve again.
		m.HeartbeatDone(now, failed)
		if !m.DHCPEnabled(now) {
			t.Fatalf("%s: not serving after the synced partner vanished", d)
		}
		// Or it comes back ready: normal state, serving.
		m.PartnerDisable(now, 0)
		m.SyncCompleteNotify()
		m.HeartbeatDone(now, ok(StateReady, now))
		want(t, m, StateLoadBalancing)
		if !m.DHCPEnabled(now) {
			t.Errorf("%s: not serving in load-balancing after the sync", d)
		}
		// Outside partner-down, the notify lifts the partner's disable.
		m.PartnerDisable(now, 0)
		m.SyncCompleteNotify()
		if !m.DHCPEnabled(now) {
			t.Errorf("%s: sync-complete-notify did not enable", d)
		}
		m.PartnerDisable(now, 0)
		m.PartnerEnable()
		if !m.DHCPEnabled(now) {
			t.Errorf("%s: dhcp-enable ignored", d)
		}
	}
}

func TestSetScopes(t *testing.T) {
	m := NewMachine(rel(t, Kea22, "load-balancing", "s1", ""), Kea22, t0)
	if err := m.SetScopes([]string{"s1", "nobody"}); err == nil || !strings.Contains(err.Error(), `"nobody"`) {
		t.Errorf("unknown scope: %v", err)
	}
	if len(m.Scopes()) != 0 {
		t.Errorf("failed ha-scopes changed scopes: %v", m.Scopes())
	}
	if err := m.SetScopes([]string{"s2"}); err != nil || !reflect.DeepEqual(m.Scopes(), []string{"s2"}) {
		t.Errorf("ha-scopes: %v %v", err, m.Scopes())
	}
	if !m.Serves("not-a-peer") {
		t.Error("a scope no peer owns is not served")
	}
}

// TestMaintenanceCancelStalePartner: after a maintenance cancel both
// servers go back at once, so the partner state known from the last
// heartbeat (in-maintenance, partner-in-maintenance) is stale; a run of
// the handler before the next heartbeat answer must not follow it back
// into maintenance, which would leave the pair there for good.
func TestMaintenanceCancelStalePartner(t *testing.T) {
	r := rel(t, Kea22, "load-balancing", "s1", "")
	// The initiator.
	m := NewMachine(r, Kea22, t0)
	now := to(t, m, StateLoadBalancing)
	if err := m.MaintenanceStarted(now, true, 0); err != nil {
		t.Fatal(err)
	}
	m.HeartbeatDone(now, ok(StateInMaintenance, now))
	if err := m.MaintenanceCancel(now); err != nil {
		t.Fatal(err)
	}
	m.Step(now.Add(10 * time.Millisecond))
	want(t, m, StateLoadBalancing)
	m.HeartbeatDone(now, ok(StateLoadBalancing, now))
	want(t, m, StateLoadBalancing)

	// The partner told to cancel.
	m = NewMachine(r, Kea22, t0)
	now = to(t, m, StateLoadBalancing)
	m.MaintenanceNotify(now, false)
	m.HeartbeatDone(now, ok(StatePartnerInMaintenance, now))
	if res, _ := m.MaintenanceNotify(now, true); res != 0 {
		t.Fatalf("cancel: %d", res)
	}
	m.Step(now.Add(10 * time.Millisecond))
	want(t, m, StateLoadBalancing)
	// Answers the partner gave before applying the cancel are not
	// followed back into maintenance (two: one may be in flight on each
	// side of the cancel)...
	for range maintenanceCancelGrace {
		m.HeartbeatDone(now, ok(StatePartnerInMaintenance, now))
		want(t, m, StateLoadBalancing)
	}
	// ...but a partner that really is partner-in-maintenance is followed.
	m.HeartbeatDone(now, ok(StatePartnerInMaintenance, now))
	want(t, m, StateInMaintenance)
}

// TestMaintenanceCancelGrace: after a cancel, heartbeat answers that
// still show the partner in maintenance (given before it applied the
// cancel) are not followed, on either side; an answer in another state
// ends the grace at once.
func TestMaintenanceCancelGrace(t *testing.T) {
	r := rel(t, Kea22, "hot-standby", "s1", "")
	// The server told to cancel: the initiator answers a heartbeat with
	// partner-in-maintenance before it has applied its own cancel.
	m := NewMachine(r, Kea22, t0)
	now := to(t, m, StateHotStandby)
	m.MaintenanceNotify(now, false)
	want(t, m, StateInMaintenance)
	if res, _ := m.MaintenanceNotify(now, true); res != 0 {
		t.Fatalf("cancel: %d", res)
	}
	m.HeartbeatDone(now, ok(StatePartnerInMaintenance, now))
	want(t, m, StateHotStandby)
	m.HeartbeatDone(now, ok(StateHotStandby, now))
	want(t, m, StateHotStandby)
	// The grace is over: a new maintenance shown by the partner is
	// followed at once.
	m.HeartbeatDone(now, ok(StatePartnerInMaintenance, now))
	want(t, m, StateInMaintenance)

	// The initiator: the partner answers in-maintenance before it has
	// received the cancel.
	m = NewMachine(r, Kea22, t0)
	now = to(t, m, StateHotStandby)
	if err := m.MaintenanceStarted(now, true, 0); err != nil {
		t.Fatal(err)
	}
	if err := m.MaintenanceCancel(now); err != nil {
		t.Fatal(err)
	}
	m.HeartbeatDone(now, ok(StateInMaintenance, now))
	want(t, m, StateHotStandby)
}

// TestMaintenanceStartedAfterHeartbeat: the partner's heartbeat answer
// (in-maintenance) can arrive before its answer to ha-maintenance-notify;
// the machine has then followed it to partner-in-maintenance, and the
// start succeeds instead of being refused.
func TestMaintenanceStartedAfterHeartbeat(t *testing.T) {
	r := rel(t, Kea22, "hot-standby", "s1", "")
	m := NewMachine(r, Kea22, t0)
	now := to(t, m, StateHotStandby)
	if err := m.CanStartMaintenance(); err != nil {
		t.Fatal(err)
	}
	m.HeartbeatDone(now, ok(StateInMaintenance, now))
	want(t, m, StatePartnerInMaintenance)
	if err := m.MaintenanceStarted(now, true, 0); err != nil {
		t.Fatalf("maintenance start after the partner's heartbeat: %v", err)
	}
	want(t, m, StatePartnerInMaintenance)
	if err := m.MaintenanceCancel(now); err != nil {
		t.Fatal(err)
	}
	m.Step(now.Add(10 * time.Millisecond))
	want(t, m, StateHotStandby)
}
