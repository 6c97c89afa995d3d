package dhcpserver_test

import (
	"sync/atomic"
	"testing"

	"github.com/leased/leased/dhcpserver"
	"github.com/leased/leased/dhcpserver/dhcptest"
	"github.com/leased/leased/dhcpv4"
)

// countingWriter is middleware: it counts the replies started through it
// and unwraps to the ResponseWriter it wraps, without forwarding Defer.
type countingWriter struct {
	dhcpserver.ResponseWriter
	n *atomic.Int32
}

func (w countingWriter) Reply(mt dhcpv4.MessageType) *dhcpv4.Builder {
	w.n.Add(1)
	return w.ResponseWriter.Reply(mt)
}

func (w countingWriter) Unwrap() dhcpserver.ResponseWriter { return w.ResponseWriter }

// opaqueWriter wraps a ResponseWriter and hides it.
type opaqueWriter struct{ dhcpserver.ResponseWriter }

// TestDeferThroughWrappers checks that Defer finds the server's Deferrer
// behind two layers of middleware that implement Unwrap, and that a
// deferred reply started through them is sent.
func TestDeferThroughWrappers(t *testing.T) {
	modes(t, func(t *testing.T, inline bool) {
		var replies atomic.Int32
		got := make(chan dhcpserver.Deferred, 1)
		inner := dhcpserver.HandlerFunc(func(w dhcpserver.ResponseWriter, r *dhcpserver.Request) {
			if _, ok := w.(dhcpserver.Deferrer); ok {
				t.Error("the middleware itself is a Deferrer; the test shows nothing")
			}
			d, ok := dhcpserver.Defer(w)
			if !ok {
				t.Error("Defer through the middleware failed")
				return
			}
			w.Reply(dhcpv4.Offer).SetYIAddr(yiaddr)
			got <- d
		})
		mw := dhcpserver.HandlerFunc(func(w dhcpserver.ResponseWriter, r *dhcpserver.Request) {
			inner.ServeDHCP(countingWriter{countingWriter{w, &replies}, &replies}, r)
		})
		ts := startServer(t, mw, inline, nil)
		go func() {
			if err := (<-got).Send(); err != nil {
				t.Errorf("Send: %v", err)
			}
		}()
		p, err := ts.Client.Exchange((&dhcptest.Message{Type: dhcpv4.Discover, XID: 1, CHAddr: hw(1)}).MustBuild())
		if err != nil {
			t.Fatal(err)
		}
		if p.MessageType() != dhcpv4.Offer || p.YIAddr() != yiaddr || replies.Load() != 2 {
			t.Errorf("got %v for %v after %d Reply calls, want an OFFER of %v after 2", p.MessageType(), p.YIAddr(), replies.Load(), yiaddr)
		}
		waitStats(t, ts.Config, func(st dhcpserver.Stats) bool { return st.Deferred == 1 && st.Sent == 1 })
	})
}

// TestDeferWithoutDeferrer checks that Defer reports false for a
// ResponseWriter that neither defers nor unwraps, and for nil.
func TestDeferWithoutDeferrer(t *testing.T) {
	req, err := dhcptest.NewRequest((&dhcptest.Message{Type: dhcpv4.Discover, XID: 1, CHAddr: hw(1)}).MustBuild())
	if err != nil {
		t.Fatal(err)
	}
	rec := dhcptest.NewRecorder(req)
	if _, ok := dhcpserver.Defer(opaqueWriter{rec}); ok {
		t.Error("Defer through a writer that hides its Deferrer succeeded")
	}
	if _, ok := dhcpserver.Defer(nil); ok {
		t.Error("Defer(nil) succeeded")
	}
	rec.NoDefer = true
	if _, ok := dhcpserver.Defer(countingWriter{rec, new(atomic.Int32)}); ok {
		t.Error("Defer succeeded although the Deferrer refuses")
	}
	rec.NoDefer = false
	if _, ok := dhcpserver.Defer(countingWriter{rec, new(atomic.Int32)}); !ok || !rec.Deferred() {
		t.Error("Defer through a wrapper did not reach the recorder")
	}
}
