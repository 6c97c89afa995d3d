package engine

import (
	"context"
	"testing"
	"time"

	"github.com/leased/leased/config"
	"github.com/leased/leased/dhcpserver"
	"github.com/leased/leased/dhcpserver/dhcptest"
	"github.com/leased/leased/dhcpv4"
	"github.com/leased/leased/lease/memfile"
)

// haSplitConfig is Kea's documented load-balancing layout: one pool per
// server, guarded by the HA_<server> class the HA hook gives each query,
// and a class whose test asks member('HA_server2').
const haSplitConfig = `{"Dhcp4": {
	"valid-lifetime": 3600,
	"client-classes": [{"name": "second", "test": "member('HA_server2')",
		"option-data": [{"name": "domain-name", "data": "second.example"}]}],
	"subnet4": [{"id": 1, "subnet": "192.0.2.0/24", "interface": "test0",
		"pools": [
			{"pool": "192.0.2.100 - 192.0.2.149", "client-classes": ["HA_server1"]},
			{"pool": "192.0.2.150 - 192.0.2.199", "client-classes": ["HA_server2"]}]}]}}`

// TestClassesBeforeClassification: the classes Options.Classes gives a
// message (here by the last byte of chaddr, as the HA split would) guard
// pools and are seen by class tests, as the HA_<server> classes Kea's HA
// hook sets in buffer4_receive are.
func TestClassesBeforeClassification(t *testing.T) {
	store, err := memfile.Open(memfile.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { store.Close() })
	classes := func(r *dhcpserver.Request, c ClassAdder) {
		hw := r.Packet.CHAddr()
		if hw[len(hw)-1]%2 == 1 {
			c.AddClass("HA_server1")
		} else {
			c.AddClass("HA_server2")
		}
	}
	clk := &clock{t: time.Unix(1_800_000_000, 0)}
	srv, err := New(context.Background(), loadConfig(t, haSplitConfig), store, &Options{Now: clk.now, Classes: classes})
	if err != nil {
		t.Fatal(err)
	}
	f := &fixture{t: t, srv: srv, store: store, clock: clk}
	prl := dhcptest.Option{Code: dhcpv4.OptionParameterList, Value: []byte{1, 3, 15}}
	for i := 1; i <= 6; i++ {
		hw := mac("02:00:00:00:00:0" + string(rune('0'+i)))
		off := f.send(dhcptest.Message{Type: dhcpv4.Discover, XID: 1, CHAddr: hw, Options: []dhcptest.Option{prl}})
		if off == nil || off.Packet.MessageType() != dhcpv4.Offer {
			t.Fatalf("client %v: no OFFER: %+v", hw, off)
		}
		a := off.Packet.YIAddr()
		dn, _ := off.Packet.Option(dhcpv4.OptionDomainName)
		if i%2 == 1 {
			if !inRange(a, "192.0.2.100", "192.0.2.149") || len(dn) != 0 {
				t.Errorf("client %v of HA_server1: offered %v with domain-name %q, want server1's pool and none", hw, a, dn)
			}
		} else if !inRange(a, "192.0.2.150", "192.0.2.199") || string(dn) != "second.example" {
			t.Errorf("client %v of HA_server2: offered %v with domain-name %q, want server2's pool and second.example", hw, a, dn)
		}
	}
}

// TestSubnetSelected: Options.SubnetSelected sees the subnet chosen for
// a message; it may add a class that guards the pools, or turn the
// message down, which is then not answered and counted as not for us.
func TestSubnetSelected(t *testing.T) {
	store, err := memfile.Open(memfile.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { store.Close() })
	rec := &dropRecorder{}
	var seen []uint32
	selected := func(r *dhcpserver.Request, sn *config.Subnet, c ClassAdder) bool {
		seen = append(seen, sn.ID)
		if r.Packet.CHAddr()[5] == 9 {
			return false
		}
		c.AddClass("HA_server2")
		return true
	}
	clk := &clock{t: time.Unix(1_800_000_000, 0)}
	srv, err := New(context.Background(), loadConfig(t, haSplitConfig), store, &Options{Now: clk.now, Metrics: rec, SubnetSelected: selected})
	if err != nil {
		t.Fatal(err)
	}
	f := &fixture{t: t, srv: srv, store: store, clock: clk}
	if a := f.dora(mac("02:00:00:00:00:01")); !inRange(a, "192.0.2.150", "192.0.2.199") {
		t.Errorf("client given HA_server2 at subnet selection got %v, outside server2's pool", a)
	}
	if off := f.send(dhcptest.Message{Type: dhcpv4.Discover, XID: 3, CHAddr: mac("02:00:00:00:00:09")}); off != nil {
		t.Errorf("client turned down at subnet selection: answered %v", off.Packet.MessageType())
	}
	if len(rec.reasons) != 1 || rec.reasons[0] != DropNotForUs {
		t.Errorf("drops %v, want one DropNotForUs", rec.reasons)
	}
	if len(seen) != 3 || seen[0] != 1 {
		t.Errorf("subnets seen %v, want subnet 1 for each of the 3 messages", seen)
	}
}
