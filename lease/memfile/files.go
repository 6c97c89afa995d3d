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
	ents, err := os.ReadDir(f.dir())
	if err != nil {
		return nil, fmt.Errorf("list lease store directory: %w", err)
	}
	prefix := filepath.Base(f.base) + ".j"
	var seqs []uint64
	for _, e := range ents {
		name := e.Name()
		rest, ok := strings.CutPrefix(name, prefix)
		if !ok || len(rest) != 16 || !e.Type().IsRegular() {
			continue
		}
		seq, err := strconv.ParseUint(rest, 16, 64)
		if err != nil {
			continue
		}
		seqs = append(seqs, seq)
	}
	slices.Sort(seqs)
	return seqs, nil
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

// lockFile is an exclusive flock on the store's lock file, held for the
// life of a writable Store. The file holds the holder's process id so that
// the refusal can name it.
type lockFile struct{ f *os.File }

func acquireLock(path string) (*lockFile, error) {
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE, 0o640)
	if err != nil {
		return nil, fmt.Errorf("open lock file: %w", err)
	}
	if err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB); err != nil {
		holder, _ := os.ReadFile(path)
		f.Close()
		if errors.Is(err, syscall.EWOULDBLOCK) {
			who := "another process"
			if pid := strings.TrimSpace(string(holder)); pid != "" {
				who = "process " + pid
			}
			return nil, fmt.Errorf("%s is held by %s (a running server?): %w", path, who, ErrLocked)
		}
		return nil, fmt.Errorf("lock %s: %w", path, err)
	}
	if err := f.Truncate(0); err == nil {
		f.WriteAt([]byte(strconv.Itoa(os.Getpid())+"\n"), 0)
	}
	return &lockFile{f: f}, nil
}

func (l *lockFile) release() error {
	l.f.Truncate(0)
	return l.f.Close() // closing the last descriptor drops the flock
}
