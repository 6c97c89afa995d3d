package dhcpserver_test

import (
	"testing"

	"github.com/leased/leased/dhcpserver"
	"github.com/leased/leased/dhcpserver/dhcptest"
	"github.com/leased/leased/dhcpv4"
)

// typeRecorder is a Handler that is not a function: it records the message
// types it is called with.
type typeRecorder struct{ got []dhcpv4.MessageType }

func (m *typeRecorder) ServeDHCP(_ dhcpserver.ResponseWriter, r *dhcpserver.Request) {
	m.got = append(m.got, r.Packet.MessageType())
}

// TestMuxHandlers checks that Mux's fields take any Handler, and that each
// message goes to its type's Handler, or to Other.
func TestMuxHandlers(t *testing.T) {
	var discover, request, decline, inform, release, other typeRecorder
	mux := dhcpserver.Mux{
		Discover: &discover,
		Request:  &request,
		Decline:  &decline,
		Inform:   &inform,
		Release:  &release,
		Other:    &other,
	}
	for _, mt := range []dhcpv4.MessageType{dhcpv4.Discover, dhcpv4.Request, dhcpv4.Decline, dhcpv4.Inform, dhcpv4.Release, dhcpv4.Offer, 0} {
		req, err := dhcptest.NewRequest((&dhcptest.Message{Type: mt, XID: 1, CHAddr: hw(1)}).MustBuild())
		if err != nil {
			t.Fatal(err)
		}
		mux.ServeDHCP(dhcptest.NewRecorder(req), req)
	}
	for _, tt := range []struct {
		name string
		h    *typeRecorder
		want []dhcpv4.MessageType
	}{
		{"Discover", &discover, []dhcpv4.MessageType{dhcpv4.Discover}},
		{"Request", &request, []dhcpv4.MessageType{dhcpv4.Request}},
		{"Decline", &decline, []dhcpv4.MessageType{dhcpv4.Decline}},
		{"Inform", &inform, []dhcpv4.MessageType{dhcpv4.Inform}},
		{"Release", &release, []dhcpv4.MessageType{dhcpv4.Release}},
		{"Other", &other, []dhcpv4.MessageType{dhcpv4.Offer, 0}},
	} {
		if len(tt.h.got) != len(tt.want) || (len(tt.want) > 0 && tt.h.got[0] != tt.want[0]) || (len(tt.want) > 1 && tt.h.got[1] != tt.want[1]) {
			t.Errorf("%s got %v, want %v", tt.name, tt.h.got, tt.want)
		}
	}
	// A Mux with only Other set sends everything there; with nothing set
	// it stays silent.
	req, _ := dhcptest.NewRequest((&dhcptest.Message{Type: dhcpv4.Discover, XID: 2, CHAddr: hw(1)}).MustBuild())
	var only typeRecorder
	dhcpserver.Mux{Other: &only}.ServeDHCP(dhcptest.NewRecorder(req), req)
	rec := dhcptest.NewRecorder(req)
	dhcpserver.Mux{}.ServeDHCP(rec, req)
	if len(only.got) != 1 || rec.Replies() != 0 {
		t.Errorf("Other-only Mux saw %v; empty Mux replied %d times", only.got, rec.Replies())
	}
}
