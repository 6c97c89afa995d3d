package engine

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/leased/leased/dhcpserver/dhcptest"
	"github.com/leased/leased/dhcpv4"
	"github.com/leased/leased/lease"
	"github.com/leased/leased/lease/memfile"
)

// chanNames hands every call's changes to the test.
type chanNames chan []Change

func (c chanNames) NameChanges(changes []Change) { c <- append([]Change(nil), changes...) }

const ddnsTestConfig = `{"Dhcp4": {
	"valid-lifetime": 600, "cache-threshold": 0,
	"ddns-qualifying-suffix": "example.org",
	"dhcp-ddns": {"enable-updates": true},
	"expired-leases-processing": {"hold-reclaimed-time": 600},
	"subnet4": [{"id": 1, "subnet": "192.0.2.0/24", "interface": "test0",
		"pools": [{"pool": "192.0.2.100 - 192.0.2.149"}]}]}}`

func newNamesFixture(t *testing.T, src string) (*fixture, chanNames) {
	t.Helper()
	store, err := memfile.Open(memfile.Options{Path: t.TempDir() + "/leases", Persist: true})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { store.Close() })
	clk := &clock{t: time.Unix(1_800_000_000, 0)}
	names := make(chanNames, 16)
	srv, err := New(context.Background(), loadConfig(t, src), store, &Options{Now: clk.now, NameChanges: names})
	if err != nil {
		t.Fatal(err)
	}
	return &fixture{t: t, srv: srv, store: store, clock: clk}, names
}

func nextChanges(t *testing.T, names chanNames) []Change {
	t.Helper()
	select {
	case c := <-names:
		return c
	case <-time.After(10 * time.Second):
		t.Fatal("no lease changes announced in 10 s")
		return nil
	}
}

func noChanges(t *testing.T, names chanNames) {
	t.Helper()
	// The engine calls NameChanges before the reply leaves and before
	// ReclaimAll returns, so whatever it announced is in the channel
	// already: nothing to wait for.
	select {
	case c := <-names:
		t.Fatalf("unexpected changes announced: %+v", c)
	default:
	}
}

// The engine announces the lease changes of new leases, renewals,
// releases, declines and reclamations, and with updates on its option
// 81 answer says the server does the updates.
func TestNameChangesAnnounced(t *testing.T) {
	f, names := newNamesFixture(t, ddnsTestConfig)
	host := dhcptest.Option{Code: dhcpv4.OptionHostName, Value: []byte("host1")}

	hw := mac("02:00:00:00:00:61")
	a := f.dora(hw, host)
	c := nextChanges(t, names)
	if len(c) != 1 || c[0].Old != nil || c[0].New == nil || c[0].New.Addr != a ||
		c[0].New.Hostname != "host1.example.org" || !c[0].New.FQDNFwd || !c[0].New.FQDNRev {
		t.Fatalf("new lease: %s", describeChanges(c))
	}

	f.clock.add(time.Minute)
	if ack := f.send(dhcptest.Message{Type: dhcpv4.Request, XID: 3, CHAddr: hw, CIAddr: a, Options: []dhcptest.Option{host}}); ack == nil {
		t.Fatal("no ACK to the renewal")
	}
	c = nextChanges(t, names)
	if len(c) != 1 || c[0].Old == nil || c[0].New == nil || c[0].New.CLTT != c[0].Old.CLTT+60 {
		t.Fatalf("renewal: %s", describeChanges(c))
	}

	f.send(dhcptest.Message{Type: dhcpv4.Release, XID: 4, CHAddr: hw, CIAddr: a, ServerID: serverAddr})
	c = nextChanges(t, names)
	if len(c) != 1 || c[0].Old == nil || c[0].Old.State != lease.StateDefault || (c[0].New != nil && c[0].New.State == lease.StateDefault) {
		t.Fatalf("release: %s", describeChanges(c))
	}

	hw2 := mac("02:00:00:00:00:62")
	b := f.dora(hw2, host)
	nextChanges(t, names)
	f.send(dhcptest.Message{Type: dhcpv4.Decline, XID: 5, CHAddr: hw2, RequestedIP: b, ServerID: serverAddr})
	c = nextChanges(t, names)
	if len(c) != 1 || c[0].Old == nil || c[0].Old.Hostname != "host1.example.org" || c[0].New == nil || c[0].New.State != lease.StateDeclined {
		t.Fatalf("decline: %s", describeChanges(c))
	}

	hw3 := mac("02:00:00:00:00:63")
	d := f.dora(hw3, host)
	nextChanges(t, names)
	f.clock.add(700 * time.Second)
	if _, err := f.srv.ReclaimAll(context.Background(), false); err != nil {
		t.Fatal(err)
	}
	c = nextChanges(t, names)
	var reclaimed *Change
	for i := range c {
		if c[i].Old != nil && c[i].Old.Addr == d {
			reclaimed = &c[i]
		}
	}
	if reclaimed == nil || reclaimed.Old.State != lease.StateDefault || reclaimed.New == nil || reclaimed.New.State != lease.StateExpiredReclaimed {
		t.Fatalf("reclamation of %v: %s", d, describeChanges(c))
	}
	noChanges(t, names)
}

// With enable-updates the option 81 answer is Kea's: S for a client that
// leaves the forward update to the server, and the lease is announced
// with both directions; without it, N and O, and nothing is announced.
func TestNameChangesFQDNFlags(t *testing.T) {
	for _, tc := range []struct {
		name  string
		cfg   string
		flags byte
	}{
		{"updates", ddnsTestConfig, dhcpv4.FQDNServerUpdates},
		{"no updates", strings.Replace(ddnsTestConfig, `"enable-updates": true`, `"enable-updates": false`, 1), dhcpv4.FQDNNoUpdate | dhcpv4.FQDNOverride},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f, names := newNamesFixture(t, tc.cfg)
			fqdn := dhcptest.Option{Code: dhcpv4.OptionClientFQDN, Value: append([]byte{dhcpv4.FQDNServerUpdates, 0, 0}, "host9.example.org."...)}
			hw := mac("02:00:00:00:00:69")
			off := f.send(dhcptest.Message{Type: dhcpv4.Discover, XID: 1, CHAddr: hw, Options: []dhcptest.Option{fqdn}})
			ack := f.send(dhcptest.Message{Type: dhcpv4.Request, XID: 2, CHAddr: hw, RequestedIP: off.Packet.YIAddr(), ServerID: serverAddr, Options: []dhcptest.Option{fqdn}})
			v, ok := ack.Packet.Option(dhcpv4.OptionClientFQDN)
			if !ok || len(v) < 3 || v[0] != tc.flags {
				t.Fatalf("option 81 in the ACK: %x, want flags %#x", v, tc.flags)
			}
			if tc.flags&dhcpv4.FQDNServerUpdates == 0 {
				// Updates off: nothing is announced (no lease is copied).
				noChanges(t, names)
				return
			}
			c := nextChanges(t, names)
			if len(c) != 1 || !c[0].New.FQDNFwd || !c[0].New.FQDNRev {
				t.Errorf("lease written: %s, want fqdn-fwd and fqdn-rev", describeChanges(c))
			}
		})
	}
}

func describeChanges(cs []Change) string {
	var b strings.Builder
	for _, c := range cs {
		b.WriteString("\n\t")
		for i, l := range []*lease.Lease{c.Old, c.New} {
			if i == 1 {
				b.WriteString(" -> ")
			}
			if l == nil {
				b.WriteString("nil")
			} else {
				b.WriteString(l.String())
			}
		}
	}
	return b.String()
}
