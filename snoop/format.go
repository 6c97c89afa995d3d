package snoop

import (
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"net/netip"
	"strconv"
	"strings"

	"github.com/leased/leased/dhcpv4"
	"github.com/leased/leased/dhcpv4/optdef"
)

// FormatOptions chooses how a Formatter renders messages.
type FormatOptions struct {
	// Verbose puts each option on a line of its own, with its name.
	Verbose bool
	// Hex adds the message's bytes in hexadecimal: after the text, as
	// tcpdump -x does, or as "payload" in JSON.
	Hex bool
	// Registry holds the option definitions that name and decode
	// options; nil means optdef.Standard(), Kea's built-in ones. A
	// configuration's option-def entries are added with Registry.With.
	Registry *optdef.Registry
}

// Formatter renders Messages as text lines (see the package
// documentation for their form) or as JSON objects. It keeps no state
// between messages and is safe for concurrent use.
type Formatter struct {
	opts FormatOptions
}

// NewFormatter returns a Formatter with the given options.
func NewFormatter(o FormatOptions) *Formatter {
	if o.Registry == nil {
		o.Registry = optdef.Standard()
	}
	return &Formatter{opts: o}
}

// option is one option of a message, read with its definition.
type option struct {
	code  uint8
	name  string // "" without a definition
	data  []byte
	text  string // what the text form shows: see display
	kea   string // Def.Format's text, "" when it has none
	value any    // Def.Decode's value
	err   error  // why data does not fit the definition
	subs  []option
	// enterprise marks the block of one enterprise in option 125; its
	// text is the enterprise number.
	enterprise bool
}

// AppendText appends m's text form to dst: one line, or with Verbose one
// line and one per option, then with Hex the hexadecimal dump; every line
// ends in a newline. Whatever m holds, the text is printable ASCII
// (bytes from the wire are quoted as Go strings), so a hostile message
// cannot write control sequences to a terminal.
func (f *Formatter) AppendText(dst []byte, m *Message) []byte {
	dst = m.Time.AppendFormat(dst, "15:04:05.000000")
	dst = append(dst, ' ')
	dst = append(dst, m.Interface...)
	if m.Outgoing {
		dst = append(dst, " Out "...)
	} else {
		dst = append(dst, " In "...)
	}
	dst = m.Src.AppendTo(dst)
	dst = append(dst, " > "...)
	dst = m.Dst.AppendTo(dst)
	if m.Packet == nil {
		dst = fmt.Appendf(dst, " malformed (%d bytes): %s", len(m.Payload), strconv.Quote(errText(m.Err)))
		if !f.opts.Hex {
			dst = append(dst, " (-x shows them)"...)
		}
		dst = append(dst, '\n')
		return f.appendHex(dst, m.Payload)
	}
	p := m.Packet
	dst = append(dst, ' ')
	dst = append(dst, typeName(p)...)
	dst = appendHeader(dst, p)
	opts := f.options(p)
	if f.opts.Verbose {
		dst = append(dst, '\n')
		for _, o := range opts {
			dst = appendVerbose(dst, o, "    ")
		}
	} else {
		for _, o := range opts {
			dst = append(dst, " ["...)
			dst = strconv.AppendUint(dst, uint64(o.code), 10)
			if s := inline(o); s != "" {
				dst = append(dst, ' ')
				dst = append(dst, s...)
			}
			dst = append(dst, ']')
		}
		dst = append(dst, '\n')
	}
	return f.appendHex(dst, m.Payload)
}

// typeName is the message type without its DHCP prefix (OFFER), or the
// op of a BOOTP message.
func typeName(p *dhcpv4.Packet) string {
	mt := p.MessageType()
	if mt == 0 {
		return p.Op().String()
	}
	if name := mt.String(); !strings.HasPrefix(name, "DHCP(") {
		return strings.TrimPrefix(name, "DHCP")
	}
	return mt.String()
}

