// Package dhcptest provides utilities for testing DHCP handlers and
// servers, in the manner of net/http/httptest.
//
// # Quick start
//
// A test of a handler h through a real server on a free port of
// 127.0.0.1, with a client that goes through DISCOVER, OFFER, REQUEST and
// ACK:
//
//	func TestHandler(t *testing.T) {
//		ts := dhcptest.NewServer(t, h) // closed when the test ends
//		addr, err := ts.Client.DORA(1, net.HardwareAddr{2, 0, 0, 0, 0, 1})
//		if err != nil {
//			t.Fatal(err)
//		}
//		if addr != want {
//			t.Errorf("leased %v, want %v", addr, want)
//		}
//	}
//
// The server's replies all reach the Client, broadcasts and replies to
// relays included, so that a test goes through the sockets, the worker
// pool and the reply routing. Client.Exchange sends any message and
// returns the reply.
//
// A ResponseRecorder tests a handler without sockets: it plays the
// server's ResponseWriter (starting replies as the server does, with
// option 54) and shows the reply and where the server would send it:
//
//	req, _ := dhcptest.NewRequest(discover)
//	rec := dhcptest.NewRecorder(req)
//	h.ServeDHCP(rec, req)
//	reply, err := rec.Result() // nil when the handler stayed silent
//
// Message builds the messages for both: a client's, or with Rival another
// server's OFFER, ACK or NAK, for a handler that watches for them.
package dhcptest
