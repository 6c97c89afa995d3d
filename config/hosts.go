package config

import (
	"fmt"
	"strings"

	"github.com/leased/leased/config/jsonc"
	"github.com/leased/leased/dhcpv4"
	"github.com/leased/leased/dhcpv4/optdef"
)

// hostIndex finds reservations by identifier and by address. Keys carry
// the subnet id (0 for global reservations) so one map serves every
// subnet.
type hostIndex struct {
	byID   map[string]*Host
	byAddr map[uint64]*Host
	// moreByAddr holds the second and later reservations of an address,
	// which exist only when ip-reservations-unique is false.
	moreByAddr map[uint64][]*Host
}

// appendHostKey appends the index key of an identifier: subnet id (4
// bytes), identifier type, identifier.
func appendHostKey(dst []byte, subnetID uint32, t IdentifierType, id []byte) []byte {
	dst = append(dst, byte(subnetID>>24), byte(subnetID>>16), byte(subnetID>>8), byte(subnetID), byte(t))
	return append(dst, id...)
}

// reservations reads a reservations list; s is the subnet, or nil for
// global reservations.
func (l *loader) reservations(m member, s *Subnet, what string) []*Host {
	elems := l.elements(m, "reservation")
	out := make([]*Host, 0, len(elems))
	// One backing array for all hosts of the list keeps large
	// configurations compact.
	hosts := make([]Host, len(elems))
	for i, e := range elems {
		h := &hosts[i]
		h.Pos = e.Pos()
		var idKey *member
		var optionData *member
		for _, m := range members(e, "reservations") {
			if l.comment(m, &h.UserContext) {
				continue
			}
			switch m.Key {
			case "hw-address", "duid", "circuit-id", "client-id", "flex-id":
				if idKey != nil {
					l.errf(m.keyPos(), "reservation has two identifiers, %q and %q; give exactly one", idKey.Key, m.Key)
					continue
				}
				idKey = &m
			case "ip-address":
				if a, ok := l.ipv4(m); ok && !a.IsUnspecified() {
					h.Address = a
				}
			case "hostname":
				h.Hostname, _ = l.boundedStr(m, 255)
			case "client-classes":
				h.ClientClasses, _ = l.strList(m)
			case "option-data":
				optionData = &m
			case "next-server":
				// 0.0.0.0 leaves siaddr to the subnet and classes, as
				// in Kea.
				if a, ok := l.ipv4(m); ok && a == broadcast4 {
					l.errf(m.pos(), "reservation next-server: %s is the broadcast address", a)
				} else if ok && !a.IsUnspecified() {
					h.NextServer = a
				}
			case "server-hostname":
				h.ServerHostname, _ = l.boundedStr(m, maxSname)
			case "boot-file-name":
				h.BootFileName, _ = l.boundedStr(m, maxHostFile)
			default:
				l.unknown(m)
			}
		}
		if idKey == nil {
			l.errf(e.Pos(), "reservation needs an identifier: one of hw-address, client-id, duid, circuit-id or flex-id")
			continue
		}
		h.IDType = identifierTypes[idKey.Key]
		id, err := parseIdentifier(h.IDType, idKey.Value.Str())
		if idKey.Value.Kind() != jsonc.String || err != nil {
			if err == nil {
				err = fmt.Errorf("expected a string, got %s", idKey.Value.Describe())
			}
			l.errf(idKey.pos(), "reservation %s: %v", idKey.Key, err)
			continue
		}
		h.Identifier = id
		if s != nil && h.Address.IsValid() && !s.Prefix.Contains(h.Address) {
			l.errf(e.Get("ip-address").Pos(), "reservation for %s is outside its %s", h.Address, what)
			continue
		}
		for _, c := range h.ClientClasses {
			l.hostClasses[c] = true
		}
		if optionData != nil {
			h.Options = l.optionSet(optionData, l.cfg.OptionDefs, "reservation")
		}
		out = append(out, h)
	}
	if s == nil {
		// Global reservations are indexed with the subnets'.
		l.globalHosts = out
	}
	return out
}

// identifierHex is the syntax of a reservation's identifier: "01:02:0a",
// "01-02-0a", "01 02 0a", "1:2:a", "01020a" or "0x01020a", with white
// space around it ignored.
const identifierHex = optdef.HexColon | optdef.HexDash | optdef.HexSpace | optdef.HexTrim |
	optdef.HexUpperPrefix | optdef.HexPrefixSeparated | optdef.HexStrictRun | optdef.HexNoEmpty

// parseIdentifier reads an identifier as Kea writes it: hexadecimal bytes,
// optionally separated by colons, dashes or spaces, optionally prefixed by
// 0x; or, for any type, a text in single quotes.
func parseIdentifier(t IdentifierType, s string) ([]byte, error) {
	var id []byte
	if len(s) >= 2 && s[0] == '\'' && s[len(s)-1] == '\'' {
		id = []byte(s[1 : len(s)-1])
	} else {
		var err error
		if id, err = optdef.ParseHex(s, identifierHex); err != nil {
			return nil, fmt.Errorf("%s is not hexadecimal bytes such as \"01:02:03:04:05:06\" or a 'quoted text'", jsonc.Quote(s))
		}
	}
	max := 255
	if t == HWAddress {
		max = 20
	}
	switch {
	case len(id) == 0:
		return nil, fmt.Errorf("identifier is empty")
	case len(id) > max:
		return nil, fmt.Errorf("identifier is %d bytes long; at most %d are allowed", len(id), max)
	}
	return id, nil
}

// indexHosts indexes global and subnet reservations and reports
// duplicates: two reservations for one identifier in one subnet, or (when
// ip-reservations-unique) for one address.
func (l *loader) indexHosts() {
	c := l.cfg
	n := len(l.globalHosts)
	for _, s := range c.Subnets {
		n += len(s.Reservations)
	}
	c.hosts = hostIndex{byID: make(map[string]*Host, n), byAddr: make(map[uint64]*Host, n)}
	add := func(h *Host, what string) {
		k := string(appendHostKey(nil, h.SubnetID, h.IDType, h.Identifier))
		if first, dup := c.hosts.byID[k]; dup {
			l.errf(h.Pos, "duplicate reservation for %s %s in %s (first at %s)", h.IDType, formatID(h.Identifier), what, first.Pos)
			return
		}
		c.hosts.byID[k] = h
		if !h.Address.IsValid() {
			return
		}
		ak := uint64(h.SubnetID)<<32 | uint64(dhcpv4.AddrToUint32(h.Address))
		prev := c.hosts.byAddr[ak]
		switch {
		case prev == nil:
			c.hosts.byAddr[ak] = h
		case c.IPReservationsUnique:
			l.errf(h.Pos, "address %s is reserved twice in %s (first at %s); set ip-reservations-unique to false if that is intended", h.Address, what, prev.Pos)
		default:
			if c.hosts.moreByAddr == nil {
				c.hosts.moreByAddr = map[uint64][]*Host{}
			}
			c.hosts.moreByAddr[ak] = append(c.hosts.moreByAddr[ak], h)
		}
	}
	for _, h := range l.globalHosts {
		add(h, "the global reservations")
	}
	c.GlobalReservations = l.globalHosts
	for _, s := range c.Subnets {
		what := fmt.Sprintf("subnet %s (id %d)", s.Prefix, s.ID)
		for _, h := range s.Reservations {
			add(h, what)
		}
	}
}

func formatID(id []byte) string {
	var b strings.Builder
	for i, c := range id {
		if i > 0 {
			b.WriteByte(':')
		}
		fmt.Fprintf(&b, "%02x", c)
	}
	return b.String()
}
