//go:build linux

package dnsupdate

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/miekg/dns"

	"github.com/leased/leased/config"
	"github.com/leased/leased/control"
	"github.com/leased/leased/ddns/ncr"
	"github.com/leased/leased/internal/testnet"
)

// d2For is a DhcpDdns section whose forward and reverse domains are
// named's zones, updated with its key under the given algorithm.
func d2For(n *testnet.Named, alg, secret string, bits uint32) *config.DhcpDdns {
	srv := []config.DNSServer{{Addr: n.Addr.Addr(), Port: n.Addr.Port()}}
	return &config.DhcpDdns{
		DNSServerTimeout: 200,
		TSIGKeys:         []config.TSIGKey{{Name: n.KeyName, Algorithm: alg, DigestBits: bits, Secret: config.Secret(secret)}},
		Forward:          []config.DdnsDomain{{Name: "example.org.", KeyName: n.KeyName, Servers: srv}},
		Reverse:          []config.DdnsDomain{{Name: "2.0.192.in-addr.arpa.", KeyName: n.KeyName, Servers: srv}},
	}
}

// harness runs an Updater until the test ends and hands back each
// request's outcome.
type harness struct {
	u    *Updater
	done chan outcome
}

type outcome struct {
	r   ncr.Request
	err error
}

func start(t *testing.T, c *config.DhcpDdns, o Options) *harness {
	t.Helper()
	h := &harness{done: make(chan outcome, 64)}
	o.Done = func(r ncr.Request, err error) { h.done <- outcome{r, err} }
	u, err := New(c, nil, o)
	if err != nil {
		t.Fatal(err)
	}
	h.u = u
	ctx, cancel := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	wg.Add(1)
	go func() { defer wg.Done(); u.Run(ctx) }()
	t.Cleanup(func() { cancel(); wg.Wait() })
	return h
}

// do sends r and waits for its outcome.
func (h *harness) do(t *testing.T, r ncr.Request) error {
	t.Helper()
	if err := h.u.Send(r); err != nil {
		t.Fatalf("Send(%s): %v", r.String(), err)
	}
	return h.wait(t)
}

func (h *harness) wait(t *testing.T) error {
	t.Helper()
	select {
	case o := <-h.done:
		return o.err
	case <-time.After(30 * time.Second):
		t.Fatalf("no outcome after 30 s; queue %+v", h.u.Queue())
		return nil
	}
}

// request is a request for the client with MAC mac, DHCID from its
// hardware address.
func request(t *testing.T, typ ncr.Type, name, addr, mac string, mode ncr.Mode) ncr.Request {
	t.Helper()
	hw, err := net.ParseMAC(mac)
	if err != nil {
		t.Fatal(err)
	}
	fqdn := dns.Fqdn(name)
	id, err := ncr.DHCIDFromHWAddr(1, hw, fqdn)
	if err != nil {
		t.Fatal(err)
	}
	return ncr.Request{Type: typ, Forward: true, Reverse: true, FQDN: fqdn, Addr: netip.MustParseAddr(addr),
		DHCID: id, TTL: 1200, Mode: mode}
}

func reverseOf(t *testing.T, addr string) string {
	t.Helper()
	r, err := dns.ReverseAddr(addr)
	if err != nil {
		t.Fatal(err)
	}
	return r
}

// records is what named holds at a name and at the reverse name of an
// address, in presentation form.
func records(t *testing.T, n *testnet.Named, name, addr string) string {
	t.Helper()
	var all []string
	for _, q := range []struct {
		name string
		typ  uint16
	}{{name, dns.TypeA}, {name, dns.TypeDHCID}, {reverseOf(t, addr), dns.TypePTR}, {reverseOf(t, addr), dns.TypeDHCID}} {
		all = append(all, n.Lookup(t, q.name, q.typ)...)
	}
	return strings.Join(all, "\n")
}

func dhcidText(r ncr.Request) string {
	rr := &dns.DHCID{Digest: encode(r.DHCID)}
	return rr.Digest
}

