package ncr

import (
	"bytes"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/netip"
	"strconv"
	"time"

	"github.com/leased/leased/ddns"
)

// Type is the change-type of a request.
type Type uint8

// The change types, numbered as on the wire.
const (
	Add    Type = 0
	Remove Type = 1
)

// String returns "add" or "remove".
func (t Type) String() string {
	switch t {
	case Add:
		return "add"
	case Remove:
		return "remove"
	}
	return "change-type-" + strconv.Itoa(int(t))
}

// Mode is ddns-conflict-resolution-mode: how the DNS updater protects a
// name that another client holds.
type Mode uint8

// The conflict-resolution modes, CheckWithDHCID (RFC 4703) the default.
const (
	CheckWithDHCID       Mode = iota // add only where the name is free or carries the client's DHCID
	NoCheckWithDHCID                 // overwrite, and write a DHCID
	CheckExistsWithDHCID             // overwrite where some DHCID exists
	NoCheckWithoutDHCID              // overwrite, and write no DHCID
)

var modeNames = [...]string{"check-with-dhcid", "no-check-with-dhcid", "check-exists-with-dhcid", "no-check-without-dhcid"}

// String returns the mode's name in the configuration and on the wire.
func (m Mode) String() string {
	if int(m) < len(modeNames) {
		return modeNames[m]
	}
	return "mode-" + strconv.Itoa(int(m))
}

// ParseMode reads a ddns-conflict-resolution-mode value. The empty string
// is the default, CheckWithDHCID.
func ParseMode(s string) (Mode, error) {
	if s == "" {
		return CheckWithDHCID, nil
	}
	for i, n := range modeNames {
		if s == n {
			return Mode(i), nil
		}
	}
	return 0, fmt.Errorf("%q is not a conflict-resolution mode (check-with-dhcid, no-check-with-dhcid, check-exists-with-dhcid, no-check-without-dhcid)", s)
}

// checks reports Kea 2.2's use-conflict-resolution for m: whether the
// updater looks at existing DHCIDs before it overwrites.
func (m Mode) checks() bool { return m == CheckWithDHCID || m == CheckExistsWithDHCID }

// A Request is one NameChangeRequest.
type Request struct {
	Type Type
	// Forward and Reverse say which records to change: A and DHCID at
	// FQDN, PTR and DHCID at the reverse name of Addr. At least one is set.
	Forward, Reverse bool
	// FQDN is the name in Kea's text form with its final dot.
	FQDN string
	Addr netip.Addr
	// DHCID is the DHCID RDATA (RFC 4701): identifier type, digest type,
	// digest.
	DHCID []byte
	// Expires is when the records stop being needed (lease-expires-on:
	// the lease's last transmission time plus TTL, to the second, UTC);
	// the zero time when a received request has none (Kea 3.1.6 on).
	Expires time.Time
	// TTL is the TTL of the records added, in seconds (lease-length).
	TTL  uint32
	Mode Mode
}

// ErrInvalid is wrapped by every error of Decode and DecodeFrame.
var ErrInvalid = errors.New("invalid NameChangeRequest")

// MaxFrame is the longest JSON text a frame can hold.
const MaxFrame = 0xffff

const expiresLayout = "20060102150405"

// Validate reports what Kea's validateContent would refuse in r: no name,
// no DHCID, no direction, an unknown type or mode, an address that is not
// valid.
func (r *Request) Validate() error {
	switch {
	case r.Type > Remove:
		return fmt.Errorf("%w: change-type %d is neither 0 (add) nor 1 (remove)", ErrInvalid, r.Type)
	case r.FQDN == "":
		return fmt.Errorf("%w: empty fqdn", ErrInvalid)
	case len(r.DHCID) == 0:
		return fmt.Errorf("%w: %s: empty dhcid", ErrInvalid, r.FQDN)
	case !r.Forward && !r.Reverse:
		return fmt.Errorf("%w: %s: neither forward-change nor reverse-change is true", ErrInvalid, r.FQDN)
	case !r.Addr.IsValid() || r.Addr.Zone() != "":
		return fmt.Errorf("%w: %s: ip-address %v is not an IP address", ErrInvalid, r.FQDN, r.Addr)
	case int(r.Mode) >= len(modeNames):
		return fmt.Errorf("%w: %s: unknown conflict-resolution mode %d", ErrInvalid, r.FQDN, r.Mode)
	}
	return nil
}

