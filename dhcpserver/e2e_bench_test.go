//go:build linux

package dhcpserver_test

import (
	"context"
	"flag"
	"net/netip"
	"syscall"
	"testing"
	"time"

	"github.com/leased/leased/dhcpserver"
	"github.com/leased/leased/dhcpv4"
	"github.com/leased/leased/internal/testnet"
)

var (
	perfRate    = flag.Int("perfdhcp.rate", 8000, "BenchmarkE2EPerfdhcp: offered DORA/s")
	perfPeriod  = flag.Duration("perfdhcp.period", 10*time.Second, "BenchmarkE2EPerfdhcp: length of each run")
	perfClients = flag.Int("perfdhcp.clients", 50000, "BenchmarkE2EPerfdhcp: simulated clients")
	perfWorkers = flag.Int("perfdhcp.workers", 0, "BenchmarkE2EPerfdhcp: Server.Workers (0: default)")
	perfInline  = flag.Bool("perfdhcp.inline", false, "BenchmarkE2EPerfdhcp: Server.Inline")
	perfDefer   = flag.Bool("perfdhcp.defer", false, "BenchmarkE2EPerfdhcp: defer the ACKs to a goroutine that sends them")
)

// stateless answers like the bench harness's ceiling responder: an OFFER
// or ACK with yiaddr derived from chaddr in 198.18.1.0-198.18.255.254 and
// options 54, 51, 1, 3. It keeps no state, so what is measured is the
// library.
var stateless = dhcpserver.Mux{
	Discover: dhcpserver.HandlerFunc(func(w dhcpserver.ResponseWriter, r *dhcpserver.Request) { answer(w, r, dhcpv4.Offer) }),
	Request:  dhcpserver.HandlerFunc(func(w dhcpserver.ResponseWriter, r *dhcpserver.Request) { answer(w, r, dhcpv4.Ack) }),
}

func answer(w dhcpserver.ResponseWriter, r *dhcpserver.Request, mt dhcpv4.MessageType) {
	h := uint32(2166136261)
	for _, c := range r.Packet.CHAddr() {
		h = (h ^ uint32(c)) * 16777619
	}
	off := 256 + h%(65534-256+1)
	b := w.Reply(mt)
	b.SetYIAddr(netip.AddrFrom4([4]byte{198, 18, byte(off >> 8), byte(off)}))
	b.AddIP(dhcpv4.OptionServerID, r.Local)
	b.AddUint32(dhcpv4.OptionLeaseTime, 7200)
	b.AddIP(dhcpv4.OptionSubnetMask, netip.AddrFrom4([4]byte{255, 255, 0, 0}))
	b.AddIP(dhcpv4.OptionRouter, r.Packet.GIAddr())
}

// BenchmarkE2EPerfdhcp loads a stateless server built on the library with
// perfdhcp in namespaces, as the harness in bench/ does for Kea, and reports
// the server's CPU time per lease (the test process is the server; perfdhcp
// is another process). Run it once per setting:
//
//	go test -run X -bench E2EPerfdhcp -benchtime 1x ./dhcpserver/ -perfdhcp.rate 8000 [-perfdhcp.inline] [-perfdhcp.defer]
func BenchmarkE2EPerfdhcp(b *testing.B) {
	testnet.RequireRoot(b, "perfdhcp")
	p := testnet.NewPair(b)
	h := dhcpserver.Handler(stateless)
	if *perfDefer {
		// ACKs go through a goroutine, as a server's group commit
		// sends them: what deferral costs.
		pending := make(chan dhcpserver.Deferred, 1024)
		// Closed after the server's Shutdown (last in, first out), when
		// no handler sends any more.
		defer close(pending)
		go func() {
			for d := range pending {
				d.Send()
			}
		}()
		h = dhcpserver.Mux{
			Discover: stateless.Discover,
			Request: dhcpserver.HandlerFunc(func(w dhcpserver.ResponseWriter, r *dhcpserver.Request) {
				d, ok := w.(dhcpserver.Deferrer).Defer()
				answer(w, r, dhcpv4.Ack)
				if ok {
					pending <- d
				}
			}),
		}
	}
	srv := &dhcpserver.Server{Handler: h, Workers: *perfWorkers, Inline: *perfInline}
	if err := p.Server.Do(srv.Listen); err != nil {
		b.Fatal(err)
	}
	go srv.Serve()
	defer srv.Shutdown(context.Background())
	for b.Loop() {
		before, t0 := rusage(b), time.Now()
		rep, err := testnet.RunPerfdhcp(context.Background(), p.Client, testnet.PerfdhcpOptions{
			Server: p.ServerAddr, LocalAddr: p.RelayAddr,
			Rate: *perfRate, Clients: *perfClients, Duration: *perfPeriod,
		})
		if err != nil {
			b.Fatal(err)
		}
		cpu, wall := rusage(b)-before, time.Since(t0)
		do, ra := rep.DiscoverOffer(), rep.RequestAck()
		leases := float64(ra.Received)
		b.ReportMetric(rep.Rate, "leases/s")
		b.ReportMetric(float64(cpu.Microseconds())/leases, "cpu-µs/lease")
		b.ReportMetric(100*float64(do.Sent-ra.Received)/float64(do.Sent), "drop-%")
		b.ReportMetric(float64(ra.AvgDelay.Microseconds()), "RA-avg-µs")
		b.Logf("rate %d: %.0f leases/s; DO sent %d recv %d (avg %v max %v); RA sent %d recv %d (avg %v max %v); server CPU %v over %v; stats %+v",
			*perfRate, rep.Rate, do.Sent, do.Received, do.AvgDelay, do.MaxDelay, ra.Sent, ra.Received, ra.AvgDelay, ra.MaxDelay, cpu, wall.Round(time.Millisecond), srv.Stats())
	}
}

func rusage(b *testing.B) time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		b.Fatal(err)
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
