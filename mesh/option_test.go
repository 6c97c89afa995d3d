package mesh

import (
	"bytes"
	"net/netip"
	"strings"
	"testing"
	"time"
)

func TestParseOption(t *testing.T) {
	tests := []struct {
		in   string
		code uint8
		data []byte
		out  string
	}{
		{"51:4:0.0.1.44", 51, []byte{0, 0, 1, 44}, "51:4:0.0.1.44"},
		{"54:4:10.0.0.1", 54, []byte{10, 0, 0, 1}, "54:4:10.0.0.1"},
		{"3:4:0x0a.0.0.012", 3, []byte{10, 0, 0, 10}, "3:4:10.0.0.10"}, // hex and octal as in strtoul
		{"15:1:0", 15, []byte{0}, "15:1:0"},
		{"80:0:", 80, []byte{}, "80:0:"},
		{"6:8:10.0.0.1.10.0.0.2", 6, []byte{10, 0, 0, 1, 10, 0, 0, 2}, "6:8:10.0.0.1.10.0.0.2"},
	}
	for _, tc := range tests {
		o, err := ParseOption(tc.in)
		if err != nil {
			t.Errorf("%q: %v", tc.in, err)
			continue
		}
		if o.Code != tc.code || !bytes.Equal(o.Data, tc.data) || o.String() != tc.out {
			t.Errorf("%q: %d %v %q", tc.in, o.Code, o.Data, o.String())
		}
		again, err := ParseOption(o.String())
		if err != nil || again.Code != o.Code || !bytes.Equal(again.Data, o.Data) {
			t.Errorf("%q does not round-trip: %v %v", o.String(), again, err)
		}
	}
}

func TestParseOptionErrors(t *testing.T) {
	for _, in := range []string{
		"", "51", "51:4", "x:4:1.2.3.4", "51:x:1.2.3.4", "256:1:1", "0:1:1", "255:1:1", "51:256:1",
		"51:4:1.2.3", "51:4:1.2.3.4.5", "51:4:1.2.3.256", "51:4:1.2..4", "51:4:1.2.3.-4", "51:4:1.2.3.4x",
		"51:1:0x", "51:1:09", "51:0:1", "51:1: 1",
	} {
		if o, err := ParseOption(in); err == nil {
			t.Errorf("%q accepted as %v", in, o)
		} else if !strings.Contains(err.Error(), "mesh: option") {
			t.Errorf("%q: message %q does not say which option", in, err)
		}
	}
}

func TestOptionStore(t *testing.T) {
	var s OptionStore
	mustSet := func(o string) {
		opt, err := ParseOption(o)
		if err != nil {
			t.Fatal(err)
		}
		if err := s.Set(opt); err != nil {
			t.Fatal(err)
		}
	}
	mustSet("3:4:10.0.0.1")
	mustSet("51:4:0.0.0.60")
	mustSet("3:4:10.0.0.2") // replaced in place
	r, _ := NewRange(netip.MustParseAddr("10.0.0.5"), 24, 5)
	s.AddDefaults(r)
	var got []string
	for _, o := range s.All() {
		got = append(got, o.String())
	}
	want := "3:4:10.0.0.2 51:4:0.0.0.60 1:4:255.255.255.0 2:4:0.0.0.0 28:4:10.0.0.255 54:4:10.0.0.1"
	if strings.Join(got, " ") != want {
		t.Errorf("store %q\nwant  %q", strings.Join(got, " "), want)
	}
	if s.LeaseTime() != 60*time.Second {
		t.Errorf("lease time %v", s.LeaseTime())
	}
	c := s.Clone()
	if !s.Remove(51) || s.Remove(51) || s.LeaseTime() != 0 {
		t.Error("Remove(51) did not make the lease time 0")
	}
	if c.LeaseTime() != 60*time.Second {
		t.Error("Clone shares state with its original")
	}
	_ = s.Set(Option{Code: 51, Data: []byte{1, 2}})
	if s.LeaseTime() != 0 {
		t.Error("a 2-byte option 51 must give lease time 0, as in ddhcpd")
	}
	if err := s.Set(Option{Code: 9, Data: make([]byte, 256)}); err == nil {
		t.Error("256-byte payload accepted")
	}
	var d OptionStore
	r17, _ := NewRange(netip.MustParseAddr("10.116.128.0"), 17, 2)
	d.AddDefaults(r17)
	if o, _ := d.Get(OptSubnetMask); !bytes.Equal(o.Data, []byte{255, 255, 128, 0}) {
		t.Errorf("mask %v", o.Data)
	}
	if o, _ := d.Get(OptBroadcast); !bytes.Equal(o.Data, []byte{10, 116, 255, 255}) {
		t.Errorf("broadcast %v", o.Data)
	}
	if d.LeaseTime() != 300*time.Second {
		t.Errorf("default lease time %v", d.LeaseTime())
	}
}
