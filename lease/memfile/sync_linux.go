package memfile

import (
	"errors"
	"os"
	"syscall"
)

// fdatasync makes f's data durable. On Linux fdatasync(2) does it without
// also flushing metadata that reading the data back does not need (such
// as the modification time).
func fdatasync(f *os.File) error {
	for {
		err := syscall.Fdatasync(int(f.Fd()))
		if !errors.Is(err, syscall.EINTR) {
			return err
		}
	}
}
