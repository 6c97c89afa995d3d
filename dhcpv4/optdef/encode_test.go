package optdef

import (
	"bytes"
	"encoding/hex"
	"errors"
	"strings"
	"testing"
)

func mustHex(t *testing.T, s string) []byte {
	t.Helper()
	b, err := hex.DecodeString(strings.ReplaceAll(s, " ", ""))
	if err != nil {
		t.Fatalf("bad test hex %q: %v", s, err)
	}
	return b
}

func custom(t Type, array bool, recs ...Type) Def {
	return Def{Name: "test-opt", Code: 224, Space: "test", Type: t, Array: array, RecordTypes: recs}
}

type encCase struct {
	def  Def
	data string
	csv  bool
	want string // hex; ignored when err is set
	err  string // substring of the expected error
}

func runEncodeCases(t *testing.T, cases []encCase) {
	t.Helper()
	for _, c := range cases {
		got, err := c.def.Encode([]byte{0xEE}, c.data, c.csv)
		name := c.def.Name + "/" + c.def.Type.String() + "/" + c.data
		if c.err != "" {
			if err == nil {
				t.Errorf("%s: Encode = % x, want error containing %q", name, got, c.err)
			} else if !strings.Contains(err.Error(), c.err) {
				t.Errorf("%s: error %q does not contain %q", name, err, c.err)
			}
			if !bytes.Equal(got, []byte{0xEE}) {
				t.Errorf("%s: failed Encode changed dst: % x", name, got)
			}
			continue
		}
		if err != nil {
			t.Errorf("%s: %v", name, err)
			continue
		}
		if want := append([]byte{0xEE}, mustHex(t, c.want)...); !bytes.Equal(got, want) {
			t.Errorf("%s: Encode = % x, want % x", name, got, want)
		}
	}
}

