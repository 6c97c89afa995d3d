package client6

import (
	"net/netip"
	"slices"
	"strings"
	"testing"
	"time"
)

func TestSplit64(t *testing.T) {
	got, err := Split64(netip.MustParsePrefix("2001:db8:ff00::/56"), 3)
	want := []netip.Prefix{
		netip.MustParsePrefix("2001:db8:ff00::/64"),
		netip.MustParsePrefix("2001:db8:ff00:1::/64"),
		netip.MustParsePrefix("2001:db8:ff00:2::/64"),
	}
	if err != nil || !slices.Equal(got, want) {
		t.Errorf("Split64 /56: %v %v", got, err)
	}
	// The carry runs into the upper bytes.
	got, _ = Split64(netip.MustParsePrefix("2001:db8:0:fffe::/63"), 2)
	if !slices.Equal(got, []netip.Prefix{netip.MustParsePrefix("2001:db8:0:fffe::/64"), netip.MustParsePrefix("2001:db8:0:ffff::/64")}) {
		t.Errorf("Split64 /63: %v", got)
	}
	for _, bad := range []struct {
		p string
		n int
	}{{"2001:db8::/65", 1}, {"2001:db8::/63", 3}, {"192.0.2.0/24", 1}} {
		if _, err := Split64(netip.MustParsePrefix(bad.p), bad.n); err == nil {
			t.Errorf("Split64(%s, %d) succeeds", bad.p, bad.n)
		}
	}
}

func TestDownstreamPlan(t *testing.T) {
	now := time.Now()
	b := resumeBinding(now, true, 300*time.Second)
	plan, err := DownstreamPlan(b, []string{"lan0", "lan1"})
	if err != nil || len(plan) != 2 {
		t.Fatalf("plan %+v %v", plan, err)
	}
	if plan[1].Interface != "lan1" || plan[1].Subnet != netip.MustParsePrefix("2001:db8:ff00:1::/64") ||
		plan[1].Address != netip.MustParsePrefix("2001:db8:ff00:1::1/64") || plan[1].Valid != 300*time.Second {
		t.Errorf("second interface: %+v", plan[1])
	}
	if p, _ := DownstreamPlan(resumeBinding(now, false, 300*time.Second), []string{"lan0"}); p != nil {
		t.Errorf("plan without a prefix: %+v", p)
	}
}

func TestScriptEnv(t *testing.T) {
	now := time.Now()
	b := resumeBinding(now, true, 300*time.Second) // received 50 s ago
	b.DNS = []netip.Addr{netip.MustParseAddr("2001:db8::53")}
	b.Domains = []string{"example.com"}
	s := &ScriptAction{Downstream: []string{"lan0"}, Now: func() time.Time { return now }}
	env := s.ScriptEnv(Event{Kind: EventRebind, Interface: "wan0", Binding: b, Old: b})
	for _, want := range []string{
		"interface=wan0", "event=rebind", "reason=REBIND6",
		"ADDRESSES=" + addr1.String() + "/128,100,250",
		"PREFIXES=2001:db8:ff00::/56,100,250",
		"RDNSS=2001:db8::53", "DOMAINS=example.com",
		"SERVER_DUID=" + serverDUID.String(),
		"new_ip6_address=" + addr1.String(), "new_ip6_prefixlen=128", "new_max_life=250",
		"new_ip6_prefix=2001:db8:ff00::/56", "new_dhcp6_name_servers=2001:db8::53",
		"old_ip6_address=" + addr1.String(), "new_iaid=00000001", "new_renew=100",
		"DOWNSTREAM=lan0=2001:db8:ff00::/64",
	} {
		if !slices.Contains(env, want) {
			t.Errorf("no %s in\n%s", want, strings.Join(env, "\n"))
		}
	}
	env = s.ScriptEnv(Event{Kind: EventRelease, Interface: "wan0", Old: b})
	if !slices.Contains(env, "reason=RELEASE6") || !slices.Contains(env, "old_ip6_prefix=2001:db8:ff00::/56") || slices.ContainsFunc(env, func(v string) bool { return strings.HasPrefix(v, "new_ip6") }) {
		t.Errorf("release environment:\n%s", strings.Join(env, "\n"))
	}
}
