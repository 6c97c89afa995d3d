package ncr

import (
	"fmt"
	"strings"
	"testing"

	"github.com/leased/leased/lease"
)

// Kea's events, as lease changes, and the requests they give.
func TestForChange(t *testing.T) {
	live := exampleLease()
	renewed := func(f func(*lease.Lease)) *lease.Lease {
		l := live.Clone()
		l.CLTT += 1800
		if f != nil {
			f(&l)
		}
		return &l
	}
	state := func(s lease.State) *lease.Lease {
		l := live.Clone()
		l.State = s
		if s != lease.StateReleased {
			// Reclamation and decline clear the name and directions.
			l.Hostname, l.FQDNFwd, l.FQDNRev = "", false, false
		}
		return &l
	}
	noName := renewed(func(l *lease.Lease) { l.Hostname = "" })
	onRenew := func(*lease.Lease) Scope { return Scope{UpdateOnRenew: true} }
	for _, tc := range []struct {
		event    string
		old, new *lease.Lease
		scope    func(*lease.Lease) Scope
		want     string // each request as "type fqdn fwd rev", joined by "; "
	}{
		{"new lease", nil, live, nil, "add host1.example.org. true true"},
		{"new lease without a name", nil, noName, nil, ""},
		{"new lease, forward only", nil, renewed(func(l *lease.Lease) { l.FQDNRev = false }), nil, "add host1.example.org. true false"},
		{"renew, name unchanged", live, renewed(nil), nil, ""},
		{"renew, name differs in case only", live, renewed(func(l *lease.Lease) { l.Hostname = "HOST1.example.org" }), nil, ""},
		{"renew, ddns-update-on-renew", live, renewed(nil), onRenew, "remove host1.example.org. true true; add host1.example.org. true true"},
		{"renew, name changed", live, renewed(func(l *lease.Lease) { l.Hostname = "host2.example.org" }), nil, "remove host1.example.org. true true; add host2.example.org. true true"},
		{"renew, direction changed", live, renewed(func(l *lease.Lease) { l.FQDNRev = false }), nil, "remove host1.example.org. true true; add host1.example.org. true false"},
		{"renew, name dropped", live, noName, nil, "remove host1.example.org. true true"},
		{"renew after expiry, before reclamation", live, renewed(func(l *lease.Lease) { l.CLTT += 3600 }), nil, "remove host1.example.org. true true; add host1.example.org. true true"},
		{"release, lease kept", live, state(lease.StateReleased), nil, "remove host1.example.org. true true"},
		{"release, lease deleted", live, nil, nil, "remove host1.example.org. true true"},
		{"decline", live, state(lease.StateDeclined), nil, "remove host1.example.org. true true"},
		{"reclamation", live, state(lease.StateExpiredReclaimed), nil, "remove host1.example.org. true true"},
		{"reclaimed lease flushed", state(lease.StateExpiredReclaimed), nil, nil, ""},
		{"released lease given back", state(lease.StateReleased), renewed(nil), nil, "add host1.example.org. true true"},
		{"reclaimed lease given back", state(lease.StateExpiredReclaimed), renewed(nil), nil, "add host1.example.org. true true"},
	} {
		t.Run(tc.event, func(t *testing.T) {
			scope := tc.scope
			if scope == nil {
				scope = func(*lease.Lease) Scope { return Scope{} }
			}
			reqs, errs := ForChange(nil, tc.old, tc.new, scope)
			if len(errs) > 0 {
				t.Fatal(errs)
			}
			var got []string
			for _, r := range reqs {
				got = append(got, fmt.Sprintf("%s %s %v %v", r.Type, r.FQDN, r.Forward, r.Reverse))
			}
			if g := strings.Join(got, "; "); g != tc.want {
				t.Errorf("got  %q\nwant %q", g, tc.want)
			}
		})
	}
}

// Each request takes the TTL and mode of its lease's scope, and a removal
// names the DHCID the add did.
func TestForChangeScopeAndDHCID(t *testing.T) {
	old := exampleLease()
	l := old.Clone()
	l.Hostname, l.SubnetID, l.ValidLifetime = "host2.example.org", 2, 7200
	scope := func(l *lease.Lease) Scope {
		if l.SubnetID == 2 {
			return Scope{TTL: TTLParams{Percent: 0.5}, Mode: NoCheckWithDHCID}
		}
		return Scope{Mode: CheckExistsWithDHCID}
	}
	reqs, errs := ForChange(nil, old, &l, scope)
	if len(errs) > 0 || len(reqs) != 2 {
		t.Fatalf("%+v, %v", reqs, errs)
	}
	if reqs[0].TTL != 1200 || reqs[0].Mode != CheckExistsWithDHCID || reqs[1].TTL != 3600 || reqs[1].Mode != NoCheckWithDHCID {
		t.Errorf("TTL and mode: remove %d %v, add %d %v", reqs[0].TTL, reqs[0].Mode, reqs[1].TTL, reqs[1].Mode)
	}
	added, _ := ForLease(Add, old, TTLParams{}, CheckWithDHCID)
	if string(reqs[0].DHCID) != string(added.DHCID) {
		t.Errorf("the removal's DHCID %X is not the add's %X", reqs[0].DHCID, added.DHCID)
	}
}
