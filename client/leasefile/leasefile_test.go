package leasefile

import (
	"bytes"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"net"
	"net/netip"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/leased/leased/client"
)

func sampleRecord() *Record {
	obtained := time.Date(2026, 3, 4, 5, 6, 7, 890, time.UTC)
	return &Record{
		Interface:    "wan0",
		HardwareAddr: net.HardwareAddr{0x02, 0, 0, 0, 0, 0x01},
		BootID:       [16]byte{1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16},
		Lease: client.Lease{
			Address:    netip.MustParsePrefix("192.0.2.50/24"),
			Routers:    []netip.Addr{netip.MustParseAddr("192.0.2.1"), netip.MustParseAddr("192.0.2.2")},
			Routes:     []client.Route{{Dest: netip.MustParsePrefix("198.51.100.0/24"), Gateway: netip.MustParseAddr("192.0.2.9")}},
			DNS:        []netip.Addr{netip.MustParseAddr("192.0.2.53")},
			DomainName: "example.test",
			MTU:        1400,
			ServerID:   netip.MustParseAddr("192.0.2.254"),
			LeaseTime:  3600 * time.Second,
			T1:         1800 * time.Second,
			T2:         3150 * time.Second,
			Obtained:   obtained,
			ClientID:   []byte{1, 2, 0, 0, 0, 0, 1},
		},
	}
}

func quiet() *slog.Logger { return slog.New(slog.NewTextHandler(io.Discard, nil)) }

func TestRoundTrip(t *testing.T) {
	r := sampleRecord()
	b, err := Marshal(r)
	if err != nil {
		t.Fatal(err)
	}
	got, err := Unmarshal(b)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(got, r) {
		t.Errorf("round trip:\n got %+v\nwant %+v", got, r)
	}
	// A minimal record: only the required fields.
	min := &Record{Interface: "e", Lease: client.Lease{
		Address: netip.MustParsePrefix("10.0.0.1/8"), ServerID: netip.MustParseAddr("10.0.0.254"),
		LeaseTime: client.InfiniteLease, T1: client.InfiniteLease, T2: client.InfiniteLease,
		Obtained: time.Unix(1700000000, 0).UTC(),
	}}
	b, err = Marshal(min)
	if err != nil {
		t.Fatal(err)
	}
	got, err = Unmarshal(b)
	if err != nil || !reflect.DeepEqual(got, min) {
		t.Errorf("minimal record: %v\n got %+v\nwant %+v", err, got, min)
	}
}

