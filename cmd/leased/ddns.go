package main

import (
	"errors"
	"flag"
	"fmt"
	"os"
	"strings"

	"github.com/leased/leased/config"
	"github.com/leased/leased/control"
	"github.com/leased/leased/daemon/d2"
)

// ddnsOptions are ddns's flags, kea-dhcp-ddns's.
type ddnsOptions struct {
	config string
	check  string
	keaFlags
}

func ddnsFlags(fs *flag.FlagSet) func(*env, []string) int {
	var o ddnsOptions
	fs.StringVar(&o.config, "c", "", "`file` holding a Kea DhcpDdns configuration (JSON) to serve")
	fs.StringVar(&o.check, "t", "", "check the configuration `file` and exit")
	o.keaFlags.register(fs)
	return noArgs("ddns", func(e *env, _ []string) int { return ddnsCmd(e, &o) })
}

// ddnsCmd runs `leased ddns`, kea-dhcp-ddns's replacement: -t checks a
// configuration, -c receives NameChangeRequests and updates DNS until
// SIGTERM, SIGINT or the shutdown command.
func ddnsCmd(e *env, o *ddnsOptions) int {
	info := control.DefaultBuildInfo()
	if o.printInfo(e, info) {
		return exitOK
	}
	switch {
	case o.config != "" && o.check != "":
		fmt.Fprintln(e.stderr, "leased ddns: -c and -t exclude each other")
		return exitUsage
	case o.check != "":
		if err := d2.Check(o.check, e.stderr); err != nil {
			if errors.Is(err, config.ErrInvalid) {
				fmt.Fprintf(e.stderr, "leased ddns: %s is not a valid configuration\n", o.check)
			} else {
				fmt.Fprintf(e.stderr, "leased ddns: %s: %v\n", o.check, err)
			}
			return exitError
		}
		return exitOK
	case o.config == "":
		fmt.Fprintln(e.stderr, "leased ddns: a configuration file is required (-c FILE, or -t FILE to check one)")
		return exitUsage
	}
	return d2.Main(d2.Options{
		ConfigPath: o.config,
		Verbose:    o.debug,
		JSONLog:    strings.EqualFold(os.Getenv("LEASED_LOG_FORMAT"), "json"),
		Stdout:     e.stdout,
		Stderr:     e.stderr,
		BuildInfo:  info,
	})
}
