package pidfile

import (
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

// Something other than a regular file where the PID file belongs (a FIFO,
// whose read would wait for a writer forever at start-up, where SIGTERM
// could not stop it; a directory) is refused at once, naming the path.
func TestCreateRefusesNonRegular(t *testing.T) {
	dir := t.TempDir()
	fifo := filepath.Join(dir, "fifo.leased.pid")
	if err := syscall.Mkfifo(fifo, 0o600); err != nil {
		t.Fatal(err)
	}
	sub := filepath.Join(dir, "dir.leased.pid")
	if err := os.Mkdir(sub, 0o700); err != nil {
		t.Fatal(err)
	}
	for _, path := range []string{fifo, sub} {
		done := make(chan error, 1)
		go func() {
			f, err := Create(path, Options{})
			if err == nil {
				f.Remove()
			}
			done <- err
		}()
		select {
		case err := <-done:
			if err == nil || !strings.Contains(err.Error(), path) {
				t.Errorf("Create(%s) = %v, want an error naming the path", path, err)
			}
		case <-time.After(10 * time.Second):
			// Feed the FIFO past the 64 bytes read, twice, so that the
			// blocked reads return, then fail.
			if f, err := os.OpenFile(path, os.O_WRONLY|syscall.O_NONBLOCK, 0); err == nil {
				f.Write(make([]byte, 256))
				f.Close()
			}
			<-done
			t.Errorf("Create(%s) still waiting after 10 s", path)
		}
	}
}
