package engine

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net/netip"
	"path/filepath"
	"runtime"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/leased/leased/config"
	"github.com/leased/leased/dhcpserver"
	"github.com/leased/leased/dhcpserver/dhcptest"
	"github.com/leased/leased/dhcpv4"
	"github.com/leased/leased/lease"
	"github.com/leased/leased/lease/memfile"
)

// benchConfig is the bench harness's configuration (bench/leased.sh): a
// relayed /16 with the options Kea is configured with there.
const benchConfig = `{"Dhcp4": {
	"valid-lifetime": 7200, "renew-timer": 1800, "rebind-timer": 3600,
	"option-data": [{"name": "domain-name-servers", "data": "192.0.2.1"}],
	"subnet4": [
		{"id": 1, "subnet": "192.0.2.0/24", "interface": "test0", "pools": [{"pool": "192.0.2.100 - 192.0.2.199"}],
		 "option-data": [{"name": "routers", "data": "192.0.2.1"}]},
		{"id": 2, "subnet": "198.18.0.0/16", "pools": [{"pool": "198.18.1.0 - 198.18.255.254"}],
		 "option-data": [{"name": "routers", "data": "198.18.0.1"}]}
	]}}`

// benchClient plays one relayed client at a time through DISCOVER and
// REQUEST, as perfdhcp does (client identifier, parameter list), reusing
// its messages, decoded packets and reply buffer, so that what allocates
// is the server.
type benchClient struct {
	disc, req       []byte
	reqIPOff        int // offset of option 50's value in req
	cidDisc, cidReq int // offsets of option 61's value
	pkt             dhcpv4.Packet
	r               dhcpserver.Request
	w               benchWriter
}

func newBenchClient(tb testing.TB, extra ...dhcptest.Option) *benchClient {
	prl := dhcptest.Option{Code: dhcpv4.OptionParameterList, Value: []byte{1, 28, 2, 3, 15, 6, 12}}
	opts := append([]dhcptest.Option{prl}, extra...)
	cid := []byte{1, 0, 0x0c, 0, 0, 0, 0}
	relay := netip.MustParseAddr("198.18.0.1")
	c := &benchClient{
		disc: (&dhcptest.Message{Type: dhcpv4.Discover, XID: 1, CHAddr: make([]byte, 6), GIAddr: relay, Hops: 1, ClientID: cid,
			Options: opts}).MustBuild(),
		req: (&dhcptest.Message{Type: dhcpv4.Request, XID: 2, CHAddr: make([]byte, 6), GIAddr: relay, Hops: 1, ClientID: cid,
			RequestedIP: netip.MustParseAddr("0.0.0.1"), ServerID: netip.MustParseAddr("192.0.2.1"), Options: opts}).MustBuild(),
	}
	c.cidDisc = optionOffset(tb, c.disc, dhcpv4.OptionClientID)
	c.cidReq = optionOffset(tb, c.req, dhcpv4.OptionClientID)
	c.reqIPOff = optionOffset(tb, c.req, dhcpv4.OptionRequestedIP)
	c.r = dhcpserver.Request{Packet: &c.pkt, IfIndex: 1, IfName: "test0",
		Src: netip.AddrPortFrom(relay, 67), Dst: netip.MustParseAddr("192.0.2.1"), Local: netip.MustParseAddr("192.0.2.1")}
	c.w.done = make(chan struct{}, 1)
	return c
}

// optionOffset returns the offset of the value of option code in msg.
func optionOffset(tb testing.TB, msg []byte, code dhcpv4.OptionCode) int {
	for i := dhcpv4.HeaderLen; i+1 < len(msg) && msg[i] != 255; i += 2 + int(msg[i+1]) {
		if msg[i] == byte(code) {
			return i + 2
		}
	}
	tb.Fatalf("option %d not in the message", code)
	return 0
}

// dora gets a lease for client k and returns false if it did not.
func (c *benchClient) dora(s *Engine, k int) bool {
	mac := [6]byte{0, 0x0c, 0, byte(k >> 16), byte(k >> 8), byte(k)}
	for _, m := range [][]byte{c.disc, c.req} {
		copy(m[28:34], mac[:])
	}
	copy(c.disc[c.cidDisc+1:], mac[:])
	copy(c.req[c.cidReq+1:], mac[:])
	if !c.exchange(s, c.disc, dhcpv4.Offer) {
		return false
	}
	copy(c.req[c.reqIPOff:c.reqIPOff+4], c.w.reply[16:20])
	return c.exchange(s, c.req, dhcpv4.Ack)
}