// appendHeader appends the fixed header's fields that say something: xid
// and chaddr always, the rest when not zero.
func appendHeader(dst []byte, p *dhcpv4.Packet) []byte {
	dst = fmt.Appendf(dst, " xid=0x%08x", p.XID())
	if op := p.Op(); op != dhcpv4.BootRequest && op != dhcpv4.BootReply {
		dst = fmt.Appendf(dst, " op=%d", op)
	}
	if p.HType() != 1 {
		dst = fmt.Appendf(dst, " htype=%d", p.HType())
	}
	if p.HLen() > 16 {
		dst = fmt.Appendf(dst, " hlen=%d", p.HLen())
	}
	if hw := p.CHAddr(); len(hw) > 0 {
		dst = append(dst, " chaddr="...)
		dst = appendMAC(dst, hw)
	}
	if h := p.Hops(); h != 0 {
		dst = fmt.Appendf(dst, " hops=%d", h)
	}
	if s := p.Secs(); s != 0 {
		dst = fmt.Appendf(dst, " secs=%d", s)
	}
	if fl := p.Flags(); fl&dhcpv4.FlagBroadcast != 0 {
		dst = append(dst, " broadcast"...)
		if fl != dhcpv4.FlagBroadcast {
			dst = fmt.Appendf(dst, " flags=0x%04x", fl)
		}
	} else if fl != 0 {
		dst = fmt.Appendf(dst, " flags=0x%04x", fl)
	}
	for _, a := range []struct {
		name string
		addr netip.Addr
	}{{"ciaddr", p.CIAddr()}, {"yiaddr", p.YIAddr()}, {"siaddr", p.SIAddr()}, {"giaddr", p.GIAddr()}} {
		if !a.addr.IsUnspecified() {
			dst = append(dst, ' ')
			dst = append(dst, a.name...)
			dst = append(dst, '=')
			dst = a.addr.AppendTo(dst)
		}
	}
	if s := p.SName(); len(s) > 0 {
		dst = append(dst, " sname="...)
		dst = strconv.AppendQuote(dst, string(s))
	}
	if s := p.File(); len(s) > 0 {
		dst = append(dst, " file="...)
		dst = strconv.AppendQuote(dst, string(s))
	}
	return dst
}

func appendMAC(dst, hw []byte) []byte {
	for i, b := range hw {
		if i > 0 {
			dst = append(dst, ':')
		}
		dst = hex.AppendEncode(dst, []byte{b})
	}
	return dst
}

// inline is an option's value as the one-line form shows it: the value,
// then its sub-options as name=value.
func inline(o option) string {
	parts := make([]string, 0, 1+len(o.subs))
	if o.text != "" {
		parts = append(parts, o.text)
	}
	for _, s := range o.subs {
		if s.enterprise {
			parts = append(parts, "enterprise="+inline(s))
			continue
		}
		k := s.name
		if k == "" {
			k = strconv.Itoa(int(s.code))
		}
		if v := inline(s); v != "" {
			k += "=" + v
		}
		parts = append(parts, k)
	}
	return strings.Join(parts, " ")
}

func appendVerbose(dst []byte, o option, indent string) []byte {
	dst = append(dst, indent...)
	if o.enterprise {
		dst = append(dst, "enterprise"...)
	} else {
		dst = strconv.AppendUint(dst, uint64(o.code), 10)
		name := o.name
		if name == "" {
			name = "unknown"
		}
		dst = append(dst, ' ')
		dst = append(dst, name...)
	}
	dst = append(dst, ':')
	if o.text != "" {
		dst = append(dst, ' ')
		dst = append(dst, o.text...)
	}
	dst = append(dst, '\n')
	for _, s := range o.subs {
		dst = appendVerbose(dst, s, indent+"    ")
	}
	return dst
}

