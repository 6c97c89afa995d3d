package daemon

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/leased/leased/control"
	"github.com/leased/leased/ha"
	"github.com/leased/leased/lease"
	"github.com/leased/leased/lease/memfile"
)

// storeLeases gives the HA service a bare lease store as its engine:
// durable writes, no allocators to keep in step.
type storeLeases struct{ lease.Store }

func (s storeLeases) LeaseStore() lease.Store { return s.Store }

func (s storeLeases) AddLease(ctx context.Context, l *lease.Lease) error {
	return s.Store.Add(ctx, l, lease.Durable)
}

func (s storeLeases) UpdateLease(ctx context.Context, l *lease.Lease, _ bool) (bool, error) {
	return false, s.Store.Put(ctx, l, lease.Durable)
}

// fakePartner answers the commands of a lease sync as a Kea 2.2 partner
// behind kea-ctrl-agent does, from its leases, and records them.
type fakePartner struct {
	mu       sync.Mutex
	leases   []lease.Lease // in address order
	commands []string
	// failPage, when not 0, answers that page with result 1.
	failPage int
	pages    int
	// onPage, when set, runs before each page is answered.
	onPage func()
}

func (f *fakePartner) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(r.Body)
	var cmd control.Command
	if err := json.Unmarshal(body, &cmd); err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	var resp control.Response
	switch cmd.Command {
	case ha.CmdDHCPDisable, ha.CmdDHCPEnable:
		f.commands = append(f.commands, cmd.Command)
		resp = control.OK("done")
	case ha.CmdLease4GetPage:
		from, limit, err := ha.DecodeGetPage(cmd.Arguments)
		if err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		f.commands = append(f.commands, fmt.Sprintf("%s from %v", cmd.Command, from))
		f.pages++
		if f.onPage != nil {
			f.onPage()
		}
		if f.pages == f.failPage {
			resp = control.Errorf("page refused")
			break
		}
		var page []lease.Lease
		for _, l := range f.leases {
			if (!from.IsValid() || from.Less(l.Addr)) && uint32(len(page)) < limit {
				page = append(page, l)
			}
		}
		resp = ha.PageResponse(ha.Kea22, page)
	case ha.CmdSyncCompleteNotify:
		// As a partner that does not know the command answers.
		f.commands = append(f.commands, cmd.Command)
		resp = control.Answer(control.Unsupported, "'ha-sync-complete-notify' command not supported.", nil)
	default:
		resp = control.Errorf("unexpected %s", cmd.Command)
	}
	b, _ := ha.EncodeAnswer(resp)
	w.Header().Set("Content-Type", "application/json")
	w.Write(b)
}

func testLease(addr string, hw byte, cltt int64) lease.Lease {
	return lease.Lease{Addr: netip.MustParseAddr(addr), HWType: 1, HWAddr: []byte{2, 0, 0, 0, 0, hw},
		SubnetID: 1, ValidLifetime: 600, CLTT: cltt}
}

