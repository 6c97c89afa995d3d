package ncr

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"sync"
)

// A Journal records the requests a Sender has queued and not yet sent,
// so that an update owed for a lease is still sent after a crash or a
// restart. It is a text file of lines: "A <seq> <JSON>" records request
// number seq, "D <seq>" says that every request up to seq has left
// (sent, or given up as Kea gives it up). Requests leave in the order
// they came, so one watermark is enough; a line torn by a crash is the
// last one and is ignored.
//
// Appends are synced before Append returns; "D" lines are not (the
// worst a lost one does is send a request again after a power failure,
// in its order among the others, which leaves DNS as it was meant to be).
type Journal struct {
	mu   sync.Mutex
	path string
	f    *os.File
	seq  uint64 // last seq appended
	done uint64 // last seq that left
	size int64
}

// compactAt is the journal size above which it is emptied once every
// request in it has left.
const compactAt = 1 << 20

// OpenJournal opens the journal at path, creating it if absent, and
// returns the requests it holds that have not left, oldest first. The
// file is rewritten to hold only those.
func OpenJournal(path string) (*Journal, []Request, error) {
	pending, err := readJournal(path)
	if err != nil {
		return nil, nil, err
	}
	j := &Journal{path: path}
	if err := j.rewrite(pending); err != nil {
		return nil, nil, err
	}
	return j, pending, nil
}

func readJournal(path string) ([]Request, error) {
	data, err := os.ReadFile(path)
	if errors.Is(err, os.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("reading NCR journal: %w", err)
	}
	type entry struct {
		seq uint64
		r   Request
	}
	var entries []entry
	var done uint64
	for n := 1; len(data) > 0; n++ {
		i := bytes.IndexByte(data, '\n')
		if i < 0 {
			break // torn last line
		}
		line := data[:i]
		data = data[i+1:]
		kind, rest, _ := bytes.Cut(line, []byte(" "))
		seqText, text, _ := bytes.Cut(rest, []byte(" "))
		seq, err := strconv.ParseUint(string(seqText), 10, 64)
		if err != nil {
			return nil, fmt.Errorf("NCR journal %s:%d: bad sequence number %q", path, n, seqText)
		}
		switch string(kind) {
		case "A":
			r, err := Decode(text)
			if err != nil {
				return nil, fmt.Errorf("NCR journal %s:%d: %w", path, n, err)
			}
			entries = append(entries, entry{seq, r})
		case "D":
			done = max(done, seq)
		default:
			return nil, fmt.Errorf("NCR journal %s:%d: unknown line kind %q", path, n, kind)
		}
	}
	var pending []Request
	for _, e := range entries {
		if e.seq > done {
			pending = append(pending, e.r)
		}
	}
	return pending, nil
}

// rewrite replaces the file by one holding pending, numbered from 1,
// through a temporary file renamed over it.
func (j *Journal) rewrite(pending []Request) error {
	var buf []byte
	for i, r := range pending {
		var err error
		if buf, err = appendEntry(buf, uint64(i+1), &r); err != nil {
			return fmt.Errorf("NCR journal %s: %w", j.path, err)
		}
	}
	tmp := j.path + ".tmp"
	f, err := os.OpenFile(tmp, os.O_RDWR|os.O_CREATE|os.O_TRUNC, 0o640)
	if err != nil {
		return fmt.Errorf("NCR journal: %w", err)
	}
	if _, err := f.Write(buf); err != nil {
		f.Close()
		return fmt.Errorf("NCR journal: writing %s: %w", tmp, err)
	}
	if err := f.Sync(); err != nil {
		f.Close()
		return fmt.Errorf("NCR journal: syncing %s: %w", tmp, err)
	}
	if err := os.Rename(tmp, j.path); err != nil {
		f.Close()
		return fmt.Errorf("NCR journal: %w", err)
	}
	if d, err := os.Open(filepath.Dir(j.path)); err == nil {
		d.Sync()
		d.Close()
	}
	if j.f != nil {
		j.f.Close()
	}
	j.f, j.seq, j.done, j.size = f, uint64(len(pending)), 0, int64(len(buf))
	return nil
}

func appendEntry(dst []byte, seq uint64, r *Request) ([]byte, error) {
	dst = append(dst, "A "...)
	dst = strconv.AppendUint(dst, seq, 10)
	dst = append(dst, ' ')
	dst, err := r.AppendJSON(dst)
	return append(dst, '\n'), err
}

// Append records reqs, synced to disk, and returns the sequence number
// of the last one.
func (j *Journal) Append(reqs []Request) (uint64, error) {
	j.mu.Lock()
	defer j.mu.Unlock()
	var buf []byte
	seq := j.seq
	for i := range reqs {
		var err error
		seq++
		if buf, err = appendEntry(buf, seq, &reqs[i]); err != nil {
			return j.seq, fmt.Errorf("NCR journal %s: %w", j.path, err)
		}
	}
	if _, err := j.f.Write(buf); err != nil {
		return j.seq, fmt.Errorf("NCR journal %s: %w", j.path, err)
	}
	if err := j.f.Sync(); err != nil {
		return j.seq, fmt.Errorf("NCR journal %s: %w", j.path, err)
	}
	j.seq, j.size = seq, j.size+int64(len(buf))
	return seq, nil
}

// Done records that every request up to seq has left. When all have and
// the file has grown large, it is emptied.
func (j *Journal) Done(seq uint64) error {
	j.mu.Lock()
	defer j.mu.Unlock()
	if seq <= j.done {
		return nil
	}
	j.done = seq
	if j.done == j.seq && j.size > compactAt {
		return j.rewrite(nil)
	}
	w := bufio.NewWriterSize(j.f, 32)
	n, _ := fmt.Fprintf(w, "D %d\n", seq)
	if err := w.Flush(); err != nil {
		return fmt.Errorf("NCR journal %s: %w", j.path, err)
	}
	j.size += int64(n)
	return nil
}

// Close closes the file; what has not left stays in it for the next
// OpenJournal.
func (j *Journal) Close() error {
	j.mu.Lock()
	defer j.mu.Unlock()
	if j.f == nil {
		return nil
	}
	err := j.f.Close()
	j.f = nil
	return err
}
