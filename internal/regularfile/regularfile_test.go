//go:build unix

package regularfile

import (
	"bytes"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

// within runs f, failing the test if it has not returned after 10 s (an
// open of a FIFO waiting for a writer, a read of a device that never
// ends). A FIFO at unblock is then opened for writing, so that a blocked
// open returns and the test ends.
func within(t *testing.T, what, unblock string, f func() error) error {
	t.Helper()
	done := make(chan error, 1)
	go func() { done <- f() }()
	select {
	case err := <-done:
		return err
	case <-time.After(10 * time.Second):
		if w, err := os.OpenFile(unblock, os.O_WRONLY|syscall.O_NONBLOCK, 0); err == nil {
			w.Close()
		}
		<-done
		t.Fatalf("%s still waiting after 10 s", what)
		return nil
	}
}

// TestNotRegular puts a FIFO no one writes to, a directory and
// /dev/zero, each also behind a symlink, where a file belongs: Open (to
// read and, where the system lets a file be opened so, to write) and
// ReadLimited refuse each at once with a *NotRegularError naming what it
// is, inside an *fs.PathError naming the path.
func TestNotRegular(t *testing.T) {
	dir := t.TempDir()
	fifo := filepath.Join(dir, "fifo")
	if err := syscall.Mkfifo(fifo, 0o600); err != nil {
		t.Fatal(err)
	}
	sub := filepath.Join(dir, "dir")
	if err := os.Mkdir(sub, 0o700); err != nil {
		t.Fatal(err)
	}
	targets := []struct{ path, kind string }{
		{fifo, "a named pipe (FIFO)"},
		{sub, "a directory"},
		{"/dev/zero", "a character device"},
	}
	for i, tg := range targets {
		link := filepath.Join(dir, "link"+string(rune('0'+i)))
		if err := os.Symlink(tg.path, link); err != nil {
			t.Fatal(err)
		}
		targets = append(targets, struct{ path, kind string }{link, tg.kind})
	}
	for _, tg := range targets {
		check := func(how string, err error) {
			t.Helper()
			var nr *NotRegularError
			var pe *fs.PathError
			switch {
			case !errors.As(err, &nr):
				t.Errorf("%s %s: %v; want a *NotRegularError", how, tg.path, err)
			case nr.Kind() != tg.kind:
				t.Errorf("%s %s: Kind() = %q; want %q", how, tg.path, nr.Kind(), tg.kind)
			case !errors.As(err, &pe) || pe.Path != tg.path:
				t.Errorf("%s %s: %v; want an *fs.PathError naming the path", how, tg.path, err)
			case err.Error() != "open "+tg.path+": not a regular file but "+tg.kind:
				t.Errorf("%s %s: error text %q", how, tg.path, err)
			}
		}
		openClose := func(flag int) func() error {
			return func() error {
				f, err := Open(tg.path, flag, 0)
				if err == nil {
					f.Close()
				}
				return err
			}
		}
		check("Open", within(t, "Open("+tg.path+")", fifo, openClose(os.O_RDONLY)))
		check("ReadLimited", within(t, "ReadLimited("+tg.path+")", fifo, func() error {
			_, err := ReadLimited(tg.path, 1<<20)
			return err
		}))
		if tg.kind == "a character device" {
			check("Open for writing", within(t, "Open("+tg.path+", O_WRONLY)", fifo, openClose(os.O_WRONLY)))
		}
	}
}

// TestOpenRegular: a regular file, also behind a symlink, opens with the
// flags given, for reading, writing and creating, and O_NONBLOCK changes
// nothing about reading and writing it.
func TestOpenRegular(t *testing.T) {
	dir := t.TempDir()
	name := filepath.Join(dir, "f")
	f, err := Open(name, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o640)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := f.WriteString("hello\n"); err != nil {
		t.Fatal(err)
	}
	f.Close()
	if fi, err := os.Stat(name); err != nil || fi.Mode().Perm() != 0o640 {
		t.Errorf("created file: %v, %v; want mode 0640", fi.Mode(), err)
	}
	if _, err := Open(name, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o640); !errors.Is(err, fs.ErrExist) {
		t.Errorf("O_EXCL on an existing file: %v", err)
	}
	link := filepath.Join(dir, "link")
	if err := os.Symlink(name, link); err != nil {
		t.Fatal(err)
	}
	for _, p := range []string{name, link} {
		f, err := Open(p, os.O_RDONLY, 0)
		if err != nil {
			t.Fatalf("Open(%s): %v", p, err)
		}
		b := make([]byte, 16)
		n, err := f.Read(b)
		f.Close()
		if err != nil || string(b[:n]) != "hello\n" {
			t.Errorf("read %s: %q, %v", p, b[:n], err)
		}
	}
	if _, err := Open(filepath.Join(dir, "missing"), os.O_RDONLY, 0); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("Open of a missing file: %v", err)
	}
}

// TestReadLimited reads files up to the limit and refuses one byte more,
// from the size the file reports, with that size in the error.
func TestReadLimited(t *testing.T) {
	dir := t.TempDir()
	for _, size := range []int{0, 1, 511, 512, 513, 4096, 100000} {
		name := filepath.Join(dir, "f")
		want := bytes.Repeat([]byte("x"), size)
		if err := os.WriteFile(name, want, 0o600); err != nil {
			t.Fatal(err)
		}
		got, err := ReadLimited(name, int64(size))
		if err != nil || !bytes.Equal(got, want) {
			t.Errorf("%d bytes, limit %d: %d bytes, %v", size, size, len(got), err)
		}
		if got, err := ReadLimited(name, 1<<62); err != nil || !bytes.Equal(got, want) {
			t.Errorf("%d bytes, a huge limit: %d bytes, %v", size, len(got), err)
		}
		if size == 0 {
			continue
		}
		_, err = ReadLimited(name, int64(size-1))
		var tl *TooLargeError
		if !errors.As(err, &tl) || tl.Size != int64(size) || tl.Limit != int64(size-1) {
			t.Errorf("%d bytes, limit %d: %v; want a *TooLargeError with both", size, size-1, err)
		} else if !strings.Contains(err.Error(), name) {
			t.Errorf("%d bytes, limit %d: %v does not name the file", size, size-1, err)
		}
	}
}
