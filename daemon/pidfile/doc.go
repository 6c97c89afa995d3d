// Package pidfile keeps the PID file that stops a second leased from
// serving the same configuration.
//
// [Create] writes the process's PID and holds an exclusive lock on the
// file for the life of the process. A file naming another live leased —
// one holding the lock, or a live process running the same executable or
// called "leased" — makes Create fail with a [*RunningError]. A file
// naming a dead process, or a live one that is not a leased (its PID was
// reused after a crash), is stale and is replaced. [File.Remove] deletes
// the file on shutdown, and only if it is still the one this process
// wrote. [Name] gives the file name Kea's kea-dhcp4 would use for a
// configuration file.
package pidfile
