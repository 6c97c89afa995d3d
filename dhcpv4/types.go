package dhcpv4

import "strconv"

// OpCode is the op field of the fixed header.
type OpCode uint8

// The two BOOTP op codes.
const (
	BootRequest OpCode = 1
	BootReply   OpCode = 2
)

func (o OpCode) String() string {
	switch o {
	case BootRequest:
		return "BOOTREQUEST"
	case BootReply:
		return "BOOTREPLY"
	}
	return "op(" + strconv.Itoa(int(o)) + ")"
}

// MessageType is the value of option 53. Zero means the option is absent,
// which makes the message a plain BOOTP one.
type MessageType uint8

// Message types from RFC 2132 §9.6, RFC 3203, RFC 4388 and RFC 6926.
const (
	Discover         MessageType = 1
	Offer            MessageType = 2
	Request          MessageType = 3
	Decline          MessageType = 4
	Ack              MessageType = 5
	Nak              MessageType = 6
	Release          MessageType = 7
	Inform           MessageType = 8
	ForceRenew       MessageType = 9
	LeaseQuery       MessageType = 10
	LeaseUnassigned  MessageType = 11
	LeaseUnknown     MessageType = 12
	LeaseActive      MessageType = 13
	BulkLeaseQuery   MessageType = 14
	LeaseQueryDone   MessageType = 15
	ActiveLeaseQuery MessageType = 16
	LeaseQueryStatus MessageType = 17
	TLS              MessageType = 18
)

var messageTypeNames = [...]string{
	"", "DHCPDISCOVER", "DHCPOFFER", "DHCPREQUEST", "DHCPDECLINE", "DHCPACK",
	"DHCPNAK", "DHCPRELEASE", "DHCPINFORM", "DHCPFORCERENEW", "DHCPLEASEQUERY",
	"DHCPLEASEUNASSIGNED", "DHCPLEASEUNKNOWN", "DHCPLEASEACTIVE",
	"DHCPBULKLEASEQUERY", "DHCPLEASEQUERYDONE", "DHCPACTIVELEASEQUERY",
	"DHCPLEASEQUERYSTATUS", "DHCPTLS",
}

func (m MessageType) String() string {
	if m == 0 {
		return "BOOTP"
	}
	if int(m) < len(messageTypeNames) {
		return messageTypeNames[m]
	}
	return "DHCP(" + strconv.Itoa(int(m)) + ")"
}

// OptionCode is a DHCPv4 option code.
type OptionCode uint8

// Codes of the options this package reads or writes itself, and of those a
// server touches on nearly every packet. The full table, with names and
// types, is in package optdef.
const (
	OptionPad              OptionCode = 0
	OptionSubnetMask       OptionCode = 1
	OptionRouter           OptionCode = 3
	OptionDomainNameServer OptionCode = 6
	OptionHostName         OptionCode = 12
	OptionDomainName       OptionCode = 15
	OptionInterfaceMTU     OptionCode = 26
	OptionBroadcastAddress OptionCode = 28
	OptionVendorSpecific   OptionCode = 43
	OptionRequestedIP      OptionCode = 50
	OptionLeaseTime        OptionCode = 51
	OptionOverload         OptionCode = 52
	OptionMessageType      OptionCode = 53
	OptionServerID         OptionCode = 54
	OptionParameterList    OptionCode = 55
	OptionMessage          OptionCode = 56
	OptionMaxMessageSize   OptionCode = 57
	OptionRenewalTime      OptionCode = 58
	OptionRebindingTime    OptionCode = 59
	OptionVendorClass      OptionCode = 60
	OptionClientID         OptionCode = 61
	OptionTFTPServerName   OptionCode = 66
	OptionBootFileName     OptionCode = 67
	OptionUserClass        OptionCode = 77
	OptionClientFQDN       OptionCode = 81
	OptionRelayAgentInfo   OptionCode = 82
	OptionSubnetSelection  OptionCode = 118
	OptionDomainSearch     OptionCode = 119
	OptionClasslessRoute   OptionCode = 121
	OptionVIVendorClass    OptionCode = 124
	OptionVIVendorSpecific OptionCode = 125
	OptionEnd              OptionCode = 255
)

// Sub-options of relay agent information (option 82), RFC 3046 and later.
const (
	AgentCircuitID        uint8 = 1
	AgentRemoteID         uint8 = 2
	AgentLinkSelection    uint8 = 5
	AgentSubscriberID     uint8 = 6
	AgentServerIDOverride uint8 = 11
	AgentRelayID          uint8 = 12
)

// Flags.
const (
	// FlagBroadcast is the broadcast bit of the flags field (RFC 2131 §2).
	FlagBroadcast uint16 = 0x8000
)

// Sizes from RFC 2131.
const (
	// HeaderLen is the length of the fixed header up to and including the
	// magic cookie; options start here.
	HeaderLen = 240
	// MinMessageSize is the size every DHCP participant must accept
	// (576-byte IP datagram less 20 bytes of IP and 8 of UDP header).
	MinMessageSize = 576 - 28
	// MinReplyLen is the length below which replies are padded, for old
	// BOOTP clients that drop shorter messages.
	MinReplyLen = 300
)

// Offsets into the fixed header.
const (
	offOp     = 0
	offHType  = 1
	offHLen   = 2
	offHops   = 3
	offXID    = 4
	offSecs   = 8
	offFlags  = 10
	offCIAddr = 12
	offYIAddr = 16
	offSIAddr = 20
	offGIAddr = 24
	offCHAddr = 28
	offSName  = 44
	offFile   = 108
	offCookie = 236
	lenCHAddr = 16
	lenSName  = 64
	lenFile   = 128
)

// magicCookie marks a BOOTP message as carrying DHCP options (RFC 2131 §3).
const magicCookie uint32 = 0x63825363
