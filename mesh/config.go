package mesh

import (
	"errors"
	"fmt"
	"net/netip"
	"strconv"
	"strings"
	"time"
)

// Config holds ddhcpd's command-line settings. DefaultConfig returns
// ddhcpd's defaults; ParseArgs reads a ddhcpd command line into a Config.
type Config struct {
	MeshInterface   string // -i: d2d interface (default server0)
	ClientInterface string // -c: DHCP interface (default client0)
	NoDHCP          bool   // -S: no DHCP socket; spare leases forced to 0, so the node never claims

	Prefix    netip.Addr // -N address part, kept exactly as given (not masked)
	PrefixLen int        // -N length (at least 8)
	BlockPow  int        // -b: blocks hold 2^BlockPow addresses (0..7)

	TentativeTimeout time.Duration // -t: at least 2 s; housekeeping runs every half of it
	BlockTimeout     time.Duration // -B: claim lifetime and learning-phase length; 1..65535 s
	NeedlessTimeout  time.Duration // -n: delay before an unused surplus block is released
	SpareLeases      int           // -s: free leases to keep at hand (0..255)
	LearningPhase    bool          // cleared by -L

	Options OptionStore // -o CODE:LEN:B1.…, in order; defaults are added by OptionStore.AddDefaults

	ControlPath string // -C: control socket path (default /tmp/ddhcpd_ctl)
	Hook        string // -H: hook command, run as /bin/sh -e -- COMMAND action args
	Daemonize   bool   // -d sets, -D clears (foreground is the default)
	LogLevel    int    // 2 (warnings) plus one per -v, at most 4 (debug)

	Version bool // -V: print the revision and exit
	Help    bool // -h: print usage and exit
}

// Defaults of ddhcpd 3eefc27.
const (
	DefaultMeshInterface    = "server0"
	DefaultClientInterface  = "client0"
	DefaultPrefixLen        = 24
	DefaultBlockPow         = 5
	DefaultTentativeTimeout = 15 * time.Second
	DefaultBlockTimeout     = 60 * time.Second
	DefaultNeedlessTimeout  = 300 * time.Second
	DefaultSpareLeases      = 2
	DefaultControlPath      = "/tmp/ddhcpd_ctl"
	DefaultLogLevel         = 2
	MaxLogLevel             = 4
)

// DefaultPrefix is the default -N network, 10.0.0.0/24.
var DefaultPrefix = netip.AddrFrom4([4]byte{10, 0, 0, 0})

// DefaultConfig returns ddhcpd's defaults.
func DefaultConfig() Config {
	return Config{
		MeshInterface:    DefaultMeshInterface,
		ClientInterface:  DefaultClientInterface,
		Prefix:           DefaultPrefix,
		PrefixLen:        DefaultPrefixLen,
		BlockPow:         DefaultBlockPow,
		TentativeTimeout: DefaultTentativeTimeout,
		BlockTimeout:     DefaultBlockTimeout,
		NeedlessTimeout:  DefaultNeedlessTimeout,
		SpareLeases:      DefaultSpareLeases,
		LearningPhase:    true,
		ControlPath:      DefaultControlPath,
		LogLevel:         DefaultLogLevel,
	}
}

// Range returns the configured range.
func (c *Config) Range() (Range, error) { return NewRange(c.Prefix, c.PrefixLen, c.BlockPow) }

// Validate checks the settings the way ParseArgs does, for a Config built
// by hand.
func (c *Config) Validate() error {
	if _, err := c.Range(); err != nil {
		return err
	}
	if err := wholeSeconds("-t tentative timeout", c.TentativeTimeout, 2, 65535); err != nil {
		return err
	}
	if err := wholeSeconds("-B block timeout", c.BlockTimeout, 1, 65535); err != nil {
		return err
	}
	if err := wholeSeconds("-n needless timeout", c.NeedlessTimeout, 0, 65535); err != nil {
		return err
	}
	if c.SpareLeases < 0 || c.SpareLeases > 255 {
		return fmt.Errorf("mesh: -s spare leases %d: must be between 0 and 255", c.SpareLeases)
	}
	if c.NoDHCP && c.SpareLeases != 0 {
		return errors.New("mesh: -S (no DHCP) requires 0 spare leases")
	}
	return nil
}

