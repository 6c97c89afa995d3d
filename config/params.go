package config

import (
	"math"
	"net/netip"
	"regexp"
	"strings"

	"github.com/leased/leased/config/jsonc"
)

// opt is a parameter as written in one scope: its value, whether it was
// written, and where.
type opt[T any] struct {
	v   T
	set bool
	pos Pos
}

func (o *opt[T]) put(v T, ok bool) {
	if ok {
		o.v, o.set = v, true
	}
}

// or returns o if it was written, else outer.
func (o opt[T]) or(outer opt[T]) opt[T] {
	if o.set {
		return o
	}
	return outer
}

func (o opt[T]) get(def T) T {
	if o.set {
		return o.v
	}
	return def
}

// scopeKind says which inheritable parameters a scope accepts.
type scopeKind uint8

const (
	globalScope scopeKind = iota
	networkScope
	subnetScope
	poolScope
)

// rawParams are the inheritable parameters as written in one scope.
type rawParams struct {
	valid, minValid, maxValid opt[uint32]
	renew, rebind, offer      opt[uint32]
	cacheMaxAge               opt[uint32]
	calcTee, matchClientID    opt[bool]
	authoritative, storeExt   opt[bool]
	resGlobal, resInSubnet    opt[bool]
	resOutOfPool              opt[bool]
	t1, t2, cacheThreshold    opt[float64]
	adaptive                  opt[float64]
	nextServer                opt[netip.Addr]
	serverHostname, bootFile  opt[string]
	allocator                 opt[string]
	reservationMode           opt[string]
	ddns                      rawDDNS
}

type rawDDNS struct {
	send, overrideNoUpdate, overrideClientUpdate, updateOnRenew opt[bool]
	replace, prefix, suffix, conflictMode, charSet, charRepl    opt[string]
	useConflictResolution                                       opt[bool]
	ttlPercent                                                  opt[float64]
	ttl, ttlMin, ttlMax                                         opt[uint32]
	// charSetRE is the compiled charSet, when charSet is set and valid.
	charSetRE *regexp.Regexp
}

func (d *rawDDNS) empty() bool {
	return !(d.send.set || d.overrideNoUpdate.set || d.overrideClientUpdate.set || d.updateOnRenew.set ||
		d.replace.set || d.prefix.set || d.suffix.set || d.conflictMode.set || d.charSet.set ||
		d.charRepl.set || d.ttlPercent.set || d.ttl.set || d.ttlMin.set || d.ttlMax.set)
}

// or merges two scopes field by field, the receiver winning.
func (d rawDDNS) or(o rawDDNS) rawDDNS {
	d.send = d.send.or(o.send)
	d.overrideNoUpdate = d.overrideNoUpdate.or(o.overrideNoUpdate)
	d.overrideClientUpdate = d.overrideClientUpdate.or(o.overrideClientUpdate)
	d.updateOnRenew = d.updateOnRenew.or(o.updateOnRenew)
	d.replace = d.replace.or(o.replace)
	d.prefix = d.prefix.or(o.prefix)
	d.suffix = d.suffix.or(o.suffix)
	d.conflictMode = d.conflictMode.or(o.conflictMode)
	if !d.charSet.set {
		d.charSet, d.charSetRE = o.charSet, o.charSetRE
	}
	d.charRepl = d.charRepl.or(o.charRepl)
	d.ttlPercent = d.ttlPercent.or(o.ttlPercent)
	d.ttl = d.ttl.or(o.ttl)
	d.ttlMin = d.ttlMin.or(o.ttlMin)
	d.ttlMax = d.ttlMax.or(o.ttlMax)
	return d
}

