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
// (sent, or given up as Kea gives it up). One watermark is enough: a
// Sender's requests leave in the order they came, and the DNS updater,
// which finishes them out of order, reports only up to the oldest it
// still holds. A line torn by a crash is the last one and is ignored.
//
// Appends are written to the file before Append returns, so that a
// crash or kill of the process loses none, and synced to disk by a
// goroutine of the journal's right after, one fsync for the appends made
// while the previous one ran: Append is called on the DHCP reply path
// (the lease changes of a group commit), which must not wait for a
// second fsync after the lease store's. A power failure can lose the
// appends of the last moments before it: their updates are not made
// (the leases themselves are in the store). "D" lines are not synced
// (the worst a lost one does is send a request again after a power
// failure, in its order among the others, which leaves DNS as it was
// meant to be).
type Journal struct {
	mu   sync.Mutex
	path string
	f    *os.File
	seq  uint64 // last seq appended
	done uint64 // last seq that left
	size int64

	// sync syncs f: (*os.File).Sync, replaced by tests.
	sync func(*os.File) error
	// dirty wakes the syncing goroutine after an append; stop ends it
	// and stopped says it has.
	dirty, stop, stopped chan struct{}
	// synced is the last seq known to be on disk; cond signals when it
	// moves, for Sync.
	synced  uint64
	syncErr error
	cond    *sync.Cond
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
	j := &Journal{path: path, sync: (*os.File).Sync,
		dirty: make(chan struct{}, 1), stop: make(chan struct{}), stopped: make(chan struct{})}
	j.cond = sync.NewCond(&j.mu)
	if err := j.rewrite(pending); err != nil {
		return nil, nil, err
	}
	go j.syncLoop()
	return j, pending, nil
}

// syncLoop syncs the file after appends until Close.
func (j *Journal) syncLoop() {
	defer close(j.stopped)
	for {
		select {
		case <-j.stop:
			return
		case <-j.dirty:
		}
		j.mu.Lock()
		f, seq := j.f, j.seq
		j.mu.Unlock()
		if f == nil {
			continue
		}
		err := j.sync(f)
		j.mu.Lock()
		if j.f != f {
			// rewrite replaced (and synced) the file meanwhile; the
			// old one may be closed.
			err = nil
		}
		if err != nil {
			err = fmt.Errorf("NCR journal %s: %w", j.path, err)
		} else {
			j.synced = max(j.synced, seq)
		}
		j.syncErr = err
		j.cond.Broadcast()
		j.mu.Unlock()
	}
}

// Sync waits until every request appended so far is on disk, and
// returns the error of the last sync, if it failed.
func (j *Journal) Sync() error {
	j.mu.Lock()
	defer j.mu.Unlock()
	for j.synced < j.seq && j.syncErr == nil && j.f != nil {
		j.cond.Wait()
	}
	if j.f == nil && j.synced < j.seq {
		return fmt.Errorf("NCR journal %s: closed", j.path)
	}
	return j.syncErr
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
	j.synced, j.syncErr = j.seq, nil
	if j.cond != nil {
		j.cond.Broadcast()
	}
	return nil
}

func appendEntry(dst []byte, seq uint64, r *Request) ([]byte, error) {
	dst = append(dst, "A "...)
	dst = strconv.AppendUint(dst, seq, 10)
	dst = append(dst, ' ')
	dst, err := r.AppendJSON(dst)
	return append(dst, '\n'), err
}

// Append writes reqs to the file and returns the sequence number of the
// last one. They are synced to disk right after, in the background
// (Sync waits for it).
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
	if j.f == nil {
		return j.seq, fmt.Errorf("NCR journal %s: closed", j.path)
	}
	if _, err := j.f.Write(buf); err != nil {
		return j.seq, fmt.Errorf("NCR journal %s: %w", j.path, err)
	}
	j.seq, j.size = seq, j.size+int64(len(buf))
	select {
	case j.dirty <- struct{}{}:
	default: // a sync is already due; it will cover these
	}
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
		if err := j.rewrite(nil); err != nil {
			return err
		}
		// Numbering goes on from seq: a Done for an earlier request can
		// still come (the DNS updater finishes requests on several
		// goroutines) and must not count the requests appended from now
		// on as gone. The emptied file is synced: nothing is left for
		// Sync to wait for.
		j.seq, j.done, j.synced = seq, seq, seq
		return nil
	}
	w := bufio.NewWriterSize(j.f, 32)
	n, _ := fmt.Fprintf(w, "D %d\n", seq)
	if err := w.Flush(); err != nil {
		return fmt.Errorf("NCR journal %s: %w", j.path, err)
	}
	j.size += int64(n)
	return nil
}

// Close syncs and closes the file; what has not left stays in it for
// the next OpenJournal.
func (j *Journal) Close() error {
	j.mu.Lock()
	if j.f == nil {
		j.mu.Unlock()
		return nil
	}
	j.mu.Unlock()
	close(j.stop)
	<-j.stopped
	j.mu.Lock()
	defer j.mu.Unlock()
	err := j.sync(j.f)
	if cerr := j.f.Close(); err == nil {
		err = cerr
	}
	j.f = nil
	j.cond.Broadcast()
	if err != nil {
		return fmt.Errorf("NCR journal %s: %w", j.path, err)
	}
	return nil
}
