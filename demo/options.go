package demo

import (
	"io"
	"log/slog"
)

// Options configure Run.
type Options struct {
	// Clients is how many clients to run (1 to 50); the first has a host
	// reservation.
	Clients int
	// Keep leaves the network and the server running after the
	// exchanges, until ctx ends.
	Keep bool
	// Out receives the report.
	Out io.Writer
	// Logger receives the server's and clients' logs.
	Logger *slog.Logger
}
