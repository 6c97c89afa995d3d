package optdef

// The standard definitions below are Kea's (kea-dhcp4 3.3 and, where
// noted, 2.2). They are copied into Registry tables at init and never
// handed out by pointer.

func rec(ts ...Type) []Type { return ts[:len(ts):len(ts)] }

func v4(code uint8, name string, t Type, array bool) Def {
	return Def{Name: name, Code: code, Space: SpaceDHCP4, Type: t, Array: array}
}

func v4rec(code uint8, name string, array bool, fields ...Type) Def {
	return Def{Name: name, Code: code, Space: SpaceDHCP4, Type: TypeRecord, Array: array, RecordTypes: rec(fields...)}
}

func v4encap(code uint8, name, space string) Def {
	return Def{Name: name, Code: code, Space: SpaceDHCP4, Type: TypeEmpty, Encapsulate: space}
}

const (
	ip4  = TypeIPv4Address
	ip6  = TypeIPv6Address
	str  = TypeString
	u8   = TypeUint8
	u16  = TypeUint16
	u32  = TypeUint32
	i32  = TypeInt32
	bin  = TypeBinary
	boo  = TypeBoolean
	fqdn = TypeFQDN
)

// stdDHCP4 is Kea's table of standard DHCPv4 options in space dhcp4.
// Option 43 is not in it: Kea keeps that one as a last-resort
// definition (stdLastResort) that configuration may replace.
var stdDHCP4 = []Def{
	v4(1, "subnet-mask", ip4, false),
	v4(2, "time-offset", i32, false),
	v4(3, "routers", ip4, true),
	v4(4, "time-servers", ip4, true),
	v4(5, "name-servers", ip4, true),
	v4(6, "domain-name-servers", ip4, true),
	v4(7, "log-servers", ip4, true),
	v4(8, "cookie-servers", ip4, true),
	v4(9, "lpr-servers", ip4, true),
	v4(10, "impress-servers", ip4, true),
	v4(11, "resource-location-servers", ip4, true),
	v4(12, "host-name", str, false),
	v4(13, "boot-size", u16, false),
	v4(14, "merit-dump", str, false),
	v4(15, "domain-name", str, false), // string in Kea's table; the ARM's list says fqdn
	v4(16, "swap-server", ip4, false),
	v4(17, "root-path", str, false),
	v4(18, "extensions-path", str, false),
	v4(19, "ip-forwarding", boo, false),
	v4(20, "non-local-source-routing", boo, false),
	v4(21, "policy-filter", ip4, true),
	v4(22, "max-dgram-reassembly", u16, false),
	v4(23, "default-ip-ttl", u8, false),
	v4(24, "path-mtu-aging-timeout", u32, false),
	v4(25, "path-mtu-plateau-table", u16, true),
	v4(26, "interface-mtu", u16, false),
	v4(27, "all-subnets-local", boo, false),
	v4(28, "broadcast-address", ip4, false),
	v4(29, "perform-mask-discovery", boo, false),
	v4(30, "mask-supplier", boo, false),
	v4(31, "router-discovery", boo, false),
	v4(32, "router-solicitation-address", ip4, false),
	v4(33, "static-routes", ip4, true),
	v4(34, "trailer-encapsulation", boo, false),
	v4(35, "arp-cache-timeout", u32, false),
	v4(36, "ieee802-3-encapsulation", boo, false),
	v4(37, "default-tcp-ttl", u8, false),
	v4(38, "tcp-keepalive-interval", u32, false),
	v4(39, "tcp-keepalive-garbage", boo, false),
	v4(40, "nis-domain", str, false),
	v4(41, "nis-servers", ip4, true),
	v4(42, "ntp-servers", ip4, true),
	v4(44, "netbios-name-servers", ip4, true),
	v4(45, "netbios-dd-server", ip4, true),
	v4(46, "netbios-node-type", u8, false),
	v4(47, "netbios-scope", str, false),
	v4(48, "font-servers", ip4, true),
	v4(49, "x-display-manager", ip4, true),
	v4(50, "dhcp-requested-address", ip4, false),
	v4(51, "dhcp-lease-time", u32, false),
	v4(52, "dhcp-option-overload", u8, false),
	v4(53, "dhcp-message-type", u8, false),
	v4(54, "dhcp-server-identifier", ip4, false),
	v4(55, "dhcp-parameter-request-list", u8, true),
	v4(56, "dhcp-message", str, false),
	v4(57, "dhcp-max-message-size", u16, false),
	v4(58, "dhcp-renewal-time", u32, false),
	v4(59, "dhcp-rebinding-time", u32, false),
	v4(60, "vendor-class-identifier", str, false),
	v4(61, "dhcp-client-identifier", bin, false),
	v4(62, "nwip-domain-name", str, false),
	v4(63, "nwip-suboptions", bin, false),
	v4(64, "nisplus-domain-name", str, false),
	v4(65, "nisplus-servers", ip4, true),
	v4(66, "tftp-server-name", str, false),
	v4(67, "boot-file-name", str, false),
	v4(68, "mobile-ip-home-agent", ip4, true),
	v4(69, "smtp-server", ip4, true),
	v4(70, "pop-server", ip4, true),
	v4(71, "nntp-server", ip4, true),
	v4(72, "www-server", ip4, true),
	v4(73, "finger-server", ip4, true),
	v4(74, "irc-server", ip4, true),
	v4(75, "streettalk-server", ip4, true),
	v4(76, "streettalk-directory-assistance-server", ip4, true),
	v4(77, "user-class", bin, false),
	v4rec(78, "slp-directory-agent", true, boo, ip4),
	v4rec(79, "slp-service-scope", false, boo, str),
	v4rec(81, "fqdn", false, u8, u8, u8, fqdn),
	v4encap(82, "dhcp-agent-options", SpaceAgent),
	v4(85, "nds-servers", ip4, true),
	v4(86, "nds-tree-name", str, false),
	v4(87, "nds-context", str, false),
	v4(88, "bcms-controller-names", fqdn, true),
	v4(89, "bcms-controller-address", ip4, true),
	v4(90, "authenticate", bin, false),
	v4(91, "client-last-transaction-time", u32, false),
	v4(92, "associated-ip", ip4, true),
	v4(93, "client-system", u16, true),
	v4rec(94, "client-ndi", false, u8, u8, u8),
	v4rec(97, "uuid-guid", false, u8, bin),
	v4(98, "uap-servers", str, false),
	v4(99, "geoconf-civic", bin, false),
	v4(100, "pcode", str, false),
	v4(101, "tcode", str, false),
	v4(108, "v6-only-preferred", u32, false),
	v4(112, "netinfo-server-address", ip4, true),
	v4(113, "netinfo-server-tag", str, false),
	v4(114, "v4-captive-portal", str, false),
	v4(116, "auto-config", u8, false),
	v4(117, "name-service-search", u16, true),
	v4(118, "subnet-selection", ip4, false),
	v4(119, "domain-search", fqdn, true),
	v4(121, "classless-static-route", TypeInternal, false),
	v4encap(122, "cablelabs-client-conf", SpaceCableLabsClientConf),
	v4rec(124, "vivco-suboptions", false, u32, bin),
	v4(125, "vivso-suboptions", u32, false),
	v4(136, "pana-agent", ip4, true),
	v4(137, "v4-lost", fqdn, false),
	v4(138, "capwap-ac-v4", ip4, true),
	v4(141, "sip-ua-cs-domains", fqdn, true),
	v4(143, "v4-sztp-redirect", TypeTuple, true),
	v4rec(146, "rdnss-selection", true, u8, ip4, ip4, fqdn),
	v4rec(151, "status-code", false, u8, str),
	v4(152, "base-time", u32, false),
	v4(153, "start-time-of-state", u32, false),
	v4(154, "query-start-time", u32, false),
	v4(155, "query-end-time", u32, false),
	v4(156, "dhcp-state", u8, false),
	v4(157, "data-source", u8, false),
	v4rec(159, "v4-portparams", false, u8, TypePSID),
	v4(162, "v4-dnr", TypeInternal, false),
	v4rec(212, "option-6rd", true, u8, u8, ip6, ip4),
	v4(213, "v4-access-domain", fqdn, false),
}

