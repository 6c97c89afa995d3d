package mesh

import (
	"bytes"
	"encoding/hex"
	"errors"
	"io"
	"net/netip"
	"strings"
	"testing"
)

func unhex(t testing.TB, s string) []byte {
	t.Helper()
	b, err := hex.DecodeString(strings.NewReplacer(" ", "", "|", "").Replace(s))
	if err != nil {
		t.Fatalf("bad hex %q: %v", s, err)
	}
	return b
}

// hdr24 is the header of the spec's captures: -N 10.0.0.0/24 -b 2, id zero.
var hdr24 = Header{Prefix: [4]byte{10, 0, 0, 0}, PrefixLen: 24, BlockSize: 4}

var gluonID = NodeID{0x02, 0, 0, 0, 0x01, 0x01, 0, 0}

var client2 = [16]byte{0x02, 0, 0, 0, 0x02, 0}

// The captures of specification 3.2 (master build, ids zero), plus the same
// messages from a 3eefc27 node and from a big-endian host.
func TestVectors(t *testing.T) {
	gluon := hdr24
	gluon.NodeID = gluonID
	tests := []struct {
		name string
		wire string
		hdr  Header
		cmd  Command
		enc  func(b []byte) (int, error)
		chk  func(t *testing.T, p Packet)
	}{
		{
			name: "INQUIRE", wire: "0000000000000000 0a000000 18 04 02 01 | 0000000a",
			hdr: hdr24, cmd: Inquire,
			enc: func(b []byte) (int, error) { return EncodeInquire(b, hdr24, []uint32{10}) },
			chk: func(t *testing.T, p Packet) {
				if p.Len() != 1 || p.Inquired(0) != 10 {
					t.Errorf("entries: len %d, first %d; want [10]", p.Len(), p.Inquired(0))
				}
			},
		},
		{
			name: "UPDATECLAIM", wire: "0000000000000000 0a000000 18 04 01 01 | 0000000a 0014 00",
			hdr: hdr24, cmd: UpdateClaim,
			enc: func(b []byte) (int, error) { return EncodeUpdateClaim(b, hdr24, []Claim{{Block: 10, Timeout: 20}}) },
			chk: func(t *testing.T, p Packet) {
				if p.Len() != 1 || p.Claim(0) != (Claim{Block: 10, Timeout: 20}) {
					t.Errorf("entries: len %d, first %+v", p.Len(), p.Claim(0))
				}
			},
		},
		{
			name: "UPDATECLAIM two entries, 3eefc27 id",
			wire: "0200000001010000 0a000000 18 04 01 02 | 00000003 012c 00 0000003f 012c 00",
			hdr:  gluon, cmd: UpdateClaim,
			enc: func(b []byte) (int, error) {
				return EncodeUpdateClaim(b, gluon, []Claim{{Block: 3, Timeout: 300}, {Block: 63, Timeout: 300}})
			},
			chk: func(t *testing.T, p Packet) {
				if p.Len() != 2 || p.Claim(1) != (Claim{Block: 63, Timeout: 300}) {
					t.Errorf("entries: len %d, second %+v", p.Len(), p.Claim(1))
				}
			},
		},
		{
			name: "RENEWLEASE little-endian host",
			wire: "0000000000000000 0a000000 18 04 10 00 | 2900000a a3f87c6d 00000000 02000000020000000000000000000000",
			hdr:  hdr24, cmd: RenewLease,
			enc: func(b []byte) (int, error) {
				r := Renew{Addr: Reversed.Put(netip.MustParseAddr("10.0.0.41")), XID: 0xa3f87c6d, CHAddr: client2}
				return EncodeRenew(b, hdr24, RenewLease, &r)
			},
			chk: func(t *testing.T, p Packet) { checkRenew(t, p, Reversed) },
		},
		{
			name: "RENEWLEASE big-endian host",
			wire: "0200000001010000 0a000000 18 04 10 00 | 0a000029 a3f87c6d 00000000 02000000020000000000000000000000",
			hdr:  gluon, cmd: RenewLease,
			enc: func(b []byte) (int, error) {
				r := Renew{Addr: NetworkOrder.Put(netip.MustParseAddr("10.0.0.41")), XID: 0xa3f87c6d, CHAddr: client2}
				return EncodeRenew(b, gluon, RenewLease, &r)
			},
			chk: func(t *testing.T, p Packet) { checkRenew(t, p, NetworkOrder) },
		},
		{
			name: "LEASEACK", wire: "0000000000000000 0a000000 18 04 11 00 | 2900000a a3f87c6d 00000000 02000000020000000000000000000000",
			hdr: hdr24, cmd: LeaseAck,
			enc: func(b []byte) (int, error) {
				r := Renew{Addr: [4]byte{0x29, 0, 0, 0x0a}, XID: 0xa3f87c6d, CHAddr: client2}
				return EncodeRenew(b, hdr24, LeaseAck, &r)
			},
			chk: func(t *testing.T, p Packet) { checkRenew(t, p, Reversed) },
		},
		{
			name: "LEASENAK big-endian", wire: "0200000001010000 0a000000 18 04 12 00 | 0a000029 a3f87c6d 00000000 02000000020000000000000000000000",
			hdr: gluon, cmd: LeaseNak,
			enc: func(b []byte) (int, error) {
				r := Renew{Addr: [4]byte{0x0a, 0, 0, 0x29}, XID: 0xa3f87c6d, CHAddr: client2}
				return EncodeRenew(b, gluon, LeaseNak, &r)
			},
			chk: func(t *testing.T, p Packet) { checkRenew(t, p, NetworkOrder) },
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			want := unhex(t, tc.wire)
			buf := make([]byte, 64)
			n, err := tc.enc(buf)
			if err != nil {
				t.Fatalf("encode: %v", err)
			}
			if !bytes.Equal(buf[:n], want) {
				t.Errorf("encode:\n got %x\nwant %x", buf[:n], want)
			}
			p, err := Parse(want)
			if err != nil {
				t.Fatalf("Parse: %v", err)
			}
			h := tc.hdr
			h.Command, h.Count = tc.cmd, want[15]
			if p.Header() != h {
				t.Errorf("header %+v, want %+v", p.Header(), h)
			}
			if p.Command() != tc.cmd || p.NodeID() != tc.hdr.NodeID {
				t.Errorf("command %v id %v", p.Command(), p.NodeID())
			}
			tc.chk(t, p)
		})
	}
}

