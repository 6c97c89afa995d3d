package snoop

import (
	"encoding/json"
	"fmt"
	"strings"
	"testing"

	"github.com/leased/leased/dhcpv4"
)

// offer is the OFFER of the package documentation, relayed: option 82
// echoed, giaddr set.
func offer(t testing.TB) []byte {
	return build(t, dhcpv4.BootReply, dhcpv4.Offer, func(b *dhcpv4.Builder) {
		b.SetYIAddr(ip("10.0.0.50"))
		b.SetGIAddr(ip("10.0.1.1"))
		b.AddIP(dhcpv4.OptionServerID, ip("10.0.0.1"))
		b.AddUint32(dhcpv4.OptionLeaseTime, 3600)
		b.AddIP(dhcpv4.OptionSubnetMask, ip("255.255.255.0"))
		b.AddIPs(dhcpv4.OptionRouter, ip("10.0.0.1"))
		b.AddIPs(dhcpv4.OptionDomainNameServer, ip("10.0.0.53"), ip("10.0.0.54"))
		b.AddString(dhcpv4.OptionHostName, "host")
		b.AddOption(dhcpv4.OptionRelayAgentInfo, []byte{1, 6, 'e', 't', 'h', '0', '/', '1', 2, 2, 0x01, 0x02, 5, 4, 10, 0, 1, 0})
	})
}

func TestTextOffer(t *testing.T) {
	m := message(t, "10.0.0.1:67", "10.0.1.1:67", offer(t))
	got := string(NewFormatter(FormatOptions{}).AppendText(nil, m))
	want := `12:00:01.123456 eth0 In 10.0.0.1:67 > 10.0.1.1:67 OFFER xid=0x1a2b3c4d chaddr=52:54:00:12:34:56 yiaddr=10.0.0.50 giaddr=10.0.1.1` +
		` [53 offer] [54 10.0.0.1] [51 3600] [1 255.255.255.0] [3 10.0.0.1] [6 10.0.0.53, 10.0.0.54] [12 "host"]` +
		` [82 circuit-id="eth0/1" remote-id=0x0102 link-selection=10.0.1.0]` + "\n"
	if got != want {
		t.Errorf("text:\n%s\nwant:\n%s", got, want)
	}

	m.Outgoing = true
	got = string(NewFormatter(FormatOptions{Verbose: true}).AppendText(nil, m))
	want = `12:00:01.123456 eth0 Out 10.0.0.1:67 > 10.0.1.1:67 OFFER xid=0x1a2b3c4d chaddr=52:54:00:12:34:56 yiaddr=10.0.0.50 giaddr=10.0.1.1
    53 dhcp-message-type: offer
    54 dhcp-server-identifier: 10.0.0.1
    51 dhcp-lease-time: 3600
    1 subnet-mask: 255.255.255.0
    3 routers: 10.0.0.1
    6 domain-name-servers: 10.0.0.53, 10.0.0.54
    12 host-name: "host"
    82 dhcp-agent-options:
        1 circuit-id: "eth0/1"
        2 remote-id: 0x0102
        5 link-selection: 10.0.1.0
`
	if got != want {
		t.Errorf("verbose text:\n%s\nwant:\n%s", got, want)
	}
}

// TestTextEveryType shows every message type by its name, in the line
// and as option 53's value, and BOOTP messages by their op.
func TestTextEveryType(t *testing.T) {
	f := NewFormatter(FormatOptions{})
	for mt := dhcpv4.MessageType(1); mt <= dhcpv4.TLS+1; mt++ {
		op := dhcpv4.BootRequest
		if mt == dhcpv4.Offer || mt == dhcpv4.Ack || mt == dhcpv4.Nak {
			op = dhcpv4.BootReply
		}
		m := message(t, "0.0.0.0:68", "255.255.255.255:67", build(t, op, mt, nil))
		got := string(f.AppendText(nil, m))
		name := strings.TrimPrefix(mt.String(), "DHCP")
		opt := "[53 " + strings.ToLower(name) + "]"
		if mt > dhcpv4.TLS {
			name, opt = "DHCP(19)", "[53 19]"
		}
		want := fmt.Sprintf("12:00:01.123456 eth0 In 0.0.0.0:68 > 255.255.255.255:67 %s xid=0x1a2b3c4d chaddr=52:54:00:12:34:56 %s\n", name, opt)
		if got != want {
			t.Errorf("type %d:\n%s\nwant:\n%s", mt, got, want)
		}
	}
	for _, op := range []dhcpv4.OpCode{dhcpv4.BootRequest, dhcpv4.BootReply} {
		m := message(t, "0.0.0.0:68", "255.255.255.255:67", build(t, op, 0, nil))
		got := string(f.AppendText(nil, m))
		if want := " " + op.String() + " xid=0x1a2b3c4d chaddr=52:54:00:12:34:56\n"; !strings.HasSuffix(got, want) {
			t.Errorf("BOOTP %s: %q, want it to end in %q", op, got, want)
		}
	}
}

