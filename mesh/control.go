package mesh

import (
	"encoding/binary"
	"errors"
	"fmt"
	"net/netip"
	"strconv"
)

// The control socket (ddhcpd -C, default /tmp/ddhcpd_ctl) is an AF_UNIX
// stream socket. A client connects, writes one request of at most 1500
// bytes, and reads the text answer until the server closes the connection.
// There is no framing and no status: a malformed request just gets the
// connection closed.

// MaxCtlRequest is the most a server reads of a request.
const MaxCtlRequest = 1500

// A CtlCommand is the first byte of a control request.
type CtlCommand uint8

// Control commands.
const (
	CtlBlockShow       CtlCommand = 1 // answer: the block table (AppendBlockStatus)
	CtlOptionsShow     CtlCommand = 2 // answer: the option store (AppendOptionsStatus)
	CtlOptionSet       CtlCommand = 3 // 03 code len payload[len]; no answer
	CtlOptionRemove    CtlCommand = 4 // 04 code; no answer
	CtlLogLevel        CtlCommand = 5 // 05 level (0 fatal … 4 debug); no answer
	CtlStatistics      CtlCommand = 6 // answer: counters (AppendStatistics)
	CtlStatisticsReset CtlCommand = 7 // answer: counters, which are then zeroed
)

func (c CtlCommand) String() string {
	switch c {
	case CtlBlockShow:
		return "BLOCK_SHOW"
	case CtlOptionsShow:
		return "DHCP_OPTIONS_SHOW"
	case CtlOptionSet:
		return "DHCP_OPTION_SET"
	case CtlOptionRemove:
		return "DHCP_OPTION_REMOVE"
	case CtlLogLevel:
		return "LOG_LEVEL_SET"
	case CtlStatistics:
		return "STATISTICS"
	case CtlStatisticsReset:
		return "STATISTICS_RESET"
	}
	return fmt.Sprintf("control command %d", uint8(c))
}

// A CtlRequest is a decoded control request.
type CtlRequest struct {
	Command CtlCommand
	Option  Option // CtlOptionSet: code and payload; CtlOptionRemove: code only
	Level   uint8  // CtlLogLevel
}

// ErrCtlRequest is wrapped by every error ParseCtlRequest returns.
var ErrCtlRequest = errors.New("malformed control request")

// ParseCtlRequest decodes a request with ddhcpd's length rules: BLOCK_SHOW
// and DHCP_OPTIONS_SHOW are exactly one byte; DHCP_OPTION_SET needs at least
// 3 bytes and 3+len; DHCP_OPTION_REMOVE and LOG_LEVEL_SET at least 2; the
// statistics commands take any length. Bytes past what a command uses are
// ignored, as ddhcpd ignores them. For DHCP_OPTION_SET the payload aliases b.
func ParseCtlRequest(b []byte) (CtlRequest, error) {
	if len(b) == 0 {
		return CtlRequest{}, fmt.Errorf("mesh: empty control request: %w", ErrCtlRequest)
	}
	r := CtlRequest{Command: CtlCommand(b[0])}
	bad := func(rule string) (CtlRequest, error) {
		return CtlRequest{}, fmt.Errorf("mesh: %d-byte %v request: %s: %w", len(b), r.Command, rule, ErrCtlRequest)
	}
	switch r.Command {
	case CtlBlockShow, CtlOptionsShow:
		if len(b) != 1 {
			return bad("must be exactly 1 byte")
		}
	case CtlStatistics, CtlStatisticsReset:
	case CtlOptionSet:
		if len(b) < 3 {
			return bad("needs command, code and length bytes")
		}
		n := int(b[2])
		if len(b) < 3+n {
			return bad(fmt.Sprintf("announces %d payload bytes, has %d", n, len(b)-3))
		}
		r.Option = Option{Code: b[1], Data: b[3 : 3+n : 3+n]}
	case CtlOptionRemove:
		if len(b) < 2 {
			return bad("needs a code byte")
		}
		r.Option.Code = b[1]
	case CtlLogLevel:
		if len(b) < 2 {
			return bad("needs a level byte")
		}
		r.Level = b[1]
	default:
		return CtlRequest{}, fmt.Errorf("mesh: unknown control command %d: %w", b[0], ErrCtlRequest)
	}
	return r, nil
}

