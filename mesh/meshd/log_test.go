package meshd

import (
	"bytes"
	"context"
	"errors"
	"log/slog"
	"math"
	"net"
	"net/netip"
	"testing"
	"time"

	"github.com/leased/leased/mesh"
)

// slogLine is what slog's TextHandler writes for a message at t.
func slogLine(t time.Time, level slog.Level, msg string, args ...any) string {
	var out bytes.Buffer
	h := slog.NewTextHandler(&out, &slog.HandlerOptions{Level: slog.LevelDebug})
	r := slog.NewRecord(t, level, msg, 0)
	r.Add(args...)
	h.Handle(context.Background(), r)
	return out.String()
}

// ownLine is what textLogger writes for the same message.
func ownLine(t time.Time, level slog.Level, msg string, args ...any) string {
	var out bytes.Buffer
	l := newTextLogger(&out, levelDebug)
	l.now = func() time.Time { return t }
	map[slog.Level]func(string, ...any){
		slog.LevelDebug: l.Debug, slog.LevelInfo: l.Info, slog.LevelWarn: l.Warn, slog.LevelError: l.Error,
	}[level](msg, args...)
	return out.String()
}

type nilStringer struct{ s string }

func (n *nilStringer) String() string { return n.s }

type badText struct{}

func (badText) MarshalText() ([]byte, error) { return nil, errors.New("no text") }

// textLogger writes what slog's TextHandler writes, byte for byte, for
// the values the node and the packages under it log and for the corners
// of slog's quoting: `leased mesh` logs as the rest of leased.
func TestTextLoggerAsSlog(t *testing.T) {
	at := time.Date(2026, 12, 8, 1, 2, 3, 456789012, time.FixedZone("", 5*3600+30*60))
	var nilErr error
	var nilPtr *nilStringer
	cases := []struct {
		msg  string
		args []any
	}{
		{"mesh node running", []any{"node_id", mesh.NodeID{2, 0, 0, 0, 1, 1, 0, 0}, "mesh_if", "bat0", "link_local", netip.MustParseAddr("fe80::1"),
			"range", mesh.Range{}, "learning", 3 * time.Second}},
		{"", nil},
		{"with = and \"quotes\" and \\", []any{"k=v", "a b", "", "", "tab", "a\tb", "nl", "a\nb", "del", "a\x7fb", "bs", `a\b`}},
		{"unicode", []any{"é", "ünï", "nbsp", "a\u00a0b", "ls", "a\u2028b", "bad", "a\xffb", "repl", "a\ufffdb", "zwsp", "a\u200bb", "emoji", "😀"}},
		{"numbers", []any{"int", -1, "i8", int8(-8), "i16", int16(16), "i32", int32(-32), "i64", int64(1 << 62), "u", uint(7), "u8", uint8(255),
			"u16", uint16(65535), "u32", uint32(1 << 31), "u64", uint64(math.MaxUint64), "uptr", uintptr(9),
			"f32", float32(1.5), "f64", 1e21, "small", 1e-7, "nan", math.NaN(), "inf", math.Inf(-1), "t", true, "f", false}},
		{"times", []any{"d", 1500 * time.Millisecond, "zero_d", time.Duration(0), "at", at, "utc", at.UTC(), "zero", time.Time{},
			"round", time.Date(2026, 1, 2, 3, 4, 5, 999999999, time.UTC)}},
		{"addresses", []any{"addr", netip.MustParseAddr("10.0.0.1"), "ap", netip.MustParseAddrPort("[fe80::1%bat0]:1234"),
			"zero_addr", netip.Addr{}, "prefix", netip.MustParsePrefix("10.0.0.0/8"), "mac", net.HardwareAddr{2, 0, 0, 0, 0, 1},
			"ip", net.IPv4(10, 0, 0, 1)}},
		{"errors", []any{"error", errors.New("open /x: no such file"), "nil_err", nilErr, "wrapped", errors.Join(errors.New("a"), errors.New("b"))}},
		{"odd", []any{"bytes", []byte("a\x00b"), "strs", []string{"a", "b c"}, "map", map[string]int{"b": 2, "a": 1},
			"struct", struct {
				A int
				B string
			}{1, "x y"}, "nil", nil, "nilptr", nilPtr, "badtext", badText{}, 7, "after a non-string key", "lone"}},
	}
	for _, lv := range []slog.Level{slog.LevelDebug, slog.LevelInfo, slog.LevelWarn, slog.LevelError} {
		for _, tc := range cases {
			want := slogLine(at, lv, tc.msg, tc.args...)
			if got := ownLine(at, lv, tc.msg, tc.args...); got != want {
				t.Errorf("%v %q:\ngot  %s\nwant %s", lv, tc.msg, got, want)
			}
		}
	}
}

// FuzzTextLogger compares textLogger with slog's TextHandler on any
// message, key and value.
func FuzzTextLogger(f *testing.F) {
	for _, s := range []string{"", "a", "a b", "a=b", `"`, `\`, "\x00", "\x7f", "é", "\u00a0", "\u2028", "\xff", "\ufffd", "\u200b", "\U0010ffff"} {
		f.Add(s, s, s, int64(len(s)))
	}
	at := time.Date(2026, 12, 8, 1, 2, 3, 4e6, time.UTC)
	f.Fuzz(func(t *testing.T, msg, key, val string, n int64) {
		args := []any{key, val, "n", n, "d", time.Duration(n), "b", []byte(val)}
		want := slogLine(at, slog.LevelInfo, msg, args...)
		if got := ownLine(at, slog.LevelInfo, msg, args...); got != want {
			t.Errorf("got  %s\nwant %s", got, want)
		}
	})
}
