package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os/signal"
	"slices"
	"strings"
	"syscall"

	"github.com/leased/leased/daemon"
)

// dbCommand is `leased db init|upgrade|version`, with kea-admin's
// connection flags. Its -h is the host, as kea-admin's, so it reads its
// command line itself: help is -h alone at the end, -help or --help.
func dbCommand() *command {
	return &command{name: "db", summary: "create, upgrade or show Kea's PostgreSQL schema, or create or show Kea's MySQL schema, as kea-admin db-init, db-upgrade and db-version do",
		args: "init | upgrade | version [pgsql | mysql]", own: runDB}
}

func dbFlags(fs *flag.FlagSet, o *daemon.DBOptions, port *uint) {
	fs.StringVar(&o.Config, "c", "", "Kea configuration `file` whose lease-database names the database (the other flags override it)")
	fs.StringVar(&o.Name, "n", "", "database `name`")
	fs.StringVar(&o.User, "u", "", "database `user` (default $PGUSER, else the login name)")
	fs.StringVar(&o.Password, "p", "", "database `password` (default $PGPASSWORD)")
	fs.StringVar(&o.Host, "h", "", "database `host`: a name, an address or a unix socket directory (default localhost)")
	fs.UintVar(port, "P", 0, "database `port` (default 5432, for mysql 3306)")
}

func runDB(e *env, args []string) int {
	var o daemon.DBOptions
	var port uint
	fs := flag.NewFlagSet("leased db", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	fs.Usage = func() {}
	dbFlags(fs, &o, &port)
	c := dbCommand()
	if slices.ContainsFunc(args, func(a string) bool { return a == "-help" || a == "--help" }) ||
		(len(args) > 0 && args[len(args)-1] == "-h") {
		commandUsage(e.stdout, c, fs)
		return exitOK
	}
	flags, positional := splitFlags(fs, args, nil)
	err := fs.Parse(flags)
	if err == nil && port > 65535 {
		err = fmt.Errorf("-P %d: not a port", port)
	}
	// kea-admin names the backend after the action: db-init pgsql.
	if err == nil && len(positional) == 2 && slices.Contains([]string{"pgsql", "mysql"}, positional[1]) {
		o.Backend, positional = positional[1], positional[:1]
	}
	if err == nil && (len(positional) != 1 || !slices.Contains([]string{"init", "upgrade", "version"}, positional[0])) {
		err = fmt.Errorf("name one action, init, upgrade or version, and then the backend, pgsql or mysql, if you like, not %q", strings.Join(positional, " "))
	}
	if err != nil {
		fmt.Fprintf(e.stderr, "leased db: %v\n\n", err)
		commandUsage(e.stderr, c, fs)
		return exitUsage
	}
	o.Port = uint16(port)
	log := slog.New(slog.NewTextHandler(e.stderr, &slog.HandlerOptions{Level: slog.LevelWarn}))
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGTERM, syscall.SIGINT)
	defer stop()
	if err := daemon.DB(ctx, positional[0], o, e.stdout, log); err != nil {
		fmt.Fprintf(e.stderr, "leased db %s: %v\n", positional[0], err)
		return exitError
	}
	return exitOK
}