func wholeSeconds(what string, d time.Duration, lo, hi int64) error {
	if d%time.Second != 0 || d < time.Duration(lo)*time.Second || d > time.Duration(hi)*time.Second {
		return fmt.Errorf("mesh: %s %v: must be a whole number of seconds from %d to %d", what, d, lo, hi)
	}
	return nil
}

// ParseArgs parses ddhcpd's command line (without the program name) with
// getopt's conventions: single-letter flags, which may be grouped (-dL),
// values attached (-b2) or in the next argument (-b 2), and "--" to end the
// flags. Flags: -i -c -S -N -b -B -t -n -s -o -L -d -D -C -H -v -V -h.
//
// ddhcpd itself truncates out-of-range numbers silently (-s 256 gives 0,
// -b 8 a block size of 0); ParseArgs rejects them, and positional
// arguments, with an error naming the flag. -S forces spare leases to 0, as
// in ddhcpd.
func ParseArgs(args []string) (Config, error) {
	c := DefaultConfig()
	err := getopt(args, "SdvVDhL", "CcitbBNosHn", func(f byte, v string) error {
		if v == "" {
			c.setFlag(f)
			return nil
		}
		return c.setValue(f, v)
	})
	if err != nil {
		return c, err
	}
	if c.NoDHCP {
		c.SpareLeases = 0
	}
	if _, err := c.Range(); err != nil {
		return c, fmt.Errorf("mesh: -N %v/%d with -b %d: %w", c.Prefix, c.PrefixLen, c.BlockPow, err)
	}
	return c, nil
}

// getopt walks single-letter flags the way getopt(3) does: flags may be
// grouped (-dL), a value may be attached (-b2) or be the next argument
// (-b 2), and "--" ends the flags. flags lists the letters without a value,
// valued those with one; fn gets each flag with its value ("" for plain
// flags). Positional arguments and unknown flags are errors. Where flags
// has -h, "-help" and "--help" are read as -h, as leased's other commands
// read them (getopt(3) would reject both).
func getopt(args []string, flags, valued string, fn func(f byte, v string) error) error {
	for i := 0; i < len(args); i++ {
		a := args[i]
		if (a == "-help" || a == "--help") && strings.IndexByte(flags, 'h') >= 0 {
			a = "-h"
		}
		if a == "--" {
			if i+1 < len(args) {
				return fmt.Errorf("mesh: unexpected argument %q", args[i+1])
			}
			return nil
		}
		if len(a) < 2 || a[0] != '-' {
			return fmt.Errorf("mesh: unexpected argument %q", a)
		}
		for j := 1; j < len(a); j++ {
			f := a[j]
			switch {
			case strings.IndexByte(flags, f) >= 0:
				if err := fn(f, ""); err != nil {
					return err
				}
			case strings.IndexByte(valued, f) >= 0:
				v := a[j+1:]
				if v == "" {
					if i+1 >= len(args) {
						return fmt.Errorf("mesh: flag -%c needs a value", f)
					}
					i++
					v = args[i]
				}
				if v == "" {
					return fmt.Errorf("mesh: flag -%c has an empty value", f)
				}
				if err := fn(f, v); err != nil {
					return err
				}
				j = len(a)
			default:
				return fmt.Errorf("mesh: unknown flag -%c in %q", f, a)
			}
		}
	}
	return nil
}

func (c *Config) setFlag(f byte) {
	switch f {
	case 'S':
		c.NoDHCP = true
	case 'd':
		c.Daemonize = true
	case 'D':
		c.Daemonize = false
	case 'v':
		c.LogLevel = min(c.LogLevel+1, MaxLogLevel)
	case 'V':
		c.Version = true
	case 'h':
		c.Help = true
	case 'L':
		c.LearningPhase = false
	}
}

