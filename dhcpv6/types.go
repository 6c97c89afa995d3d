package dhcpv6

import "strconv"

// MessageType is the msg-type field (RFC 8415 §7.3).
type MessageType uint8

// The message types of RFC 8415 §7.3.
const (
	Solicit            MessageType = 1
	Advertise          MessageType = 2
	Request            MessageType = 3
	Confirm            MessageType = 4
	Renew              MessageType = 5
	Rebind             MessageType = 6
	Reply              MessageType = 7
	Release            MessageType = 8
	Decline            MessageType = 9
	Reconfigure        MessageType = 10
	InformationRequest MessageType = 11
	RelayForw          MessageType = 12
	RelayRepl          MessageType = 13
)

var messageNames = [...]string{
	Solicit:            "SOLICIT",
	Advertise:          "ADVERTISE",
	Request:            "REQUEST",
	Confirm:            "CONFIRM",
	Renew:              "RENEW",
	Rebind:             "REBIND",
	Reply:              "REPLY",
	Release:            "RELEASE",
	Decline:            "DECLINE",
	Reconfigure:        "RECONFIGURE",
	InformationRequest: "INFORMATION-REQUEST",
	RelayForw:          "RELAY-FORW",
	RelayRepl:          "RELAY-REPL",
}

func (t MessageType) String() string {
	if int(t) < len(messageNames) && messageNames[t] != "" {
		return messageNames[t]
	}
	return "MessageType(" + strconv.Itoa(int(t)) + ")"
}

// IsRelay reports whether t is a relay agent message, whose header has hop
// count, link address and peer address instead of a transaction id.
func (t MessageType) IsRelay() bool { return t == RelayForw || t == RelayRepl }

// OptionCode is an option code (RFC 8415 §21 and the RFCs named below).
type OptionCode uint16

// Option codes.
const (
	OptionClientID          OptionCode = 1
	OptionServerID          OptionCode = 2
	OptionIANA              OptionCode = 3
	OptionIATA              OptionCode = 4
	OptionIAAddr            OptionCode = 5
	OptionORO               OptionCode = 6
	OptionPreference        OptionCode = 7
	OptionElapsedTime       OptionCode = 8
	OptionRelayMessage      OptionCode = 9
	OptionAuth              OptionCode = 11
	OptionUnicast           OptionCode = 12
	OptionStatusCode        OptionCode = 13
	OptionRapidCommit       OptionCode = 14
	OptionUserClass         OptionCode = 15
	OptionVendorClass       OptionCode = 16
	OptionVendorOpts        OptionCode = 17
	OptionInterfaceID       OptionCode = 18
	OptionReconfigureMsg    OptionCode = 19
	OptionReconfigureAccept OptionCode = 20
	OptionDNSServers        OptionCode = 23 // RFC 3646
	OptionDomainList        OptionCode = 24 // RFC 3646
	OptionIAPD              OptionCode = 25
	OptionIAPrefix          OptionCode = 26
	OptionInfoRefreshTime   OptionCode = 32
	OptionClientFQDN        OptionCode = 39 // RFC 4704
	OptionNTPServer         OptionCode = 56 // RFC 5908
	OptionSolMaxRT          OptionCode = 82
	OptionInfMaxRT          OptionCode = 83
)

var optionNames = map[OptionCode]string{
	OptionClientID:          "client-id",
	OptionServerID:          "server-id",
	OptionIANA:              "ia-na",
	OptionIATA:              "ia-ta",
	OptionIAAddr:            "iaaddr",
	OptionORO:               "oro",
	OptionPreference:        "preference",
	OptionElapsedTime:       "elapsed-time",
	OptionRelayMessage:      "relay-msg",
	OptionAuth:              "auth",
	OptionUnicast:           "unicast",
	OptionStatusCode:        "status-code",
	OptionRapidCommit:       "rapid-commit",
	OptionUserClass:         "user-class",
	OptionVendorClass:       "vendor-class",
	OptionVendorOpts:        "vendor-opts",
	OptionInterfaceID:       "interface-id",
	OptionReconfigureMsg:    "reconf-msg",
	OptionReconfigureAccept: "reconf-accept",
	OptionDNSServers:        "dns-servers",
	OptionDomainList:        "domain-search",
	OptionIAPD:              "ia-pd",
	OptionIAPrefix:          "iaprefix",
	OptionInfoRefreshTime:   "information-refresh-time",
	OptionClientFQDN:        "client-fqdn",
	OptionNTPServer:         "ntp-server",
	OptionSolMaxRT:          "sol-max-rt",
	OptionInfMaxRT:          "inf-max-rt",
}

func (c OptionCode) String() string {
	if n, ok := optionNames[c]; ok {
		return n
	}
	return "option(" + strconv.Itoa(int(c)) + ")"
}

// StatusCode is the status of a Status Code option (RFC 8415 §21.13).
type StatusCode uint16

// The status codes.
const (
	StatusSuccess       StatusCode = 0
	StatusUnspecFail    StatusCode = 1
	StatusNoAddrsAvail  StatusCode = 2
	StatusNoBinding     StatusCode = 3
	StatusNotOnLink     StatusCode = 4
	StatusUseMulticast  StatusCode = 5
	StatusNoPrefixAvail StatusCode = 6
)

var statusNames = [...]string{
	StatusSuccess:       "Success",
	StatusUnspecFail:    "UnspecFail",
	StatusNoAddrsAvail:  "NoAddrsAvail",
	StatusNoBinding:     "NoBinding",
	StatusNotOnLink:     "NotOnLink",
	StatusUseMulticast:  "UseMulticast",
	StatusNoPrefixAvail: "NoPrefixAvail",
}

func (s StatusCode) String() string {
	if int(s) < len(statusNames) {
		return statusNames[s]
	}
	return "Status(" + strconv.Itoa(int(s)) + ")"
}

// Ports of RFC 8415 §7.2.
const (
	ClientPort = 546
	ServerPort = 547
)

// Infinity is the lifetime or time value meaning "forever" (RFC 8415 §7.7).
const Infinity = 0xffffffff
