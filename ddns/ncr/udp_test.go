package ncr

import (
	"errors"
	"net"
	"net/netip"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func loopback(t *testing.T) *Receiver {
	t.Helper()
	rc, err := Listen(netip.MustParseAddrPort("127.0.0.1:0"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { rc.Close() })
	return rc
}

func receive(t *testing.T, rc *Receiver) Request {
	t.Helper()
	rc.conn.SetReadDeadline(time.Now().Add(10 * time.Second))
	r, _, err := rc.Receive()
	if err != nil {
		t.Fatal(err)
	}
	return r
}

func numbered(n int) []Request {
	var reqs []Request
	for i := range n {
		r, _ := ForLease(Add, exampleLease(), TTLParams{TTL: uint32(i + 1)}, CheckWithDHCID)
		reqs = append(reqs, r)
	}
	return reqs
}

func TestSenderToReceiver(t *testing.T) {
	rc := loopback(t)
	s, err := NewSender(SenderConfig{Server: rc.Addr()}, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	reqs := numbered(3)
	if err := s.Send(reqs...); err != nil {
		t.Fatal(err)
	}
	for i := range reqs {
		if got := receive(t, rc); !sameRequest(&got, &reqs[i]) {
			t.Errorf("request %d: got %+v, want %+v", i, got, reqs[i])
		}
	}
	waitStats(t, s, SenderStats{Sent: 3})
}

func waitStats(t *testing.T, s *Sender, want SenderStats) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for s.Stats() != want {
		if time.Now().After(deadline) {
			t.Fatalf("stats %+v, want %+v", s.Stats(), want)
		}
		time.Sleep(time.Millisecond)
	}
}

func TestReceiverRefusesGarbage(t *testing.T) {
	rc := loopback(t)
	c, err := net.Dial("udp", rc.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	c.Write([]byte{0, 2, '{', '}'})
	rc.conn.SetReadDeadline(time.Now().Add(10 * time.Second))
	if _, _, err := rc.Receive(); !errors.Is(err, ErrInvalid) {
		t.Errorf("got %v, want an error wrapping ErrInvalid", err)
	}
	rc.Close()
	if _, _, err := rc.Receive(); !errors.Is(err, net.ErrClosed) {
		t.Errorf("after Close: got %v, want net.ErrClosed", err)
	}
}

// A full queue drops what does not fit and counts it as failed: Send
// takes the room left under the queue's lock, so of five requests given
// at once to a queue of two, two are sent and three fail.
func TestSenderQueueFull(t *testing.T) {
	rc := loopback(t)
	s, err := NewSender(SenderConfig{Server: rc.Addr(), MaxQueue: 2}, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	err = s.Send(numbered(5)...)
	if !errors.Is(err, ErrQueueFull) {
		t.Fatalf("got %v, want ErrQueueFull", err)
	}
	waitStats(t, s, SenderStats{Sent: 2, Failed: 3})
	for i := 0; i < 2; i++ {
		if got := receive(t, rc); got.TTL != uint32(i+1) {
			t.Errorf("datagram %d has TTL %d: not the first requests in order", i, got.TTL)
		}
	}
}

// Requests recorded in the journal and not sent before Close are sent by
// the next sender over the same journal, and only they.
func TestJournalSendsOwedAfterRestart(t *testing.T) {
	path := filepath.Join(t.TempDir(), "ncr.journal")
	j, pending, err := OpenJournal(path)
	if err != nil || len(pending) != 0 {
		t.Fatalf("new journal: %v, %d pending", err, len(pending))
	}
	rc := loopback(t)
	s, err := NewSender(SenderConfig{Server: rc.Addr(), Journal: j}, nil)
	if err != nil {
		t.Fatal(err)
	}
	reqs := numbered(4)
	s.Send(reqs[:2]...)
	receive(t, rc)
	receive(t, rc)
	waitStats(t, s, SenderStats{Sent: 2})
	s.Close()
	// Owed at the crash: two more, recorded but never sent.
	if _, err := j.Append(reqs[2:]); err != nil {
		t.Fatal(err)
	}
	j.Close()
	// A torn line at the end, as a crash inside a write leaves.
	f, _ := os.OpenFile(path, os.O_APPEND|os.O_WRONLY, 0)
	f.WriteString("A 9 {\"change-ty")
	f.Close()

	j, pending, err = OpenJournal(path)
	if err != nil {
		t.Fatal(err)
	}
	if len(pending) != 2 || pending[0].TTL != 3 || pending[1].TTL != 4 {
		t.Fatalf("pending after restart: %+v, want the requests with TTL 3 and 4", pending)
	}
	s, err = NewSender(SenderConfig{Server: rc.Addr(), Journal: j}, pending)
	if err != nil {
		t.Fatal(err)
	}
	for _, ttl := range []uint32{3, 4} {
		if got := receive(t, rc); got.TTL != ttl {
			t.Errorf("after restart: got TTL %d, want %d", got.TTL, ttl)
		}
	}
	waitStats(t, s, SenderStats{Sent: 2})
	s.Close()
	j.Close()
	_, pending, err = OpenJournal(path)
	if err != nil || len(pending) != 0 {
		t.Errorf("after everything was sent: %v, %d pending", err, len(pending))
	}
	data, _ := os.ReadFile(path)
	if strings.Contains(string(data), "A ") {
		t.Errorf("journal still holds requests:\n%s", data)
	}
}
