package manager

import (
	"encoding/hex"
	"errors"
	"fmt"
	"math"
	"net/netip"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/leased/leased/client"
	"github.com/leased/leased/client/leasefile"
	"github.com/leased/leased/client6"
	"github.com/leased/leased/config/jsonc"
	"github.com/leased/leased/dhcpv4"
	"github.com/leased/leased/dhcpv6"
)

// Config is the manager's configuration.
type Config struct {
	// LeaseDirectory holds the lease files of interfaces that set none of
	// their own. Default /var/lib/leased/client4.
	LeaseDirectory string
	// ControlSocket is the path of the unix control socket; empty for
	// none.
	ControlSocket string
	// Restart is the back-off for instances that fail.
	Restart Backoff
	// Interfaces are the managed interfaces, in configuration order.
	Interfaces []InterfaceConfig
}

// Backoff is the restart schedule of failed instances: Initial, doubling
// up to Max; reset to Initial after an instance has run for ResetAfter.
type Backoff struct {
	Initial    time.Duration
	Max        time.Duration
	ResetAfter time.Duration
}

// DefaultRestart is 1 s doubling to 60 s, reset after 5 minutes of running.
var DefaultRestart = Backoff{Initial: time.Second, Max: time.Minute, ResetAfter: 5 * time.Minute}

// DefaultLeaseDirectory is where lease files go unless configured.
const DefaultLeaseDirectory = "/var/lib/leased/client4"

// InterfaceConfig configures the client of one interface. The JSON keys
// are given with each field.
type InterfaceConfig struct {
	// "interface": the interface name. Required.
	Name string
	// "client-id": the client identifier, hex bytes with optional colons,
	// type byte first. Default: 01 and the hardware address.
	ClientID []byte
	// "hostname": option 12.
	HostName string
	// "fqdn": option 81, instead of the host name; "fqdn-server-update"
	// asks the server to update DNS (the S flag).
	FQDN             string
	FQDNServerUpdate bool
	// "vendor-class": option 60.
	VendorClass string
	// "requested-lease-time": seconds, option 51.
	RequestedLeaseTime time.Duration
	// "parameter-request-list": option codes for option 55.
	ParameterRequestList []dhcpv4.OptionCode
	// "broadcast-flag": ask servers to broadcast replies.
	BroadcastFlag bool
	// "configure-interface": apply leases with netlink (address, routes).
	// Default true.
	ConfigureInterface bool
	// "route-metric": the metric of installed routes. Interfaces that
	// each get a default route need distinct metrics: a default route with
	// the same metric replaces the other's.
	RouteMetric uint32
	// "resolv-conf": a file to write the lease's name servers to.
	ResolvConf string
	// "script" and "script-timeout" (seconds, default 30): a program run
	// for every lease event, after the netlink configuration.
	Script        string
	ScriptTimeout time.Duration
	// "lease-directory": overrides the global one.
	LeaseDirectory string
	// "arp-probe": probe offered addresses with ARP (RFC 5227). Default
	// true.
	ARPProbe bool
	// "init-delay": seconds, the bound of the random wait before the first
	// DISCOVER (RFC 2131 §4.4.1). Default 10. A stored lease is resumed at
	// once regardless.
	InitDelay time.Duration
	// "release-on-stop": release the lease when the manager stops. Default
	// false: a restart resumes it.
	ReleaseOnStop bool
	// "dhcp4": run the DHCPv4 client. Default true; false with "dhcp6"
	// runs DHCPv6 only.
	DHCP4 bool
	// "dhcp6": run a DHCPv6 client too, configured by this map.
	DHCP6 *DHCP6Config
}

// DHCP6Config configures the DHCPv6 client of an interface (its "dhcp6"
// map). Its binding is kept in <lease-directory>/<interface>.v6.lease and
// its DUID, made once, in <lease-directory>/<interface>.duid.
type DHCP6Config struct {
	// "ia-na" and "ia-pd": the IAs asked for, each {"iaid": N, "hints":
	// [addresses or prefixes]}. Default: one IA_NA with IAID 1, unless
	// "information-only".
	IANA []client6.IAConfig
	IAPD []client6.IAConfig
	// "information-only": stateless, configuration only.
	InformationOnly bool
	// "rapid-commit" and "reconfigure-accept".
	RapidCommit       bool
	ReconfigureAccept bool
	// "duid-type": "llt" (default), "ll" or "uuid", for a DUID made anew.
	DUIDType dhcpv6.DUIDType
	// "downstream": interfaces that get the /64s of the first delegated
	// prefix, in order (the subnet's ::1 on each).
	Downstream []string
	// "script" and "script-timeout": a program run for every DHCPv6
	// event, with odhcp6c's and dhclient -6's variables.
	Script        string
	ScriptTimeout time.Duration
}