func TestTextHeaderFields(t *testing.T) {
	pl := build(t, dhcpv4.BootRequest, dhcpv4.Request, func(b *dhcpv4.Builder) {
		b.SetHops(2)
		b.SetSecs(7)
		b.SetFlags(dhcpv4.FlagBroadcast | 1)
		b.SetCIAddr(ip("10.0.0.50"))
		b.SetSIAddr(ip("10.0.0.9"))
		b.SetSName("boot\x1b[2J")
		b.SetFile("pxelinux.0")
		b.SetCHAddr(32, []byte{1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16})
	})
	got := string(NewFormatter(FormatOptions{}).AppendText(nil, message(t, "10.0.0.50:68", "10.0.0.1:67", pl)))
	want := `12:00:01.123456 eth0 In 10.0.0.50:68 > 10.0.0.1:67 REQUEST xid=0x1a2b3c4d htype=32 chaddr=01:02:03:04:05:06:07:08:09:0a:0b:0c:0d:0e:0f:10` +
		` hops=2 secs=7 broadcast flags=0x8001 ciaddr=10.0.0.50 siaddr=10.0.0.9 sname="boot\x1b[2J" file="pxelinux.0" [53 request]` + "\n"
	if got != want {
		t.Errorf("text:\n%s\nwant:\n%s", got, want)
	}
}

// TestTextOverload reads options carried in the file and sname fields
// (option 52) with the others, and shows neither field as text.
func TestTextOverload(t *testing.T) {
	pl := build(t, dhcpv4.BootRequest, dhcpv4.Discover, nil)
	copy(pl[108:], []byte{12, 4, 'h', 'o', 's', 't', 255}) // file
	copy(pl[44:], []byte{60, 3, 'a', 'b', 'c', 255})       // sname
	i := strings.Index(string(pl[240:]), "\xff") + 240     // end, after 53
	pl = append(pl[:i:i], 52, 1, 3, 255)
	got := string(NewFormatter(FormatOptions{}).AppendText(nil, message(t, "0.0.0.0:68", "255.255.255.255:67", pl)))
	want := `DISCOVER xid=0x1a2b3c4d chaddr=52:54:00:12:34:56 [53 discover] [52 3] [12 "host"] [60 "abc"]` + "\n"
	if !strings.HasSuffix(got, want) {
		t.Errorf("text:\n%s\nwant it to end in:\n%s", got, want)
	}
}

