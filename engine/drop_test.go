package engine

import (
	"context"
	"sync"
	"testing"

	"github.com/leased/leased/dhcpserver/dhcptest"
	"github.com/leased/leased/dhcpv4"
	"github.com/leased/leased/lease/memfile"
)

// dropRecorder records the reasons the server gives for drops.
type dropRecorder struct {
	noMetrics
	mu      sync.Mutex
	reasons []DropReason
}

func (d *dropRecorder) Dropped(reason DropReason) {
	d.mu.Lock()
	defer d.mu.Unlock()
	d.reasons = append(d.reasons, reason)
}

// TestBootReplyCountedAsDropped: a BOOTREPLY that reaches the server (its
// own OFFER, when a client names the server's address as giaddr) is not
// answered and is counted as a drop, so that every message received is
// answered or counted.
func TestBootReplyCountedAsDropped(t *testing.T) {
	store, err := memfile.Open(memfile.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer store.Close()
	rec := &dropRecorder{}
	srv, err := New(context.Background(), loadConfig(t, testConfig), store, &Options{Metrics: rec})
	if err != nil {
		t.Fatal(err)
	}
	var bld dhcpv4.Builder
	bld.Begin(make([]byte, 1500), dhcpv4.BootReply, dhcpv4.Offer, 7)
	bld.SetCHAddr(1, mac("02:00:00:00:00:07"))
	msg, err := bld.Finish()
	if err != nil {
		t.Fatal(err)
	}
	req, err := dhcptest.NewRequest(msg)
	if err != nil {
		t.Fatal(err)
	}
	w := dhcptest.NewRecorder(req)
	srv.ServeDHCP(w, req)
	if w.Replies() != 0 {
		t.Error("the server answered a BOOTREPLY")
	}
	if len(rec.reasons) != 1 {
		t.Errorf("drops counted for a BOOTREPLY: %q, want one", rec.reasons)
	}
}
