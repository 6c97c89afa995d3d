package client

import "strconv"

// State is a state of the RFC 2131 client state machine (figure 5).
type State uint8

// The states. StateReleased is not in RFC 2131: the client is there after
// it released its lease and stays until [Client.Renew] starts it again.
const (
	StateInit State = iota
	StateSelecting
	StateRequesting
	StateBound
	StateRenewing
	StateRebinding
	StateInitReboot
	StateRebooting
	StateReleased
)

var stateNames = [...]string{
	StateInit:       "INIT",
	StateSelecting:  "SELECTING",
	StateRequesting: "REQUESTING",
	StateBound:      "BOUND",
	StateRenewing:   "RENEWING",
	StateRebinding:  "REBINDING",
	StateInitReboot: "INIT-REBOOT",
	StateRebooting:  "REBOOTING",
	StateReleased:   "RELEASED",
}

func (s State) String() string {
	if int(s) < len(stateNames) {
		return stateNames[s]
	}
	return "State(" + strconv.Itoa(int(s)) + ")"
}

// HasLease reports whether a client in state s holds a lease it may use:
// BOUND, RENEWING and REBINDING.
func (s State) HasLease() bool {
	return s == StateBound || s == StateRenewing || s == StateRebinding
}