func TestEncodeScalars(t *testing.T) {
	runEncodeCases(t, []encCase{
		{custom(TypeInt8, false), "-128", true, "80", ""},
		{custom(TypeInt8, false), "127", true, "7f", ""},
		{custom(TypeInt8, false), "128", true, "", "value 1 \"128\": expected int8 (-128..127): out of range"},
		{custom(TypeInt8, false), "-0x80", true, "80", ""},
		{custom(TypeInt16, false), "-2", true, "fffe", ""},
		{custom(TypeInt16, false), "32768", true, "", "int16 (-32768..32767)"},
		{custom(TypeInt32, false), "-25200", true, "ffff9d90", ""},
		{custom(TypeInt32, false), "2147483648", true, "", "out of range"},
		{custom(TypeUint8, false), "255", true, "ff", ""},
		{custom(TypeUint8, false), "0xf0", true, "f0", ""},
		{custom(TypeUint8, false), "1e", true, "1e", ""}, // not decimal, so hexadecimal, as in Kea
		{custom(TypeUint8, false), "10", true, "0a", ""},
		{custom(TypeUint8, false), "-1", true, "", "uint8 (0..255)"},
		{custom(TypeUint8, false), "256", true, "", "out of range"},
		{custom(TypeUint8, false), "1.5", true, "", "not an integer"},
		{custom(TypeUint8, false), "  7  ", true, "07", ""},
		{custom(TypeUint16, false), "65535", true, "ffff", ""},
		{custom(TypeUint16, false), "65536", true, "", "out of range"},
		{custom(TypeUint32, false), "4294967295", true, "ffffffff", ""},
		{custom(TypeUint32, false), "4294967296", true, "", "uint32 (0..4294967295)"},
		{custom(TypeUint32, false), "", true, "", "no option value specified"},
		{custom(TypeBoolean, false), "true", true, "01", ""},
		{custom(TypeBoolean, false), "False", true, "00", ""},
		{custom(TypeBoolean, false), "1", true, "01", ""},
		{custom(TypeBoolean, false), "2", true, "", "expected boolean: use true, false, 1 or 0"},
		{custom(TypeBoolean, false), "yes", true, "", "boolean"},
		{custom(TypeIPv4Address, false), "192.0.2.1", true, "c0000201", ""},
		{custom(TypeIPv4Address, false), "2001:db8::1", true, "", "not an IPv4 address"},
		{custom(TypeIPv4Address, false), "192.0.2.256", true, "", "not a valid IP address"},
		{custom(TypeIPv4Address, false), "192.0.2", true, "", "ipv4-address"},
		{custom(TypeIPv4Address, false), "::ffff:192.0.2.1", true, "", "not an IPv4 address"},
		{custom(TypeIPv6Address, false), "2001:db8::1", true, "20010db8000000000000000000000001", ""},
		{custom(TypeIPv6Address, false), "::ffff:192.0.2.1", true, "00000000000000000000ffffc0000201", ""},
		{custom(TypeIPv6Address, false), "192.0.2.1", true, "", "not an IPv6 address"},
		{custom(TypeIPv6Address, false), "fe80::1%eth0", true, "", "not a valid IP address"},
		{custom(TypeIPv6Prefix, false), "2001:db8::/32", true, "2020010db8", ""},
		{custom(TypeIPv6Prefix, false), "2001:db8:ffff::/33", true, "2120010db880", ""},
		{custom(TypeIPv6Prefix, false), "2001:db8::1 / 128", true, "8020010db8000000000000000000000001", ""},
		{custom(TypeIPv6Prefix, false), "::/0", true, "00", ""},
		{custom(TypeIPv6Prefix, false), "2001:db8::/129", true, "", "above 128"},
		{custom(TypeIPv6Prefix, false), "2001:db8::", true, "", "address/length"},
		{custom(TypeIPv6Prefix, false), "192.0.2.0/24", true, "", "not an IPv6 address"},
		{custom(TypePSID, false), "3/4", true, "043000", ""},
		{custom(TypePSID, false), "0x3/4", true, "043000", ""},
		{custom(TypePSID, false), "65535/16", true, "10ffff", ""},
		{custom(TypePSID, false), "5/0", true, "000000", ""},
		{custom(TypePSID, false), "16/4", true, "", "does not fit in 4 bits"},
		{custom(TypePSID, false), "1/17", true, "", "above 16"},
		{custom(TypePSID, false), "3", true, "", "psid/length"},
		{custom(TypeString, false), "hello", true, "68656c6c6f", ""},
		{custom(TypeString, false), "  hello world  ", true, "68656c6c6f20776f726c64", ""},
		{custom(TypeString, false), `a\,b\\c`, true, "612c625c63", ""},
		{custom(TypeString, false), "a, b", true, "61", ""}, // surplus values are ignored, as in Kea
		{custom(TypeString, false), "", true, "", "no option value specified"},
		{custom(TypeString, false), " ", true, "", "empty or only NULs"},
		{custom(TypeString, false), "ab\x00\x00", true, "6162", ""},
		{custom(TypeBinary, false), "0a0B", true, "0a0b", ""},
		{custom(TypeBinary, false), "0a 0B", true, "0a0b", ""},
		{custom(TypeBinary, false), " ", true, "", ""},
		{custom(TypeBinary, false), "abc", true, "", "odd number of hexadecimal digits"},
		{custom(TypeBinary, false), "0x0a", true, "", "expected binary"},
		{custom(TypeTuple, false), "abc", true, "03616263", ""},
		{custom(TypeTuple, false), strings.Repeat("x", 256), true, "", "longer than 255 bytes"},
		{custom(TypeFQDN, false), "Example.com", true, "074578616d706c6503636f6d00", ""},
		{custom(TypeFQDN, false), "a..b", true, "", "empty label"},
		{custom(TypeFQDN, false), ".", true, "", "option buffer truncated"}, // Kea sizes "." as two bytes
		{custom(TypeEmpty, false), "", true, "", ""},
		{custom(TypeEmpty, false), "x", true, "", "an option of type empty takes no value"},
		{custom(TypeInternal, false), "a, b", true, "612c2062", ""},
	})
}

