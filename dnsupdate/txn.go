package dnsupdate

import (
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"net/netip"
	"time"

	"github.com/miekg/dns"

	"github.com/leased/leased/ddns/ncr"
)

// maxRounds bounds how often an add goes back from the replace step to
// the add step because the name vanished in between (Kea has no bound;
// a name that keeps appearing and vanishing would loop forever).
const maxRounds = 4

// ErrRefused wraps the failure of a transaction the DNS server answered
// with an rcode that ends it: a conflict with another client's name, or
// REFUSED, NOTAUTH, SERVFAIL and the like.
var ErrRefused = errors.New("DNS update refused")

const (
	fwd = 0
	rev = 1
)

// txn is one request's transaction: its steps, and the server each
// direction uses now.
type txn struct {
	u        *Updater
	r        *ncr.Request
	fqdn     string // canonical
	rname    string // the reverse name of r.Addr
	domains  [2]*domain
	cur      [2]int
	timeout  time.Duration // for each attempt
	answered bool          // some server gave a usable answer
}

func rcodeName(rc int) string {
	if s, ok := dns.RcodeToString[rc]; ok {
		return s
	}
	return fmt.Sprintf("rcode %d", rc)
}

// step sends one UPDATE of direction dir, built afresh by build for each
// attempt, and returns the answer's rcode. A server that does not answer
// (or answers unusably) is asked triesPerServer times, then the next
// server of the domain is tried, which stays the direction's server for
// the steps that follow; with failover false the step fails instead.
func (t *txn) step(ctx context.Context, dir int, what string, build func(*dns.Msg), failover bool) (int, error) {
	d := t.domains[dir]
	var last error
	bad := false
	for ; t.cur[dir] < len(d.servers); t.cur[dir]++ {
		s := d.servers[t.cur[dir]]
		for range triesPerServer {
			m := new(dns.Msg)
			m.SetUpdate(d.zone)
			build(m)
			rc, err := t.u.send(ctx, s, d.zone, m, t.timeout)
			if err == nil {
				t.u.stats.success.Add(1)
				t.answered = true
				return rc, nil
			}
			if ctx.Err() != nil {
				return 0, ctx.Err()
			}
			last = err
			if errors.Is(err, errBadAnswer) {
				bad = true
				t.u.stats.errors.Add(1)
			} else {
				t.u.stats.timeouts.Add(1)
			}
			t.u.log.Debug("DNS update attempt failed", "step", what, "server", s.addr, "err", err)
		}
		if !failover {
			break
		}
	}
	if bad {
		return 0, fmt.Errorf("%s: %w (last: %v)", what, errBadAnswer, last)
	}
	return 0, fmt.Errorf("%s: %w (last: %v)", what, errNoAnswer, last)
}

func hdr(name string, typ, class uint16, ttl uint32) dns.RR_Header {
	return dns.RR_Header{Name: name, Rrtype: typ, Class: class, Ttl: ttl}
}

// empty is an RR without RDATA: with class NONE a prerequisite that name
// (type ANY) or an RRset is not in use; with class ANY one that it is, or
// in the update section the deletion of the RRset (or of every RRset).
func empty(name string, typ, class uint16) dns.RR {
	return &dns.ANY{Hdr: hdr(name, typ, class, 0)}
}

func addrRR(name string, a netip.Addr, class uint16, ttl uint32) dns.RR {
	if a.Is4() {
		return &dns.A{Hdr: hdr(name, dns.TypeA, class, ttl), A: a.AsSlice()}
	}
	return &dns.AAAA{Hdr: hdr(name, dns.TypeAAAA, class, ttl), AAAA: a.AsSlice()}
}

func addrType(a netip.Addr) uint16 {
	if a.Is4() {
		return dns.TypeA
	}
	return dns.TypeAAAA
}

func (t *txn) dhcid(name string, class uint16, ttl uint32) dns.RR {
	return &dns.DHCID{Hdr: hdr(name, dns.TypeDHCID, class, ttl), Digest: base64.StdEncoding.EncodeToString(t.r.DHCID)}
}

func (t *txn) ptr(class uint16, ttl uint32) dns.RR {
	return &dns.PTR{Hdr: hdr(t.rname, dns.TypePTR, class, ttl), Ptr: t.fqdn}
}

