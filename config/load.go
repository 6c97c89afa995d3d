package config

import (
	"cmp"
	"crypto/sha256"
	"errors"
	"fmt"
	"slices"

	"github.com/leased/leased/config/jsonc"
	"github.com/leased/leased/dhcpv4/optdef"
)

// Options tune Load. The zero value is ready to use.
type Options struct {
	// ReadFile reads the configuration and included files. When nil,
	// only regular files are read, within jsonc.MaxTotalSize together
	// and jsonc.ReadTimeout each (see package jsonc).
	ReadFile func(name string) ([]byte, error)
	// MaxDiagnostics bounds how many problems are reported (default 100).
	MaxDiagnostics int
}

func (o *Options) maxDiagnostics() int {
	if o.MaxDiagnostics > 0 {
		return o.MaxDiagnostics
	}
	return 100
}

// ErrInvalid is returned, wrapped, when a configuration has errors; the
// diagnostics say which.
var ErrInvalid = errors.New("configuration is not valid")

// Load reads, checks and compiles the configuration file at path. It
// returns every diagnostic found. The error is non-nil, wrapping
// ErrInvalid, when any diagnostic is an error; the Config is then nil.
func Load(path string, o *Options) (*Config, []Diagnostic, error) {
	var opts Options
	if o != nil {
		opts = *o
	}
	doc := jsonc.ParseFile(path, &jsonc.Options{ReadFile: opts.ReadFile})
	return build(doc, opts)
}

// Parse is Load for a configuration held in memory; name is used in
// positions and to resolve relative includes.
func Parse(name string, src []byte, o *Options) (*Config, []Diagnostic, error) {
	var opts Options
	if o != nil {
		opts = *o
	}
	doc := jsonc.Parse(name, src, &jsonc.Options{ReadFile: opts.ReadFile})
	return build(doc, opts)
}

// Check loads the configuration at path only to report on it, as
// `kea-dhcp4 -t` does: the diagnostics, and a non-nil error when the file
// cannot be used. It opens no sockets and writes nothing.
func Check(path string) ([]Diagnostic, error) {
	_, diags, err := Load(path, nil)
	return diags, err
}

func build(doc *jsonc.Doc, opts Options) (*Config, []Diagnostic, error) {
	l := &loader{opts: opts, hostClasses: map[string]bool{}}
	for _, d := range doc.Diags {
		l.add(d)
	}
	if doc.Failed() {
		return nil, l.diags, fmt.Errorf("%w: %s", ErrInvalid, firstError(l.diags))
	}
	root := doc.Root
	l.cfg = &Config{Raw: &root, Files: doc.Files}
	l.top(&root)
	l.sortDiags(doc.Files)
	if l.errors == 0 {
		l.buildClassifier()
	}
	if l.errors > 0 {
		return nil, l.diags, fmt.Errorf("%w: %d error(s), first: %s", ErrInvalid, l.errors, firstError(l.diags))
	}
	l.cfg.Hash = sha256.Sum256(root.AppendJSON(nil, false, true))
	return l.cfg, l.diags, nil
}

// sortDiags puts the diagnostics in file order: problems are found
// scope by scope, and read best in the order of the text. files are the
// files in the order they were read, which is their order here.
func (l *loader) sortDiags(files []string) {
	fileIndex := map[string]int{}
	for i, f := range files {
		if _, ok := fileIndex[f]; !ok {
			fileIndex[f] = i
		}
	}
	slices.SortStableFunc(l.diags, func(a, b Diagnostic) int {
		return cmp.Or(cmp.Compare(fileIndex[a.Pos.File], fileIndex[b.Pos.File]),
			cmp.Compare(a.Pos.Line, b.Pos.Line), cmp.Compare(a.Pos.Col, b.Pos.Col))
	})
}

func firstError(ds []Diagnostic) string {
	for _, d := range ds {
		if d.Severity == Error {
			return d.String()
		}
	}
	return ""
}

