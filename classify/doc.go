// Package classify implements Kea's client classification for DHCPv4: the
// expression language of a class's "test" and "template-test", and the
// engine that assigns classes to a packet in Kea's order.
//
// # Quick start
//
// A class test and a string expression, compiled once and evaluated on a
// client's DISCOVER:
//
//	pxe, err := classify.Compile(`substring(option[60].hex, 0, 9) == 'PXEClient' and pkt.iface == 'eth0'`, classify.Bool, nil)
//	if err != nil {
//		log.Fatal(err) // a *SyntaxError with the column
//	}
//	mac := classify.MustCompile(`hexstring(pkt4.mac, ':')`, classify.String, nil)
//
//	var b dhcpv4.Builder
//	b.Begin(make([]byte, dhcpv4.MinMessageSize), dhcpv4.BootRequest, dhcpv4.Discover, 1)
//	b.SetCHAddr(1, []byte{2, 0, 0, 0, 0, 1})
//	b.AddString(dhcpv4.OptionVendorClass, "PXEClient:Arch:00000")
//	msg, err := b.Finish()
//	if err != nil {
//		log.Fatal(err)
//	}
//	p, err := dhcpv4.Parse(msg)
//	if err != nil {
//		log.Fatal(err)
//	}
//
//	var e classify.Eval // one per goroutine; reused, it does not allocate
//	e.Begin(p, classify.Meta{Iface: "eth0"})
//	ok, err := e.Bool(pxe)
//	fmt.Println("PXE client:", ok, err)
//	v, err := e.Value(mac)
//	fmt.Printf("mac: %s %v\n", v, err)
//
// prints
//
//	PXE client: true <nil>
//	mac: 02:00:00:00:00:01 <nil>
//
// # Expressions
//
// [Compile] turns an expression into an [Expr] once, at configuration
// load; an [Eval] then evaluates it over a [dhcpv4.Packet] without
// allocating. As in Kea, every value is a byte string and a test is a
// boolean expression; the two types do not mix (a boolean cannot be
// compared with '==', a string cannot be an operand of 'and').
//
// Literals are 'text' (no escapes), hex strings 0x5a7d (an odd number of
// digits gets a leading zero), addresses 10.0.0.1 and 2001:db8::1 (4 or 16
// bytes) and integers 0..4294967295 (4 bytes, big endian).
//
// Packet data: option[CODE] or option[NAME] with .hex, .text or .exists,
// chained as option[82].option[1].hex to any depth; relay4[SUB] for the
// sub-options of option 82, chainable the same way; vendor[ENT].exists,
// vendor[ENT].option[CODE]... (option 125), vendor.enterprise;
// vendor-class[ENT].exists, vendor-class[ENT].data and .data[I] (option
// 124), vendor-class.enterprise, where ENT may be * or 0 for any
// enterprise; pkt.iface, pkt.src, pkt.dst, pkt.len; pkt4.mac, pkt4.hlen,
// pkt4.htype, pkt4.ciaddr, pkt4.giaddr, pkt4.yiaddr, pkt4.siaddr,
// pkt4.msgtype and pkt4.transid, numbers being 4 bytes. Missing data gives
// the empty string, never an error.
//
// Operators and functions: '==' (byte comparison), not, and, or (short
// circuit), sand, sor (both sides evaluated), parentheses, member('CLASS'),
// match('REGEX', s), substring(s, start, length|all) with negative start
// and length, split(s, delimiters, field), concat(a, b) and a + b,
// ifelse(cond, a, b) and sifelse (all arguments evaluated), hexstring(s,
// sep), lcase, ucase, addrtotext, int8totext, int16totext, int32totext,
// uint8totext, uint16totext and uint32totext. Precedence, lowest first:
// sor, or, sand, and, not, '==', '+'.
//
// A [*SyntaxError] gives the 1-based column inside the expression where
// compiling failed. Evaluation fails only where Kea's throws (a conversion
// given input of the wrong length, a substring position beyond 32 bits);
// the class is then left unassigned.
//
// Differences from Kea. Kea's .text of an option of type string is its
// value, and that is what classify gives for every option; for other
// types Kea gives a debugging dump such as "type=061, len=007: 01:00:..."
// which no test can usefully match, so here .text and .hex are the same
// bytes. Options of type string
// (see [Options].StringOption) lose trailing NUL bytes, and vanish when
// nothing else is left, as in Kea. option[A].option[B] reads the value of
// A as sub-options whatever A's definition says; Kea finds sub-options
// only in options defined to encapsulate a space (82, 43, 125 and custom
// ones). match uses Go's regexp (RE2 syntax, no backreferences or
// lookaround) where Kea uses ECMAScript std::regex; the whole value must
// match in both. Only DHCPv4 is supported: relay6 and pkt6 are errors.
// The words known and unknown, which Kea's documentation mentions but its
// parser rejects, are rejected too.
//
// # Classification
//
// [New] compiles a client-classes list ([ClassDef] values, in
// configuration order) into a [Classifier], checking Kea's rules: a test
// may use member() only on built-in classes and classes defined before
// it; forward references, cycles and undefined names are errors. The
// Classifier is immutable and shared; each worker evaluates packets with
// its own [Eval], which reuses its memory from packet to packet:
//
//	e := cls.NewEval()
//	e.Begin(pkt, classify.Meta{Iface: ifname, Src: src, Dst: dst})
//	e.Classify() // ALL, BOOTP, VENDOR_CLASS_..., tests not depending on KNOWN
//	if e.Drop() {
//		return
//	}
//	// Select a subnet (guards test e.Classes().Has), look up reservations.
//	for _, name := range host.ClientClasses {
//		e.AddClass(name)
//	}
//	e.SetKnown(host != nil) // KNOWN or UNKNOWN, then the tests depending on it
//	if e.Drop() {
//		return
//	}
//	// Allocate, then:
//	e.EvaluateAdditional(pool.Additional, subnet.Additional, network.Additional)
//	// e.Classes(), in order of assignment, decides option precedence.
//
// A template class (template-test) whose value v is not empty assigns
// SPAWN_<name>_<v> and then the template class itself; vendor and
// spawned names are escaped as Kea 3.3 escapes them (%XX). [Classes]
// keeps the assignment order and answers membership with a bit test for
// every class the configuration knows by name. Kea evaluates a template
// class met in an evaluate-additional-classes list as if it were a test
// (which fails); classify spawns its class, as Kea's documentation
// describes.
package classify