// AppendJSON appends r as the compact JSON text Kea writes, in Kea's key
// order, with every member some Kea version requires:
// lease-expires-on (cltt + TTL; the zero Expires is written as the Unix
// epoch), use-conflict-resolution and conflict-resolution-mode.
func (r *Request) AppendJSON(dst []byte) ([]byte, error) {
	if err := r.Validate(); err != nil {
		return dst, err
	}
	dst = append(dst, `{"change-type":`...)
	dst = strconv.AppendUint(dst, uint64(r.Type), 10)
	dst = append(dst, `,"forward-change":`...)
	dst = strconv.AppendBool(dst, r.Forward)
	dst = append(dst, `,"reverse-change":`...)
	dst = strconv.AppendBool(dst, r.Reverse)
	dst = append(dst, `,"fqdn":`...)
	dst = appendJSONString(dst, r.FQDN)
	dst = append(dst, `,"ip-address":"`...)
	dst = r.Addr.AppendTo(dst)
	dst = append(dst, `","dhcid":"`...)
	dst = appendHexUpper(dst, r.DHCID)
	dst = append(dst, `","lease-expires-on":"`...)
	exp := r.Expires
	if exp.IsZero() {
		exp = time.Unix(0, 0)
	}
	dst = exp.UTC().AppendFormat(dst, expiresLayout)
	dst = append(dst, `","lease-length":`...)
	dst = strconv.AppendUint(dst, uint64(r.TTL), 10)
	dst = append(dst, `,"use-conflict-resolution":`...)
	dst = strconv.AppendBool(dst, r.Mode.checks())
	dst = append(dst, `,"conflict-resolution-mode":"`...)
	dst = append(dst, r.Mode.String()...)
	dst = append(dst, `"}`...)
	return dst, nil
}

// AppendFrame appends r as one datagram: the JSON text's length in 2
// bytes, big-endian, then the text.
func (r *Request) AppendFrame(dst []byte) ([]byte, error) {
	start := len(dst)
	dst = append(dst, 0, 0)
	dst, err := r.AppendJSON(dst)
	if err != nil {
		return dst[:start], err
	}
	n := len(dst) - start - 2
	if n > MaxFrame {
		return dst[:start], fmt.Errorf("NameChangeRequest for %s is %d bytes of JSON, more than a frame holds (%d)", r.FQDN, n, MaxFrame)
	}
	binary.BigEndian.PutUint16(dst[start:], uint16(n))
	return dst, nil
}

func appendHexUpper(dst, b []byte) []byte {
	const digits = "0123456789ABCDEF"
	for _, c := range b {
		dst = append(dst, digits[c>>4], digits[c&15])
	}
	return dst
}

// appendJSONString appends s quoted as a JSON string. Names in Kea's text
// form are printable ASCII, but a backslash escape is common and a quote
// possible.
func appendJSONString(dst []byte, s string) []byte {
	const digits = "0123456789abcdef"
	dst = append(dst, '"')
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c == '"' || c == '\\':
			dst = append(dst, '\\', c)
		case c < 0x20:
			dst = append(dst, '\\', 'u', '0', '0', digits[c>>4], digits[c&15])
		default:
			dst = append(dst, c)
		}
	}
	return append(dst, '"')
}

// DecodeFrame reads one datagram: a 2-byte big-endian length L and at
// least L bytes, of which the first L are the JSON text (bytes after them
// are ignored, as Kea ignores them).
func DecodeFrame(b []byte) (Request, error) {
	if len(b) < 2 {
		return Request{}, fmt.Errorf("%w: datagram of %d bytes has no 2-byte length", ErrInvalid, len(b))
	}
	n := int(binary.BigEndian.Uint16(b))
	if len(b)-2 < n {
		return Request{}, fmt.Errorf("%w: length says %d bytes of JSON, the datagram holds %d", ErrInvalid, n, len(b)-2)
	}
	return Decode(b[2 : 2+n])
}

// wire is the JSON members; pointers tell absent from zero.
type wire struct {
	ChangeType     *uint8
	Forward        *bool
	Reverse        *bool
	FQDN           *string
	IPAddress      *string
	DHCID          *string
	LeaseExpiresOn *string
	LeaseLength    *uint32
	UseConflict    *bool
	ConflictMode   *string
}

// members maps each member's key to its field. Keys are matched exactly,
// as Kea matches them (encoding/json would also take "FQDN" for "fqdn").
func (w *wire) members() map[string]any {
	return map[string]any{
		"change-type": &w.ChangeType, "forward-change": &w.Forward, "reverse-change": &w.Reverse,
		"fqdn": &w.FQDN, "ip-address": &w.IPAddress, "dhcid": &w.DHCID,
		"lease-expires-on": &w.LeaseExpiresOn, "lease-length": &w.LeaseLength,
		"use-conflict-resolution": &w.UseConflict, "conflict-resolution-mode": &w.ConflictMode,
	}
}

