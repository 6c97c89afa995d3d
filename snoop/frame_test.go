package snoop

import (
	"encoding/binary"
	"encoding/json"
	"errors"
	"strings"
	"testing"

	"golang.org/x/net/bpf"

	"github.com/leased/leased/dhcpv4"
)

// frames are IPv4 datagrams as a SOCK_DGRAM packet socket reads them, and
// whether each is DHCP traffic the filter and ParseIPv4 let through.
func frames(t testing.TB) []struct {
	name string
	b    []byte
	dhcp bool
} {
	msg := build(t, dhcpv4.BootRequest, dhcpv4.Discover, nil)
	d := func(src, dst string) []byte { return datagram(ip4port(src), ip4port(dst), msg) }
	withOptions := func(b []byte) []byte { // an IPv4 header of 24 bytes
		out := append([]byte{0x46}, b[1:20]...)
		out = append(out, 1, 1, 1, 0)
		binary.BigEndian.PutUint16(out[2:], uint16(len(b)+4))
		return append(out, b[20:]...)
	}
	set := func(b []byte, off int, v ...byte) []byte {
		b = append([]byte(nil), b...)
		copy(b[off:], v)
		return b
	}
	return []struct {
		name string
		b    []byte
		dhcp bool
	}{
		{"client broadcast", d("0.0.0.0:68", "255.255.255.255:67"), true},
		{"server reply", d("10.0.0.1:67", "10.0.0.50:68"), true},
		{"relay to server", d("10.0.1.1:67", "10.0.0.1:67"), true},
		{"client to a high port", d("10.0.0.50:68", "10.0.0.1:4000"), true},
		{"from a high port to the server", d("10.0.0.50:4000", "10.0.0.1:67"), true},
		{"IP options", withOptions(d("0.0.0.0:68", "255.255.255.255:67")), true},
		{"first fragment", set(d("0.0.0.0:68", "255.255.255.255:67"), 6, 0x20, 0), true},
		{"DNS", d("10.0.0.50:5353", "10.0.0.1:53"), false},
		{"port 67 in the high byte only", d("10.0.0.50:17152", "10.0.0.1:17408"), false},
		{"TCP to 67", set(d("10.0.0.50:68", "10.0.0.1:67"), 9, 6), false},
		{"later fragment", set(d("0.0.0.0:68", "255.255.255.255:67"), 6, 0, 0x10), false},
		{"IPv6", set(d("0.0.0.0:68", "255.255.255.255:67"), 0, 0x60), false},
		{"short", d("0.0.0.0:68", "255.255.255.255:67")[:21], false},
	}
}

// TestFilter runs the BPF program in x/net/bpf's virtual machine: it
// passes DHCP traffic whole and nothing else.
func TestFilter(t *testing.T) {
	vm, err := bpf.NewVM(filter())
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range frames(t) {
		n, err := vm.Run(f.b)
		if err != nil {
			t.Fatalf("%s: %v", f.name, err)
		}
		switch {
		case f.dhcp && n < len(f.b):
			t.Errorf("%s: the filter keeps %d of %d bytes", f.name, n, len(f.b))
		case !f.dhcp && n != 0:
			t.Errorf("%s: the filter passes it", f.name)
		}
	}
}

func TestParseIPv4(t *testing.T) {
	for _, f := range frames(t) {
		m, err := ParseIPv4(f.b)
		switch {
		case f.dhcp && err != nil:
			t.Errorf("%s: %v", f.name, err)
		case !f.dhcp && !errors.Is(err, ErrNotDHCP):
			t.Errorf("%s: %v, want ErrNotDHCP", f.name, err)
		case f.dhcp && f.name != "first fragment" && (m.Packet == nil || m.Err != nil || len(m.Payload) != 300):
			t.Errorf("%s: %+v", f.name, m)
		}
	}
	// Link-layer padding after the datagram is not part of it.
	d := datagram(ip4port("0.0.0.0:68"), ip4port("255.255.255.255:67"), build(t, dhcpv4.BootRequest, dhcpv4.Discover, nil))
	m, err := ParseIPv4(append(d, 0xee, 0xee))
	if err != nil || len(m.Payload) != 300 || m.Src != ip4port("0.0.0.0:68") || m.Dst != ip4port("255.255.255.255:67") {
		t.Errorf("padded: %v, %+v", err, m)
	}
	// The Message owns its bytes.
	m, _ = ParseIPv4(d)
	clear(d)
	if m.Packet.XID() != 0x1a2b3c4d {
		t.Error("the Message aliases the datagram")
	}
}

// FuzzFrame feeds arbitrary datagrams to ParseIPv4 and every form of the
// formatter: no panic, the text is printable ASCII lines, the JSON one
// valid object.
func FuzzFrame(f *testing.F) {
	for _, fr := range frames(f) {
		f.Add(fr.b)
	}
	f.Add(datagram(ip4port("10.0.0.1:67"), ip4port("10.0.1.1:67"), offer(f)))
	formatters := []*Formatter{
		NewFormatter(FormatOptions{}), NewFormatter(FormatOptions{Verbose: true, Hex: true}),
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		m, err := ParseIPv4(b)
		if err != nil {
			if !errors.Is(err, ErrNotDHCP) {
				t.Fatalf("error %v does not wrap ErrNotDHCP", err)
			}
			return
		}
		m.Interface = "eth0"
		for _, fm := range formatters {
			text := string(fm.AppendText(nil, m))
			for _, line := range strings.Split(strings.TrimSuffix(text, "\n"), "\n") {
				if !printable(strings.TrimPrefix(line, "\t")) {
					t.Fatalf("line %q is not printable ASCII", line)
				}
			}
			js := fm.AppendJSON(nil, m)
			if !json.Valid(js) || strings.Count(string(js), "\n") != 1 {
				t.Fatalf("JSON %q", js)
			}
		}
	})
}
