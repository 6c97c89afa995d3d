package leasefile

import (
	"encoding/binary"
	"errors"
	"io/fs"
	"net"
	"net/netip"
	"os"
	"path/filepath"
	"reflect"
	"testing"
	"time"

	"github.com/leased/leased/client6"
	"github.com/leased/leased/dhcpv6"
)

func sampleRecord6() *Record6 {
	got := time.Date(2026, 3, 4, 5, 6, 7, 890, time.UTC)
	return &Record6{
		Interface:    "wan0",
		HardwareAddr: net.HardwareAddr{0x02, 0, 0, 0, 0, 0x01},
		BootID:       [16]byte{1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16},
		Binding: client6.Binding{
			ClientID: dhcpv6.NewDUIDLLT(dhcpv6.HardwareTypeEthernet, []byte{2, 0, 0, 0, 0, 1}, got.Add(-time.Hour)),
			ServerID: dhcpv6.NewDUIDEN(2495, []byte{1, 2}),
			Unicast:  netip.MustParseAddr("2001:db8::1"),
			Received: got,
			IANA: []client6.IA{{IAID: 1, T1: 1800 * time.Second, T2: 2880 * time.Second, Received: got,
				Addresses: []client6.Address{{Addr: netip.MustParseAddr("2001:db8:1::10"), Preferred: 3600 * time.Second, Valid: 7200*time.Second - 1500*time.Millisecond}}}},
			IAPD: []client6.IA{
				{IAID: 2, Received: got.Add(-time.Minute), Prefixes: []client6.Prefix{{Prefix: netip.MustParsePrefix("2001:db8:ff00::/56"), Preferred: client6.Infinite, Valid: client6.Infinite}}},
				{IAID: 3, Received: got},
			},
			DNS:            []netip.Addr{netip.MustParseAddr("2001:db8::53")},
			Domains:        []string{"example.com", "lab.example"},
			NTP:            []netip.Addr{netip.MustParseAddr("2001:db8::123")},
			NTPNames:       []string{"ntp.example"},
			ReconfigureKey: []byte("0123456789abcdef"),
		},
	}
}

func TestRoundTrip6(t *testing.T) {
	r := sampleRecord6()
	b, err := Marshal6(r)
	if err != nil {
		t.Fatal(err)
	}
	got, err := Unmarshal6(b)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(got, r) {
		t.Errorf("round trip:\n got %+v\nwant %+v", got, r)
	}
	// A DHCPv4 record is not a DHCPv6 one, nor the reverse.
	if _, err := Unmarshal(b); !errors.Is(err, ErrCorrupt) {
		t.Errorf("DHCPv6 record read as DHCPv4: %v", err)
	}
	b4, _ := Marshal(sampleRecord())
	if _, err := Unmarshal6(b4); !errors.Is(err, ErrCorrupt) {
		t.Errorf("DHCPv4 record read as DHCPv6: %v", err)
	}
}

func TestUnmarshal6Refuses(t *testing.T) {
	good, err := Marshal6(sampleRecord6())
	if err != nil {
		t.Fatal(err)
	}
	fix := func(b []byte) []byte { // recompute the checksum after an edit
		b = append([]byte(nil), b...)
		binary.BigEndian.PutUint32(b[len(b)-4:], crc32c(b[:len(b)-4]))
		return b
	}
	flipped := append([]byte(nil), good...)
	flipped[40] ^= 1
	newer := append([]byte(nil), good...)
	newer[5] = 2
	// The first IA_NA's T1 above its T2: a field check, with a good checksum.
	badT1 := append([]byte(nil), good...)
	at := -1
	for i := headerLen; i+3 < len(badT1); {
		n := int(binary.BigEndian.Uint16(badT1[i+1:]))
		if badT1[i] == field6IANA {
			at = i + 3 + 4
			break
		}
		i += 3 + n
	}
	binary.BigEndian.PutUint64(badT1[at:], uint64(time.Hour*10))
	for name, tc := range map[string]struct {
		b    []byte
		want error
	}{
		"empty":          {nil, ErrCorrupt},
		"truncated":      {good[:len(good)-7], ErrCorrupt},
		"bit flipped":    {flipped, ErrCorrupt},
		"newer version":  {fix(newer), ErrVersion},
		"T1 above T2":    {fix(badT1), ErrCorrupt},
		"DHCPv4 magic":   {fix(append([]byte("LDC4"), good[4:]...)), ErrCorrupt},
		"trailing bytes": {fix(append(append([]byte(nil), good...), 0, 0, 0, 0)), ErrCorrupt},
	} {
		if _, err := Unmarshal6(tc.b); !errors.Is(err, tc.want) {
			t.Errorf("%s: %v, want %v", name, err, tc.want)
		}
	}
}

