package logging

import (
	"fmt"
	"log/slog"
	"strings"
)

// Kea's severities as slog levels. ERROR, WARN and INFO are slog's own.
// A DEBUG message carries a debug level from 0 (least verbose) to 99; it
// maps to slog.LevelDebug - n, so a logger set to DEBUG with debuglevel N
// lets through every message at level slog.LevelDebug - N or above.
const (
	LevelFatal = slog.Level(12)
	LevelError = slog.LevelError
	LevelWarn  = slog.LevelWarn
	LevelInfo  = slog.LevelInfo
	LevelDebug = slog.LevelDebug // debug level 0
)

// Kea's debug levels, for Debug.
const (
	DebugStartShut          = 0
	DebugCommand            = 10
	DebugPacketHandling     = 15
	DebugCommandData        = 20
	DebugTraceBasic         = 40
	DebugTraceBasicData     = 45
	DebugTraceDetail        = 50
	DebugTraceDetailData    = 55
	DebugTraceTechnical     = 70
	DebugTraceTechnicalData = 90
	DebugMax                = 99
)

// Debug returns the slog level of a DEBUG message at Kea debug level n
// (0–99).
func Debug(n int) slog.Level { return LevelDebug - slog.Level(min(max(n, 0), DebugMax)) }

// The levels of the packet loggers: one line per packet, and the
// packet's contents. Both are off unless a logger is set to DEBUG with a
// debuglevel this high, and cost nothing then; see the package
// documentation.
var (
	LevelPacket       = Debug(DebugTraceBasic)
	LevelPacketDetail = Debug(DebugTraceDetailData)
)

// ParseSeverity returns the lowest slog level a logger with Kea's
// severity and debuglevel lets through; off is true for NONE.
func ParseSeverity(severity string, debuglevel int) (level slog.Level, off bool, err error) {
	switch strings.ToUpper(severity) {
	case "FATAL":
		return LevelFatal, false, nil
	case "ERROR":
		return LevelError, false, nil
	case "WARN", "WARNING":
		return LevelWarn, false, nil
	case "INFO", "":
		return LevelInfo, false, nil
	case "DEBUG":
		if debuglevel < 0 || debuglevel > DebugMax {
			return 0, false, fmt.Errorf("debuglevel %d is out of range 0..99", debuglevel)
		}
		return Debug(debuglevel), false, nil
	case "NONE":
		return 0, true, nil
	}
	return 0, false, fmt.Errorf("unknown severity %q (FATAL, ERROR, WARN, INFO, DEBUG or NONE)", severity)
}

// levelName writes a level as Kea names it: FATAL, ERROR, WARN, INFO,
// DEBUG, and DEBUG[n] for debug levels above 0.
func levelName(l slog.Level) string {
	switch {
	case l >= LevelFatal:
		return "FATAL"
	case l >= LevelError:
		return "ERROR"
	case l >= LevelWarn:
		return "WARN"
	case l >= LevelInfo:
		return "INFO"
	case l == LevelDebug:
		return "DEBUG"
	case l < LevelDebug:
		return fmt.Sprintf("DEBUG[%d]", int(LevelDebug-l))
	}
	return l.String()
}
