package keacsv

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/netip"
	"os"
	"time"

	"github.com/leased/leased/lease"
)

// Export writes every lease of s to w as Kea's 12-column lease4 CSV, in
// address order, and returns how many it wrote. It only reads s.
func Export(ctx context.Context, w io.Writer, s lease.Store) (int, error) {
	cw := NewWriter(w)
	n := 0
	after := netip.Addr{}
	for {
		page, err := s.Page(ctx, after, 0, 1024)
		if err != nil {
			return n, fmt.Errorf("read leases: %w", err)
		}
		if len(page) == 0 {
			break
		}
		for i := range page {
			if err := cw.Write(&page[i]); err != nil {
				return n, fmt.Errorf("write CSV: %w", err)
			}
			n++
		}
		after = page[len(page)-1].Addr
	}
	if err := cw.Flush(); err != nil {
		return n, fmt.Errorf("write CSV: %w", err)
	}
	return n, nil
}

// ImportResult counts what Import did.
type ImportResult struct {
	Rows    int // lease rows read
	Bad     int // rows skipped because they could not be read
	Put     int // leases stored
	Deleted int // leases removed by deletion rows
}

// Import reads Kea lease4 CSV files (the 9- to 12-column forms) and stores
// their leases in s. The files are read in the order given, as Kea reads
// its lease files (name.2, name.1, then name): for each address the last
// row wins, and a row with valid_lifetime 0 removes the lease. A row that
// cannot be read is passed to bad (its error names file:line) and skipped,
// as Kea skips it when loading. Nothing is written to s unless every file
// could be opened and read to its end. The leases are written Async and
// made durable with one Sync at the end.
//
// An import happens entirely or not at all: if a write or the final Sync
// fails (a full disk, or ctx ending), every change already made is undone
// by writing back what the store held before, and the error says so. If
// the undo cannot be made durable either, the error says that the store
// may keep some of the imported leases; importing the same files again
// once the store works gives the complete result, since later rows win.
func Import(ctx context.Context, s lease.Store, names []string, bad func(error)) (ImportResult, error) {
	var res ImportResult
	type entry struct {
		l       lease.Lease
		deleted bool
	}
	final := map[netip.Addr]*entry{}
	var order []netip.Addr
	for _, name := range names {
		f, err := os.Open(name)
		if err != nil {
			return res, fmt.Errorf("open Kea lease file: %w", err)
		}
		r := NewReader(f, name)
		for {
			row, err := r.Next()
			if err == io.EOF {
				break
			}
			var re *RowError
			if errors.As(err, &re) && r.err == nil {
				res.Bad++
				if bad != nil {
					bad(err)
				}
				continue
			}
			if err != nil {
				f.Close()
				return res, err
			}
			res.Rows++
			e := final[row.Lease.Addr]
			if e == nil {
				e = new(entry)
				final[row.Lease.Addr] = e
				order = append(order, row.Lease.Addr)
			}
			e.l, e.deleted = row.Lease, row.Deleted
		}
		f.Close()
	}
	// What the store held at each address written, for the undo; only
	// addresses that held a lease are kept, so that an import into an
	// empty store costs nothing extra.
	prev := map[netip.Addr]*lease.Lease{}
	written := 0
	fail := func(err error) (ImportResult, error) {
		put, deleted := res.Put, res.Deleted
		res.Put, res.Deleted = 0, 0
		if uerr := undoImport(ctx, s, order[:written], prev); uerr != nil {
			res.Put, res.Deleted = put, deleted
			return res, fmt.Errorf("%w; undoing the %d changes made failed too (%v): the store may keep some of the imported leases; import the same files again once the store works", err, written, uerr)
		}
		return res, fmt.Errorf("%w; nothing was imported (the %d changes made were undone)", err, written)
	}
	for _, a := range order {
		var old lease.Lease
		found, err := s.Get(ctx, a, &old)
		if err != nil {
			return fail(fmt.Errorf("read %v: %w", a, err))
		}
		if found {
			prev[a] = &old
		}
		// Counted before the write: a write that fails may still have
		// changed memory, and undoing an unchanged address is harmless.
		written++
		e := final[a]
		if e.deleted {
			err := s.Delete(ctx, a, nil, lease.Async)
			switch {
			case err == nil:
				res.Deleted++
			case !errors.Is(err, lease.ErrNotFound):
				return fail(fmt.Errorf("delete %v: %w", a, err))
			}
			continue
		}
		if err := s.Put(ctx, &e.l, lease.Async); err != nil {
			return fail(fmt.Errorf("store %v: %w", a, err))
		}
		res.Put++
	}
	if err := s.Sync(ctx); err != nil {
		return fail(fmt.Errorf("make imported leases durable: %w", err))
	}
	return res, nil
}

// undoSyncWait bounds how long an undo waits for the store to make it
// durable: a store whose journal failed (memfile) recovers within seconds
// of the cause going away.
const undoSyncWait = 10 * time.Second

// undoImport puts back what the store held at the addresses an import
// wrote, latest first, and makes that durable, retrying the Sync for up to
// undoSyncWait while ctx lasts. The writes run even when ctx has ended,
// since an import cut short must be undone.
func undoImport(ctx context.Context, s lease.Store, written []netip.Addr, prev map[netip.Addr]*lease.Lease) error {
	wait, cancel := context.WithTimeout(ctx, undoSyncWait)
	defer cancel()
	ctx = context.WithoutCancel(ctx)
	for k := len(written) - 1; k >= 0; k-- {
		a := written[k]
		if old := prev[a]; old != nil {
			if err := s.Put(ctx, old, lease.Async); err != nil {
				return fmt.Errorf("restore %v: %w", a, err)
			}
			continue
		}
		if err := s.Delete(ctx, a, nil, lease.Async); err != nil && !errors.Is(err, lease.ErrNotFound) {
			return fmt.Errorf("remove %v: %w", a, err)
		}
	}
	for {
		err := s.Sync(ctx)
		if err == nil || !errors.Is(err, lease.ErrNotDurable) {
			return err
		}
		select {
		case <-wait.Done():
			return err
		case <-time.After(500 * time.Millisecond):
		}
	}
}
