package memfile

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"syscall"

	"github.com/leased/leased/internal/regularfile"
)

// files names the files of a store whose lease-database name is base.
type files struct{ base string }

func (f files) dir() string         { return filepath.Dir(f.base) }
func (f files) snapshot() string    { return f.base + ".snap" }
func (f files) snapshotTmp() string { return f.base + ".snap.tmp" }
func (f files) lock() string        { return f.base + ".lock" }
func (f files) quarantine() string  { return f.base + ".corrupt" }
func (f files) segment(seq uint64) string {
	return fmt.Sprintf("%s.j%016x", f.base, seq)
}

// segments lists the sequence numbers of the journal segments, ascending.
func (f files) segments() ([]uint64, error) {
	seqs, _, err := f.segmentEntries()
	return seqs, err
}

// segmentEntries lists the sequence numbers of the journal segments,
// ascending, and the names of entries that are named like a segment but
// are not a regular file (a directory, a symbolic link, a device), which
// cannot be read as one.
func (f files) segmentEntries() (seqs []uint64, odd []string, err error) {
	ents, err := os.ReadDir(f.dir())
	if err != nil {
		return nil, nil, fmt.Errorf("list lease store directory: %w", err)
	}
	prefix := filepath.Base(f.base) + ".j"
	for _, e := range ents {
		name := e.Name()
		rest, ok := strings.CutPrefix(name, prefix)
		if !ok || len(rest) != 16 {
			continue
		}
		seq, err := strconv.ParseUint(rest, 16, 64)
		if err != nil {
			continue
		}
		if !e.Type().IsRegular() {
			odd = append(odd, filepath.Join(f.dir(), name))
			continue
		}
		seqs = append(seqs, seq)
	}
	slices.Sort(seqs)
	return seqs, odd, nil
}

// syncDir makes the directory entries of dir (creations, renames,
// removals) durable.
func syncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return fmt.Errorf("open directory for fsync: %w", err)
	}
	err = d.Sync()
	if cerr := d.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return fmt.Errorf("fsync directory %s: %w", dir, err)
	}
	return nil
}

// ErrLocked is returned by Open when another process holds the store.
var ErrLocked = errors.New("lease store in use by another process")

// lockFile is an exclusive flock on the store's directory, held for the
// life of a writable Store. The lock is on the directory itself, not on a
// file in it: a lock file that someone deletes takes its lock with it, and
// the next process would create a new one and write the same journal. The
// lock file only names the holder's process id, so that the refusal can
// name it; it is not held open. One directory therefore holds one
// writable store.
type lockFile struct {
	dir  *os.File
	path string // the file naming the holder's pid, removed on release
}

func acquireLock(dir, path string) (*lockFile, error) {
	d, err := os.Open(dir)
	if err != nil {
		return nil, fmt.Errorf("open lease store directory to lock it: %w", err)
	}
	if err := syscall.Flock(int(d.Fd()), syscall.LOCK_EX|syscall.LOCK_NB); err != nil {
		d.Close()
		if errors.Is(err, syscall.EWOULDBLOCK) {
			who := "another process"
			if holder, _ := readPid(path); len(holder) > 0 {
				if pid := strings.TrimSpace(string(holder)); pid != "" {
					who = "process " + pid + " (its pid in " + path + ")"
				}
			}
			return nil, fmt.Errorf("lease store directory %s is locked by %s; a running server? one directory holds one lease store: %w", dir, who, ErrLocked)
		}
		return nil, fmt.Errorf("lock lease store directory %s: %w", dir, err)
	}
	// Best effort: the pid only makes a refusal clearer.
	if f, err := regularfile.Open(path, os.O_WRONLY|os.O_CREATE|os.O_TRUNC, 0o640); err == nil {
		f.WriteString(strconv.Itoa(os.Getpid()) + "\n")
		f.Close()
	}
	return &lockFile{dir: d, path: path}, nil
}

// readPid reads the first bytes of the lock file, whatever it is.
func readPid(path string) ([]byte, error) {
	f, err := regularfile.Open(path, os.O_RDONLY, 0)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	b := make([]byte, 32)
	n, _ := f.Read(b)
	return b[:n], nil
}

func (l *lockFile) release() error {
	os.Remove(l.path)
	return l.dir.Close() // closing the last descriptor drops the flock
}
