package client6

import "strconv"

// State is what the client is doing.
type State uint8

// The states. RFC 8415 names the exchanges, not states; each state but
// Bound, Informed and Released is one exchange under way.
const (
	StateInit       State = iota // before the first Solicit (its random delay)
	StateSoliciting              // Solicit sent, collecting Advertises
	StateRequesting              // Request sent to the chosen server
	StateBound                   // leases held, waiting for T1
	StateRenewing                // Renew sent to the server (T1 passed)
	StateRebinding               // Rebind sent to any server (T2 passed, or after a restart with prefixes)
	StateConfirming              // Confirm sent (after a restart with addresses only)
	StateDeclining               // Decline sent for addresses found in use
	StateReleasing               // Release sent
	StateReleased                // released; waits for Renew to start again
	StateInformationRequesting
	StateInformed // stateless configuration held, waiting for its refresh
)

var stateNames = [...]string{
	StateInit:                  "INIT",
	StateSoliciting:            "SOLICITING",
	StateRequesting:            "REQUESTING",
	StateBound:                 "BOUND",
	StateRenewing:              "RENEWING",
	StateRebinding:             "REBINDING",
	StateConfirming:            "CONFIRMING",
	StateDeclining:             "DECLINING",
	StateReleasing:             "RELEASING",
	StateReleased:              "RELEASED",
	StateInformationRequesting: "INFORMATION-REQUESTING",
	StateInformed:              "INFORMED",
}

func (s State) String() string {
	if int(s) < len(stateNames) {
		return stateNames[s]
	}
	return "State(" + strconv.Itoa(int(s)) + ")"
}
