//go:build linux

package dnsupdate

import (
	"errors"
	"fmt"
	"net"
	"net/netip"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/miekg/dns"

	"github.com/leased/leased/config"
	"github.com/leased/leased/ddns/ncr"
	"github.com/leased/leased/internal/testnet"
)

// heldServer is a DNS server on loopback that reads every UPDATE as it
// comes but answers none (each with rcode(m), in order) until release
// says so, given the owner names of the messages read so far.
func heldServer(t *testing.T, release func(seen map[string]bool) bool, rcode func(*dns.Msg) int) (netip.AddrPort, func() int) {
	t.Helper()
	c, err := net.ListenUDP("udp", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1)})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	var mu sync.Mutex
	n := 0
	go func() {
		type held struct {
			m    *dns.Msg
			from netip.AddrPort
		}
		var queue []held
		seen := map[string]bool{}
		open := false
		buf := make([]byte, 65535)
		for {
			if !open {
				c.SetReadDeadline(time.Now().Add(5 * time.Millisecond))
			} else {
				c.SetReadDeadline(time.Time{})
			}
			k, from, err := c.ReadFromUDPAddrPort(buf)
			if err == nil {
				var m dns.Msg
				if m.Unpack(buf[:k]) == nil {
					mu.Lock()
					n++
					mu.Unlock()
					for _, name := range ownerNames(&m) {
						seen[name] = true
					}
					queue = append(queue, held{&m, from})
				}
			} else if ne, ok := err.(net.Error); !ok || !ne.Timeout() {
				return
			}
			if !open {
				open = release(seen)
			}
			if open {
				for _, h := range queue {
					h.m.Response = true
					h.m.Rcode = rcode(h.m)
					out, _ := h.m.Pack()
					c.WriteToUDPAddrPort(out, h.from)
				}
				queue = queue[:0]
			}
		}
	}()
	return c.LocalAddr().(*net.UDPAddr).AddrPort(), func() int { mu.Lock(); defer mu.Unlock(); return n }
}

// allForwardSent is heldServer's release: every forward step of the n
// requests has been sent or waits in its lane.
func allForwardSent(u *atomic.Pointer[Updater], n int) func(map[string]bool) bool {
	return func(seen map[string]bool) bool {
		up := u.Load()
		if up == nil {
			return false
		}
		names := map[string]bool{}
		for name := range seen {
			if strings.HasSuffix(name, ".example.org.") {
				names[name] = true
			}
		}
		up.batch.mu.Lock()
		for k, l := range up.batch.lanes {
			if k.zone == "example.org." {
				for _, st := range l.waiting {
					for _, name := range st.names {
						names[name] = true
					}
				}
			}
		}
		up.batch.mu.Unlock()
		return len(names) >= n
	}
}

func batchConfig(addr netip.AddrPort) *config.DhcpDdns {
	srv := []config.DNSServer{{Addr: addr.Addr(), Port: addr.Port()}}
	return &config.DhcpDdns{
		DNSServerTimeout: 20000,
		Forward:          []config.DdnsDomain{{Name: "example.org.", Servers: srv}},
		Reverse:          []config.DdnsDomain{{Name: "2.0.192.in-addr.arpa.", Servers: srv}},
	}
}

func batchRequests(t *testing.T, n int) []ncr.Request {
	var rs []ncr.Request
	for i := range n {
		rs = append(rs, request(t, ncr.Add, fmt.Sprintf("b%d.example.org", i), fmt.Sprintf("192.0.2.%d", 10+i),
			fmt.Sprintf("02:00:00:00:01:%02x", i), ncr.CheckWithDHCID))
	}
	return rs
}

// Steps for one server and zone that wait while messages are in flight
// go out merged in one UPDATE: ten adds (forward and reverse each) take
// fewer than the twenty messages they would take alone, and all are
// done. The server answers nothing until every forward step has been
// sent or waits.
func TestBatchMergesWaitingSteps(t *testing.T) {
	const n = 10
	var u atomic.Pointer[Updater]
	addr, count := heldServer(t, allForwardSent(&u, n), func(*dns.Msg) int { return dns.RcodeSuccess })
	h := start(t, batchConfig(addr), Options{})
	u.Store(h.u)
	if err := h.u.Send(batchRequests(t, n)...); err != nil {
		t.Fatal(err)
	}
	for range n {
		if err := h.wait(t); err != nil {
			t.Errorf("request failed: %v", err)
		}
	}
	if got := count(); got >= 2*n {
		t.Errorf("%d UPDATE messages for %d adds, want fewer than %d (steps merged)", got, n, 2*n)
	}
	if st := h.u.Stats(); st.Batched == 0 {
		t.Errorf("stats %+v: no step was sent merged", st)
	}
}