// overwrite appends to m's update section what the no-check modes'
// forward add and every mode's reverse add send: the deletion of the
// RRset of rr's type at its name and the addition of rr, each followed,
// with dhcid, by the same for the DHCID.
func (t *txn) overwrite(m *dns.Msg, rr dns.RR, withDHCID bool) {
	h := rr.Header()
	deleteRRsets(m, h.Name, h.Rrtype, withDHCID)
	m.Ns = append(m.Ns, rr)
	if withDHCID {
		m.Ns = append(m.Ns, t.dhcid(h.Name, dns.ClassINET, h.Ttl))
	}
}

// deleteRRsets appends to m's update section the deletion of the RRset
// of type typ at name and, with dhcid, of its DHCID RRset.
func deleteRRsets(m *dns.Msg, name string, typ uint16, withDHCID bool) {
	m.Ns = append(m.Ns, empty(name, typ, dns.ClassANY))
	if withDHCID {
		m.Ns = append(m.Ns, empty(name, dns.TypeDHCID, dns.ClassANY))
	}
}

// refused is the error of a step whose rcode ends the transaction.
func refused(what string, rc int, why string) error {
	if why != "" {
		return fmt.Errorf("%w: %s: %s (%s)", ErrRefused, what, rcodeName(rc), why)
	}
	return fmt.Errorf("%w: %s: %s", ErrRefused, what, rcodeName(rc))
}

// run performs the transaction: forward first, then reverse, each only
// when its domain matched; a failed forward step ends it.
func (t *txn) run(ctx context.Context) error {
	forward, reverse := t.addForward, t.addReverse
	if t.r.Type == ncr.Remove {
		forward, reverse = t.removeForward, t.removeReverse
	}
	if t.domains[fwd] != nil {
		if err := forward(ctx); err != nil {
			return err
		}
	}
	if t.domains[rev] != nil {
		return reverse(ctx)
	}
	return nil
}

func (t *txn) addForward(ctx context.Context) error {
	f, a, ttl := t.fqdn, t.r.Addr, t.r.TTL
	switch t.r.Mode {
	case ncr.NoCheckWithDHCID, ncr.NoCheckWithoutDHCID:
		withDHCID := t.r.Mode == ncr.NoCheckWithDHCID
		rc, err := t.step(ctx, fwd, "forward add", func(m *dns.Msg) {
			t.overwrite(m, addrRR(f, a, dns.ClassINET, ttl), withDHCID)
		}, true)
		if err != nil {
			return err
		}
		if rc != dns.RcodeSuccess {
			return refused("forward add", rc, "")
		}
		return nil
	}
	exists := t.r.Mode == ncr.CheckExistsWithDHCID
	for range maxRounds {
		// The name is free: take it.
		rc, err := t.step(ctx, fwd, "forward add", func(m *dns.Msg) {
			m.Answer = append(m.Answer, empty(f, dns.TypeANY, dns.ClassNONE))
			m.Ns = append(m.Ns, addrRR(f, a, dns.ClassINET, ttl), t.dhcid(f, dns.ClassINET, ttl))
		}, true)
		if err != nil {
			return err
		}
		switch rc {
		case dns.RcodeSuccess:
			return nil
		case dns.RcodeYXDomain:
		default:
			return refused("forward add", rc, "")
		}
		// The name is in use: replace its address if it is ours
		// (check-with-dhcid: our DHCID; check-exists: any DHCID).
		rc, err = t.step(ctx, fwd, "forward replace", func(m *dns.Msg) {
			if exists {
				m.Answer = append(m.Answer, empty(f, dns.TypeDHCID, dns.ClassANY))
			} else {
				m.Answer = append(m.Answer, empty(f, dns.TypeANY, dns.ClassANY), t.dhcid(f, dns.ClassINET, 0))
			}
			// check-exists writes the client's DHCID over the one there;
			// check-with-dhcid keeps the DHCID, which is the client's.
			t.overwrite(m, addrRR(f, a, dns.ClassINET, ttl), exists)
		}, true)
		if err != nil {
			return err
		}
		switch rc {
		case dns.RcodeSuccess:
			return nil
		case dns.RcodeNameError:
			// The name vanished since the add: add again.
			continue
		case dns.RcodeNXRrset:
			if exists {
				return refused("forward replace", rc, f+" is in use without a DHCID")
			}
			return refused("forward replace", rc, f+" belongs to another client")
		default:
			return refused("forward replace", rc, "")
		}
	}
	return fmt.Errorf("%w: forward add: %s appeared and vanished %d times", ErrRefused, f, maxRounds)
}

