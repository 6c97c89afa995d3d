package ddns

import "errors"

// Limits of DNS names (RFC 1035 §2.3.4), as Kea's DNS library applies
// them: a label holds 1 to 63 bytes, a whole name at most 255 in wire form
// (length bytes and the root's zero included).
const (
	maxWire  = 255
	maxLabel = 63
)

// Why a name does not parse. They are fixed values: a client sending bad
// names costs no allocation.
var (
	errEmpty         = errors.New("ddns: empty name")
	errEmptyLabel    = errors.New("ddns: empty label")
	errLabelTooLong  = errors.New("ddns: label longer than 63 bytes")
	errNameTooLong   = errors.New("ddns: name longer than 255 bytes in wire form")
	errBadEscape     = errors.New("ddns: bad escape sequence")
	errIncomplete    = errors.New("ddns: name ends inside an escape sequence")
	errBadLabelType  = errors.New("ddns: bit-string label")
	errWireLabelType = errors.New("ddns: compression pointer or unknown label type in wire form")
	errWireTruncated = errors.New("ddns: wire-form name ends before its root label")
)

// name is a DNS name in wire form: labels, each a length byte and its
// bytes, ending with the root label (a zero byte). A name parsed here is
// always absolute; whether the client meant it as partial is kept apart.
type name struct {
	wire   [maxWire + 1]byte
	n      int // bytes of wire in use
	labels int // labels, the root included
}

// asciiLower maps A-Z to a-z and leaves every other byte alone, as Kea's
// DNS library and its C-locale lowercasing do.
func asciiLower(c byte) byte {
	if 'A' <= c && c <= 'Z' {
		return c + 'a' - 'A'
	}
	return c
}

// parseText reads a name in Kea's text form: labels separated by dots, a
// trailing dot optional, "\X" for a literal X and "\DDD" for a byte in
// decimal; "." and "@" alone are the root. With downcase, A-Z become a-z.
func (nm *name) parseText(s []byte, downcase bool) error {
	nm.n, nm.labels = 0, 0
	if len(s) == 0 {
		return errEmpty
	}
	if len(s) == 1 && (s[0] == '.' || s[0] == '@') {
		nm.push(0)
		nm.labels = 1
		return nil
	}
	if s[0] == '.' {
		return errEmptyLabel
	}
	const (
		start         = iota // before a label's first byte
		ordinary             // inside a label
		initialEscape        // after a backslash that begins a label
		escape               // after a backslash inside a label
		escDecimal           // inside \DDD
	)
	state := start
	var count, digits, value, lenAt int
	for i := 0; i < len(s); {
		if nm.n >= maxWire {
			return errNameTooLong
		}
		c := s[i]
		i++
		switch state {
		case start:
			lenAt = nm.n
			nm.push(0) // the label's length, set when it ends
			count = 0
			if nm.n >= maxWire {
				return errNameTooLong
			}
			if c == '\\' {
				state = initialEscape
				continue
			}
			state = ordinary
			fallthrough
		case ordinary:
			switch c {
			case '.':
				if count == 0 {
					return errEmptyLabel
				}
				nm.wire[lenAt] = byte(count)
				nm.labels++
				state = start
				if i == len(s) {
					nm.push(0)
					nm.labels++
					return nil
				}
			case '\\':
				state = escape
			default:
				if count++; count > maxLabel {
					return errLabelTooLong
				}
				nm.push(lower(c, downcase))
			}
		case initialEscape, escape:
			if state == initialEscape && c == '[' {
				return errBadLabelType
			}
			if !isDigit(c) {
				if count++; count > maxLabel {
					return errLabelTooLong
				}
				nm.push(lower(c, downcase))
				state = ordinary
				continue
			}
			digits, value = 1, int(c-'0')
			state = escDecimal
		case escDecimal:
			if !isDigit(c) {
				return errBadEscape
			}
			value = value*10 + int(c-'0')
			if digits++; digits == 3 {
				if value > 255 {
					return errBadEscape
				}
				if count++; count > maxLabel {
					return errLabelTooLong
				}
				nm.push(lower(byte(value), downcase))
				state = ordinary
			}
		}
	}
	// No trailing dot: close the last label and add the root.
	if nm.n >= maxWire {
		return errNameTooLong
	}
	if state != ordinary {
		return errIncomplete
	}
	nm.wire[lenAt] = byte(count)
	nm.labels++
	nm.push(0)
	nm.labels++
	return nil
}

func (nm *name) push(c byte) {
	nm.wire[nm.n] = c
	nm.n++
}

func lower(c byte, downcase bool) byte {
	if downcase {
		return asciiLower(c)
	}
	return c
}

func isDigit(c byte) bool { return '0' <= c && c <= '9' }

// parseWire reads a name in DNS wire form from the start of b, as Kea
// reads the name of an option 81 whose E flag is set: bytes after the
// root label are ignored, and compression pointers are refused (in an
// option there is nothing before the name for them to point to). With
// downcase, A-Z become a-z.
func (nm *name) parseWire(b []byte, downcase bool) error {
	nm.n, nm.labels = 0, 0
	for i := 0; i < len(b); {
		c := int(b[i])
		i++
		if c > maxLabel {
			return errWireLabelType
		}
		if nm.n+c+1 > maxWire {
			return errNameTooLong
		}
		if i+c > len(b) {
			return errWireTruncated
		}
		nm.push(byte(c))
		nm.labels++
		if c == 0 {
			return nil
		}
		for _, x := range b[i : i+c] {
			nm.push(lower(x, downcase))
		}
		i += c
	}
	return errWireTruncated
}

// appendText appends the name in Kea's text form: the bytes
// " ( ) . ; \ @ $ escaped with a backslash, bytes outside the printable
// ASCII range as \DDD, labels joined by dots, and a final dot unless
// omitFinalDot (the root is "." either way).
func (nm *name) appendText(dst []byte, omitFinalDot bool) []byte {
	begin := len(dst)
	for i := 0; i < nm.n; {
		c := int(nm.wire[i])
		i++
		if c == 0 {
			if !omitFinalDot || len(dst) == begin {
				dst = append(dst, '.')
			}
			break
		}
		if len(dst) > begin {
			dst = append(dst, '.')
		}
		for _, x := range nm.wire[i : i+c] {
			switch {
			case x == '"' || x == '(' || x == ')' || x == '.' || x == ';' || x == '\\' || x == '@' || x == '$':
				dst = append(dst, '\\', x)
			case x > 0x20 && x < 0x7f:
				dst = append(dst, x)
			default:
				dst = append(dst, '\\', '0'+x/100, '0'+x/10%10, '0'+x%10)
			}
		}
		i += c
	}
	return dst
}

// bytes returns the name's wire form.
func (nm *name) bytes() []byte { return nm.wire[:nm.n] }

// countLabels returns the number of labels of s read as a text name, the
// root included ("host" has two), or 0 for an empty s, as Kea counts the
// labels of a host name.
func countLabels(s []byte) (int, error) {
	if len(s) == 0 {
		return 0, nil
	}
	var nm name
	if err := nm.parseText(s, false); err != nil {
		return 0, err
	}
	return nm.labels, nil
}
