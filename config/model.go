package config

import (
	"cmp"
	"net/netip"
	"regexp"
	"slices"
	"sort"

	"github.com/leased/leased/classify"
	"github.com/leased/leased/config/jsonc"
	"github.com/leased/leased/dhcpv4"
)

// Diagnostic is one error or warning with its place in the configuration.
type Diagnostic = jsonc.Diagnostic

// Pos is a file:line:col place.
type Pos = jsonc.Pos

// Severities of a Diagnostic.
const (
	Error   = jsonc.Error
	Warning = jsonc.Warning
)

// Secret is a password or key read from the configuration. It prints as
// "*****"; Reveal returns the text.
type Secret string

func (Secret) String() string   { return jsonc.Redacted }
func (Secret) GoString() string { return `"` + jsonc.Redacted + `"` }

// MarshalJSON keeps a Secret out of JSON output.
func (Secret) MarshalJSON() ([]byte, error) { return []byte(`"` + jsonc.Redacted + `"`), nil }

// Reveal returns the secret's text, for the code that must use it.
func (s Secret) Reveal() string { return string(s) }

// Config is a loaded configuration. It is never modified after Load
// returns and may be shared by any number of goroutines.
type Config struct {
	// Raw is the positioned tree as read, includes spliced in. Its String
	// and MarshalJSON methods redact secrets; see JSON.
	Raw *jsonc.Value
	// Files lists the configuration file and the files it included.
	Files []string
	// Hash is the SHA-256 of the configuration in a canonical form (keys
	// sorted, comments and layout dropped), so that two files meaning
	// the same thing share a hash.
	Hash [32]byte

	// Global holds the global values of the inheritable parameters, with
	// defaults filled in.
	Global Params

	DeclineProbationPeriod uint32
	EchoClientID           bool
	// HostReservationIdentifiers is the order in which identifiers are
	// looked up.
	HostReservationIdentifiers    []IdentifierType
	EarlyGlobalReservationsLookup bool
	IPReservationsUnique          bool
	ReservationsLookupFirst       bool
	StashAgentOptions             bool
	ParkedPacketLimit             uint32
	StatisticDefaultSampleCount   uint32
	StatisticDefaultSampleAge     uint32
	ServerTag                     string

	Interfaces       InterfacesConfig
	LeaseDatabase    Database
	HostsDatabases   []HostsDatabase
	ExpiredLeases    ExpiredLeasesProcessing
	ControlSockets   []ControlSocket
	Loggers          []Logger
	MultiThreading   MultiThreading
	DHCPQueueControl DHCPQueueControl
	DHCPDDNS         DHCPDDNS
	SanityChecks     SanityChecks
	Compatibility    Compatibility
	HooksLibraries   []HookLibrary
	// DhcpDdns is the DhcpDdns section beside Dhcp4, with which leased
	// makes the DNS updates itself; nil when the file has none.
	DhcpDdns *DhcpDdns

	// OptionDefs holds the standard definitions plus the global
	// option-def entries.
	OptionDefs *OptionDefs
	// Options are the global option-data entries.
	Options OptionSet

	// Classes are the client classes in the order they are evaluated.
	Classes []*Class
	// Classifier evaluates the classes per packet; its class i is
	// Classes[i].
	Classifier *classify.Classifier
	classes    map[string]*Class

	SharedNetworks []*SharedNetwork
	// Subnets lists every subnet, those inside shared networks included,
	// in the order they were written.
	Subnets []*Subnet

	// GlobalReservations are the reservations of the global scope.
	GlobalReservations []*Host

	subnetByID map[uint32]*Subnet
	// byStart holds the subnets sorted by first address. When no subnet
	// lies inside another (nested false), at most one contains an
	// address; otherwise byPrefix and prefixLens (the lengths in use)
	// find every subnet containing one.
	byStart     []*Subnet
	nested      bool
	byPrefix    map[netip.Prefix]*Subnet
	prefixLens  []int
	byRelay     map[netip.Addr][]*Subnet
	byInterface map[string][]*Subnet
	hosts       hostIndex

	UserContext *jsonc.Value
}

