// Command leased is the leased DHCPv4 suite in one binary.
//
// Usage:
//
//	leased <command> [flags] [arguments]
//
// The commands are:
//
//	demo     build a throw-away network and show a server handing out leases
//	serve    run the DHCPv4 server from a Kea Dhcp4 configuration
//	ddns     update DNS for the NameChangeRequests of leased or kea-dhcp4, as kea-dhcp-ddns
//	lease    inspect and edit the lease database
//	db       create, upgrade or show Kea's PostgreSQL schema
//	ctl      send a command to a running server's control socket
//	mesh     run as a node of a ddhcpd-compatible mesh
//	client   run the DHCP client manager
//	snoop    watch the DHCP traffic on an interface, sending nothing
//	version  print the version
//	help     print help for a command
//
// A command's flags may stand before or after its arguments ("leased lease
// export -c FILE" is "leased lease -c FILE export"); "--" ends them. The
// mesh commands (leased mesh, leased ctl mesh) take ddhcpd's and
// ddhcpdctl's command lines instead.
//
// Run "leased help <command>" or "leased <command> -h" for a command's
// flags.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"runtime"
	"runtime/debug"
	"runtime/pprof"
	"slices"
	"strings"
	"syscall"
	"time"

	"github.com/leased/leased/client/manager"
	"github.com/leased/leased/config"
	"github.com/leased/leased/control"
	"github.com/leased/leased/daemon"
	"github.com/leased/leased/demo"
	"github.com/leased/leased/mesh/meshd"
)

func main() {
	os.Exit(run(os.Args[1:], os.Stdout, os.Stderr))
}

// Exit codes.
const (
	exitOK    = 0
	exitError = 1
	exitUsage = 2 // bad usage, or a command that is not implemented yet
)

// command is one subcommand: its flags and what it does with them.
type command struct {
	name    string
	summary string
	args    string   // the synopsis after the flags
	also    []string // further synopses, printed under the first
	// setup registers the command's flags on fs and returns the function
	// that runs the command once they are parsed.
	setup func(fs *flag.FlagSet) func(env *env, args []string) int
	// own runs a command that reads its command line itself, instead of
	// setup (mesh takes ddhcpd's); its help is what it prints for -h.
	own func(env *env, args []string) int
	// handOff names first arguments after which the rest of the command
	// line belongs to another parser (ctl mesh takes ddhcpdctl's), so
	// leased's flags end there.
	handOff []string
}

// env is what a command may use of the process.
type env struct {
	stdout, stderr io.Writer
}

func commands() []*command {
	return []*command{
		{name: "demo", summary: "build a throw-away network and show a server handing out leases", setup: demoFlags},
		{name: "serve", summary: "run the DHCPv4 server from a Kea Dhcp4 configuration", setup: serveFlags},
		{name: "ddns", summary: "update DNS for the NameChangeRequests of leased or kea-dhcp4, as kea-dhcp-ddns", setup: ddnsFlags},
		{name: "lease", summary: "export or import leases as Kea memfile CSV", args: "export | import CSV...", setup: leaseFlags},
		dbCommand(),
		{name: "ctl", summary: "send a command to a running server's control socket", args: "<command> [json-arguments]",
			also: []string{"leased ctl mesh [ddhcpdctl flags; leased ctl mesh -h lists them]"}, setup: ctlFlags, handOff: []string{"mesh"}},
		{name: "mesh", summary: "run as a node of a ddhcpd-compatible mesh", own: runMesh},
		{name: "client", summary: "run the DHCP client manager for the interfaces its configuration lists", setup: clientFlags},
		{name: "snoop", summary: "print the DHCP messages passing an interface, in both directions, sending nothing", setup: snoopFlags},
		{name: "version", summary: "print the version", setup: versionFlags},
		{name: "help", summary: "print help for a command", args: "[command]"},
	}
}

func findCommand(name string) *command {
	for _, c := range commands() {
		if c.name == name {
			return c
		}
	}
	return nil
}

