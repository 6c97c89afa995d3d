// Command ceiling is the bench harness's do-nothing DHCPv4 server: it
// answers every DISCOVER with an OFFER and every REQUEST with an ACK for
// an address computed from the client's hardware address, and keeps no
// state. Served with the dhcpserver library exactly as `leased serve`
// serves (inline handlers, recvmmsg/sendmmsg), it measures what the
// harness itself (perfdhcp, the veth pair, the kernel's UDP path and the
// library) costs, so that a real server's figures can be read against
// it: no server can do better on the same machine.
//
//	ceiling -i srv0 -pool 198.18.1.0-198.18.255.254 [-direct 192.0.2.100-192.0.2.199]
//
// Relayed requests (giaddr set, as perfdhcp sends them) get an address in
// -pool, direct ones in -direct. Two clients may get the same address:
// nothing is allocated, which is the point.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"hash/fnv"
	"log/slog"
	"net/netip"
	"os"
	"os/signal"
	"strings"
	"syscall"

	"github.com/leased/leased/dhcpserver"
	"github.com/leased/leased/dhcpv4"
)

func main() {
	if err := run(os.Args[1:]); err != nil {
		fmt.Fprintln(os.Stderr, "ceiling:", err)
		os.Exit(1)
	}
}

// addrRange is an inclusive range of IPv4 addresses.
type addrRange struct{ first, size uint32 }

func parseRange(s string) (addrRange, error) {
	lo, hi, _ := strings.Cut(s, "-")
	a, err := netip.ParseAddr(lo)
	if err != nil || !a.Is4() {
		return addrRange{}, fmt.Errorf("range %q: first address: want IPv4, got %q", s, lo)
	}
	b, err := netip.ParseAddr(hi)
	if err != nil || !b.Is4() {
		return addrRange{}, fmt.Errorf("range %q: last address: want IPv4, got %q", s, hi)
	}
	first, last := dhcpv4.AddrToUint32(a), dhcpv4.AddrToUint32(b)
	if last < first {
		return addrRange{}, fmt.Errorf("range %q: last address before the first", s)
	}
	return addrRange{first: first, size: last - first + 1}, nil
}

// pick maps a hardware address into the range, the same address every
// time for the same client.
func (r addrRange) pick(chaddr []byte) netip.Addr {
	h := fnv.New32a()
	h.Write(chaddr)
	v := r.first + h.Sum32()%r.size
	return dhcpv4.Uint32ToAddr(v)
}

// responder answers from the ranges; it holds nothing that changes.
type responder struct {
	relayed, direct addrRange
	mask            netip.Addr
	lifetime        uint32
}

func (s *responder) reply(mt dhcpv4.MessageType) dhcpserver.HandlerFunc {
	return func(w dhcpserver.ResponseWriter, r *dhcpserver.Request) {
		router := r.Packet.GIAddr()
		pool := s.relayed
		if !router.IsValid() || router.IsUnspecified() {
			router, pool = r.Local, s.direct
		}
		b := w.Reply(mt)
		b.SetYIAddr(pool.pick(r.Packet.CHAddr()))
		b.AddIP(dhcpv4.OptionServerID, r.Local)
		b.AddUint32(dhcpv4.OptionLeaseTime, s.lifetime)
		b.AddIP(dhcpv4.OptionSubnetMask, s.mask)
		b.AddIP(dhcpv4.OptionRouter, router)
	}
}

func run(args []string) error {
	fs := flag.NewFlagSet("ceiling", flag.ContinueOnError)
	iface := fs.String("i", "", "interface to serve (required)")
	pool := fs.String("pool", "198.18.1.0-198.18.255.254", "addresses for relayed clients, FIRST-LAST")
	direct := fs.String("direct", "192.0.2.100-192.0.2.199", "addresses for clients on the link, FIRST-LAST")
	mask := fs.String("mask", "255.255.0.0", "subnet mask (option 1) sent to every client")
	lifetime := fs.Uint("lifetime", 7200, "lease time (option 51) in seconds")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *iface == "" {
		return errors.New("-i: an interface is required")
	}
	s := &responder{lifetime: uint32(*lifetime)}
	var err error
	if s.relayed, err = parseRange(*pool); err != nil {
		return fmt.Errorf("-pool: %w", err)
	}
	if s.direct, err = parseRange(*direct); err != nil {
		return fmt.Errorf("-direct: %w", err)
	}
	if s.mask, err = netip.ParseAddr(*mask); err != nil || !s.mask.Is4() {
		return fmt.Errorf("-mask: want an IPv4 mask, got %q", *mask)
	}

	srv := &dhcpserver.Server{
		Interfaces: []string{*iface},
		Inline:     true,
		Handler:    dhcpserver.Mux{Discover: s.reply(dhcpv4.Offer), Request: s.reply(dhcpv4.Ack)},
		Logger:     slog.New(slog.NewTextHandler(os.Stderr, nil)),
	}
	if err := srv.Listen(); err != nil {
		return fmt.Errorf("listening on %s: %w", *iface, err)
	}
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGTERM, os.Interrupt)
	defer stop()
	go func() {
		<-ctx.Done()
		srv.Close()
	}()
	if err := srv.Serve(); err != nil && !errors.Is(err, dhcpserver.ErrServerClosed) {
		return fmt.Errorf("serving %s: %w", *iface, err)
	}
	return nil
}
