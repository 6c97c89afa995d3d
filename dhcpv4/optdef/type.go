package optdef

import "fmt"

// Type is the data type of an option, or of one field of a record option,
// as Kea names it in the "type" and "record-types" keys of option-def.
type Type uint8

// The data types Kea knows. The order is that of Kea's own enumeration,
// which matters only in that Record and Internal cannot be record fields.
const (
	TypeEmpty       Type = iota // no data; the option is a flag or a container of sub-options
	TypeBinary                  // opaque bytes, written as hexadecimal digits
	TypeBoolean                 // one byte, 0 or 1
	TypeInt8                    // signed 8-bit integer
	TypeInt16                   // signed 16-bit integer, network byte order
	TypeInt32                   // signed 32-bit integer, network byte order
	TypeUint8                   // unsigned 8-bit integer
	TypeUint16                  // unsigned 16-bit integer, network byte order
	TypeUint32                  // unsigned 32-bit integer, network byte order
	TypeIPv4Address             // four bytes
	TypeIPv6Address             // sixteen bytes
	TypeIPv6Prefix              // prefix length byte followed by the significant prefix bytes
	TypePSID                    // PSID length byte followed by a left-aligned 16-bit PSID (RFC 7597)
	TypeString                  // text bytes, no terminator
	TypeTuple                   // length-prefixed opaque text (one length byte in DHCPv4)
	TypeFQDN                    // domain name in DNS wire format
	TypeInternal                // option with a dedicated encoding (121, 162)
	TypeRecord                  // fixed sequence of typed fields, see Def.RecordTypes

	numTypes
)

var typeNames = [numTypes]string{
	TypeEmpty:       "empty",
	TypeBinary:      "binary",
	TypeBoolean:     "boolean",
	TypeInt8:        "int8",
	TypeInt16:       "int16",
	TypeInt32:       "int32",
	TypeUint8:       "uint8",
	TypeUint16:      "uint16",
	TypeUint32:      "uint32",
	TypeIPv4Address: "ipv4-address",
	TypeIPv6Address: "ipv6-address",
	TypeIPv6Prefix:  "ipv6-prefix",
	TypePSID:        "psid",
	TypeString:      "string",
	TypeTuple:       "tuple",
	TypeFQDN:        "fqdn",
	TypeInternal:    "internal",
	TypeRecord:      "record",
}

// ParseType returns the Type that Kea spells s ("uint8", "ipv4-address",
// ...). The match is exact and case-sensitive, as in Kea.
func ParseType(s string) (Type, error) {
	for t, name := range typeNames {
		if name == s {
			return Type(t), nil
		}
	}
	return 0, fmt.Errorf("unknown option data type %q", s)
}

// String returns Kea's name for t.
func (t Type) String() string {
	if t < numTypes {
		return typeNames[t]
	}
	return fmt.Sprintf("Type(%d)", uint8(t))
}

// fixedLen returns the wire length of a fixed-size type and 0 for types
// whose length depends on the value.
func (t Type) fixedLen() int {
	switch t {
	case TypeBoolean, TypeInt8, TypeUint8:
		return 1
	case TypeInt16, TypeUint16:
		return 2
	case TypeInt32, TypeUint32, TypeIPv4Address:
		return 4
	case TypeIPv6Address:
		return 16
	case TypePSID:
		return 3
	}
	return 0
}

func (t Type) isInteger() bool {
	return t >= TypeInt8 && t <= TypeUint32
}

// intRange returns the bounds and wire size of an integer type.
func (t Type) intRange() (lo, hi int64, size int) {
	switch t {
	case TypeInt8:
		return -1 << 7, 1<<7 - 1, 1
	case TypeInt16:
		return -1 << 15, 1<<15 - 1, 2
	case TypeInt32:
		return -1 << 31, 1<<31 - 1, 4
	case TypeUint8:
		return 0, 1<<8 - 1, 1
	case TypeUint16:
		return 0, 1<<16 - 1, 2
	case TypeUint32:
		return 0, 1<<32 - 1, 4
	}
	return 0, 0, 0
}
