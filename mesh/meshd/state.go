package meshd

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"net/netip"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync/atomic"
	"time"

	"github.com/leased/leased/internal/regularfile"
	"github.com/leased/leased/lease"
	"github.com/leased/leased/lease/memfile"
	"github.com/leased/leased/mesh"
)

// state is what a node keeps on disk to resume after a restart, in one
// directory: the leases of its own blocks in an embedded lease store
// ("leases", package memfile) and the blocks it claimed with the expiry
// of their last claim ("claims", rewritten whole on every change).
type state struct {
	dir    string
	store  *memfile.Store
	log    Logger
	dirty  chan struct{}
	stopCh chan struct{}
	done   chan struct{} // closed when the claims writer has stopped; nil if never started
	gen    atomic.Uint64 // counts changes to the leases (a state copy is written when it moved)
}

const (
	leasesName = "leases"
	claimsName = "claims"
)

// openState opens (creating it if need be) the state in dir.
func openState(dir string, log Logger) (*state, error) {
	if err := os.MkdirAll(dir, 0o750); err != nil {
		return nil, fmt.Errorf("state directory: %w", err)
	}
	st, err := memfile.Open(memfile.Options{
		Path: filepath.Join(dir, leasesName), Persist: true, LFCInterval: time.Hour, Logger: log,
	})
	if err != nil {
		return nil, fmt.Errorf("lease store in %s: %w", dir, err)
	}
	return &state{dir: dir, store: st, log: log, dirty: make(chan struct{}, 1), stopCh: make(chan struct{})}, nil
}

// load returns what the node persisted: its claims, if they were made
// with the same node id and range, and the leases that are still running.
func (s *state) load(now time.Time, id mesh.NodeID, rng mesh.Range, log Logger) ([]mesh.ResumeClaim, []mesh.ResumeLease) {
	var claims []mesh.ResumeClaim
	b, err := readClaimsFile(filepath.Join(s.dir, claimsName))
	switch {
	case errors.Is(err, os.ErrNotExist):
	case err != nil:
		log.Warn("cannot read the claims of the last run", "error", err)
	default:
		cf, err := parseClaims(b)
		switch {
		case err != nil:
			log.Warn("ignoring the claims of the last run", "file", filepath.Join(s.dir, claimsName), "error", err)
		case cf.ID != id || cf.Range != rangeKey(rng):
			log.Warn("ignoring the claims of the last run: made with another node id or range",
				"id", cf.ID, "range", cf.Range)
		default:
			for _, c := range cf.Claims {
				if c.Until.After(now) {
					claims = append(claims, c)
				}
			}
		}
	}
	var leases []mesh.ResumeLease
	s.store.Walk(func(l *lease.Lease) bool {
		end := l.ExpireTime()
		if l.State != lease.StateDefault || !end.After(now) || !rng.Contains(l.Addr) || len(l.HWAddr) > 16 {
			return true
		}
		rl := mesh.ResumeLease{Addr: l.Addr, End: end}
		copy(rl.CHAddr[:], l.HWAddr)
		leases = append(leases, rl)
		return true
	})
	return claims, leases
}

func (s *state) put(ctx context.Context, l *lease.Lease, d lease.Durability) {
	s.gen.Add(1)
	if err := s.store.Put(ctx, l, d); err != nil {
		s.log.Error("cannot store a lease", "addr", l.Addr, "error", err)
	}
}

func (s *state) delete(ctx context.Context, addr netip.Addr) {
	s.gen.Add(1)
	if err := s.store.Delete(ctx, addr, nil, lease.Async); err != nil && !errors.Is(err, lease.ErrNotFound) {
		s.log.Error("cannot delete a lease", "addr", addr, "error", err)
	}
}

// forgetBlock deletes the leases of a block the node no longer owns.
func (s *state) forgetBlock(first netip.Addr, n int) {
	a := first
	for range n {
		s.delete(context.Background(), a)
		a = a.Next()
	}
}

// expire deletes leases that have run out.
func (s *state) expire(now time.Time) {
	ls, err := s.store.Expired(context.Background(), now.Unix(), 0)
	if err != nil {
		s.log.Warn("cannot list expired leases", "error", err)
		return
	}
	for i := range ls {
		err := s.store.Delete(context.Background(), ls[i].Addr, &ls[i], lease.Async)
		if err != nil && !errors.Is(err, lease.ErrNotFound) && !errors.Is(err, lease.ErrConflict) {
			s.log.Warn("cannot delete an expired lease", "addr", ls[i].Addr, "error", err)
		}
	}
}

// claimsChanged asks the writer to save the claims.
func (s *state) claimsChanged() {
	select {
	case s.dirty <- struct{}{}:
	default:
	}
}

// startClaimsWriter starts the goroutine that saves the claims whenever
// they change, and once more when the state is closed.
func (s *state) startClaimsWriter(id mesh.NodeID, rng mesh.Range, snapshot func() map[uint32]time.Time) {
	s.done = make(chan struct{})
	go s.writeClaims(id, rng, snapshot)
}

func (s *state) writeClaims(id mesh.NodeID, rng mesh.Range, snapshot func() map[uint32]time.Time) {
	defer close(s.done)
	save := func() {
		if err := writeFileAtomic(filepath.Join(s.dir, claimsName), claimsData(id, rng, snapshot)); err != nil {
			s.log.Error("cannot save the claims", "error", err)
		}
	}
	for {
		select {
		case <-s.dirty:
			save()
		case <-s.stopCh:
			save()
			return
		}
	}
}