func checkRenew(t *testing.T, p Packet, order AddrOrder) {
	t.Helper()
	r := p.Renew()
	if r.XID != 0xa3f87c6d || r.CHAddr != client2 || r.LeaseSeconds != 0 {
		t.Errorf("renew %+v", r)
	}
	rng, _ := NewRange(netip.MustParseAddr("10.0.0.0"), 24, 2)
	addr, o, certain, ok := rng.DecodeRenewAddr(r.Addr)
	if !ok || !certain || o != order || addr != netip.MustParseAddr("10.0.0.41") {
		t.Errorf("DecodeRenewAddr(%x) = %v %v certain=%v ok=%v, want 10.0.0.41 %v", r.Addr, addr, o, certain, ok, order)
	}
	if !bytes.Equal(p.RenewPayload()[:4], r.Addr[:]) {
		t.Errorf("RenewPayload does not start with the address bytes")
	}
}

// Every length rule of specification 3.3: what a real node drops, Parse
// rejects with a *PacketError wrapping the right reason.
func TestParseRejects(t *testing.T) {
	header := func(cmd, count byte) []byte {
		return append(unhex(t, "0200000001010000 0a000000 18 04"), cmd, count)
	}
	pad := func(b []byte, n int) []byte { return append(b, make([]byte, n)...) }
	tests := []struct {
		name string
		b    []byte
		err  error
	}{
		{"empty", nil, ErrShortPacket},
		{"15 bytes", header(1, 0)[:15], ErrShortPacket},
		{"UPDATECLAIM missing a byte", pad(header(1, 1), 6), ErrPacketLength},
		{"UPDATECLAIM with 8-byte entry", pad(header(1, 1), 8), ErrPacketLength},
		{"UPDATECLAIM trailing byte", pad(header(1, 2), 15), ErrPacketLength},
		{"UPDATECLAIM count says 2, one entry", pad(header(1, 2), 7), ErrPacketLength},
		{"UPDATECLAIM count 0 with an entry", pad(header(1, 0), 7), ErrPacketLength},
		{"UPDATECLAIM 213 entries (truncated at 1500)", pad(header(1, 213), 213*7), ErrLongPacket},
		{"INQUIRE missing a byte", pad(header(2, 1), 3), ErrPacketLength},
		{"INQUIRE trailing byte", pad(header(2, 1), 5), ErrPacketLength},
		{"INQUIRE count 3, 2 entries", pad(header(2, 3), 8), ErrPacketLength},
		{"RENEWLEASE 43 bytes", pad(header(16, 0), 27), ErrPacketLength},
		{"RENEWLEASE 45 bytes", pad(header(16, 0), 29), ErrPacketLength},
		{"RENEWLEASE header only", header(16, 0), ErrPacketLength},
		{"LEASEACK 43 bytes", pad(header(17, 0), 27), ErrPacketLength},
		{"LEASENAK 48 bytes", pad(header(18, 0), 32), ErrPacketLength},
		{"RELEASE 44 bytes", pad(header(19, 0), 28), ErrUnknownCommand},
		{"command 0", pad(header(0, 0), 0), ErrUnknownCommand},
		{"command 3", pad(header(3, 1), 4), ErrUnknownCommand},
		{"command 255", pad(header(255, 0), 28), ErrUnknownCommand},
		{"1501 bytes", pad(header(2, 255), 1501-16), ErrLongPacket},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			p, err := Parse(tc.b)
			if err == nil {
				t.Fatalf("Parse accepted %d bytes: %v", len(tc.b), p.Header())
			}
			var pe *PacketError
			if !errors.As(err, &pe) || !errors.Is(err, tc.err) {
				t.Fatalf("error %v (%T), want a *PacketError wrapping %v", err, err, tc.err)
			}
			if pe.Len != len(tc.b) {
				t.Errorf("PacketError.Len %d, want %d", pe.Len, len(tc.b))
			}
			if !strings.HasPrefix(err.Error(), "mesh: ") {
				t.Errorf("message %q lacks the package prefix", err)
			}
		})
	}
}

