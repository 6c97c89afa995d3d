package mesh

import (
	"encoding/binary"
	"errors"
	"fmt"
	"io"
)

// Transport constants of the d2d protocol.
const (
	// MulticastGroup is the link-local group UPDATECLAIM and INQUIRE go to.
	MulticastGroup = "ff02::1234"
	// MulticastPort is both the source and destination port of multicast
	// messages.
	MulticastPort = 1234
	// UnicastPort is both the source and destination port of RENEWLEASE,
	// LEASEACK and LEASENAK. Replies go to this port whatever the request's
	// source port was.
	UnicastPort = 1235
	// MaxDatagram is the receive buffer of a real node. Longer datagrams are
	// truncated there and then fail the length check.
	MaxDatagram = 1500
)

// Message layout.
const (
	HeaderLen        = 16
	ClaimEntryLen    = 7  // block index u32, timeout u16, reserved u8
	InquireEntryLen  = 4  // block index u32
	RenewPayloadLen  = 28 // address, xid, lease seconds, chaddr
	RenewLen         = HeaderLen + RenewPayloadLen
	MaxClaimsPerSend = 32 // UPDATECLAIM entries ddhcpd puts in one packet

	// MaxClaimEntries and MaxInquireEntries are the most entries a packet
	// can carry and still be accepted by a real node: the count byte limits
	// INQUIRE to 255, the 1500-byte buffer limits UPDATECLAIM to 212.
	MaxClaimEntries   = (MaxDatagram - HeaderLen) / ClaimEntryLen
	MaxInquireEntries = 255
)

// A Command is the message type in byte 14 of the header.
type Command uint8

// Message types. Release is defined by ddhcpd but never sent, and real nodes
// drop it (it has no length rule), so Parse rejects it too.
const (
	UpdateClaim Command = 1
	Inquire     Command = 2
	RenewLease  Command = 16
	LeaseAck    Command = 17
	LeaseNak    Command = 18
	Release     Command = 19
)

func (c Command) String() string {
	switch c {
	case UpdateClaim:
		return "UPDATECLAIM"
	case Inquire:
		return "INQUIRE"
	case RenewLease:
		return "RENEWLEASE"
	case LeaseAck:
		return "LEASEACK"
	case LeaseNak:
		return "LEASENAK"
	case Release:
		return "RELEASE"
	}
	return fmt.Sprintf("command(%d)", uint8(c))
}

// Multicast reports whether c travels on the multicast group (UPDATECLAIM,
// INQUIRE). The others travel by unicast.
func (c Command) Multicast() bool { return c == UpdateClaim || c == Inquire }

// A Header is the 16 bytes every message starts with.
type Header struct {
	NodeID    NodeID
	Prefix    [4]byte // -N address exactly as given, network byte order
	PrefixLen uint8
	BlockSize uint8 // addresses per block (2^pow), not the power
	Command   Command
	Count     uint8 // payload entries; 0 for RENEWLEASE, LEASEACK, LEASENAK
}

func (h Header) put(b []byte) {
	copy(b[0:8], h.NodeID[:])
	copy(b[8:12], h.Prefix[:])
	b[12] = h.PrefixLen
	b[13] = h.BlockSize
	b[14] = byte(h.Command)
	b[15] = h.Count
}

// A Claim is one UPDATECLAIM entry.
type Claim struct {
	Block    uint32
	Timeout  uint16 // seconds; the sender's block timeout
	Reserved uint8  // always 0 as sent
}

// A Renew is the payload of RENEWLEASE, LEASEACK and LEASENAK.
//
// Addr holds the four address bytes exactly as on the wire. Their order
// depends on the sending host's byte order; see AddrOrder and
// DecodeRenewAddr.
type Renew struct {
	Addr         [4]byte
	XID          uint32 // big-endian on the wire, equal to the client's xid bytes
	LeaseSeconds uint32 // always 0 as ddhcpd sends it; never read
	CHAddr       [16]byte
}

func (r *Renew) put(b []byte) {
	copy(b[0:4], r.Addr[:])
	binary.BigEndian.PutUint32(b[4:8], r.XID)
	binary.BigEndian.PutUint32(b[8:12], r.LeaseSeconds)
	copy(b[12:28], r.CHAddr[:])
}

// Errors wrapped by PacketError.
var (
	ErrShortPacket    = errors.New("shorter than the 16-byte header")
	ErrLongPacket     = errors.New("longer than the 1500-byte receive buffer of a real node")
	ErrUnknownCommand = errors.New("unknown command")
	ErrPacketLength   = errors.New("length does not match command and count")
)