// Decode reads a request's JSON text as kea-dhcp-ddns does, from any Kea
// version from 2.2 on: change-type, forward-change, reverse-change, fqdn,
// ip-address, dhcid and lease-length are required, lease-expires-on
// (required by 2.2 and 3.0, no longer sent by 3.1.6) is optional, the
// mode is conflict-resolution-mode, else use-conflict-resolution (true:
// check-with-dhcid, false: no-check-with-dhcid), else check-with-dhcid.
// Unknown members are ignored. The name is returned in canonical text
// form with its final dot.
func Decode(text []byte) (Request, error) {
	var obj map[string]json.RawMessage
	dec := json.NewDecoder(bytes.NewReader(text))
	if err := dec.Decode(&obj); err != nil {
		return Request{}, fmt.Errorf("%w: %v", ErrInvalid, err)
	}
	if obj == nil {
		return Request{}, fmt.Errorf("%w: not a JSON object", ErrInvalid)
	}
	if _, err := dec.Token(); err != io.EOF {
		return Request{}, fmt.Errorf("%w: text after the JSON object", ErrInvalid)
	}
	var w wire
	for key, field := range w.members() {
		v, ok := obj[key]
		if !ok {
			continue
		}
		if err := json.Unmarshal(v, field); err != nil || bytes.Equal(v, []byte("null")) {
			return Request{}, fmt.Errorf("%w: member %q: %s is not of its type", ErrInvalid, key, v)
		}
	}
	var r Request
	missing := func(key string) (Request, error) {
		return Request{}, fmt.Errorf("%w: member %q is missing", ErrInvalid, key)
	}
	switch {
	case w.ChangeType == nil:
		return missing("change-type")
	case w.Forward == nil:
		return missing("forward-change")
	case w.Reverse == nil:
		return missing("reverse-change")
	case w.FQDN == nil:
		return missing("fqdn")
	case w.IPAddress == nil:
		return missing("ip-address")
	case w.DHCID == nil:
		return missing("dhcid")
	case w.LeaseLength == nil:
		return missing("lease-length")
	}
	if *w.ChangeType > uint8(Remove) {
		return Request{}, fmt.Errorf("%w: change-type %d is neither 0 (add) nor 1 (remove)", ErrInvalid, *w.ChangeType)
	}
	r.Type = Type(*w.ChangeType)
	r.Forward, r.Reverse = *w.Forward, *w.Reverse
	if *w.FQDN == "" {
		return Request{}, fmt.Errorf("%w: empty fqdn", ErrInvalid)
	}
	fqdn, err := ddns.AbsoluteName(*w.FQDN)
	if err != nil {
		return Request{}, fmt.Errorf("%w: fqdn: %v", ErrInvalid, err)
	}
	r.FQDN = fqdn
	a, err := netip.ParseAddr(*w.IPAddress)
	if err != nil || a.Zone() != "" {
		return Request{}, fmt.Errorf("%w: ip-address %q is not an IP address", ErrInvalid, *w.IPAddress)
	}
	r.Addr = a
	if len(*w.DHCID)%2 != 0 {
		return Request{}, fmt.Errorf("%w: dhcid %q has an odd number of hex digits", ErrInvalid, *w.DHCID)
	}
	if r.DHCID, err = hex.DecodeString(*w.DHCID); err != nil {
		return Request{}, fmt.Errorf("%w: dhcid %q is not hexadecimal", ErrInvalid, *w.DHCID)
	}
	if w.LeaseExpiresOn != nil {
		t, err := time.Parse(expiresLayout, *w.LeaseExpiresOn)
		if err != nil {
			return Request{}, fmt.Errorf("%w: lease-expires-on %q is not YYYYMMDDHHMMSS", ErrInvalid, *w.LeaseExpiresOn)
		}
		r.Expires = t
	}
	r.TTL = *w.LeaseLength
	switch {
	case w.ConflictMode != nil:
		if r.Mode, err = ParseMode(*w.ConflictMode); err != nil || *w.ConflictMode == "" {
			return Request{}, fmt.Errorf("%w: conflict-resolution-mode %q is not a mode", ErrInvalid, *w.ConflictMode)
		}
	case w.UseConflict != nil && !*w.UseConflict:
		r.Mode = NoCheckWithDHCID
	}
	if err := r.Validate(); err != nil {
		return Request{}, err
	}
	return r, nil
}

// String describes r for logs.
func (r *Request) String() string {
	dir := "forward+reverse"
	switch {
	case !r.Reverse:
		dir = "forward"
	case !r.Forward:
		dir = "reverse"
	}
	return fmt.Sprintf("%s %s %s %v ttl %d %s", r.Type, dir, r.FQDN, r.Addr, r.TTL, r.Mode)
}
