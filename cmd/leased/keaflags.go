package main

import (
	"flag"
	"fmt"

	"github.com/leased/leased/control"
)

// keaFlags are the flags leased serve and leased ddns share with every
// Kea daemon: -d, and -v, -V and -W, which print the version, the
// extended version and the build report.
type keaFlags struct {
	debug       bool
	version     bool
	extended    bool
	buildReport bool
}

func (k *keaFlags) register(fs *flag.FlagSet) {
	fs.BoolVar(&k.debug, "d", false, "debug logging: every logger at DEBUG level 99")
	fs.BoolVar(&k.version, "v", false, "print the version and exit")
	fs.BoolVar(&k.extended, "V", false, "print the extended version and exit")
	fs.BoolVar(&k.buildReport, "W", false, "print the build report and exit")
}

// printInfo prints what -v, -V or -W asks for from info and reports
// whether one of them was given (the command then exits).
func (k *keaFlags) printInfo(e *env, info control.BuildInfo) bool {
	switch {
	case k.version:
		fmt.Fprintln(e.stdout, info.Version)
	case k.extended:
		fmt.Fprintln(e.stdout, info.Extended)
	case k.buildReport:
		fmt.Fprintln(e.stdout, info.Report)
	default:
		return false
	}
	return true
}
