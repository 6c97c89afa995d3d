package regularfile

import (
	"fmt"
	"io"
	"io/fs"
	"math"
	"os"
)

// NotRegularError says that a file is not a regular file. Mode is its
// mode as the open file reported it.
type NotRegularError struct{ Mode fs.FileMode }

func (e *NotRegularError) Error() string { return "not a regular file but " + e.Kind() }

// Kind names what the file is instead, with an article: "a directory",
// "a named pipe (FIFO)", "a character device".
func (e *NotRegularError) Kind() string {
	m := e.Mode
	switch {
	case m.IsDir():
		return "a directory"
	case m&fs.ModeNamedPipe != 0:
		return "a named pipe (FIFO)"
	case m&fs.ModeSocket != 0:
		return "a socket"
	case m&fs.ModeCharDevice != 0:
		return "a character device"
	case m&fs.ModeDevice != 0:
		return "a block device"
	case m&fs.ModeSymlink != 0:
		return "a symbolic link"
	}
	return "a special file"
}

// TooLargeError says that a file holds more than Limit bytes. Size is
// how many it holds, or -1 when that is unknown: the file reported a
// size within the limit (or none, as files in /proc do) but held more
// when it was read.
type TooLargeError struct{ Size, Limit int64 }

func (e *TooLargeError) Error() string {
	if e.Size < 0 {
		return fmt.Sprintf("more than %d bytes, the limit", e.Limit)
	}
	return fmt.Sprintf("%d bytes, more than the limit of %d", e.Size, e.Limit)
}

// Open opens name as os.OpenFile(name, flag, perm) does, with O_NONBLOCK
// added where the system has it, so that the open of a FIFO does not wait
// for a writer. Anything but a regular file (followed through symlinks
// unless flag says otherwise) is closed again and refused with a
// *NotRegularError inside an *fs.PathError. O_NONBLOCK does not change
// how a regular file is read or written.
func Open(name string, flag int, perm fs.FileMode) (*os.File, error) {
	f, _, err := open(name, flag, perm)
	return f, err
}

// open is Open that also returns the file's FileInfo, which it needs to
// check the file's type anyway.
func open(name string, flag int, perm fs.FileMode) (*os.File, fs.FileInfo, error) {
	f, err := os.OpenFile(name, flag|openNonblock, perm)
	if err != nil {
		return nil, nil, err
	}
	fi, err := f.Stat()
	if err != nil {
		f.Close()
		return nil, nil, err
	}
	if !fi.Mode().IsRegular() {
		f.Close()
		return nil, nil, &fs.PathError{Op: "open", Path: name, Err: &NotRegularError{fi.Mode()}}
	}
	return f, fi, nil
}

// ReadLimited reads the regular file name, opened with Open, if it holds
// at most limit bytes. A larger one is refused with a *TooLargeError
// inside an *fs.PathError: at once when its size says so, else once
// limit bytes have been read and there is more.
func ReadLimited(name string, limit int64) ([]byte, error) {
	data, _, err := ReadFile(name, limit)
	return data, err
}

// ReadFile is ReadLimited that also returns the FileInfo of the file it
// read, as it was when opened.
func ReadFile(name string, limit int64) ([]byte, fs.FileInfo, error) {
	f, fi, err := open(name, os.O_RDONLY, 0)
	if err != nil {
		return nil, nil, err
	}
	defer f.Close()
	if fi.Size() > limit {
		return nil, nil, &fs.PathError{Op: "read", Path: name, Err: &TooLargeError{fi.Size(), limit}}
	}
	// One byte past the limit tells a file that grew past it from one
	// that ends there.
	r := io.LimitReader(f, limit)
	if limit < math.MaxInt64 {
		r = io.LimitReader(f, limit+1)
	}
	data, err := readAll(r, fi.Size())
	if err != nil {
		return nil, nil, err
	}
	if int64(len(data)) > limit {
		return nil, nil, &fs.PathError{Op: "read", Path: name, Err: &TooLargeError{-1, limit}}
	}
	return data, fi, nil
}

// readAll reads r to its end into a buffer sized for a file of size
// bytes, so that a file that does not change is read without copying.
func readAll(r io.Reader, size int64) ([]byte, error) {
	// The byte past the size lets the read that returns io.EOF happen
	// without growing the buffer.
	data := make([]byte, 0, max(size, 511)+1)
	for {
		if len(data) == cap(data) {
			data = append(data, 0)[:len(data)]
		}
		n, err := r.Read(data[len(data):cap(data)])
		data = data[:len(data)+n]
		if err == io.EOF {
			return data, nil
		}
		if err != nil {
			return data, err
		}
	}
}
