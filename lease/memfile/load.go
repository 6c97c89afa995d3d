package memfile

import (
	"bytes"
	"errors"
	"fmt"
	"io/fs"
	"math"
	"os"

	"github.com/leased/leased/internal/regularfile"
)

// region is a stretch of a file that held no usable record.
type region struct {
	off, n int
	reason string
}

// scanRecords calls fn for every intact record in data, in order. Damage is
// skipped: where no intact record starts, scanRecords looks for the next
// offset where one does and reports the bytes in between as bad. Damage
// that reaches the end of data is reported as the tail instead: it is what
// a write cut short by a crash leaves behind. fn returns an error for a
// record whose checksum holds but whose payload makes no sense; that record
// is reported as bad too.
func scanRecords(data []byte, fn func(off int, typ byte, payload []byte) error) (bad []region, tail *region) {
	pos := 0
	for pos < len(data) {
		typ, p, n, st := parseFrame(data[pos:])
		switch st {
		case frameOK:
			if err := fn(pos, typ, p); err != nil {
				bad = append(bad, region{pos, n, err.Error()})
			}
			pos += n
			continue
		case frameForeign:
			bad = append(bad, region{pos, n, fmt.Sprintf("record of unknown format version %d", data[pos+1])})
			pos += n
			continue
		}
		reason := "bad checksum or framing"
		if st == frameShort {
			reason = "incomplete record"
		}
		next := resync(data, pos)
		if next < 0 {
			return bad, &region{pos, len(data) - pos, reason}
		}
		bad = append(bad, region{pos, next - pos, reason})
		pos = next
	}
	return bad, nil
}

// resync returns the first offset after pos where an intact record starts,
// or -1. It scans byte by byte rather than trusting the damaged record's
// length, which may be the damaged part: skipping by a wrong length would
// throw intact records away. An intact-looking record can only start
// inside a payload where the payload holds the magic byte 0xFE and a
// matching CRC; text fields cannot hold that byte, and binary ones would
// have to be built for it and then damaged just before.
func resync(data []byte, pos int) int {
	for i := pos + 1; i < len(data); i++ {
		k := bytes.IndexByte(data[i:], recMagic)
		if k < 0 {
			return -1
		}
		i += k
		if intactAt(data, i) {
			return i
		}
	}
	return -1
}

func intactAt(data []byte, off int) bool {
	_, _, _, st := parseFrame(data[off:])
	return st == frameOK || st == frameForeign
}

// loader reads a store's files into a Store at start-up. A writable loader
// (the store's owner, holding the lock) repairs what it finds: it copies
// damaged bytes into the quarantine file, cuts a torn tail off the last
// journal segment, and removes leftovers of an interrupted compaction. A
// read-only loader changes nothing.
type loader struct {
	s        *Store
	writable bool

	quarantine *os.File
	damaged    bool // data was moved aside: compact soon
	strict     bool // read-only: a missing first segment means a race
}

// loadResult tells Open where to go on writing.
type loadResult struct {
	seg      uint64   // segment to write next
	f        *os.File // seg opened for appending, or nil to create it
	size     int64    // bytes in f
	snapSize int64
}

// load reads the snapshot and replays the journal. It fails only for
// errors of the file system, never for the content of the files.
func (ld *loader) load() (res loadResult, err error) {
	names := ld.s.files
	if ld.writable {
		if err := os.Remove(names.snapshotTmp()); err == nil {
			ld.s.log.Info("removed an unfinished snapshot", "file", names.snapshotTmp())
		}
	}
	defer func() {
		if ld.quarantine != nil {
			if serr := ld.quarantine.Sync(); serr != nil && err == nil {
				err = fmt.Errorf("fsync quarantine file: %w", serr)
			}
			ld.quarantine.Close()
		}
	}()

	first := uint64(0) // first segment the snapshot needs; 0 means all
	data, snapInfo, err := readFile(names.snapshot())
	switch {
	case err == nil:
		res.snapSize = int64(len(data))
		if first, err = ld.loadSnapshot(names.snapshot(), data); err != nil {
			return res, err
		}
	case !errors.Is(err, fs.ErrNotExist):
		return res, fmt.Errorf("read lease snapshot: %w", err)
	}

	segs, odd, err := names.segmentEntries()
	if err != nil {
		return res, err
	}
	for _, name := range odd {
		if err := ld.moveStrayAside(name); err != nil {
			return res, err
		}
	}
	if !ld.writable {
		if err := ld.checkUnchanged(snapInfo, first, segs); err != nil {
			return res, err
		}
	}
	res.seg = max(first, 1)
	for k, seq := range segs {
		if seq < first {
			if ld.writable {
				if err := os.Remove(names.segment(seq)); err != nil && !errors.Is(err, fs.ErrNotExist) {
					return res, fmt.Errorf("remove compacted journal segment: %w", err)
				}
			}
			continue
		}
		last := k == len(segs)-1
		clean, size, err := ld.loadSegment(seq, last)
		if err != nil {
			return res, err
		}
		res.seg = seq + 1
		if last && clean && ld.writable {
			f, err := regularfile.Open(names.segment(seq), os.O_WRONLY|os.O_APPEND, 0)
			if err != nil {
				return res, fmt.Errorf("open journal segment for appending: %w", err)
			}
			res.seg, res.f, res.size = seq, f, size
		}
	}
	return res, nil
}