// ConfigError is a configuration problem at a place in the file.
type ConfigError struct {
	Pos jsonc.Pos
	Msg string
}

func (e *ConfigError) Error() string {
	if e.Pos.IsValid() {
		return e.Pos.String() + ": " + e.Msg
	}
	return e.Msg
}

// LoadConfig reads the configuration file at path.
func LoadConfig(path string) (*Config, error) {
	return parseDoc(jsonc.ParseFile(path, nil))
}

// ParseConfig reads a configuration from src; name is used in messages.
func ParseConfig(name string, src []byte) (*Config, error) {
	return parseDoc(jsonc.Parse(name, src, nil))
}

// siblings are top-level keys of other modules that may share the file.
var siblings = []string{"Dhcp4", "Dhcp6", "DhcpDdns", "Control-agent", "Client6"}

func parseDoc(doc *jsonc.Doc) (*Config, error) {
	for _, d := range doc.Diags {
		if d.Severity == jsonc.Error {
			msg := d.Msg
			if d.Detail != "" {
				// Why a file could not be read (see jsonc.Diagnostic).
				msg += ": " + d.Detail
			}
			return nil, &ConfigError{Pos: d.Pos, Msg: msg}
		}
	}
	p := &parser{}
	root := &doc.Root
	if root.Kind() != jsonc.Object {
		return nil, &ConfigError{Pos: root.Pos(), Msg: "configuration must be a map with a \"Client4\" key, not " + root.Describe()}
	}
	var c4 *jsonc.Value
	for _, m := range root.Members() {
		switch {
		case m.Key == "Client4":
			c4 = &m.Value
		case slices.Contains(siblings, m.Key):
		default:
			p.errf(m.KeyPos(), "unknown top-level key %q (want \"Client4\")", m.Key)
		}
	}
	if p.err != nil {
		return nil, p.err
	}
	if c4 == nil {
		return nil, &ConfigError{Pos: root.Pos(), Msg: "no \"Client4\" key"}
	}
	cfg := p.client4(c4)
	if p.err != nil {
		return nil, p.err
	}
	return cfg, nil
}

type parser struct{ err error }

func (p *parser) errf(at jsonc.Pos, format string, a ...any) {
	if p.err == nil {
		p.err = &ConfigError{Pos: at, Msg: fmt.Sprintf(format, a...)}
	}
}

func (p *parser) want(v *jsonc.Value, k jsonc.Kind, where string) bool {
	if v.Kind() != k {
		p.errf(v.Pos(), "%s must be a %s, not %s", where, k, v.Describe())
		return false
	}
	return true
}

func (p *parser) str(v *jsonc.Value, where string) string {
	if !p.want(v, jsonc.String, where) {
		return ""
	}
	return v.Str()
}

func (p *parser) boolean(v *jsonc.Value, where string) bool {
	if !p.want(v, jsonc.Bool, where) {
		return false
	}
	return v.Bool()
}

// seconds reads a non-negative number of seconds, fractions allowed.
func (p *parser) seconds(v *jsonc.Value, where string, max time.Duration) time.Duration {
	if !p.want(v, jsonc.Number, where) {
		return 0
	}
	f, err := v.Float()
	if err != nil || f < 0 || math.IsNaN(f) || f*float64(time.Second) > float64(max) {
		p.errf(v.Pos(), "%s must be a number of seconds from 0 to %d, not %s", where, int64(max/time.Second), v.Str())
		return 0
	}
	return time.Duration(f * float64(time.Second))
}

func (p *parser) integer(v *jsonc.Value, where string, lo, hi int64) int64 {
	if !p.want(v, jsonc.Number, where) {
		return 0
	}
	n, err := v.Int()
	if err != nil || n < lo || n > hi {
		p.errf(v.Pos(), "%s must be an integer from %d to %d, not %s", where, lo, hi, v.Str())
		return 0
	}
	return n
}

