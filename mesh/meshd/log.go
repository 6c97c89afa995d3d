package meshd

import (
	"encoding"
	"fmt"
	"io"
	"reflect"
	"strconv"
	"sync"
	"sync/atomic"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/leased/leased/dhcpserver"
)

// Logger is what a node logs to, with slog's key-value arguments: the
// Logger of dhcpserver, which the node hands to its server; a
// *slog.Logger is one, and so is lease/memfile's Logger. The daemon does
// not take a *slog.Logger because linking log/slog (and the encoding/json
// its handlers bring) would cost leased-mesh about 400 KB of a router's
// flash.
type Logger = dhcpserver.Logger

// discardLogger is the Logger of a node given none.
type discardLogger struct{}

func (discardLogger) Debug(string, ...any) {}
func (discardLogger) Info(string, ...any)  {}
func (discardLogger) Warn(string, ...any)  {}
func (discardLogger) Error(string, ...any) {}

// ddhcpd's log levels, as -v and LOG_LEVEL_SET number them: a message is
// written when its level is at most the node's.
const (
	levelFatal = 0 // nothing is logged at this level: it silences the node
	levelError = 1
	levelWarn  = 2
	levelInfo  = 3
	levelDebug = 4
)

// textLogger writes one line per message in the text format of slog's
// TextHandler (time=… level=… msg=… key=value…), byte for byte, so that
// `leased mesh` logs as the rest of leased does, without linking log/slog.
// Its level is ddhcpd's and can change while it runs (LOG_LEVEL_SET).
type textLogger struct {
	level atomic.Int32
	now   func() time.Time

	mu sync.Mutex // serializes writes, one line each
	w  io.Writer
}

func newTextLogger(w io.Writer, level int) *textLogger {
	l := &textLogger{w: w, now: time.Now}
	l.setLevel(level)
	return l
}

// setLevel sets ddhcpd's log level: 0 (fatal) logs nothing, 4 (debug) and
// above everything.
func (l *textLogger) setLevel(level int) {
	l.level.Store(int32(min(max(level, levelFatal), levelDebug)))
}

func (l *textLogger) Debug(msg string, args ...any) { l.log(levelDebug, "DEBUG", msg, args) }
func (l *textLogger) Info(msg string, args ...any)  { l.log(levelInfo, "INFO", msg, args) }
func (l *textLogger) Warn(msg string, args ...any)  { l.log(levelWarn, "WARN", msg, args) }
func (l *textLogger) Error(msg string, args ...any) { l.log(levelError, "ERROR", msg, args) }

func (l *textLogger) log(level int32, name, msg string, args []any) {
	if level > l.level.Load() {
		return
	}
	b := make([]byte, 0, 256)
	b = append(b, "time="...)
	b = appendTime(b, l.now())
	b = append(b, " level="...)
	b = append(b, name...)
	b = append(b, " msg="...)
	b = appendString(b, msg)
	for len(args) > 0 {
		var key string
		var val any
		key, val, args = nextAttr(args)
		b = append(b, ' ')
		b = appendString(b, key)
		b = append(b, '=')
		b = appendValue(b, val)
	}
	b = append(b, '\n')
	l.mu.Lock()
	defer l.mu.Unlock()
	l.w.Write(b)
}

// badKey is slog's key for a value without one.
const badKey = "!BADKEY"

// nextAttr takes the first key and value off args, as slog does: a string
// and the value after it, or a lone value under badKey.
func nextAttr(args []any) (key string, val any, rest []any) {
	s, ok := args[0].(string)
	switch {
	case !ok:
		return badKey, args[0], args[1:]
	case len(args) == 1:
		return badKey, s, nil
	}
	return s, args[1], args[2:]
}

// appendTime appends t as slog's text does: RFC 3339 with milliseconds.
func appendTime(b []byte, t time.Time) []byte {
	return t.AppendFormat(b, "2006-01-02T15:04:05.000Z07:00")
}

// appendValue appends v as slog's TextHandler does: numbers, booleans and
// durations as strconv and Duration.String write them, times as
// appendTime, what has a text form (netip.Addr, …) in it, byte slices
// quoted, anything else as fmt's %+v; the text quoted if it needs to be.
// A value that panics (a nil pointer with a String or MarshalText method
// that does not expect one) is written as slog writes it, and the node
// goes on.
func appendValue(b []byte, v any) (out []byte) {
	defer func() {
		if r := recover(); r != nil {
			if rv := reflect.ValueOf(v); rv.Kind() == reflect.Pointer && rv.IsNil() {
				out = appendString(b, "<nil>")
				return
			}
			out = appendString(b, fmt.Sprintf("!PANIC: %v", r))
		}
	}()
	return appendValueText(b, v)
}

func appendValueText(b []byte, v any) []byte {
	switch v := v.(type) {
	case string:
		return appendString(b, v)
	case int:
		return strconv.AppendInt(b, int64(v), 10)
	case int8:
		return strconv.AppendInt(b, int64(v), 10)
	case int16:
		return strconv.AppendInt(b, int64(v), 10)
	case int32:
		return strconv.AppendInt(b, int64(v), 10)
	case int64:
		return strconv.AppendInt(b, v, 10)
	case uint:
		return strconv.AppendUint(b, uint64(v), 10)
	case uint8:
		return strconv.AppendUint(b, uint64(v), 10)
	case uint16:
		return strconv.AppendUint(b, uint64(v), 10)
	case uint32:
		return strconv.AppendUint(b, uint64(v), 10)
	case uint64:
		return strconv.AppendUint(b, v, 10)
	case uintptr:
		return strconv.AppendUint(b, uint64(v), 10)
	case float32:
		return strconv.AppendFloat(b, float64(v), 'g', -1, 64)
	case float64:
		return strconv.AppendFloat(b, v, 'g', -1, 64)
	case bool:
		return strconv.AppendBool(b, v)
	case time.Duration:
		return append(b, v.String()...)
	case time.Time:
		return appendTime(b, v)
	case encoding.TextMarshaler:
		text, err := v.MarshalText()
		if err != nil {
			return appendString(b, "!ERROR:"+err.Error())
		}
		return appendString(b, string(text))
	}
	if rv := reflect.ValueOf(v); rv.Kind() == reflect.Slice && rv.Type().Elem().Kind() == reflect.Uint8 {
		return strconv.AppendQuote(b, string(rv.Bytes())) // net.HardwareAddr too, as slog writes it
	}
	return appendString(b, fmt.Sprintf("%+v", v))
}

// appendString appends s, quoted as strconv.Quote does when it is empty or
// has a space, '=', '"', a control character or a rune that is not
// printable or not valid UTF-8, as slog's TextHandler quotes.
func appendString(b []byte, s string) []byte {
	if needsQuoting(s) {
		return strconv.AppendQuote(b, s)
	}
	return append(b, s...)
}

func needsQuoting(s string) bool {
	if s == "" {
		return true
	}
	for i := 0; i < len(s); {
		if c := s[i]; c < utf8.RuneSelf {
			if c <= ' ' || c == '=' || c == '"' {
				return true
			}
			i++
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError || unicode.IsSpace(r) || !strconv.IsPrint(r) {
			return true
		}
		i += size
	}
	return false
}
