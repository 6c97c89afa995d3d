package meshd

import (
	"context"
	"log/slog"
	"net/netip"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/leased/leased/dhcpserver/dhcptest"
	"github.com/leased/leased/dhcpv4"
	"github.com/leased/leased/lease"
	"github.com/leased/leased/mesh"
)

// waitClaims waits until the claims file lists want.
func waitClaims(t *testing.T, dir string, want []uint32) claimsFile {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for {
		b, err := os.ReadFile(filepath.Join(dir, claimsName))
		if err == nil {
			cf, err := parseClaims(b)
			if err != nil {
				t.Fatal(err)
			}
			var got []uint32
			for _, c := range cf.Claims {
				got = append(got, c.Block)
			}
			if slices.Equal(got, want) {
				return cf
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("claims file never listed %v (last error %v)", want, err)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// A node restarted within its claims' lifetime owns its blocks again at
// once, in its learning phase, and its clients keep their addresses.
func TestRestartKeepsLeases(t *testing.T) {
	dir := t.TempDir()
	log := slog.New(slog.DiscardHandler)
	b := newBus(t)
	cfg := testConfig(t)
	st, err := openState(dir, log)
	if err != nil {
		t.Fatal(err)
	}
	c := b.add(cfg, st, nil)
	st.startClaimsWriter(c.node.ID(), c.rng, c.claimSnapshot)
	b.advance(5 * time.Second)
	own := owned(c)
	if len(own) == 0 {
		t.Fatal("no block owned")
	}
	a := dora(t, c.handler(), hwA, 1)
	cf := waitClaims(t, dir, own)
	if cf.ID != c.node.ID() || cf.Range != "10.0.0.0/24 b2" {
		t.Errorf("claims file: %+v", cf)
	}
	var l lease.Lease
	if ok, err := st.store.Get(context.Background(), a, &l); !ok || err != nil || !slices.Equal(l.HWAddr, hwA) ||
		l.ValidLifetime != 310 {
		t.Fatalf("stored lease %v: %v %v %v", a, l.String(), ok, err)
	}
	if err := st.close(); err != nil {
		t.Fatal(err)
	}

	// Restart 5 s later, with the learning phase on this time.
	b.clock.add(5 * time.Second)
	st2, err := openState(dir, log)
	if err != nil {
		t.Fatal(err)
	}
	defer st2.close()
	cfg2 := cfg
	cfg2.LearningPhase = true
	b2 := &bus{t: t, clock: b.clock, q: make(chan busMsg, 64), drop: map[int]bool{}}
	c2 := b2.add(cfg2, st2, nil)
	c2.resume()
	if got := owned(c2); !slices.Equal(got, own) {
		t.Fatalf("owned after restart %v, want %v", got, own)
	}
	var announced bool
	for len(b2.q) > 0 {
		m := <-b2.q
		if p, err := mesh.Parse(m.data); err == nil && p.Command() == mesh.UpdateClaim {
			announced = true
		}
	}
	if !announced {
		t.Error("resumed blocks not announced at once")
	}
	r := serve(t, c2.handler(), dhcptest.Message{Type: dhcpv4.Request, XID: 9, CHAddr: hwA, CIAddr: a})
	if r == nil || r.Packet.MessageType() != dhcpv4.Ack || r.Packet.YIAddr() != a {
		t.Fatalf("renewal after restart: %v", r)
	}
	off := serve(t, c2.handler(), dhcptest.Message{Type: dhcpv4.Discover, XID: 10, CHAddr: hwA})
	if off == nil || off.Packet.YIAddr() != a {
		t.Errorf("DISCOVER after restart offered %v, want %v", off, a)
	}
}

// Claims made under another node id or range are not resumed, and a
// damaged claims file only costs the claims.
func TestStateIgnoresForeignClaims(t *testing.T) {
	log := slog.New(slog.DiscardHandler)
	rng, _ := mesh.NewRange(mustAddr("10.0.0.0"), 24, 2)
	until := epoch.Add(time.Minute)
	for _, tc := range []struct {
		name, file string
		want       int
	}{
		{"ours", "leased-mesh-claims 1\nnode 0200000001010000\nrange 10.0.0.0/24 b2\nblock 3 " + ms(until) + "\n", 1},
		{"expired", "leased-mesh-claims 1\nnode 0200000001010000\nrange 10.0.0.0/24 b2\nblock 3 " + ms(epoch) + "\n", 0},
		{"other id", "leased-mesh-claims 1\nnode 0200000001020000\nrange 10.0.0.0/24 b2\nblock 3 " + ms(until) + "\n", 0},
		{"other range", "leased-mesh-claims 1\nnode 0200000001010000\nrange 10.0.0.0/24 b3\nblock 3 " + ms(until) + "\n", 0},
		{"damaged", "leased-mesh-claims 1\nnode 02000000010100\n", 0},
	} {
		dir := t.TempDir()
		if err := os.WriteFile(filepath.Join(dir, claimsName), []byte(tc.file), 0o600); err != nil {
			t.Fatal(err)
		}
		st, err := openState(dir, log)
		if err != nil {
			t.Fatal(err)
		}
		claims, _ := st.load(epoch, nodeID(1), rng, log)
		if len(claims) != tc.want {
			t.Errorf("%s: %d claims, want %d", tc.name, len(claims), tc.want)
		}
		st.close()
	}
}

func mustAddr(s string) netip.Addr { return netip.MustParseAddr(s) }

func ms(t time.Time) string { return strconv.FormatInt(t.UnixMilli(), 10) }

func TestParseClaims(t *testing.T) {
	good := "leased-mesh-claims 1\nnode 0200000001010000\nrange 10.0.0.0/24 b5\nblock 3 1000\nblock 7 2000\n"
	cf, err := parseClaims([]byte(good))
	if err != nil {
		t.Fatal(err)
	}
	if cf.Range != "10.0.0.0/24 b5" || len(cf.Claims) != 2 || cf.Claims[1].Block != 7 || !cf.Claims[1].Until.Equal(time.UnixMilli(2000)) {
		t.Errorf("parsed %+v", cf)
	}
	if got := string(cf.marshal()); got != good {
		t.Errorf("marshal: %q, want %q", got, good)
	}
	for _, tc := range []struct{ in, err string }{
		{"", "empty"},
		{"leased-mesh-claims 2\n", "line 1: not a leased claims file"},
		{"leased-mesh-claims 1\nblock 3 1000\n", `line 2: unexpected "block 3 1000"`},
		{"leased-mesh-claims 1\nnode 0200000001010000\nrange 10.0.0.0/24 b5\nblock x 1000\n", `line 4: block index "x"`},
		{"leased-mesh-claims 1\nnode 0200000001010000\nrange 10.0.0.0/24 b5\nblock 1 soon\n", `line 4: expiry "soon"`},
		{"leased-mesh-claims 1\nnode zz\n", "line 2: node id"},
		{"leased-mesh-claims 1\nnode 0200000001010000\n", "node or range line missing"},
		{"leased-mesh-claims 1\nnode 0200000001010000\nnode 0200000001010000\n", "line 3: unexpected"},
		{"leased-mesh-claims 1\n\n", "line 2: empty line"},
	} {
		_, err := parseClaims([]byte(tc.in))
		if err == nil || !strings.Contains(err.Error(), tc.err) {
			t.Errorf("parseClaims(%q): %v, want %q", tc.in, err, tc.err)
		}
	}
}

func FuzzParseClaims(f *testing.F) {
	f.Add([]byte("leased-mesh-claims 1\nnode 0200000001010000\nrange 10.0.0.0/24 b5\nblock 3 1000\n"))
	f.Add([]byte("leased-mesh-claims 1\nnode 0200000001010000\nrange 10.0.0.0/24 b5\n"))
	f.Add([]byte("leased-mesh-claims 1\n"))
	f.Fuzz(func(t *testing.T, b []byte) {
		cf, err := parseClaims(b)
		if err != nil {
			return
		}
		again, err := parseClaims(cf.marshal())
		if err != nil {
			t.Fatalf("re-parse of marshalled %+v: %v", cf, err)
		}
		if again.ID != cf.ID || again.Range != cf.Range || len(again.Claims) != len(cf.Claims) {
			t.Fatalf("round trip %+v -> %+v", cf, again)
		}
	})
}
