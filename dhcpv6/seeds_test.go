package dhcpv6

import (
	"encoding/binary"
	"encoding/hex"
	"net/netip"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// The seeds are assembled byte by byte with tlv, not with Builder, so
// that the tests of Builder and of the decoder do not share a mistake.

func tlv(code OptionCode, parts ...[]byte) []byte {
	var v []byte
	for _, p := range parts {
		v = append(v, p...)
	}
	b := binary.BigEndian.AppendUint16(nil, uint16(code))
	b = binary.BigEndian.AppendUint16(b, uint16(len(v)))
	return append(b, v...)
}

func u8(v uint8) []byte   { return []byte{v} }
func u16(v uint16) []byte { return binary.BigEndian.AppendUint16(nil, v) }
func u32(v uint32) []byte { return binary.BigEndian.AppendUint32(nil, v) }
func ip6(s string) []byte { a := netip.MustParseAddr(s).As16(); return a[:] }

func msg(mt MessageType, xid uint32, opts ...[]byte) []byte {
	b := []byte{byte(mt), byte(xid >> 16), byte(xid >> 8), byte(xid)}
	for _, o := range opts {
		b = append(b, o...)
	}
	return b
}

var (
	seedClientDUID = []byte{0, 1, 0, 1, 0x2c, 0x1f, 0x3a, 0x55, 0x02, 0x00, 0x5e, 0x10, 0x00, 0x01} // DUID-LLT
	seedServerDUID = []byte{0, 3, 0, 1, 0x02, 0x00, 0x5e, 0x10, 0x00, 0x99}                         // DUID-LL
)

type seed struct {
	name string
	data []byte
}

// seedMessages are one message of each kind a client and server
// exchange, as Kea and dibbler send them, and a relayed Solicit.
func seedMessages() []seed {
	solicit := msg(Solicit, 0x123456,
		tlv(OptionClientID, seedClientDUID),
		tlv(OptionElapsedTime, u16(0)),
		tlv(OptionORO, u16(23), u16(24), u16(56), u16(82), u16(83)),
		tlv(OptionRapidCommit),
		tlv(OptionReconfigureAccept),
		tlv(OptionIANA, u32(1), u32(0), u32(0)),
		tlv(OptionIAPD, u32(2), u32(0), u32(0),
			tlv(OptionIAPrefix, u32(0), u32(0), u8(56), ip6("::"))),
	)
	advertise := msg(Advertise, 0x123456,
		tlv(OptionServerID, seedServerDUID),
		tlv(OptionClientID, seedClientDUID),
		tlv(OptionPreference, u8(255)),
		tlv(OptionIANA, u32(1), u32(1000), u32(2000),
			tlv(OptionIAAddr, ip6("2001:db8:1::10"), u32(3000), u32(4000))),
		tlv(OptionIAPD, u32(2), u32(1000), u32(2000),
			tlv(OptionIAPrefix, u32(3000), u32(4000), u8(56), ip6("2001:db8:ff00::"))),
		tlv(OptionDNSServers, ip6("2001:db8::53"), ip6("2001:db8::54")),
		tlv(OptionDomainList, []byte("\x07example\x03com\x00\x03lab\x07example\x00")),
	)
	reply := msg(Reply, 0xabcdef,
		tlv(OptionServerID, seedServerDUID),
		tlv(OptionClientID, seedClientDUID),
		tlv(OptionRapidCommit),
		tlv(OptionUnicast, ip6("2001:db8::1")),
		tlv(OptionStatusCode, u16(0), []byte("all good")),
		tlv(OptionIANA, u32(1), u32(1000), u32(2000),
			tlv(OptionIAAddr, ip6("2001:db8:1::10"), u32(3000), u32(4000)),
			tlv(OptionIAAddr, ip6("2001:db8:1::11"), u32(0), u32(0),
				tlv(OptionStatusCode, u16(uint16(StatusNotOnLink)), []byte("gone")))),
		tlv(OptionIAPD, u32(2), u32(0xffffffff), u32(0xffffffff),
			tlv(OptionIAPrefix, u32(0xffffffff), u32(0xffffffff), u8(56), ip6("2001:db8:ff00::"))),
		tlv(OptionNTPServer,
			tlv(NTPSuboptionServerAddr, ip6("2001:db8::123")),
			tlv(NTPSuboptionServerFQDN, []byte("\x03ntp\x07example\x00"))),
		tlv(OptionSolMaxRT, u32(7200)),
		tlv(OptionInfMaxRT, u32(7200)),
		tlv(OptionInfoRefreshTime, u32(86400)),
	)
	noBinding := msg(Reply, 0x000001,
		tlv(OptionServerID, seedServerDUID),
		tlv(OptionClientID, seedClientDUID),
		tlv(OptionIANA, u32(1), u32(0), u32(0),
			tlv(OptionStatusCode, u16(uint16(StatusNoBinding)), []byte("no binding for this IA"))),
		tlv(OptionIATA, u32(7),
			tlv(OptionIAAddr, ip6("2001:db8:2::7"), u32(100), u32(200))),
	)
	reconfigure := msg(Reconfigure, 0,
		tlv(OptionServerID, seedServerDUID),
		tlv(OptionClientID, seedClientDUID),
		tlv(OptionReconfigureMsg, u8(uint8(Renew))),
		tlv(OptionAuth, u8(3), u8(1), u8(0), make([]byte, 8), u8(2), make([]byte, 16)),
	)
	relayed := append([]byte{byte(RelayForw), 1}, ip6("2001:db8:1::1")...)
	relayed = append(relayed, ip6("fe80::200:5eff:fe10:1")...)
	relayed = append(relayed, tlv(OptionInterfaceID, []byte("eth1"))...)
	relayed = append(relayed, tlv(OptionRelayMessage, solicit)...)
	return []seed{
		{"solicit", solicit},
		{"advertise", advertise},
		{"reply", reply},
		{"reply-nobinding", noBinding},
		{"reconfigure", reconfigure},
		{"relay-forw", relayed},
		{"information-request", msg(InformationRequest, 0x42, tlv(OptionClientID, seedClientDUID), tlv(OptionElapsedTime, u16(100)), tlv(OptionORO, u16(23)))},
	}
}

// serverMessages are the captured messages of kea-dhcp6, dibbler-server
// and dnsmasq in testdata/servers.
func serverMessages(t testing.TB) []seed {
	files, err := filepath.Glob(filepath.Join("testdata", "servers", "*.hex"))
	if err != nil || len(files) == 0 {
		t.Fatalf("no captured server messages in testdata/servers: %v", err)
	}
	var out []seed
	for _, f := range files {
		text, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		b, err := hex.DecodeString(strings.TrimSpace(string(text)))
		if err != nil {
			t.Fatalf("%s: %v", f, err)
		}
		out = append(out, seed{filepath.Base(f), b})
	}
	return out
}

func addSeeds(f *testing.F) {
	for _, s := range seedMessages() {
		f.Add(s.data)
	}
	for _, s := range serverMessages(f) {
		f.Add(s.data)
	}
}