func (p rawParams) or(o rawParams) rawParams {
	p.valid = p.valid.or(o.valid)
	p.minValid = p.minValid.or(o.minValid)
	p.maxValid = p.maxValid.or(o.maxValid)
	p.renew = p.renew.or(o.renew)
	p.rebind = p.rebind.or(o.rebind)
	p.offer = p.offer.or(o.offer)
	p.cacheMaxAge = p.cacheMaxAge.or(o.cacheMaxAge)
	p.calcTee = p.calcTee.or(o.calcTee)
	p.matchClientID = p.matchClientID.or(o.matchClientID)
	p.authoritative = p.authoritative.or(o.authoritative)
	p.storeExt = p.storeExt.or(o.storeExt)
	p.resGlobal = p.resGlobal.or(o.resGlobal)
	p.resInSubnet = p.resInSubnet.or(o.resInSubnet)
	p.resOutOfPool = p.resOutOfPool.or(o.resOutOfPool)
	p.t1 = p.t1.or(o.t1)
	p.t2 = p.t2.or(o.t2)
	p.cacheThreshold = p.cacheThreshold.or(o.cacheThreshold)
	p.adaptive = p.adaptive.or(o.adaptive)
	p.nextServer = p.nextServer.or(o.nextServer)
	p.serverHostname = p.serverHostname.or(o.serverHostname)
	p.bootFile = p.bootFile.or(o.bootFile)
	p.allocator = p.allocator.or(o.allocator)
	p.ddns = p.ddns.or(o.ddns)
	return p
}

// param reads one inheritable parameter into p. It returns false when the
// key is not an inheritable parameter of this kind of scope.
func (l *loader) param(kind scopeKind, p *rawParams, m member) bool {
	at := m.pos()
	if kind != poolScope {
		switch m.Key {
		case "valid-lifetime":
			set(&p.valid, m, l.u32)
		case "min-valid-lifetime":
			set(&p.minValid, m, l.u32)
		case "max-valid-lifetime":
			set(&p.maxValid, m, l.u32)
		case "renew-timer":
			set(&p.renew, m, l.u32)
		case "rebind-timer":
			set(&p.rebind, m, l.u32)
		case "offer-lifetime":
			set(&p.offer, m, l.u32)
		case "cache-max-age":
			set(&p.cacheMaxAge, m, l.u32)
		case "calculate-tee-times":
			set(&p.calcTee, m, l.boolean)
		case "match-client-id":
			set(&p.matchClientID, m, l.boolean)
		case "authoritative":
			set(&p.authoritative, m, l.boolean)
		case "store-extended-info":
			set(&p.storeExt, m, l.boolean)
		case "reservations-global":
			set(&p.resGlobal, m, l.boolean)
		case "reservations-in-subnet":
			set(&p.resInSubnet, m, l.boolean)
		case "reservations-out-of-pool":
			set(&p.resOutOfPool, m, l.boolean)
		case "reservation-mode":
			l.renamed(m, "reservations-global, reservations-in-subnet and reservations-out-of-pool")
			set(&p.reservationMode, m, l.enumOf("all", "out-of-pool", "global", "disabled", "off"))
		// Kea checks t1-percent and t2-percent only where
		// calculate-tee-times is on (see resolve); otherwise any number
		// is accepted and unused.
		case "t1-percent":
			set(&p.t1, m, l.anyReal)
		case "t2-percent":
			set(&p.t2, m, l.anyReal)
		case "cache-threshold":
			set(&p.cacheThreshold, m, l.percent)
		case "adaptive-lease-time-threshold":
			set(&p.adaptive, m, l.percent)
			l.notSupported(m.keyPos(), findNotSupported("Dhcp4", m.Key, ""))
		// An empty string leaves a boot field unset, so the outer
		// scope's value applies, as in Kea.
		case "next-server":
			if m.Value.Kind() == jsonc.String && m.Value.Str() == "" {
				break
			}
			set(&p.nextServer, m, l.ipv4)
		case "server-hostname":
			if v, ok := l.boundedStr(m, maxSname); ok && v != "" {
				p.serverHostname = opt[string]{v: v, set: true, pos: m.pos()}
			}
		case "boot-file-name":
			if v, ok := l.boundedStr(m, maxFile); ok && v != "" {
				p.bootFile = opt[string]{v: v, set: true, pos: m.pos()}
			}
		case "allocator":
			v, ok := l.enum(m, "iterative", "random", "flq", "shared-flq")
			if ok && v == "shared-flq" {
				l.notSupported(at, findNotSupported("Dhcp4", "allocator", `"shared-flq"`))
				ok = false
			}
			p.allocator.put(v, ok)
			p.allocator.pos = at
		case "ddns-use-conflict-resolution":
			l.renamed(m, "ddns-conflict-resolution-mode")
			set(&p.ddns.useConflictResolution, m, l.boolean)
		default:
			return l.ddnsParam(&p.ddns, m)
		}
		return true
	}
	return l.ddnsParam(&p.ddns, m)
}

