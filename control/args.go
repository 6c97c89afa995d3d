package control

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math"
)

// Args is a command's "arguments" map, each value still raw. Its getters
// report problems in the words Kea's built-in commands use, so a handler
// can pass err.Error() straight into Errorf.
type Args map[string]json.RawMessage

// RequireArgs checks what Kea checks for commands that need arguments:
// they are present, a map, and not empty.
func RequireArgs(command string, raw json.RawMessage) (Args, error) {
	if isAbsent(raw) {
		return nil, fmt.Errorf("invalid command '%s': no arguments specified", command)
	}
	var a Args
	if err := json.Unmarshal(raw, &a); err != nil || a == nil {
		return nil, fmt.Errorf("invalid command '%s': expected 'arguments' to be a map, got %s instead", command, kindOf(raw))
	}
	if len(a) == 0 {
		return nil, fmt.Errorf("invalid command '%s': 'arguments' is empty", command)
	}
	return a, nil
}

// OptionalArgs accepts absent (or null) arguments as an empty map; present
// arguments must be a map.
func OptionalArgs(command string, raw json.RawMessage) (Args, error) {
	if isAbsent(raw) {
		return Args{}, nil
	}
	var a Args
	if err := json.Unmarshal(raw, &a); err != nil || a == nil {
		return nil, fmt.Errorf("invalid command '%s': expected 'arguments' to be a map, got %s instead", command, kindOf(raw))
	}
	return a, nil
}

func isAbsent(raw json.RawMessage) bool {
	t := bytes.TrimSpace(raw)
	return len(t) == 0 || bytes.Equal(t, []byte("null"))
}

// Has reports whether key is present.
func (a Args) Has(key string) bool { _, ok := a[key]; return ok }

// String returns a mandatory string parameter.
func (a Args) String(key string) (string, error) {
	raw, ok := a[key]
	if !ok {
		return "", missing(key)
	}
	var s string
	if err := json.Unmarshal(raw, &s); err != nil {
		return "", wrongType(key, "a string")
	}
	return s, nil
}

// Int returns a mandatory integer parameter.
func (a Args) Int(key string) (int64, error) {
	raw, ok := a[key]
	if !ok {
		return 0, missing(key)
	}
	// Decoding into any (not json.Number, which also takes "5") keeps
	// strings out.
	var v any
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber()
	if err := dec.Decode(&v); err != nil {
		return 0, wrongType(key, "an integer")
	}
	n, ok := v.(json.Number)
	if !ok {
		return 0, wrongType(key, "an integer")
	}
	i, err := n.Int64()
	if err != nil {
		return 0, wrongType(key, "an integer")
	}
	return i, nil
}

// Uint32 returns a mandatory integer parameter in 0..2^32-1.
func (a Args) Uint32(key string) (uint32, error) {
	i, err := a.Int(key)
	if err != nil {
		return 0, err
	}
	if i < 0 || i > math.MaxUint32 {
		return 0, fmt.Errorf("'%s' parameter out of range (0..%d): %d", key, uint32(math.MaxUint32), i)
	}
	return uint32(i), nil
}

// Bool returns a mandatory boolean parameter.
func (a Args) Bool(key string) (bool, error) {
	raw, ok := a[key]
	if !ok {
		return false, missing(key)
	}
	var b bool
	if err := json.Unmarshal(raw, &b); err != nil {
		return false, wrongType(key, "a boolean")
	}
	return b, nil
}

func missing(key string) error { return fmt.Errorf("Missing mandatory '%s' parameter.", key) }

func wrongType(key, what string) error {
	return fmt.Errorf("'%s' parameter expected to be %s.", key, what)
}