// stdLastResort is the definition Kea falls back to for option 43 when
// configuration does not define it.
var stdLastResort = v4encap(codeVendorEncapsulated, "vendor-encapsulated-options", SpaceVendorEncapsulated)

func sub(space string, code uint8, name string, t Type, array bool) Def {
	return Def{Name: name, Code: code, Space: space, Type: t, Array: array}
}

// stdAgent holds the relay agent information (option 82) sub-options.
var stdAgent = []Def{
	sub(SpaceAgent, 1, "circuit-id", bin, false),
	sub(SpaceAgent, 2, "remote-id", bin, false),
	sub(SpaceAgent, 4, "docsis-device-class", u32, false),
	sub(SpaceAgent, 5, "link-selection", ip4, false),
	sub(SpaceAgent, 6, "subscriber-id", str, false),
	sub(SpaceAgent, 7, "radius", bin, false),
	sub(SpaceAgent, 8, "auth", bin, false),
	sub(SpaceAgent, 9, "vendor-specific-info", bin, false),
	sub(SpaceAgent, 10, "relay-flags", u8, false),
	sub(SpaceAgent, 11, "server-id-override", ip4, false),
	sub(SpaceAgent, 12, "relay-id", bin, false),
	sub(SpaceAgent, 13, "access-techno-type", u16, false),
	sub(SpaceAgent, 14, "access-network-name", str, false),
	sub(SpaceAgent, 15, "access-point-name", str, false),
	sub(SpaceAgent, 16, "access-point-bssid", bin, false),
	sub(SpaceAgent, 17, "operator-id", u32, false),
	sub(SpaceAgent, 18, "operator-realm", str, false),
	sub(SpaceAgent, 19, "relay-port", u16, false),
	sub(SpaceAgent, 151, "virtual-subnet-select", bin, false),
	sub(SpaceAgent, 152, "virtual-subnet-select-ctrl", TypeEmpty, false),
}

