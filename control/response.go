package control

import (
	"bytes"
	"encoding/json"
	"fmt"
)

// Result codes of a Response, as Kea defines them.
const (
	// Success: the command was carried out.
	Success = 0
	// Error: the command failed or was malformed.
	Error = 1
	// Unsupported: no handler is registered for the command.
	Unsupported = 2
	// Empty: the command was carried out but found or changed nothing.
	Empty = 3
	// Conflict: the request is valid but conflicts with the server's
	// state, e.g. a lease in another subnet.
	Conflict = 4
	// Fatal: a configuration change failed and could not be rolled back;
	// the server is no longer in a known state.
	Fatal = 5
)

// Command is one control command as sent by a client.
type Command struct {
	Command string `json:"command"`
	// Arguments is the raw "arguments" value; nil when absent.
	Arguments json.RawMessage `json:"arguments,omitempty"`
	// Service is the Control Agent's routing list ("dhcp4"); only the HTTP
	// transport looks at it.
	Service []string `json:"service,omitempty"`
	// RemoteAddress is set by Kea's agent when it forwards a command.
	RemoteAddress string `json:"remote-address,omitempty"`

	service json.RawMessage // "service" as sent, for checkService
}

// Response is the answer to a command: {"result": N, "text": "...",
// "arguments": ...}. As in Kea, "text" is left out when empty and
// "arguments" when nil; an empty map or list is still written.
type Response struct {
	Result int
	Text   string
	// Arguments is any value encoding/json can marshal. Responses read by
	// Client hold a json.RawMessage here; see Decode.
	Arguments any
}

// Answer builds a Response.
func Answer(result int, text string, args any) Response {
	return Response{Result: result, Text: text, Arguments: args}
}

// OK is a success with a text and no arguments.
func OK(text string) Response { return Response{Result: Success, Text: text} }

// OKWith is a success carrying arguments and no text.
func OKWith(args any) Response { return Response{Result: Success, Arguments: args} }

// Errorf is a result-1 answer with a formatted text.
func Errorf(format string, a ...any) Response {
	return Response{Result: Error, Text: fmt.Sprintf(format, a...)}
}

// MarshalJSON writes the keys in Kea's order (Kea keeps maps sorted:
// arguments, result, text).
func (r Response) MarshalJSON() ([]byte, error) {
	var b bytes.Buffer
	b.WriteByte('{')
	if r.Arguments != nil {
		args, err := json.Marshal(r.Arguments)
		if err != nil {
			return nil, fmt.Errorf("encoding arguments: %w", err)
		}
		b.WriteString(`"arguments":`)
		b.Write(args)
		b.WriteString(",")
	}
	fmt.Fprintf(&b, `"result":%d`, r.Result)
	if r.Text != "" {
		text, err := json.Marshal(r.Text)
		if err != nil {
			return nil, err
		}
		b.WriteString(`,"text":`)
		b.Write(text)
	}
	b.WriteByte('}')
	return b.Bytes(), nil
}

// UnmarshalJSON reads a response; Arguments becomes a json.RawMessage.
func (r *Response) UnmarshalJSON(data []byte) error {
	var w struct {
		Result    *int            `json:"result"`
		Text      string          `json:"text"`
		Arguments json.RawMessage `json:"arguments"`
	}
	if err := json.Unmarshal(data, &w); err != nil {
		return err
	}
	if w.Result == nil {
		return fmt.Errorf("invalid answer: does not contain mandatory 'result'")
	}
	r.Result, r.Text, r.Arguments = *w.Result, w.Text, nil
	if len(w.Arguments) > 0 && string(w.Arguments) != "null" {
		r.Arguments = w.Arguments
	}
	return nil
}

// Decode stores the response's arguments in the value pointed to by v.
// It fails when the response carries no arguments.
func (r *Response) Decode(v any) error {
	var raw []byte
	switch a := r.Arguments.(type) {
	case nil:
		return fmt.Errorf("the response has no arguments")
	case json.RawMessage:
		raw = a
	default:
		var err error
		if raw, err = json.Marshal(a); err != nil {
			return fmt.Errorf("encoding arguments: %w", err)
		}
	}
	return json.Unmarshal(raw, v)
}

// RawArguments returns the arguments as JSON (nil when absent).
func (r *Response) RawArguments() (json.RawMessage, error) {
	switch a := r.Arguments.(type) {
	case nil:
		return nil, nil
	case json.RawMessage:
		return a, nil
	default:
		return json.Marshal(a)
	}
}