// TestGolden pins the encoding: the same record must give the same bytes
// on every platform and in every later build that reads version 1.
func TestGolden(t *testing.T) {
	b, err := Marshal(sampleRecord())
	if err != nil {
		t.Fatal(err)
	}
	golden := filepath.Join("testdata", "wan0.v4.lease.hex")
	if os.Getenv("LEASED_UPDATE_GOLDEN") == "1" {
		if err := os.WriteFile(golden, []byte(hex.Dump(b)), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(golden)
	if err != nil {
		t.Fatal(err)
	}
	if got := hex.Dump(b); got != string(want) {
		t.Errorf("encoding changed:\n%s\nwant:\n%s", got, want)
	}
	raw := undump(t, string(want))
	r, err := Unmarshal(raw)
	if err != nil || !reflect.DeepEqual(r, sampleRecord()) {
		t.Errorf("golden file decodes to %+v, %v", r, err)
	}
}

// undump parses the output of hex.Dump.
func undump(t *testing.T, s string) []byte {
	var out []byte
	for line := range strings.SplitSeq(strings.TrimSpace(s), "\n") {
		if len(line) < 10 {
			continue
		}
		hexPart := line[10:min(len(line), 58)]
		b, err := hex.DecodeString(strings.ReplaceAll(hexPart, " ", ""))
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, b...)
	}
	return out
}

func TestUnmarshalRejects(t *testing.T) {
	good, err := Marshal(sampleRecord())
	if err != nil {
		t.Fatal(err)
	}
	resum := func(b []byte) []byte {
		binary.BigEndian.PutUint32(b[len(b)-4:], crcOf(b[:len(b)-4]))
		return b
	}
	mut := func(f func(b []byte) []byte) []byte { return f(bytes.Clone(good)) }
	cases := []struct {
		name string
		b    []byte
		is   error
	}{
		{"empty", nil, ErrCorrupt},
		{"short", good[:10], ErrCorrupt},
		{"truncated", good[:len(good)-1], ErrCorrupt},
		{"extended", append(bytes.Clone(good), 0), ErrCorrupt},
		{"bad magic", mut(func(b []byte) []byte { b[0] = 'X'; return b }), ErrCorrupt},
		{"bit flip", mut(func(b []byte) []byte { b[40] ^= 1; return b }), ErrCorrupt},
		{"bad checksum", mut(func(b []byte) []byte { b[len(b)-1] ^= 0xff; return b }), ErrCorrupt},
		{"version 2", mut(func(b []byte) []byte { b[5] = 2; return resum(b) }), ErrVersion},
		{"version 0", mut(func(b []byte) []byte { b[5] = 0; return resum(b) }), ErrVersion},
		{"reserved", mut(func(b []byte) []byte { b[7] = 1; return resum(b) }), ErrCorrupt},
		{"all zero", make([]byte, len(good)), ErrCorrupt},
	}
	for _, c := range cases {
		if _, err := Unmarshal(c.b); !errors.Is(err, c.is) {
			t.Errorf("%s: %v, want %v", c.name, err, c.is)
		}
	}
}

func crcOf(b []byte) uint32 { return crc32c(b) }

// TestFieldChecks builds payloads field by field, with a valid frame and
// checksum, to reach the checks behind the checksum.
func TestFieldChecks(t *testing.T) {
	obtained := uint64(time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC).UnixNano())
	f := func(typ byte, v []byte) []byte {
		return append(append([]byte{typ}, byte(len(v)>>8), byte(len(v))), v...)
	}
	u64 := func(v uint64) []byte { return binary.BigEndian.AppendUint64(nil, v) }
	timers := func(l, t1, t2 uint32) []byte {
		return binary.BigEndian.AppendUint32(binary.BigEndian.AppendUint32(binary.BigEndian.AppendUint32(nil, l), t1), t2)
	}
	base := func(skip byte, extra ...[]byte) []byte {
		var p []byte
		fields := [][]byte{
			f(fieldInterface, []byte("eth0")),
			f(fieldAddress, []byte{192, 0, 2, 5, 24}),
			f(fieldServerID, []byte{192, 0, 2, 1}),
			f(fieldTimers, timers(100, 50, 87)),
			f(fieldObtained, u64(obtained)),
			f(fieldExpires, u64(obtained+100e9)),
		}
		for _, fl := range fields {
			if fl[0] != skip {
				p = append(p, fl...)
			}
		}
		for _, e := range extra {
			p = append(p, e...)
		}
		return frame(p)
	}
	if _, err := Unmarshal(base(0)); err != nil {
		t.Fatalf("valid hand-built record: %v", err)
	}
	cases := map[string][]byte{
		"no interface":       base(fieldInterface),
		"no address":         base(fieldAddress),
		"no server":          base(fieldServerID),
		"no timers":          base(fieldTimers),
		"no obtained":        base(fieldObtained),
		"no expires":         base(fieldExpires),
		"repeated field":     base(0, f(fieldInterface, []byte("eth1"))),
		"unknown field":      base(0, f(200, nil)),
		"prefix 33":          frame(bytes.Replace(base(0), []byte{192, 0, 2, 5, 24}, []byte{192, 0, 2, 5, 33}, 1)[headerLen : len(base(0))-4]),
		"routers 3 bytes":    base(0, f(fieldRouters, []byte{1, 2, 3})),
		"dns empty":          base(0, f(fieldDNS, nil)),
		"mtu 3 bytes":        base(0, f(fieldMTU, []byte{1, 2, 3})),
		"route prefix 40":    base(0, f(fieldRoutes, []byte{40, 1, 2, 3, 4, 5, 6, 7, 8})),
		"boot id short":      base(0, f(fieldBootID, []byte{1})),
		"hwaddr empty":       base(0, f(fieldHWAddr, nil)),
		"field cut short":    frame([]byte{fieldInterface, 0}),
		"field past end":     frame([]byte{fieldInterface, 0, 9, 'e'}),
		"bad interface name": frame(bytes.Replace(base(0)[headerLen:len(base(0))-4], []byte("eth0"), []byte("e/h0"), 1)),
	}
	// T1 > T2 and an expiry that disagrees, rebuilt with valid framing.
	p := base(0)[headerLen : len(base(0))-4]
	cases["T1 after T2"] = frame(bytes.Replace(p, timers(100, 50, 87), timers(100, 90, 87), 1))
	cases["T2 after lease"] = frame(bytes.Replace(p, timers(100, 50, 87), timers(100, 50, 101), 1))
	cases["expiry mismatch"] = frame(bytes.Replace(p, u64(obtained+100e9), u64(obtained+101e9), 1))
	cases["zero address"] = frame(bytes.Replace(p, []byte{192, 0, 2, 5, 24}, []byte{0, 0, 0, 0, 24}, 1))
	for name, b := range cases {
		if _, err := Unmarshal(b); !errors.Is(err, ErrCorrupt) {
			t.Errorf("%s: %v, want ErrCorrupt", name, err)
		}
	}
}

