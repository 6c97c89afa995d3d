package dnsupdate

import (
	"encoding/base64"
	"fmt"
	"net/netip"
	"strings"
	"time"

	"github.com/miekg/dns"

	"github.com/leased/leased/config"
)

// server is one DNS server of a domain, with the key that signs its
// updates (nil: unsigned).
type server struct {
	addr netip.AddrPort
	key  *Key
}

// domain is a ddns-domains entry ready for use.
type domain struct {
	// name is the configured name in canonical form ("*" for the
	// wildcard), compared with names on label boundaries.
	name string
	// zone is what the UPDATE's zone section names.
	zone    string
	servers []server
}

// plan is a DhcpDdns configuration compiled for the updater.
type plan struct {
	forward, reverse []domain
	timeout          time.Duration
}

// compile turns a checked DhcpDdns section into domains with their
// servers and keys.
func compile(c *config.DhcpDdns) (*plan, error) {
	keys := map[string]*Key{}
	for _, k := range c.TSIGKeys {
		secret, err := base64.StdEncoding.DecodeString(k.Secret.Reveal())
		if err != nil {
			return nil, fmt.Errorf("TSIG key %q: the secret is not base64", k.Name)
		}
		key, err := NewKey(k.Name, k.Algorithm, secret, int(k.DigestBits))
		if err != nil {
			return nil, err
		}
		keys[k.Name] = key
	}
	domains := func(list []config.DdnsDomain) ([]domain, error) {
		var out []domain
		for _, d := range list {
			dom := domain{name: canonical(d.Name), zone: dns.Fqdn(strings.ToLower(d.Name))}
			for _, s := range d.Servers {
				name := d.KeyName
				if s.KeyName != "" {
					name = s.KeyName
				}
				var key *Key
				if name != "" {
					if key = keys[name]; key == nil {
						return nil, fmt.Errorf("domain %q: key-name %q is not one of the tsig-keys", d.Name, name)
					}
				}
				dom.servers = append(dom.servers, server{addr: netip.AddrPortFrom(s.Addr, s.Port), key: key})
			}
			if len(dom.servers) == 0 {
				return nil, fmt.Errorf("domain %q has no dns-servers", d.Name)
			}
			out = append(out, dom)
		}
		return out, nil
	}
	p := &plan{timeout: time.Duration(c.DNSServerTimeout) * time.Millisecond}
	if p.timeout <= 0 {
		p.timeout = 500 * time.Millisecond
	}
	var err error
	if p.forward, err = domains(c.Forward); err != nil {
		return nil, fmt.Errorf("forward-ddns: %w", err)
	}
	if p.reverse, err = domains(c.Reverse); err != nil {
		return nil, fmt.Errorf("reverse-ddns: %w", err)
	}
	return p, nil
}

// canonical is a name as matched: lower case with its final dot, or "*".
func canonical(name string) string {
	if name == "*" {
		return name
	}
	return dns.Fqdn(strings.ToLower(name))
}

// match returns the domain of name among list as kea-dhcp-ddns picks it:
// the longest configured name that name ends with on a label boundary,
// else the wildcard, else none.
func match(list []domain, name string) *domain {
	name = canonical(name)
	var best, wild *domain
	for i := range list {
		d := &list[i]
		switch {
		case d.name == "*":
			wild = d
		case name == d.name:
			return d
		case strings.HasSuffix(name, "."+d.name) && (best == nil || len(d.name) > len(best.name)):
			best = d
		}
	}
	if best != nil {
		return best
	}
	return wild
}
