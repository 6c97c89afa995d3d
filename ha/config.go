package ha

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"net/netip"
	"net/url"
	"os"
	"slices"
	"sort"
	"strings"
	"time"
)

// Dialect is the Kea version whose form of the HA parameters, defaults and
// wire a configuration follows.
type Dialect int

const (
	// Kea22 is Kea 2.2 (Debian 12's kea-dhcp4): exactly one relationship,
	// 16-bit delays, no dedicated listener and unrestricted commands by
	// default, commands without "server-name".
	Kea22 Dialect = iota
	// Kea3 is Kea 3.x: several hot-standby relationships, 32-bit delays,
	// the dedicated listener and restrict-commands on by default,
	// max-rejected-lease-updates, basic-auth-user-file, and the extra
	// arguments of 3.x's commands.
	Kea3
)

func (d Dialect) String() string {
	if d == Kea3 {
		return "Kea 3.x"
	}
	return "Kea 2.2"
}

// Mode is the mode of a relationship.
type Mode int

// The modes, as the "mode" parameter names them.
const (
	ModeLoadBalancing Mode = iota
	ModeHotStandby
	ModePassiveBackup
)

var modeNames = []string{
	ModeLoadBalancing: "load-balancing",
	ModeHotStandby:    "hot-standby",
	ModePassiveBackup: "passive-backup",
}

func (m Mode) String() string { return enumName(m, modeNames, "mode") }

// Role is a peer's role.
type Role int

// The roles, as a peer's "role" names them.
const (
	RolePrimary Role = iota
	RoleSecondary
	RoleStandby
	RoleBackup
)

var roleNames = []string{
	RolePrimary:   "primary",
	RoleSecondary: "secondary",
	RoleStandby:   "standby",
	RoleBackup:    "backup",
}

func (r Role) String() string { return enumName(r, roleNames, "role") }

// Pause says when the state machine stops on entering a state, until an
// operator sends ha-continue.
type Pause int

// The values of a state's "pause".
const (
	PauseNever Pause = iota
	PauseOnce
	PauseAlways
)

var pauseNames = []string{
	PauseNever:  "never",
	PauseOnce:   "once",
	PauseAlways: "always",
}

func (p Pause) String() string { return enumName(p, pauseNames, "pause") }

// enumName returns the name names gives v, or kind(v) for a value without
// one. Mode, Role and Pause are parsed from the same tables (parseEnum),
// so that the names read and the names shown cannot drift apart.
func enumName[T ~int](v T, names []string, kind string) string {
	if v >= 0 && int(v) < len(names) {
		return names[v]
	}
	return fmt.Sprintf("%s(%d)", kind, int(v))
}

// parseEnum returns the value whose name in names is name.
func parseEnum[T ~int](name string, names []string) (T, bool) {
	i := slices.Index(names, name)
	return T(i), i >= 0
}

// TLS names the files of a TLS client (and of the dedicated listener's
// server side). They are not opened here: whoever builds the connection
// loads them and reports what is wrong with them.
type TLS struct {
	TrustAnchor, CertFile, KeyFile string
}

// Enabled reports whether any of the three is set; a valid configuration
// then has all three.
func (t TLS) Enabled() bool { return t.TrustAnchor != "" || t.CertFile != "" || t.KeyFile != "" }

// MultiThreading is a relationship's "multi-threading" map. Thread counts
// of 0 mean "as many as the DHCP service has".
type MultiThreading struct {
	Enabled           bool
	DedicatedListener bool
	ListenerThreads   uint32
	ClientThreads     uint32
}

// Listener reports whether the relationship opens its own HTTP listener on
// this server's URL. Kea also requires multi-threading of the DHCP
// service itself, which the caller checks.
func (m MultiThreading) Listener() bool { return m.Enabled && m.DedicatedListener }

// Peer is one server of a relationship, this one included.
type Peer struct {
	// Name is trimmed; it is also the name of the peer's scope and the
	// suffix of its HA_<name> class.
	Name string
	URL  *url.URL
	// Addr is the URL's host (always an IP literal) and port, the port
	// defaulting to the scheme's.
	Addr netip.AddrPort
	Role Role
	// AutoFailover: in partner-down this server serves the partner's
	// scope too (true, Kea's default), or only its own.
	AutoFailover bool
	// TLS holds the peer's files after inheriting the relationship's.
	TLS TLS
	// BasicAuthUser is empty for no authentication. The password is read
	// from BasicAuthPasswordFile when that is set.
	BasicAuthUser         string
	BasicAuthPassword     string
	BasicAuthPasswordFile string
	// BasicAuthUserFile is Kea 3.x's: the user read from a file.
	BasicAuthUserFile string
}

