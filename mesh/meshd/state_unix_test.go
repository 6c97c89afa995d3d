//go:build unix

package meshd

import (
	"log/slog"
	"os"
	"path/filepath"
	"syscall"
	"testing"
	"time"

	"github.com/leased/leased/mesh"
)

// A claims file that is not a regular file (a FIFO, which would make the
// node wait for a writer at start-up forever; /dev/zero behind a symlink,
// which would be read until memory ran out) only costs the claims.
func TestStateClaimsNotRegular(t *testing.T) {
	log := slog.New(slog.DiscardHandler)
	rng, _ := mesh.NewRange(mustAddr("10.0.0.0"), 24, 2)
	for _, tc := range []struct {
		name string
		make func(path string) error
	}{
		{"fifo", func(p string) error { return syscall.Mkfifo(p, 0o600) }},
		{"dev-zero", func(p string) error { return os.Symlink("/dev/zero", p) }},
		{"directory", func(p string) error { return os.Mkdir(p, 0o700) }},
	} {
		dir := t.TempDir()
		if err := tc.make(filepath.Join(dir, claimsName)); err != nil {
			t.Fatal(err)
		}
		st, err := openState(dir, log)
		if err != nil {
			t.Fatal(err)
		}
		done := make(chan int, 1)
		go func() {
			claims, _ := st.load(epoch, nodeID(1), rng, log)
			done <- len(claims)
		}()
		select {
		case n := <-done:
			if n != 0 {
				t.Errorf("%s: %d claims", tc.name, n)
			}
		case <-time.After(10 * time.Second):
			// Let a blocked open of the FIFO return, then fail.
			if f, err := os.OpenFile(filepath.Join(dir, claimsName), os.O_WRONLY|syscall.O_NONBLOCK, 0); err == nil {
				f.Close()
			}
			<-done
			t.Errorf("%s: loading the state still waiting after 10 s", tc.name)
		}
		st.close()
	}
}
