package classify

import (
	"errors"
	"testing"

	"github.com/leased/leased/dhcpv4"
)

var fuzzSeeds = []string{
	"option[60].text == 'x'",
	"option[host-name].exists and not member('KNOWN')",
	"substring(option[61].hex,-3,all) == 0x0a0b",
	"split(relay4[1].text, '/', 2) + 'x' == lcase(ucase('ab'))",
	"ifelse(vendor[*].exists, vendor[4491].option[1].option[2].hex, vendor-class[0].data[3]) == ''",
	"hexstring(pkt4.mac, ':') == addrtotext(pkt4.giaddr) sor pkt.len == 300 sand pkt.iface == 'eth0'",
	"int8totext(0xff) == int16totext(0xfffe) or uint32totext(4294967295) == '1'",
	"match('a(b|c)*', 'abcb')",
	"(not (member('A') or member('B')) and 'x' == 'x')",
	"sifelse(2001:db8::1 == ::, vendor.enterprise, vendor-class.enterprise)",
	"concat('a', concat('b', 'c'))",
	"pkt4.msgtype + pkt4.transid + pkt4.hlen + pkt4.htype + pkt4.ciaddr + pkt4.yiaddr + pkt4.siaddr + pkt.src + pkt.dst",
	"((('a'",
	"option[",
	"0x",
	"'unterminated",
	"1.2.3.4.5",
	"::ffff:1.2.3.4",
}

func fuzzOptionNames(name string) (uint8, bool) {
	if name == "host-name" {
		return 12, true
	}
	return 0, false
}

// FuzzCompile checks that compiling never panics, that errors point inside
// the expression, that printing is a fixed point, and that evaluating a
// compiled expression never panics.
func FuzzCompile(f *testing.F) {
	for _, s := range fuzzSeeds {
		f.Add(s)
	}
	p := richPacket(f)
	opts := &Options{OptionCode: fuzzOptionNames}
	var e Eval
	f.Fuzz(func(t *testing.T, src string) {
		for _, kind := range []Kind{Bool, String} {
			x, err := Compile(src, kind, opts)
			if err != nil {
				var se *SyntaxError
				if !errors.As(err, &se) {
					t.Fatalf("Compile(%q) error %v is not a *SyntaxError", src, err)
				}
				if se.Col < 1 || se.Col > len(src)+1 || se.Expr != src {
					t.Fatalf("Compile(%q): column %d outside the expression", src, se.Col)
				}
				_ = se.Pointer()
				continue
			}
			printed := x.String()
			y, err := Compile(printed, kind, opts)
			if err != nil {
				t.Fatalf("Compile(%q) printed %q, which does not compile: %v", src, printed, err)
			}
			if again := y.String(); again != printed {
				t.Fatalf("Compile(%q) printed %q, then %q", src, printed, again)
			}
			e.Begin(p, richMeta)
			e.AddClass("A")
			if kind == Bool {
				_, _ = e.Bool(x)
			} else {
				_, _ = e.Value(x)
			}
		}
	})
}

// fuzzExprs read every part of a packet the language can reach.
var fuzzExprs = []string{
	"option[60].text == 'x' or option[12].exists or option[53].hex == 0x01",
	"option[82].option[1].option[2].exists or relay4[2].option[3].hex == 'x'",
	"vendor[*].exists or vendor[4491].option[1].option[2].hex == 'x' or vendor.enterprise == 4491",
	"vendor-class[*].exists or vendor-class[4491].data[2] == 'x' or vendor-class.enterprise == 1",
	"pkt.len == 300 or pkt4.mac == 0x01 or pkt4.hlen == 6 or pkt4.htype == 1 or pkt4.msgtype == 1",
	"pkt4.ciaddr == pkt4.giaddr or pkt4.yiaddr == pkt4.siaddr or pkt4.transid == 1",
	"addrtotext(option[50].hex) == '' or int16totext(option[57].hex) == '' or uint32totext(option[51].hex) == ''",
	"hexstring(substring(option[61].hex, -4, all), ':') == split(option[12].text, '.-', 2)",
}

// FuzzEvalPacket checks that evaluating and classifying arbitrary decoded
// packets never panics.
func FuzzEvalPacket(f *testing.F) {
	f.Add(richPacket(f).Bytes())
	f.Add(buildPacket(f, 0, nil).Bytes())
	var exprs []*Expr
	for _, s := range fuzzExprs {
		exprs = append(exprs, MustCompile(s, Bool, nil))
	}
	c, err := New([]ClassDef{
		{Name: "a", Test: fuzzExprs[0]},
		{Name: "t", TemplateTest: "hexstring(option[61].hex, '') + option[60].text"},
		{Name: "k", Test: "member('KNOWN') and member('a')"},
	}, &Config{BOOTP: true})
	if err != nil {
		f.Fatal(err)
	}
	e := c.NewEval()
	var p dhcpv4.Packet
	f.Fuzz(func(t *testing.T, b []byte) {
		if p.Decode(b) != nil {
			return
		}
		e.Begin(&p, Meta{})
		for _, x := range exprs {
			_, _ = e.Bool(x)
		}
		e.Classify()
		e.SetKnown(true)
		e.EvaluateAdditional([]string{"a", "t"})
		_ = e.Classes().String()
	})
}