// A merged message that fails changed nothing: its steps are sent again
// one by one and get their own answers.
func TestBatchFailureSendsEachAlone(t *testing.T) {
	const n = 6
	var mu sync.Mutex
	merged := 0
	// A message with the updates of more than one name fails.
	rcode := func(m *dns.Msg) int {
		if len(ownerNames(m)) > 1 {
			mu.Lock()
			merged++
			mu.Unlock()
			return dns.RcodeServerFailure
		}
		return dns.RcodeSuccess
	}
	var u atomic.Pointer[Updater]
	addr, _ := heldServer(t, allForwardSent(&u, n), rcode)
	h := start(t, batchConfig(addr), Options{})
	u.Store(h.u)
	if err := h.u.Send(batchRequests(t, n)...); err != nil {
		t.Fatal(err)
	}
	for range n {
		if err := h.wait(t); err != nil {
			t.Errorf("request failed: %v", err)
		}
	}
	mu.Lock()
	defer mu.Unlock()
	if merged == 0 {
		t.Error("no merged message was sent")
	}
}

// A merged message never holds two steps for one owner name (two
// clients after one name must be answered one after the other), nor
// more than its bounds.
func TestBatchTakeKeepsNamesApart(t *testing.T) {
	step := func(names ...string) *batchStep {
		m := new(dns.Msg)
		m.SetUpdate("example.org.")
		for _, n := range names {
			m.Ns = append(m.Ns, empty(n, dns.TypeA, dns.ClassANY))
		}
		return &batchStep{m: m, names: ownerNames(m), size: recordsLen(m)}
	}
	l := &lane{waiting: []*batchStep{step("a.example.org."), step("B.example.org."), step("b.example.org."), step("c.example.org.")}}
	first, _ := l.take("example.org.", false)
	if len(first) != 3 || first[0].names[0] != "a.example.org." || first[1].names[0] != "b.example.org." || first[2].names[0] != "c.example.org." {
		t.Errorf("first message: %v, want a, B and c", names(first))
	}
	if second, _ := l.take("example.org.", false); len(second) != 1 || second[0].m.Ns[0].Header().Name != "b.example.org." {
		t.Errorf("second message: %v, want b alone", names(second))
	}
	if rest, _ := l.take("example.org.", false); rest != nil {
		t.Errorf("left: %v", names(rest))
	}
	for _, b := range []struct {
		tcp             bool
		steps, bytes, n int
	}{{false, batchMaxSteps, batchMaxBytes, 3 * batchMaxSteps}, {true, tcpMaxSteps, tcpMaxBytes, 3 * tcpMaxSteps}} {
		for i := range b.n {
			// Long names, so that the bytes bound the message too.
			l.waiting = append(l.waiting, step(fmt.Sprintf("%s-%d.example.org.", strings.Repeat("h", 40+i%20), i)))
		}
		biggest := 0
		for len(l.waiting) > 0 {
			steps, m := l.take("example.org.", b.tcp)
			if len(steps) > b.steps || m.Len() > b.bytes {
				t.Fatalf("tcp %v: a message of %d steps, %d bytes, want at most %d and %d", b.tcp, len(steps), m.Len(), b.steps, b.bytes)
			}
			biggest = max(biggest, len(steps))
		}
		if biggest <= b.steps/4 {
			t.Errorf("tcp %v: the largest message held %d steps, want more than %d", b.tcp, biggest, b.steps/4)
		}
	}
}

func names(steps []*batchStep) [][]string {
	var out [][]string
	for _, st := range steps {
		out = append(out, st.names)
	}
	return out
}