func (p *parser) client4(v *jsonc.Value) *Config {
	cfg := &Config{LeaseDirectory: DefaultLeaseDirectory, Restart: DefaultRestart}
	if !p.want(v, jsonc.Object, "Client4") {
		return nil
	}
	var ifaces *jsonc.Value
	for _, m := range v.Members() {
		mv := &m.Value
		where := "Client4." + m.Key
		switch m.Key {
		case "lease-directory":
			cfg.LeaseDirectory = p.str(mv, where)
			if cfg.LeaseDirectory == "" {
				p.errf(mv.Pos(), "%s must not be empty", where)
			}
		case "control-socket":
			cfg.ControlSocket = p.controlSocket(mv, where)
		case "restart-backoff":
			cfg.Restart = p.backoff(mv, where)
		case "interfaces":
			ifaces = mv
		case "comment", "user-context":
		default:
			p.errf(m.KeyPos(), "unknown key %q in Client4", m.Key)
		}
	}
	if ifaces == nil {
		p.errf(v.Pos(), "Client4 has no \"interfaces\" list")
		return cfg
	}
	if !p.want(ifaces, jsonc.Array, "Client4.interfaces") {
		return cfg
	}
	seen := map[string]jsonc.Pos{}
	for i := range ifaces.Len() {
		iv := ifaces.Index(i)
		ic := p.iface(iv, fmt.Sprintf("Client4.interfaces[%d]", i))
		if p.err != nil {
			return cfg
		}
		if at, dup := seen[ic.Name]; dup {
			p.errf(iv.Pos(), "interface %q configured twice (first at %s)", ic.Name, at)
			return cfg
		}
		seen[ic.Name] = iv.Pos()
		cfg.Interfaces = append(cfg.Interfaces, ic)
	}
	return cfg
}

func (p *parser) controlSocket(v *jsonc.Value, where string) string {
	if !p.want(v, jsonc.Object, where) {
		return ""
	}
	var name string
	for _, m := range v.Members() {
		mv := &m.Value
		switch m.Key {
		case "socket-type":
			if t := p.str(mv, where+".socket-type"); t != "unix" && p.err == nil {
				p.errf(mv.Pos(), "%s.socket-type must be \"unix\", not %q", where, t)
			}
		case "socket-name":
			name = p.str(mv, where+".socket-name")
		case "comment", "user-context":
		default:
			p.errf(m.KeyPos(), "unknown key %q in %s", m.Key, where)
		}
	}
	if name == "" && p.err == nil {
		p.errf(v.Pos(), "%s needs a \"socket-name\"", where)
	}
	return name
}

func (p *parser) backoff(v *jsonc.Value, where string) Backoff {
	b := DefaultRestart
	if !p.want(v, jsonc.Object, where) {
		return b
	}
	for _, m := range v.Members() {
		mv := &m.Value
		switch m.Key {
		case "initial":
			b.Initial = p.seconds(mv, where+".initial", time.Hour)
		case "max":
			b.Max = p.seconds(mv, where+".max", 24*time.Hour)
		case "reset-after":
			b.ResetAfter = p.seconds(mv, where+".reset-after", 24*time.Hour)
		case "comment":
		default:
			p.errf(m.KeyPos(), "unknown key %q in %s", m.Key, where)
		}
	}
	if p.err == nil && (b.Initial <= 0 || b.Max < b.Initial) {
		p.errf(v.Pos(), "%s: initial must be positive and max at least initial", where)
	}
	return b
}

