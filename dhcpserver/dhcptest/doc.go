// Package dhcptest provides utilities for testing DHCP handlers and
// servers, in the manner of net/http/httptest.
//
// A ResponseRecorder records the reply a Handler builds, so that a handler
// can be unit-tested without sockets:
//
//	req, _ := dhcptest.NewRequest(discover)
//	rec := dhcptest.NewRecorder(req)
//	h.ServeDHCP(rec, req)
//	reply, err := rec.Result() // nil when the handler stayed silent
//
// A Server runs a real dhcpserver.Server on a free port of 127.0.0.1, with
// a Client whose port receives everything the server sends, so that a test
// goes through the sockets, the worker pool and the reply routing:
//
//	ts := dhcptest.NewServer(t, h)
//	addr, err := ts.Client.DORA(1, hw)
//
// Message builds client messages for both.
package dhcptest
