package dhcpserver_test

import (
	"encoding/binary"
	"fmt"
	"net/netip"
	"reflect"
	"testing"

	"github.com/leased/leased/dhcpserver"
	"github.com/leased/leased/dhcpserver/dhcptest"
	"github.com/leased/leased/dhcpv4"
	"github.com/leased/leased/dhcpv4/optdef"
)

// arch is a PXE client system architecture (option 93, RFC 4578), an
// application's own type for an option.
type arch uint16

func (a arch) String() string {
	if a == 7 {
		return "EFI x86-64"
	}
	return fmt.Sprintf("arch %d", uint16(a))
}

// archCodec is an application's codec, plugged into decoding as an
// ExDhcp dhcp_options module is.
type archCodec struct{}

func (archCodec) Decode(p *dhcpv4.Packet, code dhcpv4.OptionCode) (any, bool, error) {
	v, ok := p.Option(code)
	if !ok {
		return nil, false, nil
	}
	if len(v) < 2 || len(v)%2 != 0 {
		return nil, true, fmt.Errorf("%d bytes, want pairs", len(v))
	}
	return arch(binary.BigEndian.Uint16(v)), true, nil
}

func (archCodec) Encode(b *dhcpv4.Builder, code dhcpv4.OptionCode, v any) error {
	a, ok := v.(arch)
	if !ok {
		return fmt.Errorf("want an arch, not a %T", v)
	}
	b.AddUint16(code, uint16(a))
	return nil
}

const (
	optArch   dhcpv4.OptionCode = 93
	optRecord dhcpv4.OptionCode = 224
)

func testCodecs(t *testing.T) *dhcpserver.OptionCodecs {
	t.Helper()
	codecs := dhcpserver.StandardCodecs()
	if err := codecs.Register(optArch, archCodec{}); err != nil {
		t.Fatal(err)
	}
	rec, err := dhcpserver.DefCodec(optdef.Def{Name: "site-gateway", Code: uint8(optRecord), Space: "dhcp4",
		Type: optdef.TypeRecord, RecordTypes: []optdef.Type{optdef.TypeUint8, optdef.TypeIPv4Address}})
	if err != nil {
		t.Fatal(err)
	}
	if err := codecs.Register(optRecord, rec); err != nil {
		t.Fatal(err)
	}
	return codecs
}

// TestCodecsThroughServer checks that a handler of a server with Codecs
// reads options as typed values and writes them through the codecs.
func TestCodecsThroughServer(t *testing.T) {
	codecs := testCodecs(t)
	got := make(chan string, 1)
	ts := dhcptest.NewUnstartedServer(t, dhcpserver.HandlerFunc(func(w dhcpserver.ResponseWriter, r *dhcpserver.Request) {
		var s string
		for _, code := range []dhcpv4.OptionCode{dhcpv4.OptionRequestedIP, optArch, optRecord, dhcpv4.OptionHostName, 99, dhcpv4.OptionRouter} {
			v, ok, err := r.Value(code)
			s += fmt.Sprintf("%d: %T %v %v %v\n", code, v, v, ok, err)
		}
		got <- s
		b := w.Reply(dhcpv4.Offer)
		for _, o := range []struct {
			code dhcpv4.OptionCode
			v    any
		}{
			{dhcpv4.OptionRouter, []netip.Addr{netip.MustParseAddr("192.0.2.1"), netip.MustParseAddr("192.0.2.2")}},
			{dhcpv4.OptionLeaseTime, uint32(600)},
			{optArch, arch(7)},
			{optRecord, "3, 192.0.2.9"},
			{99, []byte{1, 2}},
		} {
			if err := codecs.Encode(b, o.code, o.v); err != nil {
				t.Errorf("Encode %d: %v", o.code, err)
			}
		}
	}))
	ts.Config.Codecs = codecs
	ts.Start()
	msg := (&dhcptest.Message{Type: dhcpv4.Discover, XID: 1, CHAddr: hw(1), RequestedIP: yiaddr, Options: []dhcptest.Option{
		{Code: optArch, Value: []byte{0, 7}},
		{Code: optRecord, Value: []byte{5, 198, 51, 100, 1}},
		{Code: dhcpv4.OptionHostName, Value: []byte("pxe-7")},
		{Code: 99, Value: []byte{0xca, 0xfe}},
	}}).MustBuild()
	p, err := ts.Client.Exchange(msg)
	if err != nil {
		t.Fatal(err)
	}
	want := "50: netip.Addr " + yiaddr.String() + " true <nil>\n" +
		"93: dhcpserver_test.arch EFI x86-64 true <nil>\n" +
		"224: []interface {} [5 198.51.100.1] true <nil>\n" +
		"12: string pxe-7 true <nil>\n" +
		"99: []uint8 [202 254] true <nil>\n" +
		"3: <nil> <nil> false <nil>\n"
	if s := <-got; s != want {
		t.Errorf("handler decoded\n%s\nwant\n%s", s, want)
	}
	routers, _ := p.Routers(nil)
	lt, _ := p.LeaseTime()
	a, _ := p.OptionUint16(optArch)
	rec, _ := p.Option(optRecord)
	raw, _ := p.Option(99)
	if fmt.Sprint(routers, lt, a, rec, raw) != "[192.0.2.1 192.0.2.2] 600 7 [3 192 0 2 9] [1 2]" {
		t.Errorf("reply carries routers %v, lease time %d, arch %d, record %v, option 99 %v", routers, lt, a, rec, raw)
	}
}

