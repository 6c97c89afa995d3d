//go:build !linux && !darwin

package memfile

import "os"

// fdatasync makes f's data durable. Systems other than Linux and macOS
// (FreeBSD among them) get fsync(2) through File.Sync, which also flushes
// the file's metadata.
func fdatasync(f *os.File) error { return f.Sync() }
