package ncr

import (
	"path/filepath"
	"testing"
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
	if err := j.Done(last); err != nil {
		t.Fatal(err)
	}
	if j.size != 0 {
		t.Fatalf("the journal holds %d bytes once every request has left, want it emptied", j.size)
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
