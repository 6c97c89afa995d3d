// Package dhcpv6 reads and writes DHCPv6 messages (RFC 8415) and the
// options a client and server exchange: identifiers (DUID-LLT, -EN, -LL,
// -UUID), IA_NA, IA_TA and IA_PD with their IAADDR and IAPREFIX options,
// status codes, option request, preference, elapsed time, rapid commit,
// server unicast, reconfigure, SOL_MAX_RT and INF_MAX_RT, information
// refresh time, DNS servers and search list (RFC 3646) and NTP servers
// (RFC 5908). Relay messages are decoded too, with the message they carry.
//
// # Quick start
//
// Writing a Solicit for one address and one delegated prefix:
//
//	var b dhcpv6.Builder
//	b.Begin(make([]byte, 0, 1500), dhcpv6.Solicit, xid)
//	b.AddOption(dhcpv6.OptionClientID, duid)
//	b.AddUint16(dhcpv6.OptionElapsedTime, 0)
//	b.AddORO(dhcpv6.OptionDNSServers, dhcpv6.OptionDomainList)
//	b.BeginIA(dhcpv6.OptionIANA, 1, 0, 0)
//	b.End()
//	b.BeginIA(dhcpv6.OptionIAPD, 2, 0, 0)
//	b.BeginIAPrefix(netip.MustParsePrefix("::/56"), 0, 0) // a length hint
//	b.End()
//	b.End()
//	msg, err := b.Finish()
//
// and reading what a server granted:
//
//	var m dhcpv6.Message
//	if err := m.Decode(datagram); err != nil {
//		return // malformed: drop it
//	}
//	for ia := range m.Options().IAs(dhcpv6.OptionIAPD) {
//		for p := range ia.Prefixes() {
//			fmt.Println(ia.IAID, p.Prefix, p.Valid)
//		}
//	}
//
// [Message] is a view over the bytes it decodes and [Builder] writes into
// the caller's buffer: neither allocates. Decode checks every length,
// including those of the options inside IAs and relayed messages, so the
// accessors never read out of bounds.
package dhcpv6
