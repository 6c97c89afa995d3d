package ddns

import (
	"bytes"
	"errors"
	"net/netip"
	"regexp"

	"github.com/leased/leased/config"
	"github.com/leased/leased/dhcpv4"
)

// Mode is ddns-replace-client-name: when the server puts a generated name
// in place of the one the client sends.
type Mode uint8

// The values of ddns-replace-client-name.
const (
	Never          Mode = iota // keep the client's name
	Always                     // generate a name whether the client sends one or not
	WhenPresent                // generate a name when the client sends one
	WhenNotPresent             // generate a name when the client sends none
)

// ParseMode reads a ddns-replace-client-name value as the configuration
// holds it.
func ParseMode(s string) (Mode, bool) {
	switch s {
	case "never":
		return Never, true
	case "always":
		return Always, true
	case "when-present":
		return WhenPresent, true
	case "when-not-present":
		return WhenNotPresent, true
	}
	return Never, false
}

// replacesSent reports whether a name the client sends is replaced.
func (m Mode) replacesSent() bool { return m == Always || m == WhenPresent }

// suppliesMissing reports whether a name is generated for a client that
// sends none.
func (m Mode) suppliesMissing() bool { return m == Always || m == WhenNotPresent }

// Params are the parameters of one scope that shape a client's name.
type Params struct {
	Replace          Mode
	GeneratedPrefix  string
	QualifyingSuffix string
	// CharSet matches the characters of a client's name to replace with
	// CharReplacement (hostname-char-set); nil: none are.
	CharSet         *regexp.Regexp
	CharReplacement string
	// Updates says that the server sends DNS updates for this scope:
	// dhcp-ddns enable-updates and ddns-send-updates are both true.
	// Without it the answer says the server updates nothing.
	Updates bool
	// OverrideNoUpdate and OverrideClientUpdate are
	// ddns-override-no-update and ddns-override-client-update: the
	// server updates DNS although the client asked it not to (N set), or
	// asked to do the forward update itself (S clear).
	OverrideNoUpdate, OverrideClientUpdate bool
}

// Quiet reports whether a client that sends neither option 12 nor option
// 81 and has no reserved hostname gets no name in this scope: Decide
// returns the zero Answer for it. Servers use it to skip Decide.
func (p *Params) Quiet() bool { return !p.Replace.suppliesMissing() }

// ParamsOf returns the Params of a scope whose DDNS parameters are d. The
// character set and its replacement are taken from charSet instead: Kea
// reads them from the subnet even where a pool sets its own. A nil d
// gives Kea's defaults without a character set. The Params say the
// server does no DNS updates, as when dhcp-ddns enable-updates is false;
// see UpdatingParamsOf.
func ParamsOf(d, charSet *config.DDNS) *Params {
	p := &Params{GeneratedPrefix: "myhost"}
	if d != nil {
		p.Replace, _ = ParseMode(d.ReplaceClientName)
		p.GeneratedPrefix = d.GeneratedPrefix
		p.QualifyingSuffix = d.QualifyingSuffix
		p.OverrideNoUpdate = d.OverrideNoUpdate
		p.OverrideClientUpdate = d.OverrideClientUpdate
	}
	if charSet != nil && charSet.HostnameCharSet != nil {
		p.CharSet = posix(charSet.HostnameCharSet)
		p.CharReplacement = charSet.HostnameCharReplacement
	}
	return p
}

// UpdatingParamsOf is ParamsOf for a server whose dhcp-ddns
// enable-updates is true: Updates is the scope's ddns-send-updates.
func UpdatingParamsOf(d, charSet *config.DDNS) *Params {
	p := ParamsOf(d, charSet)
	p.Updates = d != nil && d.SendUpdates
	return p
}

// posix returns re with POSIX leftmost-longest matching, as Kea's
// extended regular expressions match; re itself may be shared and is left
// alone.
func posix(re *regexp.Regexp) *regexp.Regexp {
	c, err := regexp.CompilePOSIX(re.String())
	if err != nil {
		// Not POSIX syntax (the configuration accepts Go's): keep the
		// syntax, match the longest.
		c = regexp.MustCompile(re.String())
		c.Longest()
	}
	return c
}

