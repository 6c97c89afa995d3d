package optdef

import (
	"encoding/binary"
	"errors"
	"fmt"
	"net/netip"
	"slices"
	"strconv"
	"strings"
)

// This file holds the options whose encoding Kea implements with
// dedicated code: client FQDN (81), classless static routes (121), the
// V-I vendor class and vendor-specific options (124, 125) and encrypted
// DNS (162).

// Client FQDN flag bits (RFC 4702).
const (
	fqdnFlagS = 0x01
	fqdnFlagE = 0x04
	fqdnFlagN = 0x08
)

func fqdnShape(d *Def) bool {
	return !d.Array && slices.Equal(d.RecordTypes, []Type{TypeUint8, TypeUint8, TypeUint8, TypeFQDN})
}

func vivcoShape(d *Def) bool {
	return !d.Array && slices.Equal(d.RecordTypes, []Type{TypeUint32, TypeBinary})
}

// appendFQDNText writes option 81 from its csv values: flags, RCODE1,
// RCODE2, domain name. The name goes in DNS wire form (lower-cased) when
// the E flag is set and as ASCII text otherwise, as RFC 4702 says and as
// Kea sends the option it builds itself.
func (d *Def) appendFQDNText(dst []byte, vals []string) ([]byte, error) {
	start := len(dst)
	var err error
	for i := range 3 {
		if dst, err = d.appendValue(dst, i+1, vals[i], TypeUint8); err != nil {
			return dst[:start], err
		}
	}
	flags := dst[start]
	if flags&(fqdnFlagN|fqdnFlagS) == fqdnFlagN|fqdnFlagS {
		return dst[:start], d.dataErr(1, trim(vals[0]), "client FQDN flags", "both N and S flags are set (RFC 4702: if N is 1, S must be 0)")
	}
	name := trim(vals[3])
	wire, err := appendName(nil, name, true)
	if err != nil {
		return dst[:start], d.dataErr(4, name, "fqdn", "%v", err)
	}
	if flags&fqdnFlagE != 0 {
		return append(dst, wire...), nil
	}
	return append(dst, asciiName(wire, strings.HasSuffix(name, "."))...), nil
}

// asciiName is the text Kea sends for a client FQDN without the E flag:
// the escaped name, with a final dot only for a fully qualified name.
func asciiName(wire []byte, full bool) string {
	t := nameText(wire)
	if full && t != "." {
		t += "."
	}
	return t
}

// canonicalFQDN reads option 81 from bytes as Kea does and appends what
// Kea sends back.
func canonicalFQDN(dst, raw []byte) ([]byte, error) {
	if len(raw) < 3 {
		return dst, errors.New("client FQDN option truncated")
	}
	flags := raw[0]
	if flags&(fqdnFlagN|fqdnFlagS) == fqdnFlagN|fqdnFlagS {
		return dst, errors.New("both N and S flags of the client FQDN option are set")
	}
	start := len(dst)
	dst = append(dst, raw[:3]...)
	rest := raw[3:]
	if len(rest) == 0 {
		return dst, nil
	}
	if flags&fqdnFlagE != 0 {
		partial := rest[len(rest)-1] != 0
		buf := rest
		if partial {
			buf = append(append([]byte(nil), rest...), 0)
		}
		out, _, err := readName(dst, buf, 0, false, true)
		if err != nil {
			return dst[:start], fmt.Errorf("client FQDN domain name: %w", err)
		}
		if partial {
			out = out[:len(out)-1]
		}
		return out, nil
	}
	text := string(rest)
	wire, err := appendName(nil, text, true)
	if err != nil {
		return dst[:start], fmt.Errorf("client FQDN domain name: %w", err)
	}
	return append(dst, asciiName(wire, strings.HasSuffix(text, "."))...), nil
}

// route is one classless static route.
type route struct {
	dest   [4]byte
	width  int
	router [4]byte
}

