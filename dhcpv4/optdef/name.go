package optdef

import (
	"errors"
	"fmt"
	"strings"
)

const (
	maxLabelLen = 63
	maxNameWire = 255
)

// appendName appends the DNS wire form of the textual domain name s:
// labels separated by dots, an optional final dot, "\X" for a literal
// character and "\DDD" for a decimal byte value. "." and "@" are the
// root name. The result always ends with the root label. With downcase,
// ASCII letters are lowered.
func appendName(dst []byte, s string, downcase bool) ([]byte, error) {
	start := len(dst)
	fail := func(format string, args ...any) ([]byte, error) {
		return dst[:start], fmt.Errorf(format, args...)
	}
	if s == "" {
		return fail("empty domain name")
	}
	if s == "." || s == "@" {
		return append(dst, 0), nil
	}
	lenAt := len(dst)
	dst = append(dst, 0)
	count := 0
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch c {
		case '.':
			if count == 0 {
				return fail("empty label in domain name %q", s)
			}
			dst[lenAt] = byte(count)
			if i == len(s)-1 {
				dst = append(dst, 0)
				return checkNameLen(dst, start, s)
			}
			lenAt = len(dst)
			dst = append(dst, 0)
			count = 0
			continue
		case '\\':
			i++
			if i == len(s) {
				return fail("incomplete escape at end of domain name %q", s)
			}
			c = s[i]
			if count == 0 && c == '[' {
				return fail("invalid label type in domain name %q", s)
			}
			if isDigit(c) {
				if i+2 >= len(s) || !isDigit(s[i+1]) || !isDigit(s[i+2]) {
					return fail("escape must have three decimal digits in domain name %q", s)
				}
				v := int(c-'0')*100 + int(s[i+1]-'0')*10 + int(s[i+2]-'0')
				if v > 255 {
					return fail("escaped value %d is too large in domain name %q", v, s)
				}
				c = byte(v)
				i += 2
			}
		}
		count++
		if count > maxLabelLen {
			return fail("label longer than %d bytes in domain name %q", maxLabelLen, s)
		}
		if downcase {
			c = lower(c)
		}
		dst = append(dst, c)
		if len(dst)-start >= maxNameWire {
			return fail("domain name %q is longer than %d bytes in wire form", s, maxNameWire)
		}
	}
	dst[lenAt] = byte(count)
	dst = append(dst, 0)
	return checkNameLen(dst, start, s)
}

func checkNameLen(dst []byte, start int, s string) ([]byte, error) {
	if len(dst)-start > maxNameWire {
		return dst[:start], fmt.Errorf("domain name %q is longer than %d bytes in wire form", s, maxNameWire)
	}
	return dst, nil
}

func isDigit(c byte) bool { return c >= '0' && c <= '9' }

func lower(c byte) byte {
	if c >= 'A' && c <= 'Z' {
		return c + 'a' - 'A'
	}
	return c
}

var errPointer = errors.New("compression pointer not allowed here")

// readName reads one wire-format domain name from buf starting at off
// and appends its uncompressed labels to dst. Compression pointers are
// followed only when allowPointers is set; like Kea, a pointer must go
// strictly backwards from the start of the name and from every earlier
// pointer target. It returns the offset just past the name in buf.
func readName(dst, buf []byte, off int, allowPointers, downcase bool) ([]byte, int, error) {
	start := len(dst)
	pos := off
	next := -1 // where reading continues in buf once a pointer was taken
	limit := off
	for {
		if pos >= len(buf) {
			return dst[:start], 0, errors.New("truncated domain name")
		}
		c := buf[pos]
		pos++
		switch {
		case c == 0:
			dst = append(dst, 0)
			if len(dst)-start > maxNameWire {
				return dst[:start], 0, fmt.Errorf("domain name longer than %d bytes", maxNameWire)
			}
			if next < 0 {
				next = pos
			}
			return dst, next, nil
		case c <= maxLabelLen:
			if pos+int(c) > len(buf) {
				return dst[:start], 0, errors.New("truncated domain name label")
			}
			if len(dst)-start+1+int(c)+1 > maxNameWire {
				return dst[:start], 0, fmt.Errorf("domain name longer than %d bytes", maxNameWire)
			}
			dst = append(dst, c)
			for _, b := range buf[pos : pos+int(c)] {
				if downcase {
					b = lower(b)
				}
				dst = append(dst, b)
			}
			pos += int(c)
		case c&0xc0 == 0xc0:
			if !allowPointers {
				return dst[:start], 0, errPointer
			}
			if pos >= len(buf) {
				return dst[:start], 0, errors.New("truncated compression pointer")
			}
			target := int(c&0x3f)<<8 | int(buf[pos])
			pos++
			if target >= limit {
				return dst[:start], 0, fmt.Errorf("compression pointer %d does not point backwards", target)
			}
			if next < 0 {
				next = pos
			}
			limit = target
			pos = target
		default:
			return dst[:start], 0, fmt.Errorf("unknown label type 0x%02x", c)
		}
	}
}

// nameText returns the text of an uncompressed wire-format name,
// escaping as Kea does, without the final dot ("." for the root).
func nameText(wire []byte) string {
	var b strings.Builder
	for i := 0; i < len(wire); {
		n := int(wire[i])
		i++
		if n == 0 {
			break
		}
		if b.Len() > 0 {
			b.WriteByte('.')
		}
		for _, c := range wire[i : i+n] {
			switch c {
			case '"', '(', ')', '.', ';', '\\', '@', '$':
				b.WriteByte('\\')
				b.WriteByte(c)
			default:
				if c > 0x20 && c < 0x7f {
					b.WriteByte(c)
				} else {
					b.WriteByte('\\')
					b.WriteByte('0' + c/100)
					b.WriteByte('0' + c/10%10)
					b.WriteByte('0' + c%10)
				}
			}
		}
		i += n
	}
	if b.Len() == 0 {
		return "."
	}
	return b.String()
}
