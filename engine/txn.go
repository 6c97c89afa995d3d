package engine

import (
	"bytes"
	"context"
	"net/netip"

	"github.com/leased/leased/classify"
	"github.com/leased/leased/config"
	"github.com/leased/leased/ddns"
	"github.com/leased/leased/dhcpserver"
	"github.com/leased/leased/dhcpv4"
	"github.com/leased/leased/lease"
)

// txn is the work on one message. Each worker reuses one, so its scratch
// leases keep their buffers between messages.
type txn struct {
	s   *Engine
	st  *state
	cfg *config.Config
	w   dhcpserver.ResponseWriter
	r   *dhcpserver.Request
	p   *dhcpv4.Packet
	ctx context.Context

	eval *classify.Eval
	now  int64

	hw    []byte
	htype uint8
	cid   []byte
	key   uint64

	subnet *subnetState
	host   *config.Host

	found lease.Lease // a lease read from the store
	next  lease.Lease // the lease being written

	// seen is the address whose row in the store this message knows:
	// found holds it when seenRow is set, and there is none when not. A
	// second look at the same address in the same message takes it from
	// here instead of reading the store again (get): the write that
	// follows is guarded (an Add fails on a row written meanwhile, an
	// Update with the row read as prev on a row changed), and a lost race
	// forgets it, so that the message reads again and decides again.
	seen    netip.Addr
	seenRow bool

	vendor []byte // scratch for option 125

	name    ddns.Answer // the client's name, once its address is known
	nameBuf []byte      // scratch for the option in name

	changes []Change // leases written, when the engine replicates them
}

func (t *txn) begin(s *Engine, st *state, w dhcpserver.ResponseWriter, r *dhcpserver.Request) {
	t.s, t.st, t.cfg, t.w, t.r, t.p = s, st, st.cfg, w, r, r.Packet
	t.ctx = r.Context()
	t.now = s.now().Unix()
	t.hw, t.htype, t.cid = t.p.CHAddr(), t.p.HType(), t.p.ClientID()
	t.key = clientKey(t.p)
	t.subnet, t.host = nil, nil
	t.seen = netip.Addr{}
	t.name = ddns.Answer{}
	t.changes = nil
}

// run handles one message of type mt.
func (t *txn) run(mt dhcpv4.MessageType) {
	if v, ok := t.p.Option(dhcpv4.OptionClientFQDN); ok && !ddns.ValidFQDN(v) {
		// Kea cannot parse the message, and drops it.
		t.s.metrics.Dropped(DropMalformedOption81)
		return
	}
	t.eval.Begin(t.p, classify.Meta{Iface: t.r.IfName, Src: t.r.Src.Addr(), Dst: t.r.Dst})
	if t.s.classes != nil {
		t.s.classes(t.r, t.eval)
	}
	t.eval.Classify()
	if t.eval.Drop() {
		t.s.metrics.Dropped(DropClass)
		return
	}
	sel := makeSelector(t.p, t.r.IfName, t.r.Local, t.r.Src.Addr(), isBroadcast(t.r.Dst), t.cfg)
	if sn := selectSubnet(t.cfg, sel, t.subnetAllowed); sn != nil {
		t.subnet = t.st.subnets[sn.ID]
		if t.s.subnetSelected != nil && !t.s.subnetSelected(t.r, sn, t.eval) {
			t.s.metrics.Dropped(DropNotForUs)
			return
		}
	}
	host, err := t.findHost()
	if err != nil {
		// Kea drops the message when its host database fails.
		t.s.log.Error("reservation lookup failed; message dropped", "type", mt, "chaddr", hwString(t.hw), "error", err)
		return
	}
	t.host = host
	if t.host != nil {
		for _, c := range t.host.ClientClasses {
			t.eval.AddClass(c)
		}
	}
	t.eval.SetKnown(t.host != nil)
	if t.eval.Drop() {
		t.s.metrics.Dropped(DropClass)
		return
	}
	if t.subnet == nil {
		t.s.metrics.Dropped(DropNoSubnet)
		t.s.log.Debug("no subnet for client", "type", mt, "chaddr", hwString(t.hw), "giaddr", t.p.GIAddr(), "iface", t.r.IfName)
		return
	}
	switch mt {
	case dhcpv4.Discover:
		t.discover()
	case dhcpv4.Request:
		t.request()
	case dhcpv4.Release:
		t.release()
	case dhcpv4.Decline:
		t.decline()
	case dhcpv4.Inform:
		t.inform()
	}
}

func isBroadcast(a netip.Addr) bool { return a == netip.AddrFrom4([4]byte{255, 255, 255, 255}) }

// subnetAllowed applies a subnet's class guard and its shared network's.
func (t *txn) subnetAllowed(sn *config.Subnet) bool { return sn.Allows(t.inClass) }

// inClass reports whether the client is in class c.
func (t *txn) inClass(c string) bool { return t.eval.Classes().Has(c) }

// poolAllowed applies a pool's class guard.
func (t *txn) poolAllowed(ps *poolState) bool { return t.inClasses(ps.cfg.ClientClasses) }

// inClasses reports whether a guard lets the client through: an empty
// guard admits everyone, otherwise the client must be in one of the
// classes.
func (t *txn) inClasses(guard []string) bool {
	if len(guard) == 0 {
		return true
	}
	cs := t.eval.Classes()
	for _, c := range guard {
		if cs.Has(c) {
			return true
		}
	}
	return false
}