func (p *parser) iface(v *jsonc.Value, where string) InterfaceConfig {
	ic := InterfaceConfig{ConfigureInterface: true, ARPProbe: true, InitDelay: 10 * time.Second, DHCP4: true}
	if !p.want(v, jsonc.Object, where) {
		return ic
	}
	for _, m := range v.Members() {
		mv := &m.Value
		w := where + "." + m.Key
		switch m.Key {
		case "interface":
			ic.Name = p.str(mv, w)
			if p.err == nil && !leasefile.ValidInterfaceName(ic.Name) {
				p.errf(mv.Pos(), "%s: %q is not a valid interface name", w, ic.Name)
			}
		case "client-id":
			s := p.str(mv, w)
			b, err := parseHex(s)
			if p.err == nil && (err != nil || len(b) < 2 || len(b) > 255) {
				p.errf(mv.Pos(), "%s must be 2 to 255 bytes in hex, such as \"01:02:00:00:00:00:01\"; %q: %v", w, s, errOr(err, "wrong length"))
			}
			ic.ClientID = b
		case "hostname":
			ic.HostName = p.str(mv, w)
			if p.err == nil && (ic.HostName == "" || len(ic.HostName) > 255) {
				p.errf(mv.Pos(), "%s must be 1 to 255 bytes", w)
			}
		case "fqdn":
			ic.FQDN = p.str(mv, w)
			if p.err == nil {
				if err := client.CheckFQDN(ic.FQDN); err != nil {
					p.errf(mv.Pos(), "%s %q: %v", w, ic.FQDN, err)
				}
			}
		case "fqdn-server-update":
			ic.FQDNServerUpdate = p.boolean(mv, w)
		case "vendor-class":
			ic.VendorClass = p.str(mv, w)
			if p.err == nil && (ic.VendorClass == "" || len(ic.VendorClass) > 255) {
				p.errf(mv.Pos(), "%s must be 1 to 255 bytes", w)
			}
		case "requested-lease-time":
			ic.RequestedLeaseTime = time.Duration(p.integer(mv, w, 1, 0xfffffffe)) * time.Second
		case "parameter-request-list":
			if p.want(mv, jsonc.Array, w) {
				ic.ParameterRequestList = []dhcpv4.OptionCode{}
				for j := range mv.Len() {
					ic.ParameterRequestList = append(ic.ParameterRequestList, dhcpv4.OptionCode(p.integer(mv.Index(j), fmt.Sprintf("%s[%d]", w, j), 1, 254)))
				}
			}
		case "broadcast-flag":
			ic.BroadcastFlag = p.boolean(mv, w)
		case "configure-interface":
			ic.ConfigureInterface = p.boolean(mv, w)
		case "route-metric":
			ic.RouteMetric = uint32(p.integer(mv, w, 0, math.MaxUint32))
		case "resolv-conf":
			ic.ResolvConf = p.str(mv, w)
		case "script":
			ic.Script = p.str(mv, w)
			if p.err == nil {
				if err := checkExecutable(ic.Script); err != nil {
					p.errf(mv.Pos(), "%s: %v", w, err)
				}
			}
		case "script-timeout":
			ic.ScriptTimeout = p.seconds(mv, w, time.Hour)
		case "lease-directory":
			ic.LeaseDirectory = p.str(mv, w)
		case "arp-probe":
			ic.ARPProbe = p.boolean(mv, w)
		case "init-delay":
			ic.InitDelay = p.seconds(mv, w, time.Minute)
		case "release-on-stop":
			ic.ReleaseOnStop = p.boolean(mv, w)
		case "dhcp4":
			ic.DHCP4 = p.boolean(mv, w)
		case "dhcp6":
			ic.DHCP6 = p.dhcp6(mv, w)
		case "comment", "user-context":
		default:
			p.errf(m.KeyPos(), "unknown key %q in %s", m.Key, where)
		}
	}
	if p.err == nil && ic.Name == "" {
		p.errf(v.Pos(), "%s has no \"interface\"", where)
	}
	if p.err == nil && !ic.DHCP4 && ic.DHCP6 == nil {
		p.errf(v.Pos(), "%s runs neither DHCPv4 (\"dhcp4\" is false) nor DHCPv6 (no \"dhcp6\")", where)
	}
	return ic
}

