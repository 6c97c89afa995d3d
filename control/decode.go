package control

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
)

// feed finds the end of one JSON map or list arriving in pieces, and
// strips the comments Kea allows in commands (#, // and /* */), so that
// the result can be handed to encoding/json. It is the counterpart of
// Kea's JSONFeed: it counts open brackets outside strings and stops when
// the count returns to zero; it consumes nothing after that, and the
// caller decides what the bytes after the value mean (see trailing).
type feed struct {
	out   []byte
	state feedState
	depth int
	done  bool
	err   error
	seen  int // bytes consumed, comments and leading space included
}

type feedState uint8

const (
	fsStart       feedState = iota // before the value, nothing seen yet
	fsBefore                       // before the value, after space or a comment
	fsSlash                        // saw '/', outside the value
	fsLineBefore                   // in a # or // comment before the value
	fsBlockBefore                  // in /* */ before the value
	fsStarBefore                   // saw '*' in /* */ before the value
	fsInner                        // inside the value
	fsString                       // inside a string
	fsEscape                       // after a backslash in a string
	fsInSlash                      // saw '/' inside the value
	fsLine                         // in a # or // comment inside the value
	fsBlock                        // in /* */ inside the value
	fsStar                         // saw '*' in /* */ inside the value
)

// write consumes p and returns how many bytes it used; it stops at the
// end of the value. After an error or the end, it consumes nothing.
func (f *feed) write(p []byte) int {
	for i, c := range p {
		if f.done || f.err != nil {
			return i
		}
		f.seen++
		f.step(c)
	}
	return len(p)
}

func (f *feed) fail(msg string) { f.err = errors.New(msg) }

func (f *feed) step(c byte) {
	switch f.state {
	case fsStart, fsBefore:
		switch c {
		case ' ', '\t', '\r', '\n':
			f.state = fsBefore
		case '#':
			f.state = fsLineBefore
		case '/':
			f.state = fsSlash
		case '{', '[':
			f.out = append(f.out, c)
			f.depth = 1
			f.state = fsInner
		default:
			if f.state == fsStart {
				f.fail("invalid first character " + string(rune(c)))
			} else {
				f.fail("invalid character " + string(rune(c)))
			}
		}
	case fsSlash:
		switch c {
		case '/':
			f.state = fsLineBefore
		case '*':
			f.state = fsBlockBefore
		default:
			f.fail("invalid characters /" + string(rune(c)))
		}
	case fsLineBefore:
		if c == '\n' {
			f.state = fsBefore
		}
	case fsBlockBefore:
		if c == '*' {
			f.state = fsStarBefore
		}
	case fsStarBefore:
		switch c {
		case '/':
			f.state = fsBefore
		case '*':
		default:
			f.state = fsBlockBefore
		}
	case fsInner:
		switch c {
		case '{', '[':
			f.out = append(f.out, c)
			f.depth++
		case '}', ']':
			f.out = append(f.out, c)
			f.depth--
			if f.depth == 0 {
				f.done = true
			}
		case '"':
			f.out = append(f.out, c)
			f.state = fsString
		case '#':
			f.state = fsLine
		case '/':
			f.state = fsInSlash
		default:
			f.out = append(f.out, c)
		}
	case fsString:
		f.out = append(f.out, c)
		switch c {
		case '\\':
			f.state = fsEscape
		case '"':
			f.state = fsInner
		}
	case fsEscape:
		f.out = append(f.out, c)
		f.state = fsString
	case fsInSlash:
		switch c {
		case '/':
			f.state = fsLine
		case '*':
			f.state = fsBlock
		default:
			f.fail("invalid characters /" + string(rune(c)))
		}
	case fsLine:
		if c == '\n' {
			// The newline separates tokens the comment sat between.
			f.out = append(f.out, c)
			f.state = fsInner
		}
	case fsBlock:
		if c == '*' {
			f.state = fsStar
		}
	case fsStar:
		switch c {
		case '/':
			f.out = append(f.out, ' ')
			f.state = fsInner
		case '*':
		default:
			f.state = fsBlock
		}
	}
}

// started reports whether any byte has been consumed.
func (f *feed) started() bool { return f.seen > 0 }

// ParseCommand decodes one command as Kea reads it from a control
// connection: a JSON map, optionally with comments, of which only
// "command", "arguments", "service" and "remote-address" may be present.
// Only white space may follow the map. The errors carry Kea's texts.
func ParseCommand(data []byte) (Command, error) {
	var f feed
	n := f.write(data)
	if f.err != nil {
		return Command{}, f.err
	}
	if !f.done {
		return Command{}, errors.New("incomplete JSON: the command ended before its closing bracket")
	}
	if err := trailing(data[n:], f.seen, f.seen); err != nil {
		return Command{}, err
	}
	return decodeCommand(f.out)
}

// trailing refuses anything but white space in rest, which follows the
// before bytes of a command that ended at byte end: a second command or
// stray data would otherwise be dropped without a word while the first
// one runs.
func trailing(rest []byte, end, before int) error {
	if i := bytes.IndexFunc(rest, func(r rune) bool { return !isSpace(r) }); i >= 0 {
		return fmt.Errorf("unexpected data after the command: its closing bracket is byte %d, and byte %d is %q; send one command per connection", end, before+i+1, rest[i])
	}
	return nil
}

