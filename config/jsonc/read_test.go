package jsonc

import (
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

// TestIncludeNotRegular includes a character device and a FIFO that no
// one writes to, and names each as the configuration file: each is
// refused at once at the include's position (or for the file), instead
// of reading /dev/zero until memory runs out or waiting for a writer
// forever.
func TestIncludeNotRegular(t *testing.T) {
	dir := t.TempDir()
	fifo := filepath.Join(dir, "fifo.json")
	if err := syscall.Mkfifo(fifo, 0o600); err != nil {
		t.Fatal(err)
	}
	for _, target := range []string{"/dev/zero", fifo, dir} {
		main := filepath.Join(dir, "main.json")
		src := "{\"Dhcp4\":\n  <?include \"" + target + "\"?>\n}\n"
		if err := os.WriteFile(main, []byte(src), 0o600); err != nil {
			t.Fatal(err)
		}
		d := ParseFile(main, nil)
		if !d.Failed() {
			t.Fatalf("including %s: no error", target)
		}
		got := d.Diags[len(d.Diags)-1]
		want := main + ":2:3: error: included file \"" + target + "\" is not a regular file"
		if got.Brief() != want {
			t.Errorf("including %s:\n got %s\nwant %s", target, got.Brief(), want)
		}
		if got.Detail == "" {
			t.Errorf("including %s: no detail for the operator in %q", target, got)
		}

		d = ParseFile(target, nil)
		if !d.Failed() || !strings.Contains(d.Diags[0].Msg, "is not a regular file") {
			t.Errorf("reading %s as the configuration: %v", target, d.Diags)
		}
	}
}

// TestSizeLimit bounds the configuration and its includes together: the
// include that goes past the limit is named, and so is a file alone that
// is larger than the limit.
func TestSizeLimit(t *testing.T) {
	dir := t.TempDir()
	part := `{"x": "` + strings.Repeat("a", 500) + `"}`
	for _, n := range []string{"a.json", "b.json"} {
		if err := os.WriteFile(filepath.Join(dir, n), []byte(part), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	main := filepath.Join(dir, "main.json")
	src := "{\"a\": <?include \"a.json\"?>,\n \"b\": <?include \"b.json\"?>}"
	if err := os.WriteFile(main, []byte(src), 0o600); err != nil {
		t.Fatal(err)
	}
	if d := ParseFile(main, &Options{MaxTotalSize: 2000}); d.Failed() {
		t.Fatalf("within the limit: %v", d.Diags)
	}
	d := ParseFile(main, &Options{MaxTotalSize: 1000})
	if !d.Failed() {
		t.Fatal("over the limit: no error")
	}
	got := d.Diags[len(d.Diags)-1].String()
	if want := main + `:2:7: error: included file "b.json" is too large: a configuration and its includes may hold 1000 bytes together`; !strings.HasPrefix(got, want) {
		t.Errorf("over the limit:\n got %s\nwant %s...", got, want)
	}
	d = ParseFile(filepath.Join(dir, "a.json"), &Options{MaxTotalSize: 100})
	if !d.Failed() || !strings.Contains(d.Diags[0].Msg, "is too large") {
		t.Errorf("a file over the limit: %v", d.Diags)
	}
	// A reader of one's own is held to the same limit.
	o := mapFS(map[string]string{"/a.json": part, "/b.json": part})
	o.MaxTotalSize = 1000
	if d := Parse("/main.json", []byte(src), o); !d.Failed() || !strings.Contains(d.Diags[len(d.Diags)-1].Msg, "is too large") {
		t.Errorf("over the limit with Options.ReadFile: %v", d.Diags)
	}
	if d := Parse("big.json", []byte(part), &Options{MaxTotalSize: 100}); !d.Failed() {
		t.Errorf("Parse of text over the limit: no error")
	}
}

// TestReadErrorDetail keeps what the operating system said out of Brief,
// which is what remote callers get, and in String, which the operator
// reads.
func TestReadErrorDetail(t *testing.T) {
	dir := t.TempDir()
	target := filepath.Join(dir, "missing", "x.json")
	d := Parse(filepath.Join(dir, "main.json"), []byte(`<?include "`+target+`"?>`), nil)
	if !d.Failed() {
		t.Fatalf("including %s: no error", target)
	}
	g := d.Diags[0]
	if !strings.Contains(g.Detail, "no such file") || !strings.Contains(g.String(), g.Detail) {
		t.Errorf("the operator's text %q lacks why", g.String())
	}
	if strings.Contains(g.Brief(), "no such file") {
		t.Errorf("Brief tells that the file does not exist: %q", g.Brief())
	}
}

// TestReadDeadline gives up on a read that does not return, as one from
// a mount that stopped answering would not.
func TestReadDeadline(t *testing.T) {
	stuck := make(chan struct{})
	defer close(stuck)
	_, err := withDeadline(50*time.Millisecond, func() ([]byte, error) {
		<-stuck
		return nil, nil
	})
	if err == nil || !strings.Contains(err.Error(), "not read within 50ms") {
		t.Errorf("a read that never returns: %v", err)
	}
	data, err := withDeadline(time.Minute, func() ([]byte, error) { return []byte("x"), nil })
	if err != nil || string(data) != "x" {
		t.Errorf("a read that returns: %q, %v", data, err)
	}
}