// otherDaemons names the top-level sections of Kea's other daemons.
var otherDaemons = map[string]string{
	"Dhcp6":         "kea-dhcp6",
	"DhcpDdns":      "kea-dhcp-ddns",
	"D2":            "kea-dhcp-ddns",
	"Control-agent": "kea-ctrl-agent",
	"Netconf":       "kea-netconf",
	"Logging":       "the Kea 1.x shared logging section",
}

func (l *loader) top(root *jsonc.Value) {
	if root.Kind() != jsonc.Object {
		l.errf(root.Pos(), "the configuration must be a map holding \"Dhcp4\", got %s", root.Describe())
		return
	}
	var dhcp4 *jsonc.Value
	for _, m := range members(root, "the top level") {
		switch {
		case m.Key == "Dhcp4":
			if l.obj(m) {
				dhcp4 = m.v()
			}
		case m.Key == "DhcpDdns":
			// leased's own extension: kea-dhcp-ddns's section beside
			// Dhcp4 makes leased send the DNS updates itself.
			l.dhcpDdns(m)
		case otherDaemons[m.Key] != "":
			l.errf(m.keyPos(), "%q configures %s; leased reads only the \"Dhcp4\" section (move %q to that daemon's own file)", m.Key, otherDaemons[m.Key], m.Key)
		default:
			l.errf(m.keyPos(), "unknown keyword %q at the top level (the file must hold only \"Dhcp4\")", m.Key)
		}
	}
	if dhcp4 == nil {
		if l.errors == 0 {
			l.errf(root.Pos(), "no \"Dhcp4\" section: the file must look like { \"Dhcp4\": { ... } }")
		}
		return
	}
	l.dhcp4(dhcp4)
	l.checkDhcpDdnsUsed()
}

// dhcp4Sections holds the members of Dhcp4 that are read after a first
// pass, because they depend on one another (option definitions before
// option data, classes before guards, and so on).
type dhcp4Sections struct {
	optionDef, optionData, classes, reservations, networks, subnets *member
	controlSocket, controlSockets, dhcpDDNS                         *member
	hostIDs                                                         *member
}

