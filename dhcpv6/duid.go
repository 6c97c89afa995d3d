package dhcpv6

import (
	"encoding/binary"
	"encoding/hex"
	"errors"
	"net"
	"strconv"
	"strings"
	"time"
)

// DUID is a DHCP Unique Identifier (RFC 8415 §11): a 2-byte type and
// its contents.
type DUID []byte

// DUIDType is a DUID's type (RFC 8415 §11.1).
type DUIDType uint16

// The DUID types.
const (
	DUIDLLT  DUIDType = 1 // link-layer address plus time
	DUIDEN   DUIDType = 2 // enterprise number
	DUIDLL   DUIDType = 3 // link-layer address
	DUIDUUID DUIDType = 4 // UUID (RFC 6355)
)

func (t DUIDType) String() string {
	switch t {
	case DUIDLLT:
		return "DUID-LLT"
	case DUIDEN:
		return "DUID-EN"
	case DUIDLL:
		return "DUID-LL"
	case DUIDUUID:
		return "DUID-UUID"
	}
	return "DUID-type(" + strconv.Itoa(int(t)) + ")"
}

// HardwareTypeEthernet is ARP hardware type 1, the link-layer type of
// DUID-LLT and DUID-LL on Ethernet.
const HardwareTypeEthernet = 1

// duidEpoch is the origin of DUID-LLT's time: midnight UTC, January 1,
// 2000 (RFC 8415 §11.2).
var duidEpoch = time.Date(2000, 1, 1, 0, 0, 0, 0, time.UTC)

// NewDUIDLLT makes a DUID-LLT from a hardware type and address and the
// time it is created.
func NewDUIDLLT(hwType uint16, hw net.HardwareAddr, t time.Time) DUID {
	d := make(DUID, 8, 8+len(hw))
	binary.BigEndian.PutUint16(d, uint16(DUIDLLT))
	binary.BigEndian.PutUint16(d[2:], hwType)
	binary.BigEndian.PutUint32(d[4:], uint32(t.Sub(duidEpoch)/time.Second))
	return append(d, hw...)
}

// NewDUIDLL makes a DUID-LL from a hardware type and address.
func NewDUIDLL(hwType uint16, hw net.HardwareAddr) DUID {
	d := make(DUID, 4, 4+len(hw))
	binary.BigEndian.PutUint16(d, uint16(DUIDLL))
	binary.BigEndian.PutUint16(d[2:], hwType)
	return append(d, hw...)
}

// NewDUIDEN makes a DUID-EN from an enterprise number and an identifier.
func NewDUIDEN(enterprise uint32, id []byte) DUID {
	d := make(DUID, 6, 6+len(id))
	binary.BigEndian.PutUint16(d, uint16(DUIDEN))
	binary.BigEndian.PutUint32(d[2:], enterprise)
	return append(d, id...)
}

// NewDUIDUUID makes a DUID-UUID.
func NewDUIDUUID(uuid [16]byte) DUID {
	d := make(DUID, 2, 18)
	binary.BigEndian.PutUint16(d, uint16(DUIDUUID))
	return append(d, uuid[:]...)
}

// Type returns the DUID's type, 0 if it is shorter than 2 bytes.
func (d DUID) Type() DUIDType {
	if len(d) < 2 {
		return 0
	}
	return DUIDType(binary.BigEndian.Uint16(d))
}

// Validate checks the DUID's length: RFC 8415 §11.1 allows at most 128
// bytes after the type, and each known type has fixed fields.
func (d DUID) Validate() error {
	if len(d) < 3 || len(d) > 130 {
		return errors.New("dhcpv6: DUID of " + strconv.Itoa(len(d)) + " bytes; want 3 to 130")
	}
	min := map[DUIDType]int{DUIDLLT: 9, DUIDEN: 7, DUIDLL: 5}[d.Type()]
	if d.Type() == DUIDUUID && len(d) != 18 {
		return errors.New("dhcpv6: DUID-UUID of " + strconv.Itoa(len(d)) + " bytes; want 18")
	}
	if len(d) < min {
		return errors.New("dhcpv6: " + d.Type().String() + " of " + strconv.Itoa(len(d)) + " bytes is too short")
	}
	return nil
}

// HardwareAddr returns the link-layer address of a DUID-LLT or DUID-LL.
func (d DUID) HardwareAddr() (net.HardwareAddr, bool) {
	switch {
	case d.Type() == DUIDLLT && len(d) > 8:
		return net.HardwareAddr(d[8:]), true
	case d.Type() == DUIDLL && len(d) > 4:
		return net.HardwareAddr(d[4:]), true
	}
	return nil, false
}

// String returns the DUID as colon-separated hex bytes, as Kea prints it.
func (d DUID) String() string {
	var sb strings.Builder
	for i, c := range d {
		if i > 0 {
			sb.WriteByte(':')
		}
		sb.WriteString(hex.EncodeToString([]byte{c}))
	}
	return sb.String()
}

// ParseDUID reads a DUID in the form String writes (colons optional).
func ParseDUID(s string) (DUID, error) {
	b, err := hex.DecodeString(strings.ReplaceAll(strings.TrimSpace(s), ":", ""))
	if err != nil {
		return nil, errors.New("dhcpv6: DUID " + strconv.Quote(s) + " is not hexadecimal")
	}
	d := DUID(b)
	if err := d.Validate(); err != nil {
		return nil, err
	}
	return d, nil
}

// MarshalText writes the DUID as String does, so that logs and JSON show
// it in that form.
func (d DUID) MarshalText() ([]byte, error) { return []byte(d.String()), nil }

// UnmarshalText reads what MarshalText writes.
func (d *DUID) UnmarshalText(b []byte) error {
	p, err := ParseDUID(string(b))
	if err != nil {
		return err
	}
	*d = p
	return nil
}