// appendHex appends b as tcpdump -x does, when Hex is set.
func (f *Formatter) appendHex(dst, b []byte) []byte {
	if !f.opts.Hex {
		return dst
	}
	for off := 0; off < len(b); off += 16 {
		dst = fmt.Appendf(dst, "\t0x%04x: ", off)
		for i := off; i < off+16 && i < len(b); i += 2 {
			dst = append(dst, ' ')
			dst = hex.AppendEncode(dst, b[i:min(i+2, len(b))])
		}
		dst = append(dst, '\n')
	}
	return dst
}

// options reads p's options, in the order of their first appearance,
// with the definitions of the dhcp4 space.
func (f *Formatter) options(p *dhcpv4.Packet) []option {
	var out []option
	p.Options(func(code dhcpv4.OptionCode, v []byte) bool {
		out = append(out, f.option(optdef.SpaceDHCP4, uint8(code), v))
		return true
	})
	return out
}

// option reads one option of space with its definition: its name, Go
// value and Kea text, and its sub-options read with the definitions of
// the space it encapsulates. An option without a definition shows as
// hexadecimal; one that does not fit its definition shows as hexadecimal
// with the reason.
func (f *Formatter) option(space string, code uint8, data []byte) option {
	o := option{code: code, data: data}
	def, ok := f.opts.Registry.LookupCode(space, code)
	if !ok {
		o.text = hexText(data)
		return o
	}
	o.name = def.Name
	if space == optdef.SpaceDHCP4 && code == uint8(dhcpv4.OptionVIVendorSpecific) {
		return f.vivso(o, &def)
	}
	v, err := def.Decode(data)
	if err != nil {
		o.err = err
		o.text = malformed(data, err)
		return o
	}
	if b, ok := v.([]byte); ok && def.Type != optdef.TypeBinary {
		v = bytesToInts(b) // an array of uint8, not binary data
	}
	o.value = v
	own, subs, err := def.SplitSuboptions(data)
	if err != nil { // Decode split them already
		o.err = err
		o.text = malformed(data, err)
		return o
	}
	if len(own) > 0 {
		o.kea, err = def.Format(data)
		switch {
		case err == nil:
			o.text = display(&def, v, o.kea)
		case errors.Is(err, optdef.ErrNotText):
			o.text = render(v)
		default:
			o.err = err
			o.text = malformed(data, err)
			return o
		}
	}
	if len(subs) > 0 {
		o.subs = f.suboptions(def.Encapsulate, subs)
	}
	if space == optdef.SpaceDHCP4 && code == uint8(dhcpv4.OptionMessageType) {
		if name := dhcpv4.MessageType(data[0]).String(); !strings.HasPrefix(name, "DHCP(") {
			o.text = strings.ToLower(strings.TrimPrefix(name, "DHCP"))
		}
	}
	return o
}

func bytesToInts(b []byte) []int {
	out := make([]int, len(b))
	for i, x := range b {
		out[i] = int(x)
	}
	return out
}

// vivso reads option 125 (RFC 3925): one block per enterprise, each
// shown as the enterprise number and the block's sub-options, read with
// the definitions of space vendor-<enterprise>.
func (f *Formatter) vivso(o option, def *optdef.Def) option {
	var ents []any
	var parts []string
	for rest := o.data; len(rest) > 0; {
		if len(rest) < 5 || 5+int(rest[4]) > len(rest) {
			o.err = fmt.Errorf("option %s: enterprise block at offset %d truncated", def, len(o.data)-len(rest))
			o.text, o.value, o.subs = malformed(o.data, o.err), nil, nil
			return o
		}
		ent := binary.BigEndian.Uint32(rest)
		block := rest[5 : 5+int(rest[4])]
		rest = rest[5+len(block):]
		ents = append(ents, ent)
		sub := option{enterprise: true, text: strconv.FormatUint(uint64(ent), 10), data: block, value: ent}
		if _, err := optdef.ParseSuboptions(block); err != nil {
			sub.err = err
			sub.text += " " + malformed(block, err)
		} else {
			sub.subs = f.suboptions(optdef.VendorSpace(ent), block)
		}
		parts = append(parts, strconv.FormatUint(uint64(ent), 10))
		o.subs = append(o.subs, sub)
	}
	o.value = ents
	o.kea = strings.Join(parts, ", ")
	return o
}

