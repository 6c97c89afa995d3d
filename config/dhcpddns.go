package config

import (
	"encoding/base64"
	"fmt"
	"net/netip"
	"slices"
	"strings"

	"github.com/leased/leased/config/jsonc"
	"github.com/leased/leased/internal/regularfile"
)

// DhcpDdns is the DhcpDdns section: the configuration of kea-dhcp-ddns
// (Kea's "D2"), which leased reads for `leased ddns` and, beside Dhcp4,
// for the DNS updates `leased serve` makes itself.
type DhcpDdns struct {
	// IPAddress and Port are where NameChangeRequests are received.
	IPAddress netip.Addr
	Port      uint16
	// DNSServerTimeout is how long one DNS UPDATE waits for its answer,
	// in milliseconds.
	DNSServerTimeout uint32
	NCRProtocol      string // UDP
	NCRFormat        string // JSON
	// Forward and Reverse are the ddns-domains of forward-ddns and
	// reverse-ddns; an empty list turns that direction off.
	Forward, Reverse []DdnsDomain
	TSIGKeys         []TSIGKey
	ControlSockets   []ControlSocket
	Loggers          []Logger
	UserContext      *jsonc.Value
	Pos              Pos
}

// DdnsDomain is one ddns-domains entry: a zone and its servers.
type DdnsDomain struct {
	// Name is the zone, or "*" for the wildcard domain.
	Name string
	// KeyName names the TSIG key of its updates; "" sends them unsigned.
	KeyName string
	Servers []DNSServer
	Pos     Pos
}

// DNSServer is one dns-servers entry.
type DNSServer struct {
	Addr netip.Addr
	Port uint16
	// KeyName overrides the domain's key for this server when not "".
	KeyName string
	Pos     Pos
}

// TSIGKey is one tsig-keys entry. Secret is the key in base64, read
// from "secret" or from the file "secret-file" names.
type TSIGKey struct {
	Name       string
	Algorithm  string // upper case, e.g. HMAC-SHA256
	DigestBits uint32
	Secret     Secret
	SecretFile string
	Pos        Pos
}

// tsigAlgorithms are the algorithms of tsig-keys as Kea spells them,
// with the length of their MAC and the shortest truncation (digest-bits)
// Kea allows, in bits.
var tsigAlgorithms = map[string]struct{ min, full uint32 }{
	"HMAC-MD5": {80, 128}, "HMAC-SHA1": {80, 160}, "HMAC-SHA224": {112, 224},
	"HMAC-SHA256": {128, 256}, "HMAC-SHA384": {192, 384}, "HMAC-SHA512": {256, 512},
}

// TSIGDigestBits returns, for the tsig-keys algorithm alg (upper case,
// as Kea spells it), the shortest digest-bits other than 0 that Kea
// allows and the length of the whole MAC; ok is false for an algorithm
// that is not one of them.
func TSIGDigestBits(alg string) (min, full uint32, ok bool) {
	a, ok := tsigAlgorithms[alg]
	return a.min, a.full, ok
}

// maxSecretFile bounds the size of a secret-file.
const maxSecretFile = 64 << 10

// LoadDdns reads the DhcpDdns section of the configuration file at path,
// as `kea-dhcp-ddns -c` does. Other daemons' sections, Dhcp4 among them,
// are left unread.
func LoadDdns(path string, o *Options) (*DhcpDdns, []Diagnostic, error) {
	var opts Options
	if o != nil {
		opts = *o
	}
	return buildDdns(jsonc.ParseFile(path, &jsonc.Options{ReadFile: opts.ReadFile}), opts)
}

// ParseDdns is LoadDdns for a configuration held in memory.
func ParseDdns(name string, src []byte, o *Options) (*DhcpDdns, []Diagnostic, error) {
	var opts Options
	if o != nil {
		opts = *o
	}
	return buildDdns(jsonc.Parse(name, src, &jsonc.Options{ReadFile: opts.ReadFile}), opts)
}