// Params are the parameters inherited from global scope through shared
// network to subnet. Every field holds its resolved value.
type Params struct {
	ValidLifetime Lifetime
	// RenewTimer and RebindTimer are T1 and T2; zero with the Has flag
	// false means "not configured" (options 58/59 are then not sent
	// unless CalculateTeeTimes).
	RenewTimer        uint32
	HasRenewTimer     bool
	RebindTimer       uint32
	HasRebindTimer    bool
	CalculateTeeTimes bool
	T1Percent         float64
	T2Percent         float64
	// OfferLifetime, when not zero, makes DISCOVER allocate a lease for
	// this long.
	OfferLifetime              uint32
	MatchClientID              bool
	Authoritative              bool
	NextServer                 netip.Addr
	ServerHostname             string
	BootFileName               string
	ReservationsGlobal         bool
	ReservationsInSubnet       bool
	ReservationsOutOfPool      bool
	StoreExtendedInfo          bool
	CacheThreshold             float64
	CacheMaxAge                uint32
	Allocator                  string
	AdaptiveLeaseTimeThreshold float64
	DDNS                       *DDNS
}

// Lifetime is a valid-lifetime triplet: what a client gets by default and
// the bounds a client's request (option 51) is clamped to.
type Lifetime struct {
	Min, Default, Max uint32
}

// Clamp returns the lifetime for a client that asked for requested
// seconds; zero means the client asked for nothing.
func (l Lifetime) Clamp(requested uint32) uint32 {
	switch {
	case requested == 0:
		return l.Default
	case requested < l.Min:
		return l.Min
	case requested > l.Max:
		return l.Max
	}
	return requested
}

// DDNS holds the behavioural DNS-update parameters of one scope. Scopes
// that do not change any of them share one DDNS value.
type DDNS struct {
	SendUpdates            bool
	OverrideNoUpdate       bool
	OverrideClientUpdate   bool
	ReplaceClientName      string // never, always, when-present, when-not-present
	GeneratedPrefix        string
	QualifyingSuffix       string
	UpdateOnRenew          bool
	ConflictResolutionMode string // check-with-dhcid, no-check-with-dhcid, check-exists-with-dhcid, no-check-without-dhcid
	// TTLPercent, TTL, TTLMin and TTLMax are zero when not configured.
	TTLPercent float64
	TTL        uint32
	TTLMin     uint32
	TTLMax     uint32
	// HostnameCharSet matches the characters to replace in host names;
	// nil when the set is empty (no sanitising).
	HostnameCharSet         *regexp.Regexp
	HostnameCharReplacement string
}

// SharedNetwork groups subnets on one link.
type SharedNetwork struct {
	Name          string
	Interface     string
	Relay         []netip.Addr
	ClientClasses []string
	// AdditionalClasses are evaluated after allocation
	// (evaluate-additional-classes, 2.2: require-client-classes).
	AdditionalClasses []string
	Params            Params
	// Options are the network's own option-data (subnets and pools hold
	// them already merged).
	Options     OptionSet
	Subnets     []*Subnet
	UserContext *jsonc.Value
	Pos         Pos
}

// Subnet is one subnet4 entry with everything it inherits resolved.
type Subnet struct {
	ID     uint32
	Prefix netip.Prefix
	// Network is the shared network the subnet belongs to, or nil.
	Network *SharedNetwork
	// Interface and Relay are the subnet's own or, when it has none, its
	// network's.
	Interface string
	Relay     []netip.Addr
	// ClientClasses is the guard: when not empty, only clients in one of
	// these classes may use the subnet. It is the subnet's own list or,
	// when it has none, its shared network's. When both have a list, a
	// client must pass both: use Allows.
	ClientClasses []string
	// AdditionalClasses are the classes evaluated after allocation: the
	// subnet's list followed by its network's (Kea's evaluation order).
	AdditionalClasses []string
	Params            Params
	// Options are the subnet's option-data merged over its network's.
	Options      OptionSet
	Pools        []*Pool
	Reservations []*Host
	UserContext  *jsonc.Value
	Pos          Pos
}

