package dhcpserver_test

import "github.com/leased/leased/dhcpv4/optdef"

// optdefSiteGateway defines option 224 as Kea's option-def would:
// {"name": "site-gateway", "code": 224, "type": "record",
// "record-types": "uint8, ipv4-address"}.
var optdefSiteGateway = optdef.Def{Name: "site-gateway", Code: 224, Space: "dhcp4",
	Type: optdef.TypeRecord, RecordTypes: []optdef.Type{optdef.TypeUint8, optdef.TypeIPv4Address}}
