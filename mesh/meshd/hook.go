package meshd

import (
	"io"
	"sync/atomic"
)

// hookRunner calls ddhcpd's hook (-H): `/bin/sh -e -- COMMAND ACTION
// ARGS...`, in the background; the exit status is ignored, as in ddhcpd.
// A nil hookRunner, or one without a command, does nothing.
type hookRunner struct {
	cmd    string
	out    io.Writer // the hook's stdout and stderr
	log    Logger
	done   chan struct{} // closed by stop: no new hooks
	starts chan struct{} // bounds the hooks running at once
	queued atomic.Int64  // calls waiting for a slot
}

// maxHooks bounds the hook processes running at once; more wait for a
// slot, in goroutines of their own, up to maxQueuedHooks. Beyond that a
// call is dropped with a warning: the hooks have been stuck for a long
// time, and waiting calls would only pile up.
const (
	maxHooks       = 16
	maxQueuedHooks = 4096
)

func newHookRunner(cmd string, out io.Writer, log Logger) *hookRunner {
	if cmd == "" {
		return nil
	}
	return &hookRunner{cmd: cmd, out: out, log: log, done: make(chan struct{}), starts: make(chan struct{}, maxHooks)}
}

// run starts the hook with action and args and returns without waiting
// for it, nor for a slot when maxHooks hooks are running: it is called
// from the goroutines that read the mesh sockets and run the node's
// timers, which a slow hook must not hold up (ddhcpd forks and goes on).
func (h *hookRunner) run(action string, args ...string) {
	if h == nil {
		return
	}
	select {
	case <-h.done:
		return
	default:
	}
	select {
	case h.starts <- struct{}{}:
		h.start(action, args)
		return
	default:
	}
	if h.queued.Add(1) > maxQueuedHooks {
		h.queued.Add(-1)
		h.log.Warn("hook not run: too many calls wait for running hooks to end", "hook", h.cmd, "action", action, "args", args)
		return
	}
	go func() {
		defer h.queued.Add(-1)
		select {
		case <-h.done:
		case h.starts <- struct{}{}:
			select {
			case <-h.done: // stopped meanwhile
				<-h.starts
			default:
				h.start(action, args)
			}
		}
	}()
}

// start runs the hook in a slot already taken, and frees the slot when
// the hook ends.
func (h *hookRunner) start(action string, args []string) {
	p, err := startProcess(procSpec{Argv: append([]string{"/bin/sh", "-e", "--", h.cmd, action}, args...), Out: h.out})
	if err != nil {
		<-h.starts
		h.log.Warn("cannot run the hook", "hook", h.cmd, "action", action, "error", err)
		return
	}
	h.log.Debug("hook started", "hook", h.cmd, "action", action, "args", args)
	go func() {
		p.wait()
		<-h.starts
	}()
}

// stop makes later calls of run do nothing, and drops the calls still
// waiting for a slot.
func (h *hookRunner) stop() {
	if h != nil {
		close(h.done)
	}
}
