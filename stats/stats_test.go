package stats

import (
	"context"
	"encoding/json"
	"io"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/leased/leased/control"
)

// fakeClock advances one second per reading unless frozen.
type fakeClock struct {
	mu   sync.Mutex
	t    time.Time
	step time.Duration
}

func newClock() *fakeClock {
	return &fakeClock{t: time.Date(2024, 5, 6, 7, 8, 9, 123456000, time.UTC), step: time.Second}
}

func (c *fakeClock) now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	t := c.t
	c.t = c.t.Add(c.step)
	return t
}

func newTest() (*Manager, *fakeClock) {
	c := newClock()
	return New(Options{Now: c.now, Location: time.UTC}), c
}

func mustOK(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

func values(t *testing.T, m *Manager, name string) []any {
	t.Helper()
	var out []any
	for _, s := range m.Get(name)[name] {
		out = append(out, s[0])
	}
	return out
}

func TestSampleCountLimit(t *testing.T) {
	m, _ := newTest()
	for i := range 25 {
		mustOK(t, m.SetInt("x", int64(i)))
	}
	if n := m.Len("x"); n != 20 {
		t.Fatalf("%d samples kept, want the default 20", n)
	}
	got := values(t, m, "x")
	if got[0] != int64(24) || got[19] != int64(5) {
		t.Errorf("samples %v: want newest (24) first and oldest kept 5", got)
	}
	if !m.SetMaxSampleCount("x", 3) {
		t.Fatal("SetMaxSampleCount: not found")
	}
	if got := values(t, m, "x"); len(got) != 3 || got[0] != int64(24) || got[2] != int64(22) {
		t.Errorf("after count 3: %v", got)
	}
	mustOK(t, m.SetInt("x", 99))
	if got := values(t, m, "x"); len(got) != 3 || got[0] != int64(99) {
		t.Errorf("after another set: %v", got)
	}
}

func TestSampleAgeLimit(t *testing.T) {
	m, _ := newTest() // one second between samples
	for i := range 10 {
		mustOK(t, m.SetInt("x", int64(i)))
	}
	// Switching to an age limit drops the count limit and keeps the
	// samples within 3 s of the newest: 4 samples.
	m.SetMaxSampleAge("x", 3*time.Second)
	if got := values(t, m, "x"); len(got) != 4 || got[0] != int64(9) || got[3] != int64(6) {
		t.Errorf("after age 3s: %v", got)
	}
	for i := 10; i < 40; i++ {
		mustOK(t, m.SetInt("x", int64(i)))
	}
	if n := m.Len("x"); n != 4 {
		t.Errorf("age limit: %d samples, want 4 (no count limit in force)", n)
	}
	// Back to a count limit.
	m.SetMaxSampleCount("x", 30)
	for i := range 30 {
		mustOK(t, m.SetInt("x", int64(i)))
	}
	if n := m.Len("x"); n != 30 {
		t.Errorf("count 30: %d samples", n)
	}
	// An age of 0 keeps only samples of the same instant.
	m.SetMaxSampleAge("x", 0)
	if n := m.Len("x"); n != 1 {
		t.Errorf("age 0: %d samples", n)
	}
}

func TestAllLimitsAndDefaults(t *testing.T) {
	m, _ := newTest()
	mustOK(t, m.SetInt("a", 1))
	m.SetMaxSampleAgeAll(2 * time.Second)
	// New statistics take the new default (age, no count limit).
	for i := range 50 {
		mustOK(t, m.SetInt("b", int64(i)))
	}
	if n := m.Len("b"); n != 3 {
		t.Errorf("b under a 2s default: %d samples, want 3", n)
	}
	m.SetMaxSampleCountAll(5)
	for i := range 50 {
		mustOK(t, m.SetInt("c", int64(i)))
		mustOK(t, m.SetInt("b", int64(i)))
	}
	if m.Len("b") != 5 || m.Len("c") != 5 {
		t.Errorf("count 5 for all: b %d, c %d", m.Len("b"), m.Len("c"))
	}

	// Kea's configuration rule: a non-zero default count applies to
	// all; a zero count makes the default age apply to all.
	m.ApplyDefaults(7, 100*time.Second)
	for i := range 10 {
		mustOK(t, m.SetInt("d", int64(i)))
	}
	if m.Len("d") != 7 {
		t.Errorf("ApplyDefaults(7): %d samples", m.Len("d"))
	}
	m.ApplyDefaults(0, time.Second)
	for i := range 10 {
		mustOK(t, m.SetInt("e", int64(i)))
	}
	if m.Len("e") != 2 || m.Len("d") != 2 {
		t.Errorf("ApplyDefaults(0, 1s): e %d, d %d samples, want 2", m.Len("e"), m.Len("d"))
	}
}

func TestKindsAndConflicts(t *testing.T) {
	m, _ := newTest()
	mustOK(t, m.SetFloat("f", 1.5))
	mustOK(t, m.AddFloat("f", 1))
	mustOK(t, m.SetDuration("d", 90*time.Minute+1500*time.Microsecond))
	mustOK(t, m.AddDuration("d", time.Second))
	mustOK(t, m.SetString("s", "hello"))
	mustOK(t, m.AddInt("i", 5))
	mustOK(t, m.AddInt("i", 2))
	if v, _ := m.Value("f"); v != 2.5 {
		t.Errorf("float %v", v)
	}
	if v, _ := m.Int("i"); v != 7 {
		t.Errorf("int %v", v)
	}
	if err := m.SetInt("f", 1); err == nil {
		t.Error("an integer was stored into a float statistic")
	}
	if _, err := m.Counter("s"); err == nil {
		t.Error("a counter was made of a string statistic")
	}
	all := m.GetAll()
	b, err := json.Marshal(all)
	mustOK(t, err)
	want := `{"d":[["01:30:01.001500","2024-05-06 07:08:12.123456"],["01:30:00.001500","2024-05-06 07:08:11.123456"]],` +
		`"f":[[2.5,"2024-05-06 07:08:10.123456"],[1.5,"2024-05-06 07:08:09.123456"]],` +
		`"i":[[7,"2024-05-06 07:08:15.123456"],[5,"2024-05-06 07:08:14.123456"]],` +
		`"s":[["hello","2024-05-06 07:08:13.123456"]]}`
	if string(b) != want {
		t.Errorf("get-all\ngot  %s\nwant %s", b, want)
	}
}

func TestFormatDuration(t *testing.T) {
	for d, want := range map[time.Duration]string{
		0:                                "00:00:00.000000",
		time.Second + 5*time.Microsecond: "00:00:01.000005",
		123*time.Hour + 4*time.Minute:    "123:04:00.000000",
		-time.Second:                     "-00:00:01.000000",
	} {
		if got := FormatDuration(d); got != want {
			t.Errorf("FormatDuration(%v) = %q, want %q", d, got, want)
		}
	}
}

// A counter's history is filled in when it is read: one sample per read
// that sees a changed value.
func TestCounterLazySampling(t *testing.T) {
	m, _ := newTest()
	c, err := m.Counter("pkt4-received")
	mustOK(t, err)
	c.Add(1)
	c.Add(1)
	c.Inc()
	if got := values(t, m, "pkt4-received"); len(got) != 2 || got[0] != int64(3) || got[1] != int64(0) {
		t.Fatalf("after 3 adds: %v, want [3 0]", got)
	}
	if got := values(t, m, "pkt4-received"); len(got) != 2 {
		t.Errorf("a read without change added a sample: %v", got)
	}
	c.Add(-1)
	if got := values(t, m, "pkt4-received"); len(got) != 3 || got[0] != int64(2) {
		t.Errorf("after -1: %v", got)
	}
	again, err := m.Counter("pkt4-received")
	mustOK(t, err)
	if again != c {
		t.Error("a second Counter call gave another handle")
	}
	// SetInt through the manager reaches the handle.
	mustOK(t, m.SetInt("pkt4-received", 40))
	if c.Load() != 40 {
		t.Errorf("handle after SetInt: %d", c.Load())
	}
	// An integer set first becomes counter-backed with its value.
	mustOK(t, m.SetInt("later", 8))
	lc, err := m.Counter("later")
	mustOK(t, err)
	lc.Add(2)
	if v, _ := m.Int("later"); v != 10 {
		t.Errorf("later = %d, want 10", v)
	}
}

func TestResetRemoveAndReattach(t *testing.T) {
	m, _ := newTest()
	c, _ := m.Counter("x")
	c.Add(5)
	mustOK(t, m.SetString("s", "text"))
	if !m.Reset("x") || !m.Reset("s") {
		t.Fatal("reset: not found")
	}
	if got := values(t, m, "x"); len(got) != 1 || got[0] != int64(0) {
		t.Errorf("x after reset: %v", got)
	}
	if v, _ := m.Value("s"); v != "" {
		t.Errorf("s after reset: %q", v)
	}
	c.Add(2)
	if !m.Remove("x") {
		t.Fatal("remove: not found")
	}
	if len(m.Get("x")) != 0 {
		t.Error("removed statistic still answered")
	}
	if m.Remove("x") || m.Reset("x") {
		t.Error("a removed statistic was found again")
	}
	c.Add(3)
	if v, ok := m.Int("x"); !ok || v != 3 {
		t.Errorf("after Add on a removed counter: %d %v, want 3 true", v, ok)
	}
	m.RemoveAll()
	if len(m.Names()) != 0 {
		t.Errorf("after RemoveAll: %v", m.Names())
	}
}

func TestLazyCounterAndNames(t *testing.T) {
	m, _ := newTest()
	m.Packets()
	m.GlobalLeases()
	sn := m.Subnet(3, 254)
	m.Pool(3, 0, 100)
	names := m.Names()
	for _, want := range []string{"pkt4-received", "pkt4-discover-received", "pkt4-ack-sent", "pkt4-parse-failed",
		"pkt4-receive-drop", "v4-allocation-fail", "assigned-addresses", "subnet[3].total-addresses",
		"subnet[3].assigned-addresses", "subnet[3].declined-addresses", "subnet[3].reclaimed-leases",
		"subnet[3].cumulative-assigned-addresses", "subnet[3].pool[0].total-addresses",
		"subnet[3].pool[0].assigned-addresses"} {
		if !contains(names, want) {
			t.Errorf("%s missing from %v", want, names)
		}
	}
	if v, _ := m.Int("subnet[3].total-addresses"); v != 254 {
		t.Errorf("total-addresses = %d", v)
	}
	if contains(names, "subnet[3].v4-allocation-fail") {
		t.Error("subnet allocation failure present before it counted")
	}
	sn.AllocationFail.Inc()
	if v, ok := m.Int("subnet[3].v4-allocation-fail"); !ok || v != 1 {
		t.Errorf("lazy counter after Inc: %d %v", v, ok)
	}
	if n := m.RemoveSubnet(3); n < 10 {
		t.Errorf("RemoveSubnet removed %d statistics", n)
	}
	for _, n := range m.Names() {
		if strings.HasPrefix(n, "subnet[3]") {
			t.Errorf("%s left after RemoveSubnet", n)
		}
	}
	// Asking again (a reconfiguration) brings them back with the new size.
	m.Subnet(3, 10)
	if v, _ := m.Int("subnet[3].total-addresses"); v != 10 {
		t.Errorf("total-addresses after re-add = %d", v)
	}
}

func TestPacketCounting(t *testing.T) {
	m, _ := newTest()
	p := m.Packets()
	for _, typ := range []uint8{1, 3, 3, 4, 7, 8, 99} {
		p.CountReceived(typ)
	}
	p.CountSent(2)
	p.CountSent(5)
	p.CountSent(6)
	p.Drop(p.ParseFailed)
	for name, want := range map[string]int64{
		"pkt4-received": 7, "pkt4-discover-received": 1, "pkt4-request-received": 2, "pkt4-decline-received": 1,
		"pkt4-release-received": 1, "pkt4-inform-received": 1, "pkt4-unknown-received": 1,
		"pkt4-sent": 3, "pkt4-offer-sent": 1, "pkt4-ack-sent": 1, "pkt4-nak-sent": 1,
		"pkt4-parse-failed": 1, "pkt4-receive-drop": 1,
	} {
		if v, _ := m.Int(name); v != want {
			t.Errorf("%s = %d, want %d", name, v, want)
		}
	}
}

func contains(list []string, s string) bool {
	for _, e := range list {
		if e == s {
			return true
		}
	}
	return false
}

// The statistic-* commands answer with Kea's shapes and texts.
func TestCommands(t *testing.T) {
	m, _ := newTest()
	reg := control.NewRegistry(control.BuildInfo{}, nil)
	mustOK(t, m.RegisterCommands(reg))
	c, _ := m.Counter("pkt4-received")
	c.Add(2)
	run := func(cmd string) string {
		t.Helper()
		r := reg.Process(context.Background(), []byte(cmd))
		b, err := json.Marshal(r)
		mustOK(t, err)
		return string(b)
	}
	tests := []struct{ cmd, want string }{
		{`{"command": "statistic-get", "arguments": {"name": "pkt4-received"}}`,
			`{"arguments":{"pkt4-received":[[2,"2024-05-06 07:08:10.123456"],[0,"2024-05-06 07:08:09.123456"]]},"result":0}`},
		{`{"command": "statistic-get", "arguments": {"name": "nosuch"}}`, `{"arguments":{},"result":0}`},
		{`{"command": "statistic-get"}`, `{"result":1,"text":"Missing mandatory 'name' parameter."}`},
		{`{"command": "statistic-get", "arguments": {"name": 5}}`, `{"result":1,"text":"'name' parameter expected to be a string."}`},
		{`{"command": "statistic-reset", "arguments": {"name": "nosuch"}}`, `{"result":1,"text":"No 'nosuch' statistic found"}`},
		{`{"command": "statistic-reset", "arguments": {"name": "pkt4-received"}}`, `{"result":0,"text":"Statistic 'pkt4-received' reset."}`},
		{`{"command": "statistic-sample-count-set", "arguments": {"name": "pkt4-received", "max-samples": 5}}`,
			`{"result":0,"text":"Statistic 'pkt4-received' count limit is set."}`},
		{`{"command": "statistic-sample-count-set", "arguments": {"name": "pkt4-received"}}`,
			`{"result":1,"text":"Missing mandatory 'max-samples' parameter."}`},
		{`{"command": "statistic-sample-count-set", "arguments": {"name": "pkt4-received", "max-samples": "5"}}`,
			`{"result":1,"text":"'max-samples' parameter expected to be an integer."}`},
		{`{"command": "statistic-sample-count-set-all", "arguments": {"max-samples": 0}}`,
			`{"result":1,"text":"'max-samples' parameter must not be zero"}`},
		{`{"command": "statistic-sample-count-set-all", "arguments": {"max-samples": 9}}`,
			`{"result":0,"text":"All statistics count limit are set."}`},
		{`{"command": "statistic-sample-age-set", "arguments": {"name": "pkt4-received", "duration": 1245}}`,
			`{"result":0,"text":"Statistic 'pkt4-received' duration limit is set."}`},
		{`{"command": "statistic-sample-age-set", "arguments": {"name": "nosuch", "duration": 1}}`,
			`{"result":1,"text":"No 'nosuch' statistic found"}`},
		{`{"command": "statistic-sample-age-set-all", "arguments": {}}`,
			`{"result":1,"text":"Missing mandatory 'duration' parameter."}`},
		{`{"command": "statistic-sample-age-set-all", "arguments": {"duration": 1245}}`,
			`{"result":0,"text":"All statistics duration limit are set."}`},
		{`{"command": "statistic-reset-all", "arguments": {}}`, `{"result":0,"text":"All statistics reset to neutral values."}`},
		{`{"command": "statistic-remove", "arguments": {"name": "pkt4-received"}}`, `{"result":0,"text":"Statistic 'pkt4-received' removed."}`},
		{`{"command": "statistic-remove", "arguments": {"name": "pkt4-received"}}`, `{"result":1,"text":"No 'pkt4-received' statistic found"}`},
		{`{"command": "statistic-remove-all", "arguments": {}}`,
			`{"result":0,"text":"Warning: statistic-remove-all command is deprecated. All statistics removed."}`},
		{`{"command": "statistic-get-all", "arguments": {}}`, `{"arguments":{},"result":0}`},
	}
	for _, tt := range tests {
		if got := run(tt.cmd); got != tt.want {
			t.Errorf("%s\ngot  %s\nwant %s", tt.cmd, got, tt.want)
		}
	}

	mustOK(t, m.SetInt("subnet[1].assigned-addresses", 1))
	mustOK(t, m.SetInt("assigned-addresses", 1))
	var args map[string]json.RawMessage
	r := reg.Execute(context.Background(), control.Command{Command: "statistic-global-get-all"})
	mustOK(t, r.Decode(&args))
	if _, ok := args["subnet[1].assigned-addresses"]; ok || len(args) != 1 {
		t.Errorf("global-get-all: %v", args)
	}
	if err := m.RegisterCommands(reg); err == nil {
		t.Error("registering twice succeeded")
	}
}

func TestPrometheus(t *testing.T) {
	m, _ := newTest()
	p := m.Packets()
	p.CountReceived(1)
	sn := m.Subnet(1, 254)
	sn.AssignedAddresses.Add(2)
	pl := m.Pool(1, 0, 100)
	pl.AssignedAddresses.Add(1)
	mustOK(t, m.SetDuration("some-duration", 1500*time.Millisecond))
	mustOK(t, m.SetString("a-text", "v1"))
	mustOK(t, m.SetFloat("a-float", 0.25))
	// Collides with a-float once sanitized; the first name in byte order
	// wins and the scrape does not fail.
	mustOK(t, m.SetFloat("a_float", 7))
	m.GlobalLeases()

	srv := httptest.NewServer(m.Handler())
	defer srv.Close()
	resp, err := srv.Client().Get(srv.URL)
	mustOK(t, err)
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	out := string(body)
	if resp.StatusCode != 200 {
		t.Fatalf("status %d: %s", resp.StatusCode, out)
	}
	for _, want := range []string{
		"# TYPE leased_pkt4_received_total counter",
		"leased_pkt4_received_total 1",
		"leased_pkt4_discover_received_total 1",
		"# TYPE leased_subnet_assigned_addresses gauge",
		`leased_subnet_assigned_addresses{subnet_id="1"} 2`,
		`leased_subnet_total_addresses{subnet_id="1"} 254`,
		`leased_pool_assigned_addresses{pool_id="0",subnet_id="1"} 1`,
		`leased_pool_total_addresses{pool_id="0",subnet_id="1"} 100`,
		"# HELP leased_subnet_assigned_addresses Kea statistic subnet[id].assigned-addresses",
		"leased_some_duration_seconds 1.5",
		`leased_a_text_info{value="v1"} 1`,
		"leased_a_float 0.25",
		"leased_assigned_addresses 0",
	} {
		if !strings.Contains(out, want+"\n") {
			t.Errorf("missing %q in\n%s", want, out)
		}
	}
	if strings.Contains(out, "leased_a_float 7") {
		t.Error("colliding float exported")
	}
}

func TestMetricName(t *testing.T) {
	for in, want := range map[string]string{
		"pkt4-received":                         "leased_pkt4_received [] []",
		"subnet[12].assigned-addresses":         "leased_subnet_assigned_addresses [subnet_id] [12]",
		"subnet[12].pool[3].declined-addresses": "leased_pool_declined_addresses [subnet_id pool_id] [12 3]",
		"subnet[x].odd":                         "leased_subnet_x__odd [] []",
		"subnet[1]":                             "leased_subnet_1_ [] []",
		"subnet[1].pool[a].z":                   "leased_subnet_pool_a__z [subnet_id] [1]",
	} {
		fam, _, ln, lv := metricName(in)
		got := fam + " " + sprint(ln) + " " + sprint(lv)
		if got != want {
			t.Errorf("metricName(%q) = %s, want %s", in, got, want)
		}
	}
}

func sprint(s []string) string { return "[" + strings.Join(s, " ") + "]" }

// Counters are updated from many goroutines while the statistics are
// read, reset and exported; run with -race. Without resets the total is
// exact.
func TestCountersConcurrent(t *testing.T) {
	m := New(Options{})
	p := m.Packets()
	sn := m.Subnet(1, 100)
	const workers, per = 8, 5000
	var stop atomic.Bool
	var readers sync.WaitGroup
	readers.Add(1)
	go func() {
		defer readers.Done()
		h := m.Handler()
		for !stop.Load() {
			m.GetAll()
			m.Get("pkt4-received")
			m.Reset("subnet[1].declined-addresses")
			h.ServeHTTP(httptest.NewRecorder(), httptest.NewRequest("GET", "/metrics", nil))
		}
	}()
	var wg sync.WaitGroup
	for range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for range per {
				p.CountReceived(3)
				sn.AssignedAddresses.Add(1)
				sn.DeclinedAddresses.Add(1)
			}
		}()
	}
	wg.Wait()
	stop.Store(true)
	readers.Wait()
	if v, _ := m.Int("pkt4-received"); v != workers*per {
		t.Errorf("pkt4-received = %d, want %d", v, workers*per)
	}
	if v, _ := m.Int("subnet[1].assigned-addresses"); v != workers*per {
		t.Errorf("assigned = %d, want %d", v, workers*per)
	}
}

func TestCounterAddAllocatesNothing(t *testing.T) {
	m := New(Options{})
	c, _ := m.Counter("x")
	p := m.Packets()
	if n := testing.AllocsPerRun(1000, func() { c.Add(1); p.CountReceived(1) }); n != 0 {
		t.Errorf("Add allocates %.1f times", n)
	}
}

func BenchmarkCounterAdd(b *testing.B) {
	m := New(Options{})
	c, _ := m.Counter("pkt4-received")
	b.ReportAllocs()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			c.Add(1)
		}
	})
}

func BenchmarkLockedAddInt(b *testing.B) {
	m := New(Options{})
	b.ReportAllocs()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			m.AddInt("pkt4-received", 1)
		}
	})
}

func BenchmarkGetAll(b *testing.B) {
	m := New(Options{})
	m.Packets()
	for i := range 100 {
		m.Subnet(uint32(i), 254)
	}
	b.ReportAllocs()
	for b.Loop() {
		m.GetAll()
	}
}