// Relationship is one element of the "high-availability" list: this server
// and its peers.
type Relationship struct {
	ThisServerName string
	Mode           Mode

	HeartbeatDelay   time.Duration // 0: no heartbeats
	MaxResponseDelay time.Duration
	MaxAckDelay      time.Duration
	// MaxUnackedClients: partner-down once more clients than this went
	// unanswered by the partner; 0 = as soon as communication is
	// interrupted.
	MaxUnackedClients uint32
	// MaxRejectedLeaseUpdates (3.x): terminated once this many clients
	// had lease updates rejected by the partner; 0 = never. Always 0 in
	// Kea 2.2, which does not have it.
	MaxRejectedLeaseUpdates uint32
	// DelayedUpdatesLimit > 0 enables communication-recovery (load
	// balancing only): the number of lease updates kept for the partner.
	DelayedUpdatesLimit uint32

	SendLeaseUpdates   bool
	SyncLeases         bool
	SyncTimeout        time.Duration
	SyncPageLimit      uint32
	WaitBackupAck      bool
	RequireClientCerts bool
	RestrictCommands   bool

	TLS            TLS
	MultiThreading MultiThreading

	// Pauses holds the states of "state-machine" with their pause; a
	// state not listed never pauses.
	Pauses map[State]Pause

	// Peers are in the order the configuration lists them.
	Peers []*Peer
}

// Peer returns the peer called name, nil if there is none.
func (r *Relationship) Peer(name string) *Peer {
	for _, p := range r.Peers {
		if p.Name == name {
			return p
		}
	}
	return nil
}

// This returns this server's own peer entry.
func (r *Relationship) This() *Peer { return r.Peer(r.ThisServerName) }

// Partner returns the failover peer: the other non-backup server, nil for
// a backup-only relationship (passive-backup). With several candidates
// Kea takes the first by name; a valid configuration has at most one.
func (r *Relationship) Partner() *Peer {
	var best *Peer
	for _, p := range r.Peers {
		if p.Name == r.ThisServerName || p.Role == RoleBackup {
			continue
		}
		if best == nil || p.Name < best.Name {
			best = p
		}
	}
	return best
}

// Backups returns the backup peers other than this server.
func (r *Relationship) Backups() []*Peer {
	var b []*Peer
	for _, p := range r.Peers {
		if p.Role == RoleBackup && p.Name != r.ThisServerName {
			b = append(b, p)
		}
	}
	return b
}

// Pause returns the pause configured for state.
func (r *Relationship) Pause(s State) Pause { return r.Pauses[s] }

// Config is the parsed "parameters" of the libdhcp_ha.so hook entry.
type Config struct {
	Dialect       Dialect
	Relationships []*Relationship
	// Ignored lists parameters Kea does not know, which it ignores, each
	// with its path (high-availability[0].peers[1].colour), so that the
	// caller can warn about them.
	Ignored []string
}

// Relationship returns the relationship in which this server is called
// name, nil if none.
func (c *Config) Relationship(name string) *Relationship {
	for _, r := range c.Relationships {
		if r.ThisServerName == name {
			return r
		}
	}
	return nil
}

// Options tune Parse.
type Options struct {
	Dialect Dialect
	// ReadFile reads basic-auth-password-file and basic-auth-user-file;
	// nil is os.ReadFile.
	ReadFile func(name string) ([]byte, error)
}

// ParseValue is Parse for parameters already decoded by encoding/json (a
// map[string]any), as another package may hold them.
func ParseValue(params any, opts Options) (*Config, error) {
	raw, err := json.Marshal(params)
	if err != nil {
		return nil, fmt.Errorf("HA parameters: %w", err)
	}
	return Parse(raw, opts)
}

