package control

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/netip"
	"path/filepath"
	"runtime"
	"runtime/metrics"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/leased/leased/config"
	"github.com/leased/leased/internal/logtest"
)

// holdRegistry has a "hold" command whose handler reports on entered and
// returns once release is closed.
func holdRegistry(t *testing.T, entered chan<- struct{}, release <-chan struct{}) *Registry {
	t.Helper()
	reg := testRegistry(t)
	must(t, reg.Register("hold", func(ctx context.Context, args json.RawMessage) Response {
		entered <- struct{}{}
		<-release
		return OK(fmt.Sprintf("held %d bytes", len(args)))
	}))
	return reg
}

// bigCommand is a "hold" command of about size bytes whose arguments are
// many small maps: a decoder that builds the values spends several times
// the text on them.
func bigCommand(size int) []byte {
	var b bytes.Buffer
	b.WriteString(`{"command": "hold", "arguments": [`)
	for b.Len() < size-64 {
		b.WriteString(`{"a": [1, 2, 3]}, `)
	}
	b.WriteString(`{}]}`)
	return b.Bytes()
}

// heapSampler records the largest heap (live objects and garbage not yet
// collected) seen while it runs.
type heapSampler struct {
	stop chan struct{}
	done chan struct{}
	peak atomic.Uint64
}

func heapObjects() uint64 {
	s := []metrics.Sample{{Name: "/memory/classes/heap/objects:bytes"}}
	metrics.Read(s)
	return s[0].Value.Uint64()
}

func startHeapSampler() *heapSampler {
	h := &heapSampler{stop: make(chan struct{}), done: make(chan struct{})}
	go func() {
		defer close(h.done)
		for {
			if v := heapObjects(); v > h.peak.Load() {
				h.peak.Store(v)
			}
			select {
			case <-h.stop:
				return
			case <-time.After(time.Millisecond):
			}
		}
	}()
	return h
}

func (h *heapSampler) finish() uint64 {
	close(h.stop)
	<-h.done
	return h.peak.Load()
}

func liveHeap() uint64 {
	runtime.GC()
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	return ms.HeapAlloc
}

const (
	memCmdSize = 4 << 20
	memBudget  = 8 << 20
	memClients = 16
	mib        = 1 << 20
)

// checkHeldMemory waits until every client is either in the handler or
// answered, then bounds the memory the server holds for the commands in
// its handlers, and the peak since base was taken.
func checkHeldMemory(t *testing.T, s *Server, base uint64, sampler *heapSampler, entered <-chan struct{}, answered *atomic.Int32) int {
	t.Helper()
	in := 0
	deadline := time.After(60 * time.Second)
	for in+int(answered.Load()) < memClients {
		select {
		case <-entered:
			in++
		case <-time.After(10 * time.Millisecond):
		case <-deadline:
			t.Fatalf("after 60 s, %d commands in the handler and %d answered of %d", in, answered.Load(), memClients)
		}
	}
	peak := sampler.finish()
	live := liveHeap()
	t.Logf("%d commands admitted, %d refused; live heap %.1f MiB over the start, peak %.1f MiB",
		in, answered.Load(), float64(int64(live)-int64(base))/mib, float64(int64(peak)-int64(base))/mib)
	if in == 0 {
		t.Errorf("no command of %d bytes was admitted with a budget of %d", memCmdSize, memBudget)
	}
	// What the server holds: the admitted commands' text within the
	// budget, the free first 64 KiB of each connection, and slack for
	// the test's own goroutines.
	if limit := uint64(memBudget + DefaultMaxConns*freeCommandBytes + 6*mib); live > base+limit {
		t.Errorf("%d commands of %d bytes hold %.1f MiB of heap, more than %.1f MiB",
			in, memCmdSize, float64(live-base)/mib, float64(limit)/mib)
	}
	// The peak includes garbage the collector has not reached yet;
	// decoding each command into a tree of values took many times more.
	if limit := uint64(64 * mib); peak > base+limit {
		t.Errorf("%d concurrent commands of %d bytes took the heap to %.1f MiB over the start, more than %.1f MiB",
			memClients, memCmdSize, float64(peak-base)/mib, float64(limit)/mib)
	}
	if held := s.budget.inUse(); held > memBudget {
		t.Errorf("budget in use %d, more than its limit %d", held, memBudget)
	}
	return in
}