// isHelpFlag reports whether a asks for help as the flag package
// understands it.
func isHelpFlag(a string) bool { return a == "-h" || a == "-help" || a == "--help" }

// run is main without the process: it returns the exit code.
func run(args []string, stdout, stderr io.Writer) int {
	e := &env{stdout: stdout, stderr: stderr}
	if len(args) == 0 {
		usage(stderr)
		return exitUsage
	}
	name, rest := args[0], args[1:]
	if name == "help" || isHelpFlag(name) {
		return help(e, rest)
	}
	c := findCommand(name)
	if c == nil {
		what := "command"
		if strings.HasPrefix(name, "-") {
			what = "flag"
		}
		fmt.Fprintf(stderr, "leased: unknown %s %q\n\n", what, name)
		usage(stderr)
		return exitUsage
	}
	return c.run(e, rest)
}

// run parses c's flags, which may stand before, among and after its
// arguments, and runs it. Help asked for with -h goes to stdout; a usage
// error goes to stderr with the usage.
func (c *command) run(e *env, args []string) int {
	if c.own != nil {
		return c.own(e, args)
	}
	fs, runCmd := c.flagSet()
	flags, positional := splitFlags(fs, args, c.handOff)
	switch err := fs.Parse(flags); {
	case errors.Is(err, flag.ErrHelp):
		commandUsage(e.stdout, c, fs)
		return exitOK
	case err != nil:
		fmt.Fprintf(e.stderr, "leased %s: %v\n\n", c.name, err)
		commandUsage(e.stderr, c, fs)
		return exitUsage
	}
	return runCmd(e, positional)
}

