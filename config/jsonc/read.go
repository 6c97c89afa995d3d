package jsonc

import (
	"fmt"
	"io"
	"os"
	"time"
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

// tooLargeError is returned for a file that would take the
// configuration past its size limit: it holds size bytes (more than
// left when size is -1: it was not read to its end) and left bytes of
// the limit were left.
type tooLargeError struct{ size, left int64 }

func (e *tooLargeError) Error() string {
	if e.size < 0 {
		return fmt.Sprintf("it holds more than the %d bytes that were left", e.left)
	}
	return fmt.Sprintf("it holds %d bytes; %d were left", e.size, e.left)
}

// notRegularError is returned for a path that is not a regular file (a
// FIFO, a device, a directory, a socket).
type notRegularError struct{ kind string }

func (e *notRegularError) Error() string { return "not a regular file: " + e.kind }

// readRegular reads at most limit bytes of the regular file name. The
// file is opened without blocking, so that opening a FIFO does not wait
// for a writer, and refused when it is anything but a regular file. The
// whole read is abandoned after timeout.
func readRegular(name string, limit int64, timeout time.Duration) ([]byte, error) {
	return withDeadline(timeout, func() ([]byte, error) { return readLimited(name, limit) })
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

func readLimited(name string, limit int64) ([]byte, error) {
	f, err := os.OpenFile(name, os.O_RDONLY|openNonblock, 0)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return nil, err
	}
	if !fi.Mode().IsRegular() {
		return nil, &notRegularError{fileKind(fi.Mode())}
	}
	if fi.Size() > limit {
		return nil, &tooLargeError{fi.Size(), limit}
	}
	// A file may grow while it is read, and some (in /proc) report no
	// size at all: the limit is enforced on what is read.
	data, err := io.ReadAll(io.LimitReader(f, limit+1))
	if err != nil {
		return nil, err
	}
	if int64(len(data)) > limit {
		return nil, &tooLargeError{-1, limit}
	}
	return data, nil
}

func fileKind(m os.FileMode) string {
	switch {
	case m.IsDir():
		return "a directory"
	case m&os.ModeNamedPipe != 0:
		return "a FIFO"
	case m&os.ModeSocket != 0:
		return "a socket"
	case m&os.ModeCharDevice != 0:
		return "a character device"
	case m&os.ModeDevice != 0:
		return "a block device"
	}
	return "type " + m.Type().String()
}