// Parse reads the "parameters" map of the libdhcp_ha.so hook entry,
// {"high-availability": [...]}, applies Kea's defaults for the dialect and
// checks what Kea checks. An error names the parameter at fault by its
// path, e.g. high-availability[0].peers[1].url.
func Parse(params json.RawMessage, opts Options) (*Config, error) {
	if opts.ReadFile == nil {
		opts.ReadFile = os.ReadFile
	}
	dec := json.NewDecoder(bytes.NewReader(params))
	dec.UseNumber()
	var top any
	if err := dec.Decode(&top); err != nil {
		return nil, fmt.Errorf("HA parameters: not valid JSON: %w", err)
	}
	if dec.More() {
		return nil, errors.New("HA parameters: text after the parameters map")
	}
	m, ok := top.(map[string]any)
	if !ok {
		return nil, fmt.Errorf("HA parameters: must be a map, not %s", typeName(top))
	}
	p := &parser{opts: opts, cfg: &Config{Dialect: opts.Dialect}}
	for k := range m {
		if k != "high-availability" {
			p.ignore(k)
		}
	}
	haVal, ok := m["high-availability"]
	if !ok {
		return nil, errors.New("HA parameters: \"high-availability\" is missing")
	}
	list, ok := haVal.([]any)
	if !ok {
		return nil, fmt.Errorf("high-availability: must be a list, not %s", typeName(haVal))
	}
	switch {
	case len(list) == 0:
		return nil, errors.New("high-availability: the list is empty; it needs one relationship")
	case len(list) > 1 && opts.Dialect == Kea22:
		return nil, fmt.Errorf("high-availability: %d relationships; Kea 2.2 takes exactly one (several are a Kea 3.x feature)", len(list))
	}
	for i, e := range list {
		path := fmt.Sprintf("high-availability[%d]", i)
		rm, ok := e.(map[string]any)
		if !ok {
			return nil, fmt.Errorf("%s: must be a map, not %s", path, typeName(e))
		}
		r, err := p.relationship(path, rm)
		if err != nil {
			return nil, err
		}
		p.cfg.Relationships = append(p.cfg.Relationships, r)
	}
	if err := p.cfg.validateRelationships(); err != nil {
		return nil, err
	}
	sort.Strings(p.cfg.Ignored)
	return p.cfg, nil
}

// validateRelationships checks what 3.x checks across relationships.
func (c *Config) validateRelationships() error {
	if len(c.Relationships) < 2 {
		return nil
	}
	owner := map[string]int{}
	for i, r := range c.Relationships {
		if r.Mode != ModeHotStandby {
			return fmt.Errorf("high-availability[%d].mode: %q, but with several relationships each must be hot-standby", i, r.Mode)
		}
		for _, p := range r.Peers {
			if j, dup := owner[p.Name]; dup {
				return fmt.Errorf("high-availability[%d].peers: server name %q is also used in high-availability[%d]; names must be unique across relationships", i, p.Name, j)
			}
			owner[p.Name] = i
		}
	}
	return nil
}

type parser struct {
	opts Options
	cfg  *Config
}

func (p *parser) ignore(path string) { p.cfg.Ignored = append(p.cfg.Ignored, path) }

// keys checks m's keys against known, recording the unknown ones (Kea
// ignores them). comment and user-context are allowed everywhere.
func (p *parser) keys(path string, m map[string]any, known ...string) {
	for k := range m {
		if k == "comment" || k == "user-context" {
			continue
		}
		found := false
		for _, kk := range known {
			if k == kk {
				found = true
				break
			}
		}
		if !found {
			p.ignore(path + "." + k)
		}
	}
}

func typeName(v any) string {
	switch v.(type) {
	case nil:
		return "null"
	case bool:
		return "a boolean"
	case json.Number:
		return "a number"
	case string:
		return "a string"
	case []any:
		return "a list"
	case map[string]any:
		return "a map"
	}
	return fmt.Sprintf("%T", v)
}

func getString(path string, m map[string]any, key string, def string, mandatory bool) (string, error) {
	v, ok := m[key]
	if !ok {
		if mandatory {
			return "", fmt.Errorf("%s: %q is missing", path, key)
		}
		return def, nil
	}
	s, ok := v.(string)
	if !ok {
		return "", fmt.Errorf("%s.%s: must be a string, not %s", path, key, typeName(v))
	}
	return s, nil
}

func getBool(path string, m map[string]any, key string, def bool) (bool, error) {
	v, ok := m[key]
	if !ok {
		return def, nil
	}
	b, ok := v.(bool)
	if !ok {
		return false, fmt.Errorf("%s.%s: must be a boolean, not %s", path, key, typeName(v))
	}
	return b, nil
}

