package client6

import (
	crand "crypto/rand"
	"encoding/binary"
	"errors"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"net"
	"net/netip"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/leased/leased/dhcpv6"
)

// IAConfig asks for one IA_NA or IA_PD.
type IAConfig struct {
	IAID uint32
	// Hints are addresses (IA_NA) or prefixes (IA_PD) the client would
	// like; for IA_PD a prefix whose address is :: hints at a length only
	// (e.g. ::/56).
	Hints []netip.Prefix
}

// Config describes one client. The zero value of each field is a usable
// default unless its comment says otherwise.
type Config struct {
	// Interface is the interface the client runs on. Required unless
	// Transport is set and a DUID is given.
	Interface string

	// DUID is the client's identifier. When it is nil, DUIDFile names a
	// file holding it (as colon-separated hex, the form DUID.String
	// writes); a missing file is created with a new DUID of DUIDType
	// from the interface's hardware address, so that the DUID stays the
	// same across restarts (RFC 8415 §11). Without either, a DUID-LL is
	// made from the hardware address each time.
	DUID     dhcpv6.DUID
	DUIDFile string
	// DUIDType is the type of a DUID created for DUIDFile: DUID-LLT (the
	// default), DUID-LL, DUID-EN (with Enterprise and EnterpriseID) or
	// DUID-UUID (a random version 4 UUID).
	DUIDType     dhcpv6.DUIDType
	Enterprise   uint32
	EnterpriseID []byte

	// IANA and IAPD are the IAs the client asks for. Without either and
	// without InformationOnly, one IA_NA with IAID 1 is asked for.
	IANA []IAConfig
	IAPD []IAConfig
	// InformationOnly makes a stateless client (RFC 8415 §18.2.6): it
	// asks for configuration with Information-request and for no leases.
	InformationOnly bool
	// RapidCommit asks for a two-message exchange (RFC 8415 §18.2.1).
	RapidCommit bool
	// ReconfigureAccept tells servers the client accepts Reconfigure
	// messages, which it then obeys when they carry the server's key.
	ReconfigureAccept bool
	// RequestOptions is the Option Request option. Default: DNS servers,
	// domain list, NTP servers, SOL_MAX_RT, INF_MAX_RT and, for
	// Information-request, the information refresh time.
	RequestOptions []dhcpv6.OptionCode

	// Resume is a binding stored earlier. Leases in it that expired are
	// dropped first; if some remain, the client confirms them after
	// starting, as RFC 8415 §18.2.12 asks of a client that may have moved
	// to another link: Rebind with all its IAs when any prefix is
	// delegated, Confirm when it holds addresses only. It sends no
	// Solicit while they are valid.
	Resume *Binding

	// DADTimeout bounds the wait for duplicate address detection of new
	// addresses, when the Action can check it ([DADChecker]). Default 5 s.
	DADTimeout time.Duration
	// ReleaseOnStop releases the leases when Run's context ends. The
	// default keeps them, so that a restarted client can resume them.
	ReleaseOnStop bool
	// NoInitialDelay skips the random delay of up to a second before the
	// first Solicit, Confirm or Information-request (for tests).
	NoInitialDelay bool

	// Transport carries messages. Default: a UDPTransport on Interface.
	Transport Transport
	// Action applies leases to the system. Default: none.
	Action Action
	// Store is told about every binding made and dropped. Default: none.
	Store Store

	// Rand and Logger default to a randomly seeded PCG and slog.Default().
	Rand   Random
	Logger *slog.Logger
	// OnChange, if set, is called from the client's goroutine after every
	// change of state or binding. It must not block.
	OnChange func(Status)
}

// DefaultRequestOptions is the Option Request option of stateful
// messages.
var DefaultRequestOptions = []dhcpv6.OptionCode{
	dhcpv6.OptionDNSServers, dhcpv6.OptionDomainList, dhcpv6.OptionNTPServer, dhcpv6.OptionSolMaxRT,
}