func isSpace(r rune) bool { return r == ' ' || r == '\t' || r == '\r' || r == '\n' }

// decodeCommand checks a complete, comment-free command. It walks the top
// level of the map only, without building the values: "arguments" (a
// whole configuration, for config-set) is handed on as a slice of js, so
// a command costs its text and nothing more until its handler reads it.
func decodeCommand(js []byte) (Command, error) {
	if !json.Valid(js) {
		// Unmarshal validates before it decodes, so this only finds the
		// syntax error, with its offset.
		return Command{}, jsonError(js, json.Unmarshal(js, new(struct{})))
	}
	i := skipSpace(js, 0)
	if js[i] != '{' {
		return Command{}, invalidf("expected toplevel entry to be a map, got %s instead", kindOf(js[i:]))
	}
	var (
		c       Command
		name    []byte
		unknown string
	)
	i++
	for {
		i = skipSpace(js, i)
		if js[i] == ',' {
			i = skipSpace(js, i+1)
		}
		if js[i] == '}' {
			break
		}
		keyEnd := valueEnd(js, i)
		var key string
		if err := json.Unmarshal(js[i:keyEnd], &key); err != nil {
			return Command{}, jsonError(js, err)
		}
		i = skipSpace(js, keyEnd) + 1 // past the ':'
		i = skipSpace(js, i)
		end := valueEnd(js, i)
		v := js[i:end:end]
		i = end
		// As in a decoded map, the last of repeated keys wins.
		switch key {
		case "command":
			name = v
		case "arguments":
			c.Arguments = v
		case "service":
			// Services are checked by the HTTP transport; a value of the
			// wrong shape is reported there.
			c.service = v
		case "remote-address":
			c.RemoteAddress = ""
			_ = json.Unmarshal(v, &c.RemoteAddress)
		default:
			if unknown == "" {
				unknown = key
			}
		}
	}
	if name == nil {
		return Command{}, invalidf("does not contain mandatory 'command'")
	}
	if unknown != "" {
		return Command{}, invalidf("unsupported parameter '%s'", unknown)
	}
	if name[0] != '"' {
		// Kea names the type of the toplevel entry here, which is
		// always a map; the message is kept as Kea writes it.
		return Command{}, invalidf("expected 'command' to be a string, got map instead")
	}
	if err := json.Unmarshal(name, &c.Command); err != nil {
		return Command{}, jsonError(js, err)
	}
	if c.service != nil {
		_ = json.Unmarshal(c.service, &c.Service)
	}
	return c, nil
}

// skipSpace returns the index of the first byte at or after i that is not
// JSON white space.
func skipSpace(js []byte, i int) int {
	for i < len(js) && isSpace(rune(js[i])) {
		i++
	}
	return i
}

// valueEnd returns the index just past the JSON value that starts at
// js[i]. js is valid JSON.
func valueEnd(js []byte, i int) int {
	switch js[i] {
	case '"':
		for j := i + 1; j < len(js); j++ {
			switch js[j] {
			case '\\':
				j++
			case '"':
				return j + 1
			}
		}
		return len(js)
	case '{', '[':
		depth := 0
		for j := i; j < len(js); j++ {
			switch js[j] {
			case '{', '[':
				depth++
			case '}', ']':
				if depth--; depth == 0 {
					return j + 1
				}
			case '"':
				j = valueEnd(js, j) - 1
			}
		}
		return len(js)
	}
	j := i
	for j < len(js) && !isSpace(rune(js[j])) && js[j] != ',' && js[j] != '}' && js[j] != ']' {
		j++
	}
	return j
}

// InvalidCommandError is a well-formed JSON document that is not a valid
// command. Kea answers it with "Error during command processing: " and
// the message.
type InvalidCommandError struct{ Msg string }

func (e *InvalidCommandError) Error() string { return "invalid command: " + e.Msg }

func invalidf(format string, a ...any) error {
	return &InvalidCommandError{Msg: fmt.Sprintf(format, a...)}
}

// kindOf names the type of the JSON value at the start of v as Kea does,
// from its first bytes, without decoding it (an argument of the wrong
// type may be a whole configuration).
func kindOf(v []byte) string {
	v = v[skipSpace(v, 0):]
	if len(v) == 0 {
		return "unknown"
	}
	switch v[0] {
	case 'n':
		return "null"
	case 't', 'f':
		return "boolean"
	case '"':
		return "string"
	case '[':
		return "list"
	case '{':
		return "map"
	case '-', '0', '1', '2', '3', '4', '5', '6', '7', '8', '9':
		if bytes.ContainsAny(v[:valueEnd(v, 0)], ".eE") {
			return "real"
		}
		return "integer"
	}
	return "unknown"
}

// jsonError turns an encoding/json error into Kea's "... in <wire>:L:C".
func jsonError(js []byte, err error) error {
	var se *json.SyntaxError
	off := int64(len(js))
	msg := err.Error()
	if errors.As(err, &se) {
		off = se.Offset
		msg = se.Error()
	} else if errors.Is(err, io.ErrUnexpectedEOF) {
		msg = "unexpected end of JSON input"
	}
	line, col := 1, 1
	for i := int64(0); i < off && i < int64(len(js)); i++ {
		if js[i] == '\n' {
			line, col = line+1, 1
		} else {
			col++
		}
	}
	return fmt.Errorf("%s in <wire>:%d:%d", msg, line, col)
}
