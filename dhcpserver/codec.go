package dhcpserver

import (
	"errors"
	"fmt"
	"net/netip"
	"sync"

	"github.com/leased/leased/dhcpv4"
	"github.com/leased/leased/dhcpv4/optdef"
)

// An OptionCodec turns the value of an option into a Go value and back,
// as ExDhcp's dhcp_options modules plug into its decoding: a server given
// OptionCodecs (Server.Codecs) lets its handlers read options as typed
// values with Request.Value, and write them with OptionCodecs.Encode.
//
// The codecs of this package build on dhcpv4's typed getters and on
// optdef's definitions: IPCodec, IPsCodec, Uint8Codec, Uint16Codec,
// Uint32Codec, StringCodec and DefCodec. An application adds its own for
// its private options (a PXE architecture type, a vendor's record).
type OptionCodec interface {
	// Decode returns the value of option code in p. It reports false
	// when p does not carry the option, and an error when it carries a
	// value the codec cannot read. The value must not alias p, which the
	// server reuses after the handler returns.
	Decode(p *dhcpv4.Packet, code dhcpv4.OptionCode) (v any, ok bool, err error)
	// Encode stages v as the value of option code in b, or returns an
	// error naming what is wrong with v.
	Encode(b *dhcpv4.Builder, code dhcpv4.OptionCode, v any) error
}

// OptionCodecs is a registry of OptionCodecs by option code. Build it
// before serving; it is then only read, from any goroutine. The zero
// value has no codecs; StandardCodecs has those of the common options.
//
// A server decodes nothing with it until a handler asks (Request.Value),
// so serving with or without codecs costs the same per message.
type OptionCodecs struct {
	byCode [256]OptionCodec
}

// StandardCodecs returns a registry with codecs for the options most
// handlers read or write: subnet mask (1), routers (3), domain name
// servers (6), host name (12), domain name (15), interface MTU (26),
// broadcast address (28), NTP servers (42), requested address (50), lease
// time (51), server identifier (54), maximum message size (57), renewal
// and rebinding times (58, 59) and vendor class identifier (60).
func StandardCodecs() *OptionCodecs {
	c := new(OptionCodecs)
	for code, codec := range map[dhcpv4.OptionCode]OptionCodec{
		dhcpv4.OptionSubnetMask:       IPCodec,
		dhcpv4.OptionRouter:           IPsCodec,
		dhcpv4.OptionDomainNameServer: IPsCodec,
		dhcpv4.OptionHostName:         StringCodec,
		dhcpv4.OptionDomainName:       StringCodec,
		26:                            Uint16Codec,
		28:                            IPCodec,
		42:                            IPsCodec,
		dhcpv4.OptionRequestedIP:      IPCodec,
		dhcpv4.OptionLeaseTime:        Uint32Codec,
		dhcpv4.OptionServerID:         IPCodec,
		dhcpv4.OptionMaxMessageSize:   Uint16Codec,
		dhcpv4.OptionRenewalTime:      Uint32Codec,
		dhcpv4.OptionRebindingTime:    Uint32Codec,
		dhcpv4.OptionVendorClass:      StringCodec,
	} {
		c.byCode[code] = codec
	}
	return c
}

// Register makes codec the codec of option code, replacing any other. It
// fails for pad (0) and end (255), which carry no value, and for a nil
// codec.
func (c *OptionCodecs) Register(code dhcpv4.OptionCode, codec OptionCodec) error {
	if code == dhcpv4.OptionPad || code == dhcpv4.OptionEnd {
		return fmt.Errorf("dhcpserver: option %d carries no value and has no codec", code)
	}
	if codec == nil {
		return fmt.Errorf("dhcpserver: nil codec for option %d", code)
	}
	c.byCode[code] = codec
	return nil
}

// Codec returns the codec of option code, or nil.
func (c *OptionCodecs) Codec(code dhcpv4.OptionCode) OptionCodec {
	if c == nil {
		return nil
	}
	return c.byCode[code]
}

