package memfile

import (
	"errors"
	"os"

	"golang.org/x/sys/unix"
)

// fdatasync makes f's data durable. On macOS fsync(2) only hands the data
// to the drive, which may keep it in its volatile cache; F_FULLFSYNC asks
// the drive to write it to stable storage. File systems that do not
// support F_FULLFSYNC (some network and FUSE file systems) get fsync.
func fdatasync(f *os.File) error {
	for {
		_, err := unix.FcntlInt(f.Fd(), unix.F_FULLFSYNC, 0)
		switch {
		case err == nil:
			return nil
		case errors.Is(err, unix.EINTR):
			continue
		case errors.Is(err, unix.ENOTSUP), errors.Is(err, unix.EINVAL), errors.Is(err, unix.ENOTTY):
			return f.Sync()
		}
		return err
	}
}
