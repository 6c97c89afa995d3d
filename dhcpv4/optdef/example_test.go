package optdef_test

import (
	"fmt"

	"github.com/leased/leased/dhcpv4/optdef"
)

// The package documentation's quick start: option 3 from Kea's text to the
// bytes on the wire, and back to Go values and to text.
func Example() {
	routers, ok := optdef.Standard().LookupName(optdef.SpaceDHCP4, "routers")
	if !ok {
		panic("no routers option")
	}
	payload, err := routers.Encode(nil, "192.0.2.1, 192.0.2.2", true)
	if err != nil {
		panic(err)
	}
	v, err := routers.Decode(payload)
	if err != nil {
		panic(err)
	}
	text, err := routers.Format(payload)
	if err != nil {
		panic(err)
	}
	fmt.Printf("option %d: % x\n%T %v\n%q\n", routers.Code, payload, v, v, text)
	// Output:
	// option 3: c0 00 02 01 c0 00 02 02
	// []netip.Addr [192.0.2.1 192.0.2.2]
	// "192.0.2.1, 192.0.2.2"
}