func TestEncodeArrays(t *testing.T) {
	runEncodeCases(t, []encCase{
		{custom(TypeIPv4Address, true), "192.0.2.2, 192.0.2.3", true, "c0000202c0000203", ""},
		{custom(TypeIPv4Address, true), "192.0.2.2,,192.0.2.3,", true, "c0000202c0000203", ""},
		{custom(TypeIPv4Address, true), "", true, "", ""},
		{custom(TypeIPv4Address, true), "192.0.2.2, x", true, "", `value 2 "x": expected ipv4-address`},
		{custom(TypeUint16, true), "3072, 4096", true, "0c001000", ""},
		{custom(TypeUint16, true), "", true, "", "integer array is empty"},
		{custom(TypeUint8, true), "1,2,3", true, "010203", ""},
		{custom(TypeBoolean, true), "true, false", true, "0100", ""},
		{custom(TypeBoolean, true), "", true, "", "truncated"},
		{custom(TypeFQDN, true), "example.com, example.org", true, "076578616d706c6503636f6d00076578616d706c65036f726700", ""},
		{custom(TypeFQDN, true), "", true, "", "FQDN list option is empty"},
		{custom(TypeFQDN, true), ".", true, "00", ""},
		{custom(TypeTuple, true), "ab, c", true, "0261620163", ""},
		{custom(TypeTuple, true), "", true, "", ""},
		{custom(TypeIPv6Prefix, true), "2001:db8::/32, ::/0", true, "2020010db800", ""},
		{custom(TypePSID, true), "1/8, 2/8", true, "080100080200", ""},
		{custom(TypeIPv6Address, true), "::1, ::2", true, "0000000000000000000000000000000100000000000000000000000000000002", ""},
	})
}

func TestEncodeRecords(t *testing.T) {
	rec2 := custom(TypeRecord, false, TypeUint8, TypeString)
	runEncodeCases(t, []encCase{
		{rec2, "1, abc", true, "01616263", ""},
		{rec2, "1, ", true, "01", ""},
		{rec2, "1", true, "", "1 values given, the record has 2 fields"},
		{rec2, "1, abc, def", true, "01616263", ""},
		{rec2, `1, a\,b`, true, "01612c62", ""},
		{custom(TypeRecord, true, TypeUint8, TypeIPv4Address), "1, 192.0.2.1, 192.0.2.2", true, "01c0000201c0000202", ""},
		{custom(TypeRecord, false, TypeIPv4Address, TypePSID, TypeTuple, TypeFQDN, TypeString),
			"192.0.2.74, 3/4, 1, example.org, string", true,
			"c000024a" + "043000" + "0131" + "076578616d706c65036f726700" + "737472696e67", ""},
		{custom(TypeRecord, false, TypeUint8, TypeBinary), "0, 1A BB", true, "001abb", ""},
		{custom(TypeRecord, false, TypeUint8, TypeBinary), "300, 1A BB", true, "", `value 1 "300": expected uint8 (0..255)`},
		{custom(TypeRecord, false, TypeUint8, TypeIPv6Prefix), "1, 2001:db8::/32", true, "012020010db8", ""},
	})
}

func TestEncodeRaw(t *testing.T) {
	enc := Def{Name: "enc", Code: 1, Space: "test", Type: TypeEmpty, Encapsulate: "inner"}
	u32enc := Def{Name: "u", Code: 2, Space: "test", Type: TypeUint32, Encapsulate: "inner"}
	runEncodeCases(t, []encCase{
		{custom(TypeIPv4Address, false), "ffff8000", false, "ffff8000", ""},
		{custom(TypeIPv4Address, false), "ffff80", false, "", "truncated"},
		{custom(TypeIPv4Address, false), "ffff800001", false, "ffff8000", ""}, // surplus dropped, as Kea does
		{custom(TypeIPv4Address, true), "ffff800001", false, "", "not a multiple of 4"},
		{custom(TypeUint16, true), "000100", false, "", "not a multiple of 2"},
		{custom(TypeBoolean, true), "010002", false, "010002", ""},
		{custom(TypeUint8, true), "01:02:03", false, "010203", ""},
		{custom(TypeString, false), "'hello'", false, "68656c6c6f", ""},
		{custom(TypeString, false), "61626300", false, "616263", ""},
		{custom(TypeString, false), "0000", false, "", "empty or only NULs"},
		{custom(TypeBinary, false), "", false, "", ""},
		{custom(TypeBinary, false), "zz", false, "", "csv-format false"},
		{custom(TypeEmpty, false), "0102", false, "", ""}, // Kea builds an empty option and ignores data
		{enc, "0201aa 0101bb", false, "", "csv-format false"},
		{enc, "0201aa0101bb", false, "0101bb0201aa", ""}, // sub-options in code order
		{enc, "0101aa0101bb", false, "0102aabb", ""},     // instances of one code are joined
		{enc, "0101aa02", false, "0101aa", ""},           // a truncated tail is dropped
		{u32enc, "00000001 0101aa", false, "", "csv-format false"},
		{u32enc, "000000010101aa", false, "000000010101aa", ""},
		{custom(TypeFQDN, true), "03777777c000", false, "", "does not point backwards"},
		{custom(TypeFQDN, true), "0161000362626200", false, "0161000362626200", ""},
		{custom(TypeFQDN, true), "01610003777777c000", false, "01610003777777016100", ""},
		{custom(TypeRecord, true, TypeUint8, TypeIPv4Address), "01c0000201c00002", false, "01c0000201", ""}, // partial element dropped
	})
}