// Allows reports whether a client in the classes for which in returns
// true may use the subnet. As in Kea, a subnet of a shared network
// requires the network's guard and its own: one class of each list.
func (s *Subnet) Allows(in func(class string) bool) bool {
	if n := s.Network; n != nil && !anyClass(n.ClientClasses, in) {
		return false
	}
	return anyClass(s.ClientClasses, in)
}

// anyClass reports whether guard is empty or in holds for one of its
// classes.
func anyClass(guard []string, in func(string) bool) bool {
	if len(guard) == 0 {
		return true
	}
	for _, c := range guard {
		if in(c) {
			return true
		}
	}
	return false
}

// Pool is a range of addresses a subnet hands out.
type Pool struct {
	// ID is the pool-id (0 when not given).
	ID          uint32
	First, Last netip.Addr
	// ClientClasses is the pool's guard.
	ClientClasses []string
	// AdditionalClasses lists the pool's additional classes, then the
	// subnet's, then the network's, without repeats.
	AdditionalClasses []string
	// DDNS is the pool's DDNS parameters over the subnet's.
	DDNS *DDNS
	// Options are the pool's option-data merged over the subnet's.
	Options     OptionSet
	UserContext *jsonc.Value
	Pos         Pos
}

// Contains reports whether a is in the pool.
func (p *Pool) Contains(a netip.Addr) bool {
	return a.Is4() && p.First.Compare(a) <= 0 && a.Compare(p.Last) <= 0
}

// Size returns the number of addresses in the pool.
func (p *Pool) Size() uint64 {
	return uint64(dhcpv4.AddrToUint32(p.Last)-dhcpv4.AddrToUint32(p.First)) + 1
}

// Class is a client class.
type Class struct {
	Name string
	// Test is the boolean expression as written; TestPos is where.
	Test    string
	TestPos Pos
	// TemplateTest is the 3.x template-test expression (spawns classes).
	TemplateTest    string
	TemplateTestPos Pos
	// Additional marks a class evaluated only when a pool, subnet or
	// network lists it (only-in-additional-list, 2.2: only-if-required).
	Additional bool
	// DependsOnKnown is set when the class (directly or through other
	// classes) tests KNOWN or UNKNOWN, so it is evaluated after the
	// reservation lookup.
	DependsOnKnown bool
	// Lifetime and boot fields override those of the subnet for members
	// of the class; Has* say which are set.
	ValidLifetime     Lifetime
	HasValidLifetime  bool
	OfferLifetime     uint32
	HasOfferLifetime  bool
	NextServer        netip.Addr
	HasNextServer     bool
	ServerHostname    string
	HasServerHostname bool
	BootFileName      string
	HasBootFileName   bool
	// OptionDefs are the definitions in force for this class's options
	// (the global ones plus the class's own option-def).
	OptionDefs  *OptionDefs
	Options     OptionSet
	UserContext *jsonc.Value
	Pos         Pos
}

// IdentifierType names what a reservation is keyed on.
type IdentifierType uint8

// Identifier types, numbered as Kea numbers them.
const (
	HWAddress IdentifierType = 0
	DUID      IdentifierType = 1
	CircuitID IdentifierType = 2
	ClientID  IdentifierType = 3
	FlexID    IdentifierType = 5
)

func (t IdentifierType) String() string {
	switch t {
	case HWAddress:
		return "hw-address"
	case DUID:
		return "duid"
	case CircuitID:
		return "circuit-id"
	case ClientID:
		return "client-id"
	case FlexID:
		return "flex-id"
	}
	return "identifier-type"
}

// Host is a host reservation.
type Host struct {
	// SubnetID is the subnet the reservation belongs to; 0 for global
	// reservations.
	SubnetID   uint32
	IDType     IdentifierType
	Identifier []byte
	// Address is the reserved address, or the zero Addr.
	Address        netip.Addr
	Hostname       string
	ClientClasses  []string
	NextServer     netip.Addr
	ServerHostname string
	BootFileName   string
	Options        OptionSet
	UserContext    *jsonc.Value
	Pos            Pos
}