func TestParseAccepts(t *testing.T) {
	header := func(cmd, count byte) []byte {
		return append(unhex(t, "0000000000000000 0a000005 18 20"), cmd, count)
	}
	tests := []struct {
		name string
		b    []byte
		n    int
	}{
		{"UPDATECLAIM without entries", header(1, 0), 0},
		{"INQUIRE without entries", header(2, 0), 0},
		{"UPDATECLAIM 212 entries, exactly 1500 bytes", append(header(1, 212), make([]byte, 212*7)...), 212},
		{"INQUIRE 255 entries", append(header(2, 255), make([]byte, 255*4)...), 255},
		// The count byte of renew messages is ignored on receipt.
		{"RENEWLEASE with count 7", append(header(16, 7), make([]byte, 28)...), 0},
	}
	for _, tc := range tests {
		p, err := Parse(tc.b)
		if err != nil {
			t.Errorf("%s: %v", tc.name, err)
			continue
		}
		if p.Len() != tc.n {
			t.Errorf("%s: Len %d, want %d", tc.name, p.Len(), tc.n)
		}
		if h := p.Header(); h.Prefix != [4]byte{10, 0, 0, 5} || h.BlockSize != 32 {
			t.Errorf("%s: header %+v: the prefix must be kept unmasked", tc.name, h)
		}
	}
}

func TestEncodeErrors(t *testing.T) {
	small := make([]byte, 20)
	if _, err := EncodeUpdateClaim(small, hdr24, []Claim{{}}); !errors.Is(err, io.ErrShortBuffer) {
		t.Errorf("UPDATECLAIM into 20 bytes: %v", err)
	}
	if _, err := EncodeInquire(small[:19], hdr24, []uint32{1}); !errors.Is(err, io.ErrShortBuffer) {
		t.Errorf("INQUIRE into 19 bytes: %v", err)
	}
	if _, err := EncodeRenew(small, hdr24, RenewLease, &Renew{}); !errors.Is(err, io.ErrShortBuffer) {
		t.Errorf("RENEWLEASE into 20 bytes: %v", err)
	}
	big := make([]byte, 4000)
	if _, err := EncodeUpdateClaim(big, hdr24, make([]Claim, MaxClaimEntries+1)); err == nil {
		t.Error("UPDATECLAIM with 213 entries accepted")
	}
	if n, err := EncodeUpdateClaim(big, hdr24, make([]Claim, MaxClaimEntries)); err != nil || n != MaxDatagram {
		t.Errorf("UPDATECLAIM with 212 entries: %d, %v", n, err)
	}
	if _, err := EncodeInquire(big, hdr24, make([]uint32, 256)); err == nil {
		t.Error("INQUIRE with 256 entries accepted")
	}
	for _, c := range []Command{UpdateClaim, Inquire, Release, 0} {
		if _, err := EncodeRenew(big, hdr24, c, &Renew{}); err == nil {
			t.Errorf("EncodeRenew accepted %v", c)
		}
	}
}

// The header's Command and Count come from the message, never from the
// caller's Header.
func TestEncodeOverridesCommandAndCount(t *testing.T) {
	h := hdr24
	h.Command, h.Count = LeaseNak, 99
	b := make([]byte, 64)
	n, _ := EncodeInquire(b, h, []uint32{1, 2})
	p, err := Parse(b[:n])
	if err != nil || p.Command() != Inquire || p.Len() != 2 {
		t.Fatalf("got %v %v", p, err)
	}
	n, _ = EncodeRenew(b, h, RenewLease, &Renew{})
	if b[14] != 16 || b[15] != 0 || n != 44 {
		t.Fatalf("renew header bytes %x", b[12:16])
	}
}