func encode(b []byte) string {
	return (&txn{r: &ncr.Request{DHCID: b}}).dhcid(".", 1, 0).(*dns.DHCID).Digest
}

// TestModes runs each conflict-resolution mode against named: a client's
// add, a second client claiming the same name, and the removals.
func TestModes(t *testing.T) {
	n := testnet.StartNamed(t, testnet.NamedOptions{})
	h := start(t, d2For(n, "HMAC-SHA256", n.Secret, 0), Options{})
	for i, tc := range []struct {
		mode ncr.Mode
		// taken: whether the second client gets the name.
		taken bool
	}{
		{ncr.CheckWithDHCID, false},
		{ncr.NoCheckWithDHCID, true},
		{ncr.CheckExistsWithDHCID, true},
		{ncr.NoCheckWithoutDHCID, true},
	} {
		t.Run(tc.mode.String(), func(t *testing.T) {
			name := fmt.Sprintf("host%d.example.org", i)
			addr1, addr2 := fmt.Sprintf("192.0.2.%d", 10+i), fmt.Sprintf("192.0.2.%d", 20+i)
			c1 := request(t, ncr.Add, name, addr1, "08:00:27:11:22:33", tc.mode)
			c2 := request(t, ncr.Add, name, addr2, "08:00:27:44:55:66", tc.mode)
			if err := h.do(t, c1); err != nil {
				t.Fatalf("first client's add: %v", err)
			}
			withDHCID := tc.mode != ncr.NoCheckWithoutDHCID
			want := []string{fmt.Sprintf("%s. 1200 IN A %s", name, addr1)}
			if withDHCID {
				want = append(want, fmt.Sprintf("%s. 1200 IN DHCID %s", name, dhcidText(c1)))
			}
			want = append(want, fmt.Sprintf("%s 1200 IN PTR %s.", reverseOf(t, addr1), name))
			if withDHCID {
				want = append(want, fmt.Sprintf("%s 1200 IN DHCID %s", reverseOf(t, addr1), dhcidText(c1)))
			}
			if got := records(t, n, name, addr1); got != strings.Join(want, "\n") {
				t.Fatalf("after the first add:\n%s\nwant:\n%s", got, strings.Join(want, "\n"))
			}

			err := h.do(t, c2)
			a := n.Lookup(t, name, dns.TypeA)
			ptr2 := n.Lookup(t, reverseOf(t, addr2), dns.TypePTR)
			if tc.taken {
				if err != nil {
					t.Fatalf("second client's add: %v", err)
				}
				if len(a) != 1 || !strings.HasSuffix(a[0], " A "+addr2) || len(ptr2) != 1 {
					t.Fatalf("second client did not get the name: A %q, its PTR %q", a, ptr2)
				}
			} else {
				if !errors.Is(err, ErrRefused) {
					t.Fatalf("second client's add: %v, want ErrRefused", err)
				}
				if len(a) != 1 || !strings.HasSuffix(a[0], " A "+addr1) || len(ptr2) != 0 {
					t.Fatalf("second client took the name: A %q, its PTR %q", a, ptr2)
				}
				// The first client's identity is needed to remove it.
				r := c2
				r.Type, r.Addr = ncr.Remove, netip.MustParseAddr(addr1)
				if err := h.do(t, r); err != nil {
					t.Fatalf("removal by the wrong client: %v", err)
				}
				if a := n.Lookup(t, name, dns.TypeA); len(a) != 1 {
					t.Fatalf("removal by the wrong client removed A: %q", a)
				}
			}

			owner, addr := c1, addr1
			if tc.taken {
				owner, addr = c2, addr2
			}
			owner.Type = ncr.Remove
			if err := h.do(t, owner); err != nil {
				t.Fatalf("remove: %v", err)
			}
			if got := records(t, n, name, addr); got != "" {
				t.Fatalf("after the removal:\n%s", got)
			}
		})
	}
	s := h.u.Stats()
	if s.Pending != 0 || s.UpdateSent == 0 || s.UpdateSigned != s.UpdateSent || s.UpdateSuccess != s.UpdateSent {
		t.Errorf("stats %+v", s)
	}
}

