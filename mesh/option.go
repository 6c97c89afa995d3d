package mesh

import (
	"encoding/binary"
	"fmt"
	"strconv"
	"strings"
	"time"
)

// DHCP option codes the option store fills in by default.
const (
	OptSubnetMask = 1
	OptTimeOffset = 2
	OptBroadcast  = 28
	OptLeaseTime  = 51
	OptServerID   = 54
)

// An Option is one entry of ddhcpd's DHCP option store: a code and its raw
// payload (at most 255 bytes).
type Option struct {
	Code uint8
	Data []byte
}

// ParseOption parses ddhcpd's option syntax CODE:LEN:B1.B2.….BLEN, as given
// to ddhcpd -o and ddhcpdctl -o. CODE and LEN are decimal; each byte takes
// C's base prefixes (0x1f hex, 017 octal, 31 decimal). A lease time of 300 s
// is written 51:4:0.0.1.44.
//
// ddhcpd itself truncates values above 255, ignores extra bytes and reads
// garbage as 0; ParseOption rejects all of that, and codes 0 (PAD) and 255
// (END), with an error saying what is wrong.
func ParseOption(s string) (Option, error) {
	codeS, rest, ok1 := strings.Cut(s, ":")
	lenS, payload, ok2 := strings.Cut(rest, ":")
	if !ok1 || !ok2 {
		return Option{}, fmt.Errorf("mesh: option %q: want CODE:LEN:B1.B2…", s)
	}
	code, err := strconv.ParseUint(codeS, 10, 8)
	if err != nil {
		return Option{}, fmt.Errorf("mesh: option %q: code %q is not a number from 1 to 254", s, codeS)
	}
	if code == 0 || code == 255 {
		return Option{}, fmt.Errorf("mesh: option %q: code %d is PAD or END, not an option", s, code)
	}
	n, err := strconv.ParseUint(lenS, 10, 8)
	if err != nil {
		return Option{}, fmt.Errorf("mesh: option %q: length %q is not a number from 0 to 255", s, lenS)
	}
	o := Option{Code: uint8(code), Data: make([]byte, 0, n)}
	if n == 0 {
		if payload != "" {
			return Option{}, fmt.Errorf("mesh: option %q: length 0 but payload %q given", s, payload)
		}
		return o, nil
	}
	for i, f := range strings.Split(payload, ".") {
		v, err := parseCByte(f)
		if err != nil {
			return Option{}, fmt.Errorf("mesh: option %q: byte %d: %w", s, i+1, err)
		}
		o.Data = append(o.Data, v)
	}
	if len(o.Data) != int(n) {
		return Option{}, fmt.Errorf("mesh: option %q: length %d but %d payload bytes given", s, n, len(o.Data))
	}
	return o, nil
}

// parseCByte reads one byte value with strtoul's base detection.
func parseCByte(s string) (byte, error) {
	base, digits := 10, s
	switch {
	case strings.HasPrefix(s, "0x") || strings.HasPrefix(s, "0X"):
		base, digits = 16, s[2:]
	case len(s) > 1 && s[0] == '0':
		base, digits = 8, s[1:]
	}
	// ParseUint with an explicit base accepts no sign, prefix or underscore.
	v, err := strconv.ParseUint(digits, base, 8)
	if err != nil || digits == "" {
		return 0, fmt.Errorf("%q is not a byte value (0-255, 0x.. hex or 0.. octal)", s)
	}
	return byte(v), nil
}

// String formats o in the syntax ParseOption reads, with decimal bytes.
func (o Option) String() string {
	var b strings.Builder
	b.WriteString(strconv.Itoa(int(o.Code)))
	b.WriteByte(':')
	b.WriteString(strconv.Itoa(len(o.Data)))
	b.WriteByte(':')
	for i, v := range o.Data {
		if i > 0 {
			b.WriteByte('.')
		}
		b.WriteString(strconv.Itoa(int(v)))
	}
	return b.String()
}

// An OptionStore is ddhcpd's ordered option list. Setting an existing code
// replaces its payload in place; new codes are appended. The zero value is
// an empty store.
type OptionStore struct {
	opts []Option
}

// Set stores o, replacing an option with the same code. The payload is
// copied. It fails if the payload is longer than 255 bytes.
func (s *OptionStore) Set(o Option) error {
	if len(o.Data) > 255 {
		return fmt.Errorf("mesh: option %d: %d payload bytes, at most 255 fit", o.Code, len(o.Data))
	}
	o.Data = append([]byte(nil), o.Data...)
	for i := range s.opts {
		if s.opts[i].Code == o.Code {
			s.opts[i].Data = o.Data
			return nil
		}
	}
	s.opts = append(s.opts, o)
	return nil
}

// Remove deletes the option with the given code, if present, and reports
// whether it was.
func (s *OptionStore) Remove(code uint8) bool {
	for i := range s.opts {
		if s.opts[i].Code == code {
			s.opts = append(s.opts[:i], s.opts[i+1:]...)
			return true
		}
	}
	return false
}

// Get returns the option with the given code. The payload aliases the
// store's.
func (s *OptionStore) Get(code uint8) (Option, bool) {
	for _, o := range s.opts {
		if o.Code == code {
			return o, true
		}
	}
	return Option{}, false
}

// All returns the options in store order. The slice is a copy; payloads
// alias the store's.
func (s *OptionStore) All() []Option { return append([]Option(nil), s.opts...) }

// Len returns the number of options.
func (s *OptionStore) Len() int { return len(s.opts) }

// Clone returns a deep copy.
func (s *OptionStore) Clone() OptionStore {
	c := OptionStore{opts: make([]Option, len(s.opts))}
	for i, o := range s.opts {
		c.opts[i] = Option{Code: o.Code, Data: append([]byte(nil), o.Data...)}
	}
	return c
}

// LeaseTime returns the lease time the store announces, ddhcpd's way: the
// first four bytes of option 51 read big-endian, or 0 when option 51 is
// missing or shorter than four bytes. (With 0, ddhcpd omits option 51 and
// keeps leases for its 10-second server margin only.)
func (s *OptionStore) LeaseTime() time.Duration {
	o, ok := s.Get(OptLeaseTime)
	if !ok || len(o.Data) < 4 {
		return 0
	}
	return time.Duration(binary.BigEndian.Uint32(o.Data)) * time.Second
}

// AddDefaults appends the options ddhcpd adds at start-up for codes not
// already present, in this order: 1 (netmask of the prefix length),
// 2 (time offset 0), 28 (broadcast: the prefix as given with all host bits
// set), 51 (lease time 300 s) and 54 (server identifier: the prefix with its
// last byte set to 1).
func (s *OptionStore) AddDefaults(r Range) {
	p := r.Prefix().As4()
	m := r.Mask()
	bc := [4]byte{p[0] | ^m[0], p[1] | ^m[1], p[2] | ^m[2], p[3] | ^m[3]}
	defaults := []Option{
		{OptSubnetMask, m[:]},
		{OptTimeOffset, []byte{0, 0, 0, 0}},
		{OptBroadcast, bc[:]},
		{OptLeaseTime, []byte{0, 0, 1, 44}},
		{OptServerID, []byte{p[0], p[1], p[2], 1}},
	}
	for _, d := range defaults {
		if _, ok := s.Get(d.Code); !ok {
			s.opts = append(s.opts, Option{Code: d.Code, Data: append([]byte(nil), d.Data...)})
		}
	}
}
