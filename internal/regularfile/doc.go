// Package regularfile opens and reads files that must be regular files:
// a configuration and its includes, a lease file, a lease store's files,
// a mesh node's claims, a PID file.
//
// It exists because a FIFO or a device put where such a file belongs
// (by mistake, or through a symlink) must neither hang the program nor
// feed it endless bytes. Opening a FIFO for reading waits for a writer
// forever, and a read of /dev/zero never ends. [Open] therefore opens
// without blocking and refuses anything but a regular file, before a
// single byte is read; [ReadLimited] also stops at a limit, enforced on
// what is read, since a file may grow while it is read and files in
// /proc report no size at all.
//
// Refusals are a [*NotRegularError] (naming what the file is) or a
// [*TooLargeError], inside an [*fs.PathError] naming the file, so that
// callers can find them with errors.As and say what they mean in their
// own words.
//
// Production packages of every layer may import this one: it imports
// nothing of the module.
package regularfile