// InterfacesConfig is interfaces-config.
type InterfacesConfig struct {
	// Interfaces as written: "eth0", "eth0/192.0.2.1" or "*".
	Interfaces                  []string
	DHCPSocketType              string // raw or udp
	OutboundInterface           string // same-as-inbound or use-routing
	ReDetect                    bool
	ServiceSocketsRequireAll    bool
	ServiceSocketsRetryWaitTime uint32 // ms
	ServiceSocketsMaxRetries    uint32
	UserContext                 *jsonc.Value
}

// Database is lease-database.
type Database struct {
	Type              string // memfile or postgresql
	Persist           bool
	Name              string
	LFCInterval       uint32
	MaxRowErrors      uint32
	Host              string
	Port              uint16
	User              string
	Password          Secret
	PasswordFile      string
	ConnectTimeout    uint32
	ReadTimeout       uint32
	WriteTimeout      uint32
	TCPUserTimeout    uint32
	ReconnectWaitTime uint32
	MaxReconnectTries uint32
	OnFail            string
	RetryOnStartup    bool
	TrustAnchor       string
	CertFile          string
	KeyFile           string
	KeyPassword       Secret
	CipherList        string
	SSLMode           string
}

// ExpiredLeasesProcessing is expired-leases-processing.
type ExpiredLeasesProcessing struct {
	ReclaimTimerWaitTime        uint32
	FlushReclaimedTimerWaitTime uint32
	HoldReclaimedTime           uint32
	MaxReclaimLeases            uint32
	MaxReclaimTime              uint32
	UnwarnedReclaimCycles       uint32
}

// ControlSocket is one control-sockets entry (or the 2.2 control-socket).
type ControlSocket struct {
	Type           string // unix, http, https
	Name           string // unix path
	Address        string
	Port           uint16
	TrustAnchor    string
	CertFile       string
	KeyFile        string
	CertRequired   bool
	Authentication *Authentication
	HTTPHeaders    []HTTPHeader
	UserContext    *jsonc.Value
	Pos            Pos
}

// Authentication is a control socket's basic authentication.
type Authentication struct {
	Type      string
	Realm     string
	Directory string
	Clients   []AuthClient
}

// AuthClient is one user allowed on a control socket.
type AuthClient struct {
	User         string
	UserFile     string
	Password     Secret
	PasswordFile string
}

// HTTPHeader is a header added to control-socket HTTP responses.
type HTTPHeader struct {
	Name, Value string
}

// Logger is one loggers entry.
type Logger struct {
	Name          string
	Severity      string
	DebugLevel    uint8
	OutputOptions []LogOutput
}

// LogOutput is one output-options entry.
type LogOutput struct {
	Output  string
	Flush   bool
	MaxSize uint64
	MaxVer  uint32
	Pattern string
}

// MultiThreading is multi-threading.
type MultiThreading struct {
	Enable          bool
	ThreadPoolSize  uint32
	PacketQueueSize uint32
}

// DHCPQueueControl is dhcp-queue-control; only a disabled queue is
// accepted for now.
type DHCPQueueControl struct {
	EnableQueue bool
	QueueType   string
	Capacity    uint32
}

// DHCPDDNS is dhcp-ddns: how to reach the DNS update daemon.
type DHCPDDNS struct {
	EnableUpdates bool
	ServerIP      netip.Addr
	ServerPort    uint16
	SenderIP      netip.Addr
	SenderPort    uint16
	MaxQueueSize  uint32
	NCRProtocol   string
	NCRFormat     string
}

// SanityChecks is sanity-checks.
type SanityChecks struct {
	LeaseChecks        string
	ExtendedInfoChecks string
}

// Compatibility is compatibility.
type Compatibility struct {
	LenientOptionParsing       bool
	IgnoreDHCPServerIdentifier bool
	IgnoreRAILinkSelection     bool
	ExcludeFirstLast24         bool
}