// appendRoutesText writes option 121 from Kea's notation:
// "10.229.0.128/25 - 10.229.0.1, 0.0.0.0/0 - 192.0.2.1". The subnet
// address is sent as written, up to the octets the width covers.
func (d *Def) appendRoutesText(dst []byte, text string) ([]byte, error) {
	const example = "comma-separated routes such as 10.229.0.128/25 - 10.229.0.1"
	if len(text) < 5 {
		return dst, d.dataErr(0, text, example, "too short")
	}
	start := len(dst)
	for i, r := range tokens(text, ",", false) {
		bad := func(format string, args ...any) ([]byte, error) {
			return dst[:start], d.dataErr(i+1, trim(r), example, format, args...)
		}
		parts := tokens(trim(r), "-", false)
		if len(parts) != 2 {
			return bad("a route is a prefix and a router separated by '-'")
		}
		pfx := trim(parts[0])
		slash := strings.IndexByte(pfx, '/')
		if slash < 0 {
			return bad("%q is not an IPv4 prefix", pfx)
		}
		dest, err := netip.ParseAddr(pfx[:slash])
		if err != nil || !dest.Is4() {
			return bad("%q is not an IPv4 address", pfx[:slash])
		}
		w, err := strconv.ParseInt(pfx[slash+1:], 10, 16)
		if err != nil || w < 0 || w > 32 {
			return bad("prefix length %q is not in 0..32", pfx[slash+1:])
		}
		gw, err := netip.ParseAddr(trim(parts[1]))
		if err != nil || !gw.Is4() {
			return bad("router %q is not an IPv4 address", trim(parts[1]))
		}
		a, g := dest.As4(), gw.As4()
		dst = append(dst, byte(w))
		dst = append(dst, a[:(w+7)/8]...)
		dst = append(dst, g[:]...)
	}
	return dst, nil
}

// parseRoutes reads option 121 from bytes (RFC 3442).
func parseRoutes(b []byte) ([]route, error) {
	if len(b) < 5 {
		return nil, fmt.Errorf("classless static route option has length %d; it must be at least 5", len(b))
	}
	var routes []route
	for off := 0; off < len(b); {
		if len(b)-off < 5 {
			return nil, fmt.Errorf("classless static route truncated at offset %d", off)
		}
		w := int(b[off])
		off++
		if w > 32 {
			return nil, fmt.Errorf("classless static route has mask width %d; it must be at most 32", w)
		}
		n := (w + 7) / 8
		if len(b)-off < n+4 {
			return nil, fmt.Errorf("classless static route truncated at offset %d", off-1)
		}
		var r route
		r.width = w
		copy(r.dest[:], b[off:off+n])
		off += n
		copy(r.router[:], b[off:off+4])
		off += 4
		routes = append(routes, r)
	}
	return routes, nil
}

func formatRoutes(routes []route) string {
	var b strings.Builder
	for i, r := range routes {
		if i > 0 {
			b.WriteString(", ")
		}
		fmt.Fprintf(&b, "%s/%d - %s", netip.AddrFrom4(r.dest), r.width, netip.AddrFrom4(r.router))
	}
	return b.String()
}

// checkVIVCO checks option 124 as Kea reads it: an enterprise number
// and a length-prefixed data field, repeated; every repetition must
// carry the same enterprise number.
func checkVIVCO(b []byte) error {
	if len(b) < 5 {
		return fmt.Errorf("V-I vendor class option has length %d; it must be at least 5", len(b))
	}
	id := binary.BigEndian.Uint32(b)
	b = b[4:]
	for off := 0; off < len(b); {
		n := int(b[off])
		if len(b)-off-1 < n {
			return fmt.Errorf("V-I vendor class data of length %d truncated", n)
		}
		off += 1 + n
		if off == len(b) {
			break
		}
		if len(b)-off < 4 {
			return errors.New("V-I vendor class option truncated in an enterprise number")
		}
		if other := binary.BigEndian.Uint32(b[off:]); other != id {
			return fmt.Errorf("V-I vendor class option with two enterprise numbers: %d and %d", id, other)
		}
		off += 4
		if off+1 >= len(b) {
			return errors.New("truncated V-I vendor class option: an enterprise number must be followed by data")
		}
	}
	return nil
}

// Suboption is one sub-option: its code and payload.
type Suboption struct {
	Code uint8
	Data []byte
}

