package config

import (
	"math"
	"net/netip"
	"strconv"
	"strings"

	"github.com/leased/leased/config/jsonc"
)

func defaultInterfaces() InterfacesConfig {
	return InterfacesConfig{DHCPSocketType: "raw", OutboundInterface: "same-as-inbound", ReDetect: true,
		ServiceSocketsRetryWaitTime: 5000}
}

func defaultLeaseDatabase() Database {
	return Database{Type: "memfile", Persist: true, LFCInterval: 3600, ConnectTimeout: 5, OnFail: "stop-retry-exit"}
}

func defaultExpiredLeases() ExpiredLeasesProcessing {
	return ExpiredLeasesProcessing{
		ReclaimTimerWaitTime: 10, FlushReclaimedTimerWaitTime: 25, HoldReclaimedTime: 3600,
		MaxReclaimLeases: 100, MaxReclaimTime: 250, UnwarnedReclaimCycles: 5,
	}
}

func defaultDHCPDDNS() DHCPDDNS {
	return DHCPDDNS{
		ServerIP: netip.AddrFrom4([4]byte{127, 0, 0, 1}), ServerPort: 53001,
		MaxQueueSize: 1024, NCRProtocol: "UDP", NCRFormat: "JSON",
	}
}

func (l *loader) interfacesConfig(m member) {
	if !l.obj(m) {
		return
	}
	ic := &l.cfg.Interfaces
	for _, m := range members(m.v(), "interfaces-config") {
		if l.comment(m, &ic.UserContext) {
			continue
		}
		switch m.Key {
		case "interfaces":
			names, _ := l.strList(m)
			for i, n := range names {
				if n == "" || strings.ContainsAny(n, " \t") {
					l.errf(m.Value.Index(i).Pos(), "interfaces: %q is not an interface name (use \"eth0\", \"eth0/192.0.2.1\" or \"*\")", n)
				}
				if name, addr, ok := strings.Cut(n, "/"); ok {
					if a, err := netip.ParseAddr(addr); err != nil || !a.Is4() || name == "" {
						l.errf(m.Value.Index(i).Pos(), "interfaces: %q must be an interface name and an IPv4 address, such as \"eth0/192.0.2.1\"", n)
					}
				}
			}
			ic.Interfaces = names
		case "dhcp-socket-type":
			ic.DHCPSocketType, _ = l.enum(m, "raw", "udp")
		case "outbound-interface":
			ic.OutboundInterface, _ = l.enum(m, "same-as-inbound", "use-routing")
		case "re-detect":
			ic.ReDetect, _ = l.boolean(m)
		case "service-sockets-require-all":
			ic.ServiceSocketsRequireAll, _ = l.boolean(m)
		case "service-sockets-retry-wait-time":
			ic.ServiceSocketsRetryWaitTime, _ = l.u32(m)
		case "service-sockets-max-retries":
			ic.ServiceSocketsMaxRetries, _ = l.u32(m)
		default:
			l.unknown(m)
		}
	}
}

func (l *loader) leaseDatabase(m member) {
	if !l.obj(m) {
		return
	}
	db := &l.cfg.LeaseDatabase
	var typ *member
	for _, m := range members(m.v(), "lease-database") {
		switch m.Key {
		case "type":
			db.Type, _ = l.enum(m, "memfile", "mysql", "postgresql")
			typ = &m
		case "persist":
			db.Persist, _ = l.boolean(m)
		case "lfc-interval":
			db.LFCInterval, _ = l.u32(m)
		case "max-row-errors":
			db.MaxRowErrors, _ = l.u32(m)
		default:
			// The connection keywords, which hosts-database shares.
			if !l.databaseParam(m, db) {
				l.unknown(m)
			}
		}
	}
	if typ == nil {
		l.errf(m.keyPos(), "lease-database: \"type\" is required (\"memfile\", \"mysql\" or \"postgresql\")")
		return
	}
	if db.Type == "postgresql" || db.Type == "mysql" {
		l.sqlChecks(m, typ, db)
	}
	if db.Type == "memfile" {
		for _, k := range []string{"host", "port", "user", "password", "password-file"} {
			if v := m.Value.Get(k); v != nil {
				l.noEffect(v.Pos(), "lease-database", k, memfileOnly)
			}
		}
	}
	if v := m.Value.Get("max-row-errors"); v != nil && db.MaxRowErrors != 0 {
		l.noEffect(v.Pos(), "lease-database", "max-row-errors", "other than 0")
	}
}

