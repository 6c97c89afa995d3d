package dhcptest_test

import (
	"bytes"
	"testing"

	"github.com/leased/leased/dhcpserver/dhcptest"
	"github.com/leased/leased/dhcpv4"
)

// TestBuildOnValues checks that a Message builds straight from a composite
// literal or from Rival's result, without a variable or an & first (Build
// and MustBuild have value receivers), and builds the same bytes as through
// a pointer.
func TestBuildOnValues(t *testing.T) {
	fromLiteral := dhcptest.Message{Type: dhcpv4.Discover, XID: 5, CHAddr: mac}.MustBuild()
	fromPointer := (&dhcptest.Message{Type: dhcpv4.Discover, XID: 5, CHAddr: mac}).MustBuild()
	if !bytes.Equal(fromLiteral, fromPointer) {
		t.Errorf("a Message literal builds\n%x\nthrough a pointer\n%x", fromLiteral, fromPointer)
	}
	rival, err := dhcptest.Rival(dhcpv4.Offer, 6, mac, relay, offer).Build()
	if err != nil {
		t.Fatal(err)
	}
	p, err := dhcpv4.Parse(rival)
	if err != nil {
		t.Fatal(err)
	}
	if sid, _ := p.ServerID(); p.MessageType() != dhcpv4.Offer || p.YIAddr() != offer || sid != relay {
		t.Errorf("Rival(...).Build() is a %v of %v from %v", p.MessageType(), p.YIAddr(), sid)
	}
}
