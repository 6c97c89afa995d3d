package ha

import (
	"strings"
	"testing"
	"time"
)

// skewed is a successful heartbeat from a partner in state s whose clock
// is off ours by skew.
func skewed(s State, now time.Time, skew time.Duration) Heartbeat {
	return Heartbeat{OK: true, State: s, Time: now.Add(skew)}
}

// TestHealPrimaryAfterSkew: with healing, a primary terminated by clock
// skew keeps heartbeating, stays terminated while the skew is above the
// warning threshold, and leaves for waiting after 3 heartbeats in a row
// with close clocks even though the partner is still terminated; the
// partner staying terminated 3 heartbeats more sends it back to
// terminated, where it stays until the partner leaves that state, and
// then it heals and syncs.
func TestHealPrimaryAfterSkew(t *testing.T) {
	m := NewMachine(rel(t, Kea22, "load-balancing", "s1", ""), Kea22, t0)
	m.SetHealing(3)
	now := to(t, m, StateLoadBalancing)
	m.HeartbeatDone(now, skewed(StateLoadBalancing, now, 61*time.Second))
	want(t, m, StateTerminated)
	if !m.ShouldHeartbeat() {
		t.Fatal("terminated by skew with healing: no heartbeats, so nothing could tell the clocks are right again")
	}
	beat := func(s State, skew time.Duration) {
		now = now.Add(time.Second)
		m.HeartbeatDone(now, skewed(s, now, skew))
	}
	for range 5 {
		beat(StateTerminated, 45*time.Second) // still above ClockSkewWarn
	}
	want(t, m, StateTerminated)
	beat(StateTerminated, 0)
	beat(StateTerminated, 0)
	m.HeartbeatDone(now, failed) // a failure breaks the run
	beat(StateTerminated, 0)
	beat(StateTerminated, 0)
	want(t, m, StateTerminated)
	if r := m.Status(now).Servers.Local.Reason; !strings.Contains(r, "2 of 3") {
		t.Errorf("terminated while healing: reason %q, want the heartbeats counted (2 of 3)", r)
	}
	beat(StateTerminated, time.Second)
	want(t, m, StateWaiting)
	// The partner (Kea, say) stays terminated.
	beat(StateTerminated, 0)
	beat(StateTerminated, 0)
	want(t, m, StateWaiting)
	beat(StateTerminated, 0)
	want(t, m, StateTerminated)
	for range 10 {
		beat(StateTerminated, 0)
	}
	want(t, m, StateTerminated)
	if r := m.Status(now).Servers.Local.Reason; !strings.Contains(r, "s2") || !strings.Contains(r, "terminated") {
		t.Errorf("terminated waiting for the partner: reason %q, want it to name s2 and its state", r)
	}
	// An operator resets the partner: it is waiting now.
	beat(StateWaiting, 0)
	beat(StateWaiting, 0)
	want(t, m, StateSyncing) // waiting, then the primary goes first
}

// TestHealSecondaryFollows: a secondary terminated by skew does not leave
// first while its partner is terminated; once the partner (healed) is
// waiting, it leaves, and the pair syncs back to normal.
func TestHealSecondaryFollows(t *testing.T) {
	m := NewMachine(rel(t, Kea22, "load-balancing", "s2", ""), Kea22, t0)
	m.SetHealing(3)
	now := t0.Add(time.Second)
	m.HeartbeatDone(now, ok(StateLoadBalancing, now))
	want(t, m, StateSyncing)
	m.HeartbeatDone(now, ok(StateLoadBalancing, now)) // the sync task is handed out
	m.SyncDone(now, true)
	m.HeartbeatDone(now, ok(StateLoadBalancing, now))
	want(t, m, StateLoadBalancing)
	m.HeartbeatDone(now, skewed(StateLoadBalancing, now, -70*time.Second))
	want(t, m, StateTerminated)
	for range 10 {
		now = now.Add(time.Second)
		m.HeartbeatDone(now, ok(StateTerminated, now))
	}
	want(t, m, StateTerminated)
	now = now.Add(time.Second)
	m.HeartbeatDone(now, ok(StateWaiting, now))
	want(t, m, StateWaiting)
	m.HeartbeatDone(now, ok(StateSyncing, now))
	m.HeartbeatDone(now, ok(StateReady, now))
	want(t, m, StateSyncing)
	m.HeartbeatDone(now, ok(StateReady, now))
	m.SyncDone(now, true)
	m.HeartbeatDone(now, ok(StateLoadBalancing, now))
	want(t, m, StateLoadBalancing)
}

// TestNoHealing: without SetHealing the machine stays terminated as Kea
// does, and a termination for rejected lease updates (3.x) never heals.
func TestNoHealing(t *testing.T) {
	m := NewMachine(rel(t, Kea22, "load-balancing", "s1", ""), Kea22, t0)
	now := to(t, m, StateLoadBalancing)
	m.HeartbeatDone(now, skewed(StateLoadBalancing, now, 61*time.Second))
	want(t, m, StateTerminated)
	if m.ShouldHeartbeat() {
		t.Error("terminated without healing sends heartbeats; Kea does not")
	}
	for range 5 {
		now = now.Add(time.Second)
		m.HeartbeatDone(now, ok(StateWaiting, now))
	}
	want(t, m, StateTerminated)

	m = NewMachine(rel(t, Kea3, "load-balancing", "s1", `, "max-rejected-lease-updates": 1`), Kea3, t0)
	m.SetHealing(1)
	now = to(t, m, StateLoadBalancing)
	m.LeaseUpdateRejected(now, []byte{1}, nil)
	want(t, m, StateTerminated)
	for range 5 {
		now = now.Add(time.Second)
		m.HeartbeatDone(now, ok(StateWaiting, now))
	}
	want(t, m, StateTerminated)
}