// HookLibrary is one hooks-libraries entry. Libraries are recorded, not
// loaded.
type HookLibrary struct {
	Library string
	// Parameters is the free-form parameters map (nil when absent). Its
	// String method redacts secrets.
	Parameters *jsonc.Value
	Pos        Pos
}

// SubnetByID returns the subnet with the given id, or nil.
func (c *Config) SubnetByID(id uint32) *Subnet { return c.subnetByID[id] }

// SubnetContaining returns the subnet whose prefix contains a, or nil.
// When subnets lie inside one another, it returns the one with the lowest
// id, the first Kea tries; see SubnetsContaining.
func (c *Config) SubnetContaining(a netip.Addr) *Subnet {
	if !a.Is4() {
		return nil
	}
	if c.nested {
		var best *Subnet
		for _, n := range c.prefixLens {
			if s := c.byPrefix[netip.PrefixFrom(a, n).Masked()]; s != nil && (best == nil || s.ID < best.ID) {
				best = s
			}
		}
		return best
	}
	i := sort.Search(len(c.byStart), func(i int) bool {
		return c.byStart[i].Prefix.Addr().Compare(a) > 0
	})
	if i == 0 {
		return nil
	}
	if s := c.byStart[i-1]; s.Prefix.Contains(a) {
		return s
	}
	return nil
}

// SubnetsContaining returns every subnet whose prefix contains a, lowest
// id first: the order in which Kea tries them, passing over those whose
// class guard excludes the client. The slice is new; the caller may keep it.
func (c *Config) SubnetsContaining(a netip.Addr) []*Subnet {
	if !c.nested {
		if s := c.SubnetContaining(a); s != nil {
			return []*Subnet{s}
		}
		return nil
	}
	var out []*Subnet
	if a.Is4() {
		for _, n := range c.prefixLens {
			if s := c.byPrefix[netip.PrefixFrom(a, n).Masked()]; s != nil {
				out = append(out, s)
			}
		}
	}
	slices.SortFunc(out, func(x, y *Subnet) int { return cmp.Compare(x.ID, y.ID) })
	return out
}

// SubnetsByRelay returns the subnets (and subnets of shared networks) that
// name a in their relay ip-addresses.
func (c *Config) SubnetsByRelay(a netip.Addr) []*Subnet { return c.byRelay[a] }

// SubnetsByInterface returns the subnets bound to the named interface.
func (c *Config) SubnetsByInterface(name string) []*Subnet { return c.byInterface[name] }

// Class returns the class with the given name, or nil.
func (c *Config) Class(name string) *Class { return c.classes[name] }

// Reservation returns the reservation for an identifier in a subnet (0 for
// the global scope), or nil.
func (c *Config) Reservation(subnetID uint32, t IdentifierType, id []byte) *Host {
	var buf [64]byte
	return c.hosts.byID[string(appendHostKey(buf[:0], subnetID, t, id))]
}

// ReservationByAddress returns the reservation of an address in a subnet
// (0 for the global scope), or nil. When ip-reservations-unique is false
// there may be more; see ReservationsByAddress.
func (c *Config) ReservationByAddress(subnetID uint32, a netip.Addr) *Host {
	if !a.Is4() {
		return nil
	}
	return c.hosts.byAddr[uint64(subnetID)<<32|uint64(dhcpv4.AddrToUint32(a))]
}

// ReservationsByAddress returns every reservation of an address in a
// subnet (0 for the global scope).
func (c *Config) ReservationsByAddress(subnetID uint32, a netip.Addr) []*Host {
	h := c.ReservationByAddress(subnetID, a)
	if h == nil {
		return nil
	}
	return append([]*Host{h}, c.hosts.moreByAddr[uint64(subnetID)<<32|uint64(dhcpv4.AddrToUint32(a))]...)
}

// JSON returns the configuration as read, as compact JSON with secrets
// redacted (what config-get shows).
func (c *Config) JSON() []byte {
	if c.Raw == nil {
		return []byte("null")
	}
	return c.Raw.AppendJSON(nil, true, false)
}
