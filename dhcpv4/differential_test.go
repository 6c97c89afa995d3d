package dhcpv4

import (
	"bytes"
	"errors"
	"math/rand/v2"
	"net/netip"
	"testing"

	idhcp "github.com/insomniacslk/dhcp/dhcpv4"
)

// The differential tests decode the same messages with this package and
// with github.com/insomniacslk/dhcp and compare every field and option.
// Two documented differences are allowed:
//   - insomniacslk requires an end option; this package accepts a field
//     that ends without one (options that exactly fill it are common);
//   - insomniacslk ignores option overload (52) and never reads options in
//     file and sname; this package does (RFC 2131 §4.1), and rejects
//     malformed overload and message-type options it would accept.

// compareWithInsomniacslk returns a description of the first difference.
func compareWithInsomniacslk(t *testing.T, data []byte) {
	t.Helper()
	var p Packet
	ourErr := p.Decode(data)
	theirs, theirErr := idhcp.FromBytes(data)
	switch {
	case ourErr != nil && theirErr != nil:
		return
	case ourErr != nil:
		if mainHas(data, OptionOverload) {
			// We read file/sname as options; insomniacslk never does.
			return
		}
		for _, allowed := range []error{ErrOverloadLoop, ErrBadOverload, ErrDuplicateHeader, ErrBadMessageType, ErrTooManyOptions, ErrTooLong} {
			if errors.Is(ourErr, allowed) {
				return
			}
		}
		t.Fatalf("we reject (%v) what insomniacslk accepts", ourErr)
	case theirErr != nil:
		if !hasEnd(data) {
			return
		}
		t.Fatalf("insomniacslk rejects (%v) what we accept", theirErr)
	}
	if p.Overload() != 0 {
		// Options in file/sname are invisible to insomniacslk.
		return
	}
	check := func(name string, ok bool) {
		t.Helper()
		if !ok {
			t.Fatalf("%s differs", name)
		}
	}
	check("op", uint8(p.Op()) == uint8(theirs.OpCode))
	check("htype", p.HType() == uint8(theirs.HWType))
	check("hops", p.Hops() == theirs.HopCount)
	check("xid", p.XID() == uint32(theirs.TransactionID[0])<<24|uint32(theirs.TransactionID[1])<<16|uint32(theirs.TransactionID[2])<<8|uint32(theirs.TransactionID[3]))
	check("secs", p.Secs() == theirs.NumSeconds)
	check("flags", p.Flags() == theirs.Flags)
	check("ciaddr", p.CIAddr().AsSlice() != nil && bytes.Equal(p.CIAddr().AsSlice(), theirs.ClientIPAddr.To4()))
	check("yiaddr", bytes.Equal(p.YIAddr().AsSlice(), theirs.YourIPAddr.To4()))
	check("siaddr", bytes.Equal(p.SIAddr().AsSlice(), theirs.ServerIPAddr.To4()))
	check("giaddr", bytes.Equal(p.GIAddr().AsSlice(), theirs.GatewayIPAddr.To4()))
	check("chaddr", bytes.Equal(p.CHAddr(), theirs.ClientHWAddr))
	check("sname", string(p.SName()) == theirs.ServerHostName)
	check("file", string(p.File()) == theirs.BootFileName)
	check("option count", p.NumOptions() == len(theirs.Options))
	for code, v := range theirs.Options {
		w, ok := p.Option(OptionCode(code))
		if !ok || !bytes.Equal(v, w) {
			t.Fatalf("option %d: ours %x (present %v), insomniacslk %x", code, w, ok, v)
		}
	}
}

// mainHas reports whether the options field proper carries code, scanning
// up to the first malformed option.
func mainHas(b []byte, code OptionCode) bool {
	for i := HeaderLen; i+1 < len(b) && b[i] != 255; {
		if b[i] == 0 {
			i++
			continue
		}
		if OptionCode(b[i]) == code {
			return true
		}
		i += 2 + int(b[i+1])
	}
	return false
}

// hasEnd reports whether the options field proper has an end option.
func hasEnd(b []byte) bool {
	for i := HeaderLen; i < len(b); {
		switch b[i] {
		case 0:
			i++
			continue
		case 255:
			return true
		}
		if i+1 >= len(b) {
			return false
		}
		i += 2 + int(b[i+1])
	}
	return false
}

// randomMessage builds a message with random header fields and options,
// including repeated codes (RFC 3396 concatenation) and long values.
func randomMessage(r *rand.Rand) []byte {
	b := make([]byte, HeaderLen)
	for i := 0; i < offCookie; i++ {
		b[i] = byte(r.IntN(256))
	}
	b[offHLen] = byte(r.IntN(20))
	copy(b[offCookie:], []byte{99, 130, 83, 99})
	n := r.IntN(30)
	for i := 0; i < n; i++ {
		code := byte(1 + r.IntN(254))
		if code == byte(OptionOverload) || code == byte(OptionMessageType) {
			continue
		}
		if r.IntN(8) == 0 && len(b) > HeaderLen {
			code = b[HeaderLen] // repeat the first option's code
		}
		l := r.IntN(40)
		if r.IntN(10) == 0 {
			l = 255
		}
		b = append(b, code, byte(l))
		for j := 0; j < l; j++ {
			b = append(b, byte(r.IntN(256)))
		}
	}
	if r.IntN(3) != 0 {
		b = append(b, byte(OptionMessageType), 1, byte(1+r.IntN(8)))
	}
	b = append(b, 255)
	for r.IntN(2) == 0 {
		b = append(b, 0)
	}
	return b
}

