package optdef

import (
	"strconv"
	"strings"
)

// splitCSV splits an option-data "data" string into its comma-separated
// values the way Kea does: a backslash escapes a comma or a backslash,
// a backslash before any other character is kept as is, and runs of
// commas (and so empty values) are dropped. Values are not trimmed.
func splitCSV(text string) []string {
	return tokens(text, ",", true)
}

// tokens is Kea's general tokenizer: text is cut at any byte of delim;
// consecutive delimiters produce no empty token. With escape, a
// backslash makes the next delimiter or backslash literal.
func tokens(text, delim string, escape bool) []string {
	var out []string
	var tok []byte
	inToken, escaped := false, false
	for i := 0; i < len(text); i++ {
		c := text[i]
		switch {
		case strings.IndexByte(delim, c) >= 0:
			switch {
			case !inToken:
				// Leading or repeated delimiter: swallowed.
			case escaped:
				escaped = false
				tok = append(tok, c)
			default:
				if len(tok) > 0 {
					out = append(out, string(tok))
				}
				inToken = false
				tok = tok[:0]
			}
		case escape && c == '\\':
			inToken = true
			if escaped {
				escaped = false
				tok = append(tok, c)
			} else {
				escaped = true
			}
		default:
			inToken = true
			if escaped {
				escaped = false
				tok = append(tok, '\\')
			}
			tok = append(tok, c)
		}
	}
	if escaped {
		tok = append(tok, '\\')
	}
	if len(tok) > 0 {
		out = append(out, string(tok))
	}
	return out
}

// trim removes the blanks Kea trims from values: space, tab and newline.
func trim(s string) string {
	return strings.Trim(s, " \t\n")
}

// escapeCSV makes s survive splitCSV as a single value.
func escapeCSV(s string) string {
	if strings.IndexByte(s, ',') < 0 && strings.IndexByte(s, '\\') < 0 {
		return s
	}
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		if s[i] == ',' || s[i] == '\\' {
			b.WriteByte('\\')
		}
		b.WriteByte(s[i])
	}
	return b.String()
}

// parseInt reads an integer the way Kea's option parser does: first as
// a decimal number with an optional sign, and if that fails as a
// hexadecimal one with an optional sign and an optional 0x prefix. So
// "10" is ten but "1e" is thirty.
func parseInt(s string) (int64, bool) {
	if v, ok := parseDecimal(s); ok {
		return v, true
	}
	return parseHexInt(s)
}

func parseDecimal(s string) (int64, bool) {
	if s == "" {
		return 0, false
	}
	digits := s
	if s[0] == '+' || s[0] == '-' {
		digits = s[1:]
	}
	if digits == "" {
		return 0, false
	}
	for i := 0; i < len(digits); i++ {
		if digits[i] < '0' || digits[i] > '9' {
			return 0, false
		}
	}
	// ParseInt accepts the same sign forms; it also rejects overflow.
	v, err := strconv.ParseInt(s, 10, 64)
	return v, err == nil
}

func parseHexInt(s string) (int64, bool) {
	neg := false
	if s != "" && (s[0] == '+' || s[0] == '-') {
		neg = s[0] == '-'
		s = s[1:]
	}
	if len(s) > 2 && s[0] == '0' && (s[1] == 'x' || s[1] == 'X') {
		s = s[2:]
	}
	if s == "" {
		return 0, false
	}
	var mag uint64
	for i := 0; i < len(s); i++ {
		d, ok := hexDigit(s[i])
		if !ok || mag > (1<<63)>>4 {
			return 0, false
		}
		mag = mag<<4 | uint64(d)
	}
	if neg {
		if mag > 1<<63 {
			return 0, false
		}
		return -int64(mag), true
	}
	if mag > 1<<63-1 {
		return 0, false
	}
	return int64(mag), true
}

func hexDigit(c byte) (byte, bool) {
	switch {
	case c >= '0' && c <= '9':
		return c - '0', true
	case c >= 'a' && c <= 'f':
		return c - 'a' + 10, true
	case c >= 'A' && c <= 'F':
		return c - 'A' + 10, true
	}
	return 0, false
}

// parseBool accepts "true" and "false" in any case, and the integers 0
// and 1 written in decimal (with an optional sign).
func parseBool(s string) (bool, bool) {
	switch {
	case strings.EqualFold(s, "true"):
		return true, true
	case strings.EqualFold(s, "false"):
		return false, true
	}
	v, ok := parseDecimal(s)
	if !ok || v < -1<<31 || v > 1<<31-1 {
		return false, false
	}
	switch v {
	case 0:
		return false, true
	case 1:
		return true, true
	}
	return false, false
}

// appendHexLoose decodes the text of a binary field: pairs of
// hexadecimal digits in either case; whitespace anywhere is ignored.
func appendHexLoose(dst []byte, s string) ([]byte, error) {
	return appendDigits(dst, s, 0, false)
}

// appendRawData decodes option-data "data" given with csv-format false:
// either text in single quotes (its bytes, trimmed) or Kea's formatted
// hexadecimal (HexKea).
func appendRawData(dst []byte, s string) ([]byte, error) {
	if t := trim(s); len(t) > 1 && t[0] == '\'' && t[len(t)-1] == '\'' {
		if inner := trim(t[1 : len(t)-1]); inner != "" {
			return append(dst, inner...), nil
		}
	}
	return AppendHex(dst, s, HexKea)
}

const hexUpper = "0123456789ABCDEF"

// FormatHex returns payload as upper-case hexadecimal digits without
// separators, the form Kea uses for option data that has no textual
// representation (csv-format false). An empty payload gives "".
func FormatHex(payload []byte) string {
	b := make([]byte, 2*len(payload))
	for i, c := range payload {
		b[2*i] = hexUpper[c>>4]
		b[2*i+1] = hexUpper[c&0xf]
	}
	return string(b)
}