func getUint(path string, m map[string]any, key string, def uint64, max uint64) (uint64, error) {
	v, ok := m[key]
	if !ok {
		return def, nil
	}
	n, ok := v.(json.Number)
	if !ok {
		return 0, fmt.Errorf("%s.%s: must be an integer, not %s", path, key, typeName(v))
	}
	if strings.ContainsAny(n.String(), ".eE") {
		return 0, fmt.Errorf("%s.%s: must be an integer, not %s", path, key, n)
	}
	if strings.HasPrefix(n.String(), "-") {
		return 0, fmt.Errorf("%s.%s: must not be negative (%s)", path, key, n)
	}
	var u uint64
	if _, err := fmt.Sscan(n.String(), &u); err != nil || u > max {
		return 0, fmt.Errorf("%s.%s: %s is greater than %d, the largest value allowed", path, key, n, max)
	}
	return u, nil
}

func (p *parser) relationship(path string, m map[string]any) (*Relationship, error) {
	d := p.opts.Dialect
	known := []string{
		"this-server-name", "mode", "peers", "send-lease-updates", "sync-leases", "sync-timeout",
		"sync-page-limit", "delayed-updates-limit", "heartbeat-delay", "max-response-delay",
		"max-ack-delay", "max-unacked-clients", "wait-backup-ack", "require-client-certs",
		"restrict-commands", "trust-anchor", "cert-file", "key-file", "multi-threading", "state-machine",
	}
	if d == Kea3 {
		known = append(known, "max-rejected-lease-updates")
	}
	p.keys(path, m, known...)

	r := &Relationship{}
	modeName, err := getString(path, m, "mode", "", true)
	if err != nil {
		return nil, err
	}
	var ok bool
	if r.Mode, ok = parseEnum[Mode](modeName, modeNames); !ok {
		return nil, fmt.Errorf("%s.mode: %q is not a mode (load-balancing, hot-standby or passive-backup)", path, modeName)
	}
	name, err := getString(path, m, "this-server-name", "", true)
	if err != nil {
		return nil, err
	}
	r.ThisServerName = strings.TrimSpace(name)
	if r.ThisServerName == "" {
		return nil, fmt.Errorf("%s.this-server-name: must not be empty", path)
	}

	if r.SendLeaseUpdates, err = getBool(path, m, "send-lease-updates", true); err != nil {
		return nil, err
	}
	if r.SyncLeases, err = getBool(path, m, "sync-leases", true); err != nil {
		return nil, err
	}
	if r.WaitBackupAck, err = getBool(path, m, "wait-backup-ack", false); err != nil {
		return nil, err
	}
	if r.RequireClientCerts, err = getBool(path, m, "require-client-certs", true); err != nil {
		return nil, err
	}
	if r.RestrictCommands, err = getBool(path, m, "restrict-commands", d == Kea3); err != nil {
		return nil, err
	}

	delayMax := uint64(math.MaxUint32)
	if d == Kea22 {
		delayMax = math.MaxUint16 // Kea 2.2 keeps the three delays in 16 bits
	}
	ms := func(key string, def uint64, max uint64) (time.Duration, error) {
		v, err := getUint(path, m, key, def, max)
		return time.Duration(v) * time.Millisecond, err
	}
	if r.SyncTimeout, err = ms("sync-timeout", 60000, math.MaxUint32); err != nil {
		return nil, err
	}
	if r.HeartbeatDelay, err = ms("heartbeat-delay", 10000, delayMax); err != nil {
		return nil, err
	}
	if r.MaxResponseDelay, err = ms("max-response-delay", 60000, delayMax); err != nil {
		return nil, err
	}
	if r.MaxAckDelay, err = ms("max-ack-delay", 10000, delayMax); err != nil {
		return nil, err
	}
	u32 := func(key string, def uint64) (uint32, error) {
		v, err := getUint(path, m, key, def, math.MaxUint32)
		return uint32(v), err
	}
	if r.SyncPageLimit, err = u32("sync-page-limit", 10000); err != nil {
		return nil, err
	}
	if r.SyncPageLimit == 0 {
		return nil, fmt.Errorf("%s.sync-page-limit: must be greater than 0 (the number of leases fetched per page)", path)
	}
	var dulDefault uint64
	if r.Mode == ModeLoadBalancing {
		dulDefault = 100
	}
	if r.DelayedUpdatesLimit, err = u32("delayed-updates-limit", dulDefault); err != nil {
		return nil, err
	}
	if r.MaxUnackedClients, err = u32("max-unacked-clients", 10); err != nil {
		return nil, err
	}
	if d == Kea3 {
		if r.MaxRejectedLeaseUpdates, err = u32("max-rejected-lease-updates", 10); err != nil {
			return nil, err
		}
	}

	if r.TLS, err = tlsOf(path, m); err != nil {
		return nil, err
	}
	if r.MultiThreading, err = p.multiThreading(path, m); err != nil {
		return nil, err
	}
	if r.Pauses, err = p.stateMachine(path, m); err != nil {
		return nil, err
	}

	pv, ok := m["peers"]
	if !ok {
		return nil, fmt.Errorf("%s: \"peers\" is missing", path)
	}
	peers, ok := pv.([]any)
	if !ok {
		return nil, fmt.Errorf("%s.peers: must be a list, not %s", path, typeName(pv))
	}
	for i, e := range peers {
		ppath := fmt.Sprintf("%s.peers[%d]", path, i)
		pm, ok := e.(map[string]any)
		if !ok {
			return nil, fmt.Errorf("%s: must be a map, not %s", ppath, typeName(e))
		}
		peer, err := p.peer(ppath, pm, r.TLS)
		if err != nil {
			return nil, err
		}
		if r.Peer(peer.Name) != nil {
			return nil, fmt.Errorf("%s.name: %q names two peers", ppath, peer.Name)
		}
		r.Peers = append(r.Peers, peer)
	}
	if err := r.validate(path); err != nil {
		return nil, err
	}
	return r, nil
}