// sqlChecks refuses, at the keyword, what Kea's PostgreSQL and MySQL
// connections refuse when they open (a missing name, a connect-timeout of
// 0 or one beyond a C int, so read-timeout and write-timeout for MySQL),
// and what would connect otherwise than written: a password given twice,
// a client certificate without its key. It warns at the settings Kea
// applies to the other engine only.
func (l *loader) sqlChecks(m member, typ *member, db *Database) {
	const scope = "lease-database"
	if db.Name == "" {
		l.errf(typ.pos(), "%s: a %s database needs \"name\" (the database name)", scope, db.Type)
	}
	if v := m.Value.Get("connect-timeout"); v != nil && (db.ConnectTimeout < 1 || db.ConnectTimeout > math.MaxInt32) {
		l.errf(v.Pos(), "%s: connect-timeout %d is out of range for %s: it must be 1 to %d seconds", scope, db.ConnectTimeout, db.Type, math.MaxInt32)
	}
	timeouts := map[string]uint32{"tcp-user-timeout": db.TCPUserTimeout}
	otherOnly, only := []string{"read-timeout", "write-timeout", "cipher-list"}, pgsqlOnly
	if db.Type == "mysql" {
		timeouts = map[string]uint32{"read-timeout": db.ReadTimeout, "write-timeout": db.WriteTimeout}
		otherOnly, only = []string{"tcp-user-timeout", "ssl-mode"}, mysqlOnly
	}
	for k, n := range timeouts {
		if v := m.Value.Get(k); v != nil && n > math.MaxInt32 {
			l.errf(v.Pos(), "%s: %s %d is out of range for %s: it must be 0 to %d seconds", scope, k, n, db.Type, math.MaxInt32)
		}
	}
	if p, f := m.Value.Get("password"), m.Value.Get("password-file"); p != nil && f != nil {
		l.errf(f.Pos(), "%s: password and password-file are both given; keep one", scope)
	}
	if c, k := m.Value.Get("cert-file"), m.Value.Get("key-file"); (c == nil) != (k == nil) {
		at := c
		if at == nil {
			at = k
		}
		l.errf(at.Pos(), "%s: a client certificate needs both \"cert-file\" and \"key-file\"", scope)
	}
	for _, k := range otherOnly {
		if v := m.Value.Get(k); v != nil {
			l.noEffect(v.Pos(), scope, k, only)
		}
	}
}

func (l *loader) expiredLeases(m member) {
	if !l.obj(m) {
		return
	}
	e := &l.cfg.ExpiredLeases
	for _, m := range members(m.v(), "expired-leases-processing") {
		switch m.Key {
		case "reclaim-timer-wait-time":
			e.ReclaimTimerWaitTime, _ = l.u32(m)
		case "flush-reclaimed-timer-wait-time":
			e.FlushReclaimedTimerWaitTime, _ = l.u32(m)
		case "hold-reclaimed-time":
			e.HoldReclaimedTime, _ = l.u32(m)
		case "max-reclaim-leases":
			e.MaxReclaimLeases, _ = l.u32(m)
		case "max-reclaim-time":
			e.MaxReclaimTime, _ = l.u32(m)
		case "unwarned-reclaim-cycles":
			e.UnwarnedReclaimCycles, _ = l.u32(m)
		default:
			l.unknown(m)
		}
	}
}

