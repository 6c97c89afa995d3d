package mesh

import (
	"bytes"
	"errors"
	"net/netip"
	"strings"
	"testing"
	"time"
)

func FuzzParse(f *testing.F) {
	for _, s := range []string{
		"0000000000000000 0a000000 18 04 02 01 | 0000000a",
		"0000000000000000 0a000000 18 04 01 01 | 0000000a 0014 00",
		"0000000000000000 0a000000 18 04 10 00 | 2900000a a3f87c6d 00000000 02000000020000000000000000000000",
		"0000000000000000 0a000000 18 04 11 00 | 2900000a a3f87c6d 00000000 02000000020000000000000000000000",
		"0200000001010000 0a000000 18 04 12 07 | 0a000029 a3f87c6d 00000000 02000000020000000000000000000000",
		"0200000001010000 0a000000 18 04 13 00 | 0a000029 a3f87c6d 00000000 02000000020000000000000000000000",
		"0200000001010000 0a000000 18 04 01 02 | 00000003 012c 00 0000003f 012c",
		"0200000001010000 0a000000 18",
	} {
		f.Add(unhex(f, s))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		p, err := Parse(b)
		if err != nil {
			var pe *PacketError
			if !errors.As(err, &pe) || pe.Len != len(b) {
				t.Fatalf("error %v is not a *PacketError for %d bytes", err, len(b))
			}
			return
		}
		h := p.Header()
		if len(b) != WantLen(h.Command, int(h.Count)) || len(b) > MaxDatagram {
			t.Fatalf("accepted %d bytes for %v count %d", len(b), h.Command, h.Count)
		}
		out := make([]byte, MaxDatagram)
		var n int
		switch h.Command {
		case UpdateClaim:
			var cl []Claim
			for i := range p.Len() {
				cl = append(cl, p.Claim(i))
			}
			n, err = EncodeUpdateClaim(out, h, cl)
		case Inquire:
			var blocks []uint32
			for i := range p.Len() {
				blocks = append(blocks, p.Inquired(i))
			}
			n, err = EncodeInquire(out, h, blocks)
		default:
			r := p.Renew()
			n, err = EncodeRenew(out, h, h.Command, &r)
			out[15] = b[15] // the count byte of renew messages is ignored, and sent as 0
		}
		if err != nil || !bytes.Equal(out[:n], b) {
			t.Fatalf("re-encoding %v gives %x, %v; want %x", h.Command, out[:n], err, b)
		}
	})
}

func FuzzParseCtlRequest(f *testing.F) {
	for _, s := range [][]byte{{1}, {2}, {3, 51, 4, 0, 0, 1, 44}, {4, 6}, {5, 4}, {6}, {7}, {3, 3}, {}, {9}} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		r, err := ParseCtlRequest(b)
		if err != nil {
			if !errors.Is(err, ErrCtlRequest) {
				t.Fatalf("error %v does not wrap ErrCtlRequest", err)
			}
			return
		}
		enc, err := AppendCtlRequest(nil, r)
		if err != nil {
			t.Fatalf("cannot encode parsed %+v: %v", r, err)
		}
		if !bytes.HasPrefix(b, enc) && r.Command != CtlStatistics && r.Command != CtlStatisticsReset {
			t.Fatalf("% x parsed as %+v encodes as % x", b, r, enc)
		}
		again, err := ParseCtlRequest(enc)
		if err != nil || again.Command != r.Command || again.Option.Code != r.Option.Code ||
			!bytes.Equal(again.Option.Data, r.Option.Data) || again.Level != r.Level {
			t.Fatalf("round trip of %+v: %+v, %v", r, again, err)
		}
	})
}

func FuzzParseOption(f *testing.F) {
	for _, s := range []string{"51:4:0.0.1.44", "3:4:0x0a.0.0.012", "80:0:", "1:4:255.255.255.0", "6:2:1", "x"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		o, err := ParseOption(s)
		if err != nil {
			return
		}
		again, err := ParseOption(o.String())
		if err != nil || again.Code != o.Code || !bytes.Equal(again.Data, o.Data) {
			t.Fatalf("%q → %q → %v, %v", s, o.String(), again, err)
		}
	})
}

func FuzzParseArgs(f *testing.F) {
	for _, s := range []string{
		"-D -s 2 -b 2 -B 300 -c local-node -i br-client -N 10.116.128.0/17 -t 15 -o 51:4:0.0.1.44",
		"-L -S -vvv", "-b8", "-N 10.0.0.0/30 -b 3", "-B 0x12c -n 0",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		c, err := ParseArgs(strings.Fields(s))
		if err != nil {
			return
		}
		if err := c.Validate(); err != nil {
			t.Fatalf("ParseArgs(%q) accepted a config Validate rejects: %v", s, err)
		}
	})
}

