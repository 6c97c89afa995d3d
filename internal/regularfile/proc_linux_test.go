package regularfile

import (
	"errors"
	"os"
	"strings"
	"testing"
)

// TestReadLimitedNoSize reads a file of /proc, which reports size 0 but
// holds more: it is read whole within the limit, and refused past it
// with the size unknown (-1), the limit enforced on what was read.
func TestReadLimitedNoSize(t *testing.T) {
	const name = "/proc/self/status"
	fi, err := os.Stat(name)
	if err != nil {
		t.Fatal(err)
	}
	if fi.Size() != 0 {
		t.Fatalf("%s reports %d bytes; the test wants a file that reports none", name, fi.Size())
	}
	data, err := ReadLimited(name, 1<<20)
	if err != nil {
		t.Fatal(err)
	}
	if len(data) < 100 || !strings.HasPrefix(string(data), "Name:") || !strings.HasSuffix(string(data), "\n") {
		t.Fatalf("%s read as %q", name, data)
	}
	_, err = ReadLimited(name, 50)
	var tl *TooLargeError
	if !errors.As(err, &tl) || tl.Size != -1 || tl.Limit != 50 {
		t.Errorf("%s with a limit of 50 bytes: %v; want a *TooLargeError of unknown size", name, err)
	}
	if err != nil && err.Error() != "read "+name+": more than 50 bytes, the limit" {
		t.Errorf("error text %q", err)
	}
}
