package classify

import (
	"testing"
)

func benchBool(b *testing.B, expr string, want bool) {
	p := richPacket(b)
	x := MustCompile(expr, Bool, nil)
	var e Eval
	e.Begin(p, richMeta)
	if got, err := e.Bool(x); err != nil || got != want {
		b.Fatalf("%q = %v, %v; want %v", expr, got, err, want)
	}
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		_, _ = e.Bool(x)
	}
}

func BenchmarkOption60Text(b *testing.B) {
	benchBool(b, "option[60].text == 'docsis3.0'", true)
}

func BenchmarkOption60TextMiss(b *testing.B) {
	benchBool(b, "option[60].text == 'x'", false)
}

func BenchmarkSubstringHex(b *testing.B) {
	benchBool(b, "substring(option[61].hex, 0, 3) == 0x010001", true)
}

func BenchmarkRelayAndMAC(b *testing.B) {
	benchBool(b, "relay4[1].hex == 'circuit' and option[82].option[2].hex == pkt4.mac", true)
}

func BenchmarkHexstringConcatLcase(b *testing.B) {
	benchBool(b, "hexstring(pkt4.mac, ':') + '/' + lcase(option[12].text) == '00:01:02:03:04:05/host-one'", true)
}

func BenchmarkVendorAndSplit(b *testing.B) {
	benchBool(b, "vendor[4491].option[1].hex == 'modem' and split(option[39].text, 0x27, 2) == 'b' and vendor-class[4491].data[1] == 'de'", true)
}

func BenchmarkMatch(b *testing.B) {
	benchBool(b, "match('docsis[0-9]+\\.[0-9]+', option[60].text)", true)
}

func BenchmarkCompile(b *testing.B) {
	b.ReportAllocs()
	for b.Loop() {
		MustCompile("substring(option[61].hex, 0, 3) == 'foo' and not member('KNOWN')", Bool, nil)
	}
}

// BenchmarkClassify runs Kea's whole sequence for one packet against ten
// classes: built-ins, early tests, a template, the KNOWN pass and an
// additional list.
func BenchmarkClassify(b *testing.B) {
	defs := []ClassDef{
		{Name: "docsis", Test: "substring(option[60].hex, 0, 6) == 'docsis'"},
		{Name: "msft", Test: "option[60].text == 'MSFT 5.0'"},
		{Name: "relayed", Test: "relay4[1].exists and not member('docsis')"},
		{Name: "pxe", Test: "option[77].text == 'iPXE'"},
		{Name: "arch", Test: "option[93].hex == 0x0007"},
		{Name: "oui", Test: "substring(pkt4.mac, 0, 3) == 0x000102"},
		{Name: "Client-ID", TemplateTest: "hexstring(substring(option[61].hex, 1, 3), ':')"},
		{Name: "known", Test: "member('KNOWN') and member('pxe')"},
		{Name: "DROP", Test: "member('UNKNOWN') and option[60].text == 'evil'"},
		{Name: "extra", Test: "option[61].exists", OnlyInAdditional: true},
	}
	c, err := New(defs, nil)
	if err != nil {
		b.Fatal(err)
	}
	e := c.NewEval()
	p := richPacket(b)
	subnet := []string{"extra"}
	b.ReportAllocs()
	for b.Loop() {
		e.Begin(p, richMeta)
		e.Classify()
		e.SetKnown(true)
		e.EvaluateAdditional(subnet)
	}
}