func TestDifferentialInsomniacslk(t *testing.T) {
	for _, s := range seedMessages(t) {
		t.Run(s.name, func(t *testing.T) { compareWithInsomniacslk(t, s.data) })
	}
	r := rand.New(rand.NewPCG(1, 2))
	for i := 0; i < 5000; i++ {
		m := randomMessage(r)
		compareWithInsomniacslk(t, m)
	}
}

// TestDifferentialEncode checks that insomniacslk reads what Builder writes
// as Builder meant it: header fields and every option, split long values
// included.
func TestDifferentialEncode(t *testing.T) {
	r := rand.New(rand.NewPCG(3, 4))
	for i := 0; i < 2000; i++ {
		var b Builder
		b.Begin(make([]byte, 1<<15), BootRequest, MessageType(1+r.IntN(8)), r.Uint32())
		b.SetMaxSize(1 << 15)
		hw := make([]byte, 6)
		for j := range hw {
			hw[j] = byte(r.IntN(256))
		}
		b.SetCHAddr(1, hw)
		b.SetGIAddr(netip.AddrFrom4([4]byte{198, 18, byte(r.IntN(256)), 1}))
		want := map[uint8][]byte{}
		for j := r.IntN(20); j > 0; j-- {
			code := OptionCode(1 + r.IntN(254))
			if code == OptionMessageType || code == OptionOverload {
				continue
			}
			v := make([]byte, r.IntN(600))
			for k := range v {
				v[k] = byte(r.IntN(256))
			}
			b.AddOption(code, v)
			want[uint8(code)] = v
		}
		out, err := b.Finish()
		if err != nil || b.Dropped() != 0 {
			t.Fatalf("finish: %v, %d options dropped", err, b.Dropped())
		}
		theirs, err := idhcp.FromBytes(out)
		if err != nil {
			t.Fatalf("insomniacslk cannot read our message: %v", err)
		}
		if !bytes.Equal(theirs.ClientHWAddr, hw) || theirs.GatewayIPAddr.To4() == nil {
			t.Fatalf("header read back wrong: %x %v", theirs.ClientHWAddr, theirs.GatewayIPAddr)
		}
		for code, v := range want {
			if !bytes.Equal(theirs.Options[code], v) {
				t.Fatalf("option %d: wrote %d bytes, insomniacslk read %d", code, len(v), len(theirs.Options[code]))
			}
		}
		compareWithInsomniacslk(t, out)
	}
}

// FuzzDifferential runs the comparison on fuzzer input.
func FuzzDifferential(f *testing.F) {
	addSeeds(f)
	f.Fuzz(func(t *testing.T, data []byte) { compareWithInsomniacslk(t, data) })
}

// BenchmarkInsomniacslkServerPath does with insomniacslk/dhcp the work
// BenchmarkServerPath* does with this package, as an anchor measured on the
// same machine in the same run.
func BenchmarkInsomniacslkServerPath(b *testing.B) {
	raw := requestBytes(b)
	b.ReportAllocs()
	for b.Loop() {
		req, err := idhcp.FromBytes(raw)
		if err != nil {
			b.Fatal(err)
		}
		_ = req.Options.Get(idhcp.OptionClientIdentifier)
		_ = req.RelayAgentInfo()
		resp, err := idhcp.NewReplyFromRequest(req,
			idhcp.WithMessageType(idhcp.MessageTypeAck),
			idhcp.WithYourIP(benchYIAddr.AsSlice()),
			idhcp.WithServerIP(testServer.AsSlice()),
			idhcp.WithOption(idhcp.OptServerIdentifier(testServer.AsSlice())),
			idhcp.WithNetmask(benchMask.AsSlice()),
			idhcp.WithRouter(testGI.AsSlice()),
			idhcp.WithDNS(benchDNS[0].AsSlice(), benchDNS[1].AsSlice()),
			idhcp.WithLeaseTime(3600),
			idhcp.WithOption(idhcp.OptRenewTimeValue(1800*1e9)),
			idhcp.WithOption(idhcp.OptRebindingTimeValue(3150*1e9)),
			idhcp.WithOption(idhcp.OptDomainName("example.com")),
		)
		if err != nil {
			b.Fatal(err)
		}
		if v := req.Options.Get(idhcp.OptionRelayAgentInformation); v != nil {
			resp.Options.Update(idhcp.Option{Code: idhcp.OptionRelayAgentInformation, Value: idhcp.OptionGeneric{Data: v}})
		}
		_ = resp.ToBytes()
	}
}