func frame(payload []byte) []byte {
	b := append([]byte("LDC4\x00\x01\x00\x00"), binary.BigEndian.AppendUint32(nil, uint32(len(payload)))...)
	b = append(b, payload...)
	return binary.BigEndian.AppendUint32(b, crc32c(b))
}

func TestDirSaveLoadRemove(t *testing.T) {
	d, err := Open(filepath.Join(t.TempDir(), "leases"), quiet())
	if err != nil {
		t.Fatal(err)
	}
	if _, err := d.Load("wan0"); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("load with no file: %v", err)
	}
	r := sampleRecord()
	if err := d.Save(r); err != nil {
		t.Fatal(err)
	}
	fi, err := os.Stat(d.File("wan0"))
	if err != nil {
		t.Fatal(err)
	}
	if fi.Mode().Perm() != 0o600 {
		t.Errorf("lease file mode %v, want 0600", fi.Mode().Perm())
	}
	got, err := d.Load("wan0")
	if err != nil || !reflect.DeepEqual(got, r) {
		t.Fatalf("load: %v %+v", err, got)
	}
	r.Lease.LeaseTime, r.Lease.T1, r.Lease.T2 = 7200*time.Second, 3600*time.Second, 6300*time.Second
	if err := d.Save(r); err != nil {
		t.Fatal(err)
	}
	if got, _ := d.Load("wan0"); got.Lease.LeaseTime != 7200*time.Second {
		t.Errorf("second save not loaded: %v", got.Lease.LeaseTime)
	}
	if ents, _ := os.ReadDir(d.Path()); len(ents) != 1 {
		t.Errorf("directory holds %d files after saves, want 1", len(ents))
	}
	if err := d.Remove("wan0"); err != nil {
		t.Fatal(err)
	}
	if err := d.Remove("wan0"); err != nil {
		t.Errorf("second remove: %v", err)
	}
	if _, err := d.Load("wan0"); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("load after remove: %v", err)
	}
	if err := d.Save(&Record{Interface: "../x"}); err == nil {
		t.Error("saved a record with a path in its interface name")
	}
	if _, err := d.Load("../x"); err == nil {
		t.Error("loaded a path")
	}
}