func (p *parser) dhcp6(v *jsonc.Value, where string) *DHCP6Config {
	c := &DHCP6Config{}
	if !p.want(v, jsonc.Object, where) {
		return c
	}
	for _, m := range v.Members() {
		mv := &m.Value
		w := where + "." + m.Key
		switch m.Key {
		case "ia-na":
			c.IANA = p.ias(mv, w, false)
		case "ia-pd":
			c.IAPD = p.ias(mv, w, true)
		case "information-only":
			c.InformationOnly = p.boolean(mv, w)
		case "rapid-commit":
			c.RapidCommit = p.boolean(mv, w)
		case "reconfigure-accept":
			c.ReconfigureAccept = p.boolean(mv, w)
		case "duid-type":
			switch t := p.str(mv, w); t {
			case "llt":
				c.DUIDType = dhcpv6.DUIDLLT
			case "ll":
				c.DUIDType = dhcpv6.DUIDLL
			case "uuid":
				c.DUIDType = dhcpv6.DUIDUUID
			default:
				if p.err == nil {
					p.errf(mv.Pos(), "%s must be \"llt\", \"ll\" or \"uuid\", not %q", w, t)
				}
			}
		case "downstream":
			if p.want(mv, jsonc.Array, w) {
				for j := range mv.Len() {
					name := p.str(mv.Index(j), fmt.Sprintf("%s[%d]", w, j))
					if p.err == nil && (!leasefile.ValidInterfaceName(name) || slices.Contains(c.Downstream, name)) {
						p.errf(mv.Index(j).Pos(), "%s[%d]: %q is not a valid interface name or is listed twice", w, j, name)
					}
					c.Downstream = append(c.Downstream, name)
				}
			}
		case "script":
			c.Script = p.str(mv, w)
			if p.err == nil {
				if err := checkExecutable(c.Script); err != nil {
					p.errf(mv.Pos(), "%s: %v", w, err)
				}
			}
		case "script-timeout":
			c.ScriptTimeout = p.seconds(mv, w, time.Hour)
		case "comment", "user-context":
		default:
			p.errf(m.KeyPos(), "unknown key %q in %s", m.Key, where)
		}
	}
	if p.err == nil && c.InformationOnly && len(c.IANA)+len(c.IAPD) > 0 {
		p.errf(v.Pos(), "%s: an \"information-only\" client asks for no IA", where)
	}
	return c
}

// ias reads a list of IAs: [{"iaid": N, "hints": [...]}], with address
// hints for IA_NA and prefix hints for IA_PD.
func (p *parser) ias(v *jsonc.Value, where string, pd bool) []client6.IAConfig {
	if !p.want(v, jsonc.Array, where) {
		return nil
	}
	out := []client6.IAConfig{}
	for i := range v.Len() {
		iv := v.Index(i)
		w := fmt.Sprintf("%s[%d]", where, i)
		if !p.want(iv, jsonc.Object, w) {
			return out
		}
		ia := client6.IAConfig{}
		hasID := false
		for _, m := range iv.Members() {
			mv := &m.Value
			switch m.Key {
			case "iaid":
				ia.IAID = uint32(p.integer(mv, w+".iaid", 0, math.MaxUint32))
				hasID = true
			case "hints":
				if p.want(mv, jsonc.Array, w+".hints") {
					for j := range mv.Len() {
						s := p.str(mv.Index(j), fmt.Sprintf("%s.hints[%d]", w, j))
						var h netip.Prefix
						var err error
						if pd {
							h, err = netip.ParsePrefix(s)
						} else {
							var a netip.Addr
							a, err = netip.ParseAddr(s)
							h = netip.PrefixFrom(a, 128)
						}
						if p.err == nil && (err != nil || !h.Addr().Is6()) {
							p.errf(mv.Index(j).Pos(), "%s.hints[%d]: %q is not an IPv6 %s", w, j, s, map[bool]string{false: "address", true: "prefix"}[pd])
						}
						ia.Hints = append(ia.Hints, h)
					}
				}
			case "comment":
			default:
				p.errf(m.KeyPos(), "unknown key %q in %s", m.Key, w)
			}
		}
		if p.err == nil && !hasID {
			p.errf(iv.Pos(), "%s has no \"iaid\"", w)
		}
		if p.err == nil && slices.ContainsFunc(out, func(o client6.IAConfig) bool { return o.IAID == ia.IAID }) {
			p.errf(iv.Pos(), "%s: IAID %d listed twice", w, ia.IAID)
		}
		out = append(out, ia)
	}
	return out
}

func errOr(err error, s string) string {
	if err != nil {
		return err.Error()
	}
	return s
}

func parseHex(s string) ([]byte, error) {
	return hex.DecodeString(strings.ReplaceAll(s, ":", ""))
}

func checkExecutable(path string) error {
	if !filepath.IsAbs(path) {
		return fmt.Errorf("script path %q is not absolute", path)
	}
	fi, err := os.Stat(path)
	if err != nil {
		return err
	}
	if fi.IsDir() || fi.Mode().Perm()&0o111 == 0 {
		return errors.New("script " + path + " is not an executable file")
	}
	return nil
}
