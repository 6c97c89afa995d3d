package dhcpv6

import "net/netip"

// Header lengths of RFC 8415 §8 and §9.
const (
	HeaderLen      = 4  // msg-type, transaction-id
	RelayHeaderLen = 34 // msg-type, hop-count, link-address, peer-address
)

// HopCountLimit is HOP_COUNT_LIMIT (RFC 8415 §7.6), which also bounds how
// deep [Message.Decode] follows relay messages.
const HopCountLimit = 8

// Message is a decoded DHCPv6 message: a view over the bytes passed to
// Decode, which it keeps and does not copy. The zero Message is ready for
// Decode.
type Message struct {
	buf []byte
}

// Parse decodes b into a new Message.
func Parse(b []byte) (*Message, error) {
	m := new(Message)
	if err := m.Decode(b); err != nil {
		return nil, err
	}
	return m, nil
}

// Decode makes m a view of the message in b. It checks that the header is
// there, that every option fits in the message, that the fixed fields of
// the options carrying others (IA_NA, IA_TA, IA_PD, IAADDR, IAPREFIX) are
// present and that their own options fit, and, for relay messages, the
// same for the relayed message (at most HopCountLimit levels deep). It
// allocates nothing.
func (m *Message) Decode(b []byte) error {
	m.buf = nil
	if err := checkMessage(b, 0); err != nil {
		return err
	}
	m.buf = b
	return nil
}

func checkMessage(b []byte, depth int) error {
	if len(b) > 0xffff {
		return ErrTooLong
	}
	if len(b) < HeaderLen {
		return ErrTruncated
	}
	if !MessageType(b[0]).IsRelay() {
		return Options(b[HeaderLen:]).check()
	}
	if len(b) < RelayHeaderLen {
		return ErrTruncated
	}
	opts := Options(b[RelayHeaderLen:])
	if err := opts.check(); err != nil {
		return err
	}
	if inner, ok := opts.Get(OptionRelayMessage); ok {
		if depth >= HopCountLimit {
			return ErrTooDeep
		}
		return checkMessage(inner, depth+1)
	}
	return nil
}

// Bytes returns the message as decoded.
func (m *Message) Bytes() []byte { return m.buf }

// Type returns the message type.
func (m *Message) Type() MessageType {
	if len(m.buf) == 0 {
		return 0
	}
	return MessageType(m.buf[0])
}

// TransactionID returns the 24-bit transaction id of a client or server
// message; 0 for a relay message.
func (m *Message) TransactionID() uint32 {
	if len(m.buf) < HeaderLen || m.Type().IsRelay() {
		return 0
	}
	return uint32(m.buf[1])<<16 | uint32(m.buf[2])<<8 | uint32(m.buf[3])
}

// Options returns the message's options.
func (m *Message) Options() Options {
	switch {
	case len(m.buf) < HeaderLen:
		return nil
	case m.Type().IsRelay():
		return Options(m.buf[RelayHeaderLen:])
	}
	return Options(m.buf[HeaderLen:])
}

// HopCount, LinkAddr and PeerAddr return the fields of a relay message;
// zero values for other messages.
func (m *Message) HopCount() uint8 {
	if !m.Type().IsRelay() {
		return 0
	}
	return m.buf[1]
}

// LinkAddr returns a relay message's link-address.
func (m *Message) LinkAddr() netip.Addr {
	if !m.Type().IsRelay() {
		return netip.Addr{}
	}
	return netip.AddrFrom16([16]byte(m.buf[2:18]))
}

// PeerAddr returns a relay message's peer-address.
func (m *Message) PeerAddr() netip.Addr {
	if !m.Type().IsRelay() {
		return netip.Addr{}
	}
	return netip.AddrFrom16([16]byte(m.buf[18:34]))
}

// Relayed decodes the Relay Message option of a relay message into inner.
// ok is false when m is not a relay message or has no such option.
func (m *Message) Relayed(inner *Message) bool {
	if !m.Type().IsRelay() {
		return false
	}
	v, ok := m.Options().Get(OptionRelayMessage)
	if !ok {
		return false
	}
	// Decode checked the relayed message already.
	inner.buf = v
	return true
}

// IAs iterates over the message's IA options with code c.
func (m *Message) IAs(c OptionCode) func(func(IA) bool) { return m.Options().IAs(c) }

// putUint24 writes the low 24 bits of v.
func putUint24(b []byte, v uint32) {
	b[0], b[1], b[2] = byte(v>>16), byte(v>>8), byte(v)
}
