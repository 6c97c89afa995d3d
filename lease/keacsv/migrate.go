package keacsv

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/netip"
	"os"

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
	for _, a := range order {
		e := final[a]
		if e.deleted {
			err := s.Delete(ctx, a, nil, lease.Async)
			switch {
			case err == nil:
				res.Deleted++
			case !errors.Is(err, lease.ErrNotFound):
				return res, fmt.Errorf("delete %v: %w", a, err)
			}
			continue
		}
		if err := s.Put(ctx, &e.l, lease.Async); err != nil {
			return res, fmt.Errorf("store %v: %w", a, err)
		}
		res.Put++
	}
	if err := s.Sync(ctx); err != nil {
		return res, fmt.Errorf("make imported leases durable: %w", err)
	}
	return res, nil
}
