//go:build linux

package netns

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"syscall"

	"golang.org/x/sys/unix"
)

// Dir is where iproute2 keeps named namespaces.
const Dir = "/run/netns"

// NS is a named network namespace.
type NS struct {
	name string
}

// New creates a network namespace and brings its loopback up.
func New(ctx context.Context, name string) (*NS, error) {
	if _, err := IP(ctx, "netns", "add", name); err != nil {
		return nil, err
	}
	ns := &NS{name: name}
	if _, err := ns.IP(ctx, "link", "set", "lo", "up"); err != nil {
		ns.Delete(context.Background())
		return nil, err
	}
	return ns, nil
}

// Name returns the namespace's name.
func (ns *NS) Name() string { return ns.name }

// IP runs the ip command on the host.
func IP(ctx context.Context, args ...string) (string, error) {
	cmd := exec.CommandContext(ctx, "ip", args...)
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Run(); err != nil {
		return out.String(), fmt.Errorf("ip %s: %w: %s", strings.Join(args, " "), err, strings.TrimSpace(out.String()))
	}
	return out.String(), nil
}

// IP runs the ip command inside the namespace.
func (ns *NS) IP(ctx context.Context, args ...string) (string, error) {
	return IP(ctx, append([]string{"-n", ns.name}, args...)...)
}

// Do runs fn with the calling code's network namespace set to ns, on a
// locked OS thread, and waits for it.
func (ns *NS) Do(fn func() error) error {
	target, err := unix.Open(filepath.Join(Dir, ns.name), unix.O_RDONLY|unix.O_CLOEXEC, 0)
	if err != nil {
		return fmt.Errorf("netns %s: %w", ns.name, err)
	}
	defer unix.Close(target)
	errc := make(chan error, 1)
	go func() {
		runtime.LockOSThread()
		orig, err := unix.Open("/proc/thread-self/ns/net", unix.O_RDONLY|unix.O_CLOEXEC, 0)
		if err != nil {
			runtime.UnlockOSThread()
			errc <- fmt.Errorf("netns: current namespace: %w", err)
			return
		}
		defer unix.Close(orig)
		if err := unix.Setns(target, unix.CLONE_NEWNET); err != nil {
			runtime.UnlockOSThread()
			errc <- fmt.Errorf("netns %s: setns: %w", ns.name, err)
			return
		}
		defer func() {
			// A thread that cannot go home stays locked, so Go
			// retires it when this goroutine ends.
			if unix.Setns(orig, unix.CLONE_NEWNET) == nil {
				runtime.UnlockOSThread()
			}
		}()
		errc <- fn()
	}()
	return <-errc
}

// Delete kills the processes left in the namespace and removes it.
func (ns *NS) Delete(ctx context.Context) error {
	if out, err := IP(ctx, "netns", "pids", ns.name); err == nil {
		for _, f := range strings.Fields(out) {
			if pid, err := strconv.Atoi(f); err == nil && pid != os.Getpid() {
				syscall.Kill(pid, syscall.SIGKILL)
			}
		}
	}
	_, err := IP(ctx, "netns", "del", ns.name)
	if err != nil && errors.Is(err, os.ErrNotExist) {
		return nil
	}
	return err
}
