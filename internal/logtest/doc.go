// Package logtest holds what tests need to read a log that other
// goroutines are writing: [Buffer], an io.Writer safe for concurrent use
// whose contents a test may read at any time.
//
// A log/slog handler or a server under test writes to a Buffer from its
// own goroutines while the test polls [Buffer.String] or
// [Buffer.Count]; the race detector sees the lock, not a data race.
package logtest
