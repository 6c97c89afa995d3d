package engine

import (
	"math"
	"net/netip"

	"github.com/leased/leased/config"
	"github.com/leased/leased/dhcpv4"
	"github.com/leased/leased/dhcpv4/optdef"
)

// Options Kea sends whenever they are configured, asked for or not.
var basicOptions = [...]dhcpv4.OptionCode{dhcpv4.OptionRouter, dhcpv4.OptionDomainNameServer, dhcpv4.OptionDomainName}

// reply answers with message type mt for address a (the zero Addr for an
// INFORM) valid for lt seconds.
func (t *txn) reply(mt dhcpv4.MessageType, ss *subnetState, ps *poolState, a netip.Addr, lt uint32) {
	b := t.w.Reply(mt)
	if a.IsValid() {
		b.SetYIAddr(a)
	}
	b.AddIP(dhcpv4.OptionServerID, t.serverID(ss))
	if lt > 0 {
		b.AddUint32(dhcpv4.OptionLeaseTime, lt)
		t.addTimers(b, ss, lt)
	}
	if !b.HasOption(dhcpv4.OptionSubnetMask) {
		mask := maskOf(ss.cfg.Prefix.Bits())
		b.AddIP(dhcpv4.OptionSubnetMask, mask)
	}
	t.evaluateAdditional(ss, ps)
	t.bootFields(b, ss)
	if t.name.Option != 0 {
		// Before the configured options: Kea's answer to options 12
		// and 81 wins over an option-data host-name.
		b.AddOption(t.name.Option, t.name.Value)
	}
	t.addVendorOptions(b, ss, ps)
	t.addOptions(b, ss, ps)
	if t.cfg.EchoClientID && len(t.cid) > 0 {
		b.AddOption(dhcpv4.OptionClientID, t.cid)
	}
}

// evaluateAdditional evaluates the classes the pool, subnet and shared
// network list in evaluate-additional-classes (Kea 2.2:
// require-client-classes), in that order, before the reply's options are
// chosen.
func (t *txn) evaluateAdditional(ss *subnetState, ps *poolState) {
	var pool, network []string
	if ps != nil {
		pool = ps.cfg.AdditionalClasses
	}
	if n := ss.cfg.Network; n != nil {
		network = n.AdditionalClasses
	}
	if len(pool) == 0 && len(ss.cfg.AdditionalClasses) == 0 && len(network) == 0 {
		return
	}
	t.eval.EvaluateAdditional(pool, ss.cfg.AdditionalClasses, network)
}

// addTimers adds T1 and T2: the configured renew-timer and rebind-timer,
// or with calculate-tee-times a share of the lifetime. A timer that is not
// shorter than what follows it is left out, as Kea does.
func (t *txn) addTimers(b *dhcpv4.Builder, ss *subnetState, lt uint32) {
	if lt == 0xffffffff {
		return
	}
	pr := &ss.cfg.Params
	t1, t2 := pr.RenewTimer, pr.RebindTimer
	has1, has2 := pr.HasRenewTimer, pr.HasRebindTimer
	if pr.CalculateTeeTimes {
		if !has1 {
			t1, has1 = uint32(math.Round(float64(lt)*pr.T1Percent)), true
		}
		if !has2 {
			t2, has2 = uint32(math.Round(float64(lt)*pr.T2Percent)), true
		}
	}
	if has2 && t2 < lt {
		b.AddUint32(dhcpv4.OptionRebindingTime, t2)
	} else {
		has2 = false
	}
	if has1 && t1 < lt && (!has2 || t1 < t2) {
		b.AddUint32(dhcpv4.OptionRenewalTime, t1)
	}
}

// bootFields sets siaddr, sname and file: the reservation's, else those of
// the first of the client's classes that sets them, else the subnet's.
func (t *txn) bootFields(b *dhcpv4.Builder, ss *subnetState) {
	pr := &ss.cfg.Params
	next, sname, file := pr.NextServer, pr.ServerHostname, pr.BootFileName
	var gotNext, gotSname, gotFile bool
	if h := t.host; h != nil {
		if isSet(h.NextServer) {
			next, gotNext = h.NextServer, true
		}
		if h.ServerHostname != "" {
			sname, gotSname = h.ServerHostname, true
		}
		if h.BootFileName != "" {
			file, gotFile = h.BootFileName, true
		}
	}
	cs := t.eval.Classes()
	for _, cl := range t.cfg.Classes {
		if gotNext && gotSname && gotFile {
			break
		}
		if !cs.Has(cl.Name) {
			continue
		}
		if !gotNext && cl.HasNextServer && isSet(cl.NextServer) {
			next, gotNext = cl.NextServer, true
		}
		if !gotSname && cl.HasServerHostname && cl.ServerHostname != "" {
			sname, gotSname = cl.ServerHostname, true
		}
		if !gotFile && cl.HasBootFileName && cl.BootFileName != "" {
			file, gotFile = cl.BootFileName, true
		}
	}
	if isSet(next) {
		b.SetSIAddr(next)
	}
	if sname != "" {
		b.SetSName(sname)
	}
	if file != "" {
		b.SetFile(file)
	}
}

