//go:build linux

package demo

import (
	"context"
	"fmt"
	"log/slog"
	"net"
	"net/netip"
	"os"
	"strconv"
	"time"

	"github.com/leased/leased/client"
	"github.com/leased/leased/internal/netns"
)

// network is the demo's private network.
type network struct {
	srv, cli *netns.NS
	clients  []link
}

// link is one client interface: a macvlan on cli0 with its own MAC.
type link struct {
	name string
	hw   net.HardwareAddr
}

// newNetwork creates the namespaces, the veth pair between them and a
// macvlan per client. On error it returns what it created so far, for
// removal.
func newNetwork(ctx context.Context, clients int) (*network, error) {
	id := "leased-demo-" + strconv.Itoa(os.Getpid())
	srv, err := netns.New(ctx, id+"-srv")
	if err != nil {
		return nil, fmt.Errorf("demo: %w", err)
	}
	n := &network{srv: srv}
	if n.cli, err = netns.New(ctx, id+"-cli"); err != nil {
		return n, fmt.Errorf("demo: %w", err)
	}
	steps := [][]string{
		{"link", "add", serverIf, "netns", srv.Name(), "type", "veth", "peer", "name", "cli0", "netns", n.cli.Name()},
		{"-n", srv.Name(), "addr", "add", serverAddr + "/24", "dev", serverIf},
		{"-n", srv.Name(), "link", "set", serverIf, "up"},
		{"-n", n.cli.Name(), "link", "set", "cli0", "up"},
	}
	for i := 1; i <= clients; i++ {
		name := "c" + strconv.Itoa(i)
		hw := net.HardwareAddr{0x02, 0x00, 0x5e, 0x00, 0x53, byte(i)}
		steps = append(steps,
			[]string{"-n", n.cli.Name(), "link", "add", name, "link", "cli0", "address", hw.String(), "type", "macvlan", "mode", "bridge"},
			[]string{"-n", n.cli.Name(), "link", "set", name, "up"})
		n.clients = append(n.clients, link{name: name, hw: hw})
	}
	for _, args := range steps {
		if _, err := netns.IP(ctx, args...); err != nil {
			return n, fmt.Errorf("demo: %w", err)
		}
	}
	// The client links share one subnet in one namespace. By default
	// every link answers ARP for every address of the namespace, so the
	// server could send a client's unicast replies to another link's
	// MAC; make each link answer only for its own addresses.
	err = n.cli.Do(func() error {
		for key, val := range map[string]string{"arp_ignore": "1", "arp_announce": "2"} {
			if err := os.WriteFile("/proc/sys/net/ipv4/conf/all/"+key, []byte(val), 0o644); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return n, fmt.Errorf("demo: client namespace sysctl: %w", err)
	}
	return n, nil
}

func (n *network) remove(ctx context.Context) error {
	var first error
	for _, ns := range []*netns.NS{n.cli, n.srv} {
		if ns == nil {
			continue
		}
		if err := ns.Delete(ctx); err != nil && first == nil {
			first = err
		}
	}
	return first
}

// demoClient is a running client.
type demoClient struct {
	link link
	c    *client.Client
	stop context.CancelFunc
	last client.Status
}

// startClients starts one client per link, in the client namespace.
func (n *network) startClients(ctx context.Context, log *slog.Logger) ([]*demoClient, error) {
	var out []*demoClient
	for _, l := range n.clients {
		var tr *client.LinkTransport
		err := n.cli.Do(func() (err error) {
			tr, err = client.NewLinkTransport(l.name)
			return err
		})
		if err != nil {
			return out, err
		}
		c, err := client.New(client.Config{
			Interface:        l.name,
			HardwareAddr:     l.hw,
			HostName:         "demo-" + l.name,
			Transport:        nsTransport{ns: n.cli, tr: tr},
			Action:           nsAction{ns: n.cli, a: &client.NetlinkAction{NoRoutes: true}},
			Backoff:          client.Backoff{Initial: time.Second, Max: 4 * time.Second},
			MinRenewInterval: time.Second,
			Logger:           log.With("client", l.name),
		})
		if err != nil {
			return out, err
		}
		cctx, cancel := context.WithCancel(ctx)
		dc := &demoClient{link: l, c: c, stop: cancel}
		go c.Run(cctx)
		out = append(out, dc)
	}
	return out, nil
}

// nsTransport opens a client's sockets inside the client namespace.
type nsTransport struct {
	ns *netns.NS
	tr *client.LinkTransport
}

func (t nsTransport) OpenUnbound(hw net.HardwareAddr) (conn client.Conn, err error) {
	err = t.ns.Do(func() error {
		conn, err = t.tr.OpenUnbound(hw)
		return err
	})
	return conn, err
}

func (t nsTransport) OpenBound(addr netip.Addr, hw net.HardwareAddr) (conn client.Conn, err error) {
	err = t.ns.Do(func() error {
		conn, err = t.tr.OpenBound(addr, hw)
		return err
	})
	return conn, err
}

func (t nsTransport) CheckLink() error { return t.ns.Do(t.tr.CheckLink) }

// WatchLink lets the demo's clients confirm their lease after a link flap
// as every other client does.
func (t nsTransport) WatchLink() (w client.LinkWatch, err error) {
	err = t.ns.Do(func() error {
		w, err = t.tr.WatchLink()
		return err
	})
	return w, err
}

// nsAction applies leases to the interfaces of the client namespace.
type nsAction struct {
	ns *netns.NS
	a  client.Action
}

func (a nsAction) Apply(ctx context.Context, ev client.Event) error {
	return a.ns.Do(func() error { return a.a.Apply(ctx, ev) })
}