// Request is what decides a client's name.
type Request struct {
	// HostName is the value of option 12 as received; nil when absent.
	// An empty value, or one of zero bytes only, counts as absent, as in
	// Kea.
	HostName []byte
	// FQDN is the value of option 81 as received; HasFQDN says it was
	// there (an empty value is there, and malformed).
	FQDN    []byte
	HasFQDN bool
	// Reserved is the hostname of the client's reservation, "" for none.
	Reserved string
	// Previous is a hint: the hostname of the client's lease, which the
	// answer reuses when it is the same (saving a copy).
	Previous string
}

// Answer is the server's decision on a client's name.
type Answer struct {
	// Option is the option the reply carries, dhcpv4.OptionHostName or
	// dhcpv4.OptionClientFQDN, or 0 for neither; Value is its value.
	Option dhcpv4.OptionCode
	Value  []byte
	// Hostname is the name recorded with the lease.
	Hostname string
	// FQDNFwd and FQDNRev say that the server updates the forward and
	// reverse DNS records for the lease. Without DNS updates they are
	// false.
	FQDNFwd, FQDNRev bool
	// Generated says that the name was generated from the address. Kea
	// then never answers from its lease cache.
	Generated bool
}

// Decide returns what Kea (kea-dhcp4 3.x with dhcp-ddns enable-updates
// false) answers a DHCPDISCOVER or DHCPREQUEST for address a with, and what
// it records as the lease's hostname, for a client in a scope with
// parameters p: option 81 when the client sent it (option 12 is then
// ignored), else option 12. A reserved hostname is used over anything
// the client sent. The reply option's value is appended to dst.
//
// Decide allocates nothing for a client that sends neither option and
// needs no generated name.
func Decide(dst []byte, r Request, p *Params, a netip.Addr) Answer {
	if r.HasFQDN {
		return decideFQDN(dst, &r, p, a)
	}
	return decideHostName(dst, &r, p, a)
}

// decideHostName is Kea's processHostnameOption followed by the name
// generation of postAllocateNameUpdate.
func decideHostName(dst []byte, r *Request, p *Params, a netip.Addr) Answer {
	start := len(dst)
	if r.Reserved != "" {
		// The reservation's name, qualified and lowercased, whatever the
		// client sent.
		dst = append(dst, r.Reserved...)
		dst, _ = qualify(dst, start, p.QualifyingSuffix, false)
		lowerASCII(dst[start:])
		return hostNameAnswer(dst, start, r, p, a)
	}
	sent := trimNULs(r.HostName)
	if len(sent) == 0 {
		if p.Replace.suppliesMissing() {
			return generatedHostName(dst, start, p, a)
		}
		return Answer{}
	}
	h := trimBlanks(sent)
	labels, err := countLabels(h)
	if err != nil || labels == 0 {
		return Answer{} // malformed or blank: ignored
	}
	if p.Replace.replacesSent() || labels < 2 {
		return generatedHostName(dst, start, p, a)
	}
	if p.CharSet != nil {
		h = scrub(p.CharSet, p.CharReplacement, h)
		if len(h) == 0 {
			return Answer{} // nothing left
		}
		if labels, err = countLabels(h); err != nil {
			return Answer{}
		}
	}
	dst = append(dst, h...)
	lowerASCII(dst[start:])
	if labels == 2 {
		// One label: qualify it, without a final dot (some clients
		// mishandle one).
		dst, _ = qualify(dst, start, p.QualifyingSuffix, false)
	}
	return hostNameAnswer(dst, start, r, p, a)
}

// hostNameAnswer answers with option 12 holding dst[start:]: nothing if
// that is empty once trailing zero bytes are cut, a generated name if it
// is the root ".".
func hostNameAnswer(dst []byte, start int, r *Request, p *Params, a netip.Addr) Answer {
	v := trimNULs(dst[start:])
	switch {
	case len(v) == 0:
		return Answer{}
	case len(v) == 1 && v[0] == '.':
		return generatedHostName(dst[:start], start, p, a)
	}
	// With option 12 the server does both updates when it does any.
	return Answer{Option: dhcpv4.OptionHostName, Value: v, Hostname: intern(v, r.Previous), FQDNFwd: p.Updates, FQDNRev: p.Updates}
}

