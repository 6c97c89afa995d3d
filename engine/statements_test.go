package engine

import (
	"context"
	"errors"
	"fmt"
	"net/netip"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/leased/leased/dhcpserver/dhcptest"
	"github.com/leased/leased/dhcpv4"
	"github.com/leased/leased/lease"
	"github.com/leased/leased/lease/memfile"
)

// stmts counts statements sent to a lease database, by kind.
type stmts struct{ Select, Insert, Update, Delete int64 }

func (s stmts) sub(o stmts) stmts {
	return stmts{s.Select - o.Select, s.Insert - o.Insert, s.Update - o.Update, s.Delete - o.Delete}
}

func (s stmts) String() string {
	return fmt.Sprintf("%d SELECT, %d INSERT, %d UPDATE, %d DELETE", s.Select, s.Insert, s.Update, s.Delete)
}

// countingStore wraps a store, says it is shared (as a database is), and
// counts each call as the one statement an SQL store sends for it (see
// lease/pgsql and lease/mysql; a guarded write that matches no row sends
// a second one, a SELECT, to tell a changed row from a missing one: not
// counted here, and not on the paths measured). A write the store refuses
// before sending it (lease.ErrStateUnsupported) is not counted.
type countingStore struct {
	lease.Store
	sel, ins, upd, del atomic.Int64
	// paged counts the Page calls that have returned: the scan a shared
	// store gets at start (markInBackground) is one on an empty store.
	paged atomic.Int64
}

func (s *countingStore) Shared() bool { return true }

func (s *countingStore) count() stmts {
	return stmts{s.sel.Load(), s.ins.Load(), s.upd.Load(), s.del.Load()}
}

// sent counts a write unless the store refused it before sending it.
func sent(n *atomic.Int64, err error) error {
	if !errors.Is(err, lease.ErrStateUnsupported) {
		n.Add(1)
	}
	return err
}

func (s *countingStore) Get(ctx context.Context, a netip.Addr, l *lease.Lease) (bool, error) {
	s.sel.Add(1)
	return s.Store.Get(ctx, a, l)
}

func (s *countingStore) GetByHWAddr(ctx context.Context, id uint32, hw []byte, l *lease.Lease) (bool, error) {
	s.sel.Add(1)
	return s.Store.GetByHWAddr(ctx, id, hw, l)
}

func (s *countingStore) GetByClientID(ctx context.Context, id uint32, cid []byte, l *lease.Lease) (bool, error) {
	s.sel.Add(1)
	return s.Store.GetByClientID(ctx, id, cid, l)
}

func (s *countingStore) FindByHWAddr(ctx context.Context, hw []byte) ([]lease.Lease, error) {
	s.sel.Add(1)
	return s.Store.FindByHWAddr(ctx, hw)
}

func (s *countingStore) FindByClientID(ctx context.Context, cid []byte) ([]lease.Lease, error) {
	s.sel.Add(1)
	return s.Store.FindByClientID(ctx, cid)
}

func (s *countingStore) FindByHostname(ctx context.Context, name string) ([]lease.Lease, error) {
	s.sel.Add(1)
	return s.Store.FindByHostname(ctx, name)
}

func (s *countingStore) Page(ctx context.Context, after netip.Addr, id uint32, limit int) ([]lease.Lease, error) {
	s.sel.Add(1)
	defer s.paged.Add(1)
	return s.Store.Page(ctx, after, id, limit)
}

func (s *countingStore) Add(ctx context.Context, l *lease.Lease, d lease.Durability) error {
	return sent(&s.ins, s.Store.Add(ctx, l, d))
}

func (s *countingStore) Put(ctx context.Context, l *lease.Lease, d lease.Durability) error {
	return sent(&s.ins, s.Store.Put(ctx, l, d))
}

func (s *countingStore) Update(ctx context.Context, prev, l *lease.Lease, d lease.Durability) error {
	return sent(&s.upd, s.Store.Update(ctx, prev, l, d))
}

