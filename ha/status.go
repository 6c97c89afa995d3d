package ha

import (
	"encoding/json"
	"fmt"
	"time"
)

// Status is one element of status-get's "high-availability" list.
type Status struct {
	Mode    string        `json:"ha-mode"`
	Servers StatusServers `json:"ha-servers"`
}

// StatusServers holds this server's view of itself and of its partner
// (absent for a backup and in passive-backup).
type StatusServers struct {
	Local  StatusLocal   `json:"local"`
	Remote *StatusRemote `json:"remote,omitempty"`
}

// StatusLocal is status-get's "local": Kea 3.x adds server-name and
// system-time. Reason is leased's: why the server is in its state and
// what it waits for.
type StatusLocal struct {
	Role       string   `json:"role"`
	Scopes     []string `json:"scopes"`
	ServerName string   `json:"server-name,omitempty"`
	State      string   `json:"state"`
	SystemTime string   `json:"system-time,omitempty"`
	Reason     string   `json:"reason,omitempty"`
}

// StatusRemote is status-get's "remote". ClockSkew (Kea 3.x, seconds) is
// null before the first heartbeat.
type StatusRemote struct {
	Age                      int64    `json:"age"`
	AnalyzedPackets          uint64   `json:"analyzed-packets"`
	ClockSkew                *int64   `json:"clock-skew,omitempty"`
	CommunicationInterrupted bool     `json:"communication-interrupted"`
	ConnectingClients        int      `json:"connecting-clients"`
	InTouch                  bool     `json:"in-touch"`
	LastScopes               []string `json:"last-scopes"`
	LastState                string   `json:"last-state"`
	Role                     string   `json:"role"`
	ServerName               string   `json:"server-name,omitempty"`
	SystemTime               string   `json:"system-time,omitempty"`
	UnackedClients           int      `json:"unacked-clients"`
	UnackedClientsLeft       int      `json:"unacked-clients-left"`
}

// MarshalJSON writes clock-skew as null rather than leaving it out when
// it is unknown in Kea 3.x's form (ServerName set).
func (r StatusRemote) MarshalJSON() ([]byte, error) {
	type plain StatusRemote
	b, err := json.Marshal(plain(r))
	if err != nil || r.ClockSkew != nil || r.ServerName == "" {
		return b, err
	}
	return append(b[:len(b)-1], []byte(`,"clock-skew":null}`)...), nil
}

// Status returns this relationship's part of status-get as Kea reports
// it, with leased's Reason added.
func (m *Machine) Status(now time.Time) Status {
	st := Status{Mode: m.rel.Mode.String()}
	local := StatusLocal{
		Role: m.this.Role.String(), State: m.state.String(), Scopes: m.Scopes(),
		Reason: m.reason(now),
	}
	if local.Scopes == nil {
		local.Scopes = []string{}
	}
	if m.dialect == Kea3 {
		local.ServerName = m.this.Name
		local.SystemTime = now.UTC().Format(time.DateTime)
	}
	st.Servers.Local = local
	if m.partner == nil || m.this.Role == RoleBackup || m.rel.Mode == ModePassiveBackup {
		return st
	}
	interrupted := m.CommunicationInterrupted(now)
	r := &StatusRemote{
		Role:                     m.partner.Role.String(),
		InTouch:                  m.partnerState != StateUnknown,
		Age:                      int64(now.Sub(m.lastPoke) / time.Second),
		LastScopes:               append([]string{}, m.partnerScopes...),
		CommunicationInterrupted: interrupted,
		ConnectingClients:        len(m.connecting),
		UnackedClients:           m.unacked,
		AnalyzedPackets:          m.analyzed,
	}
	if r.InTouch {
		r.LastState = m.partnerState.String()
	}
	if interrupted {
		r.UnackedClientsLeft = int(m.rel.MaxUnackedClients) - m.unacked + 1
		if r.UnackedClientsLeft < 0 {
			r.UnackedClientsLeft = 0
		}
	}
	if m.dialect == Kea3 {
		r.ServerName = m.partner.Name
		if m.skewKnown {
			s := int64(m.skew / time.Second)
			r.ClockSkew = &s
			r.SystemTime = now.Add(m.skew).UTC().Format(time.DateTime)
		}
	}
	st.Servers.Remote = r
	return st
}

