//go:build linux

package demo

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/netip"
	"os"
	"path/filepath"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/leased/leased/client"
	"github.com/leased/leased/daemon"
	"github.com/leased/leased/engine"
	"github.com/leased/leased/lease"
)

const (
	serverIf   = "srv0"
	serverAddr = "192.0.2.1"
	reserved   = "192.0.2.10"
)

// Run runs the demonstration.
func Run(ctx context.Context, o Options) (err error) {
	if o.Clients < 1 || o.Clients > 50 {
		return fmt.Errorf("demo: clients must be 1 to 50, not %d", o.Clients)
	}
	if os.Geteuid() != 0 {
		return errors.New("demo: needs root to create network namespaces (run it with sudo)")
	}
	if o.Out == nil {
		o.Out = io.Discard
	}
	log := o.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	out := o.Out
	n, err := newNetwork(ctx, o.Clients)
	if n != nil {
		defer func() {
			// Cleanup must run even when ctx was cancelled by Ctrl-C.
			if cerr := n.remove(context.Background()); cerr != nil && err == nil {
				err = cerr
			}
			fmt.Fprintf(out, "\nRemoved namespaces %s and %s.\n", n.srv.Name(), n.cli.Name())
		}()
	}
	if err != nil {
		return err
	}
	fmt.Fprintf(out, "Network: namespace %s (%s %s/24, the server) <-veth-> namespace %s (%d client links on cli0)\n\n",
		n.srv.Name(), serverIf, serverAddr, n.cli.Name(), o.Clients)

	dir, err := os.MkdirTemp("", "leased-demo-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)
	cfgPath := filepath.Join(dir, "kea-dhcp4.conf")
	if err := os.WriteFile(cfgPath, []byte(configText(dir, n.clients[0].hw)), 0o600); err != nil {
		return err
	}
	cfg, err := daemon.LoadConfig(cfgPath, log)
	if err != nil {
		return fmt.Errorf("demo: configuration: %w", err)
	}
	store, err := daemon.OpenStore(cfg, log)
	if err != nil {
		return err
	}
	defer store.Close()
	stack, err := engine.NewStack(ctx, cfg, store, &engine.StackOptions{Options: engine.Options{Logger: log}})
	if err != nil {
		return err
	}
	defer stack.Close()
	ds, err := stack.Listen(engine.ListenOptions{Interfaces: []string{serverIf}, Logger: log, Open: n.srv.Do})
	if err != nil {
		return fmt.Errorf("demo: server: %w", err)
	}
	defer ds.Close()
	fmt.Fprintf(out, "Server: leased, configuration %s (Kea Dhcp4 format), leases in %s\n\n", cfgPath, cfg.LeaseDatabase.Name)

	clients, err := n.startClients(ctx, log)
	if err != nil {
		return err
	}
	defer func() {
		for _, c := range clients {
			c.stop()
		}
	}()

	step := func(title string, do func(*demoClient) error, want func(client.Status) bool) error {
		for _, c := range clients {
			if err := do(c); err != nil {
				return fmt.Errorf("%s %s: %w", title, c.link.name, err)
			}
		}
		for _, c := range clients {
			wctx, cancel := context.WithTimeout(ctx, 30*time.Second)
			st, err := c.c.WaitFor(wctx, want)
			cancel()
			if err != nil {
				return fmt.Errorf("%s: %s (%s) did not get there: %w (state %s)", title, c.link.name, c.link.hw, err, c.c.Status().State)
			}
			c.last = st
		}
		printClients(out, title, clients)
		return nil
	}
	bound := func(s client.Status) bool { return s.State == client.StateBound && s.Lease != nil }
	if err := step("After DISCOVER / OFFER / REQUEST / ACK", func(*demoClient) error { return nil }, bound); err != nil {
		return err
	}
	printLeases(ctx, out, "Server's leases", store)
	before := map[*demoClient]time.Time{}
	for _, c := range clients {
		before[c] = c.last.Lease.Obtained
	}
	if err := step("After renewal (REQUEST from the leased address / ACK)", func(c *demoClient) error { return c.c.Renew(ctx) },
		func(s client.Status) bool { return bound(s) && s.Counters.Acks >= 2 }); err != nil {
		return err
	}
	if err := step("After RELEASE", func(c *demoClient) error { return c.c.Release(ctx) },
		func(s client.Status) bool { return s.State == client.StateReleased }); err != nil {
		return err
	}
	// RELEASE gets no answer; give the server a moment to record it.
	time.Sleep(200 * time.Millisecond)
	printLeases(ctx, out, "Server's leases after the releases", store)
	st := ds.Stats()
	fmt.Fprintf(out, "Server counters: received %d, answered %d, malformed %d, dropped %d, no reply %d\n",
		st.Received, st.Sent, st.Malformed, st.Dropped, st.NoReply)
	if o.Keep {
		fmt.Fprintf(out, "\nThe network and the server stay up; inspect them with `ip netns exec %s ...`. Ctrl-C ends the demo.\n", n.cli.Name())
		<-ctx.Done()
	}
	return nil
}

func configText(dir string, reservedHW net.HardwareAddr) string {
	return `// Written by leased demo: the same format kea-dhcp4 reads.
{"Dhcp4": {
  "interfaces-config": {"interfaces": ["` + serverIf + `"]},
  "lease-database": {"type": "memfile", "name": "` + filepath.Join(dir, "leases") + `"},
  "valid-lifetime": 600, "renew-timer": 300, "rebind-timer": 525,
  "expired-leases-processing": {"hold-reclaimed-time": 3600},
  "option-data": [
    {"name": "domain-name-servers", "data": "` + serverAddr + `"},
    {"name": "domain-name", "data": "demo.example"}
  ],
  "subnet4": [{
    "id": 1, "subnet": "192.0.2.0/24",
    "pools": [{"pool": "192.0.2.100 - 192.0.2.199"}],
    "option-data": [{"name": "routers", "data": "` + serverAddr + `"}],
    "reservations": [{"hw-address": "` + reservedHW.String() + `", "ip-address": "` + reserved + `", "hostname": "reserved-client"}]
  }]
}}
`
}

func printClients(out io.Writer, title string, clients []*demoClient) {
	fmt.Fprintf(out, "%s:\n", title)
	tw := tabwriter.NewWriter(out, 2, 8, 2, ' ', 0)
	fmt.Fprintln(tw, "  CLIENT\tMAC\tSTATE\tADDRESS\tROUTER\tDNS\tSERVER\tLEASE\tT1/T2\tOFFERS/ACKS")
	for _, c := range clients {
		s := c.last
		addr, router, dns, sid, lt, timers := "-", "-", "-", "-", "-", "-"
		if l := s.Lease; l != nil {
			addr, sid = l.Address.String(), l.ServerID.String()
			router, dns = addrs(l.Routers), addrs(l.DNS)
			lt = l.LeaseTime.String()
			timers = l.T1.String() + "/" + l.T2.String()
		}
		fmt.Fprintf(tw, "  %s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%d/%d\n", c.link.name, c.link.hw, s.State, addr, router, dns, sid, lt, timers,
			s.Counters.Offers, s.Counters.Acks)
	}
	tw.Flush()
	fmt.Fprintln(out)
}

func printLeases(ctx context.Context, out io.Writer, title string, store lease.Store) {
	leases, err := store.Page(ctx, netip.Addr{}, 0, 1000)
	if err != nil {
		fmt.Fprintf(out, "%s: %v\n\n", title, err)
		return
	}
	fmt.Fprintf(out, "%s (%d):\n", title, len(leases))
	tw := tabwriter.NewWriter(out, 2, 8, 2, ' ', 0)
	fmt.Fprintln(tw, "  ADDRESS\tMAC\tHOSTNAME\tSTATE\tEXPIRES")
	for _, l := range leases {
		fmt.Fprintf(tw, "  %s\t%s\t%s\t%s\t%s\n", l.Addr, net.HardwareAddr(l.HWAddr), orDash(l.Hostname), l.State,
			l.ExpireTime().UTC().Format(time.TimeOnly))
	}
	tw.Flush()
	fmt.Fprintln(out)
}

func addrs(as []netip.Addr) string {
	if len(as) == 0 {
		return "-"
	}
	s := make([]string, len(as))
	for i, a := range as {
		s[i] = a.String()
	}
	return strings.Join(s, ",")
}

func orDash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}
