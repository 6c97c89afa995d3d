package mesh

import (
	"net/netip"
	"strings"
	"testing"
	"time"
)

func TestDefaultConfig(t *testing.T) {
	c, err := ParseArgs(nil)
	if err != nil {
		t.Fatal(err)
	}
	want := DefaultConfig()
	if c.MeshInterface != "server0" || c.ClientInterface != "client0" || c.Prefix != netip.MustParseAddr("10.0.0.0") ||
		c.PrefixLen != 24 || c.BlockPow != 5 || c.TentativeTimeout != 15*time.Second || c.BlockTimeout != 60*time.Second ||
		c.NeedlessTimeout != 300*time.Second || c.SpareLeases != 2 || !c.LearningPhase || c.ControlPath != "/tmp/ddhcpd_ctl" ||
		c.LogLevel != 2 || c.Daemonize || c.NoDHCP || c.Hook != "" || c.Options.Len() != 0 {
		t.Errorf("ParseArgs(nil) = %+v", c)
	}
	if c.MeshInterface != want.MeshInterface || c.BlockTimeout != want.BlockTimeout {
		t.Error("ParseArgs(nil) differs from DefaultConfig")
	}
	r, err := c.Range()
	if err != nil || r.NumBlocks() != 8 || r.BlockSize() != 32 {
		t.Errorf("default range %v, %v", r, err)
	}
}

// The command line Gluon's procd script runs (specification 9).
func TestParseGluonCommandLine(t *testing.T) {
	args := strings.Fields("-D -s 2 -b 2 -B 300 -c local-node -i br-client -N 10.116.128.0/17 -t 15 -H /etc/ddhcpd.hook " +
		"-o 51:4:0.0.1.44 -o 54:4:10.116.128.1 -o 1:4:255.255.128.0")
	c, err := ParseArgs(args)
	if err != nil {
		t.Fatal(err)
	}
	if c.SpareLeases != 2 || c.BlockPow != 2 || c.BlockTimeout != 300*time.Second || c.ClientInterface != "local-node" ||
		c.MeshInterface != "br-client" || c.Prefix != netip.MustParseAddr("10.116.128.0") || c.PrefixLen != 17 ||
		c.TentativeTimeout != 15*time.Second || c.Hook != "/etc/ddhcpd.hook" || c.Daemonize {
		t.Errorf("parsed %+v", c)
	}
	got := []string{}
	for _, o := range c.Options.All() {
		got = append(got, o.String())
	}
	if strings.Join(got, " ") != "51:4:0.0.1.44 54:4:10.116.128.1 1:4:255.255.128.0" {
		t.Errorf("options %v", got)
	}
	if c.Options.LeaseTime() != 300*time.Second {
		t.Errorf("lease time %v", c.Options.LeaseTime())
	}
	r, _ := c.Range()
	if r.NumBlocks() != 8192 {
		t.Errorf("blocks %d, want 2^(32-17-2)", r.NumBlocks())
	}
}

func TestParseArgsForms(t *testing.T) {
	tests := []struct {
		args  string
		check func(c Config) bool
	}{
		{"-b2", func(c Config) bool { return c.BlockPow == 2 }},
		{"-dL", func(c Config) bool { return c.Daemonize && !c.LearningPhase }},
		{"-d -D", func(c Config) bool { return !c.Daemonize }},
		{"-vvv", func(c Config) bool { return c.LogLevel == 4 }},
		{"-v", func(c Config) bool { return c.LogLevel == 3 }},
		{"-Lb3", func(c Config) bool { return !c.LearningPhase && c.BlockPow == 3 }},
		{"-B 0x12c", func(c Config) bool { return c.BlockTimeout == 300*time.Second }},
		{"-S -s 9", func(c Config) bool { return c.NoDHCP && c.SpareLeases == 0 }},
		{"-s 255", func(c Config) bool { return c.SpareLeases == 255 }},
		{"-n 0", func(c Config) bool { return c.NeedlessTimeout == 0 }},
		{"-N 10.0.0.5/24", func(c Config) bool { return c.Prefix == netip.MustParseAddr("10.0.0.5") }},
		{"-N 10.0.0.0/30 -b 2", func(c Config) bool { r, _ := c.Range(); return r.NumBlocks() == 1 }},
		{"-o 3:4:1.2.3.4 -o 3:4:5.6.7.8", func(c Config) bool { o, _ := c.Options.Get(3); return c.Options.Len() == 1 && o.Data[0] == 5 }},
		{"-C /run/x -H hook -i a -c b", func(c Config) bool {
			return c.ControlPath == "/run/x" && c.Hook == "hook" && c.MeshInterface == "a" && c.ClientInterface == "b"
		}},
		{"-h", func(c Config) bool { return c.Help }},
		{"-help", func(c Config) bool { return c.Help }},
		{"-L --help", func(c Config) bool { return c.Help }},
		{"-H --help", func(c Config) bool { return !c.Help && c.Hook == "--help" }},
		{"-V", func(c Config) bool { return c.Version }},
		{"-L --", func(c Config) bool { return !c.LearningPhase }},
	}
	for _, tc := range tests {
		c, err := ParseArgs(strings.Fields(tc.args))
		if err != nil {
			t.Errorf("%q: %v", tc.args, err)
			continue
		}
		if !tc.check(c) {
			t.Errorf("%q: parsed %+v", tc.args, c)
		}
	}
}

