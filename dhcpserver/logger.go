package dhcpserver

// Logger is what a Server logs to, with slog's key-value arguments; a
// *slog.Logger is one. It is an interface rather than *slog.Logger so that
// a program with no other use for log/slog (leased-mesh, the mesh node for
// routers) does not link it, nor the encoding/json its handlers bring:
// about 400 KB of a binary that must fit in a router's flash.
type Logger interface {
	Debug(msg string, args ...any)
	Info(msg string, args ...any)
	Warn(msg string, args ...any)
	Error(msg string, args ...any)
}

// discardLogger is the Logger of a Server that was given none.
type discardLogger struct{}

func (discardLogger) Debug(string, ...any) {}
func (discardLogger) Info(string, ...any)  {}
func (discardLogger) Warn(string, ...any)  {}
func (discardLogger) Error(string, ...any) {}