func generatedHostName(dst []byte, start int, p *Params, a netip.Addr) Answer {
	dst = generate(dst[:start], p.GeneratedPrefix, a, p.QualifyingSuffix, false)
	v := dst[start:]
	return Answer{Option: dhcpv4.OptionHostName, Value: v, Hostname: string(v), Generated: true, FQDNFwd: p.Updates, FQDNRev: p.Updates}
}

// intern returns b as a string, prev itself when they are equal.
func intern(b []byte, prev string) string {
	if string(b) == prev {
		return prev
	}
	return string(b)
}

// fqdn is option 81 as Kea reads it.
type fqdn struct {
	flags, rcode1, rcode2 uint8
	name                  name
	hasName               bool
	partial               bool
}

// ValidFQDN reports whether v is an option 81 that Kea can read. Kea drops
// a message whose option 81 is shorter than its three fixed bytes, sets
// both the N and S flags, or holds a name it cannot parse.
func ValidFQDN(v []byte) bool {
	var f fqdn
	return f.parse(v) == nil
}

func (f *fqdn) parse(v []byte) error {
	if len(v) < 3 {
		return errFQDNShort
	}
	f.flags, f.rcode1, f.rcode2 = v[0], v[1], v[2]
	if f.flags&dhcpv4.FQDNNoUpdate != 0 && f.flags&dhcpv4.FQDNServerUpdates != 0 {
		return errFQDNFlags
	}
	b := v[3:]
	f.hasName, f.partial = len(b) > 0, true
	if !f.hasName {
		return nil
	}
	if f.flags&dhcpv4.FQDNEncoded != 0 {
		// Wire form; without a root label at the end the name is
		// partial.
		if b[len(b)-1] == 0 {
			f.partial = false
			return f.name.parseWire(b, true)
		}
		if len(b) > maxWire {
			// A name ends within its first 255 bytes or is too long:
			// the root label Kea appends cannot matter.
			return f.name.parseWire(b, true)
		}
		var buf [maxWire + 1]byte
		n := copy(buf[:], b)
		return f.name.parseWire(buf[:n+1], true)
	}
	f.partial = b[len(b)-1] != '.'
	return f.name.parseText(b, true)
}

var (
	errFQDNShort = errors.New("ddns: option 81 shorter than 3 bytes")
	errFQDNFlags = errors.New("ddns: option 81 sets both the N and S flags")
)

// decideFQDN is Kea's processClientFqdnOption followed by the name
// generation of postAllocateNameUpdate.
func decideFQDN(dst []byte, r *Request, p *Params, a netip.Addr) Answer {
	var f fqdn
	if f.parse(r.FQDN) != nil {
		return Answer{} // Kea drops the message; see ValidFQDN
	}
	flags, fwd, rev := serverFlags(f.flags, p)
	// Names are worked out in the spare room of dst, then the answer is
	// written over them.
	start := len(dst)
	work := dst[start:]
	var resp name
	switch {
	case r.Reserved != "":
		work = append(work, r.Reserved...)
		work, _ = qualify(work, 0, p.QualifyingSuffix, true)
		if !setName(&resp, work) {
			return Answer{}
		}
	case p.Replace.replacesSent() || !f.hasName:
		ans := generatedFQDN(dst, flags, &f, p, a)
		ans.FQDNFwd, ans.FQDNRev = fwd, rev
		return ans
	default:
		client := f.name.appendText(work, f.partial)
		if p.CharSet != nil {
			var ok bool
			if client, ok = scrubLabels(p, &f.name, work); !ok {
				return Answer{}
			}
		}
		if f.partial {
			if n := len(client); n > 0 && client[n-1] == '.' {
				client = client[:n-1]
			}
			var ok bool
			if client, ok = qualify(client, 0, p.QualifyingSuffix, true); !ok {
				return Answer{}
			}
		}
		if !setName(&resp, client) {
			return Answer{}
		}
	}
	ans := Answer{Option: dhcpv4.OptionClientFQDN, FQDNFwd: fwd, FQDNRev: rev}
	ans.Hostname = intern(resp.appendText(work[:0], false), r.Previous)
	dst = append(dst, flags, f.rcode1, f.rcode2)
	dst = appendFQDNName(dst, flags, &resp)
	ans.Value = dst[start:]
	return ans
}