// Decode returns the value of option code in p as its codec reads it, or
// a copy of its bytes when the option has no codec.
func (c *OptionCodecs) Decode(p *dhcpv4.Packet, code dhcpv4.OptionCode) (any, bool, error) {
	if codec := c.Codec(code); codec != nil {
		v, ok, err := codec.Decode(p, code)
		if err != nil {
			return nil, true, fmt.Errorf("dhcpserver: option %d: %w", code, err)
		}
		return v, ok, nil
	}
	return bytesCodec{}.Decode(p, code)
}

// Encode stages v as the value of option code in b with the option's
// codec. An option without a codec takes v as its bytes ([]byte).
func (c *OptionCodecs) Encode(b *dhcpv4.Builder, code dhcpv4.OptionCode, v any) error {
	codec := c.Codec(code)
	if codec == nil {
		codec = bytesCodec{}
	}
	if err := codec.Encode(b, code, v); err != nil {
		return fmt.Errorf("dhcpserver: option %d: %w", code, err)
	}
	return nil
}

// Value returns the value of option code in the request, decoded by the
// server's codec for it (Server.Codecs, copied to r.Codecs; when none
// are set, those of StandardCodecs): a
// netip.Addr, a []netip.Addr, an integer, a string, or whatever the codec
// makes. An option without a codec comes back as a copy of its bytes. It
// reports false when the request does not carry the option, and an error
// when its codec cannot read it. Nothing is decoded until it is asked for.
func (r *Request) Value(code dhcpv4.OptionCode) (any, bool, error) {
	c := r.Codecs
	if c == nil {
		c = standardCodecs()
	}
	return c.Decode(r.Packet, code)
}

// standardCodecs is the registry of a request whose server set no Codecs:
// built once, never changed, never handed out.
var standardCodecs = sync.OnceValue(StandardCodecs)

// Values decodes every option of the request, as Value does one: the map
// ExDhcp hands its handlers. It returns the options it could decode and
// the errors of the others, joined.
func (r *Request) Values() (map[dhcpv4.OptionCode]any, error) {
	m := make(map[dhcpv4.OptionCode]any, r.Packet.NumOptions())
	var errs []error
	r.Packet.Options(func(code dhcpv4.OptionCode, _ []byte) bool {
		if _, done := m[code]; done {
			return true
		}
		v, ok, err := r.Value(code)
		switch {
		case err != nil:
			errs = append(errs, err)
		case ok:
			m[code] = v
		}
		return true
	})
	return m, errors.Join(errs...)
}

// The codecs of this package. Each decodes with a typed getter of
// dhcpv4.Packet and encodes with the matching Builder method; a value of
// the wrong length does not decode.
var (
	// IPCodec: one IPv4 address, netip.Addr.
	IPCodec OptionCodec = ipCodec{}
	// IPsCodec: a list of IPv4 addresses, []netip.Addr.
	IPsCodec OptionCodec = ipsCodec{}
	// Uint8Codec, Uint16Codec, Uint32Codec: an unsigned integer in
	// network byte order, uint8, uint16 or uint32.
	Uint8Codec  OptionCodec = uintCodec{1}
	Uint16Codec OptionCodec = uintCodec{2}
	Uint32Codec OptionCodec = uintCodec{4}
	// StringCodec: text, string.
	StringCodec OptionCodec = stringCodec{}
)

var errBadLength = errors.New("value of the wrong length")

type ipCodec struct{}

func (ipCodec) Decode(p *dhcpv4.Packet, code dhcpv4.OptionCode) (any, bool, error) {
	if !p.HasOption(code) {
		return nil, false, nil
	}
	a, ok := p.OptionIP(code)
	if !ok {
		return nil, true, errBadLength
	}
	return a, true, nil
}

func (ipCodec) Encode(b *dhcpv4.Builder, code dhcpv4.OptionCode, v any) error {
	a, ok := v.(netip.Addr)
	if !ok {
		return fmt.Errorf("want a netip.Addr, not a %T", v)
	}
	if a = a.Unmap(); !a.Is4() {
		return fmt.Errorf("%v is not an IPv4 address", a)
	}
	b.AddIP(code, a)
	return nil
}

type ipsCodec struct{}

func (ipsCodec) Decode(p *dhcpv4.Packet, code dhcpv4.OptionCode) (any, bool, error) {
	if !p.HasOption(code) {
		return nil, false, nil
	}
	as, ok := p.OptionIPs(code, nil)
	if !ok {
		return nil, true, errBadLength
	}
	return as, true, nil
}

