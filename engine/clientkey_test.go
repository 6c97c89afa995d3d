package engine

import (
	"testing"

	"github.com/leased/leased/dhcpv4"
)

// TestClientKey checks what sets the offer table's client key apart from
// dhcpserver's worker hash: a client identifier and a hardware address
// with the same bytes are two clients, and so are two hardware addresses
// of different hardware types.
func TestClientKey(t *testing.T) {
	hw := mac("02:00:00:00:00:44")
	key := func(htype byte, cid []byte) uint64 {
		t.Helper()
		var b dhcpv4.Builder
		b.Begin(make([]byte, 600), dhcpv4.BootRequest, dhcpv4.Discover, 1)
		b.SetCHAddr(htype, hw)
		if cid != nil {
			b.AddOption(dhcpv4.OptionClientID, cid)
		}
		msg, err := b.Finish()
		if err != nil {
			t.Fatal(err)
		}
		var p dhcpv4.Packet
		if err := p.Decode(msg); err != nil {
			t.Fatal(err)
		}
		return clientKey(&p)
	}
	byHW := key(1, nil)
	if byHW != key(1, nil) {
		t.Error("one client, two keys")
	}
	if byHW == key(1, hw) {
		t.Error("a client identifier equal to another client's hardware address gives the same key")
	}
	if byHW == key(6, nil) {
		t.Error("one hardware address of two hardware types gives the same key")
	}
	if key(1, []byte{1, 2, 3}) != key(6, []byte{1, 2, 3}) {
		t.Error("a client identifier's key depends on the hardware type")
	}
}
