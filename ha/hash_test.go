package ha

import (
	"encoding/hex"
	"strings"
	"testing"

	"github.com/leased/leased/dhcpv4"
)

func TestMixTableIsPermutation(t *testing.T) {
	var seen [256]bool
	for i, v := range mixTable {
		if seen[v] {
			t.Fatalf("value %#x repeats at %d", v, i)
		}
		seen[v] = true
	}
	// A few entries quoted in the RFC's decimal table.
	for i, want := range map[int]uint8{0: 251, 1: 175, 14: 0, 15: 232, 255: 151, 128: 39} {
		if mixTable[i] != want {
			t.Errorf("T[%d] = %d, want %d", i, mixTable[i], want)
		}
	}
}

func unhex(t *testing.T, s string) []byte {
	t.Helper()
	b, err := hex.DecodeString(strings.ReplaceAll(s, ":", ""))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// TestLoadBalanceHash uses the worked examples of the HA specification,
// computed step by step from RFC 3074's algorithm.
func TestLoadBalanceHash(t *testing.T) {
	for _, tc := range []struct {
		key    string
		hash   uint8
		server int
	}{
		{"00:0c:01:02:03:05", 208, 0},
		{"01:00:0c:01:02:03:05", 62, 0},
		{"08:00:27:11:22:33", 199, 1},
		{"aa:bb:cc:dd:ee:ff", 57, 1},
		{"", 0, 0}, // no bytes to mix; never used, an empty key is dropped
	} {
		h := LoadBalanceHash(unhex(t, tc.key))
		if h != tc.hash || int(h%2) != tc.server {
			t.Errorf("hash(%s) = %d (server %d), want %d (server %d)", tc.key, h, h%2, tc.hash, tc.server)
		}
	}
}

func query(t *testing.T, mt dhcpv4.MessageType, chaddr, clientID []byte) *dhcpv4.Packet {
	t.Helper()
	var b dhcpv4.Builder
	b.Begin(make([]byte, 600), dhcpv4.BootRequest, mt, 1)
	b.SetCHAddr(1, chaddr)
	if clientID != nil {
		b.AddOption(61, clientID)
	}
	raw, err := b.Finish()
	if err != nil {
		t.Fatal(err)
	}
	p, err := dhcpv4.Parse(raw)
	if err != nil {
		t.Fatal(err)
	}
	return p
}

func TestSelect(t *testing.T) {
	lb, err := Parse([]byte(lbPrimary), Options{})
	if err != nil {
		t.Fatal(err)
	}
	r := lb.Relationships[0]
	hs := *r
	hs.Mode = ModeHotStandby
	for _, tc := range []struct {
		name     string
		r        *Relationship
		mt       dhcpv4.MessageType
		chaddr   string
		clientID string
		scope    string
		ok       bool
	}{
		{"lb chaddr primary", r, dhcpv4.Discover, "00:0c:01:02:03:05", "", "server1", true},
		{"lb chaddr secondary", r, dhcpv4.Request, "08:00:27:11:22:33", "", "server2", true},
		{"lb chaddr secondary 2", r, dhcpv4.Release, "aa:bb:cc:dd:ee:ff", "", "server2", true},
		// option 61 wins over chaddr: this chaddr alone would go to server2.
		{"lb client id", r, dhcpv4.Discover, "08:00:27:11:22:33", "01:00:0c:01:02:03:05", "server1", true},
		{"lb empty client id uses chaddr", r, dhcpv4.Inform, "aa:bb:cc:dd:ee:ff", "", "server2", true},
		{"lb no key", r, dhcpv4.Decline, "", "", "", false},
		{"not subject goes to primary", r, dhcpv4.MessageType(10), "08:00:27:11:22:33", "", "server1", true},
		{"hot-standby always primary", &hs, dhcpv4.Discover, "08:00:27:11:22:33", "", "server1", true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var cid []byte
			if tc.clientID != "" {
				cid = unhex(t, tc.clientID)
			}
			scope, ok := tc.r.Select(query(t, tc.mt, unhex(t, tc.chaddr), cid))
			if scope != tc.scope || ok != tc.ok {
				t.Errorf("Select = %q, %v; want %q, %v", scope, ok, tc.scope, tc.ok)
			}
		})
	}
	if ScopeClass("server2") != "HA_server2" {
		t.Errorf("ScopeClass = %q", ScopeClass("server2"))
	}
}
