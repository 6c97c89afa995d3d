package config

import (
	"cmp"
	"fmt"
	"math"
	"net/netip"
	"slices"
	"strconv"
	"strings"

	"github.com/leased/leased/config/jsonc"
	"github.com/leased/leased/dhcpv4"
)

// subnetDraft is a subnet while the configuration is being read.
type subnetDraft struct {
	s     *Subnet
	hasID bool
	// zeroID: the id was written as 0, Kea 2.2's way to ask for a number.
	zeroID bool
	idPos  Pos
	own    rawParams
	opts   OptionSet
}

// topology reads shared-networks and subnet4, numbers subnets, resolves
// their parameters and builds the subnet indexes.
func (l *loader) topology(networks, subnets *member, g resolved) {
	c := l.cfg
	var drafts []*subnetDraft
	names := map[string]Pos{}

	if networks != nil {
		for _, e := range l.elements(*networks, "shared network") {
			n, nd := l.sharedNetwork(e, g, names)
			if n != nil {
				c.SharedNetworks = append(c.SharedNetworks, n)
				drafts = append(drafts, nd...)
			}
		}
	}
	if subnets != nil {
		for _, e := range l.elements(*subnets, "subnet") {
			if d := l.subnet(e, nil, g, rawParams{}); d != nil {
				drafts = append(drafts, d)
			}
		}
	}
	l.numberSubnets(drafts)

	// Config order: Kea numbers shared networks' subnets first, but the
	// list the server iterates follows the file.
	c.Subnets = make([]*Subnet, 0, len(drafts))
	for _, d := range drafts {
		c.Subnets = append(c.Subnets, d.s)
	}
	slices.SortStableFunc(c.Subnets, func(a, b *Subnet) int { return comparePos(a.Pos, b.Pos) })
	l.indexSubnets()
}

func compareID(a, b *Subnet) int { return cmp.Compare(a.ID, b.ID) }

func comparePos(a, b Pos) int {
	if a.File != b.File {
		return 0
	}
	if c := cmp.Compare(a.Line, b.Line); c != 0 {
		return c
	}
	return cmp.Compare(a.Col, b.Col)
}

func (l *loader) sharedNetwork(v *jsonc.Value, g resolved, names map[string]Pos) (*SharedNetwork, []*subnetDraft) {
	n := &SharedNetwork{Pos: v.Pos()}
	var own rawParams
	var subnets, optionData *member
	var guard classGuard
	for _, m := range members(v, "shared-networks") {
		if l.comment(m, &n.UserContext) || l.param(networkScope, &own, m) {
			continue
		}
		switch m.Key {
		case "name":
			n.Name, _ = l.str(m)
			if n.Name == "" {
				l.errf(m.pos(), "shared-networks: name must not be empty")
			} else if first, dup := names[n.Name]; dup {
				l.errf(m.pos(), "shared network name %q is used twice (first at %s)", n.Name, first)
			} else {
				names[n.Name] = m.pos()
			}
		case "interface":
			n.Interface, _ = l.str(m)
		case "relay":
			n.Relay = l.relay(m)
		case "client-class", "client-classes", "require-client-classes", "evaluate-additional-classes":
			l.guard(&guard, m)
		case "option-data":
			optionData = &m
		case "subnet4":
			subnets = &m
		default:
			l.unknown(m)
		}
	}
	if n.Name == "" {
		l.errf(v.Pos(), "shared-networks: each shared network needs a \"name\"")
	}
	what := "shared network " + jsonc.Quote(n.Name)
	n.ClientClasses, n.AdditionalClasses = l.finishGuard(&guard, what)
	l.finishScope(&own, what)
	r := l.resolve(own, g.raw, g.params.DDNS, what, v.Pos())
	n.Params = r.params
	n.Options = l.optionSet(optionData, l.cfg.OptionDefs, what)

	var drafts []*subnetDraft
	if subnets != nil {
		for _, e := range l.elements(*subnets, "subnet") {
			if d := l.subnet(e, n, r, own); d != nil {
				n.Subnets = append(n.Subnets, d.s)
				drafts = append(drafts, d)
			}
		}
	}
	l.checkNetworkSubnets(n)
	return n, drafts
}