// stdCableLabs holds the CableLabs client configuration (option 122)
// sub-options. Sub-option 3 (tsp-provisioning-server) has a variant
// layout Kea does not define.
var stdCableLabs = []Def{
	sub(SpaceCableLabsClientConf, 1, "tsp-primary-server", ip4, false),
	sub(SpaceCableLabsClientConf, 2, "tsp-secondary-server", ip4, false),
	{Name: "tsp-as-parameters", Code: 4, Space: SpaceCableLabsClientConf, Type: TypeRecord, RecordTypes: rec(u32, u32, u32)},
	{Name: "tsp-ap-parameters", Code: 5, Space: SpaceCableLabsClientConf, Type: TypeRecord, RecordTypes: rec(u32, u32, u32)},
	sub(SpaceCableLabsClientConf, 6, "tsp-realm", fqdn, false),
	sub(SpaceCableLabsClientConf, 7, "tsp-use-tgt", boo, false),
	sub(SpaceCableLabsClientConf, 8, "tsp-provisioning-timer", u8, false),
	sub(SpaceCableLabsClientConf, 9, "tsp-sct", u16, false),
	sub(SpaceCableLabsClientConf, 10, "kdc-server", ip4, true),
}

// stdDOCSIS holds the DOCSIS 3 vendor options Kea ships for enterprise
// 4491. Kea files them under "docsis3-v4" and serves them for
// "vendor-4491"; both names work here.
var stdDOCSIS = []Def{
	sub(SpaceDOCSIS3, 1, "oro", u8, true),
	sub(SpaceDOCSIS3, 2, "tftp-servers", ip4, true),
}

// post22 reports whether a standard definition is one that Kea 2.2 did
// not have, so that a 2.2-era configuration may define it itself.
func post22(space string, code uint8) bool {
	switch space {
	case SpaceAgent, SpaceCableLabsClientConf:
		return true
	case SpaceDHCP4:
		switch {
		case code == 121, code == 122, code == 143, code == 162:
			return true
		case code >= 151 && code <= 157:
			return true
		}
	}
	return false
}