// A PacketError describes a datagram a real ddhcpd node would drop.
type PacketError struct {
	Len     int     // datagram length
	Command Command // byte 14, if present
	Count   uint8   // byte 15, if present
	Want    int     // the length the command and count require, if known
	Err     error   // one of the Err* values above
}

func (e *PacketError) Error() string {
	switch e.Err {
	case ErrShortPacket, ErrLongPacket:
		return fmt.Sprintf("mesh: %d-byte datagram: %v", e.Len, e.Err)
	case ErrPacketLength:
		return fmt.Sprintf("mesh: %d-byte %v with count %d: %v (want %d bytes)", e.Len, e.Command, e.Count, e.Err, e.Want)
	}
	return fmt.Sprintf("mesh: %d-byte datagram: %v %d", e.Len, e.Err, uint8(e.Command))
}

func (e *PacketError) Unwrap() error { return e.Err }

// WantLen returns the exact datagram length a real node requires for a
// command with count entries, or -1 for commands it drops (including
// RELEASE).
func WantLen(c Command, count int) int {
	switch c {
	case UpdateClaim:
		return HeaderLen + ClaimEntryLen*count
	case Inquire:
		return HeaderLen + InquireEntryLen*count
	case RenewLease, LeaseAck, LeaseNak:
		return RenewLen
	}
	return -1
}

// A Packet is a validated, read-only view of a d2d datagram. It aliases the
// buffer it was parsed from.
type Packet []byte

// Parse checks b the way a real node does before it looks at the contents:
// at most 1500 bytes, a known command, and a length exactly equal to what
// the command and count require (16+7n for UPDATECLAIM, 16+4n for INQUIRE,
// 44 for the renew messages, whose count byte is ignored). Trailing bytes
// fail. It neither copies nor allocates for a valid datagram.
//
// Parse does not check the swarm parameters (see Range.Matches) or block
// indices; real nodes skip out-of-range indices one by one.
func Parse(b []byte) (Packet, error) {
	if len(b) < HeaderLen {
		return nil, &PacketError{Len: len(b), Err: ErrShortPacket}
	}
	cmd, count := Command(b[14]), b[15]
	if len(b) > MaxDatagram {
		return nil, &PacketError{Len: len(b), Command: cmd, Count: count, Err: ErrLongPacket}
	}
	want := WantLen(cmd, int(count))
	if want < 0 {
		return nil, &PacketError{Len: len(b), Command: cmd, Count: count, Err: ErrUnknownCommand}
	}
	if len(b) != want {
		return nil, &PacketError{Len: len(b), Command: cmd, Count: count, Want: want, Err: ErrPacketLength}
	}
	return Packet(b), nil
}

// Header returns the decoded header.
func (p Packet) Header() Header {
	var h Header
	copy(h.NodeID[:], p[0:8])
	copy(h.Prefix[:], p[8:12])
	h.PrefixLen, h.BlockSize, h.Command, h.Count = p[12], p[13], Command(p[14]), p[15]
	return h
}

// NodeID returns the sender's node id.
func (p Packet) NodeID() NodeID { return NodeID(p[0:8]) }

// Command returns the message type.
func (p Packet) Command() Command { return Command(p[14]) }

// Len returns the number of payload entries: the count byte for UPDATECLAIM
// and INQUIRE, 0 otherwise.
func (p Packet) Len() int {
	if p.Command().Multicast() {
		return int(p[15])
	}
	return 0
}

// Claim returns UPDATECLAIM entry i. It panics if p is not an UPDATECLAIM or
// i is out of range, like an index expression.
func (p Packet) Claim(i int) Claim {
	if p.Command() != UpdateClaim {
		panic("mesh: Claim on a " + p.Command().String())
	}
	e := p[HeaderLen+ClaimEntryLen*i:]
	return Claim{Block: binary.BigEndian.Uint32(e), Timeout: binary.BigEndian.Uint16(e[4:]), Reserved: e[6]}
}

// Inquired returns INQUIRE entry i, a block index. It panics if p is not an
// INQUIRE or i is out of range.
func (p Packet) Inquired(i int) uint32 {
	if p.Command() != Inquire {
		panic("mesh: Inquired on a " + p.Command().String())
	}
	return binary.BigEndian.Uint32(p[HeaderLen+InquireEntryLen*i:])
}