// checkNetworkSubnets applies Kea's rules for the subnets of one shared
// network: they share its authoritative setting, and those that name an
// interface name the same one as the network or the subnets before them.
func (l *loader) checkNetworkSubnets(n *SharedNetwork) {
	iface, from := n.Interface, "its shared network"
	for _, s := range n.Subnets {
		if s.Params.Authoritative != n.Params.Authoritative {
			l.errf(s.Pos, "subnet %s has authoritative %t but its shared network %q has %t; a shared network answers one way", s.Prefix, s.Params.Authoritative, n.Name, n.Params.Authoritative)
		}
		switch {
		case s.Interface == "":
		case iface == "":
			iface, from = s.Interface, "subnet "+s.Prefix.String()+" of its shared network"
		case s.Interface != iface:
			l.errf(s.Pos, "subnet %s is on interface %q but %s %q is on %q; a shared network is one link", s.Prefix, s.Interface, from, n.Name, iface)
		}
	}
}

// subnet reads one subnet4 entry. net is its shared network or nil; outer
// holds the merged parameters of the scopes above; netOwn is what the
// network itself set (for messages).
func (l *loader) subnet(v *jsonc.Value, net *SharedNetwork, outer resolved, netOwn rawParams) *subnetDraft {
	s := &Subnet{Network: net, Pos: v.Pos()}
	d := &subnetDraft{s: s}
	var pools, reservations, optionData, prefix *member
	var guard classGuard
	for _, m := range members(v, "subnet4") {
		if l.comment(m, &s.UserContext) || l.param(subnetScope, &d.own, m) {
			continue
		}
		switch m.Key {
		case "id":
			// Kea 2.2 read 0 as "number it for me"; current Kea wants 1 or more.
			n, ok := l.integer(m, 0, math.MaxUint32-1)
			switch {
			case ok && n == 0:
				d.zeroID, d.idPos = true, m.pos()
			case ok:
				s.ID, d.hasID, d.idPos = uint32(n), true, m.pos()
			}
		case "subnet":
			prefix = &m
		case "pools":
			pools = &m
		case "reservations":
			reservations = &m
		case "option-data":
			optionData = &m
		case "interface":
			s.Interface, _ = l.str(m)
		case "relay":
			s.Relay = l.relay(m)
		case "client-class", "client-classes", "require-client-classes", "evaluate-additional-classes":
			l.guard(&guard, m)
		case "4o6-interface", "4o6-interface-id", "4o6-subnet":
			if str, ok := l.str(m); ok && str != "" {
				l.notSupported(m.keyPos(), findNotSupported("subnet4", m.Key, "not empty"))
			}
		default:
			l.unknown(m)
		}
	}
	if prefix == nil {
		l.errf(v.Pos(), "subnet4: each subnet needs \"subnet\" (its prefix, such as \"192.0.2.0/24\")")
		return nil
	}
	p, ok := l.prefix(*prefix)
	if !ok {
		return nil
	}
	s.Prefix = p
	what := "subnet " + p.String()

	s.ClientClasses, s.AdditionalClasses = l.finishGuard(&guard, what)
	if net != nil {
		if len(s.ClientClasses) == 0 {
			s.ClientClasses = net.ClientClasses
		}
		s.AdditionalClasses = mergeNames(s.AdditionalClasses, net.AdditionalClasses)
		if s.Interface == "" {
			s.Interface = net.Interface
		}
		if len(s.Relay) == 0 {
			s.Relay = net.Relay
		}
	}
	l.finishScope(&d.own, what)
	r := l.resolve(d.own, outer.raw, outer.params.DDNS, what, v.Pos())
	s.Params = r.params

	d.opts = l.optionSet(optionData, l.cfg.OptionDefs, what)
	if net != nil {
		s.Options = mergeOptions(d.opts, net.Options)
	} else {
		s.Options = d.opts
	}
	if pools != nil {
		l.pools(*pools, s, r)
	}
	if reservations != nil {
		// The subnet id is not known yet when it is auto-numbered; the
		// reservations are indexed after numbering.
		s.Reservations = l.reservations(*reservations, s, what)
	}
	return d
}

// prefix reads a subnet prefix. Host bits are cleared with a warning.
func (l *loader) prefix(m member) (netip.Prefix, bool) {
	str, ok := l.str(m)
	if !ok {
		return netip.Prefix{}, false
	}
	p, ok := parsePrefix4(str)
	if !ok {
		l.errf(m.pos(), "subnet: %q is not an IPv4 prefix such as \"192.0.2.0/24\"", str)
		return netip.Prefix{}, false
	}
	if masked := p.Masked(); masked != p {
		l.warnf(m.pos(), "subnet %q has host bits set; read as %s", str, masked)
		p = masked
	}
	return p, true
}