func (c *benchClient) exchange(s *Engine, msg []byte, want dhcpv4.MessageType) bool {
	if c.pkt.Decode(msg) != nil {
		return false
	}
	w := &c.w
	w.req, w.started, w.deferred = &c.r, false, false
	s.ServeDHCP(w, &c.r)
	if w.deferred {
		<-w.done
	}
	if !w.started {
		return false
	}
	reply, err := w.b.Finish()
	if err != nil || len(reply) <= dhcpv4.HeaderLen+2 || dhcpv4.MessageType(reply[dhcpv4.HeaderLen+2]) != want {
		return false
	}
	w.reply = reply
	return true
}

// benchWriter is a ResponseWriter that allocates nothing. It defers
// replies like the server's unless noDefer is set; Send and Cancel signal
// done.
type benchWriter struct {
	req      *dhcpserver.Request
	b        dhcpv4.Builder
	buf      [1500]byte
	reply    []byte
	started  bool
	deferred bool
	noDefer  bool
	done     chan struct{}
}

func (w *benchWriter) Reply(mt dhcpv4.MessageType) *dhcpv4.Builder {
	w.b.Reply(w.buf[:], w.req.Packet, mt)
	w.started = true
	return &w.b
}

func (w *benchWriter) SetDestination(netip.AddrPort) {}

func (w *benchWriter) Defer() (dhcpserver.Deferred, bool) {
	if w.noDefer {
		return nil, false
	}
	w.deferred = true
	return w, true
}

func (w *benchWriter) Send() error { w.done <- struct{}{}; return nil }
func (w *benchWriter) Cancel()     { w.started = false; w.done <- struct{}{} }

