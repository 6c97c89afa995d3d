package optdef

import "testing"

func TestLookupDoesNotAllocate(t *testing.T) {
	r, err := Standard().With(Def{Name: "my-opt", Code: 224, Space: "custom-space", Type: TypeUint8})
	if err != nil {
		t.Fatal(err)
	}
	var sink Def
	allocs := testing.AllocsPerRun(100, func() {
		sink, _ = r.LookupCode(SpaceDHCP4, 3)
		sink, _ = r.LookupCode(SpaceDHCP4, 81)
		sink, _ = r.LookupName(SpaceDHCP4, "domain-search")
		sink, _ = r.LookupName("custom-space", "my-opt")
		sink, _ = r.LookupName("nope", "nope")
	})
	if allocs != 0 {
		t.Errorf("lookups allocate %.1f times per run", allocs)
	}
	_ = sink
}

var benchSink Def

func BenchmarkLookupCode(b *testing.B) {
	r := Standard()
	b.ReportAllocs()
	for i := 0; b.Loop(); i++ {
		benchSink, _ = r.LookupCode(SpaceDHCP4, uint8(i))
	}
}

func BenchmarkLookupName(b *testing.B) {
	r := Standard()
	names := []string{"routers", "domain-name-servers", "fqdn", "v4-dnr", "unknown-option"}
	b.ReportAllocs()
	for i := 0; b.Loop(); i++ {
		benchSink, _ = r.LookupName(SpaceDHCP4, names[i%len(names)])
	}
}

func BenchmarkEncode(b *testing.B) {
	d, _ := Standard().LookupName(SpaceDHCP4, "domain-name-servers")
	buf := make([]byte, 0, 64)
	b.ReportAllocs()
	for b.Loop() {
		var err error
		if buf, err = d.Encode(buf[:0], "192.0.2.1, 192.0.2.2, 192.0.2.3", true); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkFormat(b *testing.B) {
	d, _ := Standard().LookupName(SpaceDHCP4, "domain-name-servers")
	payload, _ := d.Encode(nil, "192.0.2.1, 192.0.2.2, 192.0.2.3", true)
	b.ReportAllocs()
	for b.Loop() {
		if _, err := d.Format(payload); err != nil {
			b.Fatal(err)
		}
	}
}
