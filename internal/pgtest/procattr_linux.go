package pgtest

import "syscall"

// procAttr runs a server program as cred in a process group of its own,
// killed by the kernel if the test process dies (Pdeathsig is Linux's).
func procAttr(cred *syscall.Credential) *syscall.SysProcAttr {
	return &syscall.SysProcAttr{Credential: cred, Setpgid: true, Pdeathsig: syscall.SIGKILL}
}