// addOptions adds the configured options the client gets: those it asks
// for, the basic ones, and those marked always-send, each from the most
// specific scope that has it for this client — reservation, pool (which
// holds its subnet's and network's), classes in order, global — unless
// that entry says never-send.
func (t *txn) addOptions(b *dhcpv4.Builder, ss *subnetState, ps *poolState) {
	for _, c := range t.p.ParameterList() {
		t.addOption(b, ss, ps, dhcpv4.OptionCode(c))
	}
	for _, c := range basicOptions {
		t.addOption(b, ss, ps, c)
	}
	t.eachScope(ss, ps, func(set *config.OptionSet) bool {
		for _, o := range set.All() {
			if o.Space != optdef.SpaceDHCP4 {
				break // dhcp4 entries come first
			}
			if o.AlwaysSend {
				t.addOption(b, ss, ps, dhcpv4.OptionCode(o.Code))
			}
		}
		return true
	})
}

// addOption adds option code from the most specific scope, unless it is
// already in the reply or is one the server sets itself.
func (t *txn) addOption(b *dhcpv4.Builder, ss *subnetState, ps *poolState, code dhcpv4.OptionCode) {
	switch code {
	case dhcpv4.OptionPad, dhcpv4.OptionEnd, dhcpv4.OptionMessageType, dhcpv4.OptionLeaseTime,
		dhcpv4.OptionRenewalTime, dhcpv4.OptionRebindingTime, dhcpv4.OptionRelayAgentInfo,
		dhcpv4.OptionOverload, dhcpv4.OptionParameterList, dhcpv4.OptionServerID:
		return
	}
	if code != dhcpv4.OptionSubnetMask && b.HasOption(code) {
		return
	}
	if o := t.option(ss, ps, uint8(code)); o != nil && !o.NeverSend {
		b.AddOption(code, o.Data)
	}
}

// option finds the entry for a dhcp4 option code that applies to the
// client, most specific scope first.
func (t *txn) option(ss *subnetState, ps *poolState, code uint8) *config.Option {
	var found *config.Option
	t.eachScope(ss, ps, func(set *config.OptionSet) bool {
		opts := set.DHCP4(code)
		for i := range opts {
			if t.inClasses(opts[i].ClientClasses) {
				found = &opts[i]
				return false
			}
		}
		return true
	})
	return found
}

// eachScope calls fn with the option sets that apply to the client, most
// specific first, until fn returns false.
func (t *txn) eachScope(ss *subnetState, ps *poolState, fn func(*config.OptionSet) bool) {
	if t.host != nil && !fn(&t.host.Options) {
		return
	}
	if ps != nil {
		if !fn(&ps.cfg.Options) {
			return
		}
	} else if ss != nil && !fn(&ss.cfg.Options) {
		return
	}
	cs := t.eval.Classes()
	for _, cl := range t.cfg.Classes {
		if cs.Has(cl.Name) && !fn(&cl.Options) {
			return
		}
	}
	fn(&t.cfg.Options)
}

// serverID is the server identifier for a reply: a configured
// dhcp-server-identifier option, else the relay's server-id-override
// (RFC 5107), else the server's address on the link the request came in
// on.
func (t *txn) serverID(ss *subnetState) netip.Addr {
	if ss != nil {
		if o := t.option(ss, ss.poolFor(t.p.CIAddr()), uint8(dhcpv4.OptionServerID)); o != nil && len(o.Data) == 4 {
			return netip.AddrFrom4([4]byte(o.Data))
		}
	}
	if ri, ok := t.p.RelayAgentInfo(); ok && isSet(t.p.GIAddr()) {
		if a, ok := ri.ServerIDOverride(); ok {
			return a
		}
	}
	return t.r.Local
}

func maskOf(bits int) netip.Addr {
	m := ^uint32(0) << (32 - bits)
	if bits == 0 {
		m = 0
	}
	return dhcpv4.Uint32ToAddr(m)
}

func hwString(hw []byte) string {
	const digits = "0123456789abcdef"
	if len(hw) == 0 {
		return ""
	}
	out := make([]byte, 0, len(hw)*3-1)
	for i, c := range hw {
		if i > 0 {
			out = append(out, ':')
		}
		out = append(out, digits[c>>4], digits[c&15])
	}
	return string(out)
}
