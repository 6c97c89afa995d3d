package leasefile

import (
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"sync"

	"github.com/leased/leased/client"
	"github.com/leased/leased/internal/regularfile"
)

// Suffixes of the files in a lease directory.
const (
	Suffix        = ".v4.lease"
	TempSuffix    = ".tmp"
	CorruptSuffix = ".corrupt"
)

// Dir is a directory of lease files, one per interface. Its methods may be
// called from several goroutines; calls for one interface are serialised.
type Dir struct {
	path string
	log  *slog.Logger
	mu   sync.Mutex

	// hook, when set by tests, is called at each step of Save; an error
	// stops Save right there, as a crash would, leaving the files as they
	// are.
	hook func(step string) error
}

// Save steps, for the test hook.
const (
	stepCreated = "created"
	stepWritten = "written"
	stepSynced  = "synced"
	stepRenamed = "renamed"
)

// Open returns the lease directory at path, creating it with mode 0700 if
// it does not exist. On Unix, a directory that another user owns or that
// group or others may write to is refused: a lease file planted there
// would choose the address, routes and DNS servers the client applies.
func Open(path string, log *slog.Logger) (*Dir, error) {
	if log == nil {
		log = slog.Default()
	}
	if err := os.MkdirAll(path, 0o700); err != nil {
		return nil, fmt.Errorf("lease directory: %w", err)
	}
	fi, err := os.Stat(path)
	if err != nil {
		return nil, fmt.Errorf("lease directory: %w", err)
	}
	if !fi.IsDir() {
		return nil, fmt.Errorf("lease directory %s is not a directory", path)
	}
	if err := checkOwner(path, fi); err != nil {
		return nil, err
	}
	return &Dir{path: path, log: log}, nil
}

// Path returns the directory.
func (d *Dir) Path() string { return d.path }

// File returns the path of the lease file of iface.
func (d *Dir) File(iface string) string { return filepath.Join(d.path, iface+Suffix) }

// Save stores r atomically as the lease of r.Interface.
func (d *Dir) Save(r *Record) error {
	b, err := Marshal(r)
	if err != nil {
		return err
	}
	return d.saveFile(r.Interface, d.File(r.Interface), b)
}

// saveFile writes b atomically to final, a lease file of iface.
func (d *Dir) saveFile(iface, final string, b []byte) error {
	d.mu.Lock()
	defer d.mu.Unlock()
	tmp := final + TempSuffix
	// A temporary file left by a crash is stale: nobody else writes here.
	if err := os.Remove(tmp); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("saving lease of %s: %w", iface, err)
	}
	f, err := os.OpenFile(tmp, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return fmt.Errorf("saving lease of %s: %w", iface, err)
	}
	if err := d.step(stepCreated); err != nil {
		f.Close()
		return err
	}
	if _, err := f.Write(b); err != nil {
		f.Close()
		os.Remove(tmp)
		return fmt.Errorf("saving lease of %s: %w", iface, err)
	}
	if err := d.step(stepWritten); err != nil {
		f.Close()
		return err
	}
	if err := f.Sync(); err != nil {
		f.Close()
		os.Remove(tmp)
		return fmt.Errorf("saving lease of %s: fsync: %w", iface, err)
	}
	if err := f.Close(); err != nil {
		os.Remove(tmp)
		return fmt.Errorf("saving lease of %s: %w", iface, err)
	}
	if err := d.step(stepSynced); err != nil {
		return err
	}
	if err := os.Rename(tmp, final); err != nil {
		os.Remove(tmp)
		return fmt.Errorf("saving lease of %s: %w", iface, err)
	}
	if err := d.step(stepRenamed); err != nil {
		return err
	}
	return d.syncDir()
}

func (d *Dir) step(s string) error {
	if d.hook != nil {
		return d.hook(s)
	}
	return nil
}

// syncDir makes a rename or removal in the directory durable.
func (d *Dir) syncDir() error {
	f, err := os.Open(d.path)
	if err != nil {
		return fmt.Errorf("lease directory: %w", err)
	}
	defer f.Close()
	if err := f.Sync(); err != nil {
		return fmt.Errorf("lease directory: fsync: %w", err)
	}
	return nil
}

// Load reads the lease of iface. It returns an error wrapping
// fs.ErrNotExist when there is none. A file that does not hold a valid
// record of iface, or is not a regular file at all, is moved to
// <file>.corrupt with one error log line, and Load returns an error
// wrapping ErrCorrupt or ErrVersion.
func (d *Dir) Load(iface string) (*Record, error) {
	if !ValidInterfaceName(iface) {
		return nil, fmt.Errorf("interface name %q is not valid", iface)
	}
	var r *Record
	err := d.loadFile(iface, d.File(iface), func(b []byte) (string, error) {
		var err error
		r, err = Unmarshal(b)
		if err != nil {
			return "", err
		}
		return r.Interface, nil
	})
	if err != nil {
		return nil, err
	}
	return r, nil
}

