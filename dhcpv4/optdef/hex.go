package optdef

import (
	"errors"
	"strings"
)

// HexSyntax selects the spellings of bytes in hexadecimal that
// [ParseHex] accepts. Its zero value reads only runs of digits; [HexKea]
// is Kea's own reading (option data, relay information). The other flags
// each widen or narrow one rule, for callers that have always read a
// little differently from Kea: the configuration's host identifiers, the
// lease commands' identifiers, the lease CSV file.
//
// The grammar, before the flags:
//
//	text      = run | separated
//	run       = ["0x"] *(hexdigit | space)   pairs of digits, one byte each
//	separated = octet 1*(sep octet)          the same sep throughout
//	octet     = 1*2hexdigit                  "a" is 0x0a
//
// Digits are of either case. A text is separated when it holds one of the
// separators its HexSyntax allows (tried in the order ':', '-', ' '),
// otherwise it is a run. In a run, "0x" is dropped when digits follow it;
// a run whose text is of odd length is read with a leading zero ("123"
// is 01 23), and white space between digits is skipped, as Kea's decoder
// does. The empty text is no bytes.
type HexSyntax uint

const (
	// HexColon lets ':' separate octets.
	HexColon HexSyntax = 1 << iota
	// HexDash lets '-' separate octets.
	HexDash
	// HexSpace lets ' ' separate octets.
	HexSpace
	// HexMixed lets one text mix all the allowed separators, and skips
	// empty octets (separators doubled, leading or trailing), so that
	// "01::02" is 01 02 and ":" is no bytes.
	HexMixed
	// HexTrim ignores white space around the text.
	HexTrim
	// HexUpperPrefix accepts "0X" wherever "0x" is accepted.
	HexUpperPrefix
	// HexPrefixSeparated accepts the prefix before separated octets too:
	// "0x01:02" is 01 02.
	HexPrefixSeparated
	// HexBarePrefix reads "0x" alone as no bytes instead of refusing it.
	HexBarePrefix
	// HexEvenRun refuses a run of odd length instead of reading it with a
	// leading zero.
	HexEvenRun
	// HexStrictRun refuses white space inside a run instead of skipping it.
	HexStrictRun
	// HexNoEmpty refuses the empty text instead of reading it as no bytes.
	HexNoEmpty

	// HexKea is Kea's formatted hexadecimal (its
	// decodeFormattedHexString): octets separated by colons, or else by
	// single spaces, or one run of digits with an optional "0x".
	HexKea = HexColon | HexSpace
)

var (
	errOddHex     = errors.New("odd number of hexadecimal digits")
	errBadHex     = errors.New("not a hexadecimal digit")
	errPadding    = errors.New("padding character '=' is not allowed")
	errEmptyHex   = errors.New("no hexadecimal digits")
	errEmptyOctet = errors.New("two consecutive separators")
	errLongOctet  = errors.New("more than two digits between separators")
	errHexSpace   = errors.New("white space between hexadecimal digits")
)

// ParseHex reads s, bytes written in hexadecimal as syn describes, and
// returns them (nil for no bytes). The error says what is wrong, not
// where: callers name the text.
func ParseHex(s string, syn HexSyntax) ([]byte, error) {
	return AppendHex(nil, s, syn)
}

// AppendHex is ParseHex appending to dst. On an error dst is returned
// as it was.
func AppendHex(dst []byte, s string, syn HexSyntax) ([]byte, error) {
	if syn&HexTrim != 0 {
		s = strings.TrimSpace(s)
	}
	if s == "" {
		if syn&HexNoEmpty != 0 {
			return dst, errEmptyHex
		}
		return dst, nil
	}
	prefixed := false
	if syn&HexPrefixSeparated != 0 && len(s) > 2 && hasHexPrefix(s, syn) {
		s, prefixed = s[2:], true
	}
	if syn&HexMixed != 0 {
		if strings.ContainsFunc(s, func(r rune) bool { return isHexSep(r, syn) }) {
			return appendOctets(dst, strings.FieldsFunc(s, func(r rune) bool { return isHexSep(r, syn) }))
		}
	} else {
		for _, sep := range []byte{':', '-', ' '} {
			if isHexSep(rune(sep), syn) && strings.IndexByte(s, sep) >= 0 {
				return appendOctets(dst, strings.Split(s, string(sep)))
			}
		}
	}
	if !prefixed && hasHexPrefix(s, syn) {
		if len(s) > 2 {
			s = s[2:]
		} else if syn&HexBarePrefix != 0 {
			return dst, nil
		}
	}
	return appendRun(dst, s, syn)
}

func hasHexPrefix(s string, syn HexSyntax) bool {
	return len(s) >= 2 && s[0] == '0' && (s[1] == 'x' || s[1] == 'X' && syn&HexUpperPrefix != 0)
}

func isHexSep(r rune, syn HexSyntax) bool {
	switch r {
	case ':':
		return syn&HexColon != 0
	case '-':
		return syn&HexDash != 0
	case ' ':
		return syn&HexSpace != 0
	}
	return false
}

// appendOctets decodes octets of one or two digits each.
func appendOctets(dst []byte, octets []string) ([]byte, error) {
	start := len(dst)
	for _, p := range octets {
		switch {
		case p == "":
			return dst[:start], errEmptyOctet
		case len(p) > 2:
			return dst[:start], errLongOctet
		}
		var v byte
		for i := 0; i < len(p); i++ {
			d, ok := hexDigit(p[i])
			if !ok {
				return dst[:start], errBadHex
			}
			v = v<<4 | d
		}
		dst = append(dst, v)
	}
	return dst, nil
}

// appendRun decodes a run of digits, its prefix gone. Whether it is odd
// goes by its length, white space included, as in Kea, which pads the
// text before its decoder skips the white space.
func appendRun(dst []byte, s string, syn HexSyntax) ([]byte, error) {
	if len(s)%2 != 0 {
		if syn&HexEvenRun != 0 {
			return dst, errOddHex
		}
		// A leading zero: the first digit is a byte of its own.
		return appendDigits(dst, s, syn, true)
	}
	return appendDigits(dst, s, syn, false)
}

// appendDigits decodes pairs of hexadecimal digits; with odd, a zero
// stands before the first. White space is skipped unless syn has
// HexStrictRun.
func appendDigits(dst []byte, s string, syn HexSyntax, odd bool) ([]byte, error) {
	start := len(dst)
	var hi byte
	n := 0
	if odd {
		n = 1
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c == ' ' || (c >= '\t' && c <= '\r') {
			if syn&HexStrictRun != 0 {
				return dst[:start], errHexSpace
			}
			continue
		}
		if c == '=' {
			return dst[:start], errPadding
		}
		d, ok := hexDigit(c)
		if !ok {
			return dst[:start], errBadHex
		}
		if n%2 == 0 {
			hi = d
		} else {
			dst = append(dst, hi<<4|d)
		}
		n++
	}
	if n%2 != 0 {
		return dst[:start], errOddHex
	}
	return dst, nil
}