// Hundreds of steps waiting for one zone go out in a few UPDATEs, over
// TCP when they do not fit in UDP, and named applies them all. One step
// among them that named refuses (a name that belongs to another client)
// fails alone: its merged message is sent again in parts until that step
// goes alone, and every other step's records are made.
func TestBatchOverTCPWithNamed(t *testing.T) {
	n := testnet.StartNamed(t, testnet.NamedOptions{Zones: []string{"example.org", "10.in-addr.arpa"}})
	c := d2For(n, "HMAC-SHA256", n.Secret, 0)
	c.Reverse[0].Name = "10.in-addr.arpa."
	// Generous: the machine may be loaded.
	c.DNSServerTimeout = 10000
	h := start(t, c, Options{})
	owner := request(t, ncr.Add, "taken.example.org", "10.0.0.1", "02:00:00:00:00:01", ncr.CheckWithDHCID)
	if err := h.do(t, owner); err != nil {
		t.Fatalf("the owner's add: %v", err)
	}
	const count = 600
	var reqs []ncr.Request
	for i := range count {
		reqs = append(reqs, request(t, ncr.Add, fmt.Sprintf("b%d.example.org", i), fmt.Sprintf("10.1.%d.%d", i/250, 1+i%250),
			fmt.Sprintf("02:00:00:01:%02x:%02x", i>>8, i&255), ncr.CheckWithDHCID))
		if i == count/2 {
			reqs = append(reqs, request(t, ncr.Add, "taken.example.org", "10.0.0.2", "02:00:00:00:00:02", ncr.CheckWithDHCID))
		}
	}
	before := h.u.Stats()
	if err := h.u.Send(reqs...); err != nil {
		t.Fatal(err)
	}
	for range reqs {
		select {
		case o := <-h.done:
			switch {
			case o.r.FQDN == "taken.example.org.":
				if !errors.Is(o.err, ErrRefused) {
					t.Errorf("the second client of taken.example.org: %v, want refused", o.err)
				}
			case o.err != nil:
				t.Errorf("%s: %v", o.r.String(), o.err)
			}
		case <-time.After(60 * time.Second):
			t.Fatalf("no outcome after 60 s; stats %+v", h.u.Stats())
		}
	}
	st := h.u.Stats()
	t.Logf("%d UPDATE messages (%d over TCP) for %d requests", st.UpdateSent-before.UpdateSent, st.SentTCP, len(reqs))
	if st.SentTCP == 0 {
		t.Errorf("stats %+v: no merged message went over TCP", st)
	}
	if sent := st.UpdateSent - before.UpdateSent; sent >= count/2 {
		t.Errorf("%d UPDATE messages for %d adds (forward and reverse each), want far fewer (steps merged)", sent, count)
	}
	for i := range count {
		name, addr := fmt.Sprintf("b%d.example.org.", i), fmt.Sprintf("10.1.%d.%d", i/250, 1+i%250)
		want := fmt.Sprintf("%s 1200 IN A %s", name, addr)
		if got := n.Lookup(t, name, dns.TypeA); len(got) != 1 || got[0] != want {
			t.Fatalf("%s A: %q, want %q", name, got, want)
		}
		want = fmt.Sprintf("%s 1200 IN PTR %s", reverseOf(t, addr), name)
		if got := n.Lookup(t, reverseOf(t, addr), dns.TypePTR); len(got) != 1 || got[0] != want {
			t.Fatalf("%s PTR: %q, want %q", addr, got, want)
		}
	}
	if got := n.Lookup(t, "taken.example.org", dns.TypeA); len(got) != 1 || !strings.HasSuffix(got[0], " A 10.0.0.1") {
		t.Errorf("taken.example.org A: %q, want the owner's 10.0.0.1 only", got)
	}
	if got := n.Lookup(t, reverseOf(t, "10.0.0.2"), dns.TypePTR); len(got) != 0 {
		t.Errorf("the refused client's address has a PTR: %q", got)
	}
}

// A server that takes no TCP (here: none listens on its port) gets its
// merged messages over UDP: the steps of the one that failed over TCP
// are tried again, in UDP-sized messages, and all are done.
func TestBatchWithoutTCP(t *testing.T) {
	const n = 3 * batchMaxSteps
	var u atomic.Pointer[Updater]
	addr, _ := heldServer(t, allForwardSent(&u, n), func(*dns.Msg) int { return dns.RcodeSuccess })
	c := batchConfig(addr)
	c.Reverse = nil
	h := start(t, c, Options{})
	u.Store(h.u)
	var rs []ncr.Request
	for _, r := range batchRequests(t, n) {
		r.Reverse = false
		rs = append(rs, r)
	}
	if err := h.u.Send(rs...); err != nil {
		t.Fatal(err)
	}
	for range n {
		if err := h.wait(t); err != nil {
			t.Errorf("request failed: %v", err)
		}
	}
	h.u.batch.mu.Lock()
	until := h.u.batch.noTCP[addr]
	h.u.batch.mu.Unlock()
	if !until.After(time.Now()) {
		t.Errorf("the server is not marked UDP-only (stats %+v): no merged message was tried over TCP", h.u.Stats())
	}
	if st := h.u.Stats(); st.Completed != n || st.UpdateSent > n/2 {
		t.Errorf("stats %+v: want %d completed in far fewer than %d messages", st, n, n)
	}
}
