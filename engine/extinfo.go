package engine

import (
	"bytes"
	"encoding/hex"
	"encoding/json"
	"slices"
	"strconv"
	"strings"

	"github.com/leased/leased/dhcpv4"
	"github.com/leased/leased/dhcpv4/optdef"
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

// relayInfoHex is the syntax of relay information's hexadecimal in a
// lease's user context: Kea's formatted hexadecimal, without white space
// inside a run of digits.
const relayInfoHex = optdef.HexKea | optdef.HexStrictRun

// checkExtendedInfo applies sanity-checks.extended-info-checks to the
// user context of a lease read from the store, as Kea does when it loads
// its leases, and returns the context to keep, whether it changed and,
// when something was wrong, what (for the log). With "none" nothing is
// checked. From "fix" on, an empty context is dropped, an "ISC" entry
// that is not a map or is empty is removed, a Kea 2.2 "relay-agent-info"
// string is converted to the current map (or removed when its
// hexadecimal or its sub-options do not parse), and one that is neither
// a string nor a map is removed. "strict" also removes a map whose
// sub-options, remote-id or relay-id is not valid hexadecimal, and
// "pedantic" one with keys other than those and "comment".
func checkExtendedInfo(uc, level string) (out string, changed bool, problem string) {
	if level == "" || level == "none" || strings.TrimSpace(uc) == "" {
		return uc, false, ""
	}
	var top map[string]json.RawMessage
	if err := json.Unmarshal([]byte(uc), &top); err != nil || top == nil {
		return "", true, "the user context is not a map"
	}
	if len(top) == 0 {
		return "", true, ""
	}
	raw, ok := top["ISC"]
	if !ok {
		return uc, false, ""
	}
	// encode puts the context back together; an empty one is dropped.
	encode := func(isc map[string]json.RawMessage) string {
		if len(isc) == 0 {
			delete(top, "ISC")
		} else {
			b, err := marshalObject(isc)
			if err != nil {
				delete(top, "ISC")
			} else {
				top["ISC"] = b
			}
		}
		if len(top) == 0 {
			return ""
		}
		b, err := marshalObject(top)
		if err != nil {
			return ""
		}
		return string(b)
	}
	var isc map[string]json.RawMessage
	if err := json.Unmarshal(raw, &isc); err != nil || isc == nil {
		return encode(nil), true, "the ISC entry is not a map"
	}
	if len(isc) == 0 {
		return encode(nil), true, ""
	}
	info, ok := isc["relay-agent-info"]
	if !ok {
		return uc, false, ""
	}
	drop := func(why string) (string, bool, string) {
		delete(isc, "relay-agent-info")
		return encode(isc), true, "relay-agent-info: " + why
	}
	var old string
	if json.Unmarshal(info, &old) == nil {
		// Kea 2.2's form: convert it.
		b, err := optdef.ParseHex(old, relayInfoHex)
		if err != nil {
			return drop("the hexadecimal does not parse")
		}
		rai := dhcpv4.RelayInfo(b)
		if !rai.Valid() {
			return drop("the sub-options do not parse")
		}
		m := map[string]json.RawMessage{"sub-options": info}
		for key, code := range map[string]uint8{"remote-id": dhcpv4.AgentRemoteID, "relay-id": dhcpv4.AgentRelayID} {
			if v, ok := rai.Sub(code); ok && len(v) > 0 {
				m[key] = json.RawMessage(`"` + string(appendUpperHex(nil, v)) + `"`)
			}
		}
		enc, err := marshalObject(m)
		if err != nil {
			return drop(err.Error())
		}
		isc["relay-agent-info"] = enc
		return encode(isc), true, ""
	}
	var m map[string]json.RawMessage
	if json.Unmarshal(info, &m) != nil || m == nil {
		return drop("neither a map nor a string")
	}
	if level == "fix" {
		return uc, false, ""
	}
	for _, key := range []string{"sub-options", "remote-id", "relay-id"} {
		v, ok := m[key]
		if !ok {
			continue
		}
		var s string
		if json.Unmarshal(v, &s) != nil {
			return drop(key + " is not a string")
		}
		if key == "sub-options" {
			if _, err := optdef.ParseHex(s, relayInfoHex); err != nil {
				return drop(key + " is not hexadecimal")
			}
		} else if b, err := hex.DecodeString(s); err != nil || len(b) == 0 {
			return drop(key + " is empty or not hexadecimal")
		}
	}
	if level == "pedantic" {
		for key := range m {
			switch key {
			case "sub-options", "remote-id", "relay-id", "comment":
			default:
				return drop("spurious " + strconv.Quote(key) + " entry")
			}
		}
	}
	return uc, false, ""
}
