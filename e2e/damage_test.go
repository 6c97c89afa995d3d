//go:build linux

package e2e

import (
	"encoding/binary"
	"fmt"
	"net"
	"net/netip"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/leased/leased/internal/testnet"
)

// record is one framed record of a memfile journal segment, as the
// package memfile documents the format: magic 0xFE, version, type,
// reserved, payload length (little-endian uint32), CRC-32C, payload. A put
// record (type 1) starts with the lease's address in network order.
type record struct {
	off, n int
	typ    byte
	addr   netip.Addr // put records only
}

const (
	recHeaderLen = 12
	recPut       = 1
)

// parseJournal splits an undamaged journal segment into its records.
func parseJournal(data []byte) ([]record, error) {
	var recs []record
	for off := 0; off < len(data); {
		if len(data)-off < recHeaderLen || data[off] != 0xFE {
			return nil, fmt.Errorf("no record header at offset %d", off)
		}
		n := recHeaderLen + int(binary.LittleEndian.Uint32(data[off+4:off+8]))
		if off+n > len(data) {
			return nil, fmt.Errorf("record at offset %d runs past the end", off)
		}
		r := record{off: off, n: n, typ: data[off+2]}
		if r.typ == recPut {
			if n < recHeaderLen+4 {
				return nil, fmt.Errorf("put record at offset %d too short", off)
			}
			r.addr = netip.AddrFrom4([4]byte(data[off+recHeaderLen : off+recHeaderLen+4]))
		}
		recs = append(recs, r)
		off += n
	}
	return recs, nil
}

// TestJournalDamage damages the journal of a stopped leased in two ways,
// starts it again and checks that it starts, logs the damage naming the
// file and offset, serves, and still has every lease whose record is
// intact; then that a further restart finds the store repaired.
func TestJournalDamage(t *testing.T) {
	needs(t)
	p := testnet.NewPair(t)
	r, err := newRelay(p.Client, p.RelayAddr, p.ServerAddr)
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()

	cases := []struct {
		name string
		// damage damages seg, whose records are recs, and returns the
		// offset the server must report and the records it loses.
		damage func(t *testing.T, seg string, data []byte, recs []record, puts []int) (off int, lost []int)
	}{
		{"truncated", func(t *testing.T, seg string, data []byte, recs []record, puts []int) (int, []int) {
			k := puts[len(puts)*2/3]
			cut := recs[k].off + recs[k].n/2
			if err := os.Truncate(seg, int64(cut)); err != nil {
				t.Fatal(err)
			}
			t.Logf("cut %s at %d, inside record %d (offset %d, %d bytes) of %d", filepath.Base(seg), cut, k, recs[k].off, recs[k].n, len(recs))
			var lost []int
			for _, i := range puts {
				if i >= k {
					lost = append(lost, i)
				}
			}
			return recs[k].off, lost
		}},
		{"flipped", func(t *testing.T, seg string, data []byte, recs []record, puts []int) (int, []int) {
			k := puts[len(puts)/2]
			at := recs[k].off + recHeaderLen + (recs[k].n-recHeaderLen)/2
			for i := at; i < at+4; i++ {
				data[i] ^= 0xFF
			}
			if err := os.WriteFile(seg, data, 0o640); err != nil {
				t.Fatal(err)
			}
			t.Logf("flipped 4 bytes of %s at %d, inside record %d (offset %d, %d bytes) of %d", filepath.Base(seg), at, k, recs[k].off, recs[k].n, len(recs))
			return recs[k].off, []int{k}
		}},
	}
	for ci, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			const clients = 40
			dir := t.TempDir()
			leaseFile := filepath.Join(dir, "db", "dhcp4.leases")
			cfg := filepath.Join(dir, "kea-dhcp4.conf")
			writeFile(t, cfg, servingConfig(leaseFile, testnet.NewMAC(), 3600))
			srv := newServer(t, p.Server, cfg, leaseFile)
			srv.start()

			macOf := map[netip.Addr]string{}
			for i := range clients {
				a, err := r.dora(t.Context(), macFor(0xd0+byte(ci), uint32(i)), 500*time.Millisecond, 4)
				if err != nil {
					t.Fatalf("client %d: %v%s", i, err, srv.lastLog())
				}
				macOf[a.addr] = a.mac
			}
			srv.stop()

			segs, err := filepath.Glob(leaseFile + ".j*")
			if err != nil || len(segs) == 0 {
				t.Fatalf("no journal segment beside %s (%v)", leaseFile, err)
			}
			slices.Sort(segs)
			seg := segs[len(segs)-1]
			data, err := os.ReadFile(seg)
			if err != nil {
				t.Fatal(err)
			}
			recs, err := parseJournal(data)
			if err != nil {
				t.Fatalf("%s: %v", seg, err)
			}
			var puts []int
			for i, rec := range recs {
				if rec.typ == recPut {
					puts = append(puts, i)
					if _, ok := macOf[rec.addr]; !ok {
						t.Fatalf("%s: record %d puts %v, which no client was acknowledged", seg, i, rec.addr)
					}
				}
			}
			if len(puts) < clients {
				t.Fatalf("%s holds %d lease records for %d acknowledged clients", seg, len(puts), clients)
			}

			off, lost := tc.damage(t, seg, data, recs, puts)
			lostAddr := map[netip.Addr]bool{}
			for _, i := range lost {
				lostAddr[recs[i].addr] = true
			}
			// A lease is intact if some record of it survives; each client
			// here has one.
			var intact []netip.Addr
			for _, i := range puts {
				if !lostAddr[recs[i].addr] {
					intact = append(intact, recs[i].addr)
				}
			}

			srv.start()
			line := findLogLine(srv.log(), seg, off)
			if line == "" {
				t.Errorf("leased did not log the damage in %s at offset %d:%s", seg, off, testnet.IndentOutput(srv.log()))
			} else {
				t.Logf("leased logged: %s", line)
			}
			if tc.name == "flipped" {
				checkQuarantine(t, srv.log())
			}

			// It serves: a new client gets a lease.
			a, err := r.dora(t.Context(), macFor(0xd8+byte(ci), 1), 500*time.Millisecond, 4)
			if err != nil {
				t.Fatalf("after the damage: %v%s", err, srv.lastLog())
			}
			macOf[a.addr] = a.mac
			intact = append(intact, a.addr)
			checkLeases(t, srv, intact, macOf, "after the repair")

			// The repair sticks: the next start finds nothing to report.
			srv.stop()
			srv.start()
			for _, l := range strings.Split(srv.log(), "\n") {
				if strings.Contains(l, "level=WARN") || strings.Contains(l, "level=ERROR") {
					t.Errorf("second start after the repair still reports: %s", l)
				}
			}
			checkLeases(t, srv, intact, macOf, "after a second restart")
			srv.stop()
			t.Logf("%d lease records, %d lost with the damage, %d intact leases checked", len(puts), len(lost), len(intact))
		})
	}
}

