package client6

import (
	"net/netip"
	"slices"
	"testing"
	"time"
)

func TestBindingTimes(t *testing.T) {
	t0 := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	b := &Binding{
		IANA: []IA{{IAID: 1, T1: 100 * time.Second, T2: 160 * time.Second, Received: t0,
			Addresses: []Address{{Addr: addr1, Preferred: 200 * time.Second, Valid: 300 * time.Second}}}},
		// T1 and T2 left to the client: 0.5 and 0.8 of the shortest
		// preferred lifetime (RFC 8415 §14.2).
		IAPD: []IA{{IAID: 2, Received: t0.Add(10 * time.Second),
			Prefixes: []Prefix{{Prefix: prefix1, Preferred: 100 * time.Second, Valid: 400 * time.Second}}}},
	}
	if got, want := b.RenewAt(), t0.Add(60*time.Second); !got.Equal(want) {
		t.Errorf("RenewAt %v, want %v", got, want)
	}
	if got, want := b.RebindAt(), t0.Add(90*time.Second); !got.Equal(want) {
		t.Errorf("RebindAt %v, want %v", got, want)
	}
	if got, want := b.NextExpiry(), t0.Add(300*time.Second); !got.Equal(want) {
		t.Errorf("NextExpiry %v, want %v", got, want)
	}
	if got, want := b.LastExpiry(), t0.Add(410*time.Second); !got.Equal(want) {
		t.Errorf("LastExpiry %v, want %v", got, want)
	}
	left, dropped := b.DropExpired(t0.Add(300 * time.Second))
	if !dropped || len(left.Addrs()) != 0 || len(left.DelegatedPrefixes()) != 1 || len(b.Addrs()) != 1 {
		t.Errorf("DropExpired: %v %v, dropped %v; the original %v", left.Addrs(), left.DelegatedPrefixes(), dropped, b.Addrs())
	}
	inf := &Binding{IANA: []IA{{IAID: 1, Received: t0, Addresses: []Address{{Addr: addr1, Preferred: Infinite, Valid: Infinite}}}}}
	if !inf.RenewAt().IsZero() || !inf.NextExpiry().IsZero() || !inf.LastExpiry().IsZero() {
		t.Errorf("infinite lifetimes: renew %v, expiry %v", inf.RenewAt(), inf.NextExpiry())
	}
}

// TestMerge: a Reply's IA updates the leases it names, drops those with
// a valid lifetime of 0, and keeps the others with what is left of their
// lifetimes.
func TestMerge(t *testing.T) {
	t0 := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	a2, a3 := netip.MustParseAddr("2001:db8:1::20"), netip.MustParseAddr("2001:db8:1::30")
	old := IA{IAID: 1, Received: t0, Addresses: []Address{
		{Addr: addr1, Preferred: 100 * time.Second, Valid: 200 * time.Second},
		{Addr: a2, Preferred: 100 * time.Second, Valid: 200 * time.Second},
	}}
	got := IA{IAID: 1, T1: 50 * time.Second, Received: t0.Add(80 * time.Second), Addresses: []Address{
		{Addr: a2, Valid: 0},
		{Addr: a3, Preferred: 300 * time.Second, Valid: 600 * time.Second},
	}}
	m := merge(&old, got)
	want := []Address{
		{Addr: addr1, Preferred: 20 * time.Second, Valid: 120 * time.Second},
		{Addr: a3, Preferred: 300 * time.Second, Valid: 600 * time.Second},
	}
	if !slices.Equal(m.Addresses, want) || m.T1 != 50*time.Second || !m.Received.Equal(got.Received) {
		t.Errorf("merged %+v, want addresses %+v", m, want)
	}
}

func TestBindingValidate(t *testing.T) {
	t0 := time.Now()
	good := resumeBinding(t0, true, 300*time.Second)
	if err := good.Validate(); err != nil {
		t.Fatal(err)
	}
	for name, mutate := range map[string]func(b *Binding){
		"no server DUID":       func(b *Binding) { b.ServerID = nil },
		"T1 above T2":          func(b *Binding) { b.IANA[0].T1 = 500 * time.Second },
		"preferred over valid": func(b *Binding) { b.IAPD[0].Prefixes[0].Preferred = time.Hour },
		"IPv4 address":         func(b *Binding) { b.IANA[0].Addresses[0].Addr = netip.MustParseAddr("192.0.2.1") },
		"IAID twice":           func(b *Binding) { b.IANA = append(b.IANA, b.IANA[0]) },
	} {
		b := good.Clone()
		mutate(b)
		if b.Validate() == nil {
			t.Errorf("%s: Validate passes", name)
		}
	}
}