// TestHASyncLeases runs this server's side of a lease sync against a
// partner: a dhcp-disable before each page, pages of sync-page-limit
// leases from "start" and then from each page's last address, a short
// page ending it; each lease added when the address has none here,
// replacing an older local lease (cltt), not a newer one; a local lease
// the partner lacks kept; ha-sync-complete-notify, and dhcp-enable when
// the partner does not know it. A failed page ends the sync with an
// error and dhcp-enable.
func TestHASyncLeases(t *testing.T) {
	partner := &fakePartner{leases: []lease.Lease{
		testLease("192.0.2.10", 0xa0, 200), testLease("192.0.2.11", 0xa1, 200),
		testLease("192.0.2.12", 0xa2, 200), testLease("192.0.2.13", 0xa3, 200), testLease("192.0.2.14", 0xa4, 200),
	}}
	srv := httptest.NewServer(partner)
	defer srv.Close()
	params := fmt.Sprintf(`{"high-availability": [{"this-server-name": "server2", "mode": "hot-standby", "sync-page-limit": 2,
		"peers": [{"name": "server1", "url": "%s/", "role": "primary"},
		          {"name": "server2", "url": "http://127.0.0.2:8000/", "role": "standby"}]}]}`, srv.URL)
	s, cfg := haServiceOf(t, params)
	store, err := memfile.Open(memfile.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer store.Close()
	ctx := context.Background()
	for _, l := range []lease.Lease{
		testLease("192.0.2.10", 0xb0, 100), // older: replaced
		testLease("192.0.2.11", 0xb1, 300), // newer: kept
		testLease("192.0.2.50", 0xb2, 100), // the partner has none: kept
	} {
		if err := store.Add(ctx, &l, lease.Durable); err != nil {
			t.Fatal(err)
		}
	}
	s.leases = storeLeases{store}
	c, err := ha.NewClient(cfg.Relationships[0].Peer("server1"), ha.Kea22)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()

	if err := s.syncLeases(ctx, c, time.Minute); err != nil {
		t.Fatal(err)
	}
	want := "dhcp-disable, lease4-get-page from invalid IP, dhcp-disable, lease4-get-page from 192.0.2.11, " +
		"dhcp-disable, lease4-get-page from 192.0.2.13, ha-sync-complete-notify, dhcp-enable"
	if got := strings.Join(partner.commands, ", "); got != want {
		t.Errorf("commands to the partner:\n%s\nwant\n%s", got, want)
	}
	for addr, hw := range map[string]byte{"192.0.2.10": 0xa0, "192.0.2.11": 0xb1, "192.0.2.12": 0xa2,
		"192.0.2.13": 0xa3, "192.0.2.14": 0xa4, "192.0.2.50": 0xb2} {
		var l lease.Lease
		if ok, err := store.Get(ctx, netip.MustParseAddr(addr), &l); !ok || err != nil || l.HWAddr[5] != hw {
			t.Errorf("%s after the sync: %v %v, held for %v, want ...:%02x", addr, ok, err, net.HardwareAddr(l.HWAddr), hw)
		}
	}

	partner.commands, partner.pages, partner.failPage = nil, 0, 2
	err = s.syncLeases(ctx, c, time.Minute)
	if err == nil || !strings.Contains(err.Error(), "page 2") {
		t.Errorf("sync with a refused page: %v, want an error naming page 2", err)
	}
	want = "dhcp-disable, lease4-get-page from invalid IP, dhcp-disable, lease4-get-page from 192.0.2.11, dhcp-enable"
	if got := strings.Join(partner.commands, ", "); got != want {
		t.Errorf("commands to the partner in a failed sync:\n%s\nwant\n%s", got, want)
	}
}

// TestHAFlushBacklogDrains sends a communication-recovery backlog to a
// partner while clients keep queueing updates: the flush goes on until
// the backlog is empty, in order, so that the updates queued while it
// ran are not dropped with the backlog when the machine leaves the state.
func TestHAFlushBacklogDrains(t *testing.T) {
	// A leased partner takes the backlog in bulk requests; a Kea partner
	// answers those with result 2 and gets lease4-update, one a lease.
	t.Run("leased", func(t *testing.T) {
		testHAFlushBacklogDrains(t, true, "leased-lease4-bulk-apply 192.0.2.10, leased-lease4-bulk-apply 192.0.2.11 192.0.2.12")
	})
	t.Run("kea", func(t *testing.T) {
		testHAFlushBacklogDrains(t, false, "leased-lease4-bulk-apply 192.0.2.10, lease4-update 192.0.2.10, lease4-update 192.0.2.11, lease4-update 192.0.2.12")
	})
}

func testHAFlushBacklogDrains(t *testing.T, bulk bool, want string) {
	var (
		mu   sync.Mutex
		got  []string
		hold = make(chan struct{})
		held = make(chan struct{})
	)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var cmd control.Command
		if err := json.NewDecoder(r.Body).Decode(&cmd); err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		var a struct {
			IP     string `json:"ip-address"`
			Leases []struct {
				IP string `json:"ip-address"`
			} `json:"leases"`
		}
		json.Unmarshal(cmd.Arguments, &a)
		what := cmd.Command + " " + a.IP
		if cmd.Command == ha.CmdLeaseBulkApply {
			what = cmd.Command
			for _, l := range a.Leases {
				what += " " + l.IP
			}
		}
		mu.Lock()
		got = append(got, what)
		first := len(got) == 1
		mu.Unlock()
		if first {
			close(held)
			<-hold
		}
		resp := control.OK("IPv4 lease updated.")
		if cmd.Command == ha.CmdLeaseBulkApply {
			resp = ha.BulkApplyResponse(len(a.Leases), ha.BulkApplyAnswer{})
			if !bulk {
				resp = control.Answer(control.Unsupported, "'"+cmd.Command+"' command not supported.", nil)
			}
		}
		b, _ := ha.EncodeAnswer(resp)
		w.Header().Set("Content-Type", "application/json")
		w.Write(b)
	}))
	defer srv.Close()
	params := fmt.Sprintf(`{"high-availability": [{"this-server-name": "server2", "mode": "load-balancing", "delayed-updates-limit": 10,
		"peers": [{"name": "server1", "url": "%s/", "role": "primary"},
		          {"name": "server2", "url": "http://127.0.0.2:8000/", "role": "secondary"}]}]}`, srv.URL)
	s, cfg := haServiceOf(t, params)
	c, err := ha.NewClient(cfg.Relationships[0].Peer("server1"), ha.Kea22)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	s.slots = map[string]chan struct{}{"server1": make(chan struct{}, haInFlight)}
	queue := func(addr string) {
		l := testLease(addr, 1, 100)
		s.mu.Lock()
		s.backlog = append(s.backlog, haChange{l: &l})
		s.mu.Unlock()
	}
	queue("192.0.2.10")
	done := make(chan error, 1)
	go func() { done <- s.flushBacklog(context.Background(), c) }()
	<-held
	queue("192.0.2.11") // a client served while the first update is under way
	queue("192.0.2.12")
	close(hold)
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	mu.Lock()
	defer mu.Unlock()
	if g := strings.Join(got, ", "); g != want {
		t.Errorf("updates the partner received:\n%s\nwant\n%s", g, want)
	}
	if len(s.backlog) != 0 {
		t.Errorf("%d updates left in the backlog", len(s.backlog))
	}
}

