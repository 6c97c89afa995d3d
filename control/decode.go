package control

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strings"
)

// feed finds the end of one JSON map or list arriving in pieces, and
// strips the comments Kea allows in commands (#, // and /* */), so that
// the result can be handed to encoding/json. It is the counterpart of
// Kea's JSONFeed: it counts open brackets outside strings and stops when
// the count returns to zero; bytes after that are ignored.
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
// The errors carry Kea's texts.
func ParseCommand(data []byte) (Command, error) {
	var f feed
	f.write(data)
	if f.err != nil {
		return Command{}, f.err
	}
	if !f.done {
		return Command{}, errors.New("incomplete JSON: the command ended before its closing bracket")
	}
	return decodeCommand(f.out)
}

// decodeCommand checks a complete, comment-free command.
func decodeCommand(js []byte) (Command, error) {
	var top any
	dec := json.NewDecoder(bytes.NewReader(js))
	dec.UseNumber()
	if err := dec.Decode(&top); err != nil {
		return Command{}, jsonError(js, err)
	}
	m, ok := top.(map[string]any)
	if !ok {
		return Command{}, invalidf("expected toplevel entry to be a map, got %s instead", typeName(top))
	}
	var raw map[string]json.RawMessage
	if err := json.Unmarshal(js, &raw); err != nil {
		return Command{}, jsonError(js, err)
	}
	name, ok := m["command"]
	if !ok {
		return Command{}, invalidf("does not contain mandatory 'command'")
	}
	for k := range m {
		switch k {
		case "command", "arguments", "service", "remote-address":
		default:
			return Command{}, invalidf("unsupported parameter '%s'", k)
		}
	}
	var c Command
	s, ok := name.(string)
	if !ok {
		// Kea names the type of the toplevel entry here, which is
		// always a map; the message is kept as Kea writes it.
		return Command{}, invalidf("expected 'command' to be a string, got map instead")
	}
	c.Command = s
	if a, ok := raw["arguments"]; ok {
		c.Arguments = a
	}
	if sv, ok := raw["service"]; ok {
		// Services are checked by the HTTP transport; a value of the
		// wrong shape is reported there.
		c.service = sv
		_ = json.Unmarshal(sv, &c.Service)
	}
	if ra, ok := m["remote-address"].(string); ok {
		c.RemoteAddress = ra
	}
	return c, nil
}

// InvalidCommandError is a well-formed JSON document that is not a valid
// command. Kea answers it with "Error during command processing: " and
// the message.
type InvalidCommandError struct{ Msg string }

func (e *InvalidCommandError) Error() string { return "invalid command: " + e.Msg }

func invalidf(format string, a ...any) error {
	return &InvalidCommandError{Msg: fmt.Sprintf(format, a...)}
}

// typeName names a decoded JSON value's type as Kea does.
func typeName(v any) string {
	switch v.(type) {
	case nil:
		return "null"
	case bool:
		return "boolean"
	case json.Number:
		if strings.ContainsAny(string(v.(json.Number)), ".eE") {
			return "real"
		}
		return "integer"
	case float64:
		return "real"
	case string:
		return "string"
	case []any:
		return "list"
	case map[string]any:
		return "map"
	}
	return "unknown"
}

// rawTypeName names the type of a raw JSON value as Kea does.
func rawTypeName(raw json.RawMessage) string {
	var v any
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber()
	if err := dec.Decode(&v); err != nil {
		return "unknown"
	}
	return typeName(v)
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
