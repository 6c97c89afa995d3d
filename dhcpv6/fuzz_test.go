package dhcpv6

import (
	"bytes"
	"testing"
)

// FuzzDecode checks that no input panics the decoder or its accessors.
func FuzzDecode(f *testing.F) {
	addSeeds(f)
	f.Fuzz(func(t *testing.T, data []byte) {
		var m Message
		if err := m.Decode(data); err != nil {
			return
		}
		visit(t, &m, 0)
	})
}

func visit(t *testing.T, m *Message, depth int) {
	_ = m.TransactionID()
	_, _, _ = m.LinkAddr(), m.PeerAddr(), m.HopCount()
	o := m.Options()
	n := 0
	for code, v := range o.All() {
		n++
		if w, ok := o.Get(code); !ok || (n == 1 && !bytes.Equal(v, w)) {
			t.Fatalf("option %v: iteration and lookup disagree", code)
		}
	}
	if n != o.Count() {
		t.Fatalf("iterated %d options, Count says %d", n, o.Count())
	}
	_, _ = o.ClientID()
	_, _ = o.Unicast()
	_, _, _ = o.Status()
	_ = o.ORO(nil)
	_, _ = o.DNSServers(nil)
	_, _ = o.DomainList(nil)
	_, _, _ = o.NTPServers(nil, nil)
	for _, c := range []OptionCode{OptionIANA, OptionIATA, OptionIAPD} {
		for ia := range o.IAs(c) {
			for a := range ia.Addresses() {
				_ = a.Options.StatusCode()
			}
			for p := range ia.Prefixes() {
				_ = p.Options.StatusCode()
			}
		}
	}
	var inner Message
	if m.Relayed(&inner) {
		if depth > HopCountLimit {
			t.Fatalf("relays nested %d deep were accepted", depth)
		}
		visit(t, &inner, depth+1)
	}
}

// FuzzRoundTrip decodes a message and builds it again with Builder, IAs,
// IAADDRs and IAPREFIXes through their typed Begin methods: the bytes must
// come out the same.
func FuzzRoundTrip(f *testing.F) {
	addSeeds(f)
	f.Fuzz(func(t *testing.T, data []byte) {
		var m Message
		if err := m.Decode(data); err != nil {
			return
		}
		var b Builder
		buf := make([]byte, 0, len(data))
		if m.Type().IsRelay() {
			b.BeginRelay(buf, m.Type(), m.HopCount(), m.LinkAddr(), m.PeerAddr())
		} else {
			b.Begin(buf, m.Type(), m.TransactionID())
		}
		rebuild(&b, m.Options())
		out, err := b.Finish()
		if err != nil {
			t.Fatalf("building again: %v", err)
		}
		if !bytes.Equal(out, data) {
			t.Fatalf("round trip changed the message\n in % x\nout % x", data, out)
		}
	})
}

func rebuild(b *Builder, o Options) {
	for code, v := range o.All() {
		switch code {
		case OptionIANA, OptionIATA, OptionIAPD:
			ia, _ := ParseIA(code, v)
			b.BeginIA(code, ia.IAID, ia.T1, ia.T2)
			rebuild(b, ia.Options)
			b.End()
		case OptionIAAddr:
			a, _ := ParseIAAddress(v)
			b.BeginIAAddr(a.Addr, a.Preferred, a.Valid)
			rebuild(b, a.Options)
			b.End()
		case OptionIAPrefix:
			p, err := ParseIAPrefix(v)
			if err != nil { // a length over 128: no netip.Prefix holds it
				b.AddOption(code, v)
				continue
			}
			b.BeginIAPrefix(p.Prefix, p.Preferred, p.Valid)
			rebuild(b, p.Options)
			b.End()
		default:
			b.AddOption(code, v)
		}
	}
}
