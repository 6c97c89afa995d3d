package pidfile

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"

	"github.com/leased/leased/internal/regularfile"
)

// Name returns the PID file name Kea would use for a configuration,
// with leased in place of kea-dhcp4: dir/<config base name without its
// extension>.leased.pid, e.g. /run/leased/kea-dhcp4.leased.pid for
// /etc/kea/kea-dhcp4.conf.
func Name(dir, configFile string) string {
	base := filepath.Base(configFile)
	base = strings.TrimSuffix(base, filepath.Ext(base))
	return filepath.Join(dir, base+".leased.pid")
}

// RunningError says that the PID file names a live leased.
type RunningError struct {
	Path string
	PID  int
	// Unverified is set when the process could not be inspected and is
	// assumed to be a leased to be safe.
	Unverified bool
}

func (e *RunningError) Error() string {
	if e.Unverified {
		return fmt.Sprintf("%s names process %d, which is alive and could not be checked: assuming leased is already running", e.Path, e.PID)
	}
	return fmt.Sprintf("leased is already running as process %d (PID file %s)", e.PID, e.Path)
}

// Options tune Create.
type Options struct {
	// IsLeased reports whether a live process is a leased, and whether
	// that could be found out. nil checks /proc: the process runs the
	// same executable as this one, or its argv[0] is named "leased".
	IsLeased func(pid int) (leased, known bool)
}

// File is a PID file held by this process.
type File struct {
	path string
	f    *os.File
	ino  uint64
}

// Create writes this process's PID to path and keeps it locked until
// Remove. If the file names another live leased, Create fails with a
// *RunningError; if it names a dead process or one that is not a leased
// (the PID was reused), or holds no PID, it is stale and replaced.
// Another leased that holds the lock is found even before it has written
// its PID. Anything but a regular file at path (a FIFO, a directory; a
// symlink is not followed) is refused.
func Create(path string, opts Options) (*File, error) {
	if opts.IsLeased == nil {
		opts.IsLeased = procIsLeased
	}
	// regularfile.Open: a FIFO put where the PID file belongs must not
	// make the read below wait forever for a writer (SIGTERM could not
	// stop a start stuck there); it is refused as not a regular file.
	f, err := regularfile.Open(path, os.O_RDWR|os.O_CREATE|syscall.O_NOFOLLOW, 0o644)
	var nr *regularfile.NotRegularError
	if errors.As(err, &nr) {
		return nil, fmt.Errorf("PID file %s is not a regular file (%v); remove it", path, nr.Mode.Type())
	} else if err != nil {
		return nil, fmt.Errorf("PID file: %w", err)
	}
	fail := func(err error) (*File, error) {
		f.Close()
		return nil, err
	}
	content, err := io.ReadAll(io.LimitReader(f, 64))
	if err != nil {
		return fail(fmt.Errorf("PID file %s: %w", path, err))
	}
	pid := parsePID(content)
	if err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB); err != nil {
		if errors.Is(err, syscall.EWOULDBLOCK) {
			return fail(&RunningError{Path: path, PID: pid})
		}
		return fail(fmt.Errorf("PID file %s: locking: %w", path, err))
	}
	// Read again under the lock: the previous holder may have written
	// between our read and our lock.
	if _, err := f.Seek(0, io.SeekStart); err != nil {
		return fail(fmt.Errorf("PID file %s: %w", path, err))
	}
	if content, err = io.ReadAll(io.LimitReader(f, 64)); err != nil {
		return fail(fmt.Errorf("PID file %s: %w", path, err))
	}
	if pid = parsePID(content); pid > 0 && pid != os.Getpid() && alive(pid) {
		leased, known := opts.IsLeased(pid)
		if leased || !known {
			return fail(&RunningError{Path: path, PID: pid, Unverified: !known})
		}
	}
	if err := f.Truncate(0); err != nil {
		return fail(fmt.Errorf("PID file %s: %w", path, err))
	}
	if _, err := f.WriteAt([]byte(strconv.Itoa(os.Getpid())+"\n"), 0); err != nil {
		return fail(fmt.Errorf("PID file %s: %w", path, err))
	}
	if err := f.Sync(); err != nil {
		return fail(fmt.Errorf("PID file %s: %w", path, err))
	}
	var ino uint64
	if fi, err := f.Stat(); err == nil {
		if st, ok := fi.Sys().(*syscall.Stat_t); ok {
			ino = st.Ino
		}
	}
	return &File{path: path, f: f, ino: ino}, nil
}

// Path returns the file's path.
func (p *File) Path() string { return p.path }

// Remove deletes the PID file, if it is still the one this process
// created, and releases the lock. It is safe to call more than once.
func (p *File) Remove() error {
	if p == nil || p.f == nil {
		return nil
	}
	var err error
	if fi, serr := os.Lstat(p.path); serr == nil {
		if st, ok := fi.Sys().(*syscall.Stat_t); ok && st.Ino == p.ino {
			err = os.Remove(p.path)
		}
	}
	if cerr := p.f.Close(); err == nil {
		err = cerr
	}
	p.f = nil
	if err != nil {
		return fmt.Errorf("removing PID file: %w", err)
	}
	return nil
}

func parsePID(b []byte) int {
	n, err := strconv.Atoi(string(bytes.TrimSpace(b)))
	if err != nil || n <= 0 {
		return 0
	}
	return n
}

// alive reports whether a process exists (EPERM means it does, owned by
// someone else).
func alive(pid int) bool {
	err := syscall.Kill(pid, 0)
	return err == nil || errors.Is(err, syscall.EPERM)
}

// procIsLeased compares the process's executable with ours, and failing
// that looks at its argv[0].
func procIsLeased(pid int) (leased, known bool) {
	proc := "/proc/" + strconv.Itoa(pid)
	self, err := os.Readlink("/proc/self/exe")
	other, oerr := os.Readlink(proc + "/exe")
	if err == nil && oerr == nil {
		// An upgraded binary shows as "path (deleted)".
		if strings.TrimSuffix(other, " (deleted)") == strings.TrimSuffix(self, " (deleted)") {
			return true, true
		}
	}
	if errors.Is(oerr, fs.ErrNotExist) {
		// A kernel thread or a zombie: no executable, not a leased.
		return false, true
	}
	cmdline, err := os.ReadFile(proc + "/cmdline")
	if err != nil || len(cmdline) == 0 {
		return false, oerr == nil
	}
	argv0, _, _ := bytes.Cut(cmdline, []byte{0})
	name := filepath.Base(string(argv0))
	if name == "leased" || (len(os.Args) > 0 && name == filepath.Base(os.Args[0])) {
		return true, true
	}
	return false, true
}