// flagSet returns c's flags and the function that runs c. The flag set
// prints nothing: run decides where errors and usage go.
func (c *command) flagSet() (*flag.FlagSet, func(*env, []string) int) {
	fs := flag.NewFlagSet("leased "+c.name, flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	fs.Usage = func() {}
	return fs, c.setup(fs)
}

// splitFlags separates a command line into its flags (with their values)
// and its arguments, so that flags may stand anywhere: before a verb such
// as lease's export, after it, or among the arguments. "--" ends the
// flags, and so does a first argument named in handOff: the rest is then
// passed on as it is. A flag that takes a value takes the next argument,
// whatever it looks like, as the flag package does ("-c export" names a
// file called export).
func splitFlags(fs *flag.FlagSet, args, handOff []string) (flags, positional []string) {
	for i := 0; i < len(args); i++ {
		a := args[i]
		if a == "--" {
			return flags, append(positional, args[i+1:]...)
		}
		if len(a) < 2 || a[0] != '-' { // "-" is an argument (ctl's stdin)
			if len(positional) == 0 && slices.Contains(handOff, a) {
				return flags, append(positional, args[i:]...)
			}
			positional = append(positional, a)
			continue
		}
		flags = append(flags, a)
		name := strings.TrimPrefix(a[1:], "-")
		if strings.Contains(name, "=") {
			continue
		}
		// An unknown flag is left for fs.Parse to report.
		if f := fs.Lookup(name); f != nil && !isBoolFlag(f) && i+1 < len(args) {
			i++
			flags = append(flags, args[i])
		}
	}
	return flags, positional
}

func isBoolFlag(f *flag.Flag) bool {
	b, ok := f.Value.(interface{ IsBoolFlag() bool })
	return ok && b.IsBoolFlag()
}

func usage(w io.Writer) {
	fmt.Fprint(w, "leased is a DHCPv4 server, mesh node and client manager.\n\n")
	fmt.Fprint(w, "Usage:\n\n\tleased <command> [flags] [arguments]\n\nCommands:\n\n")
	for _, c := range commands() {
		fmt.Fprintf(w, "\t%-8s %s\n", c.name, c.summary)
	}
	fmt.Fprint(w, "\nFlags may stand before or after a command's arguments; \"--\" ends them.\n")
	fmt.Fprint(w, "Run \"leased help <command>\" (or \"leased <command> -h\") for a command's flags.\n")
}

func commandUsage(w io.Writer, c *command, fs *flag.FlagSet) {
	synopsis := "leased " + c.name
	hasFlags := false
	fs.VisitAll(func(*flag.Flag) { hasFlags = true })
	if hasFlags {
		synopsis += " [flags]"
	}
	if c.args != "" {
		synopsis += " " + c.args
	}
	fmt.Fprintf(w, "Usage: %s\n", synopsis)
	for _, s := range c.also {
		fmt.Fprintf(w, "       %s\n", s)
	}
	fmt.Fprintf(w, "\n%s.\n", upperFirst(c.summary))
	if hasFlags {
		fmt.Fprint(w, "\nFlags (before or after the arguments):\n")
		fs.SetOutput(w)
		fs.PrintDefaults()
	}
}

func upperFirst(s string) string {
	if s == "" {
		return s
	}
	return strings.ToUpper(s[:1]) + s[1:]
}

const helpUsage = "Usage: leased help [command]\n\nPrint help for a command."

func help(e *env, args []string) int {
	switch {
	case len(args) == 0:
		usage(e.stdout)
		return exitOK
	case len(args) == 1 && (args[0] == "help" || isHelpFlag(args[0])):
		fmt.Fprintln(e.stdout, helpUsage)
		return exitOK
	case len(args) == 1:
		c := findCommand(args[0])
		if c == nil {
			fmt.Fprintf(e.stderr, "leased help: unknown command %q\n\n", args[0])
			usage(e.stderr)
			return exitUsage
		}
		if c.own != nil {
			return c.own(e, []string{"-h"})
		}
		fs, _ := c.flagSet()
		commandUsage(e.stdout, c, fs)
		return exitOK
	}
	fmt.Fprintln(e.stderr, helpUsage)
	return exitUsage
}

// noArgs wraps a command that takes no positional arguments.
func noArgs(name string, next func(*env, []string) int) func(*env, []string) int {
	return func(e *env, args []string) int {
		if len(args) > 0 {
			fmt.Fprintf(e.stderr, "leased %s: unexpected arguments: %s\nRun \"leased help %s\" for usage.\n", name, strings.Join(args, " "), name)
			return exitUsage
		}
		return next(e, args)
	}
}

// demoOptions are demo's flags.
type demoOptions struct {
	clients int
	keep    bool
	verbose bool
}

func demoFlags(fs *flag.FlagSet) func(*env, []string) int {
	var o demoOptions
	fs.IntVar(&o.clients, "clients", 3, "number of real DHCP clients to run")
	fs.BoolVar(&o.keep, "keep", false, "keep the network and server running until interrupted")
	fs.BoolVar(&o.verbose, "v", false, "log what the server and the clients do")
	return noArgs("demo", func(e *env, _ []string) int {
		level := slog.LevelWarn
		if o.verbose {
			level = slog.LevelDebug
		}
		log := slog.New(slog.NewTextHandler(e.stderr, &slog.HandlerOptions{Level: level}))
		ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGTERM, syscall.SIGINT)
		defer stop()
		if err := demo.Run(ctx, demo.Options{Clients: o.clients, Keep: o.keep, Out: e.stdout, Logger: log}); err != nil {
			fmt.Fprintf(e.stderr, "leased demo: %v\n", err)
			return exitError
		}
		return exitOK
	})
}

// serveOptions are serve's flags, named as kea-dhcp4 names them.
type serveOptions struct {
	config     string
	check      string
	checkDeep  string
	serverPort uint
	clientPort uint
	keaFlags
}

func serveFlags(fs *flag.FlagSet) func(*env, []string) int {
	var o serveOptions
	fs.StringVar(&o.config, "c", "", "`file` holding a Kea Dhcp4 configuration (JSON) to serve")
	fs.StringVar(&o.check, "t", "", "check the configuration `file` and exit")
	fs.StringVar(&o.checkDeep, "T", "", "check the configuration `file` as -t does, also reading the lease database and the control sockets' files, and exit")
	o.keaFlags.register(fs)
	fs.UintVar(&o.serverPort, "p", 67, "UDP `port` to listen on")
	fs.UintVar(&o.clientPort, "P", 68, "UDP `port` to send replies to clients on")
	return noArgs("serve", func(e *env, _ []string) int { return serve(e, &o) })
}

