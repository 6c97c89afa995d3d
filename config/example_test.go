package config_test

import (
	"fmt"
	"log"

	"github.com/leased/leased/config"
)

// The package documentation's quick start: a Dhcp4 configuration read from
// text (Load reads it from a file), its subnets walked, and a warning
// printed with the place it points at.
func Example() {
	src := `{"Dhcp4": {
  "valid-lifetime": 3600,
  "renew-timer": 4000,
  "subnet4": [{"id": 1, "subnet": "192.0.2.0/24",
    "pools": [{"pool": "192.0.2.100 - 192.0.2.199"}]}]
}}`
	cfg, diags, err := config.Parse("kea-dhcp4.conf", []byte(src), nil)
	for _, d := range diags {
		fmt.Println(d) // file:line:col: severity: message
	}
	if err != nil {
		log.Fatal(err) // config.ErrInvalid: diags holds the errors
	}
	for _, s := range cfg.Subnets {
		for _, p := range s.Pools {
			fmt.Println("subnet", s.ID, s.Prefix, "pool", p.First, "-", p.Last)
		}
	}
	// Output:
	// kea-dhcp4.conf:3:18: warning: Dhcp4: renew-timer 4000 (set at kea-dhcp4.conf:3:18) is not less than valid-lifetime 3600 (set at kea-dhcp4.conf:2:21); T1 will not be sent
	// subnet 1 192.0.2.0/24 pool 192.0.2.100 - 192.0.2.199
}
