package ncr

import (
	"bytes"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"net/netip"
	"strings"
	"testing"
	"time"

	"github.com/leased/leased/lease"
)

// The examples of the interoperability notes: lease 192.0.2.50, 3600 s,
// cltt 2026-01-01 00:00:00 UTC, client-id 01:08:00:27:11:22:33, name
// host1.example.org.
const (
	kea22JSON  = `{"change-type":0,"forward-change":true,"reverse-change":true,"fqdn":"host1.example.org.","ip-address":"192.0.2.50","dhcid":"000101EC51CB54B6E0C6CACB70EBB7F34015E2E461698B5B09DCA4032507C9E308435F","lease-expires-on":"20260101002000","lease-length":1200,"use-conflict-resolution":true}`
	kea316JSON = `{"change-type":0,"forward-change":true,"reverse-change":true,"fqdn":"host1.example.org.","ip-address":"192.0.2.50","dhcid":"000101EC51CB54B6E0C6CACB70EBB7F34015E2E461698B5B09DCA4032507C9E308435F","lease-length":1200,"conflict-resolution-mode":"check-with-dhcid"}`
	// What leased sends: the union of both.
	leasedJSON = `{"change-type":0,"forward-change":true,"reverse-change":true,"fqdn":"host1.example.org.","ip-address":"192.0.2.50","dhcid":"000101EC51CB54B6E0C6CACB70EBB7F34015E2E461698B5B09DCA4032507C9E308435F","lease-expires-on":"20260101002000","lease-length":1200,"use-conflict-resolution":true,"conflict-resolution-mode":"check-with-dhcid"}`
)

var cltt = time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC).Unix()

func exampleLease() *lease.Lease {
	return &lease.Lease{
		Addr: netip.MustParseAddr("192.0.2.50"), HWType: 1,
		HWAddr:        []byte{0x08, 0x00, 0x27, 0x11, 0x22, 0x33},
		ClientID:      []byte{0x01, 0x08, 0x00, 0x27, 0x11, 0x22, 0x33},
		ValidLifetime: 3600, CLTT: cltt, SubnetID: 1,
		FQDNFwd: true, FQDNRev: true, Hostname: "host1.example.org",
	}
}

func TestForLeaseEncodesAsKea(t *testing.T) {
	r, err := ForLease(Add, exampleLease(), TTLParams{}, CheckWithDHCID)
	if err != nil {
		t.Fatal(err)
	}
	frame, err := r.AppendFrame(nil)
	if err != nil {
		t.Fatal(err)
	}
	if got := string(frame[2:]); got != leasedJSON {
		t.Errorf("JSON\n got %s\nwant %s", got, leasedJSON)
	}
	if n := int(frame[0])<<8 | int(frame[1]); n != len(leasedJSON) {
		t.Errorf("length prefix %d, JSON is %d bytes", n, len(leasedJSON))
	}
	// The 2.2 example's prefix is 01 1b for its 283 bytes.
	if len(kea22JSON) != 0x011b {
		t.Errorf("the 2.2 example is %d bytes, the notes say 283", len(kea22JSON))
	}
}

func TestDecodeEveryKeaVersion(t *testing.T) {
	want := Request{
		Type: Add, Forward: true, Reverse: true, FQDN: "host1.example.org.",
		Addr:  netip.MustParseAddr("192.0.2.50"),
		DHCID: mustHex(t, "000101EC51CB54B6E0C6CACB70EBB7F34015E2E461698B5B09DCA4032507C9E308435F"),
		TTL:   1200, Mode: CheckWithDHCID,
	}
	withExpiry := want
	withExpiry.Expires = time.Date(2026, 1, 1, 0, 20, 0, 0, time.UTC)
	for _, c := range []struct {
		name, text string
		want       Request
	}{
		{"Kea 2.2", kea22JSON, withExpiry},
		{"Kea 3.1.6", kea316JSON, want},
		{"leased", leasedJSON, withExpiry},
	} {
		t.Run(c.name, func(t *testing.T) {
			frame := append([]byte{byte(len(c.text) >> 8), byte(len(c.text))}, c.text...)
			frame = append(frame, "trailing bytes are ignored"...)
			got, err := DecodeFrame(frame)
			if err != nil {
				t.Fatal(err)
			}
			if !sameRequest(&got, &c.want) {
				t.Errorf("got  %+v\nwant %+v", got, c.want)
			}
		})
	}
}

