package meshd

import (
	"bufio"
	"bytes"
	"context"
	"encoding/hex"
	"errors"
	"fmt"
	"net/netip"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/leased/leased/lease"
)

// DefaultStateCopyEvery is how often, at most, the state is copied to
// --state-copy's directory.
const DefaultStateCopyEvery = time.Hour

// minStateCopyEvery bounds --state-copy-every from below: more often
// would wear flash out for leases that ddhcpd does not keep at all.
const minStateCopyEvery = time.Minute

// stateCopy keeps a copy of a node's state in a second directory, on
// flash, while the state itself lives on tmpfs: the leases (a text file,
// rewritten whole) and the claims file. It writes only when the leases
// changed since the last copy, and at most once per tick, so that the
// writes to flash are bounded by the ticks whatever the traffic: two
// files per copy, 2 × 3600 s / interval files an hour at most, plus one
// copy when the node stops. A node whose state directory is empty at
// start (tmpfs after a reboot) takes its state from the copy.
type stateCopy struct {
	dir    string
	st     *state
	claims func() []byte // the claims file as it would be written now
	log    Logger
	saved  uint64 // st's lease generation at the last copy
	copies int    // copies written
}

const copyLeasesMagic = "leased-mesh-leases 1"

// save writes the copy if the leases changed since the last one. It
// reports whether it wrote.
func (sc *stateCopy) save() (bool, error) {
	gen := sc.st.gen.Load()
	if gen == sc.saved {
		return false, nil
	}
	if err := os.MkdirAll(sc.dir, 0o750); err != nil {
		return false, fmt.Errorf("state copy: %w", err)
	}
	var b bytes.Buffer
	b.WriteString(copyLeasesMagic + "\n")
	sc.st.store.Walk(func(l *lease.Lease) bool {
		if l.State == lease.StateDefault {
			fmt.Fprintf(&b, "lease %v %s %s %d %d\n", l.Addr, hexOrDash(l.HWAddr), hexOrDash(l.ClientID), l.CLTT, l.ValidLifetime)
		}
		return true
	})
	if err := writeFileAtomic(filepath.Join(sc.dir, leasesName), b.Bytes()); err != nil {
		return false, fmt.Errorf("state copy of the leases in %s: %w", sc.dir, err)
	}
	if err := writeFileAtomic(filepath.Join(sc.dir, claimsName), sc.claims()); err != nil {
		return false, fmt.Errorf("state copy of the claims in %s: %w", sc.dir, err)
	}
	sc.saved = gen
	sc.copies++
	return true, nil
}

// run saves at every tick and once more when ctx ends.
func (sc *stateCopy) run(ctx context.Context, tick <-chan time.Time) {
	save := func() {
		if wrote, err := sc.save(); err != nil {
			sc.log.Error("cannot copy the state", "error", err)
		} else if wrote {
			sc.log.Debug("state copied", "dir", sc.dir, "copies", sc.copies)
		}
	}
	for {
		select {
		case <-ctx.Done():
			save()
			return
		case <-tick:
			save()
		}
	}
}

// restoreStateCopy fills an empty state (no lease, no claims file) from
// the copy in dir, if there is one, and reports how many leases it took.
func restoreStateCopy(st *state, dir string) (int, error) {
	if _, err := os.Lstat(filepath.Join(st.dir, claimsName)); !errors.Is(err, os.ErrNotExist) {
		return 0, nil // the state survived: it is newer than the copy
	}
	empty := true
	st.store.Walk(func(*lease.Lease) bool { empty = false; return false })
	if !empty {
		return 0, nil
	}
	b, err := readClaimsFile(filepath.Join(dir, leasesName)) // same bounds as a claims file
	if errors.Is(err, os.ErrNotExist) {
		return 0, nil
	}
	if err != nil {
		return 0, fmt.Errorf("state copy: %w", err)
	}
	leases, err := parseLeaseCopy(b)
	if err != nil {
		return 0, fmt.Errorf("state copy %s: %w", filepath.Join(dir, leasesName), err)
	}
	for i := range leases {
		if err := st.store.Put(context.Background(), &leases[i], lease.Async); err != nil {
			return i, fmt.Errorf("state copy: restoring %v: %w", leases[i].Addr, err)
		}
	}
	// One sync for them all: the state directory holds them before the
	// claims file that says the state survived.
	if err := st.store.Sync(context.Background()); err != nil {
		return 0, fmt.Errorf("state copy: storing the restored leases: %w", err)
	}
	claims, err := readClaimsFile(filepath.Join(dir, claimsName))
	switch {
	case errors.Is(err, os.ErrNotExist):
	case err != nil:
		return len(leases), fmt.Errorf("state copy: %w", err)
	default:
		if err := writeFileAtomic(filepath.Join(st.dir, claimsName), claims); err != nil {
			return len(leases), fmt.Errorf("state copy: restoring the claims: %w", err)
		}
	}
	return len(leases), nil
}

// parseLeaseCopy reads the leases file of a state copy:
//
//	leased-mesh-leases 1
//	lease 10.0.0.5 02aa00000001 - 1718000000 300
//
// address, hardware address and client identifier in hex ("-" for
// none), client last transaction time and valid lifetime in seconds.
// Errors name the line.
func parseLeaseCopy(data []byte) ([]lease.Lease, error) {
	var out []lease.Lease
	sc := bufio.NewScanner(bytes.NewReader(data))
	line := 0
	for sc.Scan() {
		line++
		text := sc.Text()
		if line == 1 {
			if text != copyLeasesMagic {
				return nil, fmt.Errorf("line 1: not a leased lease copy (want %q)", copyLeasesMagic)
			}
			continue
		}
		f := strings.Fields(text)
		if len(f) != 6 || f[0] != "lease" {
			return nil, fmt.Errorf("line %d: unexpected %q", line, text)
		}
		addr, err := netip.ParseAddr(f[1])
		if err != nil || !addr.Is4() {
			return nil, fmt.Errorf("line %d: address %q", line, f[1])
		}
		hw, err1 := dashOrHex(f[2])
		cid, err2 := dashOrHex(f[3])
		cltt, err3 := strconv.ParseInt(f[4], 10, 64)
		valid, err4 := strconv.ParseUint(f[5], 10, 32)
		if err := errors.Join(err1, err2, err3, err4); err != nil || len(hw) > 16 {
			return nil, fmt.Errorf("line %d: %q: %v", line, text, err)
		}
		out = append(out, lease.Lease{
			Addr: addr, HWType: lease.HTypeEthernet, HWAddr: hw, ClientID: cid, CLTT: cltt, ValidLifetime: uint32(valid),
		})
	}
	if err := sc.Err(); err != nil {
		return nil, err
	}
	if line == 0 {
		return nil, errors.New("empty")
	}
	return out, nil
}

func hexOrDash(b []byte) string {
	if len(b) == 0 {
		return "-"
	}
	return hex.EncodeToString(b)
}

func dashOrHex(s string) ([]byte, error) {
	if s == "-" {
		return nil, nil
	}
	return hex.DecodeString(s)
}