func TestDirQuarantine(t *testing.T) {
	d, err := Open(t.TempDir(), quiet())
	if err != nil {
		t.Fatal(err)
	}
	good := sampleRecord()
	for _, name := range []string{"wan0", "wan1", "wan2", "wan3", "wan4", "wan5", "wan6"} {
		r := sampleRecord()
		r.Interface = name
		if err := d.Save(r); err != nil {
			t.Fatal(err)
		}
	}
	b, _ := os.ReadFile(d.File("wan1"))
	os.WriteFile(d.File("wan1"), b[:len(b)/2], 0o600) // truncated
	os.WriteFile(d.File("wan2"), nil, 0o600)          // empty
	b[len(b)-20] ^= 0x40
	os.WriteFile(d.File("wan3"), b, 0o600) // bit flip
	foreign, _ := Marshal(good)
	os.WriteFile(d.File("wan4"), foreign, 0o600) // wan0's record under wan4's name
	v2 := bytes.Clone(foreign)
	v2[5] = 9
	binary.BigEndian.PutUint32(v2[len(v2)-4:], crc32c(v2[:len(v2)-4]))
	os.WriteFile(d.File("wan5"), v2, 0o600) // a future version
	huge := append(bytes.Clone(foreign), make([]byte, MaxRecordLen)...)
	os.WriteFile(d.File("wan6"), huge, 0o600) // longer than any record

	var logs bytes.Buffer
	d.log = slog.New(slog.NewTextHandler(&logs, nil))
	ifaces, err := d.Clean()
	if err != nil || len(ifaces) != 7 {
		t.Fatalf("clean: %v %v", ifaces, err)
	}
	if _, err := d.Load("wan0"); err != nil {
		t.Errorf("good file beside corrupt ones: %v", err)
	}
	for _, name := range []string{"wan1", "wan2", "wan3", "wan4", "wan5", "wan6"} {
		_, err := d.Load(name)
		if !errors.Is(err, ErrCorrupt) && !errors.Is(err, ErrVersion) {
			t.Errorf("%s: %v", name, err)
		}
		if _, err := os.Stat(d.File(name)); !errors.Is(err, fs.ErrNotExist) {
			t.Errorf("%s: corrupt file left in place", name)
		}
		if _, err := os.Stat(d.File(name) + CorruptSuffix); err != nil {
			t.Errorf("%s: not moved aside: %v", name, err)
		}
		// The next load finds nothing: the interface starts afresh.
		if _, err := d.Load(name); !errors.Is(err, fs.ErrNotExist) {
			t.Errorf("%s: second load %v", name, err)
		}
	}
	if n := strings.Count(logs.String(), "\n"); n != 6 {
		t.Errorf("%d log lines for 6 corrupt files:\n%s", n, logs.String())
	}
	if want := fmt.Sprintf("%d bytes, longer than %d", len(huge), MaxRecordLen); !strings.Contains(logs.String(), want) {
		t.Errorf("log does not say %q:\n%s", want, logs.String())
	}
	for _, name := range []string{"wan1", "wan4"} {
		if !strings.Contains(logs.String(), "interface="+name) {
			t.Errorf("log does not name %s:\n%s", name, logs.String())
		}
	}
}