// TestAlgorithms updates through named with a key of each algorithm,
// and with a MAC truncated to digest-bits.
func TestAlgorithms(t *testing.T) {
	for _, tc := range []struct {
		kea, bind string
		bits      uint32
	}{
		{"HMAC-MD5", "hmac-md5", 0},
		{"HMAC-SHA1", "hmac-sha1", 0},
		{"HMAC-SHA224", "hmac-sha224", 0},
		{"HMAC-SHA256", "hmac-sha256", 0},
		{"HMAC-SHA384", "hmac-sha384", 0},
		{"HMAC-SHA512", "hmac-sha512", 0},
		{"HMAC-SHA256", "hmac-sha256-128", 128},
	} {
		t.Run(tc.bind, func(t *testing.T) {
			n := testnet.StartNamed(t, testnet.NamedOptions{Algorithm: tc.bind})
			h := start(t, d2For(n, tc.kea, n.Secret, tc.bits), Options{})
			r := request(t, ncr.Add, "alg.example.org", "192.0.2.77", "08:00:27:00:00:01", ncr.CheckWithDHCID)
			if err := h.do(t, r); err != nil {
				t.Fatalf("add: %v", err)
			}
			if a := n.Lookup(t, "alg.example.org", dns.TypeA); len(a) != 1 {
				t.Fatalf("A = %q", a)
			}
		})
	}
}

// TestWrongKey checks that updates signed with a secret named does not
// know are refused, tried three times, and not kept for later.
func TestWrongKey(t *testing.T) {
	n := testnet.StartNamed(t, testnet.NamedOptions{})
	h := start(t, d2For(n, "HMAC-SHA256", "d3Jvbmcgc2VjcmV0IHdyb25nIHNlY3JldA==", 0), Options{})
	err := h.do(t, request(t, ncr.Add, "wrong.example.org", "192.0.2.78", "08:00:27:00:00:02", ncr.CheckWithDHCID))
	if !errors.Is(err, errBadAnswer) {
		t.Fatalf("add with a wrong key: %v, want a refused key", err)
	}
	if a := n.Lookup(t, "wrong.example.org", dns.TypeA); len(a) != 0 {
		t.Fatalf("A = %q", a)
	}
	if s := h.u.Stats(); s.UpdateError != triesPerServer || s.Failed != 1 || s.Retried != 0 || s.Pending != 0 {
		t.Errorf("stats %+v", s)
	}
}

// TestServerDown checks that updates owed while named is down wait in
// the queue and are made when it is back.
func TestServerDown(t *testing.T) {
	n := testnet.StartNamed(t, testnet.NamedOptions{})
	addr, secret := n.Addr, n.Secret
	n.Stop()
	h := start(t, d2For(n, "HMAC-SHA256", secret, 0), Options{RetryMin: 100 * time.Millisecond, RetryMax: 200 * time.Millisecond})
	r := request(t, ncr.Add, "late.example.org", "192.0.2.79", "08:00:27:00:00:03", ncr.CheckWithDHCID)
	if err := h.u.Send(r); err != nil {
		t.Fatal(err)
	}
	for deadline := time.Now().Add(30 * time.Second); h.u.Stats().Retried == 0; time.Sleep(20 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("not retried: %+v", h.u.Stats())
		}
	}
	if s := h.u.Stats(); s.Pending != 1 || s.Completed != 0 || s.Failed != 0 {
		t.Fatalf("while named is down: %+v", s)
	}
	q := h.u.Queue()
	if len(q) != 1 || q[0].Tries == 0 || q[0].Request.FQDN != r.FQDN {
		t.Fatalf("queue while named is down: %+v", q)
	}
	ans := QueueAnswer(q)
	b, err := json.Marshal(ans.Arguments)
	if err != nil || ans.Result != control.Success || !strings.Contains(string(b), `"fqdn":"late.example.org."`) || !strings.Contains(string(b), `"unanswered-tries":`) {
		t.Fatalf("ddns-queue-get answer %d %s (%v)", ans.Result, b, err)
	}
	n = testnet.StartNamed(t, testnet.NamedOptions{Port: int(addr.Port()), Secret: secret})
	if err := h.wait(t); err != nil {
		t.Fatalf("add after named came back: %v", err)
	}
	if a := n.Lookup(t, "late.example.org", dns.TypeA); len(a) != 1 {
		t.Fatalf("A = %q", a)
	}
}