func (l *loader) ddnsParam(d *rawDDNS, m member) bool {
	at := m.pos()
	switch m.Key {
	case "ddns-send-updates":
		set(&d.send, m, l.boolean)
	case "ddns-override-no-update":
		set(&d.overrideNoUpdate, m, l.boolean)
	case "ddns-override-client-update":
		set(&d.overrideClientUpdate, m, l.boolean)
	case "ddns-update-on-renew":
		set(&d.updateOnRenew, m, l.boolean)
	case "ddns-replace-client-name":
		set(&d.replace, m, l.replaceClientName)
	case "ddns-generated-prefix":
		set(&d.prefix, m, l.str)
	case "ddns-qualifying-suffix":
		set(&d.suffix, m, l.str)
	case "ddns-conflict-resolution-mode":
		set(&d.conflictMode, m, l.enumFoldOf("check-with-dhcid", "no-check-with-dhcid", "check-exists-with-dhcid", "no-check-without-dhcid"))
	case "ddns-ttl-percent":
		set(&d.ttlPercent, m, l.nonNegativeReal)
	case "ddns-ttl":
		set(&d.ttl, m, l.u32)
	case "ddns-ttl-min":
		set(&d.ttlMin, m, l.u32)
	case "ddns-ttl-max":
		set(&d.ttlMax, m, l.u32)
	case "hostname-char-set":
		s, ok := l.str(m)
		if ok && s != "" {
			re, err := regexp.Compile(s)
			if err != nil {
				l.errf(at, "hostname-char-set in %s: not a valid regular expression: %v", m.scope, err)
				ok = false
			}
			d.charSetRE = re
		} else if ok {
			d.charSetRE = nil
		}
		d.charSet.put(s, ok)
		d.charSet.pos = at
	case "hostname-char-replacement":
		set(&d.charRepl, m, l.str)
	default:
		return false
	}
	return true
}

func (l *loader) replaceClientName(m member) (string, bool) {
	// Kea 1.x accepted the booleans true and false here; 2.2 rejects
	// them, and so do we. Kea's lexer still reads the strings "true" and
	// "false" (in any case) as when-present and never.
	if m.Value.Kind() == jsonc.String {
		switch strings.ToLower(m.Value.Str()) {
		case "true":
			return "when-present", true
		case "false":
			return "never", true
		}
	}
	return l.enumFold(m, "never", "always", "when-present", "when-not-present")
}

// enumFold is enum for the values Kea's lexer reads in any case; it
// returns the value as listed.
func (l *loader) enumFold(m member, values ...string) (string, bool) {
	if m.Value.Kind() == jsonc.String {
		for _, v := range values {
			if strings.EqualFold(m.Value.Str(), v) {
				return v, true
			}
		}
	}
	return l.enum(m, values...)
}

func (l *loader) enumFoldOf(values ...string) func(member) (string, bool) {
	return func(m member) (string, bool) { return l.enumFold(m, values...) }
}

func (l *loader) percent(m member) (float64, bool) { return l.real(m, 0, 1) }

