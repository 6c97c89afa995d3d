//go:build unix

package jsonc

import "syscall"

// openNonblock keeps opening a FIFO from waiting for a writer.
const openNonblock = syscall.O_NONBLOCK
