package engine

import (
	"bytes"
	"net/netip"

	"github.com/leased/leased/config"
	"github.com/leased/leased/hosts"
)

// hostSource holds the Source of reservations beyond the configuration's.
type hostSource struct{ src hosts.Source }

// SetHosts makes the engine look up reservations in src after the
// configuration's own (hosts-database); nil stops it. The next message
// uses it.
func (s *Engine) SetHosts(src hosts.Source) { s.hosts.Store(&hostSource{src}) }

func (s *Engine) hostSource() hosts.Source {
	if p := s.hosts.Load(); p != nil {
		return p.src
	}
	return nil
}

// hostStep is one place findHost looks: an identifier in a scope.
type hostStep struct {
	subnet uint32
	t      config.IdentifierType
	id     []byte
}

// findHost looks up the client's reservation as Kea does: by each
// identifier type in the configured order, global reservations first
// when both scopes are enabled, and at each of these steps the
// configuration's reservations before the hosts database's. The database
// is asked once, for the steps before the configuration's first match
// (all of them when the file has none): one query per client without a
// reservation in the file, none for a client whose first step matches.
func (t *txn) findHost() (*config.Host, error) {
	var sn *config.Subnet
	if t.subnet != nil {
		sn = t.subnet.cfg
	}
	global := sn == nil || sn.Params.ReservationsGlobal
	inSubnet := sn != nil && sn.Params.ReservationsInSubnet
	var buf [10]hostStep
	steps := buf[:0]
	var fromFile *config.Host
	for _, idt := range t.cfg.HostReservationIdentifiers {
		id := t.identifier(idt)
		if len(id) == 0 {
			continue
		}
		if global {
			steps = append(steps, hostStep{0, idt, id})
			if fromFile = t.cfg.Reservation(0, idt, id); fromFile != nil {
				break
			}
		}
		if inSubnet {
			steps = append(steps, hostStep{sn.ID, idt, id})
			if fromFile = t.cfg.Reservation(sn.ID, idt, id); fromFile != nil {
				break
			}
		}
	}
	src := t.s.hostSource()
	if fromFile != nil {
		steps = steps[:len(steps)-1]
	}
	// Without a subnet the message is dropped: Kea asks its hosts
	// databases nothing for it, and neither does leased.
	if src == nil || len(steps) == 0 || sn == nil {
		return fromFile, nil
	}
	var subnets []uint32
	var ids []hosts.Identifier
	for _, st := range steps {
		if !containsSubnet(subnets, st.subnet) {
			subnets = append(subnets, st.subnet)
		}
		if !containsID(ids, st.t) {
			ids = append(ids, hosts.Identifier{Type: st.t, Value: st.id})
		}
	}
	found, err := src.Find(t.ctx, t.cfg, subnets, ids)
	if err != nil {
		return nil, err
	}
	for _, st := range steps {
		for _, h := range found {
			if h.SubnetID == st.subnet && h.IDType == st.t && bytes.Equal(h.Identifier, st.id) {
				return h, nil
			}
		}
	}
	return fromFile, nil
}

func containsSubnet(s []uint32, id uint32) bool {
	for _, x := range s {
		if x == id {
			return true
		}
	}
	return false
}

func containsID(ids []hosts.Identifier, t config.IdentifierType) bool {
	for _, x := range ids {
		if x.Type == t {
			return true
		}
	}
	return false
}

// sameHost reports whether a and b are one reservation: the same
// identifier in the same scope (a database gives a new value each time).
func sameHost(a, b *config.Host) bool {
	return a == b || (a != nil && b != nil && a.SubnetID == b.SubnetID && a.IDType == b.IDType && bytes.Equal(a.Identifier, b.Identifier))
}

// reservedForOther reports whether a is reserved for another client, in
// the configuration or in the hosts database (one query per address the
// allocator proposes or the client asks for). When the database cannot
// say, the address is treated as reserved: better to skip a free address
// than to hand out someone's.
func (t *txn) reservedForOther(ss *subnetState, a netip.Addr) bool {
	for _, id := range [2]uint32{ss.cfg.ID, 0} {
		if h := t.cfg.ReservationByAddress(id, a); h != nil && h != t.host {
			return true
		}
	}
	src := t.s.hostSource()
	if src == nil || ss.cfg.Params.ReservationsOutOfPool {
		// With reservations-out-of-pool, Kea trusts that no reservation
		// is inside a pool and asks its hosts databases nothing.
		return false
	}
	found, err := src.ByAddress(t.ctx, t.cfg, []uint32{ss.cfg.ID, 0}, a)
	if err != nil {
		t.s.log.Error("reservation lookup by address failed; the address is skipped", "address", a, "error", err)
		return true
	}
	for _, h := range found {
		if !sameHost(h, t.host) {
			return true
		}
	}
	return false
}
