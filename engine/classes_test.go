package engine

import (
	"context"
	"testing"
	"time"

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
