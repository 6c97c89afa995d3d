package ddns

import "fmt"

// AppendWireName appends the DNS wire form of the text name s (Kea's text
// form: dots between labels, a final dot optional, \X and \DDD escapes),
// with A-Z lowercased when downcase is set, as Kea writes a name into a
// DHCID digest. The name is absolute: the root label ends it.
func AppendWireName(dst []byte, s string, downcase bool) ([]byte, error) {
	var nm name
	if err := nm.parseText([]byte(s), downcase); err != nil {
		return dst, fmt.Errorf("DNS name %q: %w", s, err)
	}
	return append(dst, nm.bytes()...), nil
}

// AbsoluteName returns s in Kea's canonical text form with its final dot,
// as Kea's DNS library prints a name it parsed: "Host1.example.org"
// becomes "Host1.example.org." (case is kept), escapes are rewritten in
// their shortest form.
func AbsoluteName(s string) (string, error) {
	var nm name
	if err := nm.parseText([]byte(s), false); err != nil {
		return "", fmt.Errorf("DNS name %q: %w", s, err)
	}
	return string(nm.appendText(nil, false)), nil
}
