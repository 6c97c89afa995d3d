package ncr

import (
	"crypto/sha256"
	"errors"
	"fmt"

	"github.com/leased/leased/ddns"
)

// DHCID identifier types (RFC 4701 §3.3).
const (
	idHWAddr   = 0x0000 // htype and chaddr
	idClientID = 0x0001 // a DHCPv4 client identifier
	idDUID     = 0x0002 // the DUID of an RFC 4361 client identifier
)

const digestSHA256 = 1

// DHCIDLen is the length of a DHCID RDATA Kea computes: identifier type,
// digest type and a SHA-256 digest.
const DHCIDLen = 2 + 1 + sha256.Size

// DHCIDFromClientID returns the DHCID RDATA of a client identified by
// client identifier id (option 61's data, type byte included) for the
// name fqdn, as Kea computes it: an RFC 4361 identifier (type 255) is
// represented by its DUID (the bytes after type and IAID), any other by
// all its bytes.
func DHCIDFromClientID(id []byte, fqdn string) ([]byte, error) {
	if len(id) == 0 {
		return nil, errors.New("DHCID: empty client identifier")
	}
	if id[0] == 255 {
		// Type 255, IAID (4 bytes), DUID; Kea refuses a DUID it cannot
		// hold (RFC 8415's 128 bytes and its 2-byte type).
		if len(id) <= 5 || len(id) > 5+130 {
			return nil, fmt.Errorf("DHCID: RFC 4361 client identifier of %d bytes has no usable DUID", len(id))
		}
		return dhcid(idDUID, id[5:], fqdn)
	}
	return dhcid(idClientID, id, fqdn)
}

// DHCIDFromHWAddr returns the DHCID RDATA of a client identified by its
// hardware address (htype and chaddr) for the name fqdn.
func DHCIDFromHWAddr(htype uint8, hw []byte, fqdn string) ([]byte, error) {
	if len(hw) == 0 {
		return nil, errors.New("DHCID: empty hardware address")
	}
	id := make([]byte, 0, 1+len(hw))
	id = append(append(id, htype), hw...)
	return dhcid(idHWAddr, id, fqdn)
}

// dhcid is RFC 4701 §3.3: the identifier type, the digest type and
// SHA-256 over the identifier and the name in wire form, lowercased.
func dhcid(idType uint16, id []byte, fqdn string) ([]byte, error) {
	in := make([]byte, 0, len(id)+len(fqdn)+2)
	in = append(in, id...)
	in, err := ddns.AppendWireName(in, fqdn, true)
	if err != nil {
		return nil, fmt.Errorf("DHCID: %w", err)
	}
	sum := sha256.Sum256(in)
	out := make([]byte, 0, DHCIDLen)
	out = append(out, byte(idType>>8), byte(idType), digestSHA256)
	return append(out, sum[:]...), nil
}
