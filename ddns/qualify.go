package ddns

import (
	"bytes"
	"net/netip"
	"regexp"
	"unicode/utf8"
)

// qualify makes dst[start:], a partial name, fully qualified as Kea 3.x
// does (D2ClientMgr::qualifyName): a name ending in a dot is taken as
// qualified already; otherwise suffix is appended after a dot unless the
// name already ends with it as whole labels. Then the name gets a final
// dot if trailingDot, or loses the one it has if not. It reports false
// for an empty name, which Kea refuses.
func qualify(dst []byte, start int, suffix string, trailingDot bool) ([]byte, bool) {
	partial := dst[start:]
	if len(partial) == 0 {
		return dst, false
	}
	if suffix != "" && partial[len(partial)-1] != '.' {
		s := suffix
		if s[len(s)-1] == '.' {
			s = s[:len(s)-1]
		}
		present := bytes.HasSuffix(partial, []byte(s)) &&
			(len(partial) == len(s) || partial[len(partial)-len(s)-1] == '.')
		if !present {
			dst = append(dst, '.')
			dst = append(dst, suffix...)
		}
	}
	last := dst[len(dst)-1]
	switch {
	case trailingDot && last != '.':
		dst = append(dst, '.')
	case !trailingDot && last == '.':
		dst = dst[:len(dst)-1]
	}
	return dst, true
}

// generate appends the name Kea generates for address a
// (D2ClientMgr::generateFqdn): prefix, a dash, the address with dashes for
// dots, qualified as qualify does.
func generate(dst []byte, prefix string, a netip.Addr, suffix string, trailingDot bool) []byte {
	start := len(dst)
	dst = append(dst, prefix...)
	dst = append(dst, '-')
	b := a.As4()
	for i, x := range b {
		if i > 0 {
			dst = append(dst, '-')
		}
		dst = appendUint8(dst, x)
	}
	dst, _ = qualify(dst, start, suffix, trailingDot)
	return dst
}

func appendUint8(dst []byte, x byte) []byte {
	switch {
	case x >= 100:
		return append(dst, '0'+x/100, '0'+x/10%10, '0'+x%10)
	case x >= 10:
		return append(dst, '0'+x/10, '0'+x%10)
	}
	return append(dst, '0'+x)
}

// trimBlanks removes the spaces, tabs and newlines around s, the blanks
// Kea's trim removes.
func trimBlanks(s []byte) []byte {
	return bytes.Trim(s, " \t\n")
}

// trimNULs removes trailing zero bytes, as Kea does with string options.
func trimNULs(s []byte) []byte {
	for len(s) > 0 && s[len(s)-1] == 0 {
		s = s[:len(s)-1]
	}
	return s
}

func lowerASCII(s []byte) {
	for i, c := range s {
		s[i] = asciiLower(c)
	}
}

// scrub replaces what re matches in s with repl, one byte being one
// character as in Kea (which matches bytes in the C locale): a byte
// outside ASCII is matched on its own, never as part of a UTF-8 sequence.
func scrub(re *regexp.Regexp, repl string, s []byte) []byte {
	if isASCII(s) {
		if !re.Match(s) {
			return s
		}
		if isASCII([]byte(repl)) {
			return re.ReplaceAllLiteral(s, []byte(repl))
		}
	}
	out := re.ReplaceAllLiteral(latin1ToUTF8(s), latin1ToUTF8([]byte(repl)))
	return utf8ToLatin1(out)
}

func isASCII(s []byte) bool {
	for _, c := range s {
		if c >= utf8.RuneSelf {
			return false
		}
	}
	return true
}

// latin1ToUTF8 encodes each byte as the rune of the same value, so that a
// regular expression sees one character per byte.
func latin1ToUTF8(s []byte) []byte {
	out := make([]byte, 0, 2*len(s))
	for _, c := range s {
		out = utf8.AppendRune(out, rune(c))
	}
	return out
}

// utf8ToLatin1 undoes latin1ToUTF8. Runes above 0xff (from a replacement
// that is not in the set latin1ToUTF8 produces) cannot occur.
func utf8ToLatin1(s []byte) []byte {
	out := make([]byte, 0, len(s))
	for len(s) > 0 {
		r, n := utf8.DecodeRune(s)
		out = append(out, byte(r))
		s = s[n:]
	}
	return out
}