func cpuTime() time.Duration {
	var ru syscall.Rusage
	syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// BenchmarkDORA measures the server's work for one client's DISCOVER and
// REQUEST (classification, subnet selection, allocation, offer table,
// lease write, options, reply), with leases in memory and no disk: the
// handler's own cost. Clients are new until the 65,000 addresses of the
// pool are used; after that, returning clients renew.
func BenchmarkDORA(b *testing.B) { benchDORA(b) }

// BenchmarkDORANamed is BenchmarkDORA with clients that send a host name
// (option 12) or an FQDN (option 81) that the server sanitizes: the cost
// of deciding their names. Every client sends the same name.
func BenchmarkDORANamed(b *testing.B) {
	b.Run("option=12", func(b *testing.B) {
		benchDORA(b, dhcptest.Option{Code: dhcpv4.OptionHostName, Value: []byte("My_Laptop")})
	})
	b.Run("option=81", func(b *testing.B) {
		benchDORA(b, dhcptest.Option{Code: dhcpv4.OptionClientFQDN, Value: []byte("\x05\x00\x00\x09My_Laptop")})
	})
}

func benchDORA(b *testing.B, extra ...dhcptest.Option) {
	store, err := memfile.Open(memfile.Options{})
	if err != nil {
		b.Fatal(err)
	}
	defer store.Close()
	s, err := New(context.Background(), loadConfig(b, benchConfig), store, nil)
	if err != nil {
		b.Fatal(err)
	}
	c := newBenchClient(b, extra...)
	c.w.noDefer = true
	b.ReportAllocs()
	k := 0
	for b.Loop() {
		if !c.dora(s, k%60000) {
			b.Fatalf("client %d got no lease", k)
		}
		k++
	}
}

// BenchmarkDORADurable measures DORAs from concurrent clients with leases
// in a journal on disk, every ACK deferred until a group commit has made
// its lease durable (fsync). leases/fsync shows how many ACKs shared each
// flush; cpu-µs/lease is the process's CPU time (all goroutines,
// including the journal's) per lease.
func BenchmarkDORADurable(b *testing.B) {
	for _, clients := range []int{1, 16, 64} {
		b.Run(fmt.Sprintf("clients=%d", clients), func(b *testing.B) {
			store, err := memfile.Open(memfile.Options{
				Path:    filepath.Join(b.TempDir(), "leases4"),
				Persist: true,
				Logger:  slog.New(slog.NewTextHandler(io.Discard, nil)),
			})
			if err != nil {
				b.Fatal(err)
			}
			defer store.Close()
			s, err := New(context.Background(), loadConfig(b, benchConfig), store, nil)
			if err != nil {
				b.Fatal(err)
			}
			cs := make([]*benchClient, clients)
			for i := range cs {
				cs[i] = newBenchClient(b)
			}
			var next atomic.Int64
			var failed atomic.Bool
			b.ReportAllocs()
			b.ResetTimer()
			c0, s0, t0 := cpuTime(), store.Counters(), time.Now()
			var wg sync.WaitGroup
			for _, c := range cs {
				wg.Add(1)
				go func() {
					defer wg.Done()
					for {
						k := int(next.Add(1))
						if k > b.N || failed.Load() {
							return
						}
						if !c.dora(s, k%60000) {
							failed.Store(true)
						}
					}
				}()
			}
			wg.Wait()
			el, cpu, s1 := time.Since(t0), cpuTime()-c0, store.Counters()
			b.StopTimer()
			if failed.Load() {
				b.Fatal("a client got no lease")
			}
			b.ReportMetric(float64(b.N)/el.Seconds(), "leases/s")
			b.ReportMetric(float64(cpu.Microseconds())/float64(b.N), "cpu-µs/lease")
			if n := s1.Syncs - s0.Syncs; n > 0 {
				b.ReportMetric(float64(b.N)/float64(n), "leases/fsync")
			}
		})
	}
}

// BenchmarkRestartToServing1M measures what a restart of `leased serve`
// costs with 1,000,000 leases before the first message can be answered:
// opening the store (snapshot and journal) and building the server's
// allocators from it (New), in a /8 pool. It reports the seconds to
// serving and the heap kept per lease by store and server together, and
// checks that the restarted server answers.
func BenchmarkRestartToServing1M(b *testing.B) {
	const n = 1_000_000
	opts := memfile.Options{Path: filepath.Join(b.TempDir(), "leases4"), Persist: true,
		Logger: slog.New(slog.NewTextHandler(io.Discard, nil))}
	writeLeases1M(b, opts, n)
	cfg := loadConfig(b, `{"Dhcp4": {"valid-lifetime": 7200,
		"subnet4": [{"id": 1, "subnet": "10.0.0.0/8", "pools": [{"pool": "10.0.0.1 - 10.255.255.254"}]}]}}`)
	b.ResetTimer()
	for b.Loop() {
		took, heap := restartOnce(b, opts, cfg, n)
		b.ReportMetric(took.Seconds(), "s/restart")
		b.ReportMetric(heap/n, "heapB/lease")
	}
}

// restartOnce opens the store and starts a server on it, timed, and
// returns how long that took and the heap it kept; it then checks that
// the server answers and closes the store. Each run is a call of its
// own, so that nothing of one run is still reachable when the next
// measures the heap.
func restartOnce(b *testing.B, opts memfile.Options, cfg *config.Config, n int) (time.Duration, float64) {
	b.StopTimer()
	var before, after runtime.MemStats
	// Twice: what the last run left in sync.Pools (the server's
	// per-message scratch, which points at the server) survives one
	// collection.
	runtime.GC()
	runtime.GC()
	runtime.ReadMemStats(&before)
	b.StartTimer()
	start := time.Now()
	st, err := memfile.Open(opts)
	if err != nil {
		b.Fatal(err)
	}
	defer st.Close()
	srv, err := New(context.Background(), cfg, st, nil)
	if err != nil {
		b.Fatal(err)
	}
	took := time.Since(start)
	b.StopTimer()
	defer b.StartTimer()
	runtime.GC()
	runtime.ReadMemStats(&after)
	if c, _ := st.Len(context.Background()); c != n {
		b.Fatalf("loaded %d leases, want %d", c, n)
	}
	req, _ := dhcptest.NewRequest((&dhcptest.Message{Type: dhcpv4.Discover, XID: 1, CHAddr: []byte{2, 0, 0, 0, 0, 1},
		GIAddr: netip.MustParseAddr("10.0.0.1")}).MustBuild())
	rec := dhcptest.NewRecorder(req)
	srv.ServeDHCP(rec, req)
	if rep, _ := rec.Result(); rep == nil || rep.Packet.MessageType() != dhcpv4.Offer {
		b.Fatal("the restarted server does not answer")
	}
	return took, float64(int64(after.HeapAlloc) - int64(before.HeapAlloc))
}

// writeLeases1M writes n leases of 10.0.0.0/8 to a compacted store.
func writeLeases1M(b *testing.B, opts memfile.Options, n int) {
	s, err := memfile.Open(opts)
	if err != nil {
		b.Fatal(err)
	}
	ctx := context.Background()
	now := time.Now().Unix()
	for i := range n {
		v := uint32(10<<24) + uint32(i) + 1
		l := lease.Lease{Addr: netip.AddrFrom4([4]byte{byte(v >> 24), byte(v >> 16), byte(v >> 8), byte(v)}), HWType: 1,
			HWAddr: []byte{0x52, 0x54, 0, byte(i >> 16), byte(i >> 8), byte(i)}, ValidLifetime: 7200, CLTT: now, SubnetID: 1}
		if err := s.Put(ctx, &l, lease.Async); err != nil {
			b.Fatal(err)
		}
	}
	if err := s.Compact(ctx); err != nil {
		b.Fatal(err)
	}
	if err := s.Close(); err != nil {
		b.Fatal(err)
	}
}