func sameRequest(a, b *Request) bool {
	return a.Type == b.Type && a.Forward == b.Forward && a.Reverse == b.Reverse &&
		a.FQDN == b.FQDN && a.Addr == b.Addr && bytes.Equal(a.DHCID, b.DHCID) &&
		a.Expires.Equal(b.Expires) && a.TTL == b.TTL && a.Mode == b.Mode
}

func mustHex(t *testing.T, s string) []byte {
	t.Helper()
	b, err := hex.DecodeString(s)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestDecodeModes(t *testing.T) {
	base := `"change-type":1,"forward-change":false,"reverse-change":true,"fqdn":"a.b","ip-address":"2001:db8::1","dhcid":"00ff","lease-length":0`
	for _, c := range []struct {
		extra string
		want  Mode
	}{
		{``, CheckWithDHCID},
		{`,"use-conflict-resolution":true`, CheckWithDHCID},
		{`,"use-conflict-resolution":false`, NoCheckWithDHCID},
		{`,"use-conflict-resolution":true,"conflict-resolution-mode":"no-check-without-dhcid"`, NoCheckWithoutDHCID},
		{`,"use-conflict-resolution":false,"conflict-resolution-mode":"check-exists-with-dhcid"`, CheckExistsWithDHCID},
	} {
		r, err := Decode([]byte("{" + base + c.extra + "}"))
		if err != nil {
			t.Errorf("%s: %v", c.extra, err)
			continue
		}
		if r.Mode != c.want || r.Type != Remove || r.FQDN != "a.b." {
			t.Errorf("%s: got mode %v type %v fqdn %q, want %v remove a.b.", c.extra, r.Mode, r.Type, r.FQDN, c.want)
		}
	}
}

func TestDecodeRefuses(t *testing.T) {
	good := map[string]string{
		"change-type": `0`, "forward-change": `true`, "reverse-change": `false`, "fqdn": `"h.example.org."`,
		"ip-address": `"192.0.2.1"`, "dhcid": `"0001"`, "lease-length": `600`,
	}
	build := func(change map[string]string) string {
		var parts []string
		for _, k := range []string{"change-type", "forward-change", "reverse-change", "fqdn", "ip-address", "dhcid", "lease-length", "lease-expires-on", "conflict-resolution-mode", "Fqdn"} {
			v, ok := change[k]
			if !ok {
				v, ok = good[k]
			}
			if ok && v != "-" {
				parts = append(parts, `"`+k+`":`+v)
			}
		}
		return "{" + strings.Join(parts, ",") + "}"
	}
	if _, err := Decode([]byte(build(nil))); err != nil {
		t.Fatalf("the good request: %v", err)
	}
	for _, change := range []map[string]string{
		{"change-type": "-"}, {"change-type": "2"}, {"change-type": "0.0"}, {"change-type": `"0"`},
		{"forward-change": "-"}, {"forward-change": "1"},
		{"reverse-change": "-"}, {"forward-change": "false"},
		{"fqdn": "-"}, {"fqdn": `""`}, {"fqdn": `"a..b"`}, {"fqdn": "-", "Fqdn": `"h.example.org."`},
		{"ip-address": "-"}, {"ip-address": `"192.0.2"`}, {"ip-address": `"fe80::1%eth0"`},
		{"dhcid": "-"}, {"dhcid": `""`}, {"dhcid": `"001"`}, {"dhcid": `"zz"`},
		{"lease-length": "-"}, {"lease-length": "-1"}, {"lease-length": "4294967296"}, {"lease-length": "null"},
		{"lease-expires-on": `"2026-01-01"`},
		{"conflict-resolution-mode": `"check"`}, {"conflict-resolution-mode": `""`},
	} {
		text := build(change)
		if r, err := Decode([]byte(text)); !errors.Is(err, ErrInvalid) {
			t.Errorf("%s: got %+v, %v; want an error wrapping ErrInvalid", text, r, err)
		}
	}
	for _, text := range []string{``, `[]`, `null`, `{} {}`, `{"change-type":0`} {
		if _, err := Decode([]byte(text)); !errors.Is(err, ErrInvalid) {
			t.Errorf("%q: got %v, want an error wrapping ErrInvalid", text, err)
		}
	}
	for _, frame := range [][]byte{nil, {0}, {0, 5, '{', '}'}} {
		if _, err := DecodeFrame(frame); !errors.Is(err, ErrInvalid) {
			t.Errorf("frame %x: got %v, want an error wrapping ErrInvalid", frame, err)
		}
	}
}

func TestEncodeEscapesName(t *testing.T) {
	r := Request{Type: Add, Forward: true, FQDN: `a\"b\\c.example.`, Addr: netip.MustParseAddr("192.0.2.1"), DHCID: []byte{0, 1}, TTL: 600}
	text, err := r.AppendJSON(nil)
	if err != nil {
		t.Fatal(err)
	}
	got, err := Decode(text)
	if err != nil {
		t.Fatalf("%s: %v", text, err)
	}
	if got.FQDN != r.FQDN {
		t.Errorf("name %q came back as %q (JSON %s)", r.FQDN, got.FQDN, text)
	}
}

// The vectors of RFC 4701 §3.6 and the worked examples of the notes.
func TestDHCID(t *testing.T) {
	b64 := func(b []byte) string { return base64.StdEncoding.EncodeToString(b) }
	id, err := DHCIDFromHWAddr(1, []byte{1, 2, 3, 4, 5, 6}, "client.example.com")
	if err != nil || b64(id) != "AAABxLmlskllE0MVjd57zHcWmEH3pCQ6VytcKD//7es/deY=" {
		t.Errorf("RFC 4701 hardware address vector: %s, %v", b64(id), err)
	}
	id, err = DHCIDFromClientID([]byte{1, 7, 8, 9, 10, 11, 12}, "chi.example.com")
	if err != nil || b64(id) != "AAEBOSD+XR3Os/0LozeXVqcNc7FwCfQdWL3b/NaiUDlW2No=" {
		t.Errorf("RFC 4701 client identifier vector: %s, %v", b64(id), err)
	}
	mac := []byte{0x08, 0x00, 0x27, 0x11, 0x22, 0x33}
	for _, c := range []struct {
		name string
		fn   func(string) ([]byte, error)
		fqdn string
		want string
	}{
		{"hardware address", func(n string) ([]byte, error) { return DHCIDFromHWAddr(1, mac, n) }, "host1.example.org", "AAAB7FHLVLbgxsrLcOu380AV4uRhaYtbCdykAyUHyeMIQ18="},
		{"client identifier", func(n string) ([]byte, error) {
			return DHCIDFromClientID(append([]byte{1}, mac...), n)
		}, "HOST1.Example.ORG.", "AAEB7FHLVLbgxsrLcOu380AV4uRhaYtbCdykAyUHyeMIQ18="},
		{"RFC 4361 DUID", func(n string) ([]byte, error) {
			return DHCIDFromClientID(append([]byte{0xff, 0, 0, 0, 1, 0, 3, 0, 1}, mac...), n)
		}, "host1.example.org.", "AAIBlGP+7HpUMTK9wWHeGH+PGSelUx4ZvSh1zBQ/sTVomSg="},
	} {
		got, err := c.fn(c.fqdn)
		if err != nil || b64(got) != c.want {
			t.Errorf("%s, %s: %s, %v; want %s", c.name, c.fqdn, b64(got), err, c.want)
		}
	}
	for _, bad := range [][]byte{nil, {0xff, 0, 0, 0, 1}} {
		if _, err := DHCIDFromClientID(bad, "h.example.org"); err == nil {
			t.Errorf("client identifier %x: no error", bad)
		}
	}
	if _, err := DHCIDFromHWAddr(1, nil, "h.example.org"); err == nil {
		t.Error("empty hardware address: no error")
	}
}

func TestTTL(t *testing.T) {
	for _, c := range []struct {
		lifetime uint32
		p        TTLParams
		want     uint32
	}{
		{600, TTLParams{}, 600}, {900, TTLParams{}, 600}, {1800, TTLParams{}, 600},
		{3600, TTLParams{}, 1200}, {4000, TTLParams{}, 1333}, {86400, TTLParams{}, 28800},
		{3600, TTLParams{TTL: 77}, 77},
		{3600, TTLParams{TTL: 77, Min: 600, Max: 50}, 77},
		{3600, TTLParams{Percent: 0.5}, 1800},
		{3600, TTLParams{Percent: 0.1}, 600},
		{3600, TTLParams{Percent: 0.1, Min: 100}, 360},
		{86400, TTLParams{Max: 3000}, 3000},
		{lease.InfiniteLifetime, TTLParams{Percent: 2}, 0xffffffff},
	} {
		if got := TTL(c.lifetime, c.p); got != c.want {
			t.Errorf("TTL(%d, %+v) = %d, want %d", c.lifetime, c.p, got, c.want)
		}
	}
}

func TestForLease(t *testing.T) {
	l := exampleLease()
	l.ClientID = nil
	l.FQDNRev = false
	l.ValidLifetime = 86400
	r, err := ForLease(Remove, l, TTLParams{Percent: 0.5}, NoCheckWithoutDHCID)
	if err != nil {
		t.Fatal(err)
	}
	want := Request{
		Type: Remove, Forward: true, FQDN: "host1.example.org.", Addr: l.Addr,
		DHCID:   mustHex(t, "000001EC51CB54B6E0C6CACB70EBB7F34015E2E461698B5B09DCA4032507C9E308435F"),
		Expires: time.Unix(cltt+43200, 0), TTL: 43200, Mode: NoCheckWithoutDHCID,
	}
	if !sameRequest(&r, &want) {
		t.Errorf("got  %+v\nwant %+v", r, want)
	}
	for _, f := range []func(*lease.Lease){
		func(l *lease.Lease) { l.Hostname = "" },
		func(l *lease.Lease) { l.FQDNFwd, l.FQDNRev = false, false },
	} {
		l := exampleLease()
		f(l)
		if _, err := ForLease(Add, l, TTLParams{}, CheckWithDHCID); !errors.Is(err, ErrNoUpdate) {
			t.Errorf("%+v: got %v, want ErrNoUpdate", l, err)
		}
	}
}

func FuzzDecodeFrame(f *testing.F) {
	for _, s := range []string{kea22JSON, kea316JSON, leasedJSON, `{}`, `{"fqdn":"\\065.b"}`} {
		f.Add(append([]byte{byte(len(s) >> 8), byte(len(s))}, s...))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		r, err := DecodeFrame(b)
		if err != nil {
			if !errors.Is(err, ErrInvalid) {
				t.Fatalf("error %v does not wrap ErrInvalid", err)
			}
			return
		}
		// What decodes encodes, and decodes to the same request.
		frame, err := r.AppendFrame(nil)
		if err != nil {
			t.Fatalf("%+v decoded but does not encode: %v", r, err)
		}
		again, err := DecodeFrame(frame)
		if err != nil {
			t.Fatalf("%s: re-encoded request does not decode: %v", frame, err)
		}
		if r.Expires.IsZero() {
			again.Expires = time.Time{}
		}
		if !sameRequest(&r, &again) {
			t.Fatalf("round trip changed\n %+v\nto %+v", r, again)
		}
	})
}