func (c *Config) normalize() error {
	if c.Interface == "" && (c.Transport == nil || c.DUID == nil) {
		return errors.New("client6: config needs an Interface, or a Transport and a DUID")
	}
	if c.InformationOnly && (len(c.IANA) > 0 || len(c.IAPD) > 0) {
		return errors.New("client6: an information-only client asks for no IA")
	}
	if !c.InformationOnly && len(c.IANA) == 0 && len(c.IAPD) == 0 {
		c.IANA = []IAConfig{{IAID: 1}}
	}
	for _, kind := range []struct {
		name string
		ias  []IAConfig
		pd   bool
	}{{"IA_NA", c.IANA, false}, {"IA_PD", c.IAPD, true}} {
		seen := map[uint32]bool{}
		for _, ia := range kind.ias {
			if seen[ia.IAID] {
				return fmt.Errorf("client6: %s %d configured twice", kind.name, ia.IAID)
			}
			seen[ia.IAID] = true
			for _, h := range ia.Hints {
				if !h.IsValid() || !h.Addr().Is6() || h.Addr().Is4In6() {
					return fmt.Errorf("client6: %s %d: hint %v is not an IPv6 prefix", kind.name, ia.IAID, h)
				}
				if !kind.pd && h.Bits() != 128 {
					return fmt.Errorf("client6: %s %d: address hint %v must be a /128", kind.name, ia.IAID, h)
				}
			}
		}
	}
	if c.RequestOptions == nil {
		c.RequestOptions = DefaultRequestOptions
	}
	if c.DADTimeout <= 0 {
		c.DADTimeout = 5 * time.Second
	}
	if c.Rand == nil {
		var seed [16]byte
		_, _ = crand.Read(seed[:]) // crypto/rand.Read never fails on Linux
		c.Rand = rand.New(rand.NewPCG(binary.LittleEndian.Uint64(seed[:8]), binary.LittleEndian.Uint64(seed[8:])))
	}
	if c.Logger == nil {
		c.Logger = slog.Default()
	}
	if c.DUID != nil {
		if err := c.DUID.Validate(); err != nil {
			return fmt.Errorf("client6: configured DUID: %w", err)
		}
	}
	return nil
}

// loadDUID returns the client's DUID: the configured one, the one in
// DUIDFile (created there first if the file does not exist), or a
// DUID-LL of hw.
func (c *Config) loadDUID(hw net.HardwareAddr, now time.Time) (dhcpv6.DUID, error) {
	if c.DUID != nil {
		return slices.Clone(c.DUID), nil
	}
	if c.DUIDFile == "" {
		if len(hw) == 0 {
			return nil, fmt.Errorf("client6: interface %s has no hardware address for a DUID; configure one", c.Interface)
		}
		return dhcpv6.NewDUIDLL(dhcpv6.HardwareTypeEthernet, hw), nil
	}
	b, err := os.ReadFile(c.DUIDFile)
	if err == nil {
		d, err := dhcpv6.ParseDUID(strings.TrimSpace(string(b)))
		if err != nil {
			return nil, fmt.Errorf("client6: DUID file %s: %w", c.DUIDFile, err)
		}
		return d, nil
	}
	if !errors.Is(err, os.ErrNotExist) {
		return nil, fmt.Errorf("client6: reading DUID file: %w", err)
	}
	d, err := c.newDUID(hw, now)
	if err != nil {
		return nil, err
	}
	if err := writeFileAtomic(c.DUIDFile, []byte(d.String()+"\n")); err != nil {
		return nil, fmt.Errorf("client6: storing the new DUID: %w", err)
	}
	return d, nil
}

func (c *Config) newDUID(hw net.HardwareAddr, now time.Time) (dhcpv6.DUID, error) {
	needHW := func() error {
		if len(hw) == 0 {
			return fmt.Errorf("client6: interface %s has no hardware address for a %v", c.Interface, c.DUIDType)
		}
		return nil
	}
	switch c.DUIDType {
	case 0, dhcpv6.DUIDLLT:
		if err := needHW(); err != nil {
			return nil, err
		}
		return dhcpv6.NewDUIDLLT(dhcpv6.HardwareTypeEthernet, hw, now), nil
	case dhcpv6.DUIDLL:
		if err := needHW(); err != nil {
			return nil, err
		}
		return dhcpv6.NewDUIDLL(dhcpv6.HardwareTypeEthernet, hw), nil
	case dhcpv6.DUIDEN:
		if c.Enterprise == 0 || len(c.EnterpriseID) == 0 {
			return nil, errors.New("client6: a DUID-EN needs Enterprise and EnterpriseID")
		}
		return dhcpv6.NewDUIDEN(c.Enterprise, c.EnterpriseID), nil
	case dhcpv6.DUIDUUID:
		var u [16]byte
		_, _ = crand.Read(u[:])
		u[6] = u[6]&0x0f | 0x40 // version 4 (RFC 9562 §5.4)
		u[8] = u[8]&0x3f | 0x80 // variant 10
		return dhcpv6.NewDUIDUUID(u), nil
	}
	return nil, fmt.Errorf("client6: cannot create a DUID of type %v", c.DUIDType)
}

// writeFileAtomic writes data to a new file beside path, syncs it and
// renames it over path, then syncs the directory: readers see the old
// file or the new one.
func writeFileAtomic(path string, data []byte) error {
	dir := filepath.Dir(path)
	f, err := os.CreateTemp(dir, filepath.Base(path)+".*.tmp")
	if err != nil {
		return err
	}
	tmp := f.Name()
	_, err = f.Write(data)
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(tmp, path)
	}
	if err != nil {
		os.Remove(tmp)
		return err
	}
	d, err := os.Open(dir)
	if err != nil {
		return err
	}
	defer d.Close()
	return d.Sync()
}