// TestDir6: a DHCPv6 binding is saved and loaded beside the DHCPv4
// lease; a corrupt DHCPv6 file is moved aside while the DHCPv4 file of
// the same interface and the files of other interfaces load.
func TestDir6(t *testing.T) {
	d, err := Open(filepath.Join(t.TempDir(), "leases"), quiet())
	if err != nil {
		t.Fatal(err)
	}
	r6 := sampleRecord6()
	r4 := sampleRecord()
	other := sampleRecord6()
	other.Interface = "wan1"
	for _, err := range []error{d.Save6(r6), d.Save(r4), d.Save6(other)} {
		if err != nil {
			t.Fatal(err)
		}
	}
	if got, err := d.Load6("wan0"); err != nil || !reflect.DeepEqual(got, r6) {
		t.Fatalf("Load6: %v %+v", err, got)
	}
	damaged, _ := Marshal6(r6)
	damaged[len(damaged)/2] ^= 0x10
	if err := os.WriteFile(d.File6("wan0"), damaged, 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := d.Load6("wan0"); !errors.Is(err, ErrCorrupt) {
		t.Fatalf("corrupt file: %v", err)
	}
	if _, err := os.Stat(d.File6("wan0") + CorruptSuffix); err != nil {
		t.Errorf("corrupt file not moved aside: %v", err)
	}
	if _, err := d.Load6("wan0"); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("after quarantine: %v", err)
	}
	if got, err := d.Load("wan0"); err != nil || !reflect.DeepEqual(got, r4) {
		t.Errorf("the DHCPv4 lease of the same interface: %v", err)
	}
	if _, err := d.Load6("wan1"); err != nil {
		t.Errorf("another interface's binding: %v", err)
	}
	// A temporary file a crash left is removed by Clean.
	if err := os.WriteFile(d.File6("wan1")+TempSuffix, []byte("half"), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := d.Clean(); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(d.File6("wan1") + TempSuffix); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("stale temporary file kept: %v", err)
	}
	s := &Store6{Dir: d, Interface: "wan1"}
	if err := s.Remove(); err != nil {
		t.Fatal(err)
	}
	if _, err := d.Load6("wan1"); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("after Remove: %v", err)
	}
	if err := s.Save(&other.Binding); err != nil {
		t.Fatal(err)
	}
	if got, err := d.Load6("wan1"); err != nil || !reflect.DeepEqual(got.Binding, other.Binding) {
		t.Errorf("Store6 saved %+v, %v", got, err)
	}
}

// FuzzUnmarshal6 checks that no input panics the decoder and that what it
// accepts encodes back to a record that decodes the same.
func FuzzUnmarshal6(f *testing.F) {
	good, err := Marshal6(sampleRecord6())
	if err != nil {
		f.Fatal(err)
	}
	f.Add(good)
	min := sampleRecord6()
	min.Binding.IANA, min.Binding.IAPD, min.Binding.DNS, min.Binding.Domains = nil, nil, nil, nil
	if b, err := Marshal6(min); err == nil {
		f.Add(b)
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		r, err := Unmarshal6(b)
		if err != nil {
			return
		}
		again, err := Marshal6(r)
		if err != nil {
			t.Fatalf("accepted record does not encode: %v", err)
		}
		r2, err := Unmarshal6(again)
		if err != nil || !reflect.DeepEqual(r, r2) {
			t.Fatalf("re-encoded record differs: %v", err)
		}
	})
}
