package lease

import "encoding/json"

// KeaJSON is a lease in the JSON form of Kea's lease commands: what
// lease4-get, lease4-get-all, lease4-get-page and the other lease4-get*
// commands answer with (Kea's Lease4::toElement). The HA hook's
// lease4-update is built from it too, with expire in place of cltt.
type KeaJSON struct {
	IPAddress   string          `json:"ip-address"`
	SubnetID    uint32          `json:"subnet-id"`
	HWAddress   string          `json:"hw-address"`
	ClientID    string          `json:"client-id,omitempty"`
	ValidLft    uint32          `json:"valid-lft"`
	CLTT        int64           `json:"cltt"`
	FQDNFwd     bool            `json:"fqdn-fwd"`
	FQDNRev     bool            `json:"fqdn-rev"`
	Hostname    string          `json:"hostname"`
	State       uint8           `json:"state"`
	UserContext json.RawMessage `json:"user-context,omitempty"`
	// PoolID is Kea 3.x's, shown when not 0.
	PoolID uint32 `json:"pool-id,omitempty"`
}

// KeaJSON returns l in the form of Kea's lease commands. A user context
// that is not valid JSON (which Validate refuses) is left out, so that
// it cannot make a whole answer fail to encode.
func (l *Lease) KeaJSON() KeaJSON {
	k := KeaJSON{
		IPAddress: l.Addr.String(), SubnetID: l.SubnetID,
		HWAddress: string(AppendHex(nil, l.HWAddr)), ClientID: string(AppendHex(nil, l.ClientID)),
		ValidLft: l.ValidLifetime, CLTT: l.CLTT,
		FQDNFwd: l.FQDNFwd, FQDNRev: l.FQDNRev, Hostname: l.Hostname,
		State: uint8(l.State), PoolID: l.PoolID,
	}
	if l.UserContext != "" && json.Valid([]byte(l.UserContext)) {
		k.UserContext = json.RawMessage(l.UserContext)
	}
	return k
}

// AppendHex appends b as Kea writes hardware addresses and client
// identifiers, in its lease commands and its memfile CSV alike: lower-case
// hex bytes separated by colons, "01:02:0a"; nothing for no bytes.
func AppendHex(dst, b []byte) []byte {
	const digits = "0123456789abcdef"
	for i, c := range b {
		if i > 0 {
			dst = append(dst, ':')
		}
		dst = append(dst, digits[c>>4], digits[c&15])
	}
	return dst
}
