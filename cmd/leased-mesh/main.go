// Command leased-mesh is `leased mesh` alone, small enough for the mesh
// routers where ddhcpd runs (Freifunk's Gluon firmware on OpenWrt).
//
// Usage:
//
//	leased-mesh [ddhcpd flags] [--state-dir DIR | --no-state] [--state-copy DIR [--state-copy-every DURATION]]
//	leased-mesh ctl [ddhcpdctl flags]
//
// The first form is `leased mesh`, with the same command line (ddhcpd's
// flags and leased's own --options); the second is `leased ctl mesh`,
// ddhcpdctl's command line. `leased-mesh -h` and `leased-mesh ctl -h`
// list the flags.
//
// It carries only what a node needs: the wire codec, the server library,
// the mesh and its daemon, the embedded lease store, the control socket
// and the hook. Kea's configuration, the expression language, Prometheus,
// HA, SQL and DNS updates stay out, and a test keeps them out
// (TestDependencies) and keeps the stripped binary within its budget for
// every Gluon target (TestSize).
//
// It is its own command rather than a build tag on cmd/leased because a
// tag would give cmd/leased two shapes, each to be built, vetted and
// tested, and every new subcommand would have to remember the tag; a
// separate main that imports mesh/meshd alone is small by construction,
// and `go list -deps` on it shows exactly what a router gets.
//
// # Memory
//
// Routers running Gluon have 64 MB of RAM or less for everything. Unless
// the environment sets them, leased-mesh starts with GOMEMLIMIT=12MiB (the
// heap is collected harder as the process nears it; it is a soft limit:
// the node never fails for want of memory because of it) and GOGC=50
// (the heap may grow by half of what is live before a collection, not
// double). GOMEMLIMIT and GOGC in the environment, as the Go runtime reads
// them, override both; GOGC=off with GOMEMLIMIT=N collects only near N.
package main

import (
	"context"
	"os"
	"os/signal"
	"runtime/debug"
	"syscall"

	"github.com/leased/leased/mesh/meshd"
)

// Defaults for small devices, applied when the environment does not set
// GOMEMLIMIT or GOGC.
const (
	defaultMemoryLimit = 12 << 20
	defaultGCPercent   = 50
)

func main() {
	if os.Getenv("GOMEMLIMIT") == "" {
		debug.SetMemoryLimit(defaultMemoryLimit)
	}
	if os.Getenv("GOGC") == "" {
		debug.SetGCPercent(defaultGCPercent)
	}
	os.Exit(run(os.Args[1:]))
}

func run(args []string) int {
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGTERM, syscall.SIGINT)
	defer stop()
	if len(args) > 0 && args[0] == "ctl" {
		return meshd.CtlMainNamed(ctx, "leased-mesh ctl", args[1:], os.Stdout, os.Stderr)
	}
	return meshd.MainNamed(ctx, "leased-mesh", args, os.Stdout, os.Stderr)
}
