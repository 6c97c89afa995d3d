package lease

import (
	"net/netip"
	"strings"
	"testing"
)

func TestValidate(t *testing.T) {
	ok := Lease{Addr: netip.MustParseAddr("192.0.2.1"), HWAddr: []byte{1, 2, 3, 4, 5, 6}, UserContext: ` {"a": [1]}`}
	if err := ok.Validate(); err != nil {
		t.Fatalf("valid lease: %v", err)
	}
	for _, c := range []struct {
		name string
		mod  func(*Lease)
		want string
	}{
		{"ipv6", func(l *Lease) { l.Addr = netip.MustParseAddr("2001:db8::1") }, "not an IPv4 address"},
		{"mapped", func(l *Lease) { l.Addr = netip.MustParseAddr("::ffff:192.0.2.1") }, "not an IPv4 address"},
		{"state", func(l *Lease) { l.State = 4 }, "state 4"},
		{"hwaddr", func(l *Lease) { l.HWAddr = make([]byte, 21) }, "hardware address is 21 bytes"},
		{"client-id", func(l *Lease) { l.ClientID = make([]byte, 256) }, "client identifier is 256 bytes"},
		{"hostname", func(l *Lease) { l.Hostname = strings.Repeat("a", 256) }, "hostname is 256 bytes"},
		{"hostname utf8", func(l *Lease) { l.Hostname = "a\xfeb" }, "not UTF-8"},
		{"context array", func(l *Lease) { l.UserContext = "[1]" }, "not a JSON object"},
		{"context broken", func(l *Lease) { l.UserContext = `{"a":` }, "not a JSON object"},
		{"context utf8", func(l *Lease) { l.UserContext = "{\"a\":\"\xfe\"}" }, "not a JSON object"},
	} {
		l := ok.Clone()
		c.mod(&l)
		err := l.Validate()
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: Validate = %v, want %q", c.name, err, c.want)
		}
	}
}

func TestExpiry(t *testing.T) {
	l := Lease{ValidLifetime: 100, CLTT: 1000}
	if l.Expire() != 1100 || l.Expired(1100) || !l.Expired(1101) {
		t.Errorf("Expire = %d, Expired(1100) = %v, Expired(1101) = %v", l.Expire(), l.Expired(1100), l.Expired(1101))
	}
	l.ValidLifetime = InfiniteLifetime
	if l.Expired(1 << 40) {
		t.Errorf("an infinite lease expired")
	}
}

func TestStateNames(t *testing.T) {
	want := []string{"default", "declined", "expired-reclaimed", "released", "state-4"}
	for i, w := range want {
		if got := State(i).String(); got != w {
			t.Errorf("State(%d) = %q, want %q", i, got, w)
		}
	}
}

func TestSameVersionAndCounts(t *testing.T) {
	a := Lease{CLTT: 5, ValidLifetime: 10, HWAddr: []byte{1}, SubnetID: 1}
	b := a.Clone()
	if !SameVersion(&a, &b) {
		t.Errorf("a lease differs from its clone")
	}
	b.CLTT++
	if SameVersion(&a, &b) {
		t.Errorf("a renewed lease has the same version")
	}
	var c Counts
	c.Add(StateDeclined, 1)
	c.Add(StateDefault, 1)
	c.Add(StateDefault, -1)
	if c != (Counts{Declined: 1}) {
		t.Errorf("Counts = %+v", c)
	}
}