func (s *countingStore) Delete(ctx context.Context, a netip.Addr, prev *lease.Lease, d lease.Durability) error {
	return sent(&s.del, s.Store.Delete(ctx, a, prev, d))
}

// statementsConfig is one subnet whose clients are identified by client
// identifier when they send one (Kea's default), no lease cache, and no
// lease affinity: a released lease is deleted, in every store alike (Kea
// 2.2's SQL schemas have no released state).
func statementsConfig(offerLifetime int) string {
	return fmt.Sprintf(`{"Dhcp4": {"valid-lifetime": 3600, "authoritative": true, "cache-threshold": 0, "offer-lifetime": %d,
		"expired-leases-processing": {"hold-reclaimed-time": 0},
		"subnet4": [{"id": 1, "subnet": "192.0.2.0/24", "interface": "test0", "pools": [{"pool": "192.0.2.10 - 192.0.2.249"}]}]}}`, offerLifetime)
}

// statementStep is one message and the statements it cost.
type statementStep struct {
	name string
	got  stmts
}

// statementSteps sends, on a fresh server on store (a countingStore, or
// one wrapping a database, whose statements count tells), the messages
// of one client's life: DISCOVER and REQUEST of a new client, a renewal,
// a rebooting client's REQUEST (INIT-REBOOT), DISCOVER and REQUEST of the
// known client, its RELEASE, and a DORA of a new client that sends a
// client identifier; with offerLifetime, only the new client's DORA. It
// returns what each message cost.
func statementSteps(t *testing.T, store *countingStore, count func() stmts, offerLifetime int) []statementStep {
	t.Helper()
	clk := &clock{t: time.Unix(1_800_000_000, 0)}
	f := sharedEngine(t, store, clk, statementsConfig(offerLifetime))
	// The scan of the store at start (markInBackground) is over once its
	// one Page, on the empty store, has returned.
	for deadline := time.Now().Add(30 * time.Second); store.paged.Load() == 0; time.Sleep(time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatal("the scan of the shared store at start did not end")
		}
	}
	var steps []statementStep
	step := func(name string, m dhcptest.Message, want dhcpv4.MessageType) netip.Addr {
		t.Helper()
		before := count()
		r := f.send(m)
		steps = append(steps, statementStep{name, count().sub(before)})
		if want == 0 {
			if r != nil {
				t.Fatalf("%s: %s, want no reply", name, replyType(r))
			}
			return netip.Addr{}
		}
		if r == nil || r.Packet.MessageType() != want {
			t.Fatalf("%s: %s, want %v", name, replyType(r), want)
		}
		return r.Packet.YIAddr()
	}
	hw := mac("02:00:00:00:00:01")
	a := step("DISCOVER, new client", dhcptest.Message{Type: dhcpv4.Discover, XID: 1, CHAddr: hw}, dhcpv4.Offer)
	step("REQUEST after OFFER, new client", dhcptest.Message{Type: dhcpv4.Request, XID: 2, CHAddr: hw, RequestedIP: a, ServerID: serverAddr}, dhcpv4.Ack)
	if offerLifetime > 0 {
		return steps
	}
	clk.add(10 * time.Minute)
	step("renewal REQUEST", dhcptest.Message{Type: dhcpv4.Request, XID: 3, CHAddr: hw, CIAddr: a}, dhcpv4.Ack)
	clk.add(time.Minute)
	step("INIT-REBOOT REQUEST, known client", dhcptest.Message{Type: dhcpv4.Request, XID: 4, CHAddr: hw, RequestedIP: a}, dhcpv4.Ack)
	clk.add(time.Minute)
	if got := step("DISCOVER, known client", dhcptest.Message{Type: dhcpv4.Discover, XID: 5, CHAddr: hw}, dhcpv4.Offer); got != a {
		t.Fatalf("the known client is offered %v, want its lease's %v", got, a)
	}
	step("REQUEST after OFFER, known client", dhcptest.Message{Type: dhcpv4.Request, XID: 6, CHAddr: hw, RequestedIP: a, ServerID: serverAddr}, dhcpv4.Ack)
	step("RELEASE", dhcptest.Message{Type: dhcpv4.Release, XID: 7, CHAddr: hw, CIAddr: a, ServerID: serverAddr}, 0)
	if _, ok := f.lease(a); ok {
		t.Fatalf("the lease of %v is still there after its RELEASE", a)
	}
	hw2 := mac("02:00:00:00:00:02")
	cid := append([]byte{1}, hw2...)
	b := step("DISCOVER, new client with client-id", dhcptest.Message{Type: dhcpv4.Discover, XID: 8, CHAddr: hw2, ClientID: cid}, dhcpv4.Offer)
	step("REQUEST after OFFER, new client with client-id", dhcptest.Message{Type: dhcpv4.Request, XID: 9, CHAddr: hw2, ClientID: cid, RequestedIP: b, ServerID: serverAddr}, dhcpv4.Ack)
	return steps
}

