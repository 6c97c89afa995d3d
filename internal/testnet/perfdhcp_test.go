//go:build linux

package testnet

import (
	"strings"
	"testing"
	"time"
)

// Reports as perfdhcp 2.2 printed them on this project's machines.
const perfdhcpOK = `Running: perfdhcp -4 -g single -l 198.18.0.1 -R 200 -r 100 -p 3 -d 1 -W 1000000 192.0.2.1
Scenario: basic.
WARNING: Currently system can run more than 1 thread in parallel.
***Rate statistics***
Rate: 74.7484 4-way exchanges/second, expected rate: 100

***Malformed Packets***
Malformed packets: 0
***Statistics for: DISCOVER-OFFER***
sent packets: 299
received packets: 298
drops: 1
drops ratio: 0.334 %
orphans: 0
rejected leases: 0
non unique addresses: 0

min delay: 0.056 ms
avg delay: 0.064 ms
max delay: 0.307 ms
std deviation: 0.020 ms
collected packets: 0

***Statistics for: REQUEST-ACK***
sent packets: 298
received packets: 297
drops: 1
drops ratio: 0.336 %
orphans: 2
rejected leases: 0
non unique addresses: 0

min delay: 0.193 ms
avg delay: 1.242 ms
max delay: 1.834 ms
std deviation: 0.157 ms
collected packets: 0
`

const perfdhcpNoServer = `Running: perfdhcp -4 -r 5 -n 5 -R 5 -d 1 -W 500000 -l 192.0.2.5 192.0.2.9
Scenario: basic.
Multi-thread mode enabled.
***Rate statistics***
Rate: 0 4-way exchanges/second, expected rate: 5

***Malformed Packets***
Malformed packets: 0
***Statistics for: DISCOVER-OFFER***
sent packets: 5
received packets: 0
drops: 5
drops ratio: 100 %
orphans: 0
rejected leases: 0
non unique addresses: 0

min delay: inf ms
avg delay: min delay: n/a
avg delay: n/a
max delay: n/a
std deviation: n/a
collected packets: 0

***Statistics for: REQUEST-ACK***
sent packets: 0
received packets: 0
drops: 0
drops ratio: -nan %
orphans: 0
rejected leases: 0
non unique addresses: 0

min delay: inf ms
avg delay: min delay: n/a
avg delay: n/a
max delay: n/a
std deviation: n/a
collected packets: 0
`

func TestParsePerfdhcp(t *testing.T) {
	r, err := ParsePerfdhcp(perfdhcpOK)
	if err != nil {
		t.Fatal(err)
	}
	if r.Rate != 74.7484 || r.ExpectedRate != 100 || r.Malformed != 0 {
		t.Errorf("rate %v expected %v malformed %v", r.Rate, r.ExpectedRate, r.Malformed)
	}
	do := r.DiscoverOffer()
	want := PerfdhcpExchange{Sent: 299, Received: 298, Drops: 1, DropsRatio: 0.334,
		MinDelay: 56 * time.Microsecond, AvgDelay: 64 * time.Microsecond, MaxDelay: 307 * time.Microsecond, StdDev: 20 * time.Microsecond}
	if !sameExchange(do, want) {
		t.Errorf("DISCOVER-OFFER = %+v, want %+v", do, want)
	}
	ra := r.RequestAck()
	if ra.Sent != 298 || ra.Received != 297 || ra.Orphans != 2 || ra.AvgDelay != 1242*time.Microsecond {
		t.Errorf("REQUEST-ACK = %+v", ra)
	}
	if len(r.Exchanges) != 2 {
		t.Errorf("%d exchange types, want 2", len(r.Exchanges))
	}

	r, err = ParsePerfdhcp(perfdhcpNoServer)
	if err != nil {
		t.Fatal(err)
	}
	do = r.DiscoverOffer()
	if do.Sent != 5 || do.Received != 0 || do.Drops != 5 || do.DropsRatio != 100 || do.MinDelay != 0 || do.AvgDelay != 0 {
		t.Errorf("no-server DISCOVER-OFFER = %+v", do)
	}
	if r.RequestAck().DropsRatio != 0 || r.Rate != 0 {
		t.Errorf("no-server report: %+v", r)
	}
}

// sameExchange compares with a tolerance for float rounding in delays.
func sameExchange(a, b PerfdhcpExchange) bool {
	near := func(x, y time.Duration) bool { d := x - y; return d < time.Nanosecond && d > -time.Nanosecond }
	return a.Sent == b.Sent && a.Received == b.Received && a.Drops == b.Drops && a.Orphans == b.Orphans &&
		a.DropsRatio == b.DropsRatio && near(a.MinDelay, b.MinDelay) && near(a.AvgDelay, b.AvgDelay) &&
		near(a.MaxDelay, b.MaxDelay) && near(a.StdDev, b.StdDev)
}

func TestParsePerfdhcpErrors(t *testing.T) {
	for name, in := range map[string]string{
		"empty":         "",
		"no stats":      "Running: perfdhcp\nError: failed to open socket\n",
		"bad counter":   "***Statistics for: DISCOVER-OFFER***\nsent packets: many\n",
		"bad rate":      "Rate: fast 4-way exchanges/second\n***Statistics for: X***\nsent packets: 1\n",
		"nameless":      "***Statistics for: ***\nsent packets: 1\n",
		"bad malformed": "Malformed packets: -x\n***Statistics for: X***\n",
	} {
		if _, err := ParsePerfdhcp(in); err == nil {
			t.Errorf("%s: accepted", name)
		}
	}
}

func FuzzParsePerfdhcp(f *testing.F) {
	f.Add(perfdhcpOK)
	f.Add(perfdhcpNoServer)
	f.Add("***Statistics for: A***\nmin delay: 1e308 s\n")
	f.Fuzz(func(t *testing.T, s string) {
		r, err := ParsePerfdhcp(s)
		if err == nil && (len(r.Exchanges) == 0 || !strings.Contains(s, "Statistics for:")) {
			t.Fatalf("accepted a report without statistics: %q", s)
		}
	})
}
