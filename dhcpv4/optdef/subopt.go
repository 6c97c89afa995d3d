package optdef

import (
	"fmt"
	"slices"
)

// AppendSuboptions appends subs as code, length, data triples in code
// order (sub-options with equal codes keep their relative order), which
// is the order Kea sends them in. It fails if a sub-option has more than
// 255 bytes of data.
func AppendSuboptions(dst []byte, subs []Suboption) ([]byte, error) {
	return appendSuboptions(dst, slices.Clone(subs))
}

func appendSuboptions(dst []byte, subs []Suboption) ([]byte, error) {
	slices.SortStableFunc(subs, func(a, b Suboption) int { return int(a.Code) - int(b.Code) })
	for _, s := range subs {
		if len(s.Data) > 255 {
			return dst, fmt.Errorf("sub-option %d is %d bytes long; the limit is 255", s.Code, len(s.Data))
		}
		dst = append(dst, s.Code, byte(len(s.Data)))
		dst = append(dst, s.Data...)
	}
	return dst, nil
}

// ParseSuboptions splits b into code, length, data triples. Every
// sub-option must be complete; the Data slices alias b. PAD and END have
// no special meaning inside an option.
func ParseSuboptions(b []byte) ([]Suboption, error) {
	return splitTLVs(b)
}
