package classify

import "testing"

func TestSmoke(t *testing.T) {
	for _, s := range []string{
		"option[60].text == 'x'",
		"substring(option[61].hex,0,3) == 'foo'",
		"not member('KNOWN') and (pkt4.mac == 0x010203040506 or relay4[1].hex == 'a')",
		"'a' + 'b' == concat('a','b')",
		"ifelse(option[12].exists, option[12].text, 'none') == 'x' sor 10.0.0.1 == pkt4.giaddr",
		"vendor[4491].option[1].exists and vendor-class[*].data[2] == 'x' and vendor.enterprise == 4491",
		"match('foo.*', lcase(option[12].text))",
	} {
		x, err := Compile(s, Bool, nil)
		if err != nil {
			t.Fatalf("%s: %v", s, err)
		}
		t.Log(x.String())
	}
	for _, s := range []string{"option[60].text == ", "option[60].txt", "foo", "(1 == 1", "'a' and 'b'", "10.0.1"} {
		_, err := Compile(s, Bool, nil)
		t.Log(s, "=>", err)
	}
}