// splitVIVSO reads option 125 as Kea does: an enterprise number, then
// one block of sub-options preceded by its length. Anything after the
// first block is ignored.
func splitVIVSO(b []byte) (uint32, []Suboption, error) {
	if len(b) < 4 {
		return 0, nil, fmt.Errorf("vendor-specific information option has length %d; it must be at least 4", len(b))
	}
	id := binary.BigEndian.Uint32(b)
	rest := b[4:]
	if len(rest) == 0 {
		return id, nil, nil
	}
	n := int(rest[0])
	if 1+n > len(rest) {
		return 0, nil, fmt.Errorf("vendor-specific information block of length %d truncated", n)
	}
	subs, err := splitTLVs(rest[1 : 1+n])
	if err != nil {
		return 0, nil, fmt.Errorf("vendor-specific information: %w", err)
	}
	return id, subs, nil
}

// splitTLVs reads a sequence of code, length, data triples; every one
// must be complete.
func splitTLVs(b []byte) ([]Suboption, error) {
	var subs []Suboption
	for off := 0; off < len(b); {
		if len(b)-off < 2 {
			return nil, fmt.Errorf("sub-option %d truncated at offset %d", b[off], off)
		}
		code, n := b[off], int(b[off+1])
		off += 2
		if len(b)-off < n {
			return nil, fmt.Errorf("sub-option %d of length %d truncated at offset %d", code, n, off-2)
		}
		subs = append(subs, Suboption{Code: code, Data: b[off : off+n]})
		off += n
	}
	return subs, nil
}

// appendVendorBlock appends option 125's payload for one enterprise:
// its number, the block length and the sub-options ordered by code.
func appendVendorBlock(dst []byte, id uint32, subs, more []Suboption) ([]byte, error) {
	all := make([]Suboption, 0, len(subs)+len(more))
	all = append(append(all, subs...), more...)
	slices.SortStableFunc(all, func(a, b Suboption) int { return int(a.Code) - int(b.Code) })
	total := 0
	for _, s := range all {
		if len(s.Data) > 255 {
			return dst, fmt.Errorf("sub-option %d is %d bytes long; the limit is 255", s.Code, len(s.Data))
		}
		total += 2 + len(s.Data)
	}
	if total > 255 {
		return dst, fmt.Errorf("vendor %d sub-options take %d bytes; the limit is 255", id, total)
	}
	dst = binary.BigEndian.AppendUint32(dst, id)
	dst = append(dst, byte(total))
	for _, s := range all {
		dst = append(dst, s.Code, byte(len(s.Data)))
		dst = append(dst, s.Data...)
	}
	return dst, nil
}

// Encrypted DNS (DNR, RFC 9463) service parameters Kea knows, by key.
var (
	svcParamKeys = map[string]uint16{
		"mandatory": 0, "alpn": 1, "no-default-alpn": 2, "port": 3, "ipv4hint": 4,
		"ech": 5, "ipv6hint": 6, "dohpath": 7, "ohttp": 8,
	}
	svcParamNames = [...]string{"mandatory", "alpn", "no-default-alpn", "port", "ipv4hint", "ech", "ipv6hint", "dohpath", "ohttp"}
	alpnIDs       = map[string]bool{
		"http/0.9": true, "http/1.0": true, "http/1.1": true, "spdy/1": true, "spdy/2": true,
		"spdy/3": true, "stun.turn": true, "stun.nat-discovery": true, "h2": true, "h2c": true,
		"webrtc": true, "c-webrtc": true, "ftp": true, "imap": true, "pop3": true,
		"managesieve": true, "coap": true, "xmpp-client": true, "xmpp-server": true,
		"acme-tls/1": true, "mqtt": true, "dot": true, "ntske/1": true, "sunrpc": true,
		"h3": true, "smb": true, "irc": true, "nntp": true, "nnsp": true, "doq": true,
		"sip/2": true, "tds/8.0": true, "dicom": true,
	}
)

const (
	svcAlpn    = 1
	svcPort    = 3
	svcDohpath = 7
)

func svcSupported(k uint16) bool { return k == svcAlpn || k == svcPort || k == svcDohpath }

// dnrInstance is one DNR instance of option 162.
type dnrInstance struct {
	priority uint16
	adn      []byte // wire form
	addrs    []netip.Addr
	params   []byte // SvcParams, wire form
	adnOnly  bool
}

