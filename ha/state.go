package ha

import "fmt"

// State is a state of Kea's HA state machine, or the pseudo-state
// Unavailable a partner is in after a failed exchange.
type State int

// The states, named as Kea names them on the wire and in status-get.
const (
	// StateUnknown is the partner's state before the first heartbeat
	// completes (status-get's "in-touch": false).
	StateUnknown State = iota
	StateBackup
	StateCommunicationRecovery
	StateHotStandby
	StateLoadBalancing
	StateInMaintenance
	StatePartnerDown
	StatePartnerInMaintenance
	StatePassiveBackup
	StateReady
	StateSyncing
	StateTerminated
	StateWaiting
	// StateUnavailable is only ever a partner's state: the last exchange
	// with it failed.
	StateUnavailable
)

var stateNames = [...]string{
	StateUnknown:               "unknown",
	StateBackup:                "backup",
	StateCommunicationRecovery: "communication-recovery",
	StateHotStandby:            "hot-standby",
	StateLoadBalancing:         "load-balancing",
	StateInMaintenance:         "in-maintenance",
	StatePartnerDown:           "partner-down",
	StatePartnerInMaintenance:  "partner-in-maintenance",
	StatePassiveBackup:         "passive-backup",
	StateReady:                 "ready",
	StateSyncing:               "syncing",
	StateTerminated:            "terminated",
	StateWaiting:               "waiting",
	StateUnavailable:           "unavailable",
}

// String returns Kea's name of the state.
func (s State) String() string {
	if s >= 0 && int(s) < len(stateNames) {
		return stateNames[s]
	}
	return fmt.Sprintf("state(%d)", int(s))
}

// ParseState returns the state Kea names name. "unknown" is not a name Kea
// sends and is refused, "unavailable" is accepted (a partner's state).
func ParseState(name string) (State, error) {
	for s, n := range stateNames {
		if n == name && State(s) != StateUnknown {
			return State(s), nil
		}
	}
	return StateUnknown, fmt.Errorf("unknown HA state %q", name)
}

// MarshalText writes Kea's name of the state.
func (s State) MarshalText() ([]byte, error) { return []byte(s.String()), nil }

// UnmarshalText reads Kea's name of a state.
func (s *State) UnmarshalText(b []byte) error {
	v, err := ParseState(string(b))
	if err != nil {
		return err
	}
	*s = v
	return nil
}

// States lists the states a server can be in (not Unknown nor Unavailable),
// in Kea's order.
func States() []State {
	return []State{
		StateBackup, StateCommunicationRecovery, StateHotStandby, StateLoadBalancing,
		StateInMaintenance, StatePartnerDown, StatePartnerInMaintenance, StatePassiveBackup,
		StateReady, StateSyncing, StateTerminated, StateWaiting,
	}
}
