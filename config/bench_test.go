package config

import (
	"fmt"
	"net/netip"
	"runtime"
	"strings"
	"testing"
)

// bigConfig writes a configuration with the given number of /24 subnets,
// each with one pool, a routers option and perSubnet reservations.
func bigConfig(subnets, perSubnet int) []byte {
	var b strings.Builder
	b.Grow(subnets * (300 + perSubnet*110))
	b.WriteString(`{"Dhcp4": {
  "valid-lifetime": 4000, "renew-timer": 1000, "rebind-timer": 2000,
  "option-data": [{"name": "domain-name-servers", "data": "192.0.2.53, 192.0.2.54"}],
  "subnet4": [`)
	for i := range subnets {
		if i > 0 {
			b.WriteString(",")
		}
		hi, lo := 10+i/65536, (i/256)%256
		net := fmt.Sprintf("%d.%d.%d", hi, lo, i%256)
		fmt.Fprintf(&b, "\n    {\"id\": %d, \"subnet\": \"%s.0/24\", \"pools\": [{\"pool\": \"%s.100 - %s.199\"}],"+
			" \"option-data\": [{\"name\": \"routers\", \"data\": \"%s.1\"}], \"reservations\": [", i+1, net, net, net, net)
		for j := range perSubnet {
			if j > 0 {
				b.WriteString(",")
			}
			fmt.Fprintf(&b, "\n      {\"hw-address\": \"02:00:%02x:%02x:%02x:%02x\", \"ip-address\": \"%s.%d\", \"hostname\": \"h%d-%d\"}",
				byte(i>>16), byte(i>>8), byte(i), byte(j), net, 10+j, i, j)
		}
		b.WriteString("]}")
	}
	b.WriteString("\n  ]\n}}\n")
	return []byte(b.String())
}

// BenchmarkLoadLarge loads 10,000 subnets and 100,000 reservations and
// reports the heap the loaded model keeps (model-MB, measured after a
// garbage collection with only the model alive).
func BenchmarkLoadLarge(b *testing.B) {
	src := bigConfig(10000, 10)
	b.SetBytes(int64(len(src)))
	b.ReportAllocs()
	var c *Config
	for b.Loop() {
		var err error
		var diags []Diagnostic
		c, diags, err = Parse("big.json", src, nil)
		if err != nil {
			b.Fatalf("%v\n%s", err, joinDiags(diags))
		}
	}
	b.StopTimer()
	src = nil
	var before, after runtime.MemStats
	c = nil
	runtime.GC()
	runtime.ReadMemStats(&before)
	c, _, _ = Parse("big.json", bigConfig(10000, 10), nil)
	runtime.GC()
	runtime.ReadMemStats(&after)
	b.ReportMetric(float64(after.HeapAlloc-before.HeapAlloc)/(1<<20), "model-MB")
	if len(c.Subnets) != 10000 || c.Reservation(10000, HWAddress, []byte{2, 0, 0, 0x27, 0x0f, 9}) == nil {
		b.Fatal("model incomplete")
	}
	runtime.KeepAlive(c)
}

// BenchmarkLookups measures what the packet path does with the model.
func BenchmarkLookups(b *testing.B) {
	c, diags, err := Parse("big.json", bigConfig(10000, 10), nil)
	if err != nil {
		b.Fatalf("%v\n%s", err, joinDiags(diags))
	}
	addr := netip.MustParseAddr("10.20.15.77")
	mac := []byte{2, 0, 0, 0x14, 0x0f, 3}
	b.ReportAllocs()
	for b.Loop() {
		s := c.SubnetContaining(addr)
		if s == nil {
			b.Fatal("no subnet")
		}
		if h := c.Reservation(s.ID, HWAddress, mac); h == nil {
			b.Fatal("no reservation")
		}
		if o := s.Pools[0].Options.DHCP4(3); len(o) != 1 {
			b.Fatal("no routers")
		}
	}
}

func TestBigConfigLoads(t *testing.T) {
	c, diags, err := Parse("big.json", bigConfig(300, 3), nil)
	if err != nil {
		t.Fatalf("%v\n%s", err, joinDiags(diags))
	}
	if len(c.Subnets) != 300 || len(diags) != 0 {
		t.Fatalf("subnets %d, diags %v", len(c.Subnets), diags)
	}
	// Subnet index i is 10.(i/256).(i%256).0/24 with id i+1: the last of
	// 300 is 10.1.43.0/24 (id 300), and 10.1.44.0/24 is not configured.
	if s := c.SubnetContaining(netip.MustParseAddr("10.1.43.150")); s == nil || s.ID != 300 {
		t.Errorf("subnet for 10.1.43.150: %+v", s)
	}
	if s := c.SubnetContaining(netip.MustParseAddr("10.1.44.150")); s != nil {
		t.Errorf("10.1.44.150 is in no configured subnet, got subnet %d %v", s.ID, s.Prefix)
	}
	if h := c.Reservation(300, HWAddress, []byte{2, 0, 0, 1, 43, 2}); h == nil || h.Address != netip.MustParseAddr("10.1.43.12") {
		t.Errorf("reservation 02:00:00:01:2b:02 in subnet 300: %+v", h)
	}
	if s := c.SubnetContaining(netip.MustParseAddr("10.0.44.150")); s == nil || s.ID != 45 {
		t.Errorf("subnet for 10.0.44.150: %+v", s)
	}
}