// serveUsage prints serve's usage after a usage error.
func serveUsage(e *env) {
	c := findCommand("serve")
	fs, _ := c.flagSet()
	fmt.Fprintln(e.stderr)
	commandUsage(e.stderr, c, fs)
}

// serve runs `leased serve`: -v, -V and -W print what kea-dhcp4 prints;
// -t and -T check a configuration as `kea-dhcp4 -t` and `-T` do; -c
// serves it until SIGTERM, SIGINT or the shutdown command, reloading on
// SIGHUP. $LEASED_LOG_FORMAT=json logs JSON; $LEASED_PIDFILE_DIR moves
// the PID file.
func serve(e *env, o *serveOptions) int {
	info := control.DefaultBuildInfo()
	if o.printInfo(e, info) {
		return exitOK
	}
	modes := 0
	for _, f := range []string{o.config, o.check, o.checkDeep} {
		if f != "" {
			modes++
		}
	}
	switch {
	case modes > 1:
		fmt.Fprintln(e.stderr, "leased serve: -c, -t and -T exclude each other")
		serveUsage(e)
		return exitUsage
	case o.check != "":
		diags, err := config.Check(o.check)
		for _, d := range diags {
			fmt.Fprintln(e.stderr, d.String())
		}
		if err != nil {
			if errors.Is(err, config.ErrInvalid) {
				fmt.Fprintf(e.stderr, "leased serve: %s is not a valid configuration\n", o.check)
			} else {
				fmt.Fprintf(e.stderr, "leased serve: %s: %v\n", o.check, err)
			}
			return exitError
		}
		return exitOK
	case o.checkDeep != "":
		if err := daemon.CheckDeep(o.checkDeep, os.Getenv("LEASED_PIDFILE_DIR"), e.stdout, e.stderr); err != nil {
			fmt.Fprintf(e.stderr, "leased serve: %s is not a valid configuration\n", o.checkDeep)
			return exitError
		}
		return exitOK
	case o.config == "":
		fmt.Fprintln(e.stderr, "leased serve: a configuration file is required (-c FILE, or -t FILE to check one)")
		serveUsage(e)
		return exitUsage
	}
	if o.serverPort == 0 || o.serverPort > 65535 || o.clientPort == 0 || o.clientPort > 65535 {
		// As kea-dhcp4's -p and -P.
		fmt.Fprintln(e.stderr, "leased serve: ports are 1 to 65535")
		serveUsage(e)
		return exitUsage
	}
	if path := os.Getenv("LEASED_CPUPROFILE"); path != "" {
		// For benchmarking: profile the whole run.
		f, err := os.Create(path)
		if err != nil {
			fmt.Fprintf(e.stderr, "leased serve: cannot write the CPU profile: %v\n", err)
			return exitError
		}
		if err := pprof.StartCPUProfile(f); err != nil {
			fmt.Fprintf(e.stderr, "leased serve: cannot start the CPU profile: %v\n", err)
			return exitError
		}
		defer pprof.StopCPUProfile()
	}
	return daemon.Main(daemon.Options{
		ConfigPath: o.config,
		ServerPort: uint16(o.serverPort),
		ClientPort: uint16(o.clientPort),
		Verbose:    o.debug,
		JSONLog:    strings.EqualFold(os.Getenv("LEASED_LOG_FORMAT"), "json"),
		Stdout:     e.stdout,
		Stderr:     e.stderr,
		PIDFileDir: os.Getenv("LEASED_PIDFILE_DIR"),
		BuildInfo:  info,
	})
}

// leaseOptions are lease's flags.
type leaseOptions struct {
	config string
}

func leaseFlags(fs *flag.FlagSet) func(*env, []string) int {
	var o leaseOptions
	fs.StringVar(&o.config, "c", "", "Kea configuration `file` whose lease-database names the lease store")
	return func(e *env, args []string) int { return leaseCmd(e, &o, args) }
}