// serverFlags returns the flags of the server's option 81 for a client
// that sent flags client, and the updates the server does (forward: the
// S flag it answers; reverse: N clear), as Kea's analyzeFqdn and
// adjustFqdnFlags decide: without updates, none (N set, S clear); for a
// client that asks for no updates (N), the server's S is
// ddns-override-no-update; for one that leaves the forward update to the
// server (S), S; for one that does it itself, ddns-override-client-update.
// O says the server's S differs from the client's; E is the client's.
func serverFlags(client uint8, p *Params) (flags uint8, fwd, rev bool) {
	clientS := client&dhcpv4.FQDNServerUpdates != 0
	var s, n bool
	switch {
	case !p.Updates:
		s, n = false, true
	case client&dhcpv4.FQDNNoUpdate != 0:
		s = p.OverrideNoUpdate
		n = !s
	case clientS:
		s = true
	default:
		s = p.OverrideClientUpdate
	}
	flags = client & dhcpv4.FQDNEncoded
	if s {
		flags |= dhcpv4.FQDNServerUpdates
	}
	if n {
		flags |= dhcpv4.FQDNNoUpdate
	}
	if s != clientS {
		flags |= dhcpv4.FQDNOverride
	}
	return flags, s, !n
}

// generatedFQDN answers with a generated name. When the name cannot be
// encoded (a generated-prefix that is no DNS label), Kea records it with
// the lease all the same and answers without a name.
func generatedFQDN(dst []byte, flags uint8, f *fqdn, p *Params, a netip.Addr) Answer {
	start := len(dst)
	gen := generate(dst[start:], p.GeneratedPrefix, a, p.QualifyingSuffix, true)
	ans := Answer{Option: dhcpv4.OptionClientFQDN, Hostname: string(gen), Generated: true}
	var resp name
	ok := setName(&resp, gen)
	dst = append(dst, flags, f.rcode1, f.rcode2)
	if ok {
		dst = appendFQDNName(dst, flags, &resp)
	}
	ans.Value = dst[start:]
	return ans
}

// appendFQDNName appends the name of an option 81: in wire form with the E
// flag, else as text, fully qualified.
func appendFQDNName(dst []byte, flags uint8, nm *name) []byte {
	if flags&dhcpv4.FQDNEncoded != 0 {
		return append(dst, nm.bytes()...)
	}
	return nm.appendText(dst, false)
}

// setName sets nm to s as Kea sets the name of its answer (always fully
// qualified): blanks trimmed, parsed as text, lowercased. It reports false
// where Kea fails.
func setName(nm *name, s []byte) bool {
	s = trimBlanks(s)
	return len(s) > 0 && nm.parseText(s, true) == nil
}

// scrubLabels applies the character set to each label of the client's
// name as Kea does: it prints the name unescaped, splits that text at its
// dots (a label's own dots too), scrubs each piece and joins them again.
// It reports false when Kea gives up: nothing left but dots, or an empty
// label.
func scrubLabels(p *Params, nm *name, scratch []byte) ([]byte, bool) {
	out := scratch[:0]
	pieces := 0
	// A copy: the regular expression keeps what it is given from the
	// compiler's view, which would move every name to the heap.
	wire := bytes.Clone(nm.bytes())
	for i := 0; i < len(wire); {
		c := int(wire[i])
		i++
		if c == 0 {
			// The unescaped text ends with the root's dot, so an empty
			// piece comes last; the root alone is "." (two of them).
			out = scrubPiece(p, out, nil, &pieces)
			if pieces == 1 {
				out = scrubPiece(p, out, nil, &pieces)
			}
			break
		}
		label := wire[i : i+c]
		for {
			before, after, found := bytes.Cut(label, []byte{'.'})
			out = scrubPiece(p, out, before, &pieces)
			if !found {
				break
			}
			label = after
		}
		i += c
	}
	if len(out) == 0 || (len(out) == 1 && out[0] == '.') || bytes.Contains(out, []byte("..")) {
		return out, false
	}
	return out, true
}

// scrubPiece appends piece, scrubbed, to out after a dot unless it is the
// first.
func scrubPiece(p *Params, out, piece []byte, pieces *int) []byte {
	if *pieces > 0 {
		out = append(out, '.')
	}
	*pieces++
	return append(out, scrub(p.CharSet, p.CharReplacement, piece)...)
}