// parsePrefix4 reads "a.b.c.d/len" as Kea does: blanks anywhere are
// ignored and the length is a decimal number up to 32. Host bits are kept.
func parsePrefix4(s string) (netip.Prefix, bool) {
	s = strings.NewReplacer(" ", "", "\t", "").Replace(s)
	addr, bits, ok := strings.Cut(s, "/")
	if !ok {
		return netip.Prefix{}, false
	}
	a, err := netip.ParseAddr(addr)
	if err != nil || !a.Is4() {
		return netip.Prefix{}, false
	}
	n, err := strconv.ParseUint(bits, 10, 8)
	if err != nil || n > 32 {
		return netip.Prefix{}, false
	}
	return netip.PrefixFrom(a, int(n)), true
}

func (l *loader) relay(m member) []netip.Addr {
	if !l.obj(m) {
		return nil
	}
	var out []netip.Addr
	var single, list *member
	for _, m := range members(m.v(), "relay") {
		switch m.Key {
		case "ip-address":
			single = &m
		case "ip-addresses":
			list = &m
		default:
			l.unknown(m)
		}
	}
	if single != nil && list != nil {
		l.errf(single.keyPos(), "relay: ip-address and ip-addresses are both given; keep only ip-addresses")
		return nil
	}
	if single != nil {
		l.renamed(*single, "ip-addresses")
		if a, ok := l.ipv4(*single); ok && !a.IsUnspecified() {
			out = append(out, a)
		}
		return out
	}
	if list != nil && l.list(*list) {
		for i := range list.Value.Members() {
			e := list.Value.Index(i)
			a, err := netip.ParseAddr(e.Str())
			if e.Kind() != jsonc.String || err != nil || !a.Is4() {
				l.errf(e.Pos(), "relay ip-addresses: expected IPv4 addresses, element %d is %s", i+1, e.Describe())
				continue
			}
			// 0.0.0.0 is how Kea 2.2 configs say "no relay"; a relayed
			// packet never carries it.
			if !a.IsUnspecified() {
				out = append(out, a)
			}
		}
	}
	return out
}

// classGuard collects the class lists of a network, subnet or pool while
// it is read.
type classGuard struct {
	single, list, required, additional *member
}

func (l *loader) guard(g *classGuard, m member) {
	switch m.Key {
	case "client-class":
		g.single = &m
	case "client-classes":
		g.list = &m
	case "require-client-classes":
		g.required = &m
	case "evaluate-additional-classes":
		g.additional = &m
	}
}

// finishGuard returns the guard classes and the additional classes of a
// scope, translating the 2.2 keys.
func (l *loader) finishGuard(g *classGuard, what string) (guard, additional []string) {
	switch {
	case g.single != nil && g.list != nil:
		l.errf(g.single.keyPos(), "%s: client-class and client-classes are both given; keep only client-classes", what)
	case g.single != nil:
		if name, ok := l.str(*g.single); ok && name != "" {
			l.warnf(g.single.keyPos(), "%q in %s is the Kea 2.2 form; read as client-classes [%q]", "client-class", g.single.scope, name)
			guard = []string{name}
			l.refClass(name, g.single.pos(), what+" client-class")
		}
	case g.list != nil:
		guard, _ = l.strList(*g.list)
		for i, n := range guard {
			l.refClass(n, g.list.Value.Index(i).Pos(), what+" client-classes")
		}
	}
	switch {
	case g.required != nil && g.additional != nil:
		l.errf(g.required.keyPos(), "%s: require-client-classes and evaluate-additional-classes are both given; keep only evaluate-additional-classes", what)
	case g.required != nil:
		l.renamed(*g.required, "evaluate-additional-classes")
		additional, _ = l.strList(*g.required)
		for i, n := range additional {
			l.refClass(n, g.required.Value.Index(i).Pos(), what+" require-client-classes")
		}
	case g.additional != nil:
		additional, _ = l.strList(*g.additional)
		for i, n := range additional {
			l.refClass(n, g.additional.Value.Index(i).Pos(), what+" evaluate-additional-classes")
		}
	}
	return guard, additional
}

// mergeNames appends the names of outer not already in own.
func mergeNames(own, outer []string) []string {
	if len(outer) == 0 {
		return own
	}
	if len(own) == 0 {
		return outer
	}
	out := slices.Clone(own)
	for _, n := range outer {
		if !slices.Contains(out, n) {
			out = append(out, n)
		}
	}
	return out
}

