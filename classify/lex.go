package classify

import (
	"net/netip"
	"strconv"
)

type tokKind uint8

const (
	tEOF tokKind = iota
	tLParen
	tRParen
	tLBracket
	tRBracket
	tDot
	tComma
	tStar
	tPlus
	tEq
	tString // 'text'; text holds the content without quotes
	tHex    // 0x...; text holds the whole literal
	tInt    // -?[0-9]+; num holds the value
	tIP     // IPv4 or IPv6 literal; addr holds the value
	tWord   // keyword, option name or unknown identifier
)

type token struct {
	kind tokKind
	col  int // 1-based byte column of the first character
	end  int // byte offset just past the token
	text string
	num  int64
	addr netip.Addr
}

// describe names a token for an error message.
func (t token) describe() string {
	switch t.kind {
	case tEOF:
		return "end of expression"
	case tString:
		return "string '" + t.text + "'"
	case tHex:
		return "hex string " + t.text
	case tInt:
		return "integer " + t.text
	case tIP:
		return "address " + t.text
	}
	return "'" + t.text + "'"
}

// lex splits src into tokens. It follows Kea's scanner: blanks and
// newlines separate tokens, strings are single-quoted with no escapes and
// no newline inside, hex strings start 0x, integers may carry a leading
// minus and must fit 64 bits, and of several patterns matching at one
// place the longest wins (so 10.0.0.1 is an address, not the integer 10).
// Unlike Kea's scanner it reads a run of letters, digits, '-' and '_' as
// one word, so that an unknown word is reported as such.
func lex(src string) ([]token, error) {
	var toks []token
	i := 0
	for {
		for i < len(src) && (src[i] == ' ' || src[i] == '\t' || src[i] == '\n' || src[i] == '\r') {
			i++
		}
		if i >= len(src) {
			toks = append(toks, token{kind: tEOF, col: len(src) + 1, end: len(src)})
			return toks, nil
		}
		t, err := lexOne(src, i)
		if err != nil {
			return nil, err
		}
		toks = append(toks, t)
		i = t.end
	}
}

func lexOne(src string, i int) (token, error) {
	col := i + 1
	c := src[i]
	single := func(k tokKind) (token, error) {
		return token{kind: k, col: col, end: i + 1, text: src[i : i+1]}, nil
	}
	switch c {
	case '(':
		return single(tLParen)
	case ')':
		return single(tRParen)
	case '[':
		return single(tLBracket)
	case ']':
		return single(tRBracket)
	case ',':
		return single(tComma)
	case '*':
		return single(tStar)
	case '+':
		return single(tPlus)
	case '=':
		if i+1 < len(src) && src[i+1] == '=' {
			return token{kind: tEq, col: col, end: i + 2, text: "=="}, nil
		}
		return token{}, synErr(src, col, "invalid character '=' (the comparison operator is '==')")
	case '\'':
		for j := i + 1; j < len(src); j++ {
			switch src[j] {
			case '\'':
				return token{kind: tString, col: col, end: j + 1, text: src[i+1 : j]}, nil
			case '\n':
				return token{}, synErr(src, col, "string literal runs past the end of the line")
			}
		}
		return token{}, synErr(src, col, "unterminated string literal")
	}

	// Of the remaining patterns (hex string, integer, IPv4 address, IPv6
	// address, word, '.') take the longest match, as Kea's scanner does.
	hexN := matchHex(src, i)
	intN := matchInt(src, i)
	a4N := matchAddr4(src, i)
	a6N := matchAddr6(src, i)
	wordN := matchWord(src, i)
	best := max(hexN, intN, a4N, a6N, wordN)
	switch {
	case best == 0 && c == '.':
		return single(tDot)
	case best == 0:
		return token{}, synErr(src, col, "invalid character "+strconv.QuoteRune(rune(c)))
	case hexN == best:
		return token{kind: tHex, col: col, end: i + best, text: src[i : i+best]}, nil
	case intN == best:
		text := src[i : i+best]
		n, err := strconv.ParseInt(text, 10, 64)
		if err != nil {
			return token{}, synErr(src, col, "integer "+text+" does not fit 64 bits")
		}
		return token{kind: tInt, col: col, end: i + best, text: text, num: n}, nil
	case wordN == best:
		return token{kind: tWord, col: col, end: i + best, text: src[i : i+best]}, nil
	default: // an address
		text := src[i : i+best]
		a, err := netip.ParseAddr(text)
		if err != nil || a.Zone() != "" {
			return token{}, synErr(src, col, "invalid IP address "+text)
		}
		return token{kind: tIP, col: col, end: i + best, text: text, addr: a}, nil
	}
}

func isDigit(c byte) bool { return c >= '0' && c <= '9' }

func isHexDigit(c byte) bool {
	return isDigit(c) || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F')
}

func isLetter(c byte) bool { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') }

// matchHex matches 0[xX][0-9a-fA-F]+.
func matchHex(s string, i int) int {
	if i+2 >= len(s) || s[i] != '0' || (s[i+1] != 'x' && s[i+1] != 'X') || !isHexDigit(s[i+2]) {
		return 0
	}
	j := i + 2
	for j < len(s) && isHexDigit(s[j]) {
		j++
	}
	return j - i
}

// matchInt matches -?[0-9]+.
func matchInt(s string, i int) int {
	j := i
	if j < len(s) && s[j] == '-' {
		j++
	}
	k := j
	for k < len(s) && isDigit(s[k]) {
		k++
	}
	if k == j {
		return 0
	}
	return k - i
}

// matchAddr4 matches [0-9]+\.[0-9]+\.[0-9]+\.[0-9]+.
func matchAddr4(s string, i int) int {
	j := i
	for part := 0; part < 4; part++ {
		if part > 0 {
			if j >= len(s) || s[j] != '.' {
				return 0
			}
			j++
		}
		k := j
		for k < len(s) && isDigit(s[k]) {
			k++
		}
		if k == j {
			return 0
		}
		j = k
	}
	return j - i
}

// matchAddr6 matches [0-9a-fA-F]*:[0-9a-fA-F]*:[0-9a-fA-F:.]*.
func matchAddr6(s string, i int) int {
	j := i
	for colons := 0; colons < 2; colons++ {
		for j < len(s) && isHexDigit(s[j]) {
			j++
		}
		if j >= len(s) || s[j] != ':' {
			return 0
		}
		j++
	}
	for j < len(s) && (isHexDigit(s[j]) || s[j] == ':' || s[j] == '.') {
		j++
	}
	return j - i
}

// matchWord matches [A-Za-z][-_A-Za-z0-9]*.
func matchWord(s string, i int) int {
	if !isLetter(s[i]) {
		return 0
	}
	j := i + 1
	for j < len(s) && (isLetter(s[j]) || isDigit(s[j]) || s[j] == '-' || s[j] == '_') {
		j++
	}
	return j - i
}

func synErr(src string, col int, msg string) *SyntaxError {
	return &SyntaxError{Expr: src, Col: col, Msg: msg}
}