// leaseCmd runs `leased lease export|import -c FILE`: export writes every
// lease as Kea's 12-column CSV to stdout; import loads Kea CSV files.
func leaseCmd(e *env, o *leaseOptions, args []string) int {
	if len(args) == 0 || o.config == "" {
		fmt.Fprintln(e.stderr, "usage: leased lease export -c FILE | leased lease import -c FILE CSV...")
		return exitUsage
	}
	log := slog.New(slog.NewTextHandler(e.stderr, &slog.HandlerOptions{Level: slog.LevelWarn}))
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGTERM, syscall.SIGINT)
	defer stop()
	switch args[0] {
	case "export":
		if len(args) != 1 {
			fmt.Fprintf(e.stderr, "leased lease export: unexpected arguments: %s\n", strings.Join(args[1:], " "))
			return exitUsage
		}
		if _, err := daemon.ExportLeases(ctx, o.config, e.stdout, log); err != nil {
			fmt.Fprintf(e.stderr, "leased lease export: %v\n", err)
			return exitError
		}
		return exitOK
	case "import":
		if len(args) < 2 {
			fmt.Fprintln(e.stderr, "leased lease import: name the Kea CSV files to import")
			return exitUsage
		}
		res, err := daemon.ImportLeases(ctx, o.config, args[1:], func(err error) {
			fmt.Fprintf(e.stderr, "leased lease import: skipped: %v\n", err)
		}, log)
		if err != nil {
			fmt.Fprintf(e.stderr, "leased lease import: %v\n", err)
			return exitError
		}
		fmt.Fprintf(e.stderr, "leased lease import: %d rows read, %d leases stored, %d removed, %d rows skipped\n", res.Rows, res.Put, res.Deleted, res.Bad)
		if res.Bad > 0 {
			return exitError
		}
		return exitOK
	}
	fmt.Fprintf(e.stderr, "leased lease: unknown action %q (want export or import)\n", args[0])
	return exitUsage
}

// ctlOptions are ctl's flags.
type ctlOptions struct {
	daemon.CtlOptions
}

func ctlFlags(fs *flag.FlagSet) func(*env, []string) int {
	var o ctlOptions
	fs.StringVar(&o.Target, "s", "", "the server's control socket: a unix socket `path` or an http:// or https:// URL")
	fs.StringVar(&o.Config, "c", "", "the server's configuration `file`, to find its control socket in")
	fs.StringVar(&o.User, "u", "", "`user` for HTTP basic authentication")
	fs.StringVar(&o.PasswordFile, "password-file", "", "`file` whose first line is the password (default $LEASED_CTL_PASSWORD)")
	fs.StringVar(&o.CA, "ca", "", "trust anchor `file` for HTTPS")
	fs.StringVar(&o.Cert, "cert", "", "client certificate `file` for HTTPS")
	fs.StringVar(&o.Key, "key", "", "client key `file` for HTTPS")
	fs.DurationVar(&o.Timeout, "timeout", 10*time.Second, "give up after this long")
	fs.BoolVar(&o.JSON, "json", false, "print the answer as JSON instead of tables")
	return func(e *env, args []string) int {
		if len(args) > 0 && args[0] == "mesh" {
			var set []string
			fs.Visit(func(f *flag.Flag) { set = append(set, "-"+f.Name) })
			if len(set) > 0 {
				// ddhcpdctl's flags differ: -s there shows statistics.
				fmt.Fprintf(e.stderr, "leased ctl mesh: %s: leased ctl's flags do not apply to a mesh node; give ddhcpdctl's flags after mesh (-C PATH names the socket)\n", strings.Join(set, " "))
				return exitUsage
			}
		}
		return ctl(e, &o, args)
	}
}