func (l *loader) pools(m member, s *Subnet, sub resolved) {
	what := "subnet " + s.Prefix.String()
	for _, e := range l.elements(m, "pool") {
		p := &Pool{Pos: e.Pos()}
		var own rawDDNS
		var optionData, rng *member
		var guard classGuard
		for _, m := range members(e, "pools") {
			if l.comment(m, &p.UserContext) || l.ddnsParam(&own, m) {
				continue
			}
			switch m.Key {
			case "pool":
				rng = &m
			case "pool-id":
				p.ID, _ = l.u32(m)
			case "option-data":
				optionData = &m
			case "client-class", "client-classes", "require-client-classes", "evaluate-additional-classes":
				l.guard(&guard, m)
			default:
				l.unknown(m)
			}
		}
		if rng == nil {
			l.errf(e.Pos(), "pools: each pool needs \"pool\" (a range \"192.0.2.10 - 192.0.2.20\" or a prefix \"192.0.2.64/26\")")
			continue
		}
		first, last, ok := l.poolRange(*rng)
		if !ok {
			continue
		}
		p.First, p.Last = first, last
		pwhat := fmt.Sprintf("pool %s - %s", first, last)
		if !s.Prefix.Contains(first) || !s.Prefix.Contains(last) {
			l.errf(rng.pos(), "%s is not inside its %s", pwhat, what)
			continue
		}
		l.checkDDNSTTL(&own, pwhat)
		p.ClientClasses, p.AdditionalClasses = l.finishGuard(&guard, pwhat)
		p.AdditionalClasses = mergeNames(p.AdditionalClasses, s.AdditionalClasses)
		if own.empty() {
			p.DDNS = sub.params.DDNS
		} else {
			p.DDNS = resolveDDNS(own.or(sub.raw.ddns))
		}
		if optionData != nil {
			p.Options = mergeOptions(l.optionSet(optionData, l.cfg.OptionDefs, pwhat), s.Options)
		} else {
			p.Options = s.Options
		}
		s.Pools = append(s.Pools, p)
	}
	// Pools of one subnet must not overlap.
	sorted := slices.Clone(s.Pools)
	slices.SortFunc(sorted, func(a, b *Pool) int { return a.First.Compare(b.First) })
	for i := 1; i < len(sorted); i++ {
		a, b := sorted[i-1], sorted[i]
		if b.First.Compare(a.Last) <= 0 {
			l.errf(b.Pos, "pool %s - %s overlaps pool %s - %s (at %s) in %s", b.First, b.Last, a.First, a.Last, a.Pos, what)
		}
	}
}

// poolRange reads "first - last" or "prefix/len".
func (l *loader) poolRange(m member) (netip.Addr, netip.Addr, bool) {
	str, ok := l.str(m)
	if !ok {
		return netip.Addr{}, netip.Addr{}, false
	}
	bad := func() (netip.Addr, netip.Addr, bool) {
		l.errf(m.pos(), "pool: %q is neither a range such as \"192.0.2.10 - 192.0.2.20\" nor a prefix such as \"192.0.2.64/26\"", str)
		return netip.Addr{}, netip.Addr{}, false
	}
	if a, b, ok := strings.Cut(str, "-"); ok && !strings.Contains(str, "/") {
		blanks := strings.NewReplacer(" ", "", "\t", "")
		first, err1 := netip.ParseAddr(blanks.Replace(a))
		last, err2 := netip.ParseAddr(blanks.Replace(b))
		if err1 != nil || err2 != nil || !first.Is4() || !last.Is4() {
			return bad()
		}
		if last.Less(first) {
			l.errf(m.pos(), "pool %q: the first address is after the last", str)
			return netip.Addr{}, netip.Addr{}, false
		}
		return first, last, true
	}
	p, ok := parsePrefix4(str)
	if !ok || p.Bits() == 0 {
		return bad()
	}
	p = p.Masked()
	first := p.Addr()
	last := dhcpv4.Uint32ToAddr(dhcpv4.AddrToUint32(first) | uint32(uint64(1)<<(32-p.Bits())-1))
	return first, last, true
}

