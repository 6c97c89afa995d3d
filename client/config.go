package client

import (
	"errors"
	"fmt"
	"log/slog"
	"net"
	"strings"
	"time"

	"github.com/leased/leased/dhcpv4"
)

// Config describes one client. The zero value of each field is a usable
// default unless its comment says otherwise.
type Config struct {
	// Interface is the name of the interface the client runs on. It is
	// required unless Transport and HardwareAddr are both set.
	Interface string
	// HardwareAddr is the address put in chaddr. Default: the interface's.
	// Several clients on one interface need distinct ones.
	HardwareAddr net.HardwareAddr

	// ClientID is the client identifier (option 61), type byte first.
	// Default: hardware type 1 followed by HardwareAddr, as RFC 2132 §9.14
	// suggests. NoClientID sends none.
	ClientID   []byte
	NoClientID bool
	// HostName is sent as option 12. Ignored when FQDN is set.
	HostName string
	// FQDN is sent as option 81 (RFC 4702) in wire format; FQDNFlags are
	// its flags (FQDNEncoded is always set).
	FQDN      string
	FQDNFlags uint8
	// VendorClass is sent as option 60.
	VendorClass string
	// RequestedLeaseTime is sent as option 51 in DISCOVER and REQUEST when
	// positive.
	RequestedLeaseTime time.Duration
	// ParameterRequestList is option 55. Default: DefaultParameterRequestList.
	ParameterRequestList []dhcpv4.OptionCode
	// BroadcastFlag asks servers to broadcast their replies, for links where
	// the client cannot receive unicast before it is configured.
	BroadcastFlag bool

	// Resume is a lease stored earlier. When set and not expired, the
	// client starts in INIT-REBOOT to confirm it instead of in INIT.
	Resume *Lease

	// InitDelay bounds the random wait before the first DISCOVER at start
	// (RFC 2131 §4.4.1 suggests 1 to 10 seconds). Zero means none. It does
	// not delay INIT-REBOOT.
	InitDelay time.Duration
	// Backoff is the retransmission schedule. Default: DefaultBackoff.
	Backoff Backoff
	// MaxRetransmits is how often a DHCPREQUEST is retransmitted in
	// REQUESTING and REBOOTING before the client gives up. Default 4.
	MaxRetransmits int
	// DeclineWait is the wait after a DECLINE before starting again.
	// Default and minimum 10 s (RFC 2131 §3.1 step 5); tests may set less
	// with AllowShortDeclineWait.
	DeclineWait           time.Duration
	AllowShortDeclineWait bool
	// MinRenewInterval is the shortest wait between DHCPREQUESTs in
	// RENEWING and REBINDING (RFC 2131 §4.4.5: 60 s). Default 60 s.
	MinRenewInterval time.Duration
	// LinkCheckInterval is how often the client asks a Transport that
	// implements [LinkChecker] whether the interface is still there.
	// Default 5 s.
	LinkCheckInterval time.Duration
	// IgnoreLink does not watch the link even when the Transport can
	// report it ([LinkWatcher]): a link that goes down and up again does
	// not make the client confirm its lease.
	IgnoreLink bool
	// ReleaseOnStop releases the lease when Run's context ends. The default
	// keeps it, so that a restarted client can resume it.
	ReleaseOnStop bool

	// Transport carries messages. Default: a LinkTransport on Interface.
	Transport Transport
	// Action applies leases to the system. Default: none.
	Action Action
	// Store is told about every lease bound and dropped. Default: none.
	Store Store
	// Prober checks offered addresses before use. Default: none.
	Prober Prober

	// Clock, Rand and Logger default to the system clock, a randomly
	// seeded PCG and slog.Default().
	Clock  Clock
	Rand   Random
	Logger *slog.Logger
	// OnChange, if set, is called from the client's goroutine after every
	// change of state or lease. It must not block.
	OnChange func(Status)
}

// DefaultParameterRequestList is what the client asks for by default:
// mask, routers, DNS, host name, domain name, MTU, broadcast address, NTP
// servers, lease, T1, T2, domain search and classless routes.
var DefaultParameterRequestList = []dhcpv4.OptionCode{1, 3, 6, 12, 15, 26, 28, 42, 51, 58, 59, 119, 121}

// Backoff is a retransmission schedule: the first retransmission after
// Initial, each next one after twice the previous wait, at most Max, each
// wait moved by a uniformly random amount in [-Jitter, +Jitter].
type Backoff struct {
	Initial time.Duration
	Max     time.Duration
	Jitter  time.Duration
}

