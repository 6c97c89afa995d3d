// Package logging turns Kea's "loggers" configuration into log/slog
// loggers.
//
// Each configured logger has a name, a severity (FATAL, ERROR, WARN,
// INFO, DEBUG or NONE), a debuglevel (0–99, used with DEBUG) and outputs:
// stdout, stderr, syslog, syslog:name, or a file, which is rotated when
// it reaches maxsize (name → name.1 … name.maxver) and written through at
// once unless "flush" is false. Kea's names map to leased's:
// "kea-dhcp4" is [Root] ("leased") and "kea-dhcp4.packets" is
// "leased.packets"; a logger without a configuration of its own follows
// its closest configured parent, as in Kea.
//
//	lg, err := logging.New(cfg.Loggers, logging.Options{})
//	log := lg.Logger(logging.NamePackets)
//	...
//	err = lg.Apply(newCfg.Loggers) // on reload; on error nothing changes
//
// Kea's "pattern" (a log4cplus layout) is not interpreted: records are
// slog's text (key=value) or JSON form.
//
// Severities are slog levels: [LevelFatal], ERROR, WARN and INFO as slog
// has them, and a DEBUG message at debug level n is [Debug](n), that is
// slog.LevelDebug - n. Records show the level as Kea names it (FATAL,
// DEBUG[40]).
//
// # Packet logging costs nothing when off
//
// Whether a level is enabled is one atomic load and a compare. Check it
// before building attributes, so that a packet path whose debug logging
// is off neither formats nor allocates:
//
//	if log.Enabled(ctx, logging.LevelPacket) {
//		log.LogAttrs(ctx, logging.LevelPacket, "packet received",
//			slog.String("chaddr", p.CHAddr().String()),
//			slog.Int("type", int(p.Type())))
//	}
//
// BenchmarkPacketLogDisabled measures this at 0 allocations.
//
// # Secrets
//
// Every handler built here replaces the value of an attribute whose key
// ends in "password" or "secret" with "*****" ([RedactAttr]); values of
// config.Secret print as "*****" by themselves. [RedactJSON] does the
// same to a JSON document (a configuration, command arguments) before it
// is logged.
package logging