func buildDdns(doc *jsonc.Doc, opts Options) (*DhcpDdns, []Diagnostic, error) {
	l := &loader{opts: opts, hostClasses: map[string]bool{}}
	for _, d := range doc.Diags {
		l.add(d)
	}
	if doc.Failed() {
		return nil, l.diags, fmt.Errorf("%w: %s", ErrInvalid, firstError(l.diags))
	}
	root := doc.Root
	l.cfg = &Config{Raw: &root, Files: doc.Files}
	if root.Kind() != jsonc.Object {
		l.errf(root.Pos(), "the configuration must be a map holding \"DhcpDdns\", got %s", root.Describe())
	} else {
		found := false
		for _, m := range members(&root, "the top level") {
			switch {
			case m.Key == "DhcpDdns":
				found = true
				l.dhcpDdns(m)
			case m.Key == "Dhcp4" || otherDaemons[m.Key] != "":
				// Another daemon's section, as kea-dhcp-ddns leaves it.
			default:
				l.errf(m.keyPos(), "unknown keyword %q at the top level (the file must hold \"DhcpDdns\")", m.Key)
			}
		}
		if !found && l.errors == 0 {
			l.errf(root.Pos(), "no \"DhcpDdns\" section: the file must look like { \"DhcpDdns\": { ... } }")
		}
	}
	l.sortDiags(doc.Files)
	if l.errors > 0 {
		return nil, l.diags, fmt.Errorf("%w: %d error(s), first: %s", ErrInvalid, l.errors, firstError(l.diags))
	}
	return l.cfg.DhcpDdns, l.diags, nil
}

// dhcpDdns reads the DhcpDdns section into l.cfg.DhcpDdns.
func (l *loader) dhcpDdns(m member) {
	if !l.obj(m) {
		return
	}
	d := &DhcpDdns{
		IPAddress:        netip.AddrFrom4([4]byte{127, 0, 0, 1}),
		Port:             53001,
		DNSServerTimeout: 500, // Kea 3.x; 2.2 waited 100 ms
		NCRProtocol:      "UDP",
		NCRFormat:        "JSON",
		Pos:              m.pos(),
	}
	// control-socket and loggers are read by the Dhcp4 readers, which
	// append to the Config; keep the Dhcp4 section's apart.
	sockets, loggers := l.cfg.ControlSockets, l.cfg.Loggers
	l.cfg.ControlSockets, l.cfg.Loggers = nil, nil
	var fwd, rev *member
	for _, m := range members(m.v(), "DhcpDdns") {
		if l.comment(m, &d.UserContext) {
			continue
		}
		switch m.Key {
		case "ip-address":
			if a, ok := l.ipAny(m); ok {
				if a.IsUnspecified() {
					l.errf(m.pos(), "DhcpDdns: ip-address %s would accept NameChangeRequests from any host; name the address of one interface, such as 127.0.0.1 (Kea refuses it too)", a)
				}
				d.IPAddress = a
			}
		case "port":
			d.Port, _ = l.u16(m)
		case "dns-server-timeout":
			if n, ok := l.integer(m, 1, 1<<31-1); ok {
				d.DNSServerTimeout = uint32(n)
			}
		case "ncr-protocol":
			if s, ok := l.enumFold(m, "UDP", "TCP"); ok && s == "TCP" {
				l.errf(m.pos(), "DhcpDdns: ncr-protocol TCP is not supported (kea-dhcp-ddns refuses it too); use UDP")
			}
		case "ncr-format":
			d.NCRFormat, _ = l.enumFold(m, "JSON")
		case "forward-ddns":
			fwd = &m
		case "reverse-ddns":
			rev = &m
		case "tsig-keys":
			d.TSIGKeys = l.tsigKeys(m)
		case "control-socket":
			if l.obj(m) {
				l.controlSocket(m.v(), "control-socket")
			}
		case "control-sockets":
			for _, e := range l.elements(m, "control socket") {
				l.controlSocket(e, "control-sockets")
			}
		case "loggers":
			l.loggers(m)
		case "hooks-libraries":
			if m.Value.Kind() != jsonc.Array || m.Value.Len() > 0 {
				l.errf(m.keyPos(), "not supported: hooks-libraries in DhcpDdns (leased loads no Kea hook libraries)")
			}
		default:
			l.errf(m.keyPos(), "unknown keyword %q in DhcpDdns", m.Key)
		}
	}
	d.ControlSockets, d.Loggers = l.cfg.ControlSockets, l.cfg.Loggers
	l.cfg.ControlSockets, l.cfg.Loggers = sockets, loggers
	keys := map[string]bool{}
	for _, k := range d.TSIGKeys {
		keys[k.Name] = true
	}
	if fwd != nil {
		d.Forward = l.ddnsDomains(*fwd, keys)
	}
	if rev != nil {
		d.Reverse = l.ddnsDomains(*rev, keys)
	}
	l.cfg.DhcpDdns = d
}