// appendDNRText writes option 162 from Kea's notation: instances
// separated by '|', each "priority, ADN[, addresses[, params]]" with
// addresses separated by spaces and params as space-separated key=value
// pairs (alpn, port, dohpath).
func (d *Def) appendDNRText(dst []byte, text string) ([]byte, error) {
	start := len(dst)
	for i, inst := range tokens(text, "|", true) {
		in, err := d.parseDNRInstance(i+1, inst)
		if err != nil {
			return dst[:start], err
		}
		if dst, err = in.append(dst); err != nil {
			return dst[:start], d.dataErr(i+1, trim(inst), "DNR instance", "%v", err)
		}
	}
	return dst, nil
}

func (d *Def) parseDNRInstance(index int, text string) (*dnrInstance, error) {
	const layout = "DNR instance: priority, ADN[, addresses[, svc-params]]"
	bad := func(format string, args ...any) (*dnrInstance, error) {
		return nil, d.dataErr(index, trim(text), layout, format, args...)
	}
	f := tokens(text, ",", true)
	if len(f) < 2 {
		return bad("at least a service priority and an authentication domain name are required")
	}
	if len(f) > 4 {
		return bad("at most 4 fields are allowed")
	}
	var in dnrInstance
	prio, ok := parseUintDecimal(trim(f[0]), 0xffff)
	if !ok {
		return bad("service priority %q is not a 16-bit unsigned integer", trim(f[0]))
	}
	in.priority = uint16(prio)
	adn, err := appendName(nil, trim(f[1]), true)
	if err != nil {
		return bad("authentication domain name: %v", err)
	}
	in.adn, in.adnOnly = adn, true
	if len(f) > 2 {
		in.adnOnly = false
		for _, a := range tokens(trim(f[2]), " ", false) {
			ip, err := netip.ParseAddr(trim(a))
			if err != nil || !ip.Is4() {
				return bad("%q is not an IPv4 address", trim(a))
			}
			in.addrs = append(in.addrs, ip)
		}
		if len(in.addrs) == 0 {
			return bad("at least one IPv4 address is required")
		}
	}
	if len(f) == 4 {
		params, err := parseSvcParams(trim(f[3]))
		if err != nil {
			return bad("%v", err)
		}
		in.params = params
	}
	return &in, nil
}

// parseUintDecimal reads a decimal unsigned integer no larger than max,
// with an optional '+' sign.
func parseUintDecimal(s string, max uint64) (uint64, bool) {
	s = strings.TrimPrefix(s, "+")
	if s == "" || s[0] < '0' || s[0] > '9' {
		return 0, false
	}
	v, err := strconv.ParseUint(s, 10, 64)
	if err != nil || v > max {
		return 0, false
	}
	return v, true
}

func parseSvcParams(text string) ([]byte, error) {
	vals := map[uint16][]byte{}
	http := false
	for _, pair := range tokens(text, " ", false) {
		kv := tokens(trim(pair), "=", false)
		if len(kv) != 2 {
			return nil, fmt.Errorf("svc-params: %q is not a key=value pair", pair)
		}
		key := trim(kv[0])
		if key == "ipv4hint" || key == "ipv6hint" {
			return nil, fmt.Errorf("svc-params: key %s must not be used in DNR", key)
		}
		k, ok := svcParamKeys[key]
		if !ok {
			return nil, fmt.Errorf("svc-params: unknown key %q", key)
		}
		if !svcSupported(k) {
			return nil, fmt.Errorf("svc-params: key %s is not supported in DNR (use alpn, port, dohpath)", key)
		}
		if _, dup := vals[k]; dup {
			return nil, fmt.Errorf("svc-params: key %s is duplicated", key)
		}
		v := trim(kv[1])
		if v == "" {
			return nil, fmt.Errorf("svc-params: empty value for key %s", key)
		}
		switch k {
		case svcAlpn:
			var b []byte
			for _, id := range tokens(v, ",", false) {
				if !alpnIDs[id] {
					return nil, fmt.Errorf("svc-params: alpn id %q is not in the ALPN registry", id)
				}
				if id[0] == 'h' {
					http = true
				}
				b = append(b, byte(len(id)))
				b = append(b, id...)
			}
			vals[k] = b
		case svcPort:
			p, ok := parseUintDecimal(v, 0xffff)
			if !ok {
				return nil, fmt.Errorf("svc-params: port %q is not a 16-bit unsigned integer", v)
			}
			vals[k] = []byte{byte(p >> 8), byte(p)}
		case svcDohpath:
			if !strings.Contains(v, "{?dns}") {
				return nil, errors.New("svc-params: the dohpath URI template must contain the variable {?dns}")
			}
			vals[k] = latin1ToUTF8(v)
		}
	}
	if _, ok := vals[svcDohpath]; http && !ok {
		return nil, errors.New("svc-params: alpn names an HTTP protocol, so dohpath is required")
	}
	var out []byte
	for _, k := range []uint16{svcAlpn, svcPort, svcDohpath} {
		v, ok := vals[k]
		if !ok {
			continue
		}
		if len(v) > 0xffff {
			return nil, fmt.Errorf("svc-params: value of %s is too long", svcParamNames[k])
		}
		out = binary.BigEndian.AppendUint16(out, k)
		out = binary.BigEndian.AppendUint16(out, uint16(len(v)))
		out = append(out, v...)
	}
	return out, nil
}

