//go:build unix

package leasefile

import (
	"fmt"
	"io/fs"
	"os"
	"syscall"
)

// checkOwner refuses a lease directory that someone other than this
// process's user could write to: whoever writes a lease file there
// chooses the address, routes and DNS servers the client manager applies
// when it resumes the lease.
func checkOwner(path string, fi fs.FileInfo) error {
	st, ok := fi.Sys().(*syscall.Stat_t)
	if ok && int(st.Uid) != os.Geteuid() {
		return fmt.Errorf("lease directory %s belongs to user %d, not to this process's user %d: its owner could write leases this client would apply", path, st.Uid, os.Geteuid())
	}
	if fi.Mode().Perm()&0o022 != 0 {
		return fmt.Errorf("lease directory %s has mode %04o, writable by group or others, who could write leases this client would apply (chmod go-w)", path, fi.Mode().Perm())
	}
	return nil
}
