package ncr

import (
	"os"
	"path/filepath"
	"testing"
	"time"
)

// TestJournalLateDoneAfterCompaction: the DNS updater finishes requests
// on several goroutines, so a Done for an older sequence number can
// arrive after the one that emptied the file. It must not mark the
// requests appended since as gone.
func TestJournalLateDoneAfterCompaction(t *testing.T) {
	path := filepath.Join(t.TempDir(), "ncr.journal")
	j, _, err := OpenJournal(path)
	if err != nil {
		t.Fatal(err)
	}
	defer func() { j.Close() }()
	// Enough requests to pass the size at which the file is emptied.
	reqs := numbered(500)
	var last uint64
	for j.size <= compactAt {
		if last, err = j.Append(reqs); err != nil {
			t.Fatal(err)
		}
	}
	// Every append synced, so no sync is due when the file is emptied.
	if err := j.Sync(); err != nil {
		t.Fatal(err)
	}
	if err := j.Done(last); err != nil {
		t.Fatal(err)
	}
	if j.size != 0 {
		t.Fatalf("the journal holds %d bytes once every request has left, want it emptied", j.size)
	}
	synced := make(chan error, 1)
	go func() { synced <- j.Sync() }()
	select {
	case err := <-synced:
		if err != nil {
			t.Fatalf("Sync after emptying: %v", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("Sync after emptying the journal does not return")
	}
	owed := numbered(3)
	if _, err := j.Append(owed); err != nil {
		t.Fatal(err)
	}
	// The late Done of a request that finished before the last one.
	if err := j.Done(last - 1); err != nil {
		t.Fatal(err)
	}
	j.Close()
	j, pending, err := OpenJournal(path)
	if err != nil {
		t.Fatal(err)
	}
	if len(pending) != len(owed) {
		t.Fatalf("after a late Done the journal holds %d requests, want the %d appended after it was emptied", len(pending), len(owed))
	}
}

// Append is on the DHCP reply path: it writes the requests and returns
// without waiting for the fsync, which runs in the journal's goroutine.
// Written but not yet synced, they are already in the file (a killed
// process loses none); Sync waits until the fsync is done.
func TestJournalAppendDoesNotWaitForSync(t *testing.T) {
	path := filepath.Join(t.TempDir(), "ncr.journal")
	j, _, err := OpenJournal(path)
	if err != nil {
		t.Fatal(err)
	}
	defer j.Close()
	entered := make(chan struct{}, 16)
	release := make(chan struct{})
	j.mu.Lock()
	j.sync = func(f *os.File) error {
		entered <- struct{}{}
		<-release
		return f.Sync()
	}
	j.mu.Unlock()

	appended := make(chan error, 1)
	go func() {
		_, err := j.Append(numbered(2))
		appended <- err
	}()
	select {
	case err := <-appended:
		if err != nil {
			t.Fatal(err)
		}
	case <-time.After(20 * time.Second):
		close(release)
		t.Fatal("Append still waits for the fsync (blocked in it for 20 s)")
	}
	// The fsync has started (or is about to) and is held.
	<-entered
	// A process killed now: the requests are in the file.
	pending, err := readJournal(path)
	if err != nil || len(pending) != 2 {
		t.Fatalf("journal read with the fsync held: %v, %d pending, want 2", err, len(pending))
	}
	synced := make(chan error, 1)
	go func() { synced <- j.Sync() }()
	select {
	case err := <-synced:
		t.Fatalf("Sync returned (%v) while the fsync was held", err)
	case <-time.After(50 * time.Millisecond):
	}
	close(release)
	if err := <-synced; err != nil {
		t.Fatal(err)
	}
	if err := j.Close(); err != nil {
		t.Fatal(err)
	}
	if _, err := j.Append(numbered(1)); err == nil {
		t.Error("Append after Close succeeded")
	}
}
