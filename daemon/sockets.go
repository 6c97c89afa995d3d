package daemon

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"slices"
	"strings"
	"sync/atomic"
	"time"

	"github.com/leased/leased/config"
	"github.com/leased/leased/config/jsonc"
	"github.com/leased/leased/control"
	"github.com/leased/leased/dhcpserver"
	"github.com/leased/leased/stats"
)

// How interfaces-config's socket settings map onto leased's sockets.
//
// dhcp-socket-type "raw" is what leased does anyway: it receives on UDP
// sockets (which see the broadcasts of clients that have no address yet)
// and unicasts replies to such clients through packet sockets. "udp" asks
// Kea for plain UDP sockets bound to the interfaces' addresses, which
// serve relayed and unicast traffic only: leased then opens no packet
// sockets (dhcpserver.Server.NoRawSockets) and drops the messages that
// reached it by broadcast, which Kea's sockets would never have received.
//
// Where the system has no packet sockets (FreeBSD, macOS; see
// dhcpserver.HardwareUnicast), "raw" still receives the broadcasts of
// clients without an address, through UDP sockets as Kea's BSD builds do
// through BPF, but the replies that would go to such a client's hardware
// address are broadcast; Run says so once when it starts.
//
// outbound-interface "use-routing" (Kea applies it to UDP sockets only)
// lets the routing table, not the inbound interface, choose where replies
// leave. leased's sockets bound to an interface (SO_BINDTODEVICE) always
// answer through it, so with "use-routing" it serves through one socket
// bound to no interface, and drops what was not sent to an address Kea
// would have bound a socket to: those of the named interfaces, or the one
// given with a name ("eth0/192.0.2.1"), whichever interface the message
// came in on.
//
// service-sockets-require-all, -max-retries and -retry-wait-time decide
// what happens when a socket cannot be opened, as in Kea: by default the
// server runs without it (and status-get reports it); with max-retries it
// tries again every retry-wait-time milliseconds, up to that many times,
// while serving on the sockets it has; with require-all, a socket that is
// still missing when the retries are spent stops the server (at start,
// without retries, it does not start). Unlike Kea, which runs on with no
// socket at all, a server that could open none of its DHCP sockets at
// start (once its retries, if any, are spent) exits with status 1 and
// says why: it would answer no client.

// sockPolicy is what the socket filter applies to each message.
type sockPolicy struct {
	udp bool // dhcp-socket-type "udp": drop what arrived by broadcast
	// to, when not nil, holds the addresses served through one unbound
	// socket (outbound-interface "use-routing").
	to map[netip.Addr]bool
}

// policyOf returns the filter's policy for cfg. The addresses of the
// interfaces are read now, as Kea reads them when it opens its sockets.
func policyOf(cfg *config.Config) *sockPolicy {
	p := &sockPolicy{udp: cfg.Interfaces.DHCPSocketType == "udp"}
	if !useRouting(cfg) {
		return p
	}
	p.to = make(map[netip.Addr]bool)
	for _, entry := range cfg.Interfaces.Interfaces {
		name, addr, ok := strings.Cut(entry, "/")
		if ok {
			if a, err := netip.ParseAddr(addr); err == nil {
				p.to[a] = true
			}
			continue
		}
		ifi, err := net.InterfaceByName(name)
		if err != nil {
			continue // checkInterfaces reports it
		}
		addrs, _ := ifi.Addrs()
		for _, a := range addrs {
			if ipn, ok := a.(*net.IPNet); ok {
				if a, ok := netip.AddrFromSlice(ipn.IP); ok && a.Unmap().Is4() {
					p.to[a.Unmap()] = true
				}
			}
		}
	}
	return p
}

// useRouting reports whether replies should follow the routing table:
// outbound-interface "use-routing" with UDP sockets and named interfaces
// (with "*" the one socket is unbound anyway).
func useRouting(cfg *config.Config) bool {
	ic := &cfg.Interfaces
	return ic.DHCPSocketType == "udp" && ic.OutboundInterface == "use-routing" && len(namedInterfaces(cfg)) > 0
}

// socketFilter drops, before they are counted or answered, the messages
// that the sockets interfaces-config asks for would not have received,
// and every message while the service is disabled (dhcp-disable): Kea
// drops those too before it counts anything.
type socketFilter struct {
	next   dhcpserver.Handler
	policy atomic.Pointer[sockPolicy]
	// off, when set and true, says the service is disabled.
	off *atomic.Bool
	// unseen, when set, counts the messages dropped here: Kea would not
	// have counted them, so they come off pkt4-received.
	unseen *atomic.Int64
	// ha, when set, drops what the high-availability state machine does
	// not let this server answer (see haGate.admits), counted in pk.
	ha *haGate
	pk *stats.Packets
}

