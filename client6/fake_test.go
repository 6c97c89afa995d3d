package client6

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"math/rand/v2"
	"net/netip"
	"slices"
	"sync"
	"testing"
	"testing/synctest"
	"time"

	"github.com/leased/leased/dhcpv6"
)

// The unit tests run a Client on fake time (testing/synctest) over an
// in-memory Transport; the test plays the server.

var (
	testDUID   = dhcpv6.NewDUIDLL(dhcpv6.HardwareTypeEthernet, []byte{2, 0, 0x5e, 0, 0, 1})
	serverDUID = dhcpv6.NewDUIDLL(dhcpv6.HardwareTypeEthernet, []byte{2, 0, 0x5e, 0, 0, 0x99})
	otherDUID  = dhcpv6.NewDUIDLL(dhcpv6.HardwareTypeEthernet, []byte{2, 0, 0x5e, 0, 0, 0x98})
	addr1      = netip.MustParseAddr("2001:db8:1::10")
	prefix1    = netip.MustParsePrefix("2001:db8:ff00::/56")
)

type sent struct {
	msg *dhcpv6.Message
	dst netip.Addr
	at  time.Time
}

type fakeConn struct {
	out    chan sent
	in     chan []byte
	closed chan struct{}
	once   sync.Once
}

func (f *fakeConn) Open() (Conn, error) { return f, nil }

func (f *fakeConn) Send(msg []byte, dst netip.Addr) error {
	m, err := dhcpv6.Parse(slices.Clone(msg))
	if err != nil {
		return err
	}
	f.out <- sent{msg: m, dst: dst, at: time.Now()}
	return nil
}

func (f *fakeConn) Receive(b []byte) (int, error) {
	select {
	case m := <-f.in:
		return copy(b, m), nil
	case <-f.closed:
		return 0, errors.New("closed")
	}
}

func (f *fakeConn) Close() error {
	f.once.Do(func() { close(f.closed) })
	return nil
}

type harness struct {
	t      *testing.T
	c      *Client
	conn   *fakeConn
	events chan Event
	cancel context.CancelFunc
	errc   chan error
}

// start runs a client with cfg on the fake transport; its Action records
// every event.
func start(t *testing.T, cfg Config) *harness {
	t.Helper()
	h := &harness{t: t, conn: &fakeConn{out: make(chan sent, 100), in: make(chan []byte, 10), closed: make(chan struct{})}, events: make(chan Event, 100)}
	cfg.Transport = h.conn
	if cfg.DUID == nil {
		cfg.DUID = testDUID
	}
	cfg.Rand = rand.New(rand.NewPCG(1, 2))
	if testing.Verbose() {
		cfg.Logger = slog.New(slog.NewTextHandler(t.Output(), &slog.HandlerOptions{Level: slog.LevelDebug}))
	} else {
		cfg.Logger = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	record := ActionFunc(func(_ context.Context, ev Event) error { h.events <- ev; return nil })
	if cfg.Action == nil {
		cfg.Action = record
	} else {
		cfg.Action = Actions{record, cfg.Action}
	}
	c, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	h.c = c
	ctx, cancel := context.WithCancel(context.Background())
	h.cancel = cancel
	h.errc = make(chan error, 1)
	go func() { h.errc <- c.Run(ctx) }()
	t.Cleanup(h.stop)
	return h
}

func (h *harness) stop() {
	h.cancel()
	if err := <-h.errc; err != nil {
		h.t.Errorf("Run: %v", err)
	}
	h.errc <- nil
}

// status returns the client's status once everything in the bubble
// waits, so that the client has published what it did.
func (h *harness) status() Status {
	synctest.Wait()
	return h.c.Status()
}

// next waits for the client's next message.
func (h *harness) next() sent {
	h.t.Helper()
	select {
	case s := <-h.out():
		return s
	case <-time.After(24 * time.Hour):
		h.t.Fatal("the client sent nothing for a day")
	}
	return sent{}
}

func (h *harness) out() chan sent { return h.conn.out }

// expect waits for the next message and checks its type.
func (h *harness) expect(mt dhcpv6.MessageType) sent {
	h.t.Helper()
	s := h.next()
	if s.msg.Type() != mt {
		h.t.Fatalf("client sent %v, want %v", s.msg.Type(), mt)
	}
	return s
}

// noMessage checks that the client sends nothing for d.
func (h *harness) noMessage(d time.Duration) {
	h.t.Helper()
	select {
	case s := <-h.out():
		h.t.Fatalf("client sent %v", s.msg.Type())
	case <-time.After(d):
	}
}

// event waits for the next Action event and checks its kind.
func (h *harness) event(k EventKind) Event {
	h.t.Helper()
	select {
	case ev := <-h.events:
		if ev.Kind != k {
			h.t.Fatalf("event %v, want %v", ev.Kind, k)
		}
		return ev
	case <-time.After(24 * time.Hour):
		h.t.Fatalf("no %v event", k)
	}
	return Event{}
}

// answer sends the client a server message of type mt answering req,
// with what add writes after the identifiers.
func (h *harness) answer(req sent, mt dhcpv6.MessageType, add func(b *dhcpv6.Builder)) {
	h.t.Helper()
	h.answerFrom(serverDUID, req, mt, add)
}

func (h *harness) answerFrom(sid dhcpv6.DUID, req sent, mt dhcpv6.MessageType, add func(b *dhcpv6.Builder)) {
	h.t.Helper()
	var b dhcpv6.Builder
	b.Begin(make([]byte, 0, 1500), mt, req.msg.TransactionID())
	b.AddOption(dhcpv6.OptionServerID, sid)
	b.AddOption(dhcpv6.OptionClientID, testDUID)
	if add != nil {
		add(&b)
	}
	msg, err := b.Finish()
	if err != nil {
		h.t.Fatal(err)
	}
	h.conn.in <- msg
}

// grant writes an IA_NA with addr and an IA_PD with prefix1 (unless
// noPD), with T1 t1, T2 t2 and lifetimes valid (preferred: half of it).
func grant(iaid uint32, addr netip.Addr, pdid uint32, t1, t2, valid uint32) func(b *dhcpv6.Builder) {
	return func(b *dhcpv6.Builder) {
		if addr.IsValid() {
			b.BeginIA(dhcpv6.OptionIANA, iaid, t1, t2)
			b.BeginIAAddr(addr, valid/2, valid)
			b.End()
			b.End()
		}
		if pdid != 0 {
			b.BeginIA(dhcpv6.OptionIAPD, pdid, t1, t2)
			b.BeginIAPrefix(prefix1, valid/2, valid)
			b.End()
			b.End()
		}
	}
}

func both(fs ...func(b *dhcpv6.Builder)) func(b *dhcpv6.Builder) {
	return func(b *dhcpv6.Builder) {
		for _, f := range fs {
			f(b)
		}
	}
}

// ias lists the IAs of type code in a message as IAID → its addresses or
// prefixes as strings.
func ias(m *dhcpv6.Message, code dhcpv6.OptionCode) map[uint32][]string {
	out := map[uint32][]string{}
	for ia := range m.Options().IAs(code) {
		out[ia.IAID] = []string{}
		for a := range ia.Addresses() {
			out[ia.IAID] = append(out[ia.IAID], a.Addr.String())
		}
		for p := range ia.Prefixes() {
			out[ia.IAID] = append(out[ia.IAID], p.Prefix.String())
		}
	}
	return out
}