// TestHASyncCommandDisablesService: while an operator's ha-sync fetches
// the partner's leases, this server answers no client (Kea runs the sync
// in the command's handler, on the thread that reads DHCP queries); its
// service is back on once the sync ended, whether it succeeded or not.
func TestHASyncCommandDisablesService(t *testing.T) {
	partner := &fakePartner{leases: []lease.Lease{testLease("192.0.2.10", 0xa0, 200), testLease("192.0.2.11", 0xa1, 200)}}
	srv := httptest.NewServer(partner)
	defer srv.Close()
	params := fmt.Sprintf(`{"high-availability": [{"this-server-name": "server2", "mode": "load-balancing", "sync-page-limit": 1, "sync-leases": false,
		"peers": [{"name": "server1", "url": "%s/", "role": "primary"},
		          {"name": "server2", "url": "http://127.0.0.2:8000/", "role": "secondary"}]}]}`, srv.URL)
	s, cfg := haServiceOf(t, params)
	loadBalancing(t, s)
	store, err := memfile.Open(memfile.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer store.Close()
	s.leases = storeLeases{store}
	c, err := ha.NewClient(cfg.Relationships[0].Peer("server1"), ha.Kea22)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	s.clients = map[string]*ha.Client{"server1": c}
	if s.gate.off.Load() {
		t.Fatal("the service is off in load-balancing before the sync")
	}
	var during []bool
	var reasons []string
	partner.onPage = func() {
		during = append(during, s.gate.off.Load())
		reasons = append(reasons, s.status()[0].Servers.Local.Reason)
	}
	for _, failPage := range []int{0, 2} {
		partner.pages, partner.failPage, during, reasons = 0, failPage, nil, nil
		r := s.cmdSync(context.Background(), json.RawMessage(`{"server-name": "server1"}`))
		if (r.Result == control.Success) != (failPage == 0) {
			t.Errorf("ha-sync (page %d refused): %d %q", failPage, r.Result, r.Text)
		}
		if len(during) == 0 {
			t.Fatal("no page was asked for")
		}
		for i, off := range during {
			if !off {
				t.Errorf("ha-sync (page %d refused): the service was on during page %d", failPage, i+1)
			}
			if !strings.Contains(reasons[i], "ha-sync") {
				t.Errorf("ha-sync (page %d refused): status-get's reason during page %d is %q, which does not name the ha-sync", failPage, i+1, reasons[i])
			}
		}
		if s.gate.off.Load() {
			t.Errorf("ha-sync (page %d refused): the service is still off after the sync", failPage)
		}
	}
}