func (l *loader) controlSocket(v *jsonc.Value, scope string) {
	// Kea requires client certificates on HTTPS sockets unless
	// cert-required says otherwise.
	cs := ControlSocket{Pos: v.Pos(), CertRequired: true}
	var typ *member
	var tlsKey *member // the first TLS parameter given
	for _, m := range members(v, scope) {
		if l.comment(m, &cs.UserContext) {
			continue
		}
		// Kea 2.7 to 3.2 read the single control-socket map as one
		// entry of control-sockets, HTTP and TLS included.
		switch m.Key {
		case "socket-type":
			cs.Type, _ = l.enum(m, "unix", "http", "https")
			typ = &m
		case "socket-name":
			cs.Name, _ = l.str(m)
		case "socket-address":
			if a, ok := l.str(m); ok {
				if _, err := netip.ParseAddr(a); err != nil {
					l.typeErr(m, "an IP address")
				}
				cs.Address = a
			}
		case "socket-port":
			cs.Port, _ = l.u16(m)
		case "trust-anchor", "cert-file", "key-file":
			v, _ := l.str(m)
			switch m.Key {
			case "trust-anchor":
				cs.TrustAnchor = v
			case "cert-file":
				cs.CertFile = v
			default:
				cs.KeyFile = v
			}
			if tlsKey == nil {
				tlsKey = &m
			}
		case "cert-required":
			cs.CertRequired, _ = l.boolean(m)
		case "authentication":
			if l.obj(m) {
				cs.Authentication = l.authentication(m.v())
			}
		case "http-headers":
			for _, e := range l.elements(m, "header") {
				var h HTTPHeader
				var uc *jsonc.Value
				for _, m := range members(e, "http-headers") {
					if l.comment(m, &uc) {
						continue
					}
					switch m.Key {
					case "name":
						h.Name, _ = l.str(m)
					case "value":
						h.Value, _ = l.str(m)
					default:
						l.unknown(m)
					}
				}
				if h.Name == "" {
					l.errf(e.Pos(), "http-headers: each header needs a \"name\"")
				}
				cs.HTTPHeaders = append(cs.HTTPHeaders, h)
			}
		default:
			l.unknown(m)
		}
	}
	switch {
	case typ == nil:
		l.errf(v.Pos(), "%s: \"socket-type\" is required", scope)
	case cs.Type == "unix" && cs.Name == "":
		l.errf(v.Pos(), "%s: a unix socket needs \"socket-name\" (its path)", scope)
	case cs.Type == "https" && tlsKey == nil:
		l.errf(v.Pos(), "%s: an https socket needs \"trust-anchor\", \"cert-file\" and \"key-file\"", scope)
	case tlsKey != nil:
		// As in Kea, TLS is all or nothing: a socket with only some of
		// its files would silently serve plain HTTP, or not start.
		var missing []string
		for _, p := range []struct{ key, val string }{
			{"trust-anchor", cs.TrustAnchor}, {"cert-file", cs.CertFile}, {"key-file", cs.KeyFile},
		} {
			if p.val == "" {
				missing = append(missing, strconv.Quote(p.key))
			}
		}
		if len(missing) > 0 {
			l.errf(tlsKey.keyPos(), "%s: TLS needs all of \"trust-anchor\", \"cert-file\" and \"key-file\": %s missing or empty", scope, strings.Join(missing, " and "))
		}
	}
	if cs.Type != "unix" && cs.Address == "" {
		cs.Address = "127.0.0.1"
	}
	if cs.Type != "unix" && cs.Port == 0 {
		cs.Port = 8000
	}
	l.cfg.ControlSockets = append(l.cfg.ControlSockets, cs)
}