func (l *loader) tsigKeys(m member) []TSIGKey {
	var keys []TSIGKey
	seen := map[string]bool{}
	for _, e := range l.elements(m, "TSIG key") {
		k := TSIGKey{Pos: e.Pos()}
		var uc *jsonc.Value
		var secret, file, bits, alg *member
		for _, m := range members(e, "tsig-keys") {
			if l.comment(m, &uc) {
				continue
			}
			switch m.Key {
			case "name":
				k.Name, _ = l.str(m)
			case "algorithm":
				alg = &m
				k.Algorithm, _ = l.enumFold(m, "HMAC-MD5", "HMAC-SHA1", "HMAC-SHA224", "HMAC-SHA256", "HMAC-SHA384", "HMAC-SHA512")
			case "digest-bits":
				if n, ok := l.u32(m); ok {
					k.DigestBits, bits = n, &m
				}
			case "secret":
				if s, ok := l.str(m); ok {
					k.Secret, secret = Secret(s), &m
				}
			case "secret-file":
				if s, ok := l.str(m); ok {
					k.SecretFile, file = s, &m
				}
			default:
				l.unknown(m)
			}
		}
		switch {
		case k.Name == "":
			l.errf(e.Pos(), "tsig-keys: each key needs a \"name\" (the key's name on the DNS server)")
		case seen[k.Name]:
			l.errf(e.Pos(), "tsig-keys: the key %q is defined twice", k.Name)
		case alg == nil:
			l.errf(e.Pos(), "tsig-keys: the key %q needs an \"algorithm\" (HMAC-SHA256 or another HMAC)", k.Name)
		}
		seen[k.Name] = true
		if min, full, ok := TSIGDigestBits(k.Algorithm); ok && bits != nil && k.DigestBits != 0 {
			if k.DigestBits%8 != 0 || k.DigestBits < min {
				l.errf(bits.pos(), "tsig-keys: key %q: digest-bits %d: must be 0 (the whole MAC) or a multiple of 8 of at least %d for %s", k.Name, k.DigestBits, min, k.Algorithm)
			} else if k.DigestBits > full {
				l.errf(bits.pos(), "tsig-keys: key %q: digest-bits %d is more than the %d bits %s makes", k.Name, k.DigestBits, full, k.Algorithm)
			}
		}
		switch {
		case secret != nil && file != nil:
			l.errf(file.keyPos(), "tsig-keys: key %q has both \"secret\" and \"secret-file\"; keep one", k.Name)
		case secret == nil && file == nil:
			l.errf(e.Pos(), "tsig-keys: key %q needs a \"secret\" (base64) or a \"secret-file\"", k.Name)
		case file != nil:
			b, err := l.readSecretFile(k.SecretFile)
			if err != nil {
				l.errf(file.pos(), "tsig-keys: key %q: reading secret-file %q: %v", k.Name, k.SecretFile, err)
				break
			}
			k.Secret = Secret(strings.TrimSpace(string(b)))
			l.checkSecret(file.pos(), k.Name, "secret-file", k.Secret)
		default:
			l.checkSecret(secret.pos(), k.Name, "secret", k.Secret)
		}
		keys = append(keys, k)
	}
	return keys
}

// readSecretFile reads a secret-file through Options.ReadFile when set,
// else as a regular file of bounded size.
func (l *loader) readSecretFile(name string) ([]byte, error) {
	if l.opts.ReadFile != nil {
		return l.opts.ReadFile(name)
	}
	return regularfile.ReadLimited(name, maxSecretFile)
}

// checkSecret reports a secret that is not base64 or is empty, without
// quoting it.
func (l *loader) checkSecret(at Pos, key, what string, s Secret) {
	b, err := base64.StdEncoding.DecodeString(s.Reveal())
	switch {
	case err != nil:
		l.errf(at, "tsig-keys: key %q: the %s is not valid base64 (as tsig-keygen prints it)", key, what)
	case len(b) == 0:
		l.errf(at, "tsig-keys: key %q: the %s is empty", key, what)
	}
}

// ddnsDomains reads forward-ddns or reverse-ddns.
func (l *loader) ddnsDomains(m member, keys map[string]bool) []DdnsDomain {
	if !l.obj(m) {
		return nil
	}
	var out []DdnsDomain
	var uc *jsonc.Value
	for _, dm := range members(m.v(), m.Key) {
		if l.comment(dm, &uc) {
			continue
		}
		if dm.Key != "ddns-domains" {
			l.errf(dm.keyPos(), "unknown keyword %q in %s (it holds only \"ddns-domains\")", dm.Key, m.Key)
			continue
		}
		seen := map[string]bool{}
		for _, e := range l.elements(dm, "domain") {
			d := l.ddnsDomain(e, m.Key, keys)
			if d.Name == "" {
				continue
			}
			if n := canonicalDomain(d.Name); seen[n] {
				l.errf(e.Pos(), "%s: the domain %q is listed twice", m.Key, d.Name)
			} else {
				seen[n] = true
			}
			out = append(out, d)
		}
	}
	return out
}