func (l *loader) anyReal(m member) (float64, bool) {
	return l.real(m, -math.MaxFloat64, math.MaxFloat64)
}

func (l *loader) nonNegativeReal(m member) (float64, bool) {
	return l.real(m, 0, math.MaxFloat64)
}

// Sizes of the BOOTP header fields, and the longest text Kea accepts for
// them (server-hostname must leave room for a NUL; boot-file-name may
// fill the field, except in a reservation).
const (
	maxSname    = 63
	maxFile     = 128
	maxHostFile = 127
)

var broadcast4 = netip.AddrFrom4([4]byte{255, 255, 255, 255})

func (l *loader) boundedStr(m member, max int) (string, bool) {
	s, ok := l.str(m)
	if ok && len(s) > max {
		l.errf(m.pos(), "%s in %s: at most %d characters fit the header field, got %d", m.Key, m.scope, max, len(s))
		return "", false
	}
	return s, ok
}

// set reads m with read and records the value in o when it is valid.
func set[T any](o *opt[T], m member, read func(member) (T, bool)) {
	o.put(read(m))
	o.pos = m.pos()
}

func (l *loader) enumOf(values ...string) func(member) (string, bool) {
	return func(m member) (string, bool) { return l.enum(m, values...) }
}

// finishScope applies the Kea 2.2 translations of one scope's parameters:
// reservation-mode and ddns-use-conflict-resolution.
func (l *loader) finishScope(p *rawParams, scope string) {
	if p.reservationMode.set {
		if p.resGlobal.set || p.resInSubnet.set || p.resOutOfPool.set {
			l.errf(p.reservationMode.pos, "reservation-mode in %s cannot be combined with reservations-global, reservations-in-subnet or reservations-out-of-pool; keep only the booleans", scope)
		} else {
			at := p.reservationMode.pos
			g, in, oop := false, false, false
			switch p.reservationMode.v {
			case "all":
				in = true
			case "out-of-pool":
				in, oop = true, true
			case "global":
				g = true
			}
			p.resGlobal = opt[bool]{v: g, set: true, pos: at}
			p.resInSubnet = opt[bool]{v: in, set: true, pos: at}
			p.resOutOfPool = opt[bool]{v: oop, set: true, pos: at}
		}
	}
	l.checkDDNSTTL(&p.ddns, scope)
	if u := p.ddns.useConflictResolution; u.set {
		if p.ddns.conflictMode.set {
			l.errf(u.pos, "ddns-use-conflict-resolution in %s cannot be combined with ddns-conflict-resolution-mode; keep only the latter", scope)
		} else {
			mode := "no-check-with-dhcid"
			if u.v {
				mode = "check-with-dhcid"
			}
			p.ddns.conflictMode = opt[string]{v: mode, set: true, pos: u.pos}
		}
	}
}

// checkDDNSTTL checks the TTL parameters written in one scope as Kea
// does: a fixed ddns-ttl excludes the other three, and ddns-ttl-max must
// not be below the scope's ddns-ttl-min (0 when the scope does not set it).
func (l *loader) checkDDNSTTL(d *rawDDNS, scope string) {
	if d.ttl.set {
		for _, o := range []struct {
			name string
			set  bool
			pos  Pos
		}{
			{"ddns-ttl-percent", d.ttlPercent.set, d.ttlPercent.pos},
			{"ddns-ttl-min", d.ttlMin.set, d.ttlMin.pos},
			{"ddns-ttl-max", d.ttlMax.set, d.ttlMax.pos},
		} {
			if o.set {
				l.errf(o.pos, "%s in %s cannot be combined with ddns-ttl (set at %s); keep one of them", o.name, scope, d.ttl.pos)
			}
		}
	}
	if d.ttlMax.set && d.ttlMax.v < d.ttlMin.get(0) {
		l.errf(d.ttlMax.pos, "%s: ddns-ttl-max %d is less than ddns-ttl-min %d", scope, d.ttlMax.v, d.ttlMin.v)
	}
}