// AppendCtlRequest appends the wire form of r to dst.
func AppendCtlRequest(dst []byte, r CtlRequest) ([]byte, error) {
	switch r.Command {
	case CtlBlockShow, CtlOptionsShow, CtlStatistics, CtlStatisticsReset:
		return append(dst, byte(r.Command)), nil
	case CtlOptionSet:
		if len(r.Option.Data) > 255 {
			return dst, fmt.Errorf("mesh: option %d: %d payload bytes, at most 255 fit", r.Option.Code, len(r.Option.Data))
		}
		dst = append(dst, byte(r.Command), r.Option.Code, byte(len(r.Option.Data)))
		return append(dst, r.Option.Data...), nil
	case CtlOptionRemove:
		return append(dst, byte(r.Command), r.Option.Code), nil
	case CtlLogLevel:
		return append(dst, byte(r.Command), r.Level), nil
	}
	return dst, fmt.Errorf("mesh: cannot encode unknown control command %d", uint8(r.Command))
}

// A CtlInvocation is a parsed ddhcpdctl command line.
type CtlInvocation struct {
	Path    string     // -C, default /tmp/ddhcpd_ctl
	Request CtlRequest // valid unless Help or Version
	Help    bool       // -h
	Version bool       // -V
}

// ParseCtlArgs parses ddhcpdctl's command line (without the program name):
// -b (show blocks), -d (show options), -s / -S (statistics / and reset),
// -o CODE:LEN:B1… (set option), -l SECONDS (set option 51), -r CODE (remove
// option), -v LEVEL (log level), -C PATH, -V, -h. As in ddhcpdctl the last
// command flag wins, except that an -o always wins.
func ParseCtlArgs(args []string) (CtlInvocation, error) {
	inv := CtlInvocation{Path: DefaultControlPath}
	var req, opt *CtlRequest
	err := getopt(args, "bdhsSV", "Clorv", func(f byte, v string) error {
		switch f {
		case 'h':
			inv.Help = true
		case 'V':
			inv.Version = true
		case 'C':
			inv.Path = v
		case 'b':
			req = &CtlRequest{Command: CtlBlockShow}
		case 'd':
			req = &CtlRequest{Command: CtlOptionsShow}
		case 's':
			req = &CtlRequest{Command: CtlStatistics}
		case 'S':
			req = &CtlRequest{Command: CtlStatisticsReset}
		case 'o':
			o, err := ParseOption(v)
			if err != nil {
				return err
			}
			opt = &CtlRequest{Command: CtlOptionSet, Option: o}
		case 'l':
			n, err := strconv.ParseUint(v, 0, 32)
			if err != nil {
				return fmt.Errorf("mesh: flag -l %q: want a lease time in seconds (0 to 4294967295)", v)
			}
			data := binary.BigEndian.AppendUint32(nil, uint32(n))
			req = &CtlRequest{Command: CtlOptionSet, Option: Option{Code: OptLeaseTime, Data: data}}
		case 'r':
			n, err := strconv.ParseUint(v, 10, 8)
			if err != nil {
				return fmt.Errorf("mesh: flag -r %q: want an option code from 0 to 255", v)
			}
			req = &CtlRequest{Command: CtlOptionRemove, Option: Option{Code: uint8(n)}}
		case 'v':
			n, err := strconv.ParseUint(v, 10, 8)
			if err != nil || n > MaxLogLevel {
				return fmt.Errorf("mesh: flag -v %q: want a log level from 0 to %d", v, MaxLogLevel)
			}
			req = &CtlRequest{Command: CtlLogLevel, Level: uint8(n)}
		}
		return nil
	})
	if err != nil {
		return inv, err
	}
	if opt != nil {
		req = opt
	}
	if req == nil {
		if inv.Help || inv.Version {
			return inv, nil
		}
		return inv, errors.New("mesh: no command given (one of -b -d -s -S -o -l -r -v)")
	}
	inv.Request = *req
	return inv, nil
}