// TestCrashDuringSave stops Save at every step, as a crash would, and
// checks that the old or the new record is there, never anything else,
// and that Clean removes the leftovers.
func TestCrashDuringSave(t *testing.T) {
	for _, step := range []string{stepCreated, stepWritten, stepSynced, stepRenamed} {
		t.Run(step, func(t *testing.T) {
			d, err := Open(t.TempDir(), quiet())
			if err != nil {
				t.Fatal(err)
			}
			old := sampleRecord()
			if err := d.Save(old); err != nil {
				t.Fatal(err)
			}
			crash := errors.New("crash")
			d.hook = func(s string) error {
				if s == step {
					return crash
				}
				return nil
			}
			next := sampleRecord()
			next.Lease.Obtained = next.Lease.Obtained.Add(time.Hour)
			if err := d.Save(next); !errors.Is(err, crash) {
				t.Fatalf("save: %v", err)
			}
			// A new process: a fresh Dir on the same path.
			d2, err := Open(d.Path(), quiet())
			if err != nil {
				t.Fatal(err)
			}
			ifaces, err := d2.Clean()
			if err != nil || len(ifaces) != 1 || ifaces[0] != "wan0" {
				t.Fatalf("clean: %v %v", ifaces, err)
			}
			got, err := d2.Load("wan0")
			if err != nil {
				t.Fatalf("load after crash at %s: %v", step, err)
			}
			want := old
			if step == stepRenamed {
				want = next
			}
			if !got.Lease.Obtained.Equal(want.Lease.Obtained) {
				t.Errorf("after crash at %s: record obtained %v, want %v", step, got.Lease.Obtained, want.Lease.Obtained)
			}
			ents, _ := os.ReadDir(d.Path())
			if len(ents) != 1 {
				t.Errorf("after clean: %d files", len(ents))
			}
		})
	}
}

func TestStoreAdapter(t *testing.T) {
	d, err := Open(t.TempDir(), quiet())
	if err != nil {
		t.Fatal(err)
	}
	s := &Store{Dir: d, Interface: "wan0", HardwareAddr: []byte{2, 0, 0, 0, 0, 1}, BootID: BootID()}
	var _ client.Store = s
	r := sampleRecord()
	if err := s.Save(&r.Lease); err != nil {
		t.Fatal(err)
	}
	got, err := d.Load("wan0")
	if err != nil || got.Lease.Address != r.Lease.Address || !bytes.Equal(got.HardwareAddr, s.HardwareAddr) || got.BootID != s.BootID {
		t.Errorf("loaded %+v, %v", got, err)
	}
	if err := s.Remove(); err != nil {
		t.Fatal(err)
	}
	if _, err := d.Load("wan0"); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("after Remove: %v", err)
	}
}

func TestBootID(t *testing.T) {
	if _, err := os.Stat("/proc/sys/kernel/random/boot_id"); err != nil {
		t.Skip("no boot_id on this system")
	}
	if BootID() == ([16]byte{}) {
		t.Error("boot ID not read")
	}
}

func FuzzUnmarshal(f *testing.F) {
	good, _ := Marshal(sampleRecord())
	f.Add(good)
	f.Add(good[:len(good)/2])
	f.Add([]byte{})
	f.Add([]byte("LDC4\x00\x01\x00\x00\x00\x00\x00\x00"))
	f.Fuzz(func(t *testing.T, b []byte) {
		r, err := Unmarshal(b)
		if err != nil {
			if !errors.Is(err, ErrCorrupt) && !errors.Is(err, ErrVersion) {
				t.Fatalf("error %v wraps neither ErrCorrupt nor ErrVersion", err)
			}
			return
		}
		// Whatever decodes is valid and re-encodes to the same bytes.
		if err := r.Validate(); err != nil {
			t.Fatalf("decoded an invalid record: %v", err)
		}
		again, err := Marshal(r)
		if err != nil {
			t.Fatalf("re-encoding: %v", err)
		}
		r2, err := Unmarshal(again)
		if err != nil || !reflect.DeepEqual(r, r2) {
			t.Fatalf("re-encoded record differs: %v", err)
		}
	})
}

func TestFractionalTimersRoundDown(t *testing.T) {
	r := sampleRecord()
	r.Lease.T1, r.Lease.T2 = 1800*time.Second+500*time.Millisecond, 3150*time.Second+999*time.Millisecond
	b, err := Marshal(r)
	if err != nil {
		t.Fatal(err)
	}
	got, err := Unmarshal(b)
	if err != nil || got.Lease.T1 != 1800*time.Second || got.Lease.T2 != 3150*time.Second {
		t.Errorf("T1 %v T2 %v, %v", got.Lease.T1, got.Lease.T2, err)
	}
}