func (l *loader) ddnsDomain(e *jsonc.Value, scope string, keys map[string]bool) DdnsDomain {
	d := DdnsDomain{Pos: e.Pos()}
	var uc *jsonc.Value
	var servers, name *member
	for _, m := range members(e, "ddns-domains") {
		if l.comment(m, &uc) {
			continue
		}
		switch m.Key {
		case "name":
			name = &m
			if s, ok := l.str(m); ok {
				if err := checkDomainName(s); err != nil {
					l.errf(m.pos(), "%s: domain %q: %v", scope, s, err)
				} else {
					d.Name = s
				}
			}
		case "key-name":
			d.KeyName, _ = l.str(m)
			l.checkKeyName(m, d.KeyName, keys)
		case "dns-servers":
			servers = &m
		default:
			l.unknown(m)
		}
	}
	if d.Name == "" {
		if name == nil {
			l.errf(e.Pos(), "%s: each domain needs a \"name\" (the zone, such as \"example.org.\")", scope)
		}
		return d
	}
	if servers != nil {
		for _, s := range l.elements(*servers, "DNS server") {
			d.Servers = append(d.Servers, l.dnsServer(s, keys))
		}
	}
	if len(d.Servers) == 0 {
		l.errf(e.Pos(), "%s: domain %q needs at least one entry in \"dns-servers\"", scope, d.Name)
	}
	return d
}

func (l *loader) dnsServer(e *jsonc.Value, keys map[string]bool) DNSServer {
	s := DNSServer{Port: 53, Pos: e.Pos()}
	var uc *jsonc.Value
	hostname := false
	for _, m := range members(e, "dns-servers") {
		if l.comment(m, &uc) {
			continue
		}
		switch m.Key {
		case "ip-address":
			if a, ok := l.ipAny(m); ok {
				s.Addr = a
			}
		case "hostname":
			if h, ok := l.str(m); ok && h != "" {
				hostname = true
				l.errf(m.keyPos(), "dns-servers: hostname is not supported (kea-dhcp-ddns refuses it too); give \"ip-address\"")
			}
		case "port":
			if n, ok := l.integer(m, 1, 65535); ok {
				s.Port = uint16(n)
			}
		case "key-name":
			s.KeyName, _ = l.str(m)
			l.checkKeyName(m, s.KeyName, keys)
		default:
			l.unknown(m)
		}
	}
	if !s.Addr.IsValid() && !hostname {
		l.errf(e.Pos(), "dns-servers: each server needs an \"ip-address\"")
	}
	return s
}

func (l *loader) checkKeyName(m member, name string, keys map[string]bool) {
	if name != "" && !keys[name] {
		known := make([]string, 0, len(keys))
		for k := range keys {
			known = append(known, k)
		}
		slices.Sort(known)
		if len(known) == 0 {
			l.errf(m.pos(), "%s: key-name %q: no tsig-keys are defined", m.scope, name)
		} else {
			l.errf(m.pos(), "%s: key-name %q is not one of the tsig-keys (%s)", m.scope, name, quoteList(known))
		}
	}
}

// checkDomainName reports why s cannot name a zone: "*" or a DNS name
// of labels 1 to 63 bytes long, 255 bytes in all.
func checkDomainName(s string) error {
	if s == "*" {
		return nil
	}
	n := strings.TrimSuffix(s, ".")
	if n == "" {
		return fmt.Errorf("the root cannot be updated; name a zone")
	}
	if len(n)+2 > 255 {
		return fmt.Errorf("longer than the 255 bytes of a DNS name")
	}
	for _, label := range strings.Split(n, ".") {
		if label == "" {
			return fmt.Errorf("has an empty label")
		}
		if len(label) > 63 {
			return fmt.Errorf("has a label longer than 63 bytes")
		}
	}
	return nil
}

// canonicalDomain is a zone name as compared: lower case, with the
// final dot.
func canonicalDomain(s string) string {
	s = strings.ToLower(s)
	if s != "*" && !strings.HasSuffix(s, ".") {
		s += "."
	}
	return s
}

// checkDhcpDdnsUsed warns about a DhcpDdns section beside Dhcp4 that
// nothing uses: the updates it would make are asked for by dhcp-ddns
// enable-updates.
func (l *loader) checkDhcpDdnsUsed() {
	if d := l.cfg.DhcpDdns; d != nil && !l.cfg.DHCPDDNS.EnableUpdates {
		l.warnf(d.Pos, "the DhcpDdns section has no effect while dhcp-ddns enable-updates is false (set it to true for leased to make the DNS updates itself)")
	}
}