// FuzzNode drives a node with arbitrary datagrams, DHCP events, clock
// steps and failing sends, and checks its invariants after every step: no
// panic, every own block has a lease table, the client index points at
// the client's lease, no block counts more than three inquiries, and
// network and broadcast address are never handed out.
func FuzzNode(f *testing.F) {
	f.Add([]byte{2, 200, 3, 1, 0, 2, 200, 2, 200, 2, 200, 3, 7, 4, 7, 0})
	f.Add([]byte{0, 1, 3, 0, 0, 0, 5, 1, 0x2c, 2, 100, 0, 2, 1, 0, 0, 0, 5})
	f.Add([]byte{1, 16, 0x29, 0, 0, 0x0a, 1, 2, 3, 4, 5, 6, 2, 250, 2, 250, 6, 0, 5, 0})
	// Claims with the link down, then up, then down while owning.
	f.Add([]byte{1, 8, 2, 15, 2, 15, 2, 15, 2, 15, 8, 2, 15, 2, 15, 2, 15, 2, 15, 2, 15, 8, 2, 30, 2, 30, 2, 200, 2, 200})
	f.Fuzz(func(t *testing.T, in []byte) {
		c := meshConfig("10.0.0.0", 26, 2) // 16 blocks of 4
		c.LearningPhase = len(in) > 0 && in[0]&1 == 0
		clock := &fakeClock{now: epoch}
		n, err := NewNode(NodeConfig{Config: c, ID: ourID, Clock: clock, Rand: fixedRand(3)})
		if err != nil {
			t.Fatal(err)
		}
		rng := n.Range()
		hdr := Header{Prefix: rng.Prefix().As4(), PrefixLen: 26, BlockSize: 4}
		next := func() byte {
			if len(in) == 0 {
				return 0
			}
			b := in[0]
			in = in[1:]
			return b
		}
		addrOf := func(v byte) netip.Addr { return rng.Addr(uint32(v>>2)%16, int(v&3)) }
		buf := make([]byte, MaxDatagram)
		linkDown := false
		for steps := 0; len(in) > 0 && steps < 200; steps++ {
			switch op := next() % 9; op {
			case 0, 1: // a peer's message with a valid header
				hdr.NodeID = NodeID{0x02, 0, 0, 0, 0x01, next()}
				var m int
				switch next() % 5 {
				case 0:
					m, _ = EncodeUpdateClaim(buf, hdr, []Claim{{Block: uint32(next()) % 20, Timeout: uint16(next())}})
				case 1:
					m, _ = EncodeInquire(buf, hdr, []uint32{uint32(next()) % 20, uint32(next()) % 20})
				default:
					var r Renew
					r.Addr = [4]byte{next(), next(), next(), next()}
					r.XID = uint32(next())
					r.CHAddr[0] = next()
					m, _ = EncodeRenew(buf, hdr, Command(16+next()%3), &r)
				}
				peer := netip.AddrFrom16([16]byte{0xfe, 0x80, 15: hdr.NodeID[5]})
				if op == 0 {
					n.HandleMulticast(peer, buf[:m])
				} else {
					n.HandleUnicast(peer, buf[:m])
				}
			case 2:
				clock.now = clock.now.Add(time.Duration(next()) * 500 * time.Millisecond)
				n.Tick()
			case 3:
				if a, err := n.Offer([16]byte{next()}, 1, addrOf(next())); err == nil &&
					(a == rng.Network() || a == rng.Broadcast()) {
					t.Fatalf("offered %v", a)
				}
			case 4:
				d := n.Request(Request{CHAddr: [16]byte{next()}, XID: 1, Addr: addrOf(next())})
				if d.Verdict == Ack && (d.Addr == rng.Network() || d.Addr == rng.Broadcast()) {
					t.Fatalf("acknowledged %v", d.Addr)
				}
			case 5:
				n.Release(addrOf(next()), [16]byte{next()})
			case 6:
				n.Decline(addrOf(next()), [16]byte{next()})
			case 7: // raw bytes
				m := int(next()) % 64
				raw := make([]byte, min(m, len(in)))
				copy(raw, in)
				in = in[len(raw):]
				n.HandleMulticast(netip.IPv6LinkLocalAllNodes(), raw)
				n.HandleUnicast(netip.IPv6LinkLocalAllNodes(), raw)
				n.SendFailed(raw)
			case 8:
				linkDown = !linkDown
			}
			for _, o := range n.Outputs(nil) {
				if linkDown && o.Kind == SendMulticast {
					n.SendFailed(o.Data)
				}
			}
			checkInvariants(t, n)
		}
	})
}

func checkInvariants(t *testing.T, n *Node) {
	t.Helper()
	for _, i := range n.owned {
		if b := &n.blocks[i]; b.state != Ours || len(b.leases) != n.bs {
			t.Fatalf("owned block %d in state %v with %d leases", i, b.state, len(b.leases))
		}
	}
	for i := range n.blocks {
		if b := &n.blocks[i]; (b.state == Ours) != (b.leases != nil) {
			t.Fatalf("block %d: state %v, lease table %v", i, b.state, b.leases != nil)
		}
	}
	for ch, a := range n.clients {
		i, j, ok := n.ownLease(a)
		if !ok {
			t.Fatalf("client %x indexed at %v outside the own blocks", ch[0], a)
		}
		if l := n.blocks[i].leases[j]; l.chaddr != ch || (l.state != LeaseOffered && l.state != LeaseLeased) {
			t.Fatalf("client %x indexed at %v, whose lease is %+v", ch[0], a, l)
		}
	}
	// A client holds at most one address of the node's own blocks.
	holder := map[[16]byte]netip.Addr{}
	for _, i := range n.owned {
		for j, l := range n.blocks[i].leases {
			if l.state != LeaseOffered && l.state != LeaseLeased {
				continue
			}
			a := n.rng.Addr(i, j)
			if prev, dup := holder[l.chaddr]; dup {
				t.Fatalf("client %x holds both %v and %v", l.chaddr[0], prev, a)
			}
			holder[l.chaddr] = a
		}
	}
	for i := range n.blocks {
		if c := n.blocks[i].claims; c > ClaimInquiries {
			t.Fatalf("block %d: %d inquiries counted", i, c)
		}
	}
	if len(n.claiming) > MaxInquireEntries {
		t.Fatalf("%d blocks in the claim list", len(n.claiming))
	}
}