// TestTextOddOptions: options without a definition are hexadecimal,
// those whose bytes do not fit their definition hexadecimal with the
// reason, and neither stops the rest of the line.
func TestTextOddOptions(t *testing.T) {
	pl := build(t, dhcpv4.BootRequest, dhcpv4.Discover, func(b *dhcpv4.Builder) {
		b.AddOption(224, []byte{1, 2, 3})
		b.AddOption(dhcpv4.OptionLeaseTime, []byte{1, 2, 3})
		b.AddOption(dhcpv4.OptionRouter, []byte{10, 0, 0})
		b.AddOption(dhcpv4.OptionVIVendorSpecific, []byte{0, 0, 0x11, 0x8b, 9, 1})
		b.AddOption(dhcpv4.OptionHostName, []byte("a\nb\x00"))
		b.AddOption(dhcpv4.OptionClientID, []byte{1, 0x52, 0x54, 0, 0x12, 0x34, 0x56})
		b.AddOption(dhcpv4.OptionParameterList, []byte{1, 3, 6})
		b.AddOption(80, nil) // rapid commit: no data
		b.AddOption(dhcpv4.OptionRelayAgentInfo, []byte{1, 9, 'x'})
	})
	got := string(NewFormatter(FormatOptions{}).AppendText(nil, message(t, "0.0.0.0:68", "255.255.255.255:67", pl)))
	for _, want := range []string{
		` [53 discover] [224 0x010203] [51 0x010203 (malformed: option dhcp4.dhcp-lease-time (51): `,
		` [3 0x0a0000 (malformed: option dhcp4.routers (3): `,
		` [125 0x0000118b0901 (malformed: option dhcp4.vivso-suboptions (125): enterprise block at offset 0 truncated)]`,
		` [12 "a\nb\x00"] [61 0x01525400123456] [55 1, 3, 6] [80] [82 0x010978 (malformed: `,
	} {
		if !strings.Contains(got, want) {
			t.Errorf("text:\n%s\nlacks:\n%s", got, want)
		}
	}
	if n := strings.Count(got, "\n"); n != 1 || !printable(strings.TrimSuffix(got, "\n")) {
		t.Errorf("text is not one printable line: %q", got)
	}
}

// TestTextVendor shows option 125's enterprises with their sub-options,
// named from the vendor's space where Kea defines it.
func TestTextVendor(t *testing.T) {
	pl := build(t, dhcpv4.BootRequest, dhcpv4.Discover, func(b *dhcpv4.Builder) {
		b.AddOption(dhcpv4.OptionVIVendorSpecific, []byte{0, 0, 0x11, 0x8b, 3, 1, 1, 2, 0, 0, 0, 9, 2, 7, 0})
	})
	f := NewFormatter(FormatOptions{})
	got := string(f.AppendText(nil, message(t, "0.0.0.0:68", "255.255.255.255:67", pl)))
	if want := ` [125 enterprise=4491 oro=2 enterprise=9 7]` + "\n"; !strings.HasSuffix(got, want) {
		t.Errorf("text:\n%s\nwant it to end in:\n%s", got, want)
	}
}

func TestTextMalformedMessage(t *testing.T) {
	good := build(t, dhcpv4.BootRequest, dhcpv4.Discover, nil)
	badCookie := append([]byte(nil), good...)
	badCookie[236] = 0
	d := datagram(ip4port("0.0.0.0:68"), ip4port("255.255.255.255:67"), good)
	lying := append([]byte(nil), d...)
	lying[24], lying[25] = 0xff, 0xff // UDP length beyond the datagram
	frag := append([]byte(nil), d...)
	frag[6] = 0x20 // more fragments
	for _, c := range []struct {
		name string
		m    *Message
		want string
	}{
		{"short", message(t, "0.0.0.0:68", "255.255.255.255:67", []byte{1, 2, 3}),
			`malformed (3 bytes): "dhcpv4: message shorter than the 240-byte fixed header"`},
		{"cookie", message(t, "0.0.0.0:68", "255.255.255.255:67", badCookie),
			fmt.Sprintf(`malformed (%d bytes): "dhcpv4: magic cookie missing or wrong"`, len(good))},
		{"UDP length", parsed(t, lying), fmt.Sprintf(`malformed (%d bytes): "UDP length 65535, but only %d bytes arrived"`, len(good), len(good)+8)},
		{"fragment", parsed(t, frag), fmt.Sprintf(`malformed (%d bytes): "first IPv4 fragment: %d of the UDP datagram's %d bytes"`, len(good), len(good)+8, len(good)+8)},
	} {
		got := string(NewFormatter(FormatOptions{}).AppendText(nil, c.m))
		if !strings.Contains(got, c.want+" (-x shows them)\n") {
			t.Errorf("%s:\n%s\nwant:\n%s", c.name, got, c.want)
		}
		hexed := string(NewFormatter(FormatOptions{Hex: true}).AppendText(nil, c.m))
		if lines := strings.Split(hexed, "\n"); len(lines) != 2+(len(c.m.Payload)+15)/16 || !strings.HasPrefix(lines[1], "\t0x0000:  ") {
			t.Errorf("%s with Hex:\n%s", c.name, hexed)
		}
	}
}

