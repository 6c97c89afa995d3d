//go:build !linux

package demo

import (
	"context"
	"fmt"
	"runtime"
)

// Run reports that the demonstration is not supported: it builds its
// network out of Linux network namespaces.
func Run(context.Context, Options) error {
	return fmt.Errorf("demo: needs Linux network namespaces; not supported on %s", runtime.GOOS)
}
