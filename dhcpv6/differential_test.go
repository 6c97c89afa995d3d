package dhcpv6

import (
	"bytes"
	"encoding/binary"
	"math/rand/v2"
	"slices"
	"testing"
	"time"

	idhcp "github.com/insomniacslk/dhcp/dhcpv6"
)

// The differential test decodes the same messages with this package and
// with github.com/insomniacslk/dhcp's dhcpv6 and compares the header, the
// top-level options, every IA with its addresses, prefixes and status
// codes, and the DNS servers. insomniacslk checks the contents of the
// options it knows (a DNS option's length, a domain name's labels) where
// this package reads them only on request, so a message it rejects and
// this package accepts is no difference; the reverse is.

func compareWithInsomniacslk(t *testing.T, data []byte) {
	t.Helper()
	var m Message
	ourErr := m.Decode(data)
	theirs, theirErr := idhcp.FromBytes(data)
	switch {
	case ourErr != nil && theirErr != nil, ourErr == nil && theirErr != nil:
		return
	case ourErr != nil:
		t.Fatalf("we reject (%v) what insomniacslk accepts: % x", ourErr, data)
	}
	if m.Type().IsRelay() {
		r, ok := theirs.(*idhcp.RelayMessage)
		if !ok {
			t.Fatalf("relay message decoded as %T", theirs)
		}
		if r.HopCount != m.HopCount() || !r.LinkAddr.Equal(m.LinkAddr().AsSlice()) || !r.PeerAddr.Equal(m.PeerAddr().AsSlice()) {
			t.Fatalf("relay header differs: %v", r)
		}
		compareOptions(t, m.Options(), r.Options.Options)
		return
	}
	msg, ok := theirs.(*idhcp.Message)
	if !ok {
		t.Fatalf("message decoded as %T", theirs)
	}
	if uint8(msg.MessageType) != uint8(m.Type()) {
		t.Fatalf("type %v, insomniacslk %v", m.Type(), msg.MessageType)
	}
	var xid [3]byte
	putUint24(xid[:], m.TransactionID())
	if msg.TransactionID != idhcp.TransactionID(xid) {
		t.Fatalf("xid %x, insomniacslk %x", xid, msg.TransactionID)
	}
	compareOptions(t, m.Options(), msg.Options.Options)
}

func seconds(v uint32) time.Duration { return time.Duration(v) * time.Second }