// suboptions reads the sub-options in b (complete, as SplitSuboptions
// checked) with the definitions of space.
func (f *Formatter) suboptions(space string, b []byte) []option {
	list, err := optdef.ParseSuboptions(b)
	if err != nil {
		return []option{{text: malformed(b, err), data: b, err: err}}
	}
	out := make([]option, 0, len(list))
	for _, s := range list {
		out = append(out, f.option(space, s.Code, s.Data))
	}
	return out
}

// display is the text an option's value shows as: Kea's text, except
// that strings are quoted as in Go (so that blanks and odd bytes show),
// binary data is shown quoted when it is printable text and in
// hexadecimal otherwise, and text holding anything but printable ASCII
// is quoted.
func display(def *optdef.Def, v any, kea string) string {
	switch x := v.(type) {
	case string:
		if def.Type == optdef.TypeString || def.Type == optdef.TypeTuple || def.Type == optdef.TypeFQDN {
			return strconv.Quote(x)
		}
	case []byte:
		return binaryText(x)
	}
	if !printable(kea) {
		return strconv.Quote(kea)
	}
	return kea
}

// render shows a decoded value that Kea's text cannot reproduce exactly.
func render(v any) string {
	switch x := v.(type) {
	case nil:
		return ""
	case string:
		return strconv.Quote(x)
	case []byte:
		return binaryText(x)
	case []any:
		parts := make([]string, len(x))
		for i, e := range x {
			parts[i] = render(e)
		}
		return strings.Join(parts, ", ")
	case []string:
		parts := make([]string, len(x))
		for i, e := range x {
			parts[i] = strconv.Quote(e)
		}
		return strings.Join(parts, ", ")
	}
	s := fmt.Sprint(v)
	if strings.HasPrefix(s, "[") && strings.HasSuffix(s, "]") {
		s = strings.ReplaceAll(s[1:len(s)-1], " ", ", ")
	}
	if !printable(s) {
		return strconv.Quote(s)
	}
	return s
}

func binaryText(b []byte) string {
	if len(b) > 0 && printable(string(b)) {
		return strconv.Quote(string(b))
	}
	return hexText(b)
}

func hexText(b []byte) string {
	if len(b) == 0 {
		return ""
	}
	return "0x" + hex.EncodeToString(b)
}

func malformed(b []byte, err error) string {
	s := hexText(b)
	if s == "" {
		s = "(empty)"
	}
	return s + " (malformed: " + strings.Trim(strconv.Quote(errText(err)), `"`) + ")"
}

func errText(err error) string {
	if err == nil {
		return "no error"
	}
	return err.Error()
}

// printable reports whether s is all printable ASCII.
func printable(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < 0x20 || s[i] > 0x7e {
			return false
		}
	}
	return true
}

