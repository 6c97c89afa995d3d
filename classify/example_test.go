package classify_test

import (
	"fmt"
	"log"

	"github.com/leased/leased/classify"
	"github.com/leased/leased/dhcpv4"
)

// The package documentation's quick start: a class test and a string
// expression compiled once, then evaluated on a client's DISCOVER.
func Example() {
	pxe, err := classify.Compile(`substring(option[60].hex, 0, 9) == 'PXEClient' and pkt.iface == 'eth0'`, classify.Bool, nil)
	if err != nil {
		log.Fatal(err) // a *SyntaxError with the column
	}
	mac := classify.MustCompile(`hexstring(pkt4.mac, ':')`, classify.String, nil)

	var b dhcpv4.Builder
	b.Begin(make([]byte, dhcpv4.MinMessageSize), dhcpv4.BootRequest, dhcpv4.Discover, 1)
	b.SetCHAddr(1, []byte{2, 0, 0, 0, 0, 1})
	b.AddString(dhcpv4.OptionVendorClass, "PXEClient:Arch:00000")
	msg, err := b.Finish()
	if err != nil {
		log.Fatal(err)
	}
	p, err := dhcpv4.Parse(msg)
	if err != nil {
		log.Fatal(err)
	}

	var e classify.Eval // one per goroutine; reused, it does not allocate
	e.Begin(p, classify.Meta{Iface: "eth0"})
	ok, err := e.Bool(pxe)
	fmt.Println("PXE client:", ok, err)
	v, err := e.Value(mac)
	fmt.Printf("mac: %s %v\n", v, err)
	// Output:
	// PXE client: true <nil>
	// mac: 02:00:00:00:00:01 <nil>
}