// TestCodecErrors checks that malformed values, values of the wrong Go
// type and codes without values are refused, naming the option.
func TestCodecErrors(t *testing.T) {
	codecs := testCodecs(t)
	req, err := dhcptest.NewRequest((&dhcptest.Message{Type: dhcpv4.Discover, XID: 1, CHAddr: hw(1), Options: []dhcptest.Option{
		{Code: dhcpv4.OptionRequestedIP, Value: []byte{1, 2, 3}},
		{Code: optArch, Value: []byte{7}},
		{Code: dhcpv4.OptionLeaseTime, Value: []byte{0, 0, 2, 88}},
	}}).MustBuild())
	if err != nil {
		t.Fatal(err)
	}
	req.Codecs = codecs
	for _, code := range []dhcpv4.OptionCode{dhcpv4.OptionRequestedIP, optArch} {
		if v, ok, err := req.Value(code); err == nil || !ok {
			t.Errorf("Value(%d) of a malformed option = %v, %v, %v; want an error", code, v, ok, err)
		}
	}
	m, err := req.Values()
	if err == nil || !reflect.DeepEqual(m[dhcpv4.OptionLeaseTime], uint32(600)) || m[dhcpv4.OptionMessageType] == nil {
		t.Errorf("Values = %v, %v; want the lease time, the message type and the errors", m, err)
	}
	var b dhcpv4.Builder
	b.Begin(make([]byte, 1500), dhcpv4.BootReply, dhcpv4.Offer, 1)
	for _, tt := range []struct {
		code dhcpv4.OptionCode
		v    any
	}{
		{dhcpv4.OptionRouter, netip.MustParseAddr("192.0.2.1")},
		{dhcpv4.OptionRouter, []netip.Addr{netip.MustParseAddr("2001:db8::1")}},
		{dhcpv4.OptionServerID, netip.MustParseAddr("2001:db8::1")},
		{dhcpv4.OptionLeaseTime, 600},
		{dhcpv4.OptionHostName, []byte("h")},
		{optRecord, "3"},
		{99, "text"},
	} {
		if err := codecs.Encode(&b, tt.code, tt.v); err == nil {
			t.Errorf("Encode(%d, %#v) succeeded", tt.code, tt.v)
		}
	}
	if err := codecs.Register(dhcpv4.OptionEnd, archCodec{}); err == nil {
		t.Error("Register of option 255 succeeded")
	}
	if _, err := dhcpserver.DefCodec(optdef.Def{Name: "bad", Code: 224, Space: "dhcp4", Type: optdef.TypeRecord}); err == nil {
		t.Error("DefCodec of a record without fields succeeded")
	}
	// A request without codecs reads options with the standard ones, and
	// gives the bytes of options they do not know.
	req.Codecs = nil
	if v, ok, err := req.Value(dhcpv4.OptionLeaseTime); !ok || err != nil || v != uint32(600) {
		t.Errorf("Value(51) without codecs = %#v, %v, %v; want uint32(600)", v, ok, err)
	}
}
