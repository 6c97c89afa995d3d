package jsonc

import (
	"fmt"
	"time"

	"github.com/leased/leased/internal/regularfile"
)

// MaxTotalSize bounds the bytes of a configuration: the named file and
// every file it includes, together. A configuration that needs more is
// refused at the include (or the file) that goes past it, so that a
// mistaken include of a device such as /dev/zero, or of a huge file,
// cannot exhaust the server's memory.
const MaxTotalSize = 64 << 20

// ReadTimeout bounds how long reading one file (opening it included) may
// take. Only regular files are read, which do not block forever; the
// deadline is a second guard for files on a mount that stopped
// answering.
const ReadTimeout = 30 * time.Second

// readRegular reads at most limit bytes of the regular file name (see
// regularfile.ReadLimited: a FIFO, a device or a directory is refused
// without waiting or reading). The whole read is abandoned after
// timeout.
func readRegular(name string, limit int64, timeout time.Duration) ([]byte, error) {
	return withDeadline(timeout, func() ([]byte, error) { return regularfile.ReadLimited(name, limit) })
}

// withDeadline returns what read returns, or an error once timeout has
// passed without an answer.
func withDeadline(timeout time.Duration, read func() ([]byte, error)) ([]byte, error) {
	type result struct {
		data []byte
		err  error
	}
	// Buffered: a read that outlives the deadline finishes, and closes
	// its file, without anyone waiting for it.
	done := make(chan result, 1)
	go func() {
		data, err := read()
		done <- result{data, err}
	}()
	t := time.NewTimer(timeout)
	defer t.Stop()
	select {
	case r := <-done:
		return r.data, r.err
	case <-t.C:
		return nil, fmt.Errorf("not read within %v", timeout)
	}
}