// numberSubnets checks explicit subnet ids and numbers subnets without
// one. Kea 2.2 numbered them 1, 2, 3... in the order it read them (shared
// networks first); ids written explicitly are skipped so that numbering
// never collides.
func (l *loader) numberSubnets(drafts []*subnetDraft) {
	used := map[uint32]*subnetDraft{}
	for _, d := range drafts {
		if !d.hasID {
			continue
		}
		if first, dup := used[d.s.ID]; dup {
			l.errf(d.idPos, "subnet id %d is used twice: by %s here and by %s at %s", d.s.ID, d.s.Prefix, first.s.Prefix, first.idPos)
			continue
		}
		used[d.s.ID] = d
	}
	next := uint32(1)
	for _, d := range drafts {
		if d.hasID {
			continue
		}
		for used[next] != nil {
			next++
		}
		d.s.ID = next
		used[next] = d
		if d.zeroID {
			l.warnf(d.idPos, "subnet %s has \"id\": 0 (Kea 2.2: number it automatically); numbered %d as Kea 2.2 would (current Kea requires an id from 1: write \"id\": %d so leases keep their subnet if subnets are reordered)", d.s.Prefix, next, next)
			continue
		}
		l.warnf(d.s.Pos, "subnet %s has no \"id\"; numbered %d as Kea 2.2 would (current Kea requires an id: add \"id\": %d so leases keep their subnet if subnets are reordered)", d.s.Prefix, next, next)
	}
	for _, d := range drafts {
		for _, h := range d.s.Reservations {
			h.SubnetID = d.s.ID
		}
	}
}

// indexSubnets checks that subnets do not overlap and builds the lookup
// indexes. Reservations are indexed here too, now that ids are final.
func (l *loader) indexSubnets() {
	c := l.cfg
	c.subnetByID = make(map[uint32]*Subnet, len(c.Subnets))
	c.byRelay = map[netip.Addr][]*Subnet{}
	c.byInterface = map[string][]*Subnet{}
	for _, s := range c.Subnets {
		c.subnetByID[s.ID] = s
		for _, a := range s.Relay {
			c.byRelay[a] = append(c.byRelay[a], s)
		}
		if s.Interface != "" {
			c.byInterface[s.Interface] = append(c.byInterface[s.Interface], s)
		}
	}
	// Kea tries subnets in id order wherever several could match.
	for _, list := range c.byRelay {
		slices.SortStableFunc(list, compareID)
	}
	for _, list := range c.byInterface {
		slices.SortStableFunc(list, compareID)
	}
	c.byStart = slices.Clone(c.Subnets)
	slices.SortFunc(c.byStart, func(a, b *Subnet) int {
		if r := a.Prefix.Addr().Compare(b.Prefix.Addr()); r != 0 {
			return r
		}
		return cmp.Compare(a.Prefix.Bits(), b.Prefix.Bits())
	})
	// Kea rejects a prefix given twice but accepts a subnet inside
	// another; an address in both selects the lower id whose guard the
	// client passes.
	byPrefix := make(map[netip.Prefix]*Subnet, len(c.Subnets))
	var enclosing []*Subnet // the chain of subnets containing the current one
	for _, s := range c.byStart {
		if first := byPrefix[s.Prefix]; first != nil {
			l.errf(s.Pos, "subnet %s (id %d) is given twice: also id %d at %s", s.Prefix, s.ID, first.ID, first.Pos)
			continue
		}
		byPrefix[s.Prefix] = s
		for len(enclosing) > 0 && !enclosing[len(enclosing)-1].Prefix.Contains(s.Prefix.Addr()) {
			enclosing = enclosing[:len(enclosing)-1]
		}
		if len(enclosing) > 0 {
			outer := enclosing[len(enclosing)-1]
			c.nested = true
			lo, hi := outer, s
			if hi.ID < lo.ID {
				lo, hi = hi, lo
			}
			l.warnf(s.Pos, "subnet %s (id %d) lies inside subnet %s (id %d, at %s); for an address in both, subnet %s (id %d, the lower id) is tried first", s.Prefix, s.ID, outer.Prefix, outer.ID, outer.Pos, lo.Prefix, lo.ID)
		}
		enclosing = append(enclosing, s)
	}
	if c.nested {
		c.byPrefix = byPrefix
		seen := map[int]bool{}
		for p := range byPrefix {
			if !seen[p.Bits()] {
				seen[p.Bits()] = true
				c.prefixLens = append(c.prefixLens, p.Bits())
			}
		}
		slices.Sort(c.prefixLens)
	}
	l.indexHosts()
}