func (ipsCodec) Encode(b *dhcpv4.Builder, code dhcpv4.OptionCode, v any) error {
	as, ok := v.([]netip.Addr)
	if !ok {
		return fmt.Errorf("want a []netip.Addr, not a %T", v)
	}
	for _, a := range as {
		if !a.Unmap().Is4() {
			return fmt.Errorf("%v is not an IPv4 address", a)
		}
	}
	b.AddIPs(code, as...)
	return nil
}

type uintCodec struct{ size int }

func (c uintCodec) Decode(p *dhcpv4.Packet, code dhcpv4.OptionCode) (any, bool, error) {
	if !p.HasOption(code) {
		return nil, false, nil
	}
	var v any
	var ok bool
	switch c.size {
	case 1:
		v, ok = p.OptionUint8(code)
	case 2:
		v, ok = p.OptionUint16(code)
	default:
		v, ok = p.OptionUint32(code)
	}
	if !ok {
		return nil, true, errBadLength
	}
	return v, true, nil
}

func (c uintCodec) Encode(b *dhcpv4.Builder, code dhcpv4.OptionCode, v any) error {
	switch x := v.(type) {
	case uint8:
		if c.size == 1 {
			b.AddUint8(code, x)
			return nil
		}
	case uint16:
		if c.size == 2 {
			b.AddUint16(code, x)
			return nil
		}
	case uint32:
		if c.size == 4 {
			b.AddUint32(code, x)
			return nil
		}
	}
	return fmt.Errorf("want a uint%d, not a %T", c.size*8, v)
}

type stringCodec struct{}

func (stringCodec) Decode(p *dhcpv4.Packet, code dhcpv4.OptionCode) (any, bool, error) {
	v, ok := p.Option(code)
	if !ok {
		return nil, false, nil
	}
	return string(v), true, nil
}

func (stringCodec) Encode(b *dhcpv4.Builder, code dhcpv4.OptionCode, v any) error {
	s, ok := v.(string)
	if !ok {
		return fmt.Errorf("want a string, not a %T", v)
	}
	b.AddString(code, s)
	return nil
}

// bytesCodec is what an option without a codec gets: its bytes.
type bytesCodec struct{}

func (bytesCodec) Decode(p *dhcpv4.Packet, code dhcpv4.OptionCode) (any, bool, error) {
	v, ok := p.Option(code)
	if !ok {
		return nil, false, nil
	}
	return append([]byte{}, v...), true, nil
}

func (bytesCodec) Encode(b *dhcpv4.Builder, code dhcpv4.OptionCode, v any) error {
	raw, ok := v.([]byte)
	if !ok {
		return fmt.Errorf("no codec: want the value's bytes, not a %T", v)
	}
	b.AddOption(code, raw)
	return nil
}

// DefCodec returns a codec for the option that d defines (a definition
// of Kea's, from an optdef.Registry or written by hand), which decodes
// with Def.Decode into the Go values it documents, and encodes a string
// in Kea's text form (as in an option-data entry, csv-format true) with
// Def.Encode, or a []byte as the option's bytes. Register it under
// d.Code.
func DefCodec(d optdef.Def) (OptionCodec, error) {
	if err := d.Validate(); err != nil {
		return nil, fmt.Errorf("dhcpserver: codec of %s: %w", d.String(), err)
	}
	return defCodec{d}, nil
}

type defCodec struct{ d optdef.Def }

func (c defCodec) Decode(p *dhcpv4.Packet, code dhcpv4.OptionCode) (any, bool, error) {
	raw, ok := p.Option(code)
	if !ok {
		return nil, false, nil
	}
	v, err := c.d.Decode(raw)
	if err != nil {
		return nil, true, err
	}
	return v, true, nil
}

func (c defCodec) Encode(b *dhcpv4.Builder, code dhcpv4.OptionCode, v any) error {
	switch x := v.(type) {
	case []byte:
		b.AddOption(code, x)
		return nil
	case string:
		raw, err := c.d.Encode(nil, x, true)
		if err != nil {
			return err
		}
		b.AddOption(code, raw)
		return nil
	}
	return fmt.Errorf("%s: want Kea's text form (a string) or the bytes, not a %T", c.d.String(), v)
}