func (t *txn) addReverse(ctx context.Context) error {
	ttl := t.r.TTL
	withDHCID := t.r.Mode != ncr.NoCheckWithoutDHCID
	rc, err := t.step(ctx, rev, "reverse replace", func(m *dns.Msg) {
		t.overwrite(m, t.ptr(dns.ClassINET, ttl), withDHCID)
	}, true)
	if err != nil {
		return err
	}
	if rc != dns.RcodeSuccess {
		return refused("reverse replace", rc, "")
	}
	return nil
}

// gone reports the rcodes with which a removal step has done its part:
// the records are removed, or were not there.
func gone(rc int, also ...int) bool {
	if rc == dns.RcodeSuccess || rc == dns.RcodeNXRrset {
		return true
	}
	for _, a := range also {
		if rc == a {
			return true
		}
	}
	return false
}

func (t *txn) removeForward(ctx context.Context) error {
	f, a := t.fqdn, t.r.Addr
	switch t.r.Mode {
	case ncr.NoCheckWithDHCID, ncr.NoCheckWithoutDHCID:
		withDHCID := t.r.Mode == ncr.NoCheckWithDHCID
		rc, err := t.step(ctx, fwd, "forward remove", func(m *dns.Msg) {
			deleteRRsets(m, f, addrType(a), withDHCID)
		}, true)
		if err != nil {
			return err
		}
		if !gone(rc) {
			return refused("forward remove", rc, "")
		}
		return nil
	}
	exists := t.r.Mode == ncr.CheckExistsWithDHCID
	// Remove the lease's address where the name is ours.
	rc, err := t.step(ctx, fwd, "forward remove address", func(m *dns.Msg) {
		if exists {
			m.Answer = append(m.Answer, empty(f, dns.TypeDHCID, dns.ClassANY))
		} else {
			m.Answer = append(m.Answer, t.dhcid(f, dns.ClassINET, 0))
		}
		m.Ns = append(m.Ns, addrRR(f, a, dns.ClassNONE, 0))
	}, true)
	if err != nil {
		return err
	}
	if !gone(rc) {
		return refused("forward remove address", rc, "")
	}
	// Remove the name (check-exists: its DHCID) once no address is
	// left. A name that still has addresses (YXRRSET) is left, and the
	// reverse is removed all the same, as current Kea does.
	rc, err = t.step(ctx, fwd, "forward remove name", func(m *dns.Msg) {
		if !exists {
			m.Answer = append(m.Answer, t.dhcid(f, dns.ClassINET, 0))
		}
		m.Answer = append(m.Answer, empty(f, dns.TypeA, dns.ClassNONE), empty(f, dns.TypeAAAA, dns.ClassNONE))
		if exists {
			m.Ns = append(m.Ns, empty(f, dns.TypeDHCID, dns.ClassANY))
		} else {
			m.Ns = append(m.Ns, empty(f, dns.TypeANY, dns.ClassANY))
		}
	}, exists)
	if err != nil {
		return err
	}
	if !gone(rc, dns.RcodeYXRrset) {
		return refused("forward remove name", rc, "")
	}
	return nil
}

func (t *txn) removeReverse(ctx context.Context) error {
	var rc int
	var err error
	switch t.r.Mode {
	case ncr.NoCheckWithDHCID, ncr.NoCheckWithoutDHCID:
		withDHCID := t.r.Mode == ncr.NoCheckWithDHCID
		rc, err = t.step(ctx, rev, "reverse remove", func(m *dns.Msg) {
			deleteRRsets(m, t.rname, dns.TypePTR, withDHCID)
		}, true)
	default:
		// Only a PTR that names the lease's name is removed.
		rc, err = t.step(ctx, rev, "reverse remove", func(m *dns.Msg) {
			m.Answer = append(m.Answer, t.ptr(dns.ClassINET, 0))
			m.Ns = append(m.Ns, empty(t.rname, dns.TypeANY, dns.ClassANY))
		}, true)
	}
	if err != nil {
		return err
	}
	if !gone(rc) {
		return refused("reverse remove", rc, "")
	}
	return nil
}