func TestEncodeReplyEchoes(t *testing.T) {
	req := unhex(t, "0000000000000000 0a000000 18 04 10 00 | 0a000029 a3f87c6d 0000abcd 02000000020000000000000000000001")
	p, err := Parse(req)
	if err != nil {
		t.Fatal(err)
	}
	h := hdr24
	h.NodeID = gluonID
	out := make([]byte, 44)
	if _, err := EncodeReply(out, h, LeaseNak, p); err != nil {
		t.Fatal(err)
	}
	want := unhex(t, "0200000001010000 0a000000 18 04 12 00 | 0a000029 a3f87c6d 0000abcd 02000000020000000000000000000001")
	if !bytes.Equal(out, want) {
		t.Errorf("reply\n got %x\nwant %x", out, want)
	}
	if _, err := EncodeReply(out, h, RenewLease, p); err == nil {
		t.Error("EncodeReply accepted RENEWLEASE as the reply command")
	}
	ack, _ := Parse(out)
	if _, err := EncodeReply(out, h, LeaseAck, ack); err == nil {
		t.Error("EncodeReply accepted a LEASENAK as the request")
	}
}

// Decoding a valid datagram must not allocate.
func TestParseDoesNotAllocate(t *testing.T) {
	claim := unhex(t, "0200000001010000 0a000000 18 04 01 02 | 00000003 012c 00 0000003f 012c 00")
	renew := unhex(t, "0000000000000000 0a000000 18 04 10 00 | 2900000a a3f87c6d 00000000 02000000020000000000000000000000")
	var sink uint32
	allocs := testing.AllocsPerRun(100, func() {
		p, _ := Parse(claim)
		h := p.Header()
		for i := range p.Len() {
			sink += p.Claim(i).Block
		}
		q, _ := Parse(renew)
		r := q.Renew()
		sink += r.XID + uint32(h.Count)
	})
	if allocs != 0 {
		t.Errorf("Parse and accessors allocate %v times per run", allocs)
	}
	_ = sink
}

func TestRenewAddrOrders(t *testing.T) {
	rng, _ := NewRange(netip.MustParseAddr("10.0.0.0"), 24, 2)
	tests := []struct {
		b       [4]byte
		addr    string
		order   AddrOrder
		certain bool
		ok      bool
	}{
		{[4]byte{0x45, 0, 0, 0x0a}, "10.0.0.69", Reversed, true, true},
		{[4]byte{0x0a, 0, 0, 0x45}, "10.0.0.69", NetworkOrder, true, true},
		{[4]byte{0x0a, 0, 0, 0x0a}, "10.0.0.10", Reversed, false, true},    // reads the same both ways
		{[4]byte{0x0b, 0, 0, 0x0a}, "10.0.0.11", Reversed, true, true},     // 11.0.0.10 is outside
		{[4]byte{0x0a, 0, 0, 0x0b}, "10.0.0.11", NetworkOrder, true, true}, // network order
		{[4]byte{192, 168, 1, 1}, "", Reversed, false, false},
	}
	for _, tc := range tests {
		addr, order, certain, ok := rng.DecodeRenewAddr(tc.b)
		if ok != tc.ok || certain != tc.certain || (ok && (addr.String() != tc.addr || order != tc.order)) {
			t.Errorf("DecodeRenewAddr(%x) = %v %v %v %v, want %s %v %v %v", tc.b, addr, order, certain, ok, tc.addr, tc.order, tc.certain, tc.ok)
		}
	}
	// Both readings inside the range: prefer the little-endian one.
	wide, _ := NewRange(netip.MustParseAddr("10.0.0.0"), 8, 5)
	addr, order, certain, ok := wide.DecodeRenewAddr([4]byte{0x0a, 0x01, 0x02, 0x0a})
	if !ok || certain || order != Reversed || addr != netip.MustParseAddr("10.2.1.10") {
		t.Errorf("ambiguous bytes: %v %v %v %v", addr, order, certain, ok)
	}
}

func BenchmarkParseUpdateClaim(b *testing.B) {
	claims := make([]Claim, MaxClaimsPerSend)
	for i := range claims {
		claims[i] = Claim{Block: uint32(i), Timeout: 300}
	}
	buf := make([]byte, MaxDatagram)
	n, _ := EncodeUpdateClaim(buf, hdr24, claims)
	b.SetBytes(int64(n))
	b.ReportAllocs()
	for b.Loop() {
		p, err := Parse(buf[:n])
		if err != nil {
			b.Fatal(err)
		}
		for i := range p.Len() {
			_ = p.Claim(i)
		}
	}
}

func BenchmarkEncodeRenew(b *testing.B) {
	buf := make([]byte, RenewLen)
	r := Renew{Addr: [4]byte{0x29, 0, 0, 0x0a}, XID: 1, CHAddr: client2}
	b.ReportAllocs()
	for b.Loop() {
		if _, err := EncodeRenew(buf, hdr24, RenewLease, &r); err != nil {
			b.Fatal(err)
		}
	}
}