func (l *loader) authentication(v *jsonc.Value) *Authentication {
	a := &Authentication{}
	var uc *jsonc.Value
	for _, m := range members(v, "authentication") {
		if l.comment(m, &uc) {
			continue
		}
		switch m.Key {
		case "type":
			a.Type, _ = l.enum(m, "basic")
		case "realm":
			a.Realm, _ = l.str(m)
		case "directory":
			a.Directory, _ = l.str(m)
		case "clients":
			for _, e := range l.elements(m, "client") {
				var c AuthClient
				for _, m := range members(e, "clients") {
					if l.comment(m, &uc) {
						continue
					}
					switch m.Key {
					case "user":
						c.User, _ = l.str(m)
					case "user-file":
						c.UserFile, _ = l.str(m)
					case "password":
						p, _ := l.str(m)
						c.Password = Secret(p)
					case "password-file":
						c.PasswordFile, _ = l.str(m)
					default:
						l.unknown(m)
					}
				}
				a.Clients = append(a.Clients, c)
			}
		default:
			l.unknown(m)
		}
	}
	if a.Type == "" {
		// Kea's default on a control socket.
		a.Type = "basic"
	}
	return a
}

func (l *loader) loggers(m member) {
	for _, e := range l.elements(m, "logger") {
		lg := Logger{Severity: "INFO"}
		var uc *jsonc.Value
		var outputs, legacy *member
		for _, m := range members(e, "loggers") {
			if l.comment(m, &uc) {
				continue
			}
			switch m.Key {
			case "name":
				lg.Name, _ = l.str(m)
			case "severity":
				lg.Severity = l.severity(m)
			case "debuglevel":
				n, _ := l.integer(m, 0, 99)
				lg.DebugLevel = uint8(n)
			case "output-options":
				outputs = &m
			case "output_options":
				legacy = &m
			default:
				l.unknown(m)
			}
		}
		if legacy != nil {
			if outputs != nil {
				l.errf(legacy.keyPos(), "loggers: output_options and output-options are both given; keep only output-options")
			} else {
				l.renamed(*legacy, "output-options")
				outputs = legacy
			}
		}
		if outputs != nil {
			for _, o := range l.elements(*outputs, "output") {
				// Kea's defaults: write through, rotate at about 10 MB,
				// keep one old file.
				out := LogOutput{Flush: true, MaxSize: 10240000, MaxVer: 1}
				for _, m := range members(o, "output-options") {
					switch m.Key {
					case "output":
						out.Output, _ = l.str(m)
					case "flush":
						out.Flush, _ = l.boolean(m)
					case "maxsize":
						n, _ := l.integer(m, 0, 1<<53)
						out.MaxSize = uint64(n)
					case "maxver":
						out.MaxVer, _ = l.u32(m)
					case "pattern":
						out.Pattern, _ = l.str(m)
						l.noEffect(m.keyPos(), "output-options", "pattern", "")
					default:
						l.unknown(m)
					}
				}
				if out.Output == "" {
					l.errf(o.Pos(), "output-options: \"output\" is required (stdout, stderr, syslog or a file path)")
				}
				lg.OutputOptions = append(lg.OutputOptions, out)
			}
		}
		if lg.Name == "" {
			l.errf(e.Pos(), "loggers: each logger needs a \"name\" such as \"kea-dhcp4\"")
		}
		l.cfg.Loggers = append(l.cfg.Loggers, lg)
	}
}

// severity reads a logger severity as Kea does: in any case, and an
// unknown one is INFO (Kea logs an error and carries on).
func (l *loader) severity(m member) string {
	s, ok := l.str(m)
	if !ok {
		return "INFO"
	}
	for _, v := range []string{"FATAL", "ERROR", "WARN", "INFO", "DEBUG", "NONE"} {
		if strings.EqualFold(s, v) {
			return v
		}
	}
	l.warnf(m.pos(), "loggers: unknown severity %q, read as INFO (use FATAL, ERROR, WARN, INFO, DEBUG or NONE)", s)
	return "INFO"
}

func (l *loader) multiThreading(m member) {
	if !l.obj(m) {
		return
	}
	mt := &l.cfg.MultiThreading
	var uc *jsonc.Value
	for _, m := range members(m.v(), "multi-threading") {
		if l.comment(m, &uc) {
			continue
		}
		switch m.Key {
		case "enable-multi-threading":
			mt.Enable, _ = l.boolean(m)
		case "thread-pool-size":
			mt.ThreadPoolSize, _ = l.u32(m)
		case "packet-queue-size":
			mt.PacketQueueSize, _ = l.u32(m)
		default:
			l.unknown(m)
		}
	}
}

