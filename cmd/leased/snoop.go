package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"os/signal"
	"strings"
	"syscall"

	"github.com/leased/leased/snoop"
)

// snoopOptions are snoop's flags.
type snoopOptions struct {
	iface   string
	count   uint
	hex     bool
	verbose bool
	json    bool
	promisc bool
}

func snoopFlags(fs *flag.FlagSet) func(*env, []string) int {
	var o snoopOptions
	fs.StringVar(&o.iface, "i", "", "the `interface` to watch (required)")
	fs.UintVar(&o.count, "c", 0, "stop after `n` messages (0: until interrupted)")
	fs.BoolVar(&o.hex, "x", false, "also print each message's bytes in hexadecimal")
	fs.BoolVar(&o.verbose, "v", false, "print each option on a line of its own, with its name")
	fs.BoolVar(&o.json, "json", false, "print one JSON object per message, for scripts")
	fs.BoolVar(&o.promisc, "promisc", false, "put the interface in promiscuous mode while watching, to see unicast between other hosts")
	return noArgs("snoop", func(e *env, _ []string) int { return snoopCmd(e, &o) })
}

// snoopCmd runs `leased snoop -i IFACE`: it prints every DHCPv4 message
// that passes the interface, in both directions, until SIGINT or SIGTERM
// or -c messages, and sends nothing. The line saying it is listening and
// the closing count go to stderr, the messages to stdout.
func snoopCmd(e *env, o *snoopOptions) int {
	if o.iface == "" {
		fmt.Fprintln(e.stderr, "leased snoop: name the interface to watch (-i IFACE)")
		return exitUsage
	}
	s, err := snoop.Listen(o.iface, &snoop.Config{Promiscuous: o.promisc})
	if err != nil {
		fmt.Fprintf(e.stderr, "leased snoop: %s\n", snoopErr(err))
		return exitError
	}
	defer s.Close()
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGTERM, syscall.SIGINT)
	defer stop()
	f := snoop.NewFormatter(snoop.FormatOptions{Verbose: o.verbose, Hex: o.hex})
	fmt.Fprintf(e.stderr, "leased snoop: listening on %s for DHCPv4 (UDP ports 67 and 68, both directions); sending nothing\n", o.iface)
	var n uint
	var buf []byte
	for o.count == 0 || n < o.count {
		m, err := s.Read(ctx)
		if err != nil {
			if errors.Is(err, context.Canceled) {
				break
			}
			fmt.Fprintf(e.stderr, "leased snoop: %s\n", snoopErr(err))
			return exitError
		}
		n++
		if o.json {
			buf = f.AppendJSON(buf[:0], m)
		} else {
			buf = f.AppendText(buf[:0], m)
		}
		if _, err := e.stdout.Write(buf); err != nil {
			fmt.Fprintf(e.stderr, "leased snoop: writing: %v\n", err)
			return exitError
		}
	}
	dropped := ""
	if st, err := s.Stats(); err == nil && st.Dropped > 0 {
		dropped = fmt.Sprintf(", %d dropped by the kernel (not read in time)", st.Dropped)
	}
	fmt.Fprintf(e.stderr, "leased snoop: %d messages%s\n", n, dropped)
	return exitOK
}

// snoopErr is err without the package's prefix, which the command's own
// replaces.
func snoopErr(err error) string { return strings.TrimPrefix(err.Error(), "snoop: ") }