// TestOrderPerDHCID sends an add, a remove and an add again for one
// client at once: they run one after another, in order.
func TestOrderPerDHCID(t *testing.T) {
	n := testnet.StartNamed(t, testnet.NamedOptions{})
	h := start(t, d2For(n, "HMAC-SHA256", n.Secret, 0), Options{})
	add := request(t, ncr.Add, "order.example.org", "192.0.2.80", "08:00:27:00:00:04", ncr.CheckWithDHCID)
	rm := add
	rm.Type = ncr.Remove
	add2 := add
	add2.Addr = netip.MustParseAddr("192.0.2.81")
	if err := h.u.Send(add, rm, add2); err != nil {
		t.Fatal(err)
	}
	var order []string
	for range 3 {
		select {
		case o := <-h.done:
			if o.err != nil {
				t.Fatalf("%s: %v", o.r.String(), o.err)
			}
			order = append(order, o.r.Type.String()+" "+o.r.Addr.String())
		case <-time.After(30 * time.Second):
			t.Fatal("timeout")
		}
	}
	if got := strings.Join(order, ", "); got != "add 192.0.2.80, remove 192.0.2.80, add 192.0.2.81" {
		t.Fatalf("order: %s", got)
	}
	if a := n.Lookup(t, "order.example.org", dns.TypeA); len(a) != 1 || !strings.HasSuffix(a[0], " 192.0.2.81") {
		t.Fatalf("A = %q", a)
	}
}

// TestReconfigure checks that a new configuration applies to the next
// transaction: a request for a zone the first one lacks is refused, and
// made once the zone is configured.
func TestReconfigure(t *testing.T) {
	n := testnet.StartNamed(t, testnet.NamedOptions{Zones: []string{"example.org", "example.net", "2.0.192.in-addr.arpa"}})
	c := d2For(n, "HMAC-SHA256", n.Secret, 0)
	h := start(t, c, Options{})
	r := request(t, ncr.Add, "host.example.net", "192.0.2.90", "08:00:27:00:00:05", ncr.CheckWithDHCID)
	if err := h.u.Send(r); !errors.Is(err, ErrNoDomain) {
		t.Fatalf("request outside the domains: %v, want ErrNoDomain", err)
	}
	c2 := *c
	c2.Forward = append([]config.DdnsDomain{{Name: "example.net.", KeyName: n.KeyName, Servers: c.Forward[0].Servers}}, c.Forward...)
	if err := h.u.Reconfigure(&c2); err != nil {
		t.Fatal(err)
	}
	if err := h.do(t, r); err != nil {
		t.Fatalf("after Reconfigure: %v", err)
	}
	if a := n.Lookup(t, "host.example.net", dns.TypeA); len(a) != 1 {
		t.Fatalf("A = %q", a)
	}
	bad := c2
	bad.TSIGKeys = []config.TSIGKey{{Name: n.KeyName, Algorithm: "HMAC-SHA3", Secret: "c2VjcmV0"}}
	if err := h.u.Reconfigure(&bad); err == nil {
		t.Fatal("Reconfigure accepted an unknown algorithm")
	}
}