func tlsOf(path string, m map[string]any) (TLS, error) {
	var t TLS
	var err error
	if t.TrustAnchor, err = getString(path, m, "trust-anchor", "", false); err != nil {
		return t, err
	}
	if t.CertFile, err = getString(path, m, "cert-file", "", false); err != nil {
		return t, err
	}
	if t.KeyFile, err = getString(path, m, "key-file", "", false); err != nil {
		return t, err
	}
	return t, nil
}

func (p *parser) multiThreading(path string, m map[string]any) (MultiThreading, error) {
	on := p.opts.Dialect == Kea3
	mt := MultiThreading{Enabled: on, DedicatedListener: on}
	v, ok := m["multi-threading"]
	if !ok {
		return mt, nil
	}
	path += ".multi-threading"
	mm, ok := v.(map[string]any)
	if !ok {
		return mt, fmt.Errorf("%s: must be a map, not %s", path, typeName(v))
	}
	p.keys(path, mm, "enable-multi-threading", "http-dedicated-listener", "http-listener-threads", "http-client-threads")
	var err error
	if mt.Enabled, err = getBool(path, mm, "enable-multi-threading", on); err != nil {
		return mt, err
	}
	if mt.DedicatedListener, err = getBool(path, mm, "http-dedicated-listener", on); err != nil {
		return mt, err
	}
	n, err := getUint(path, mm, "http-listener-threads", 0, math.MaxUint32)
	if err != nil {
		return mt, err
	}
	mt.ListenerThreads = uint32(n)
	if n, err = getUint(path, mm, "http-client-threads", 0, math.MaxUint32); err != nil {
		return mt, err
	}
	mt.ClientThreads = uint32(n)
	return mt, nil
}

func (p *parser) stateMachine(path string, m map[string]any) (map[State]Pause, error) {
	v, ok := m["state-machine"]
	if !ok {
		return nil, nil
	}
	path += ".state-machine"
	sm, ok := v.(map[string]any)
	if !ok {
		return nil, fmt.Errorf("%s: must be a map, not %s", path, typeName(v))
	}
	p.keys(path, sm, "states")
	sv, ok := sm["states"]
	if !ok {
		return nil, nil
	}
	list, ok := sv.([]any)
	if !ok {
		return nil, fmt.Errorf("%s.states: must be a list, not %s", path, typeName(sv))
	}
	pauses := map[State]Pause{}
	for i, e := range list {
		spath := fmt.Sprintf("%s.states[%d]", path, i)
		em, ok := e.(map[string]any)
		if !ok {
			return nil, fmt.Errorf("%s: must be a map, not %s", spath, typeName(e))
		}
		p.keys(spath, em, "state", "pause")
		name, err := getString(spath, em, "state", "", true)
		if err != nil {
			return nil, err
		}
		st, err := ParseState(name)
		if err != nil || st == StateUnavailable {
			return nil, fmt.Errorf("%s.state: %q is not an HA state", spath, name)
		}
		if _, dup := pauses[st]; dup {
			return nil, fmt.Errorf("%s.state: %q is configured twice", spath, name)
		}
		pn, err := getString(spath, em, "pause", "never", false)
		if err != nil {
			return nil, err
		}
		pause, ok := parseEnum[Pause](pn, pauseNames)
		if !ok {
			return nil, fmt.Errorf("%s.pause: %q is not one of never, once, always", spath, pn)
		}
		pauses[st] = pause
	}
	return pauses, nil
}

