package ha_test

import (
	"fmt"
	"log"

	"github.com/leased/leased/dhcpv4"
	"github.com/leased/leased/ha"
)

// The package documentation's quick start: the hook parameters of a
// load-balancing pair read, and the server of the pair that answers one
// client decided as Kea decides it.
func Example() {
	params := `{"high-availability": [{
	  "this-server-name": "server1", "mode": "load-balancing",
	  "peers": [
	    {"name": "server1", "url": "http://192.0.2.1:8000/", "role": "primary"},
	    {"name": "server2", "url": "http://192.0.2.2:8000/", "role": "secondary"}]}]}`
	cfg, err := ha.Parse([]byte(params), ha.Options{Dialect: ha.Kea22})
	if err != nil {
		log.Fatal(err) // names the parameter at fault, e.g. high-availability[0].peers[1].url
	}
	rel := cfg.Relationships[0]
	fmt.Println(rel.ThisServerName, rel.Mode, "partner", rel.Partner().Name)

	var b dhcpv4.Builder
	b.Begin(make([]byte, dhcpv4.MinMessageSize), dhcpv4.BootRequest, dhcpv4.Discover, 1)
	b.SetCHAddr(1, []byte{2, 0, 0, 0, 0, 1})
	msg, err := b.Finish()
	if err != nil {
		log.Fatal(err)
	}
	q, err := dhcpv4.Parse(msg)
	if err != nil {
		log.Fatal(err)
	}
	scope, _ := rel.Select(q) // the hash of the client identifier, else of chaddr
	fmt.Println("hash", ha.LoadBalanceHash(ha.ClientKey(nil, q.CHAddr())), "served by", scope, "class", ha.ScopeClass(scope))
	// Output:
	// server1 load-balancing partner server2
	// hash 133 served by server2 class HA_server2
}