// latin1ToUTF8 encodes every byte of s as the Unicode code point of the
// same value, which is what Kea does to a dohpath template.
func latin1ToUTF8(s string) []byte {
	out := make([]byte, 0, len(s))
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c < 0x80 {
			out = append(out, c)
		} else {
			out = append(out, 0xc0|c>>6, 0x80|c&0x3f)
		}
	}
	return out
}

// utf8ToLatin1 reverses latin1ToUTF8; it fails for text that
// latin1ToUTF8 cannot produce.
func utf8ToLatin1(b []byte) (string, bool) {
	out := make([]byte, 0, len(b))
	for i := 0; i < len(b); i++ {
		c := b[i]
		switch {
		case c < 0x80:
			out = append(out, c)
		case (c == 0xc2 || c == 0xc3) && i+1 < len(b) && b[i+1]&0xc0 == 0x80:
			out = append(out, c<<6|b[i+1]&0x3f)
			i++
		default:
			return "", false
		}
	}
	return string(out), true
}

func (in *dnrInstance) append(dst []byte) ([]byte, error) {
	n := 2 + 1 + len(in.adn)
	if !in.adnOnly {
		if 4*len(in.addrs) > 255 {
			return dst, fmt.Errorf("%d addresses do not fit in one instance (at most 63)", len(in.addrs))
		}
		n += 1 + 4*len(in.addrs) + len(in.params)
	}
	if n > 0xffff {
		return dst, fmt.Errorf("instance is %d bytes long; the limit is 65535", n)
	}
	dst = binary.BigEndian.AppendUint16(dst, uint16(n))
	dst = binary.BigEndian.AppendUint16(dst, in.priority)
	dst = append(dst, byte(len(in.adn)))
	dst = append(dst, in.adn...)
	if in.adnOnly {
		return dst, nil
	}
	dst = append(dst, byte(4*len(in.addrs)))
	for _, a := range in.addrs {
		b := a.As4()
		dst = append(dst, b[:]...)
	}
	return append(dst, in.params...), nil
}

// parseDNR reads option 162 from bytes as Kea does.
func parseDNR(b []byte) ([]dnrInstance, error) {
	var out []dnrInstance
	for off := 0; off < len(b); {
		if len(b)-off < 5 {
			return nil, fmt.Errorf("DNR instance truncated to %d bytes at offset %d", len(b)-off, off)
		}
		n := int(binary.BigEndian.Uint16(b[off:]))
		off += 2
		if len(b)-off < n {
			return nil, fmt.Errorf("DNR instance of length %d truncated to %d bytes", n, len(b)-off)
		}
		inst := b[off : off+n]
		off += n
		if len(inst) < 3 {
			return nil, errors.New("DNR instance too short for a priority and an ADN")
		}
		var in dnrInstance
		in.priority = binary.BigEndian.Uint16(inst)
		al := int(inst[2])
		inst = inst[3:]
		if al == 0 {
			return nil, errors.New("DNR instance without an authentication domain name")
		}
		if len(inst) < al {
			return nil, fmt.Errorf("DNR authentication domain name of length %d truncated", al)
		}
		adn, next, err := readName(nil, inst[:al], 0, false, true)
		if err != nil {
			return nil, fmt.Errorf("DNR authentication domain name: %w", err)
		}
		if next != al {
			return nil, fmt.Errorf("DNR authentication domain name is %d bytes, not the %d given", next, al)
		}
		in.adn = adn
		inst = inst[al:]
		if len(inst) == 0 {
			in.adnOnly = true
			out = append(out, in)
			continue
		}
		na := int(inst[0])
		if len(inst)-1 < na {
			return nil, fmt.Errorf("DNR address list of length %d truncated", na)
		}
		if na == 0 || na%4 != 0 {
			return nil, fmt.Errorf("DNR address list length %d is not a positive multiple of 4", na)
		}
		for i := 1; i < 1+na; i += 4 {
			in.addrs = append(in.addrs, netip.AddrFrom4([4]byte(inst[i:i+4])))
		}
		in.params = inst[1+na:]
		if err := checkSvcParams(in.params); err != nil {
			return nil, err
		}
		out = append(out, in)
	}
	return out, nil
}

