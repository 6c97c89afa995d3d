//go:build unix

package leasefile

import (
	"bytes"
	"errors"
	"log/slog"
	"os"
	"strings"
	"syscall"
	"testing"
	"time"
)

// TestDirNonRegular puts what is not a regular file where a lease file
// belongs: a FIFO (whose open for reading would wait for a writer forever,
// holding the directory's lock), a directory, a symlink to a device. Load
// refuses each at once and moves it aside with one log line, like a
// corrupt record, so that the interface starts afresh and its next Save
// works.
func TestDirNonRegular(t *testing.T) {
	d, err := Open(t.TempDir(), quiet())
	if err != nil {
		t.Fatal(err)
	}
	var logs bytes.Buffer
	d.log = slog.New(slog.NewTextHandler(&logs, nil))
	if err := syscall.Mkfifo(d.File("fifo0"), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.Mkdir(d.File("dir0"), 0o700); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink("/dev/zero", d.File("dev0")); err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{"fifo0", "dir0", "dev0"} {
		done := make(chan error, 1)
		go func() {
			_, err := d.Load(name)
			done <- err
		}()
		select {
		case err = <-done:
		case <-time.After(10 * time.Second):
			// Let the blocked open return, then fail.
			if f, err := os.OpenFile(d.File(name), os.O_WRONLY|syscall.O_NONBLOCK, 0); err == nil {
				f.Close()
			}
			<-done
			t.Fatalf("%s: Load still waiting after 10 s", name)
		}
		if !errors.Is(err, ErrCorrupt) || !strings.Contains(err.Error(), "not a regular file") {
			t.Errorf("%s: Load = %v, want ErrCorrupt naming a non-regular file", name, err)
		}
		if _, err := os.Lstat(d.File(name) + CorruptSuffix); err != nil {
			t.Errorf("%s: not moved aside: %v", name, err)
		}
		r := sampleRecord()
		r.Interface = name
		if err := d.Save(r); err != nil {
			t.Errorf("%s: Save after the entry was moved aside: %v", name, err)
		}
		if got, err := d.Load(name); err != nil || got.Interface != name {
			t.Errorf("%s: Load after Save = %v, %v", name, got, err)
		}
	}
	if n := strings.Count(logs.String(), "\n"); n != 3 {
		t.Errorf("%d log lines for 3 entries moved aside:\n%s", n, logs.String())
	}
}

// TestOpenRefusesForeignDirectory: a lease directory that group or others
// may write to, or that another user owns, is refused with the reason, as
// is a file in its place; the directory Open creates itself is 0700.
func TestOpenRefusesForeignDirectory(t *testing.T) {
	base := t.TempDir()
	fresh := base + "/new/leases"
	if _, err := Open(fresh, quiet()); err != nil {
		t.Fatal(err)
	}
	if fi, err := os.Stat(fresh); err != nil || fi.Mode().Perm() != 0o700 {
		t.Errorf("created directory: %v %v", fi.Mode(), err)
	}
	open := base + "/open"
	os.Mkdir(open, 0o700)
	os.Chmod(open, 0o777)
	if _, err := Open(open, quiet()); err == nil || !strings.Contains(err.Error(), "writable by group or others") {
		t.Errorf("Open of a mode 0777 directory = %v", err)
	}
	os.Chmod(open, 0o775)
	if _, err := Open(open, quiet()); err == nil {
		t.Error("Open of a group-writable directory succeeded")
	}
	os.Chmod(open, 0o755)
	if _, err := Open(open, quiet()); err != nil {
		t.Errorf("Open of a mode 0755 directory: %v", err)
	}
	file := base + "/file"
	os.WriteFile(file, nil, 0o600)
	if _, err := Open(file, quiet()); err == nil {
		t.Error("Open of a regular file succeeded")
	}
	if os.Geteuid() == 0 {
		other := base + "/other"
		os.Mkdir(other, 0o700)
		if err := os.Chown(other, 65534, 65534); err != nil {
			t.Fatal(err)
		}
		if _, err := Open(other, quiet()); err == nil || !strings.Contains(err.Error(), "belongs to user 65534") {
			t.Errorf("Open of another user's directory = %v", err)
		}
	}
}