// moveStrayAside deals with an entry named like a journal segment that is
// not a regular file. Its content, if any, cannot be replayed, and a
// journal that later wanted to create a segment of that name would fail.
// A writable loader renames it out of the way; a read-only one skips it.
// Both log it as the damage it is.
func (ld *loader) moveStrayAside(name string) error {
	kind := "not a regular file"
	if info, err := os.Lstat(name); err == nil {
		kind = fmt.Sprintf("not a regular file (%v)", info.Mode().Type())
	}
	if !ld.writable {
		ld.s.log.Warn("journal segment is "+kind+"; skipped it", "file", name)
		return nil
	}
	to := name + ".not-a-segment"
	if _, err := os.Lstat(to); err == nil {
		return fmt.Errorf("journal segment %s is %s, and %s, where it would be moved aside, exists", name, kind, to)
	}
	if err := os.Rename(name, to); err != nil {
		return fmt.Errorf("journal segment %s is %s and cannot be moved aside: %w", name, kind, err)
	}
	ld.damaged = true
	ld.s.log.Warn("journal segment is "+kind+"; moved it aside", "file", name, "moved-to", to)
	return nil
}

// errRaced: a compaction replaced files while a read-only loader read them.
var errRaced = errors.New("lease files changed while being read")

// checkUnchanged makes sure that the snapshot a read-only loader read is
// still the current one and that the journal segments it needs are all
// there; otherwise a compaction in the writing process got in between.
func (ld *loader) checkUnchanged(snapInfo os.FileInfo, first uint64, segs []uint64) error {
	now, err := os.Stat(ld.s.files.snapshot())
	switch {
	case err != nil && !errors.Is(err, fs.ErrNotExist):
		return fmt.Errorf("stat lease snapshot: %w", err)
	case (err == nil) != (snapInfo != nil), snapInfo != nil && !os.SameFile(snapInfo, now):
		return errRaced
	}
	if ld.strict && first > 0 {
		for _, q := range segs {
			if q >= first {
				if q != first {
					return errRaced
				}
				break
			}
		}
	}
	return nil
}

// readFile reads a whole regular file and returns its FileInfo as well.
func readFile(name string) ([]byte, os.FileInfo, error) {
	return regularfile.ReadFile(name, math.MaxInt64)
}

// loadSnapshot loads the leases of a snapshot file and returns the first
// journal segment to replay after it.
func (ld *loader) loadSnapshot(name string, data []byte) (uint64, error) {
	first, count, haveHeader, base := uint64(0), uint64(0), false, 0
	if typ, p, n, st := parseFrame(data); st == frameOK && typ == recSnapshot {
		var err error
		if first, count, err = decodeSnapshotHeader(p); err == nil {
			haveHeader, base = true, n
			data = data[n:]
			ld.s.reserve(int(min(count, uint64(len(data)/(headerLen+putFixed))))) // the header may lie
		}
	}
	if !haveHeader {
		ld.s.log.Warn("lease snapshot has no valid header; replaying every journal segment after it", "file", name)
		first = 0
	}
	loaded := uint64(0)
	bad, tail := scanRecords(data, func(_ int, typ byte, p []byte) error {
		if typ != recPut {
			return fmt.Errorf("record type %d in a snapshot", typ)
		}
		loaded++
		return ld.s.replayPut(p)
	})
	if tail != nil {
		bad = append(bad, *tail) // a snapshot is complete before it is renamed into place
	}
	if err := ld.report(name, data, base, bad); err != nil {
		return 0, err
	}
	if haveHeader && loaded != count {
		ld.s.log.Warn("lease snapshot holds fewer or more leases than its header says", "file", name, "header", count, "loaded", loaded)
	}
	return first, nil
}