func checkSvcParams(b []byte) error {
	prev := -1
	for off := 0; off < len(b); {
		if len(b)-off < 4 {
			return fmt.Errorf("DNR svc-params truncated to %d bytes", len(b)-off)
		}
		k := binary.BigEndian.Uint16(b[off:])
		n := int(binary.BigEndian.Uint16(b[off+2:]))
		off += 4
		switch {
		case int(k) >= len(svcParamNames):
			return fmt.Errorf("DNR svc-param key %d is not in the SvcParamKeys registry", k)
		case k == 4 || k == 6:
			return fmt.Errorf("DNR svc-param %s must not be used", svcParamNames[k])
		case !svcSupported(k):
			return fmt.Errorf("DNR svc-param %s is not supported", svcParamNames[k])
		case int(k) <= prev:
			return errors.New("DNR svc-param keys must appear in increasing order, without duplicates")
		}
		prev = int(k)
		if len(b)-off < n {
			return fmt.Errorf("DNR svc-param %s value of length %d truncated", svcParamNames[k], n)
		}
		off += n
	}
	return nil
}

func canonicalDNR(dst, raw []byte) ([]byte, error) {
	insts, err := parseDNR(raw)
	if err != nil {
		return dst, err
	}
	for i := range insts {
		if dst, err = insts[i].append(dst); err != nil {
			return dst, err
		}
	}
	return dst, nil
}

// formatDNR renders DNR instances in Kea's notation; ok is false when an
// instance holds something that notation cannot express.
func formatDNR(insts []dnrInstance) (string, bool) {
	var b strings.Builder
	for i, in := range insts {
		if i > 0 {
			b.WriteString(" | ")
		}
		fmt.Fprintf(&b, "%d, %s", in.priority, escapeCSV(nameText(in.adn)))
		if in.adnOnly {
			continue
		}
		b.WriteString(", ")
		for j, a := range in.addrs {
			if j > 0 {
				b.WriteByte(' ')
			}
			b.WriteString(a.String())
		}
		if len(in.params) == 0 {
			continue
		}
		var p []string
		for off := 0; off < len(in.params); {
			k := binary.BigEndian.Uint16(in.params[off:])
			n := int(binary.BigEndian.Uint16(in.params[off+2:]))
			v := in.params[off+4 : off+4+n]
			off += 4 + n
			switch k {
			case svcAlpn:
				var ids []string
				if err := checkTuples(v, 1); err != nil || len(v) == 0 {
					return "", false
				}
				for o := 0; o < len(v); o += 1 + int(v[o]) {
					ids = append(ids, string(v[o+1:o+1+int(v[o])]))
				}
				p = append(p, "alpn="+strings.Join(ids, ","))
			case svcPort:
				if len(v) != 2 {
					return "", false
				}
				p = append(p, "port="+strconv.Itoa(int(binary.BigEndian.Uint16(v))))
			case svcDohpath:
				s, ok := utf8ToLatin1(v)
				if !ok {
					return "", false
				}
				p = append(p, "dohpath="+s)
			}
		}
		b.WriteString(", ")
		b.WriteString(escapeCSV(strings.Join(p, " ")))
	}
	return b.String(), true
}