// DefaultBackoff is the schedule of RFC 2131 §4.1.
var DefaultBackoff = Backoff{Initial: 4 * time.Second, Max: 64 * time.Second, Jitter: time.Second}

// Wait returns the wait before retransmission n (counting from 0), with
// jitter from r.
func (b Backoff) Wait(n int, r Random) time.Duration {
	d := b.Initial
	for i := 0; i < n && d < b.Max; i++ {
		d *= 2
	}
	d = min(d, b.Max)
	if b.Jitter > 0 {
		d += time.Duration(r.Int64N(int64(2*b.Jitter)+1)) - b.Jitter
	}
	return max(d, 0)
}

const minDeclineWait = 10 * time.Second

// normalize fills defaults and checks the config.
func (c *Config) normalize() error {
	if c.Transport == nil && c.Interface == "" {
		return errors.New("client: config needs an Interface or a Transport")
	}
	if c.HardwareAddr == nil && c.Interface == "" {
		return errors.New("client: config needs an Interface or a HardwareAddr")
	}
	if len(c.HardwareAddr) > 16 {
		return fmt.Errorf("client: hardware address %v longer than 16 bytes", c.HardwareAddr)
	}
	if len(c.ClientID) == 1 || len(c.ClientID) > 255 {
		return fmt.Errorf("client: client identifier of %d bytes; want 2 to 255", len(c.ClientID))
	}
	if len(c.HostName) > 255 {
		return errors.New("client: host name longer than 255 bytes")
	}
	if len(c.VendorClass) > 255 {
		return errors.New("client: vendor class longer than 255 bytes")
	}
	if c.FQDN != "" {
		if _, err := encodeDomainName(c.FQDN); err != nil {
			return fmt.Errorf("client: FQDN %q: %w", c.FQDN, err)
		}
	}
	if c.RequestedLeaseTime < 0 || c.RequestedLeaseTime > InfiniteLease {
		return fmt.Errorf("client: requested lease time %v out of range", c.RequestedLeaseTime)
	}
	if c.ParameterRequestList == nil {
		c.ParameterRequestList = DefaultParameterRequestList
	}
	for _, code := range c.ParameterRequestList {
		if code == dhcpv4.OptionPad || code == dhcpv4.OptionEnd {
			return fmt.Errorf("client: parameter request list names option %d", code)
		}
	}
	if c.Backoff == (Backoff{}) {
		c.Backoff = DefaultBackoff
	}
	if c.Backoff.Initial <= 0 || c.Backoff.Max < c.Backoff.Initial || c.Backoff.Jitter < 0 || c.Backoff.Jitter >= c.Backoff.Initial {
		return fmt.Errorf("client: bad back-off %+v", c.Backoff)
	}
	if c.MaxRetransmits <= 0 {
		c.MaxRetransmits = 4
	}
	if c.DeclineWait == 0 {
		c.DeclineWait = minDeclineWait
	}
	if c.DeclineWait < minDeclineWait && !c.AllowShortDeclineWait {
		return fmt.Errorf("client: decline wait %v shorter than the 10 s RFC 2131 requires", c.DeclineWait)
	}
	if c.MinRenewInterval <= 0 {
		c.MinRenewInterval = 60 * time.Second
	}
	if c.LinkCheckInterval <= 0 {
		c.LinkCheckInterval = 5 * time.Second
	}
	if c.InitDelay < 0 {
		return fmt.Errorf("client: negative init delay %v", c.InitDelay)
	}
	if c.Clock == nil {
		c.Clock = SystemClock{}
	}
	if c.Rand == nil {
		c.Rand = newRand()
	}
	if c.Logger == nil {
		c.Logger = slog.Default()
	}
	return nil
}

// encodeDomainName writes a domain name in DNS wire format (RFC 1035
// §3.1), as option 81 carries it when its E flag is set.
func encodeDomainName(name string) ([]byte, error) {
	name = strings.TrimSuffix(name, ".")
	if name == "" {
		return nil, errors.New("empty name")
	}
	var out []byte
	for label := range strings.SplitSeq(name, ".") {
		if label == "" {
			return nil, errors.New("empty label")
		}
		if len(label) > 63 {
			return nil, fmt.Errorf("label %q longer than 63 bytes", label)
		}
		out = append(out, byte(len(label)))
		out = append(out, label...)
	}
	out = append(out, 0)
	if len(out) > 255 {
		return nil, errors.New("name longer than 255 bytes")
	}
	return out, nil
}

// CheckFQDN reports whether name can be sent in option 81.
func CheckFQDN(name string) error {
	_, err := encodeDomainName(name)
	return err
}