func (l *loader) queueControl(m member) {
	if !l.obj(m) {
		return
	}
	q := &l.cfg.DHCPQueueControl
	var uc *jsonc.Value
	for _, m := range members(m.v(), "dhcp-queue-control") {
		if l.comment(m, &uc) {
			continue
		}
		switch m.Key {
		case "enable-queue":
			q.EnableQueue, _ = l.boolean(m)
			if q.EnableQueue {
				l.notSupported(m.pos(), findNotSupported("dhcp-queue-control", "enable-queue", "true"))
			}
		case "queue-type":
			q.QueueType, _ = l.str(m)
		case "capacity":
			q.Capacity, _ = l.u32(m)
		default:
			l.unknown(m)
		}
	}
}

func (l *loader) sanityChecks(m member) {
	if !l.obj(m) {
		return
	}
	sc := &l.cfg.SanityChecks
	for _, m := range members(m.v(), "sanity-checks") {
		switch m.Key {
		case "lease-checks":
			sc.LeaseChecks, _ = l.enum(m, "none", "warn", "fix", "fix-del", "del")
		case "extended-info-checks":
			sc.ExtendedInfoChecks, _ = l.enum(m, "none", "fix", "strict", "pedantic")
		default:
			l.unknown(m)
		}
	}
}

func (l *loader) compatibility(m member) {
	if !l.obj(m) {
		return
	}
	c := &l.cfg.Compatibility
	for _, m := range members(m.v(), "compatibility") {
		switch m.Key {
		case "lenient-option-parsing":
			c.LenientOptionParsing = l.unsupportedTrue(m)
		case "ignore-dhcp-server-identifier":
			c.IgnoreDHCPServerIdentifier = l.unsupportedTrue(m)
		case "ignore-rai-link-selection":
			c.IgnoreRAILinkSelection, _ = l.boolean(m)
		case "exclude-first-last-24":
			c.ExcludeFirstLast24 = l.unsupportedTrue(m)
		default:
			l.unknown(m)
		}
	}
}

// unsupportedTrue reads a boolean whose true value is listed as not
// supported yet.
func (l *loader) unsupportedTrue(m member) bool {
	b, _ := l.boolean(m)
	if b {
		l.notSupported(m.pos(), findNotSupported(m.scope, m.Key, "true"))
	}
	return b
}

func (l *loader) hooksLibraries(m member) {
	for _, e := range l.elements(m, "hook library") {
		h := HookLibrary{Pos: e.Pos()}
		var lib *member
		for _, m := range members(e, "hooks-libraries") {
			switch m.Key {
			case "library":
				h.Library, _ = l.str(m)
				lib = &m
			case "parameters":
				if l.obj(m) {
					h.Parameters = m.v()
				}
			default:
				l.unknown(m)
			}
		}
		if h.Library == "" {
			l.errf(e.Pos(), "hooks-libraries: each entry needs a \"library\" (path of the library)")
		}
		switch ns := unsupportedHook(h.Library); {
		case lib == nil || h.Library == "":
		case ns != nil:
			l.notSupported(lib.pos(), ns)
		case isLeaseCmds(h.Library):
			// Built in; its one parameter that changes leases is not.
			if h.Parameters != nil {
				if v := h.Parameters.Get("binding-variables"); v != nil && !(v.Kind() == jsonc.Array && v.Len() == 0) {
					l.notSupported(v.Pos(), findNotSupported("hooks-libraries", "binding-variables", hookLeaseCmds))
				}
			}
		case isHA(h.Library):
			// Built in: the daemon reads its parameters (package ha),
			// which this package does not know.
		default:
			if e := findNoEffect("hooks-libraries", "library", otherHooks); e != nil {
				l.warnf(lib.pos(), "no effect in leased: hook library %q is not loaded at %s (%s)", h.Library, lib.pos(), e.Reason)
			}
		}
		l.cfg.HooksLibraries = append(l.cfg.HooksLibraries, h)
	}
}