func compareOptions(t *testing.T, ours Options, theirs idhcp.Options) {
	t.Helper()
	var codes []uint16
	for c := range ours.All() {
		codes = append(codes, uint16(c))
	}
	var theirCodes []uint16
	for _, o := range theirs {
		theirCodes = append(theirCodes, uint16(o.Code()))
	}
	if !slices.Equal(codes, theirCodes) {
		t.Fatalf("option codes %v, insomniacslk %v", codes, theirCodes)
	}
	i := 0
	for code, v := range ours.All() {
		o := theirs[i]
		i++
		switch code {
		case OptionIANA:
			ia, _ := ParseIA(code, v)
			na := o.(*idhcp.OptIANA)
			if binary.BigEndian.Uint32(na.IaId[:]) != ia.IAID || na.T1 != seconds(ia.T1) || na.T2 != seconds(ia.T2) {
				t.Fatalf("IA_NA %+v, insomniacslk %v", ia, na)
			}
			var addrs []IAAddress
			for a := range ia.Addresses() {
				addrs = append(addrs, a)
			}
			theirAddrs := na.Options.Addresses()
			if len(addrs) != len(theirAddrs) {
				t.Fatalf("IA_NA %d: %d addresses, insomniacslk %d", ia.IAID, len(addrs), len(theirAddrs))
			}
			for j, a := range addrs {
				ta := theirAddrs[j]
				if !ta.IPv6Addr.Equal(a.Addr.AsSlice()) || ta.PreferredLifetime != seconds(a.Preferred) || ta.ValidLifetime != seconds(a.Valid) {
					t.Fatalf("IAADDR %+v, insomniacslk %v", a, ta)
				}
			}
			compareStatus(t, ia.Options, na.Options.Status())
		case OptionIAPD:
			ia, _ := ParseIA(code, v)
			pd := o.(*idhcp.OptIAPD)
			if binary.BigEndian.Uint32(pd.IaId[:]) != ia.IAID || pd.T1 != seconds(ia.T1) || pd.T2 != seconds(ia.T2) {
				t.Fatalf("IA_PD %+v, insomniacslk %v", ia, pd)
			}
			var ps []IAPrefix
			for p := range ia.Prefixes() {
				ps = append(ps, p)
			}
			theirPs := pd.Options.Prefixes()
			if hasLongPrefix(ia) {
				// Prefixes() skips a prefix length over 128; insomniacslk
				// keeps it with no mask.
				continue
			}
			if len(ps) != len(theirPs) {
				t.Fatalf("IA_PD %d: %d prefixes, insomniacslk %d", ia.IAID, len(ps), len(theirPs))
			}
			for j, p := range ps {
				tp := theirPs[j]
				if tp.PreferredLifetime != seconds(p.Preferred) || tp.ValidLifetime != seconds(p.Valid) {
					t.Fatalf("IAPREFIX %+v, insomniacslk %v", p, tp)
				}
				// insomniacslk keeps no prefix of length 0.
				if p.Prefix.Bits() > 0 {
					ones, _ := tp.Prefix.Mask.Size()
					if ones != p.Prefix.Bits() || !tp.Prefix.IP.Equal(p.Prefix.Addr().AsSlice()) {
						t.Fatalf("IAPREFIX %v, insomniacslk %v", p.Prefix, tp.Prefix)
					}
				}
			}
			compareStatus(t, ia.Options, pd.Options.Status())
		case OptionStatusCode:
			compareStatus(t, Options(append(u16(uint16(code)), append(u16(uint16(len(v))), v...)...)), o.(*idhcp.OptStatusCode))
		case OptionDNSServers:
			dns, _ := ours.DNSServers(nil)
			theirDNS := idhcp.MessageOptions{Options: theirs}.DNS()
			if len(dns) != len(theirDNS) {
				t.Fatalf("DNS %v, insomniacslk %v", dns, theirDNS)
			}
			for j := range dns {
				if !theirDNS[j].Equal(dns[j].AsSlice()) {
					t.Fatalf("DNS %v, insomniacslk %v", dns, theirDNS)
				}
			}
		case OptionClientID, OptionServerID:
			if !bytes.Equal(v, o.ToBytes()) {
				t.Fatalf("%v % x, insomniacslk % x", code, v, o.ToBytes())
			}
		}
	}
}

func hasLongPrefix(ia IA) bool {
	for v := range ia.Options.Values(OptionIAPrefix) {
		if len(v) >= 9 && v[8] > 128 {
			return true
		}
	}
	return false
}

func compareStatus(t *testing.T, ours Options, theirs *idhcp.OptStatusCode) {
	t.Helper()
	c, text, ok := ours.Status()
	if !ok {
		if theirs != nil {
			t.Fatalf("no status code, insomniacslk %v", theirs)
		}
		return
	}
	if theirs == nil || uint16(theirs.StatusCode) != uint16(c) || theirs.StatusMessage != text {
		t.Fatalf("status %v %q, insomniacslk %v", c, text, theirs)
	}
}

// TestDifferential compares the decoders on the seeds, on every prefix of
// them, and on many random mutations.
func TestDifferential(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	for _, s := range append(seedMessages(), serverMessages(t)...) {
		if _, err := idhcp.FromBytes(s.data); err != nil {
			t.Fatalf("seed %s: insomniacslk rejects it: %v", s.name, err)
		}
		compareWithInsomniacslk(t, s.data)
		for n := range len(s.data) {
			compareWithInsomniacslk(t, s.data[:n])
		}
		for range 3000 {
			d := slices.Clone(s.data)
			for range 1 + r.IntN(3) {
				d[r.IntN(len(d))] = byte(r.Uint32())
			}
			compareWithInsomniacslk(t, d)
		}
	}
}

// FuzzDifferential runs the same comparison under go test -fuzz.
func FuzzDifferential(f *testing.F) {
	addSeeds(f)
	f.Fuzz(func(t *testing.T, data []byte) { compareWithInsomniacslk(t, data) })
}
