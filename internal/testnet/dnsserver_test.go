//go:build linux

package testnet

import (
	"testing"

	"github.com/miekg/dns"
)

// StartNamed's server takes an update signed with its key, answers with
// the record at the TTL given, and refuses an unsigned update.
func TestStartNamed(t *testing.T) {
	RequireRoot(t, "named")
	n := StartNamed(t, NamedOptions{})
	if soa := n.Lookup(t, "example.org", dns.TypeSOA); len(soa) != 1 {
		t.Fatalf("SOA of example.org: %q", soa)
	}
	a, err := dns.NewRR("seed.example.org. 1234 IN A 192.0.2.9")
	if err != nil {
		t.Fatal(err)
	}
	if rc := n.Update(t, "example.org", []dns.RR{a}, nil); rc != dns.RcodeSuccess {
		t.Fatalf("signed update: %s\n%s", dns.RcodeToString[rc], n.Log())
	}
	got := n.Lookup(t, "seed.example.org", dns.TypeA)
	if want := "seed.example.org. 1234 IN A 192.0.2.9"; len(got) != 1 || got[0] != want {
		t.Errorf("after the update: %q, want %q", got, want)
	}

	m := new(dns.Msg)
	m.SetUpdate("example.org.")
	m.RemoveRRset([]dns.RR{a})
	if r := n.Exchange(t, m); r.Rcode != dns.RcodeRefused {
		t.Errorf("unsigned update answered %s, want REFUSED", dns.RcodeToString[r.Rcode])
	}
	if got := n.Lookup(t, "seed.example.org", dns.TypeA); len(got) != 1 {
		t.Errorf("the unsigned removal removed the record: %q", got)
	}
}

// In a namespace it listens on port 53 of the namespace's loopback.
func TestStartNamedInNamespace(t *testing.T) {
	RequireRoot(t, "named")
	ns := NewNS(t, "named")
	n := StartNamed(t, NamedOptions{NS: ns, Zones: []string{"lan"}})
	if n.Addr.Port() != 53 {
		t.Errorf("port %d, want 53", n.Addr.Port())
	}
	if soa := n.Lookup(t, "lan", dns.TypeSOA); len(soa) != 1 {
		t.Fatalf("SOA of lan: %q", soa)
	}
}
