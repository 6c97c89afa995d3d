// Package optdef holds DHCPv4 option definitions and Kea's text form of
// option data.
//
// # Quick start
//
// An option from Kea's text (an option-data entry's "data") to the bytes
// on the wire, and back to Go values and to text:
//
//	routers, _ := optdef.Standard().LookupName(optdef.SpaceDHCP4, "routers")
//	payload, err := routers.Encode(nil, "192.0.2.1, 192.0.2.2", true) // c0 00 02 01 c0 00 02 02
//	v, err := routers.Decode(payload)                                 // []netip.Addr{192.0.2.1, 192.0.2.2}
//	text, err := routers.Format(payload)                              // "192.0.2.1, 192.0.2.2"
//
// # Definitions
//
// A [Def] describes one option in one option space: its name, code,
// data [Type], whether it is an array, the field types of a record, and
// the option space of the sub-options it may carry. [Standard] returns a
// [Registry] with every definition Kea has built in for DHCPv4: the
// options of space "dhcp4", the relay agent sub-options
// ("dhcp-agent-options-space"), the CableLabs client configuration
// sub-options ("cablelabs-client-conf"), the DOCSIS vendor options
// ("vendor-4491") and the fallback definition of option 43. The
// option-def entries of a configuration are layered on with
// [Registry.With], which checks them as Kea does ([Registry.WithClass]
// for those of a client class, [Registry.WithKea22] for configurations
// that define options Kea 2.2 lacked); a Registry never changes once
// built, and lookups by code or by name do not allocate.
//
// [Def.Encode] turns the "data" of an option-data entry into the option
// payload, following Kea's rules: with csv-format the text holds
// comma-separated values (a backslash escapes a comma), otherwise
// hexadecimal digits. The payload is what Kea would send: Encode reads
// it back with the definition, as Kea does, so odd input (a string
// ending in NUL bytes, a trailing partial array element in raw data, an
// out-of-order list of raw sub-options) comes out the way Kea would send
// it. [Def.Format] is the inverse: it renders a payload as the text
// that Encode turns back into the same bytes, or reports that no such
// text exists, in which case [FormatHex] gives the csv-format false
// form. [AppendRaw] encodes the data of an option that has no
// definition.
// [Def.Decode] reads a payload into Go values instead (option 3 as
// []netip.Addr, option 51 as a uint32), for programs rather than
// configuration files.
//
// [ParseHex] reads bytes written in hexadecimal: Kea's formatted form
// ([HexKea]: "01:02:0a", "01 02 0a", "0x01020a") and, through the flags
// of [HexSyntax], the few variants other readers of Kea's files and
// commands accept: the configuration's host identifiers, the lease
// commands, the lease CSV file and the relay information kept with
// leases are read through it.
//
// Options that carry sub-options (option 43, 82, 122, vivso 125, or any
// definition with Encapsulate set) are built in two steps: Encode gives
// the option's own value, and [Def.Compose] adds the sub-options, each
// encoded with the definition from the encapsulated space.
//
// Kea's text forms for a few options are their own: client FQDN (81)
// is "flags, rcode1, rcode2, name"; classless-static-route (121) is
// "10.0.0.0/8 - 192.0.2.1, 0.0.0.0/0 - 192.0.2.254"; v4-dnr (162) is
// "priority, adn, addresses, svc-params" per instance, instances
// separated by '|'.
package optdef