// statementBudget is what each message of statementSteps may cost at
// most: the reads and writes the engine needs with several servers on one
// database (see shared.go).
var statementBudget = map[string]stmts{
	// The client's lease by hardware address, the candidate address.
	"DISCOVER, new client": {Select: 2},
	// The INSERT's unique key checks that the address is still free.
	"REQUEST after OFFER, new client":   {Insert: 1},
	"renewal REQUEST":                   {Select: 1, Update: 1},
	"INIT-REBOOT REQUEST, known client": {Select: 1, Update: 1},
	// The client's lease, which holds the address it is offered.
	"DISCOVER, known client": {Select: 1},
	// The UPDATE's guard checks that the lease is still the one seen.
	"REQUEST after OFFER, known client": {Update: 1},
	"RELEASE":                           {Select: 1, Delete: 1},
	// By client-id, by hardware address (a lease the client got without
	// one), the candidate.
	"DISCOVER, new client with client-id":            {Select: 3},
	"REQUEST after OFFER, new client with client-id": {Insert: 1},
	// The offer is written: an INSERT whose unique key checks the
	// address, then an UPDATE guarded by the offer's row.
	"DISCOVER, new client, offer-lifetime":            {Select: 2, Insert: 1},
	"REQUEST after OFFER, new client, offer-lifetime": {Update: 1},
}

// offerSuffix names the steps' configuration in statementBudget.
func offerSuffix(offerLifetime int) string {
	if offerLifetime > 0 {
		return "offer-lifetime"
	}
	return ""
}

// checkStatements compares the steps with statementBudget, and logs
// them as a table.
func checkStatements(t *testing.T, suffix string, steps []statementStep) {
	t.Helper()
	var dora stmts
	for _, s := range steps {
		name := s.name
		if suffix != "" {
			name += ", " + suffix
		}
		t.Logf("%-55s %v", name, s.got)
		want, ok := statementBudget[name]
		if !ok {
			t.Errorf("%s: no budget", name)
		}
		if s.got != want {
			t.Errorf("%s: %v, want %v", name, s.got, want)
		}
		if strings.HasSuffix(s.name, "new client") {
			dora = stmts{dora.Select + s.got.Select, dora.Insert + s.got.Insert, dora.Update + s.got.Update, dora.Delete + s.got.Delete}
		}
	}
	t.Logf("%-55s %v", "DORA of a new client", dora)
}

// TestSharedStoreStatements: the statements each message costs a shared
// store, counted by a wrapping store, stay within statementBudget; a
// change that reads the database more often per lease fails here.
func TestSharedStoreStatements(t *testing.T) {
	for _, offer := range []int{0, 60} {
		m, err := memfile.Open(memfile.Options{})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { m.Close() })
		store := &countingStore{Store: m}
		checkStatements(t, offerSuffix(offer), statementSteps(t, store, store.count, offer))
	}
}