func TestEncodeStandardSpecials(t *testing.T) {
	r := Standard()
	get := func(name string) Def {
		d, ok := r.LookupName(SpaceDHCP4, name)
		if !ok {
			t.Fatalf("no standard option %s", name)
		}
		return d
	}
	runEncodeCases(t, []encCase{
		{get("slp-service-scope"), "true, slp-scope", true, "01736c702d73636f7065", ""},
		{get("slp-service-scope"), "false, ", true, "00", ""},
		{get("slp-service-scope"), "02", false, "", "not a boolean"},
		{get("fqdn"), "4, 0, 0, Host.Example.com", true, "040000" + "04686f7374076578616d706c6503636f6d00", ""},
		{get("fqdn"), "0, 0, 0, Host.Example.com.", true, "000000" + hex.EncodeToString([]byte("host.example.com.")), ""},
		{get("fqdn"), "0, 0, 0, host", true, "000000" + hex.EncodeToString([]byte("host")), ""},
		{get("fqdn"), "9, 0, 0, host", true, "", "both N and S flags are set"},
		{get("fqdn"), "04000004686f7374", false, "04000004686f7374", ""}, // partial name stays partial
		{get("fqdn"), "0400", false, "", "truncated"},
		{get("classless-static-route"), "10.229.0.128/25 - 10.229.0.1, 0.0.0.0/0 - 192.0.2.1", true, "190ae500800ae5000100c0000201", ""},
		{get("classless-static-route"), "10.0.0.0/8 - 10.0.0.1", true, "080a0a000001", ""},
		{get("classless-static-route"), "10.1.2.3/24 - 10.0.0.1", true, "180a01020a000001", ""},
		{get("classless-static-route"), "10.0.0.0/33 - 10.0.0.1", true, "", "not in 0..32"},
		{get("classless-static-route"), "10.0.0.0/8 10.0.0.1", true, "", "separated by '-'"},
		{get("classless-static-route"), "10.0.0.0 - 10.0.0.1", true, "", "is not an IPv4 prefix"},
		{get("classless-static-route"), "1", true, "", "too short"},
		{get("classless-static-route"), "080a0a000001", false, "080a0a000001", ""},
		{get("classless-static-route"), "210a0a0a0a0a000001", false, "", "mask width 33"},
		{get("classless-static-route"), "180a01020a0000", false, "", "truncated"},
		{get("vivco-suboptions"), "4491, 0f BA AD AB BA D0 00 00 00 00 00 00 00 00 CA FE", true, "0000118b0fbaadabbad00000000000000000cafe", ""},
		{get("vivco-suboptions"), "4491, ", true, "", "at least 5"},
		{get("vivco-suboptions"), "4491, 05 01", true, "", "truncated"},
		{get("vivco-suboptions"), "0000118b01aa0000118b01bb", false, "0000118b01aa0000118b01bb", ""},
		{get("vivco-suboptions"), "0000118b01aa0000118c01bb", false, "", "two enterprise numbers"},
		{get("vivco-suboptions"), "0000118b01aa0000118b00", false, "", "must be followed by data"},
		{get("vivso-suboptions"), "4491", true, "0000118b00", ""},
		{get("vivso-suboptions"), "0000118b060201aa0101bb", false, "0000118b060101bb0201aa", ""},
		{get("vivso-suboptions"), "0000118b0602", false, "", "truncated"},
		{get("vivso-suboptions"), "00001", false, "", "at least 4"},
		{get("v4-sztp-redirect"), "https://a.example/x", true, "0013" + hex.EncodeToString([]byte("https://a.example/x")), ""},
		{get("v4-sztp-redirect"), "0003616263", false, "0003616263", ""},
		{get("v4-sztp-redirect"), "00036162", false, "", "truncated"},
		{get("vendor-encapsulated-options"), "", true, "", ""},
		{get("vendor-encapsulated-options"), "x", true, "", "takes no value"},
		{get("vendor-encapsulated-options"), "00 01 01 aa ff 02 01 bb", false, "0101aa", ""}, // PAD and END in option 43
		{get("dhcp-agent-options"), "00 01 01 aa ff 01 bb", false, "000101", ""},             // no PAD/END inside option 82,
	})
}