func (f *socketFilter) ServeDHCP(w dhcpserver.ResponseWriter, r *dhcpserver.Request) {
	if f.off != nil && f.off.Load() || f.policy.Load().drops(r.Dst) {
		if f.unseen != nil {
			f.unseen.Add(1)
		}
		return
	}
	if f.ha != nil && !f.ha.admits(r.Packet) {
		// Kea 3.x counts what its HA hook drops as received, not for
		// this server, and dropped.
		if f.pk != nil {
			f.pk.Drop(f.pk.NotForUs)
		}
		return
	}
	f.next.ServeDHCP(w, r)
}

// drops reports whether Kea's sockets would not have received a message
// sent to dst. A nil policy drops nothing.
func (p *sockPolicy) drops(dst netip.Addr) bool {
	return p != nil && (p.udp && dst == broadcast4 || p.to != nil && !p.to[dst])
}

var broadcast4 = netip.AddrFrom4([4]byte{255, 255, 255, 255})

// namedInterfaces returns the interface names interfaces-config lists,
// without addresses and repeats, sorted; nil when it lists "*" or nothing.
func namedInterfaces(cfg *config.Config) []string {
	var out []string
	for _, name := range cfg.Interfaces.Interfaces {
		if name == "*" {
			return nil
		}
		if i := strings.IndexByte(name, '/'); i >= 0 {
			name = name[:i]
		}
		if !slices.Contains(out, name) {
			out = append(out, name)
		}
	}
	slices.Sort(out)
	return out
}

// checkInterfaces reports the interfaces cfg names that the system does
// not have. Kea rejects such a configuration; so does leased, at start
// and on reconfiguration. It also refuses a configuration that lists no
// interface at all: Kea serves none then (its default configuration is
// such), and a leased that served every interface instead would answer
// clients on networks nobody asked it to serve.
func checkInterfaces(cfg *config.Config) error {
	if err := checkListed(cfg); err != nil {
		return err
	}
	var errs []error
	for _, name := range namedInterfaces(cfg) {
		if _, err := net.InterfaceByName(name); err != nil {
			errs = append(errs, fmt.Errorf("interfaces-config: interface %s: %w", jsonc.Quote(name), err))
		}
	}
	return errors.Join(errs...)
}

// checkListed refuses a configuration whose interfaces-config lists no
// interface (see checkInterfaces). It asks nothing of the system.
func checkListed(cfg *config.Config) error {
	if len(cfg.Interfaces.Interfaces) == 0 {
		return errors.New(`interfaces-config lists no interface, so there is nothing to serve (Kea serves none either): list the interfaces to serve, or "*" for all of them`)
	}
	return nil
}

// socketRetry is a pending series of attempts to open the DHCP sockets
// that failed.
type socketRetry struct {
	cancel context.CancelFunc
}

// retrySockets tries, every wait, up to max times, to open the sockets
// of the configuration in force that are not open, until all are. When
// the attempts are spent with sockets still missing, it stops the server
// with exit value 1 if requireAll, or if atStart and no socket at all
// could be opened; otherwise it logs that the server goes on without
// them. It runs until ctx ends; the attempts run on the main loop.
func (p *process) retrySockets(ctx context.Context, max uint32, wait time.Duration, requireAll, atStart bool) {
	for i := uint32(1); i <= max; i++ {
		select {
		case <-ctx.Done():
			return
		case <-time.After(wait):
		}
		var missing []error
		p.onLoop(ctx, func() control.Response {
			missing = p.openMissing(p.srv.Config())
			return control.OK("")
		})
		if ctx.Err() != nil {
			return
		}
		if len(missing) == 0 {
			p.log.Info("every DHCP socket is open", "attempt", i)
			return
		}
		p.log.Warn("DHCP sockets still not open", "attempt", i, "of", max, "error", errors.Join(missing...))
	}
	p.onLoop(ctx, func() control.Response {
		p.socketsGiveUp(max, requireAll, atStart)
		return control.OK("")
	})
}

// socketsGiveUp ends the attempts to open the sockets: with
// service-sockets-require-all it stops the server with exit value 1, and
// so it does when the server has never had a DHCP socket open since it
// started (atStart): a server that can answer no client has failed to
// start, whatever Kea would do. It runs on the main loop.
func (p *process) socketsGiveUp(tries uint32, requireAll, atStart bool) {
	p.mu.Lock()
	errs := append([]string(nil), p.sockErrs...)
	none := len(p.ifaces) == 0
	p.mu.Unlock()
	if len(errs) == 0 {
		return
	}
	switch {
	case requireAll:
		p.log.Error("DHCP sockets could not be opened and service-sockets-require-all is true; shutting down",
			"retries", tries, "errors", strings.Join(errs, "; "))
		p.exit, p.quit = 1, true
	case atStart && none:
		p.log.Error("no DHCP socket could be opened, so there is nothing to serve; shutting down",
			"retries", tries, "errors", strings.Join(errs, "; "))
		p.exit, p.quit = 1, true
	default:
		p.log.Error("DHCP sockets could not be opened; serving without them", "retries", tries, "errors", strings.Join(errs, "; "))
	}
}