// blackHole is a UDP socket on loopback that counts the datagrams it
// gets and answers each with answer (nothing when nil).
func blackHole(t *testing.T, answer func(q []byte) []byte) (netip.AddrPort, func() int) {
	t.Helper()
	c, err := net.ListenUDP("udp", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1)})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	var mu sync.Mutex
	n := 0
	go func() {
		buf := make([]byte, 65535)
		for {
			k, from, err := c.ReadFromUDPAddrPort(buf)
			if err != nil {
				return
			}
			mu.Lock()
			n++
			mu.Unlock()
			if answer != nil {
				c.WriteToUDPAddrPort(answer(buf[:k]), from)
			}
		}
	}()
	return c.LocalAddr().(*net.UDPAddr).AddrPort(), func() int { mu.Lock(); defer mu.Unlock(); return n }
}

// TestFailover puts a server that never answers, or answers with what
// does not verify, before named in the domain's list: each gets three
// tries, then named makes the update.
func TestFailover(t *testing.T) {
	n := testnet.StartNamed(t, testnet.NamedOptions{})
	for _, tc := range []struct {
		name   string
		answer func([]byte) []byte
	}{
		{"silent", nil},
		{"unsigned answers", func(q []byte) []byte {
			var m dns.Msg
			if m.Unpack(q) != nil {
				return []byte{0}
			}
			r := new(dns.Msg)
			r.SetRcode(&m, dns.RcodeSuccess)
			b, _ := r.Pack()
			return b
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			hole, count := blackHole(t, tc.answer)
			c := d2For(n, "HMAC-SHA256", n.Secret, 0)
			c.DNSServerTimeout = 100
			for _, d := range [][]config.DdnsDomain{c.Forward, c.Reverse} {
				d[0].Servers = append([]config.DNSServer{{Addr: hole.Addr(), Port: hole.Port()}}, d[0].Servers...)
			}
			h := start(t, c, Options{})
			name := "failover-" + strings.ReplaceAll(tc.name, " ", "-") + ".example.org"
			if err := h.do(t, request(t, ncr.Add, name, "192.0.2.95", "08:00:27:00:00:06", ncr.NoCheckWithDHCID)); err != nil {
				t.Fatalf("add: %v", err)
			}
			if a := n.Lookup(t, name, dns.TypeA); len(a) != 1 {
				t.Fatalf("A = %q", a)
			}
			// Three tries of the forward step, three of the reverse.
			if got := count(); got != 2*triesPerServer {
				t.Errorf("the first server got %d updates, want %d", got, 2*triesPerServer)
			}
			s := h.u.Stats()
			if tc.answer == nil && s.UpdateTimeout != 2*triesPerServer || tc.answer != nil && s.UpdateError != 2*triesPerServer {
				t.Errorf("stats %+v", s)
			}
		})
	}
}

