//go:build linux

package meshd

import (
	"context"
	"errors"
	"net"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/leased/leased/mesh"
)

// The control socket keeps serving after its accept failed for lack of
// file descriptors: once descriptors are free again, ddhcpdctl gets its
// answer (the node used to stop serving the socket for good).
func TestControlSurvivesDescriptorExhaustion(t *testing.T) {
	b := twoNodes(t)
	c := b.cores[0]
	path := filepath.Join(t.TempDir(), "ctl")
	ln, err := listenControl(path)
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	go c.serveControl(ln)

	var old syscall.Rlimit
	if err := syscall.Getrlimit(syscall.RLIMIT_NOFILE, &old); err != nil {
		t.Fatal(err)
	}
	ents, err := os.ReadDir("/proc/self/fd")
	if err != nil {
		t.Fatal(err)
	}
	low := old
	low.Cur = uint64(len(ents) + 32)
	if err := syscall.Setrlimit(syscall.RLIMIT_NOFILE, &low); err != nil {
		t.Fatal(err)
	}
	var fill []*os.File
	release := func() {
		for _, f := range fill {
			f.Close()
		}
		fill = nil
		syscall.Setrlimit(syscall.RLIMIT_NOFILE, &old)
	}
	defer release()
	for {
		f, err := os.Open(os.DevNull)
		if err != nil {
			if !errors.Is(err, syscall.EMFILE) {
				t.Fatalf("filling the descriptor table: %v", err)
			}
			break
		}
		fill = append(fill, f)
	}
	// One descriptor free: the client's socket takes it, and the node's
	// accept finds none.
	fill[len(fill)-1].Close()
	fill = fill[:len(fill)-1]
	conn, dialErr := net.Dial("unix", path)
	time.Sleep(300 * time.Millisecond)
	if dialErr == nil {
		conn.Close()
	}
	release()

	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Second)
	defer cancel()
	ans, err := Query(ctx, path, mesh.CtlRequest{Command: mesh.CtlBlockShow})
	if err != nil || !strings.Contains(string(ans), "node id") {
		t.Fatalf("BLOCK_SHOW after descriptors ran out: %q, %v", ans, err)
	}
}