// triplet resolves the valid-lifetime triplet written in one scope that
// inherits nothing (a client class), as Kea does: a bound not written
// takes the default, a default not written takes the one bound given, and
// two bounds without a default are an error. It returns false when the
// scope writes none of the three.
func (l *loader) triplet(p rawParams, what string, at Pos) (Lifetime, bool) {
	v, lo, hi := p.valid, p.minValid, p.maxValid
	switch {
	case !v.set && !lo.set && !hi.set:
		return Lifetime{}, false
	case !v.set && lo.set && hi.set:
		l.errf(lo.pos, "%s: min-valid-lifetime and max-valid-lifetime are given but valid-lifetime is not", what)
		return Lifetime{}, false
	case !v.set && lo.set:
		v = lo
	case !v.set:
		v = hi
	}
	t := Lifetime{Min: lo.get(v.v), Default: v.v, Max: hi.get(v.v)}
	if t.Min > t.Default || t.Default > t.Max {
		l.errf(firstPos(lo.pos, v.pos, at), "%s: lifetimes must satisfy min-valid-lifetime %d ≤ valid-lifetime %d ≤ max-valid-lifetime %d", what, t.Min, t.Default, t.Max)
		return Lifetime{}, false
	}
	return t, true
}

// defaultCharSet is Kea's default hostname-char-set.
const defaultCharSet = "[^A-Za-z0-9.-]"

var defaultCharSetRE = regexp.MustCompile(defaultCharSet)

// resolveDDNS builds the DDNS value of a scope from its merged raw values.
func resolveDDNS(d rawDDNS) *DDNS {
	out := &DDNS{
		SendUpdates:             d.send.get(true),
		OverrideNoUpdate:        d.overrideNoUpdate.get(false),
		OverrideClientUpdate:    d.overrideClientUpdate.get(false),
		ReplaceClientName:       d.replace.get("never"),
		GeneratedPrefix:         d.prefix.get("myhost"),
		QualifyingSuffix:        d.suffix.get(""),
		UpdateOnRenew:           d.updateOnRenew.get(false),
		ConflictResolutionMode:  d.conflictMode.get("check-with-dhcid"),
		TTLPercent:              d.ttlPercent.get(0),
		TTL:                     d.ttl.get(0),
		TTLMin:                  d.ttlMin.get(0),
		TTLMax:                  d.ttlMax.get(0),
		HostnameCharSet:         defaultCharSetRE,
		HostnameCharReplacement: d.charRepl.get(""),
	}
	if d.charSet.set {
		out.HostnameCharSet = d.charSetRE
	}
	return out
}

// resolved is a scope's merged parameters and the resolved Params.
type resolved struct {
	raw    rawParams
	params Params
}

