//go:build !unix

package leasefile

import "io/fs"

// openNonblock is 0 where there are no FIFOs to wait on.
const openNonblock = 0

// checkOwner checks nothing where permissions are not Unix modes.
func checkOwner(string, fs.FileInfo) error { return nil }