// loadSegment replays one journal segment. A torn tail is cut off the last
// segment; clean reports that the segment can take more records.
func (ld *loader) loadSegment(seq uint64, last bool) (clean bool, size int64, err error) {
	name := ld.s.files.segment(seq)
	data, _, err := readFile(name)
	if err != nil {
		return false, 0, fmt.Errorf("read journal segment: %w", err)
	}
	clean = true
	if typ, p, _, st := parseFrame(data); st == frameOK && typ == recSegment {
		if got, err := decodeSegmentHeader(p); err != nil || got != seq {
			ld.s.log.Warn("journal segment header names another segment", "file", name, "header", got)
			clean = false
		}
	} else {
		clean = false
		if len(data) > 0 {
			ld.s.log.Warn("journal segment has no valid header", "file", name)
		}
	}
	bad, tail := scanRecords(data, func(_ int, typ byte, p []byte) error {
		switch typ {
		case recPut:
			return ld.s.replayPut(p)
		case recDelete:
			return ld.s.replayDelete(p)
		case recSegment:
			return nil
		}
		return fmt.Errorf("record type %d in a journal segment", typ)
	})
	if len(bad) > 0 {
		clean = false
	}
	if err := ld.report(name, data, 0, bad); err != nil {
		return false, 0, err
	}
	size = int64(len(data))
	if tail != nil {
		if !last {
			// Only the segment being written when the process stopped can
			// end in a torn write; earlier ones were fsynced whole.
			clean = false
			if err := ld.report(name, data, 0, []region{*tail}); err != nil {
				return false, 0, err
			}
		} else if ld.writable {
			if tail.reason != "incomplete record" {
				// A whole record with a bad checksum: keep a copy, it may
				// be damage rather than a torn write.
				if err := ld.moveAside(name, data, *tail); err != nil {
					return false, 0, err
				}
			}
			ld.s.log.Warn("lease journal ends in a torn record; cut it off", "file", name, "offset", tail.off, "bytes", tail.n, "reason", tail.reason)
			if err := os.Truncate(name, int64(tail.off)); err != nil {
				return false, 0, fmt.Errorf("cut torn tail: %w", err)
			}
			size = int64(tail.off)
		}
	}
	return clean, size, nil
}

// report logs each bad region and, when writable, copies it to the
// quarantine file. base is the file offset of data[0].
func (ld *loader) report(name string, data []byte, base int, bad []region) error {
	for _, r := range bad {
		if !ld.writable {
			ld.s.log.Warn("lease file has damaged records; skipped them", "file", name, "offset", base+r.off, "bytes", r.n, "reason", r.reason)
			continue
		}
		if err := ld.moveAside(name, data, region{r.off, r.n, r.reason}); err != nil {
			return err
		}
		ld.s.log.Warn("lease file has damaged records; moved them aside", "file", name, "offset", base+r.off, "bytes", r.n, "reason", r.reason, "moved-to", ld.s.files.quarantine())
	}
	return nil
}

// moveAside appends a damaged region to the quarantine file, after a line
// saying where it came from.
func (ld *loader) moveAside(name string, data []byte, r region) error {
	ld.damaged = true
	if ld.quarantine == nil {
		f, err := regularfile.Open(ld.s.files.quarantine(), os.O_WRONLY|os.O_CREATE|os.O_APPEND, 0o640)
		if err != nil {
			return fmt.Errorf("open quarantine file: %w", err)
		}
		ld.quarantine = f
	}
	head := fmt.Sprintf("leased-quarantine file=%s offset=%d bytes=%d reason=%q\n", name, r.off, r.n, r.reason)
	if _, err := ld.quarantine.Write(append(append([]byte(head), data[r.off:r.off+r.n]...), '\n')); err != nil {
		return fmt.Errorf("write quarantine file: %w", err)
	}
	return nil
}

// replayPut applies a put record while loading.
func (s *Store) replayPut(p []byte) error {
	f, blob, err := decodePut(p)
	if err != nil {
		return err
	}
	s.putLocked(&f, string(blob))
	return nil
}

func (s *Store) replayDelete(p []byte) error {
	a, err := decodeDelete(p)
	if err != nil {
		return err
	}
	if i := s.addrs.get(a); i >= 0 {
		s.deleteLocked(i)
	}
	return nil
}

// reserve sizes the indexes for n leases.
func (s *Store) reserve(n int) {
	s.hw.reserve(n)
	s.cid.reserve(n)
}