func (c *Config) setValue(f byte, v string) error {
	var err error
	switch f {
	case 'C':
		c.ControlPath = v
	case 'c':
		c.ClientInterface = v
	case 'i':
		c.MeshInterface = v
	case 'H':
		c.Hook = v
	case 'o':
		var o Option
		if o, err = ParseOption(v); err == nil {
			err = c.Options.Set(o)
		}
	case 'b':
		c.BlockPow, err = flagInt(f, v, 10, 0, MaxBlockPow)
	case 's':
		c.SpareLeases, err = flagInt(f, v, 10, 0, 255)
	case 't':
		var n int
		n, err = flagInt(f, v, 10, 2, 65535)
		c.TentativeTimeout = time.Duration(n) * time.Second
	case 'B':
		var n int
		n, err = flagInt(f, v, 0, 1, 65535) // ddhcpd reads -B with strtoul base 0
		c.BlockTimeout = time.Duration(n) * time.Second
	case 'n':
		var n int
		n, err = flagInt(f, v, 10, 0, 65535)
		c.NeedlessTimeout = time.Duration(n) * time.Second
	case 'N':
		err = c.setNetwork(v)
	}
	return err
}

func (c *Config) setNetwork(v string) error {
	addrS, lenS, ok := strings.Cut(v, "/")
	if !ok || lenS == "" {
		return fmt.Errorf("mesh: -N %q: want NETWORK/LENGTH", v)
	}
	a, err := netip.ParseAddr(addrS)
	if err != nil || !a.Is4() {
		return fmt.Errorf("mesh: -N %q: %q is not an IPv4 address", v, addrS)
	}
	n, err := strconv.Atoi(lenS)
	if err != nil || n < MinPrefixLen || n > 32 {
		return fmt.Errorf("mesh: -N %q: prefix length %q must be a number from %d to 32", v, lenS, MinPrefixLen)
	}
	c.Prefix, c.PrefixLen = a, n
	return nil
}

func flagInt(f byte, v string, base, lo, hi int) (int, error) {
	n, err := strconv.ParseInt(v, base, 64)
	if err != nil || n < int64(lo) || n > int64(hi) {
		return 0, fmt.Errorf("mesh: flag -%c %q: want a number from %d to %d", f, v, lo, hi)
	}
	return int(n), nil
}

// Usage returns a usage text for a program called prog that takes the
// ddhcpd flags.
func Usage(prog string) string {
	return "Usage: " + prog + ` [-h] [-V] [-d|-D] [-L] [-v]... [-c IFACE|-S] [-i IFACE] [-N NET/LEN]
       [-b POW] [-t SECONDS] [-B SECONDS] [-n SECONDS] [-s N] [-o CODE:LEN:B1.B2...]
       [-C PATH] [-H COMMAND]

  -i IFACE     interface the nodes talk over (default server0)
  -c IFACE     interface DHCP clients are served on (default client0)
  -S           serve no DHCP clients; never claim blocks
  -N NET/LEN   address range shared by the mesh (default 10.0.0.0/24)
  -b POW       blocks of 2^POW addresses, 0 to 7 (default 5)
  -t SECONDS   tentative timeout; housekeeping runs every half of it (default 15)
  -B SECONDS   block claim lifetime and learning-phase length (default 60)
  -n SECONDS   release an unused surplus block after this long (default 300)
  -s N         free leases to keep ready, 0 to 255 (default 2)
  -o OPTION    DHCP option CODE:LEN:B1.B2..., repeatable
  -L           skip the learning phase
  -d / -D      run in the background / in the foreground (default)
  -C PATH      control socket (default /tmp/ddhcpd_ctl)
  -H COMMAND   hook script run on lease, release and end of learning
  -v           more log output, repeatable
  -V           print the version
  -h           print this help
`
}