func TestEncodeDNR(t *testing.T) {
	d, _ := Standard().LookupName(SpaceDHCP4, "v4-dnr")
	inst1 := "0030" + "0064" + "12" + "04646f7431076578616d706c65036f726700" +
		"08" + "0a000304" + "0a000305" +
		"0001" + "0008" + "03646f7403646f71" + "0003" + "0002" + "2152"
	inst2 := "0015" + "00c8" + "12" + "087265736f6c766572076578616d706c6500"
	doh := hex.EncodeToString([]byte("/dns-query{?dns}"))
	inst3 := "0028" + "0001" + "05" + "03646f6800" + "04" + "c0000201" +
		"0001" + "0003" + "026832" + "0007" + "0010" + doh
	runEncodeCases(t, []encCase{
		{d, `100, dot1.example.org., 10.0.3.4 10.0.3.5, alpn=dot\,doq port=8530 | 200, Resolver.Example.`, true, inst1 + inst2, ""},
		{d, `1, doh., 192.0.2.1, dohpath=/dns-query{?dns} alpn=h2`, true, inst3, ""},
		{d, inst1 + inst2, false, inst1 + inst2, ""},
		{d, "100", true, "", "at least a service priority and an authentication domain name"},
		{d, "x, a.", true, "", `service priority "x"`},
		{d, "1, a., 1.2.3.4, alpn=dot, 5", true, "", "at most 4 fields"},
		{d, "1, a., ::1", true, "", "is not an IPv4 address"},
		{d, "1, a., 1.2.3.4, alpn=h2", true, "", "dohpath is required"},
		{d, "1, a., 1.2.3.4, ipv4hint=1.2.3.4", true, "", "must not be used"},
		{d, "1, a., 1.2.3.4, alpn=foo", true, "", "not in the ALPN registry"},
		{d, "1, a., 1.2.3.4, mandatory=alpn", true, "", "not supported"},
		{d, "1, a., 1.2.3.4, port=1 port=2", true, "", "duplicated"},
		{d, "1, a., 1.2.3.4, dohpath=/x", true, "", "{?dns}"},
		{d, "1, a., 1.2.3.4, port", true, "", "key=value"},
		{d, "0003000100", false, "", "without an authentication domain name"},
		{d, "0008000102016100040102", false, "", "DNR"},
		{d, "000800010201610000", false, "", "DNR"},
		{d, "000d" + "0001" + "03016100" + "0401020304" + "0004", false, "", "svc-params truncated"},
		{d, "000f" + "0001" + "03016100" + "0401020304" + "00040000", false, "", "must not be used"},
	})
}

func TestDataErrorNamesOption(t *testing.T) {
	d, _ := Standard().LookupName(SpaceDHCP4, "routers")
	_, err := d.Encode(nil, "192.0.2.1, 192.0.2.300", true)
	var de *DataError
	if !errors.As(err, &de) {
		t.Fatalf("error %v is not a *DataError", err)
	}
	if de.Option != "dhcp4.routers (3)" || de.Index != 2 || de.Value != "192.0.2.300" || de.Expected != "ipv4-address" {
		t.Errorf("DataError = %+v", de)
	}
	want := `option dhcp4.routers (3): value 2 "192.0.2.300": expected ipv4-address: not a valid IP address`
	if err.Error() != want {
		t.Errorf("error text\n got %s\nwant %s", err, want)
	}
}
