package meshd

import (
	"io"
	"log/slog"
	"os/exec"
)

// hookRunner calls ddhcpd's hook (-H): `/bin/sh -e -- COMMAND ACTION
// ARGS...`, in the background; the exit status is ignored, as in ddhcpd.
// A nil hookRunner, or one without a command, does nothing.
type hookRunner struct {
	cmd    string
	out    io.Writer // the hook's stdout and stderr
	log    *slog.Logger
	done   chan struct{} // closed by stop: no new hooks
	starts chan struct{} // bounds the hooks running at once
}

// maxHooks bounds the hook processes running at once; more wait.
const maxHooks = 16

func newHookRunner(cmd string, out io.Writer, log *slog.Logger) *hookRunner {
	if cmd == "" {
		return nil
	}
	return &hookRunner{cmd: cmd, out: out, log: log, done: make(chan struct{}), starts: make(chan struct{}, maxHooks)}
}

// run starts the hook with action and args and returns without waiting
// for it to finish.
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
	case <-h.done:
		return
	case h.starts <- struct{}{}:
	}
	cmd := exec.Command("/bin/sh", append([]string{"-e", "--", h.cmd, action}, args...)...)
	cmd.Stdout, cmd.Stderr = h.out, h.out
	if err := cmd.Start(); err != nil {
		<-h.starts
		h.log.Warn("cannot run the hook", "hook", h.cmd, "action", action, "error", err)
		return
	}
	h.log.Debug("hook started", "hook", h.cmd, "action", action, "args", args)
	go func() {
		cmd.Wait()
		<-h.starts
	}()
}

// stop makes later calls of run do nothing.
func (h *hookRunner) stop() {
	if h != nil {
		close(h.done)
	}
}