// reason says in words why the machine is where it is and what it waits
// for: what Kea leaves the operator to work out from the logs.
func (m *Machine) reason(now time.Time) string {
	if m.paused {
		return fmt.Sprintf("paused on entering %s (state-machine pause); waiting for ha-continue", m.state)
	}
	p := "the partner"
	if m.partner != nil {
		p = m.partner.Name
	}
	switch m.state {
	case StateWaiting:
		switch m.partnerState {
		case StateUnknown:
			return fmt.Sprintf("waiting for the first heartbeat answer from %s", p)
		case StateUnavailable:
			left := m.rel.MaxResponseDelay - now.Sub(m.lastPoke)
			if left > 0 {
				return fmt.Sprintf("%s does not answer; partner-down in %s unless it does", p, left.Truncate(time.Millisecond))
			}
			return fmt.Sprintf("%s does not answer", p)
		case StateWaiting:
			return fmt.Sprintf("%s is waiting too; the primary goes first", p)
		case StateSyncing:
			return fmt.Sprintf("waiting for %s to finish its lease sync", p)
		case StateTerminated:
			if m.healedAlone {
				return fmt.Sprintf("left terminated with the clocks right again; %s is still terminated (%d of %d heartbeats before going back to terminated unless it leaves)", p, m.giveUp, m.healAfter)
			}
			return fmt.Sprintf("%s is terminated; it needs a restart or ha-reset", p)
		}
		return fmt.Sprintf("%s is %s", p, m.partnerState)
	case StateSyncing:
		if m.syncRunning {
			return fmt.Sprintf("fetching leases from %s", p)
		}
		return fmt.Sprintf("lease sync with %s to be (re)tried", p)
	case StateReady:
		return fmt.Sprintf("leases synced; waiting for %s (%s) to take up service", p, m.partnerState)
	case StateCommunicationRecovery:
		return fmt.Sprintf("%s unreachable; %d lease updates queued (limit %d)", p, m.backlog, m.rel.DelayedUpdatesLimit)
	case StatePartnerDown:
		return fmt.Sprintf("%s is %s; serving its clients", p, m.partnerState)
	case StateTerminated:
		if m.healAfter > 0 && m.termCause != termOther {
			return m.healReason(p)
		}
		if m.skewKnown && abs(m.skew) > ClockSkewTerminate {
			return fmt.Sprintf("clocks %s apart (more than %s); needs a restart or ha-reset", m.skew, ClockSkewTerminate)
		}
		return "terminated; needs a restart or ha-reset"
	case StateInMaintenance:
		return "in maintenance; waiting for ha-maintenance-cancel"
	}
	return ""
}

// healReason says what a healing machine in terminated waits for.
func (m *Machine) healReason(p string) string {
	switch {
	case m.noHeal:
		return fmt.Sprintf("terminated, serving this server's scope: %s stayed terminated when this server left that state; waiting for it to leave terminated (a restart or ha-reset of %s)", p, p)
	case !m.skewKnown:
		return fmt.Sprintf("terminated; waiting for a heartbeat answer from %s to compare the clocks", p)
	case abs(m.skew) > ClockSkewWarn:
		return fmt.Sprintf("terminated: %s's clock is %s off ours; leaves by itself once it is within %s for %d heartbeats in a row", p, m.skew, ClockSkewWarn, m.healAfter)
	case m.this.Role != RolePrimary && m.partnerState == StateTerminated:
		return fmt.Sprintf("terminated; the clocks are right again (%d of %d heartbeats), waiting for %s, the primary, to leave terminated first", min(m.healthy, m.healAfter), m.healAfter, p)
	}
	return fmt.Sprintf("terminated; the clocks are right again for %d of %d heartbeats, then this server leaves terminated and resynchronises", m.healthy, m.healAfter)
}