// claimsData is the claims file for the claims snapshot returns.
func claimsData(id mesh.NodeID, rng mesh.Range, snapshot func() map[uint32]time.Time) []byte {
	cf := claimsFile{ID: id, Range: rangeKey(rng)}
	for b, until := range snapshot() {
		cf.Claims = append(cf.Claims, mesh.ResumeClaim{Block: b, Until: until})
	}
	return cf.marshal()
}

// close stops the claims writer (after a last save) and closes the store.
func (s *state) close() error {
	close(s.stopCh)
	if s.done != nil {
		<-s.done
	}
	return s.store.Close()
}

// writeFileAtomic replaces path with data: a crash leaves the old file or
// the new one, never a mix.
func writeFileAtomic(path string, data []byte) error {
	tmp := path + ".tmp"
	f, err := os.OpenFile(tmp, os.O_WRONLY|os.O_CREATE|os.O_TRUNC, 0o640)
	if err != nil {
		return err
	}
	_, err = f.Write(data)
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(tmp, path)
	}
	if err != nil {
		os.Remove(tmp)
		return err
	}
	if d, err := os.Open(filepath.Dir(path)); err == nil {
		d.Sync()
		d.Close()
	}
	return nil
}

// claimsFile is the content of the claims file:
//
//	leased-mesh-claims 1
//	node 0200000001010000
//	range 10.0.0.0/24 b5
//	block 3 1718000000123
//
// one block line per own block, with the Unix time in milliseconds at
// which its last claim runs out at the peers.
type claimsFile struct {
	ID     mesh.NodeID
	Range  string // rangeKey
	Claims []mesh.ResumeClaim
}

const claimsMagic = "leased-mesh-claims 1"

// rangeKey names a range in the claims file: prefix as configured, length
// and block-size power, "10.0.0.0/24 b5".
func rangeKey(r mesh.Range) string {
	return fmt.Sprintf("%v/%d b%d", r.Prefix(), r.PrefixLen(), r.BlockPow())
}

func (cf *claimsFile) marshal() []byte {
	var b bytes.Buffer
	fmt.Fprintf(&b, "%s\nnode %v\nrange %s\n", claimsMagic, cf.ID, cf.Range)
	cl := slices.Clone(cf.Claims)
	slices.SortFunc(cl, func(a, b mesh.ResumeClaim) int { return int(a.Block) - int(b.Block) })
	for _, c := range cl {
		fmt.Fprintf(&b, "block %d %d\n", c.Block, c.Until.UnixMilli())
	}
	return b.Bytes()
}

// maxClaimsFile bounds the claims file: a line per own block, at most
// mesh.MaxBlocks of them, each well under 40 bytes.
const maxClaimsFile = 16 << 20

// readClaimsFile reads the claims file at path. It refuses anything but a
// regular file of at most maxClaimsFile bytes, and opens without blocking:
// a FIFO put there would make the node wait for a writer at start-up
// forever, and /dev/zero behind a symlink would be read until memory ran
// out.
func readClaimsFile(path string) ([]byte, error) {
	b, err := regularfile.ReadLimited(path, maxClaimsFile)
	var nr *regularfile.NotRegularError
	var tl *regularfile.TooLargeError
	switch {
	case errors.As(err, &nr):
		return nil, fmt.Errorf("%s is not a regular file (%v)", path, nr.Mode.Type())
	case errors.As(err, &tl):
		return nil, fmt.Errorf("%s is longer than %d bytes, more than a claims file can be", path, maxClaimsFile)
	}
	return b, err
}

// parseClaims reads a claims file. Errors name the line.
func parseClaims(data []byte) (claimsFile, error) {
	var cf claimsFile
	sc := bufio.NewScanner(bytes.NewReader(data))
	line := 0
	bad := func(format string, args ...any) (claimsFile, error) {
		return claimsFile{}, fmt.Errorf("claims file line %d: %s", line, fmt.Sprintf(format, args...))
	}
	var haveID, haveRange bool
	for sc.Scan() {
		line++
		text := sc.Text()
		if line == 1 {
			if text != claimsMagic {
				return bad("not a leased claims file (want %q)", claimsMagic)
			}
			continue
		}
		f := strings.Fields(text)
		if len(f) == 0 {
			return bad("empty line")
		}
		switch {
		case f[0] == "node" && len(f) == 2 && !haveID:
			id, err := mesh.ParseNodeID(f[1])
			if err != nil {
				return bad("node id: %v", err)
			}
			cf.ID, haveID = id, true
		case f[0] == "range" && len(f) == 3 && !haveRange:
			cf.Range, haveRange = f[1]+" "+f[2], true
		case f[0] == "block" && len(f) == 3 && haveID && haveRange:
			blk, err := strconv.ParseUint(f[1], 10, 32)
			if err != nil {
				return bad("block index %q", f[1])
			}
			ms, err := strconv.ParseInt(f[2], 10, 64)
			if err != nil {
				return bad("expiry %q", f[2])
			}
			if len(cf.Claims) > mesh.MaxBlocks {
				return bad("more blocks than a node tracks")
			}
			cf.Claims = append(cf.Claims, mesh.ResumeClaim{Block: uint32(blk), Until: time.UnixMilli(ms)})
		default:
			return bad("unexpected %q", text)
		}
	}
	if err := sc.Err(); err != nil {
		return claimsFile{}, fmt.Errorf("claims file: %w", err)
	}
	if line == 0 {
		return claimsFile{}, errors.New("claims file is empty")
	}
	if !haveID || !haveRange {
		return bad("node or range line missing")
	}
	return cf, nil
}