// dhcpDDNS reads dhcp-ddns. Kea 2.2 also accepted the behavioural DDNS
// parameters here; they become global parameters when the global scope
// does not set them, as Kea 2.2 did.
func (l *loader) dhcpDDNS(m member, gp *rawParams) {
	if !l.obj(m) {
		return
	}
	d := &l.cfg.DHCPDDNS
	var uc *jsonc.Value
	var moved rawDDNS
	for _, m := range members(m.v(), "dhcp-ddns") {
		if l.comment(m, &uc) {
			continue
		}
		switch m.Key {
		case "enable-updates":
			d.EnableUpdates, _ = l.boolean(m)
		case "server-ip":
			if a, ok := l.ipAny(m); ok {
				d.ServerIP = a
			}
		case "server-port":
			d.ServerPort, _ = l.u16(m)
		case "sender-ip":
			if a, ok := l.ipAny(m); ok {
				d.SenderIP = a
			}
		case "sender-port":
			d.SenderPort, _ = l.u16(m)
		case "max-queue-size":
			d.MaxQueueSize, _ = l.u32(m)
		case "ncr-protocol":
			d.NCRProtocol, _ = l.enumFold(m, "UDP")
		case "ncr-format":
			d.NCRFormat, _ = l.enumFold(m, "JSON")
		case "qualifying-suffix", "override-no-update", "override-client-update",
			"replace-client-name", "generated-prefix", "hostname-char-set", "hostname-char-replacement":
			name := "ddns-" + m.Key
			if strings.HasPrefix(m.Key, "hostname-") {
				name = m.Key
			}
			l.warnf(m.keyPos(), "%q inside dhcp-ddns is the Kea 2.2 form; read as the global %s (move it out of dhcp-ddns)", m.Key, name)
			moved2 := *m.Member
			moved2.Key = name
			l.ddnsParam(&moved, member{Member: &moved2, scope: "dhcp-ddns"})
		default:
			l.unknown(m)
		}
	}
	gp.ddns = gp.ddns.or(moved)
	if d.EnableUpdates && d.SenderIP.IsValid() && !d.SenderIP.IsUnspecified() && d.SenderIP.Is4() != d.ServerIP.Is4() {
		l.errf(m.pos(), "dhcp-ddns: server-ip and sender-ip must be of the same address family")
	}
	if d.EnableUpdates && d.SenderIP == d.ServerIP && d.SenderPort == d.ServerPort {
		l.errf(m.pos(), "dhcp-ddns: sender-ip and sender-port %v:%d are kea-dhcp-ddns's server-ip and server-port", d.SenderIP, d.SenderPort)
	}
}

func (l *loader) ipAny(m member) (netip.Addr, bool) {
	if m.Value.Kind() == jsonc.String {
		if a, err := netip.ParseAddr(m.Value.Str()); err == nil {
			return a, true
		}
	}
	l.typeErr(m, "an IP address")
	return netip.Addr{}, false
}

func (l *loader) hostIdentifiers(m member) {
	names, ok := l.strList(m)
	if !ok {
		return
	}
	var out []IdentifierType
	seen := map[IdentifierType]bool{}
	for i, n := range names {
		t, ok := identifierTypes[n]
		if !ok {
			l.errf(m.Value.Index(i).Pos(), "host-reservation-identifiers: unknown identifier %q (use hw-address, duid, circuit-id, client-id or flex-id)", n)
			continue
		}
		if seen[t] {
			l.errf(m.Value.Index(i).Pos(), "host-reservation-identifiers: %q is listed twice", n)
			continue
		}
		seen[t] = true
		out = append(out, t)
	}
	if len(names) == 0 {
		l.errf(m.pos(), "host-reservation-identifiers: the list must not be empty")
	}
	l.cfg.HostReservationIdentifiers = out
}

var identifierTypes = map[string]IdentifierType{
	"hw-address": HWAddress, "duid": DUID, "circuit-id": CircuitID, "client-id": ClientID, "flex-id": FlexID,
}