// TestJournal checks that a request owed when the updater stops (named
// down) is in the journal and made by the next updater, and that the
// journal forgets the requests made.
func TestJournal(t *testing.T) {
	n := testnet.StartNamed(t, testnet.NamedOptions{})
	addr, secret := n.Addr, n.Secret
	n.Stop()
	path := filepath.Join(t.TempDir(), "ncr.journal")
	j, pending, err := ncr.OpenJournal(path)
	if err != nil || len(pending) != 0 {
		t.Fatalf("OpenJournal: %v, %d pending", err, len(pending))
	}
	c := d2For(n, "HMAC-SHA256", secret, 0)
	u, err := New(c, nil, Options{Journal: j, RetryMin: 50 * time.Millisecond, RetryMax: 100 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	ran := make(chan struct{})
	go func() { defer close(ran); u.Run(ctx) }()
	owed := request(t, ncr.Add, "owed.example.org", "192.0.2.97", "08:00:27:00:00:07", ncr.CheckWithDHCID)
	if err := u.Send(owed); err != nil {
		t.Fatal(err)
	}
	for deadline := time.Now().Add(20 * time.Second); u.Stats().Retried == 0; time.Sleep(20 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("not retried: %+v", u.Stats())
		}
	}
	cancel()
	<-ran
	j.Close()

	j, pending, err = ncr.OpenJournal(path)
	if err != nil || len(pending) != 1 || pending[0].FQDN != owed.FQDN {
		t.Fatalf("after the stop the journal holds %v (%v), want the owed add", pending, err)
	}
	n = testnet.StartNamed(t, testnet.NamedOptions{Port: int(addr.Port()), Secret: secret})
	h := &harness{done: make(chan outcome, 8)}
	if h.u, err = New(c, pending, Options{Journal: j, Done: func(r ncr.Request, err error) { h.done <- outcome{r, err} }}); err != nil {
		t.Fatal(err)
	}
	ctx, cancel = context.WithCancel(context.Background())
	ran = make(chan struct{})
	go func() { defer close(ran); h.u.Run(ctx) }()
	defer func() { cancel(); <-ran }()
	if err := h.wait(t); err != nil {
		t.Fatalf("the owed add after the restart: %v", err)
	}
	other := request(t, ncr.Add, "other.example.org", "192.0.2.98", "08:00:27:00:00:08", ncr.CheckWithDHCID)
	if err := h.do(t, other); err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{"owed.example.org", "other.example.org"} {
		if a := n.Lookup(t, name, dns.TypeA); len(a) != 1 {
			t.Fatalf("%s: A = %q", name, a)
		}
	}
	j.Close()
	if _, pending, err = ncr.OpenJournal(path); err != nil || len(pending) != 0 {
		t.Fatalf("the journal still holds %v (%v) after every request was made", pending, err)
	}
}

// TestJournalOutOfOrder: a request that finishes after a later one
// (another DHCID, a slower server) takes the journal's watermark past
// both, so that neither is made again after a restart.
func TestJournalOutOfOrder(t *testing.T) {
	noError := func(q []byte) []byte {
		var m dns.Msg
		if m.Unpack(q) != nil {
			return nil
		}
		r := new(dns.Msg)
		r.SetRcode(&m, dns.RcodeSuccess)
		b, _ := r.Pack()
		return b
	}
	release := make(chan struct{})
	slow, _ := blackHole(t, func(q []byte) []byte { <-release; return noError(q) })
	fast, _ := blackHole(t, noError)
	c := &config.DhcpDdns{DNSServerTimeout: 10000, Forward: []config.DdnsDomain{
		{Name: "slow.example.", Servers: []config.DNSServer{{Addr: slow.Addr(), Port: slow.Port()}}},
		{Name: "fast.example.", Servers: []config.DNSServer{{Addr: fast.Addr(), Port: fast.Port()}}},
	}}
	path := filepath.Join(t.TempDir(), "ncr.journal")
	j, _, err := ncr.OpenJournal(path)
	if err != nil {
		t.Fatal(err)
	}
	h := start(t, c, Options{Journal: j})
	first := request(t, ncr.Add, "a.slow.example", "192.0.2.1", "08:00:27:00:00:11", ncr.NoCheckWithDHCID)
	second := request(t, ncr.Add, "b.fast.example", "192.0.2.2", "08:00:27:00:00:12", ncr.NoCheckWithDHCID)
	first.Reverse, second.Reverse = false, false
	if err := h.u.Send(first, second); err != nil {
		t.Fatal(err)
	}
	for _, want := range []ncr.Request{second, first} {
		select {
		case o := <-h.done:
			if o.err != nil || o.r.FQDN != want.FQDN {
				t.Fatalf("finished %s (%v), want %s first", o.r.String(), o.err, want.String())
			}
		case <-time.After(30 * time.Second):
			t.Fatalf("%s not finished; queue %+v", want.String(), h.u.Queue())
		}
		if want.FQDN == second.FQDN {
			close(release)
		}
	}
	j.Close()
	if _, pending, err := ncr.OpenJournal(path); err != nil || len(pending) != 0 {
		t.Fatalf("after both requests were made the journal holds %v (%v)", pending, err)
	}
}