// findLogLine returns the first warning or error line of log naming file
// and offset.
func findLogLine(log, file string, off int) string {
	for _, l := range strings.Split(log, "\n") {
		if !strings.Contains(l, "level=WARN") && !strings.Contains(l, "level=ERROR") {
			continue
		}
		if strings.Contains(l, "file="+file+" ") && strings.Contains(l, "offset="+strconv.Itoa(off)+" ") {
			return l
		}
	}
	return ""
}

var movedTo = regexp.MustCompile(`moved-to=(\S+)`)

// checkQuarantine checks that the damaged bytes the log says were moved
// aside are in that file.
func checkQuarantine(t *testing.T, log string) {
	t.Helper()
	m := movedTo.FindStringSubmatch(log)
	if m == nil {
		t.Errorf("the log does not say where the damaged record went:%s", testnet.IndentOutput(log))
		return
	}
	fi, err := os.Stat(m[1])
	if err != nil || fi.Size() == 0 {
		t.Errorf("quarantine file %s: %v (size %d)", m[1], err, sizeOf(fi))
	}
}

func sizeOf(fi os.FileInfo) int64 {
	if fi == nil {
		return -1
	}
	return fi.Size()
}

// checkLeases checks that the store holds each address in want for the
// client that was acknowledged it.
func checkLeases(t *testing.T, srv *server, want []netip.Addr, macOf map[netip.Addr]string, when string) {
	t.Helper()
	ls, err := srv.store()
	if err != nil {
		t.Fatal(err)
	}
	var bad []string
	for _, a := range want {
		mac, _ := net.ParseMAC(macOf[a])
		if !storeHolds(ls, a, mac) {
			bad = append(bad, fmt.Sprintf("%v for %v: %s", a, mac, describe(ls, a)))
		}
	}
	if len(bad) > 0 {
		t.Errorf("%s, %d of %d intact leases are not in the store:\n\t%s", when, len(bad), len(want), strings.Join(bad, "\n\t"))
	}
}
