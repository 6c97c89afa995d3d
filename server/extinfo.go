package server

import (
	"bytes"
	"encoding/json"
	"slices"
	"strings"

	"github.com/leased/leased/dhcpv4"
	"github.com/leased/leased/lease"
)

// Extended lease information (store-extended-info). Kea keeps the relay
// agent information (option 82) of the client's last request in the
// lease's user context, under "ISC", for lease queries and forensic
// logging. Since Kea 2.4 (2.3.7) the entry is a map:
//
//	{"ISC": {"relay-agent-info": {
//		"sub-options": "0x0104C0000201020B...", // option 82's value
//		"remote-id":   "0B...",                  // sub-option 2, when present
//		"relay-id":    "..."                     // sub-option 12, when present
//	}}}
//
// Kea 2.2 wrote the hexadecimal string alone ("relay-agent-info":
// "0x...") and replaced the whole "ISC" map with it; current Kea converts
// such entries when it loads the leases. leased writes the current form,
// and keeps every other key of the user context, as Kea does.

// relayAgentInfo returns the "relay-agent-info" map Kea stores for option
// 82 value rai, with its keys in Kea's (sorted) order. Hexadecimal is in
// upper case, as Kea writes it. Kea stores the option as it re-encodes
// it, its sub-options in the order of their codes; a value whose
// sub-options do not parse is stored as received.
func relayAgentInfo(rai dhcpv4.RelayInfo) []byte {
	b := make([]byte, 0, 40+4*len(rai))
	b = append(b, '{')
	sep := false
	field := func(key string, prefix string, v []byte) {
		if sep {
			b = append(b, ',')
		}
		sep = true
		b = append(b, '"')
		b = append(b, key...)
		b = append(b, `":"`...)
		b = append(b, prefix...)
		b = appendUpperHex(b, v)
		b = append(b, '"')
	}
	// Kea reads sub-options 2 and 12 from its decoded option: the first
	// of each code, and only when it is not empty.
	if v, ok := rai.Sub(dhcpv4.AgentRelayID); ok && len(v) > 0 {
		field("relay-id", "", v)
	}
	if v, ok := rai.Sub(dhcpv4.AgentRemoteID); ok && len(v) > 0 {
		field("remote-id", "", v)
	}
	if len(rai) == 0 {
		// Kea's text for an option without data is empty, not "0x".
		field("sub-options", "", nil)
	} else {
		field("sub-options", "0x", sortedSubOptions(rai))
	}
	return append(b, '}')
}

// sortedSubOptions returns the sub-options of rai ordered by code, those
// of one code in the order received; rai itself when it is already in
// order or does not parse.
func sortedSubOptions(rai dhcpv4.RelayInfo) []byte {
	if !rai.Valid() {
		return rai
	}
	type sub struct{ from, to int }
	var subs []sub
	sorted := true
	for i := 0; i < len(rai); i += 2 + int(rai[i+1]) {
		if len(subs) > 0 && rai[subs[len(subs)-1].from] > rai[i] {
			sorted = false
		}
		subs = append(subs, sub{i, i + 2 + int(rai[i+1])})
	}
	if sorted {
		return rai
	}
	slices.SortStableFunc(subs, func(x, y sub) int { return int(rai[x.from]) - int(rai[y.from]) })
	out := make([]byte, 0, len(rai))
	for _, s := range subs {
		out = append(out, rai[s.from:s.to]...)
	}
	return out
}

func appendUpperHex(dst, src []byte) []byte {
	const digits = "0123456789ABCDEF"
	for _, c := range src {
		dst = append(dst, digits[c>>4], digits[c&15])
	}
	return dst
}

// withRelayAgentInfo returns the user context uc with "ISC" /
// "relay-agent-info" set to info, a JSON object, every other key kept. A
// context that is not a JSON object, or an "ISC" entry that is not one,
// is replaced, as Kea does. Keys come out sorted (Kea's maps are sorted
// too).
func withRelayAgentInfo(uc string, info []byte) (string, error) {
	if strings.TrimSpace(uc) == "" {
		return `{"ISC":{"relay-agent-info":` + string(info) + `}}`, nil
	}
	var top map[string]json.RawMessage
	if err := json.Unmarshal([]byte(uc), &top); err != nil || top == nil {
		top = map[string]json.RawMessage{}
	}
	var isc map[string]json.RawMessage
	if raw, ok := top["ISC"]; !ok || json.Unmarshal(raw, &isc) != nil || isc == nil {
		isc = map[string]json.RawMessage{}
	}
	isc["relay-agent-info"] = info
	enc, err := marshalObject(isc)
	if err != nil {
		return "", err
	}
	top["ISC"] = enc
	out, err := marshalObject(top)
	return string(out), err
}

// marshalObject encodes m compactly, leaving <, > and & as they are.
func marshalObject(m map[string]json.RawMessage) ([]byte, error) {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(m); err != nil {
		return nil, err
	}
	return bytes.TrimSuffix(buf.Bytes(), []byte{'\n'}), nil
}

// userContext returns the user context of the lease being written for the
// client in ss: keep (the context of the lease it renews, or "" for a new
// lease) with, when store-extended-info is on in ss and the request
// carries option 82, the relay agent information of this request. A
// context that would grow past what a lease may hold keeps its old value.
func (t *txn) userContext(ss *subnetState, keep string) string {
	if !ss.cfg.Params.StoreExtendedInfo {
		return keep
	}
	rai, ok := t.p.RelayAgentInfo()
	if !ok {
		// Nothing to store, and Kea leaves what was stored before.
		return keep
	}
	uc, err := withRelayAgentInfo(keep, relayAgentInfo(rai))
	if err != nil || len(uc) > lease.MaxUserContextLen {
		t.s.log.Warn("relay agent information not stored: the lease's user context would be too long or cannot be read",
			"chaddr", hwString(t.hw), "error", err)
		return keep
	}
	return uc
}