// A BlockRow is one block as the control socket reports it.
type BlockRow struct {
	Index       uint32
	State       BlockState
	Owner       NodeID // zero for FREE blocks
	Claims      int    // INQUIREs this node has sent for the block (0..3)
	HasLeases   bool   // a lease table exists (own blocks)
	Offered     int    // leases offered
	Leased      int    // leases acknowledged or declined (reserved addresses are not counted)
	SecondsLeft int64  // until the block's timeout
}

// A BlockStatus is the answer to BLOCK_SHOW.
type BlockStatus struct {
	BlockSize        int
	NumBlocks        uint32
	TentativeTimeout int // seconds
	BlockTimeout     int // seconds
	RefreshFactor    int
	SpareLeases      int
	Prefix           netip.Addr
	PrefixLen        int
	NodeID           NodeID
	Blocks           []BlockRow // only rows with SecondsLeft > 0 are printed
}

// AppendBlockStatus appends the BLOCK_SHOW text in ddhcpd's layout,
// tab-separated and byte for byte, so scripts that parse ddhcpdctl -b
// output keep working.
func AppendBlockStatus(dst []byte, s *BlockStatus) []byte {
	dst = fmt.Appendf(dst, "block size/number\t%d/%d \n", s.BlockSize, s.NumBlocks)
	dst = fmt.Appendf(dst, "      tentative timeout\t%d\n", s.TentativeTimeout)
	dst = fmt.Appendf(dst, "      timeout\t%d\n", s.BlockTimeout)
	dst = fmt.Appendf(dst, "      refresh factor\t%d\n", s.RefreshFactor)
	dst = fmt.Appendf(dst, "      spare leases needed\t%d\n", s.SpareLeases)
	dst = fmt.Appendf(dst, "      network: %v/%d \n", s.Prefix, s.PrefixLen)
	dst = fmt.Appendf(dst, "node id\t%v\n", s.NodeID)
	dst = append(dst, "ddhcp blocks\nindex\tstate\towner\t\t\tclaim\tleases\ttimeout\n"...)
	inUse := 0
	for _, b := range s.Blocks {
		if b.SecondsLeft <= 0 {
			continue
		}
		inUse++
		leases := "-"
		if b.HasLeases {
			leases = strconv.Itoa(b.Offered) + "/" + strconv.Itoa(b.Leased)
		}
		dst = fmt.Appendf(dst, "%d\t%d\t%v\t%d\t%s\t%d\n", b.Index, b.State, b.Owner, b.Claims, leases, b.SecondsLeft)
	}
	return fmt.Appendf(dst, "\nblocks in use: %d\n", inUse)
}

// AppendOptionsStatus appends the DHCP_OPTIONS_SHOW text: lease time,
// whether DHCP is disabled, and every stored option with its bytes in
// decimal, each followed by a tab.
func AppendOptionsStatus(dst []byte, s *OptionStore, dhcpDisabled bool) []byte {
	disabled := 0
	if dhcpDisabled {
		disabled = 1
	}
	dst = fmt.Appendf(dst, "DHCP Lease Time: %d\n\nDHCP Disabled: %d\n", int64(s.LeaseTime().Seconds()), disabled)
	dst = append(dst, "DHCP Option Store\ncode\tlen\tpayload\n"...)
	for _, o := range s.opts {
		dst = fmt.Appendf(dst, "%d\t%d\t", o.Code, len(o.Data))
		for _, v := range o.Data {
			dst = fmt.Appendf(dst, "%d\t", v)
		}
		dst = append(dst, '\n')
	}
	return dst
}

// A Stat names one counter of the STATISTICS answer.
type Stat int