func (p *parser) peer(path string, m map[string]any, inherit TLS) (*Peer, error) {
	known := []string{"name", "url", "role", "auto-failover", "trust-anchor", "cert-file", "key-file",
		"basic-auth-user", "basic-auth-password", "basic-auth-password-file"}
	if p.opts.Dialect == Kea3 {
		known = append(known, "basic-auth-user-file")
	}
	p.keys(path, m, known...)
	peer := &Peer{}
	name, err := getString(path, m, "name", "", true)
	if err != nil {
		return nil, err
	}
	peer.Name = strings.TrimSpace(name)
	if peer.Name == "" {
		return nil, fmt.Errorf("%s.name: must not be empty", path)
	}
	path = fmt.Sprintf("%s (%s)", path, peer.Name)

	rawURL, err := getString(path, m, "url", "", true)
	if err != nil {
		return nil, err
	}
	if peer.URL, peer.Addr, err = parsePeerURL(rawURL); err != nil {
		return nil, fmt.Errorf("%s.url: %w", path, err)
	}
	roleName, err := getString(path, m, "role", "", true)
	if err != nil {
		return nil, err
	}
	var ok bool
	if peer.Role, ok = parseEnum[Role](roleName, roleNames); !ok {
		return nil, fmt.Errorf("%s.role: %q is not a role (primary, secondary, standby or backup)", path, roleName)
	}
	if peer.AutoFailover, err = getBool(path, m, "auto-failover", true); err != nil {
		return nil, err
	}

	own, err := tlsOf(path, m)
	if err != nil {
		return nil, err
	}
	peer.TLS = inherit
	if _, ok := m["trust-anchor"]; ok {
		peer.TLS.TrustAnchor = own.TrustAnchor
	}
	if _, ok := m["cert-file"]; ok {
		peer.TLS.CertFile = own.CertFile
	}
	if _, ok := m["key-file"]; ok {
		peer.TLS.KeyFile = own.KeyFile
	}
	if peer.TLS.Enabled() {
		for _, f := range []struct{ key, val string }{
			{"trust-anchor", peer.TLS.TrustAnchor}, {"cert-file", peer.TLS.CertFile}, {"key-file", peer.TLS.KeyFile},
		} {
			if f.val == "" {
				return nil, fmt.Errorf("%s: %s is missing or empty, but other TLS parameters are set (here or for the relationship): all three or none", path, f.key)
			}
		}
	} else if peer.URL.Scheme == "https" {
		return nil, fmt.Errorf("%s.url: https, but TLS is not configured (trust-anchor, cert-file, key-file)", path)
	}

	if peer.BasicAuthPassword, err = getString(path, m, "basic-auth-password", "", false); err != nil {
		return nil, err
	}
	if peer.BasicAuthPasswordFile, err = getString(path, m, "basic-auth-password-file", "", false); err != nil {
		return nil, err
	}
	_, hasPw := m["basic-auth-password"]
	_, hasPwFile := m["basic-auth-password-file"]
	if hasPw && hasPwFile {
		return nil, fmt.Errorf("%s: basic-auth-password and basic-auth-password-file are both set; only one may be", path)
	}
	if hasPwFile {
		b, err := p.opts.ReadFile(peer.BasicAuthPasswordFile)
		if err != nil {
			return nil, fmt.Errorf("%s.basic-auth-password-file: %w", path, err)
		}
		peer.BasicAuthPassword = string(b)
	}
	if peer.BasicAuthUser, err = getString(path, m, "basic-auth-user", "", false); err != nil {
		return nil, err
	}
	if p.opts.Dialect == Kea3 {
		if peer.BasicAuthUserFile, err = getString(path, m, "basic-auth-user-file", "", false); err != nil {
			return nil, err
		}
		if _, ok := m["basic-auth-user-file"]; ok {
			if _, both := m["basic-auth-user"]; both {
				return nil, fmt.Errorf("%s: basic-auth-user and basic-auth-user-file are both set; only one may be", path)
			}
			b, err := p.opts.ReadFile(peer.BasicAuthUserFile)
			if err != nil {
				return nil, fmt.Errorf("%s.basic-auth-user-file: %w", path, err)
			}
			peer.BasicAuthUser = string(b)
		}
	}
	if strings.Contains(peer.BasicAuthUser, ":") {
		return nil, fmt.Errorf("%s.basic-auth-user: must not contain ':' (it separates user and password in basic authentication)", path)
	}
	return peer, nil
}