func TestParseArgsErrors(t *testing.T) {
	tests := []struct{ args, want string }{
		{"-b 8", "-b"},
		{"-b -1", "-b"},
		{"-b x", "-b"},
		{"-t 1", "-t"},
		{"-t 65536", "-t"},
		{"-B 0", "-B"},
		{"-B 65536", "-B"},
		{"-s 256", "-s"},
		{"-n -5", "-n"},
		{"-N 10.0.0.0", "NETWORK/LENGTH"},
		{"-N 10.0.0.0/", "NETWORK/LENGTH"},
		{"-N 10.0.0.0/7", "prefix length"},
		{"-N 10.0.0.0/33", "prefix length"},
		{"-N ::1/64", "IPv4"},
		{"-N 10.0.0.0/30 -b 3", "no room"},
		{"-o 51:4:1.2.3", "payload bytes"},
		{"-x", "unknown flag -x"},
		{"-b", "needs a value"},
		{"extra", "unexpected argument"},
		{"-L -- extra", "unexpected argument"},
	}
	for _, tc := range tests {
		_, err := ParseArgs(strings.Fields(tc.args))
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%q: error %v, want one mentioning %q", tc.args, err, tc.want)
		}
	}
}

func TestConfigValidate(t *testing.T) {
	c := DefaultConfig()
	if err := c.Validate(); err != nil {
		t.Fatal(err)
	}
	bad := []func(*Config){
		func(c *Config) { c.TentativeTimeout = 1500 * time.Millisecond },
		func(c *Config) { c.BlockTimeout = 0 },
		func(c *Config) { c.BlockTimeout = 70000 * time.Second },
		func(c *Config) { c.SpareLeases = 300 },
		func(c *Config) { c.NoDHCP = true },
		func(c *Config) { c.PrefixLen = 4 },
	}
	for i, f := range bad {
		c := DefaultConfig()
		f(&c)
		if err := c.Validate(); err == nil {
			t.Errorf("case %d: Validate accepted %+v", i, c)
		}
	}
	if !strings.Contains(Usage("leased mesh"), "-N NET/LEN") {
		t.Error("usage lacks -N")
	}
}

func TestRange(t *testing.T) {
	tests := []struct {
		prefix    string
		bits, pow int
		blocks    uint32
	}{
		{"10.0.0.0", 24, 5, 8},
		{"10.0.0.0", 24, 2, 64},
		{"10.0.0.0", 30, 2, 1},
		{"10.0.0.0", 8, 7, 1 << 17},
		{"10.0.0.0", 32, 0, 1},
	}
	for _, tc := range tests {
		r, err := NewRange(netip.MustParseAddr(tc.prefix), tc.bits, tc.pow)
		if err != nil || r.NumBlocks() != tc.blocks {
			t.Errorf("%s/%d b=%d: %d blocks, %v; want %d", tc.prefix, tc.bits, tc.pow, r.NumBlocks(), err, tc.blocks)
		}
	}
	r, _ := NewRange(netip.MustParseAddr("10.0.0.5"), 24, 2)
	if r.Network() != netip.MustParseAddr("10.0.0.0") || r.Broadcast() != netip.MustParseAddr("10.0.0.255") {
		t.Errorf("network %v broadcast %v", r.Network(), r.Broadcast())
	}
	// Blocks start at the unmasked prefix.
	if r.Addr(0, 0) != netip.MustParseAddr("10.0.0.5") || r.Addr(63, 3) != netip.MustParseAddr("10.0.1.4") {
		t.Errorf("addresses %v %v", r.Addr(0, 0), r.Addr(63, 3))
	}
	for _, tc := range []struct {
		addr  string
		block uint32
		index int
		ok    bool
	}{
		{"10.0.0.5", 0, 0, true}, {"10.0.0.4", 0, 0, false}, {"10.0.0.46", 10, 1, true},
		{"10.0.1.4", 63, 3, true}, {"10.0.1.5", 0, 0, false}, {"::1", 0, 0, false},
	} {
		b, i, ok := r.Block(netip.MustParseAddr(tc.addr))
		if ok != tc.ok || (ok && (b != tc.block || i != tc.index)) {
			t.Errorf("Block(%s) = %d %d %v", tc.addr, b, i, ok)
		}
	}
	h := Header{Prefix: [4]byte{10, 0, 0, 5}, PrefixLen: 24, BlockSize: 4}
	if !r.Matches(h) {
		t.Error("matching header rejected")
	}
	for _, m := range []func(*Header){
		func(h *Header) { h.Prefix[3] = 0 }, func(h *Header) { h.PrefixLen = 23 }, func(h *Header) { h.BlockSize = 2 },
	} {
		h2 := h
		m(&h2)
		if r.Matches(h2) {
			t.Errorf("foreign header %+v accepted", h2)
		}
	}
}

func TestNodeIDFromMAC(t *testing.T) {
	id, err := NodeIDFromMAC([]byte{0x02, 0, 0, 0, 0x01, 0x01})
	if err != nil || id.String() != "0200000001010000" {
		t.Errorf("got %v, %v; want 0200000001010000 as in specification 3.4", id, err)
	}
	if _, err := NodeIDFromMAC(make([]byte, 6)); err == nil {
		t.Error("zero MAC accepted")
	}
	if _, err := NodeIDFromMAC(make([]byte, 20)); err == nil {
		t.Error("20-byte hardware address accepted")
	}
	a, _ := ParseNodeID("0200000001000000")
	b, _ := ParseNodeID("0200000001010000")
	if a.Compare(b) >= 0 || b.Compare(a) <= 0 || a.Compare(a) != 0 {
		t.Error("Compare does not order ids bytewise")
	}
	if _, err := ParseNodeID("02"); err == nil {
		t.Error("short id accepted")
	}
	if _, err := ParseNodeID("zz00000001000000"); err == nil {
		t.Error("non-hex id accepted")
	}
	if _, err := NodeIDForInterface("no-such-interface-xyz"); err == nil {
		t.Error("missing interface accepted")
	}
}