// Counters, in the order STATISTICS prints them. The d2d counters (mcast.*
// and direct.*) are kept by Node; the DHCP side keeps the dhcp.* ones. As
// in ddhcpd, mcast.send_pkg, mcast.send_updateclaim and mcast.send_inquire
// count attempts; mcast.send_byte counts the bytes that went out (ddhcpd
// adds sendto's -1 for a failed send).
const (
	StatMcastRecvPkg Stat = iota
	StatMcastSendPkg
	StatMcastRecvByte
	StatMcastSendByte
	StatMcastSendUpdateClaim
	StatMcastRecvUpdateClaim
	StatMcastSendInquire
	StatMcastRecvInquire
	StatDirectRecvPkg
	StatDirectSendPkg
	StatDirectRecvByte
	StatDirectSendByte
	StatDirectRecvRenewLease
	StatDirectSendRenewLease
	StatDirectRecvLeaseAck
	StatDirectSendLeaseAck
	StatDirectRecvLeaseNak
	StatDirectSendLeaseNak
	StatDirectRecvRelease
	StatDirectSendRelease
	StatDHCPRecvPkg
	StatDHCPSendPkg
	StatDHCPRecvByte
	StatDHCPSendByte
	StatDHCPRecvDiscover
	StatDHCPSendOffer
	StatDHCPRecvRequest
	StatDHCPSendAck
	StatDHCPSendNak
	StatDHCPRecvRelease
	StatDHCPRecvInform // counted, but not printed (as in ddhcpd)
	NumStats
)

var statNames = [NumStats]string{
	"mcast.recv_pkg", "mcast.send_pkg", "mcast.recv_byte", "mcast.send_byte",
	"mcast.send_updateclaim", "mcast.recv_updateclaim", "mcast.send_inquire", "mcast.recv_inquire",
	"direct.recv_pkg", "direct.send_pkg", "direct.recv_byte", "direct.send_byte",
	"direct.recv_renewlease", "direct.send_renewlease", "direct.recv_leaseack", "direct.send_leaseack",
	"direct.recv_leasenak", "direct.send_leasenak", "direct.recv_release", "direct.send_release",
	"dhcp.recv_pkg", "dhcp.send_pkg", "dhcp.recv_byte", "dhcp.send_byte",
	"dhcp.recv_discover", "dhcp.send_offer", "dhcp.recv_request", "dhcp.send_ack",
	"dhcp.send_nak", "dhcp.recv_release", "dhcp.recv_inform",
}

func (s Stat) String() string {
	if s >= 0 && s < NumStats {
		return statNames[s]
	}
	return fmt.Sprintf("stat(%d)", int(s))
}

// Stats holds the counters, indexed by Stat.
type Stats [NumStats]int64

// Add adds other's counters to s.
func (s *Stats) Add(other *Stats) {
	for i := range s {
		s[i] += other[i]
	}
}

// AppendStatistics appends the STATISTICS text: "key value" lines for the
// counters (dhcp.recv_inform excepted), a block.<i>.owner line per block,
// which like ddhcpd's prints only the first byte of the owner id, and the
// number of free (FREE, BLOCKED), tentative (TENTATIVE, CLAIMING) and
// claimed (CLAIMED, OURS) blocks. blocks must list every block.
func AppendStatistics(dst []byte, s *Stats, blocks []BlockRow) []byte {
	for i := StatMcastRecvPkg; i < StatDHCPRecvInform; i++ {
		dst = fmt.Appendf(dst, "%s %d\n", statNames[i], s[i])
	}
	var free, tentative, claimed int
	for _, b := range blocks {
		switch b.State {
		case Free, Blocked:
			free++
		case Claiming, Tentative:
			tentative++
		case Claimed, Ours:
			claimed++
		}
		dst = fmt.Appendf(dst, "block.%d.owner %d\n", b.Index, b.Owner[0])
	}
	return fmt.Appendf(dst, "ddhcp.blocks.free %d\nddhcp.blocks.tentative %d\nddhcp.blocks.claimed %d\n", free, tentative, claimed)
}