// checkMemoryGivenBack waits for the budget to be free and the heap's
// unused memory to be returned to the operating system.
func checkMemoryGivenBack(t *testing.T, s *Server) {
	t.Helper()
	read := func() (free uint64) {
		sm := []metrics.Sample{{Name: "/memory/classes/heap/free:bytes"}}
		metrics.Read(sm)
		return sm[0].Value.Uint64()
	}
	deadline := time.Now().Add(20 * time.Second)
	for s.budget.inUse() != 0 || read() > 16*mib {
		if time.Now().After(deadline) {
			t.Fatalf("after the commands: budget in use %d, %.1f MiB of free heap kept from the operating system",
				s.budget.inUse(), float64(read())/mib)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// Concurrent large commands on a unix socket hold no more memory than
// the budget allows; the others are refused with a Kea-style answer, and
// the memory is given back afterwards (issue 17, defect 5).
func TestUnixLargeCommandsBounded(t *testing.T) {
	path := filepath.Join(t.TempDir(), "s")
	entered := make(chan struct{}, memClients)
	release := make(chan struct{})
	s := startServer(t, holdRegistry(t, entered, release),
		Options{MaxRequestBytes: memCmdSize, MaxPendingBytes: memBudget}, unixSock(path))
	cmd := bigCommand(memCmdSize - 1024)

	base := liveHeap()
	sampler := startHeapSampler()
	var answered atomic.Int32
	answers := make(chan string, memClients)
	var wg sync.WaitGroup
	for range memClients {
		wg.Go(func() {
			c, err := net.Dial("unix", path)
			if err != nil {
				answers <- "dial: " + err.Error()
				answered.Add(1)
				return
			}
			defer c.Close()
			c.SetDeadline(time.Now().Add(2 * time.Minute))
			c.Write(cmd) // a refused command's write fails once the server closes
			out, _ := io.ReadAll(c)
			if !strings.Contains(string(out), "held") {
				answered.Add(1)
			}
			answers <- string(out)
		})
	}
	checkHeldMemory(t, s, base, sampler, entered, &answered)
	close(release)
	wg.Wait()
	close(answers)
	for a := range answers {
		if a == fmt.Sprintf(`{"result":0,"text":"held %d bytes"}`, len(cmd)-len(`{"command": "hold", "arguments": `)-1) {
			continue
		}
		if !strings.Contains(a, `"result":1,"text":"control channel busy`) {
			t.Errorf("answer %s", a)
		}
	}
	checkMemoryGivenBack(t, s)
}

// The same over HTTP with valid credentials.
func TestHTTPLargeCommandsBounded(t *testing.T) {
	auth := &config.Authentication{Type: "basic", Clients: []config.AuthClient{{User: "alice", Password: "pw"}}}
	entered := make(chan struct{}, memClients)
	release := make(chan struct{})
	s := startServer(t, holdRegistry(t, entered, release),
		Options{MaxRequestBytes: memCmdSize, MaxPendingBytes: memBudget}, httpSock(auth))
	url := "http://" + s.Addrs()[0] + "/"
	cmd := bigCommand(memCmdSize - 1024)

	base := liveHeap()
	sampler := startHeapSampler()
	var answered atomic.Int32
	codes := make(chan string, memClients)
	var wg sync.WaitGroup
	for range memClients {
		wg.Go(func() {
			req, _ := http.NewRequest(http.MethodPost, url, bytes.NewReader(cmd))
			req.Header.Set("Content-Type", "application/json")
			req.SetBasicAuth("alice", "pw")
			tr := &http.Transport{Proxy: nil}
			defer tr.CloseIdleConnections()
			resp, err := (&http.Client{Transport: tr, Timeout: 2 * time.Minute}).Do(req)
			if err != nil {
				// A refused body may be cut off while it is sent.
				answered.Add(1)
				codes <- "error"
				return
			}
			body, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			if resp.StatusCode != 200 {
				answered.Add(1)
			}
			codes <- fmt.Sprintf("%d %s", resp.StatusCode, body)
		})
	}
	checkHeldMemory(t, s, base, sampler, entered, &answered)
	close(release)
	wg.Wait()
	close(codes)
	for c := range codes {
		if c != "error" && !strings.HasPrefix(c, "200 ") && c != `503 {"result":503,"text":"Service Unavailable"}` {
			t.Errorf("answer %s", c)
		}
	}
	checkMemoryGivenBack(t, s)
}

// A command larger than MaxRequestBytes that announces its length is
// refused before its body is read.
func TestHTTPContentLengthTooLarge(t *testing.T) {
	s := startServer(t, testRegistry(t), Options{MaxRequestBytes: 1 << 10}, httpSock(nil))
	c, err := net.Dial("tcp", s.Addrs()[0])
	must(t, err)
	defer c.Close()
	c.SetDeadline(time.Now().Add(10 * time.Second))
	fmt.Fprintf(c, "POST / HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: %d\r\n\r\n{", 1<<30)
	line, err := readLine(c)
	must(t, err)
	if line != "HTTP/1.1 413 Request Entity Too Large" {
		t.Errorf("status line %q", line)
	}
}

func readLine(c net.Conn) (string, error) {
	var b []byte
	one := make([]byte, 1)
	for {
		if _, err := c.Read(one); err != nil {
			return string(b), err
		}
		if one[0] == '\n' {
			return strings.TrimSuffix(string(b), "\r"), nil
		}
		b = append(b, one[0])
	}
}

// livenessBound is how long a valid command may take while an attack
// runs: not a measure of speed, only proof that it is not held up until
// the attackers' connections time out (10 s each, one slot after the
// other).
const livenessBound = 5 * time.Second

// Hundreds of HTTP connections that never finish their headers, from
// the client's own address, neither keep an authenticated request out
// nor make it wait for their timeouts (issue 17, defect 6).
func TestHTTPPartialRequestsDoNotBlock(t *testing.T) {
	auth := &config.Authentication{Type: "basic", Clients: []config.AuthClient{{User: "alice", Password: "pw"}}}
	var logs logtest.Buffer
	s := startServer(t, testRegistry(t), Options{Logger: slog.New(slog.NewTextHandler(&logs, nil))}, httpSock(auth))
	addr := s.Addrs()[0]

	var closed atomic.Int32
	const attackers = 300
	for range attackers {
		c, err := net.Dial("tcp", addr)
		must(t, err)
		t.Cleanup(func() { c.Close() })
		fmt.Fprintf(c, "POST / HTTP/1.1\r\nHost: x\r\nContent-Type: applic")
		go func() {
			io.Copy(io.Discard, c)
			closed.Add(1)
		}()
	}

	ctx, cancel := context.WithTimeout(t.Context(), livenessBound)
	defer cancel()
	r, err := (&Client{Target: "http://" + addr + "/", User: "alice", Password: "pw"}).Call(ctx, "echo", nil)
	if err != nil || r.Result != 0 {
		t.Fatalf("authenticated request during the attack: %+v %v", r, err)
	}
	// The server keeps at most MaxConnsPerSource of them.
	deadline := time.Now().Add(livenessBound)
	for closed.Load() < attackers-DefaultMaxConnsPerSource {
		if time.Now().After(deadline) {
			t.Fatalf("the server holds %d of %d idle connections from one address", attackers-int(closed.Load()), attackers)
		}
		time.Sleep(10 * time.Millisecond)
	}
	// Once, not once per connection.
	if n := strings.Count(logs.String(), "control connections that sent no complete command were closed to admit new ones"); n != 1 {
		t.Errorf("%d log lines about displaced connections, want 1:\n%s", n, logs.String())
	}
}

// A steady stream of new half-open connections from one address does not
// keep another address's authenticated requests out.
func TestHTTPConnectionStreamDoesNotBlock(t *testing.T) {
	auth := &config.Authentication{Type: "basic", Clients: []config.AuthClient{{User: "alice", Password: "pw"}}}
	s := startServer(t, testRegistry(t), Options{}, httpSock(auth))
	addr := s.Addrs()[0]

	stop := make(chan struct{})
	attackDone := make(chan struct{})
	go func() {
		defer close(attackDone)
		var conns []net.Conn
		defer func() {
			for _, c := range conns {
				c.Close()
			}
		}()
		for {
			select {
			case <-stop:
				return
			case <-time.After(5 * time.Millisecond):
			}
			c, err := net.Dial("tcp", addr)
			if err != nil {
				continue
			}
			c.Write([]byte("GET / HTTP/1.1\r\nHost"))
			conns = append(conns, c)
		}
	}()
	defer func() { close(stop); <-attackDone }()

	// The operator's address differs from the attacker's (127.0.0.2 is
	// loopback too).
	dialer := &net.Dialer{LocalAddr: &net.TCPAddr{IP: net.IPv4(127, 0, 0, 2)}}
	client := &http.Client{Transport: &http.Transport{Proxy: nil, DialContext: dialer.DialContext}}
	auth64 := base64.StdEncoding.EncodeToString([]byte("alice:pw"))
	time.Sleep(200 * time.Millisecond) // let the attack fill the table
	for i := range 5 {
		ctx, cancel := context.WithTimeout(t.Context(), livenessBound)
		req, _ := http.NewRequestWithContext(ctx, http.MethodPost, "http://"+addr+"/", strings.NewReader(`{"command": "echo"}`))
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("Authorization", "Basic "+auth64)
		resp, err := client.Do(req)
		if err != nil {
			cancel()
			t.Fatalf("request %d during the attack: %v", i, err)
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		cancel()
		if resp.StatusCode != 200 || !strings.Contains(string(body), `"result":0`) {
			t.Fatalf("request %d during the attack: %d %s", i, resp.StatusCode, body)
		}
		client.CloseIdleConnections()
	}
}

// Hundreds of idle unix connections do not keep a command out (issue 17,
// defect 6).
func TestUnixIdleConnectionsDoNotBlock(t *testing.T) {
	path := filepath.Join(t.TempDir(), "s")
	startServer(t, testRegistry(t), Options{}, unixSock(path))
	for range 500 {
		c, err := net.Dial("unix", path)
		must(t, err)
		t.Cleanup(func() { c.Close() })
	}
	ctx, cancel := context.WithTimeout(t.Context(), livenessBound)
	defer cancel()
	r, err := (&Client{Target: path}).Call(ctx, "list-commands", nil)
	if err != nil || r.Result != 0 {
		t.Fatalf("command during the attack: %+v %v", r, err)
	}
}

// More connections than MaxConns that each send a byte now and then (never
// idle long enough to time out) do not keep a command out, and each is
// cut off at the read timeout however steadily it trickles.
func TestUnixTrickleDoesNotBlock(t *testing.T) {
	path := filepath.Join(t.TempDir(), "s")
	startServer(t, testRegistry(t), Options{ReadTimeout: 2 * time.Second}, unixSock(path))
	stop := make(chan struct{})
	var wg sync.WaitGroup
	defer func() { close(stop); wg.Wait() }()
	answers := make(chan string, 40)
	for range 40 {
		c, err := net.Dial("unix", path)
		must(t, err)
		wg.Go(func() {
			defer c.Close()
			go func() {
				out, _ := io.ReadAll(c)
				answers <- string(out)
			}()
			c.Write([]byte("{"))
			for {
				select {
				case <-stop:
					return
				case <-time.After(50 * time.Millisecond):
				}
				if _, err := c.Write([]byte(" ")); err != nil {
					return
				}
			}
		})
	}
	ctx, cancel := context.WithTimeout(t.Context(), livenessBound)
	defer cancel()
	r, err := (&Client{Target: path}).Call(ctx, "list-commands", nil)
	if err != nil || r.Result != 0 {
		t.Fatalf("command during the attack: %+v %v", r, err)
	}
	// Those the newcomer did not displace are answered at the read
	// timeout, not kept as long as they keep sending.
	timeout := time.After(10 * time.Second)
	for {
		select {
		case a := <-answers:
			if strings.Contains(a, "Connection over control channel timed out, discarded partial command") {
				return
			}
		case <-timeout:
			t.Fatal("no trickling connection was cut off at the read timeout")
		}
	}
}

// Bytes after a command on a unix socket are refused and the command does
// not run; white space after it is fine.
func TestUnixTrailingBytesRefused(t *testing.T) {
	path := filepath.Join(t.TempDir(), "s")
	reg := testRegistry(t)
	var runs atomic.Int32
	must(t, reg.Register("count", func(context.Context, json.RawMessage) Response {
		runs.Add(1)
		return OK("counted")
	}))
	startServer(t, reg, Options{}, unixSock(path))

	for _, in := range []string{
		`{"command": "count"}{"command": "count"}`,
		`{"command": "count"} x`,
		"{\"command\": \"count\"}\n" + strings.Repeat(" ", 40000) + "#",
	} {
		got := rawUnix(t, path, in)
		if !strings.HasPrefix(got, `{"result":1,"text":"unexpected data after the command: its closing bracket is byte 20, and byte `) ||
			!strings.HasSuffix(got, `; send one command per connection"}`) {
			t.Errorf("%.40q: %s", in, got)
		}
	}
	if n := runs.Load(); n != 0 {
		t.Errorf("a refused command ran %d times", n)
	}
	if got := rawUnix(t, path, "{\"command\": \"count\"}\r\n "); got != `{"result":0,"text":"counted"}` {
		t.Errorf("trailing space: %s", got)
	}
}

// Without credentials, every request gets 401, whatever its method, path
// or type: nothing else tells a stranger how the socket behaves.
func TestHTTPUnauthenticatedAlways401(t *testing.T) {
	auth := &config.Authentication{Type: "basic", Realm: "r", Clients: []config.AuthClient{{User: "alice", Password: "pw"}}}
	s := startServer(t, testRegistry(t), Options{GetHandlers: map[string]http.Handler{"/metrics": http.NotFoundHandler()}}, httpSock(auth))
	base := "http://" + s.Addrs()[0]
	client := &http.Client{Transport: &http.Transport{Proxy: nil}}
	for _, tc := range []struct{ method, path, ctype string }{
		{"GET", "/", ""},
		{"GET", "/nosuch", ""},
		{"POST", "/metrics", "application/json"},
		{"POST", "/", "text/plain"},
		{"PUT", "/", "application/json"},
	} {
		req, _ := http.NewRequest(tc.method, base+tc.path, strings.NewReader(`{"command": "echo"}`))
		if tc.ctype != "" {
			req.Header.Set("Content-Type", tc.ctype)
		}
		resp, err := client.Do(req)
		must(t, err)
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != 401 || string(body) != `{"result":401,"text":"Unauthorized"}` || resp.Header.Get("WWW-Authenticate") != `Basic realm="r"` {
			t.Errorf("%s %s %s: %d %s", tc.method, tc.path, tc.ctype, resp.StatusCode, body)
		}
	}
}

// When every connection from one address is running a command, a further
// one from that address is answered 503 at once, and another address is
// still served.
func TestHTTPPerSourceBusy(t *testing.T) {
	entered := make(chan struct{}, 2)
	release := make(chan struct{})
	s := startServer(t, holdRegistry(t, entered, release), Options{MaxConnsPerSource: 2}, httpSock(nil))
	url := "http://" + s.Addrs()[0] + "/"
	done := make(chan struct{}, 2)
	for range 2 {
		go func() {
			(&Client{Target: url}).Call(context.Background(), "hold", nil)
			done <- struct{}{}
		}()
	}
	<-entered
	<-entered
	defer func() { close(release); <-done; <-done }()

	resp, body := post(t, url, `{"command": "echo"}`, nil)
	if resp.StatusCode != 503 || body != `{"result":503,"text":"Service Unavailable"}` || resp.Header.Get("Retry-After") != "1" {
		t.Errorf("third connection from the same address: %d %s %v", resp.StatusCode, body, resp.Header)
	}
	dialer := &net.Dialer{LocalAddr: &net.TCPAddr{IP: net.IPv4(127, 0, 0, 2)}}
	client := &http.Client{Transport: &http.Transport{Proxy: nil, DialContext: dialer.DialContext}}
	other, err := client.Post(url, "application/json", strings.NewReader(`{"command": "echo"}`))
	must(t, err)
	b, _ := io.ReadAll(other.Body)
	other.Body.Close()
	if other.StatusCode != 200 || !strings.Contains(string(b), `"result":0`) {
		t.Errorf("another address: %d %s", other.StatusCode, b)
	}
}

// A peer's address (Options.Peers) is admitted MaxConnsPerPeer
// connections running commands at once, on top of MaxConns, while every
// other address keeps its MaxConnsPerSource; past its own bound a peer is
// answered 503 as any address is.
func TestHTTPPeerConns(t *testing.T) {
	const peerConns, otherConns = 4, 2
	entered := make(chan struct{}, peerConns+otherConns)
	release := make(chan struct{})
	s := startServer(t, holdRegistry(t, entered, release), Options{MaxConns: 3, MaxConnsPerSource: otherConns,
		Peers: []netip.Addr{netip.MustParseAddr("127.0.0.2")}, MaxConnsPerPeer: peerConns}, httpSock(nil))
	url := "http://" + s.Addrs()[0] + "/"
	from := func(ip net.IP) *http.Client {
		dialer := &net.Dialer{LocalAddr: &net.TCPAddr{IP: ip}}
		return &http.Client{Transport: &http.Transport{Proxy: nil, DialContext: dialer.DialContext, DisableKeepAlives: true}}
	}
	peer, other := from(net.IPv4(127, 0, 0, 2)), from(net.IPv4(127, 0, 0, 1))
	hold := func(c *http.Client) (int, string) {
		resp, err := c.Post(url, "application/json", strings.NewReader(`{"command": "hold"}`))
		if err != nil {
			return 0, err.Error()
		}
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		return resp.StatusCode, string(b)
	}
	type answer struct {
		status int
		body   string
	}
	answers := make(chan answer, peerConns+otherConns)
	for i := range peerConns + otherConns {
		c := peer
		if i >= peerConns {
			c = other
		}
		go func() {
			st, b := hold(c)
			answers <- answer{st, b}
		}()
	}
	for n := range peerConns + otherConns {
		select {
		case <-entered:
		case a := <-answers:
			t.Fatalf("after %d commands running: one was answered %d %s, want every one held", n, a.status, a.body)
		}
	}
	defer func() {
		close(release)
		for range peerConns + otherConns {
			if a := <-answers; a.status != 200 || !strings.Contains(a.body, `"result":0`) {
				t.Errorf("held command: %d %s, want its answer once released", a.status, a.body)
			}
		}
	}()
	for name, c := range map[string]*http.Client{"the peer": peer, "another address": other} {
		resp, err := c.Post(url, "application/json", strings.NewReader(`{"command": "echo"}`))
		must(t, err)
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != 503 {
			t.Errorf("one more connection from %s, its bound busy: %d %s, want 503", name, resp.StatusCode, b)
		}
	}
}