// Renew decodes the payload of RENEWLEASE, LEASEACK or LEASENAK. It panics
// for other commands.
func (p Packet) Renew() Renew {
	b := p.RenewPayload()
	var r Renew
	copy(r.Addr[:], b[0:4])
	r.XID = binary.BigEndian.Uint32(b[4:8])
	r.LeaseSeconds = binary.BigEndian.Uint32(b[8:12])
	copy(r.CHAddr[:], b[12:28])
	return r
}

// RenewPayload returns the raw 28 payload bytes of a renew message, which a
// reply must echo verbatim. It panics for other commands.
func (p Packet) RenewPayload() []byte {
	switch p.Command() {
	case RenewLease, LeaseAck, LeaseNak:
		return p[HeaderLen:RenewLen]
	}
	panic("mesh: RenewPayload on a " + p.Command().String())
}

// EncodeUpdateClaim writes an UPDATECLAIM with the given entries into b and
// returns its length. h supplies node id, prefix, prefix length and block
// size; its Command and Count are ignored and written from the message.
// It fails if b is too short or there are more entries than a real node
// accepts (MaxClaimEntries).
func EncodeUpdateClaim(b []byte, h Header, claims []Claim) (int, error) {
	if len(claims) > MaxClaimEntries {
		return 0, fmt.Errorf("mesh: UPDATECLAIM with %d entries: a real node accepts at most %d", len(claims), MaxClaimEntries)
	}
	n := WantLen(UpdateClaim, len(claims))
	if len(b) < n {
		return 0, fmt.Errorf("mesh: UPDATECLAIM needs %d bytes, buffer has %d: %w", n, len(b), io.ErrShortBuffer)
	}
	h.Command, h.Count = UpdateClaim, uint8(len(claims))
	h.put(b)
	e := b[HeaderLen:n]
	for _, c := range claims {
		binary.BigEndian.PutUint32(e, c.Block)
		binary.BigEndian.PutUint16(e[4:], c.Timeout)
		e[6] = c.Reserved
		e = e[ClaimEntryLen:]
	}
	return n, nil
}

// EncodeInquire writes an INQUIRE for the given block indices into b and
// returns its length. See EncodeUpdateClaim for h.
func EncodeInquire(b []byte, h Header, blocks []uint32) (int, error) {
	if len(blocks) > MaxInquireEntries {
		return 0, fmt.Errorf("mesh: INQUIRE with %d entries: the count byte holds at most %d", len(blocks), MaxInquireEntries)
	}
	n := WantLen(Inquire, len(blocks))
	if len(b) < n {
		return 0, fmt.Errorf("mesh: INQUIRE needs %d bytes, buffer has %d: %w", n, len(b), io.ErrShortBuffer)
	}
	h.Command, h.Count = Inquire, uint8(len(blocks))
	h.put(b)
	e := b[HeaderLen:n]
	for _, blk := range blocks {
		binary.BigEndian.PutUint32(e, blk)
		e = e[InquireEntryLen:]
	}
	return n, nil
}

// EncodeRenew writes a 44-byte RENEWLEASE, LEASEACK or LEASENAK (chosen by
// cmd) into b. The count byte is written as 0, as real nodes send it.
func EncodeRenew(b []byte, h Header, cmd Command, r *Renew) (int, error) {
	switch cmd {
	case RenewLease, LeaseAck, LeaseNak:
	default:
		return 0, fmt.Errorf("mesh: EncodeRenew: %v is not a renew message", cmd)
	}
	if len(b) < RenewLen {
		return 0, fmt.Errorf("mesh: %v needs %d bytes, buffer has %d: %w", cmd, RenewLen, len(b), io.ErrShortBuffer)
	}
	h.Command, h.Count = cmd, 0
	h.put(b)
	r.put(b[HeaderLen:RenewLen])
	return RenewLen, nil
}

// EncodeReply writes the LEASEACK or LEASENAK answering req into b: the
// responder's header with req's payload echoed byte for byte, which is how
// the requester matches it.
func EncodeReply(b []byte, h Header, cmd Command, req Packet) (int, error) {
	if cmd != LeaseAck && cmd != LeaseNak {
		return 0, fmt.Errorf("mesh: EncodeReply: %v is not a reply", cmd)
	}
	if req.Command() != RenewLease {
		return 0, fmt.Errorf("mesh: EncodeReply: request is a %v, not a RENEWLEASE", req.Command())
	}
	if len(b) < RenewLen {
		return 0, fmt.Errorf("mesh: %v needs %d bytes, buffer has %d: %w", cmd, RenewLen, len(b), io.ErrShortBuffer)
	}
	h.Command, h.Count = cmd, 0
	h.put(b)
	copy(b[HeaderLen:RenewLen], req.RenewPayload())
	return RenewLen, nil
}