func TestHexDump(t *testing.T) {
	m := message(t, "0.0.0.0:68", "255.255.255.255:67", build(t, dhcpv4.BootRequest, dhcpv4.Discover, nil))
	got := string(NewFormatter(FormatOptions{Hex: true}).AppendText(nil, m))
	lines := strings.Split(got, "\n")
	if len(m.Payload) != 300 || len(lines) != 1+19+1 || lines[19] != "" && lines[20] != "" {
		t.Fatalf("%d bytes in %d lines:\n%s", len(m.Payload), len(lines), got)
	}
	if want := "\t0x0000:  0101 0600 1a2b 3c4d 0000 0000 0000 0000"; lines[1] != want {
		t.Errorf("first line %q, want %q", lines[1], want)
	}
	if want := "\t0x0120:  0000 0000 0000 0000 0000 0000"; lines[19] != want {
		t.Errorf("last line %q, want %q", lines[19], want)
	}
}

func TestJSON(t *testing.T) {
	m := message(t, "10.0.0.1:67", "10.0.1.1:67", offer(t))
	m.Outgoing = true
	line := NewFormatter(FormatOptions{}).AppendJSON(nil, m)
	if n := strings.Count(string(line), "\n"); n != 1 || line[len(line)-1] != '\n' {
		t.Fatalf("not one line: %q", line)
	}
	var got struct {
		Time, Interface, Direction, Src, Dst, Type, Op, XID, CHAddr, YIAddr, GIAddr, Payload string
		Options                                                                              []struct {
			Code       int
			Name, Data string
			Value      any
			Text       string
			Suboptions []struct {
				Code       int
				Name, Data string
				Value      any
			}
		}
	}
	if err := json.Unmarshal(line, &got); err != nil {
		t.Fatalf("%v: %s", err, line)
	}
	if got.Time != "2026-01-02T12:00:01.123456789Z" || got.Interface != "eth0" || got.Direction != "out" ||
		got.Src != "10.0.0.1:67" || got.Dst != "10.0.1.1:67" || got.Type != "OFFER" || got.Op != "BOOTREPLY" ||
		got.XID != "0x1a2b3c4d" || got.CHAddr != "52:54:00:12:34:56" || got.YIAddr != "10.0.0.50" || got.GIAddr != "10.0.1.1" || got.Payload != "" {
		t.Errorf("header fields: %+v", got)
	}
	vals := map[int]string{}
	for _, o := range got.Options {
		vals[o.Code] = fmt.Sprintf("%s %s %v %q", o.Name, o.Data, o.Value, o.Text)
	}
	for code, want := range map[int]string{
		53: `dhcp-message-type 02 2 "2"`,
		51: `dhcp-lease-time 00000e10 3600 "3600"`,
		6:  `domain-name-servers 0a0000350a000036 [10.0.0.53 10.0.0.54] "10.0.0.53, 10.0.0.54"`,
		12: `host-name 686f7374 host "host"`,
		82: `dhcp-agent-options 0106657468302f310202010205040a000100 <nil> ""`,
	} {
		if vals[code] != want {
			t.Errorf("option %d: %s, want %s", code, vals[code], want)
		}
	}
	subs := got.Options[len(got.Options)-1].Suboptions
	if len(subs) != 3 || subs[0].Name != "circuit-id" || subs[0].Value != "657468302f31" || subs[0].Data != "657468302f31" || subs[2].Value != "10.0.1.0" {
		t.Errorf("option 82's sub-options: %+v", subs)
	}

	bad := message(t, "0.0.0.0:68", "255.255.255.255:67", []byte{1, 2})
	var b struct{ Error, Payload, Type string }
	if err := json.Unmarshal(NewFormatter(FormatOptions{}).AppendJSON(nil, bad), &b); err != nil {
		t.Fatal(err)
	}
	if b.Error != "dhcpv4: message shorter than the 240-byte fixed header" || b.Payload != "0102" || b.Type != "" {
		t.Errorf("a malformed message: %+v", b)
	}
}