// ctl runs `leased ctl COMMAND [ARGUMENTS]`: ARGUMENTS is a JSON map, or
// "-" to read it from stdin. It exits 0 when the answer is a success or
// empty (result 0 or 3), 1 for any other answer or when none came, and 2
// for a usage error.
func ctl(e *env, o *ctlOptions, args []string) int {
	if len(args) > 0 && args[0] == "mesh" {
		// A mesh node's control socket speaks ddhcpdctl's protocol:
		// `leased ctl mesh -C SOCKET -b|-d|-s|-S|-o ...|-l ...|-r ...|-v ...`.
		ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGTERM, syscall.SIGINT)
		defer stop()
		return meshd.CtlMain(ctx, args[1:], e.stdout, e.stderr)
	}
	if len(args) == 0 || len(args) > 2 {
		fmt.Fprintln(e.stderr, "usage: leased ctl [-s SOCKET | -c CONFIG] COMMAND [JSON-ARGUMENTS]\n       leased ctl mesh [ddhcpdctl flags]")
		return exitUsage
	}
	var jsonArgs []byte
	if len(args) == 2 && strings.TrimSpace(args[1]) != "" {
		jsonArgs = []byte(args[1])
		if args[1] == "-" {
			var err error
			if jsonArgs, err = io.ReadAll(os.Stdin); err != nil {
				fmt.Fprintf(e.stderr, "leased ctl: reading arguments: %v\n", err)
				return exitError
			}
		}
	}
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGTERM, syscall.SIGINT)
	defer stop()
	result, err := daemon.Ctl(ctx, o.CtlOptions, args[0], jsonArgs, e.stdout)
	switch {
	case daemon.IsCtlUsage(err):
		fmt.Fprintf(e.stderr, "leased ctl: %v\n", err)
		return exitUsage
	case err != nil:
		fmt.Fprintf(e.stderr, "leased ctl: %v\n", err)
		return exitError
	case result == control.Success || result == control.Empty:
		return exitOK
	}
	return exitError
}

// runMesh runs `leased mesh` with ddhcpd's command line until SIGTERM or
// SIGINT.
func runMesh(e *env, args []string) int {
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGTERM, syscall.SIGINT)
	defer stop()
	return meshd.Main(ctx, args, e.stdout, e.stderr)
}

// clientOptions are client's flags.
type clientOptions struct {
	config string
	debug  bool
}

func clientFlags(fs *flag.FlagSet) func(*env, []string) int {
	var o clientOptions
	fs.StringVar(&o.config, "c", "", "client manager configuration `file` (a Client4 section in Kea-style JSON)")
	fs.BoolVar(&o.debug, "d", false, "debug logging")
	return noArgs("client", func(e *env, _ []string) int {
		if o.config == "" {
			fmt.Fprintln(e.stderr, "leased client: a configuration file is required (-c FILE)")
			return exitUsage
		}
		level := slog.LevelInfo
		if o.debug {
			level = slog.LevelDebug
		}
		log := slog.New(slog.NewTextHandler(e.stderr, &slog.HandlerOptions{Level: level}))
		ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGTERM, syscall.SIGINT)
		defer stop()
		if err := manager.Run(ctx, o.config, log); err != nil {
			fmt.Fprintf(e.stderr, "leased client: %v\n", err)
			return exitError
		}
		return exitOK
	})
}

func versionFlags(fs *flag.FlagSet) func(*env, []string) int {
	return noArgs("version", func(e *env, _ []string) int {
		fmt.Fprintf(e.stdout, "leased %s (%s %s/%s)\n", version(), runtime.Version(), runtime.GOOS, runtime.GOARCH)
		return exitOK
	})
}

// version is the module version the binary was built from, with the VCS
// revision when the build recorded one.
func version() string {
	bi, ok := debug.ReadBuildInfo()
	if !ok {
		return "unknown"
	}
	v := bi.Main.Version
	if v == "" || v == "(devel)" {
		v = "devel"
	}
	var rev, dirty string
	for _, s := range bi.Settings {
		switch s.Key {
		case "vcs.revision":
			rev = s.Value
		case "vcs.modified":
			if s.Value == "true" {
				dirty = "+dirty"
			}
		}
	}
	if rev != "" && v == "devel" {
		if len(rev) > 12 {
			rev = rev[:12]
		}
		v += " " + rev + dirty
	}
	return v
}