// AppendJSON appends m as one JSON object and a newline to dst. See the
// package documentation for its fields.
func (f *Formatter) AppendJSON(dst []byte, m *Message) []byte {
	j := jsonMessage{
		Time:      m.Time.Format("2006-01-02T15:04:05.000000000Z07:00"),
		Interface: m.Interface,
		Direction: "in",
		Src:       m.Src.String(),
		Dst:       m.Dst.String(),
		Length:    len(m.Payload),
	}
	if m.Outgoing {
		j.Direction = "out"
	}
	if len(m.SrcMAC) > 0 {
		j.SrcMAC = m.SrcMAC.String()
	}
	if f.opts.Hex || m.Packet == nil {
		j.Payload = hex.EncodeToString(m.Payload)
	}
	if p := m.Packet; p != nil {
		j.Type = typeName(p)
		j.Op = p.Op().String()
		j.XID = fmt.Sprintf("0x%08x", p.XID())
		j.HType, j.HLen = p.HType(), p.HLen()
		j.CHAddr = string(appendMAC(nil, p.CHAddr()))
		j.Hops, j.Secs, j.Flags = p.Hops(), p.Secs(), p.Flags()
		j.CIAddr, j.YIAddr, j.SIAddr, j.GIAddr = p.CIAddr().String(), p.YIAddr().String(), p.SIAddr().String(), p.GIAddr().String()
		j.SName, j.File = string(p.SName()), string(p.File())
		j.Options = []jsonOption{}
		for _, o := range f.options(p) {
			j.Options = append(j.Options, toJSON(o))
		}
	} else {
		j.Error = errText(m.Err)
	}
	b, err := json.Marshal(j)
	if err != nil { // no value above fails to marshal; say so if one does
		b = fmt.Appendf(nil, `{"error":%q}`, "snoop: "+err.Error())
	}
	return append(append(dst, b...), '\n')
}

type jsonMessage struct {
	Time      string       `json:"time"`
	Interface string       `json:"interface"`
	Direction string       `json:"direction"`
	SrcMAC    string       `json:"src_mac,omitempty"`
	Src       string       `json:"src"`
	Dst       string       `json:"dst"`
	Length    int          `json:"length"`
	Type      string       `json:"type,omitempty"`
	Op        string       `json:"op,omitempty"`
	XID       string       `json:"xid,omitempty"`
	HType     uint8        `json:"htype,omitempty"`
	HLen      uint8        `json:"hlen,omitempty"`
	CHAddr    string       `json:"chaddr,omitempty"`
	Hops      uint8        `json:"hops,omitempty"`
	Secs      uint16       `json:"secs,omitempty"`
	Flags     uint16       `json:"flags,omitempty"`
	CIAddr    string       `json:"ciaddr,omitempty"`
	YIAddr    string       `json:"yiaddr,omitempty"`
	SIAddr    string       `json:"siaddr,omitempty"`
	GIAddr    string       `json:"giaddr,omitempty"`
	SName     string       `json:"sname,omitempty"`
	File      string       `json:"file,omitempty"`
	Options   []jsonOption `json:"options,omitempty"`
	Error     string       `json:"error,omitempty"`
	Payload   string       `json:"payload,omitempty"`
}

type jsonOption struct {
	Code       *uint8       `json:"code,omitempty"`
	Enterprise uint32       `json:"enterprise,omitempty"`
	Name       string       `json:"name,omitempty"`
	Data       string       `json:"data"`
	Value      any          `json:"value,omitempty"`
	Text       string       `json:"text,omitempty"`
	Error      string       `json:"error,omitempty"`
	Suboptions []jsonOption `json:"suboptions,omitempty"`
}

func toJSON(o option) jsonOption {
	j := jsonOption{Name: o.name, Data: hex.EncodeToString(o.data), Value: jsonValue(o.value), Text: o.kea}
	if o.enterprise {
		j.Enterprise, j.Value = o.value.(uint32), nil
	} else {
		j.Code = &o.code
	}
	if o.err != nil {
		j.Error = o.err.Error()
	}
	for _, s := range o.subs {
		j.Suboptions = append(j.Suboptions, toJSON(s))
	}
	return j
}

// jsonValue turns Decode's values into JSON: binary data as hexadecimal
// rather than base64, a PSID as {"len", "value"}.
func jsonValue(v any) any {
	switch x := v.(type) {
	case []byte:
		return hex.EncodeToString(x)
	case optdef.PSID:
		return map[string]any{"len": x.Len, "value": x.Value}
	case []any:
		out := make([]any, len(x))
		for i, e := range x {
			out[i] = jsonValue(e)
		}
		return out
	}
	return v
}
