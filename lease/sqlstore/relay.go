package sqlstore

import (
	"encoding/hex"
	"encoding/json"
)

// RelayIDs are the relay and remote identifiers Kea 3.x stores in lease4's
// own columns (relay_id, remote_id) in both SQL schemas: the hexadecimal
// relay-id and remote-id of the user context's ISC relay-agent-info, nil
// (NULL, as Kea writes an empty one) when absent or not hexadecimal.
func RelayIDs(userContext string) (relay, remote []byte) {
	if userContext == "" {
		return nil, nil
	}
	var uc struct {
		ISC struct {
			RAI json.RawMessage `json:"relay-agent-info"`
		} `json:"ISC"`
	}
	if json.Unmarshal([]byte(userContext), &uc) != nil || len(uc.ISC.RAI) == 0 {
		return nil, nil
	}
	var rai map[string]any
	if json.Unmarshal(uc.ISC.RAI, &rai) != nil {
		return nil, nil // Kea 2.2's form: a string of the option's bytes
	}
	decode := func(key string) []byte {
		s, _ := rai[key].(string)
		b, err := hex.DecodeString(s)
		if err != nil || len(b) == 0 {
			return nil
		}
		return b
	}
	return decode("relay-id"), decode("remote-id")
}
