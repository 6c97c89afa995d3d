//go:build !linux

package mysqltest

import "syscall"

// procAttr runs a server program as cred in a process group of its own.
// Outside Linux nothing kills it if the test process dies; Close and Stop
// still do.
func procAttr(cred *syscall.Credential) *syscall.SysProcAttr {
	return &syscall.SysProcAttr{Credential: cred, Setpgid: true}
}