// identifier returns the client's identifier of a reservation type.
func (t *txn) identifier(idt config.IdentifierType) []byte {
	switch idt {
	case config.HWAddress:
		return t.hw
	case config.ClientID:
		return t.cid
	case config.DUID:
		// RFC 4361: type 255, a 4-byte IAID, then the DUID.
		if len(t.cid) > 5 && t.cid[0] == 255 {
			return t.cid[5:]
		}
	case config.CircuitID:
		if ri, ok := t.p.RelayAgentInfo(); ok {
			return ri.CircuitID()
		}
	}
	return nil
}

// matchClientID reports whether client identifiers identify clients in
// subnet sn (match-client-id).
func (t *txn) matchClientID(sn *config.Subnet) bool {
	return sn.Params.MatchClientID && len(t.cid) > 0
}

// owns reports whether l is this client's lease.
func (t *txn) owns(l *lease.Lease) bool {
	if l.State == lease.StateDeclined {
		return false
	}
	if sn := t.st.subnets[l.SubnetID]; sn != nil && t.matchClientID(sn.cfg) && len(l.ClientID) > 0 {
		return bytes.Equal(l.ClientID, t.cid)
	}
	return len(t.hw) > 0 && bytes.Equal(l.HWAddr, t.hw)
}

// active reports whether l holds its address: assigned or declined, and
// not expired.
func (t *txn) active(l *lease.Lease) bool {
	return (l.State == lease.StateDefault || l.State == lease.StateDeclined) && !l.Expired(t.now)
}

// candidates calls fn for the selected subnet and then, for a subnet in a
// shared network, for each sibling the client may use, until fn returns
// false.
func (t *txn) candidates(fn func(*subnetState) bool) {
	if !fn(t.subnet) {
		return
	}
	if n := t.subnet.cfg.Network; n != nil {
		for _, sib := range n.Subnets {
			if sib == t.subnet.cfg || !t.subnetAllowed(sib) {
				continue
			}
			if !fn(t.st.subnets[sib.ID]) {
				return
			}
		}
	}
}

// clientLease finds the client's lease in the candidate subnets into
// t.found.
func (t *txn) clientLease() (*subnetState, bool) {
	var where *subnetState
	t.candidates(func(ss *subnetState) bool {
		sn := ss.cfg
		if t.matchClientID(sn) {
			ok, err := t.s.store.GetByClientID(t.ctx, sn.ID, t.cid, &t.found)
			t.saw(ok && err == nil)
			if err == nil && ok {
				where = ss
				return false
			}
		}
		if len(t.hw) > 0 {
			ok, err := t.s.store.GetByHWAddr(t.ctx, sn.ID, t.hw, &t.found)
			t.saw(ok && err == nil)
			if err == nil && ok && t.owns(&t.found) {
				where = ss
				return false
			}
		}
		return true
	})
	return where, where != nil
}

// subnetOf returns the candidate subnet containing a.
func (t *txn) subnetOf(a netip.Addr) *subnetState {
	var where *subnetState
	t.candidates(func(ss *subnetState) bool {
		if ss.cfg.Prefix.Contains(a) {
			where = ss
			return false
		}
		return true
	})
	return where
}

// reservedHere reports whether the client's reservation is for a in ss.
func (t *txn) reservedHere(ss *subnetState, a netip.Addr) bool {
	h := t.host
	return h != nil && h.Address == a && (h.SubnetID == 0 || h.SubnetID == ss.cfg.ID)
}

// mayHold reports whether the client may hold a in ss, and the pool that
// accounts for it (nil for an out-of-pool reservation).
func (t *txn) mayHold(ss *subnetState, a netip.Addr) (*poolState, bool) {
	ps := ss.poolFor(a)
	if t.reservedHere(ss, a) {
		return ps, true
	}
	if ps == nil || !t.poolAllowed(ps) || t.reservedForOther(ss, a) {
		return nil, false
	}
	return ps, true
}

// heldByOther reads the store's lease of a into t.found (get) and
// reports whether another client holds it.
func (t *txn) heldByOther(a netip.Addr) bool {
	ok, err := t.get(a)
	if err != nil {
		return true
	}
	return ok && t.active(&t.found) && !t.owns(&t.found)
}

// get puts the store's lease of a in t.found and reports whether there
// is one: as this message last read it, else read now.
func (t *txn) get(a netip.Addr) (bool, error) {
	if t.seen.IsValid() && t.seen == a {
		return t.seenRow, nil
	}
	ok, err := t.s.store.Get(t.ctx, a, &t.found)
	if err != nil {
		t.forget()
		return false, err
	}
	t.seen, t.seenRow = a, ok
	return ok, nil
}

// saw records a lookup by client into t.found: when it found a lease,
// t.found is the row of its address; otherwise t.found may have changed
// and says nothing.
func (t *txn) saw(found bool) {
	if found {
		t.seen, t.seenRow = t.found.Addr, true
	} else {
		t.forget()
	}
}

// forget drops what this message knows of a row: the store changed it,
// or t.found was overwritten.
func (t *txn) forget() { t.seen = netip.Addr{} }

// knows makes row (nil: no row) what this message knows of a's row.
func (t *txn) knows(a netip.Addr, row *lease.Lease) {
	t.seen, t.seenRow = a, row != nil
	if row != nil {
		copyLease(&t.found, row)
	}
}

// copyLease makes dst a copy of src in dst's own byte slices.
func copyLease(dst, src *lease.Lease) {
	hw, cid := dst.HWAddr[:0], dst.ClientID[:0]
	*dst = *src
	dst.HWAddr = append(hw, src.HWAddr...)
	dst.ClientID = append(cid, src.ClientID...)
}

func poolID(ps *poolState) uint32 {
	if ps == nil {
		return 0
	}
	return ps.cfg.ID
}
