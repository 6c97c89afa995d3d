package ddns

import (
	"testing"

	"github.com/leased/leased/config"
	"github.com/leased/leased/dhcpv4"
)

// With updates on, option 81's flags and the lease's directions are
// Kea's table (analyzeFqdn, adjustFqdnFlags, getUpdateDirections).
func TestDecideWithUpdates(t *testing.T) {
	const (
		N, O, E, S = dhcpv4.FQDNNoUpdate, dhcpv4.FQDNOverride, dhcpv4.FQDNEncoded, dhcpv4.FQDNServerUpdates
	)
	scope := func(send, overrideNo, overrideClient bool) *Params {
		d := &config.DDNS{SendUpdates: send, OverrideNoUpdate: overrideNo, OverrideClientUpdate: overrideClient, GeneratedPrefix: "myhost", QualifyingSuffix: "example.org"}
		return UpdatingParamsOf(d, d)
	}
	on := scope(true, false, false)
	for _, tc := range []struct {
		name     string
		p        *Params
		client   uint8
		flags    uint8
		fwd, rev bool
	}{
		{"client does A (0,0)", on, 0, 0, false, true},
		{"client does A, override-client-update", scope(true, false, true), 0, S | O, true, true},
		{"server does A (S)", on, S, S, true, true},
		{"server does A, encoded", on, S | E, S | E, true, true},
		{"no updates (N)", on, N, N, false, false},
		{"no updates, override-no-update", scope(true, true, false), N, S | O, true, true},
		{"send-updates false", scope(false, true, true), S, N | O, false, false},
		{"enable-updates false", ParamsOf(&config.DDNS{SendUpdates: true, GeneratedPrefix: "myhost"}, nil), S, N | O, false, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			name := "host1.example.org."
			if tc.client&E != 0 {
				name = "\x05host1\x07example\x03org\x00"
			}
			a := Decide(nil, Request{FQDN: fqdnOpt(tc.client, name), HasFQDN: true}, tc.p, testAddr)
			if a.Option != dhcpv4.OptionClientFQDN || len(a.Value) < 3 {
				t.Fatalf("answer %+v has no option 81", a)
			}
			if a.Value[0] != tc.flags || a.FQDNFwd != tc.fwd || a.FQDNRev != tc.rev {
				t.Errorf("flags %#x fwd %v rev %v, want flags %#x fwd %v rev %v", a.Value[0], a.FQDNFwd, a.FQDNRev, tc.flags, tc.fwd, tc.rev)
			}
			if a.Hostname != "host1.example.org." {
				t.Errorf("hostname %q", a.Hostname)
			}
		})
	}
	// Option 12 and generated names: both directions when updates are on.
	for _, r := range []Request{{HostName: []byte("host1")}, {HostName: []byte(".")}, {Reserved: "res"}} {
		a := Decide(nil, r, on, testAddr)
		if !a.FQDNFwd || !a.FQDNRev || a.Hostname == "" {
			t.Errorf("%+v: %+v, want a name with both directions", r, a)
		}
		a = Decide(nil, r, scope(false, false, false), testAddr)
		if a.FQDNFwd || a.FQDNRev {
			t.Errorf("%+v with send-updates false: %+v, want no direction", r, a)
		}
	}
}