func (l *loader) dhcp4(v *jsonc.Value) {
	c := l.cfg
	var s dhcp4Sections
	var gp rawParams
	// Defaults of the global-only values.
	c.DeclineProbationPeriod = 86400
	c.EchoClientID = true
	c.IPReservationsUnique = true
	c.ParkedPacketLimit = 256
	c.StatisticDefaultSampleCount = 20
	c.HostReservationIdentifiers = []IdentifierType{HWAddress, DUID, CircuitID, ClientID}
	c.Interfaces = defaultInterfaces()
	c.LeaseDatabase = defaultLeaseDatabase()
	c.ExpiredLeases = defaultExpiredLeases()
	c.MultiThreading = MultiThreading{Enable: true, PacketQueueSize: 64}
	c.DHCPQueueControl = DHCPQueueControl{QueueType: "kea-ring4", Capacity: 64}
	c.DHCPDDNS = defaultDHCPDDNS()
	c.SanityChecks = SanityChecks{LeaseChecks: "warn", ExtendedInfoChecks: "fix"}

	for _, m := range members(v, "Dhcp4") {
		m := m
		if l.comment(m, &c.UserContext) || l.param(globalScope, &gp, m) {
			continue
		}
		switch m.Key {
		case "option-def":
			s.optionDef = &m
		case "option-data":
			s.optionData = &m
		case "client-classes":
			s.classes = &m
		case "reservations":
			s.reservations = &m
		case "shared-networks":
			s.networks = &m
		case "subnet4":
			s.subnets = &m
		case "control-socket":
			s.controlSocket = &m
		case "control-sockets":
			s.controlSockets = &m
		case "dhcp-ddns":
			s.dhcpDDNS = &m
		case "host-reservation-identifiers":
			s.hostIDs = &m
		case "decline-probation-period":
			c.DeclineProbationPeriod, _ = l.u32(m)
		case "echo-client-id":
			c.EchoClientID, _ = l.boolean(m)
		case "early-global-reservations-lookup":
			c.EarlyGlobalReservationsLookup = l.unsupportedTrue(m)
		case "ip-reservations-unique":
			c.IPReservationsUnique, _ = l.boolean(m)
		case "reservations-lookup-first":
			c.ReservationsLookupFirst, _ = l.boolean(m)
		case "stash-agent-options":
			c.StashAgentOptions = l.unsupportedTrue(m)
		case "parked-packet-limit":
			c.ParkedPacketLimit, _ = l.u32(m)
		case "statistic-default-sample-count":
			c.StatisticDefaultSampleCount, _ = l.u32(m)
		case "statistic-default-sample-age":
			c.StatisticDefaultSampleAge, _ = l.u32(m)
		case "server-tag":
			c.ServerTag, _ = l.boundedStr(m, 256)
		case "dhcp4o6-port":
			if n, ok := l.u16(m); ok && n != 0 {
				l.notSupported(m.keyPos(), findNotSupported("Dhcp4", "dhcp4o6-port", "other than 0"))
			}
		case "interfaces-config":
			l.interfacesConfig(m)
		case "lease-database":
			l.leaseDatabase(m)
		case "hosts-database":
			l.hostsDatabases(m, false)
		case "hosts-databases":
			l.hostsDatabases(m, true)
		case "expired-leases-processing":
			l.expiredLeases(m)
		case "loggers":
			l.loggers(m)
		case "multi-threading":
			l.multiThreading(m)
		case "dhcp-queue-control":
			l.queueControl(m)
		case "sanity-checks":
			l.sanityChecks(m)
		case "compatibility":
			l.compatibility(m)
		case "hooks-libraries":
			l.hooksLibraries(m)
		default:
			l.unknown(m)
		}
	}

	// dhcp-ddns may carry 2.2's behavioural keys, which become global
	// parameters when the global scope does not set them.
	if s.dhcpDDNS != nil {
		l.dhcpDDNS(*s.dhcpDDNS, &gp)
	}
	switch {
	case s.controlSocket != nil && s.controlSockets != nil:
		l.errf(s.controlSocket.keyPos(), "control-socket and control-sockets are both given; keep only control-sockets")
	case s.controlSocket != nil:
		l.renamed(*s.controlSocket, "a one-entry control-sockets list")
		if l.obj(*s.controlSocket) {
			l.controlSocket(s.controlSocket.v(), "control-socket")
		}
	case s.controlSockets != nil:
		for _, e := range l.elements(*s.controlSockets, "control socket") {
			l.controlSocket(e, "control-sockets")
		}
		// Kea serves one UNIX socket at most.
		var unix *ControlSocket
		for i := range c.ControlSockets {
			cs := &c.ControlSockets[i]
			if cs.Type != "unix" {
				continue
			}
			if unix != nil {
				l.errf(cs.Pos, "control-sockets: a second socket of type \"unix\" (the first is at %s); Kea serves one", unix.Pos)
			}
			unix = cs
		}
	}
	if s.hostIDs != nil {
		l.hostIdentifiers(*s.hostIDs)
	}

	l.finishScope(&gp, "Dhcp4")
	g := l.resolve(gp, rawParams{}, nil, "Dhcp4", v.Pos())
	c.Global = g.params

	c.OptionDefs = l.optionDefs(s.optionDef, optdef.Standard(), "Dhcp4", false)
	if s.classes != nil {
		l.classes(*s.classes)
	}
	c.Options = l.optionSet(s.optionData, c.OptionDefs, "Dhcp4")
	if s.reservations != nil {
		c.GlobalReservations = l.reservations(*s.reservations, nil, "Dhcp4")
	}
	l.topology(s.networks, s.subnets, g)
	l.checkClassRefs()
}
