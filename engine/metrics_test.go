package engine

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/leased/leased/dhcpserver/dhcptest"
	"github.com/leased/leased/dhcpv4"
	"github.com/leased/leased/lease/memfile"
)

// countingMetrics records the replies counted sent and the drops.
type countingMetrics struct {
	noMetrics
	mu    sync.Mutex
	sent  map[dhcpv4.MessageType]int
	drops map[DropReason]int
}

func (m *countingMetrics) Sent(mt dhcpv4.MessageType) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.sent[mt]++
}

func (m *countingMetrics) Dropped(r DropReason) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.drops[r]++
}

// counts returns the ACKs counted sent and the requests counted dropped
// because their leases were not durable.
func (m *countingMetrics) counts() (acks, notDurable int) {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.sent[dhcpv4.Ack], m.drops[DropNotDurable]
}

// TestAckCountedWhenSent checks that an ACK counts as sent only once its
// lease is durable and it is sent: one whose lease cannot be synced, and
// which is therefore cancelled (deferred) or never built (not deferred),
// counts as dropped for DropNotDurable and not as sent.
func TestAckCountedWhenSent(t *testing.T) {
	for _, tc := range []struct {
		deferred, fail bool
	}{{true, false}, {true, true}, {false, false}, {false, true}} {
		t.Run(fmt.Sprintf("deferred=%v,fail=%v", tc.deferred, tc.fail), func(t *testing.T) {
			mem, err := memfile.Open(memfile.Options{Path: t.TempDir() + "/leases", Persist: true})
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { mem.Close() })
			st := &recordingStore{Store: mem, log: &eventLog{}}
			m := &countingMetrics{sent: map[dhcpv4.MessageType]int{}, drops: map[DropReason]int{}}
			srv, err := New(context.Background(), loadConfig(t, testConfig), st, &Options{Metrics: m})
			if err != nil {
				t.Fatal(err)
			}
			hw := mac("02:00:00:00:00:33")
			off := serve(t, srv, &loggingWriter{log: st.log, id: -1}, dhcptest.Message{Type: dhcpv4.Discover, XID: 1, CHAddr: hw})
			if off == nil {
				t.Fatal("no OFFER")
			}
			st.mu.Lock()
			st.fail = tc.fail
			st.mu.Unlock()
			msg := dhcptest.Message{Type: dhcpv4.Request, XID: 2, CHAddr: hw, RequestedIP: off.Packet.YIAddr(), ServerID: serverAddr}
			req, err := dhcptest.NewRequest(msg.MustBuild())
			if err != nil {
				t.Fatal(err)
			}
			rec := dhcptest.NewRecorder(req)
			rec.NoDefer = !tc.deferred
			srv.ServeDHCP(rec, req)
			rep, err := rec.Result()
			if err != nil {
				t.Fatal(err)
			}
			if got := rep != nil; got == tc.fail {
				t.Fatalf("ACK sent %v with a failing store %v", got, tc.fail)
			}
			wantAcks, wantDrops := 1, 0
			if tc.fail {
				wantAcks, wantDrops = 0, 1
			}
			// The committer counts a deferred ACK after it has sent or
			// cancelled it, which the recorder sees first.
			deadline := time.Now().Add(10 * time.Second)
			acks, drops := m.counts()
			for (acks != wantAcks || drops != wantDrops) && time.Now().Before(deadline) {
				time.Sleep(time.Millisecond)
				acks, drops = m.counts()
			}
			if acks != wantAcks || drops != wantDrops {
				t.Errorf("ACKs counted sent %d, requests dropped as not durable %d; want %d and %d", acks, drops, wantAcks, wantDrops)
			}
		})
	}
}