// parsePeerURL checks a peer's url as Kea does: http or https, a host that
// is an IP address (not a name).
func parsePeerURL(raw string) (*url.URL, netip.AddrPort, error) {
	u, err := url.Parse(raw)
	if err != nil {
		return nil, netip.AddrPort{}, fmt.Errorf("%q is not a URL: %w", raw, err)
	}
	var port uint16
	switch u.Scheme {
	case "http":
		port = 80
	case "https":
		port = 443
	default:
		return nil, netip.AddrPort{}, fmt.Errorf("%q: the scheme must be http or https", raw)
	}
	if u.User != nil {
		return nil, netip.AddrPort{}, fmt.Errorf("%q: credentials go in basic-auth-user and basic-auth-password, not in the URL", raw)
	}
	host := u.Hostname()
	if host == "" {
		return nil, netip.AddrPort{}, fmt.Errorf("%q has no host", raw)
	}
	addr, err := netip.ParseAddr(host)
	if err != nil || addr.Zone() != "" {
		return nil, netip.AddrPort{}, fmt.Errorf("%q: the host must be an IP address, not %q", raw, host)
	}
	if ps := u.Port(); ps != "" {
		var n uint64
		if _, err := fmt.Sscan(ps, &n); err != nil || n == 0 || n > math.MaxUint16 {
			return nil, netip.AddrPort{}, fmt.Errorf("%q: port %q is not in 1..65535", raw, ps)
		}
		port = uint16(n)
	}
	return u, netip.AddrPortFrom(addr.Unmap(), port), nil
}

// validate checks the relationship as a whole: this server is a peer, the
// roles fit the mode.
func (r *Relationship) validate(path string) error {
	if r.This() == nil {
		return fmt.Errorf("%s.this-server-name: %q is not the name of any peer", path, r.ThisServerName)
	}
	count := map[Role]int{}
	for _, p := range r.Peers {
		count[p.Role]++
	}
	for _, role := range []Role{RolePrimary, RoleSecondary, RoleStandby} {
		if count[role] > 1 {
			return fmt.Errorf("%s.peers: %d %s servers; at most one is allowed", path, count[role], role)
		}
	}
	need := func(role Role) error {
		if count[role] == 0 {
			return fmt.Errorf("%s.peers: %s mode needs a %s server", path, r.Mode, role)
		}
		return nil
	}
	forbid := func(role Role) error {
		if count[role] > 0 {
			return fmt.Errorf("%s.peers: %s mode allows no %s server", path, r.Mode, role)
		}
		return nil
	}
	// In Kea's order, so that the first problem reported is Kea's.
	var checks []error
	switch r.Mode {
	case ModeLoadBalancing:
		checks = []error{forbid(RoleStandby), need(RoleSecondary), need(RolePrimary)}
	case ModeHotStandby:
		checks = []error{forbid(RoleSecondary), need(RoleStandby), need(RolePrimary)}
	case ModePassiveBackup:
		checks = []error{forbid(RoleSecondary), forbid(RoleStandby), need(RolePrimary)}
	}
	for _, err := range checks {
		if err != nil {
			return err
		}
	}
	if r.WaitBackupAck && r.Mode != ModePassiveBackup {
		return fmt.Errorf("%s.wait-backup-ack: true is allowed only in passive-backup mode, not %s", path, r.Mode)
	}
	if r.DelayedUpdatesLimit > 0 && r.Mode != ModeLoadBalancing {
		return fmt.Errorf("%s.delayed-updates-limit: must be 0 in %s mode (communication-recovery is for load balancing), not %d", path, r.Mode, r.DelayedUpdatesLimit)
	}
	return nil
}