// resolve fills in defaults and checks the relations between lifetimes
// and timers. what names the scope in messages ("subnet 192.0.2.0/24").
// parentDDNS is the outer scope's DDNS value, shared when this scope
// changes nothing.
func (l *loader) resolve(own, outer rawParams, parentDDNS *DDNS, what string, at Pos) resolved {
	m := own.or(outer)
	p := Params{
		HasRenewTimer:              m.renew.set,
		RenewTimer:                 m.renew.get(0),
		HasRebindTimer:             m.rebind.set,
		RebindTimer:                m.rebind.get(0),
		CalculateTeeTimes:          m.calcTee.get(false),
		T1Percent:                  m.t1.get(0.5),
		T2Percent:                  m.t2.get(0.875),
		OfferLifetime:              m.offer.get(0),
		MatchClientID:              m.matchClientID.get(true),
		Authoritative:              m.authoritative.get(false),
		NextServer:                 m.nextServer.get(netip.IPv4Unspecified()),
		ServerHostname:             m.serverHostname.get(""),
		BootFileName:               m.bootFile.get(""),
		ReservationsGlobal:         m.resGlobal.get(false),
		ReservationsInSubnet:       m.resInSubnet.get(true),
		ReservationsOutOfPool:      m.resOutOfPool.get(false),
		StoreExtendedInfo:          m.storeExt.get(false),
		CacheThreshold:             m.cacheThreshold.get(0.25),
		CacheMaxAge:                m.cacheMaxAge.get(0),
		Allocator:                  m.allocator.get("iterative"),
		AdaptiveLeaseTimeThreshold: m.adaptive.get(0),
	}
	if own.ddns.empty() && parentDDNS != nil {
		p.DDNS = parentDDNS
	} else {
		p.DDNS = resolveDDNS(m.ddns)
	}

	// The lifetime triplet: bounds that are not written default to the
	// default lifetime, as in Kea.
	def := m.valid.get(7200)
	lo, hi := m.minValid.get(def), m.maxValid.get(def)
	p.ValidLifetime = Lifetime{Min: lo, Default: def, Max: hi}
	where := func(o opt[uint32]) string {
		if o.set {
			return " (set at " + o.pos.String() + ")"
		}
		return " (default)"
	}
	if lo > def && (own.minValid.set || own.valid.set) {
		l.errf(firstPos(m.minValid.pos, at), "%s: min-valid-lifetime %d%s is greater than valid-lifetime %d%s", what, lo, where(m.minValid), def, where(m.valid))
	}
	if def > hi && (own.maxValid.set || own.valid.set) {
		l.errf(firstPos(m.maxValid.pos, at), "%s: valid-lifetime %d%s is greater than max-valid-lifetime %d%s", what, def, where(m.valid), hi, where(m.maxValid))
	}
	// Kea accepts timers that do not fit the lifetime and leaves out of
	// a reply a timer that is not shorter than the one after it.
	if m.renew.set && m.rebind.set && m.renew.v > m.rebind.v && (own.renew.set || own.rebind.set) {
		l.warnf(m.renew.pos, "%s: renew-timer %d%s is greater than rebind-timer %d%s; T1 will not be sent", what, m.renew.v, where(m.renew), m.rebind.v, where(m.rebind))
	}
	if m.rebind.set && m.rebind.v >= def && (own.rebind.set || own.valid.set) {
		l.warnf(m.rebind.pos, "%s: rebind-timer %d%s is not less than valid-lifetime %d%s; T2 will not be sent", what, m.rebind.v, where(m.rebind), def, where(m.valid))
	} else if m.renew.set && m.renew.v >= def && (own.renew.set || own.valid.set) && !m.rebind.set {
		l.warnf(m.renew.pos, "%s: renew-timer %d%s is not less than valid-lifetime %d%s; T1 will not be sent", what, m.renew.v, where(m.renew), def, where(m.valid))
	}
	if p.CalculateTeeTimes && (own.t1.set || own.t2.set || own.calcTee.set) {
		// Kea copies the global values, defaults included, into each
		// subnet and checks them there.
		for _, t := range []struct {
			name string
			o    opt[float64]
			v    float64
		}{{"t1-percent", m.t1, p.T1Percent}, {"t2-percent", m.t2, p.T2Percent}} {
			if t.v <= 0 || t.v >= 1 {
				l.errf(firstPos(t.o.pos, at), "%s: %s %g must be greater than 0 and less than 1 when calculate-tee-times is true", what, t.name, t.v)
			}
		}
		if p.T1Percent >= p.T2Percent {
			l.errf(firstPos(m.t1.pos, at), "%s: t1-percent %g must be less than t2-percent %g", what, p.T1Percent, p.T2Percent)
		}
	}
	return resolved{raw: m, params: p}
}

func firstPos(ps ...Pos) Pos {
	for _, p := range ps {
		if p.IsValid() {
			return p
		}
	}
	return Pos{}
}
