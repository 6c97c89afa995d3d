package dhcpv4

import (
	"encoding/binary"
	"net/netip"
)

// MessageType returns the value of option 53, or 0 for a BOOTP message.
func (p *Packet) MessageType() MessageType {
	v, ok := p.Option(OptionMessageType)
	if !ok || len(v) != 1 {
		return 0
	}
	return MessageType(v[0])
}

// RequestedIP returns option 50, the address a client asks for.
func (p *Packet) RequestedIP() (netip.Addr, bool) { return p.addrOption(OptionRequestedIP) }

// ServerID returns option 54, the server identifier.
func (p *Packet) ServerID() (netip.Addr, bool) { return p.addrOption(OptionServerID) }

// SubnetSelection returns option 118 (RFC 3011).
func (p *Packet) SubnetSelection() (netip.Addr, bool) { return p.addrOption(OptionSubnetSelection) }

// LeaseTime returns option 51 in seconds.
func (p *Packet) LeaseTime() (uint32, bool) { return p.uint32Option(OptionLeaseTime) }

// RenewalTime returns option 58 (T1) in seconds.
func (p *Packet) RenewalTime() (uint32, bool) { return p.uint32Option(OptionRenewalTime) }

// RebindingTime returns option 59 (T2) in seconds.
func (p *Packet) RebindingTime() (uint32, bool) { return p.uint32Option(OptionRebindingTime) }

// MaxMessageSize returns option 57, the largest DHCP message the client
// accepts, counting the IP and UDP headers.
func (p *Packet) MaxMessageSize() (uint16, bool) {
	v, ok := p.Option(OptionMaxMessageSize)
	if !ok || len(v) != 2 {
		return 0, false
	}
	return binary.BigEndian.Uint16(v), true
}

// ParameterList returns option 55, the codes the client asks for, in its
// order of preference.
func (p *Packet) ParameterList() []byte {
	v, _ := p.Option(OptionParameterList)
	return v
}

// Requested reports whether the client listed code in option 55.
func (p *Packet) Requested(code OptionCode) bool {
	for _, c := range p.ParameterList() {
		if OptionCode(c) == code {
			return true
		}
	}
	return false
}

// ClientID returns option 61, the client identifier (type byte first).
func (p *Packet) ClientID() []byte {
	v, _ := p.Option(OptionClientID)
	return v
}

// HostName returns option 12.
func (p *Packet) HostName() []byte {
	v, _ := p.Option(OptionHostName)
	return v
}

// VendorClass returns option 60, the vendor class identifier.
func (p *Packet) VendorClass() []byte {
	v, _ := p.Option(OptionVendorClass)
	return v
}

// VendorSpecific returns option 43.
func (p *Packet) VendorSpecific() []byte {
	v, _ := p.Option(OptionVendorSpecific)
	return v
}

// ClientFQDN returns option 81 (RFC 4702) and whether it is present and
// well formed.
func (p *Packet) ClientFQDN() (FQDN, bool) {
	v, ok := p.Option(OptionClientFQDN)
	if !ok || len(v) < 3 {
		return FQDN{}, false
	}
	return FQDN{Flags: v[0], RCode1: v[1], RCode2: v[2], Name: v[3:]}, true
}

// FQDN is the client FQDN option (81).
type FQDN struct {
	Flags  uint8
	RCode1 uint8
	RCode2 uint8
	// Name is the domain name as sent: DNS wire format when the E flag is
	// set, ASCII otherwise (deprecated by RFC 4702 but still seen).
	Name []byte
}

// Client FQDN flags (RFC 4702 §2.1).
const (
	FQDNServerUpdates uint8 = 0x01 // S: the server should update the A RR
	FQDNOverride      uint8 = 0x02 // O: the server overrode the client's S
	FQDNEncoded       uint8 = 0x04 // E: the name is in wire format
	FQDNNoUpdate      uint8 = 0x08 // N: the server should do no updates
)

// RelayAgentInfo returns option 82 as a view over its sub-options.
func (p *Packet) RelayAgentInfo() (RelayInfo, bool) {
	v, ok := p.Option(OptionRelayAgentInfo)
	if !ok {
		return RelayInfo{}, false
	}
	return RelayInfo(v), true
}

// RelayInfo is the value of option 82: a sequence of sub-options.
type RelayInfo []byte

// Sub returns the value of sub-option code and whether it is present and
// well formed. A malformed tail is treated as absent sub-options.
func (r RelayInfo) Sub(code uint8) ([]byte, bool) {
	v, ok := findTLV(r, code)
	return v, ok
}

// CircuitID returns sub-option 1.
func (r RelayInfo) CircuitID() []byte { v, _ := r.Sub(AgentCircuitID); return v }

// RemoteID returns sub-option 2.
func (r RelayInfo) RemoteID() []byte { v, _ := r.Sub(AgentRemoteID); return v }

// SubscriberID returns sub-option 6 (RFC 3993).
func (r RelayInfo) SubscriberID() []byte { v, _ := r.Sub(AgentSubscriberID); return v }

// LinkSelection returns sub-option 5 (RFC 3527), the subnet the relay asks
// the server to select.
func (r RelayInfo) LinkSelection() (netip.Addr, bool) { return r.addrSub(AgentLinkSelection) }

// ServerIDOverride returns sub-option 11 (RFC 5107).
func (r RelayInfo) ServerIDOverride() (netip.Addr, bool) { return r.addrSub(AgentServerIDOverride) }

func (r RelayInfo) addrSub(code uint8) (netip.Addr, bool) {
	v, ok := r.Sub(code)
	if !ok || len(v) != 4 {
		return netip.Addr{}, false
	}
	return netip.AddrFrom4([4]byte(v)), true
}

// Valid reports whether the sub-options parse to the end of the value.
func (r RelayInfo) Valid() bool {
	for i := 0; i < len(r); {
		if i+1 >= len(r) || i+2+int(r[i+1]) > len(r) {
			return false
		}
		i += 2 + int(r[i+1])
	}
	return true
}

// findTLV finds code in a sequence of one-byte-code, one-byte-length
// entries.
func findTLV(b []byte, code uint8) ([]byte, bool) {
	for i := 0; i+1 < len(b); {
		n := int(b[i+1])
		if i+2+n > len(b) {
			return nil, false
		}
		if b[i] == code {
			return b[i+2 : i+2+n : i+2+n], true
		}
		i += 2 + n
	}
	return nil, false
}

// VendorData calls fn for each enterprise entry of option 124 (vendor
// class: enterprise number and data) or 125 (vendor-specific: enterprise
// number and encapsulated sub-options), RFC 3925, until fn returns false. It
// reports false if the option is malformed.
func (p *Packet) VendorData(code OptionCode, fn func(enterprise uint32, data []byte) bool) bool {
	v, _ := p.Option(code)
	for i := 0; i < len(v); {
		if i+5 > len(v) {
			return false
		}
		ent := binary.BigEndian.Uint32(v[i:])
		n := int(v[i+4])
		if i+5+n > len(v) {
			return false
		}
		if !fn(ent, v[i+5:i+5+n]) {
			return true
		}
		i += 5 + n
	}
	return true
}

func (p *Packet) addrOption(code OptionCode) (netip.Addr, bool) {
	v, ok := p.Option(code)
	if !ok || len(v) != 4 {
		return netip.Addr{}, false
	}
	return netip.AddrFrom4([4]byte(v)), true
}

func (p *Packet) uint32Option(code OptionCode) (uint32, bool) {
	v, ok := p.Option(code)
	if !ok || len(v) != 4 {
		return 0, false
	}
	return binary.BigEndian.Uint32(v), true
}