// loadFile reads the lease file name of iface and decodes it with decode,
// which returns the interface the record names. A file that cannot be
// read as a record of iface is moved aside.
func (d *Dir) loadFile(iface, name string, decode func([]byte) (string, error)) error {
	d.mu.Lock()
	defer d.mu.Unlock()
	b, err := readLimited(name)
	if err != nil && !errors.Is(err, ErrCorrupt) {
		return err
	}
	if err == nil {
		var got string
		got, err = decode(b)
		if err == nil && got != iface {
			err = corrupt("record of interface %q in the file of %q", got, iface)
		}
	}
	if err != nil {
		aside := name + CorruptSuffix
		if rerr := os.Rename(name, aside); rerr != nil {
			d.log.Error("lease file unusable and could not be moved aside", "interface", iface, "file", name, "error", err, "rename-error", rerr)
			return fmt.Errorf("lease of %s: %w", iface, err)
		}
		_ = d.syncDir()
		d.log.Error("lease file unusable, moved aside", "interface", iface, "file", name, "moved-to", aside, "error", err)
		return fmt.Errorf("lease of %s: %w", iface, err)
	}
	return nil
}

// readLimited reads the lease file name. Something other than a regular
// file there (a directory, a FIFO, a device behind a symlink) is refused as
// corrupt, so that Load moves it aside; it is opened without blocking,
// since opening a FIFO for reading would wait for a writer forever, with
// the directory's lock held. A file longer than any record is read only
// far enough to be refused as corrupt too.
func readLimited(name string) ([]byte, error) {
	b, err := regularfile.ReadLimited(name, MaxRecordLen)
	var nr *regularfile.NotRegularError
	var tl *regularfile.TooLargeError
	switch {
	case errors.As(err, &nr):
		return nil, corrupt("not a regular file but %s", nr.Kind())
	case errors.As(err, &tl) && tl.Size < 0:
		return nil, corrupt("more than %d bytes", MaxRecordLen)
	case errors.As(err, &tl):
		return nil, corrupt("%d bytes, longer than %d", tl.Size, MaxRecordLen)
	}
	return b, err
}

// Remove deletes the lease of iface; it is not an error if there is none.
func (d *Dir) Remove(iface string) error {
	if !ValidInterfaceName(iface) {
		return fmt.Errorf("interface name %q is not valid", iface)
	}
	return d.removeFile(iface, d.File(iface))
}

// removeFile removes the lease file name of iface.
func (d *Dir) removeFile(iface, name string) error {
	d.mu.Lock()
	defer d.mu.Unlock()
	if err := os.Remove(name); err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			return nil
		}
		return fmt.Errorf("removing lease of %s: %w", iface, err)
	}
	return d.syncDir()
}

// Clean removes temporary files left by a crash during Save or Save6 and
// returns the interfaces that have a (DHCPv4) lease file.
func (d *Dir) Clean() ([]string, error) {
	d.mu.Lock()
	defer d.mu.Unlock()
	ents, err := os.ReadDir(d.path)
	if err != nil {
		return nil, fmt.Errorf("lease directory: %w", err)
	}
	var ifaces []string
	for _, e := range ents {
		name := e.Name()
		switch {
		case strings.HasSuffix(name, Suffix+TempSuffix), strings.HasSuffix(name, Suffix6+TempSuffix):
			if err := os.Remove(filepath.Join(d.path, name)); err != nil && !errors.Is(err, fs.ErrNotExist) {
				return nil, fmt.Errorf("removing stale %s: %w", name, err)
			}
			d.log.Info("removed temporary lease file left by an interrupted write", "file", filepath.Join(d.path, name))
		case strings.HasSuffix(name, Suffix) && e.Type().IsRegular():
			if iface := strings.TrimSuffix(name, Suffix); ValidInterfaceName(iface) {
				ifaces = append(ifaces, iface)
			}
		}
	}
	return ifaces, nil
}

// Store adapts a Dir to client.Store for one interface: Save wraps the
// lease in a Record with the interface, hardware address and boot ID.
type Store struct {
	Dir          *Dir
	Interface    string
	HardwareAddr []byte
	BootID       [16]byte
}

// Save stores l.
func (s *Store) Save(l *client.Lease) error {
	return s.Dir.Save(&Record{Interface: s.Interface, HardwareAddr: s.HardwareAddr, BootID: s.BootID, Lease: *l})
}

// Remove deletes the stored lease.
func (s *Store) Remove() error { return s.Dir.Remove(s.Interface) }
