package client

import (
	"encoding/binary"
	"errors"
	"net"
	"net/netip"
	"time"
)

// arpPacket is an Ethernet/IPv4 ARP message (RFC 826).
type arpPacket struct {
	op       uint16
	senderHW net.HardwareAddr
	senderIP netip.Addr
	targetHW net.HardwareAddr
	targetIP netip.Addr
}

const (
	arpRequest = 1
	arpReply   = 2
	arpLen     = 28
)

// appendARPFrame appends an Ethernet frame carrying a.
func appendARPFrame(b []byte, dstMAC net.HardwareAddr, a arpPacket) []byte {
	b = append(b, dstMAC[:6]...)
	b = append(b, a.senderHW[:6]...)
	b = binary.BigEndian.AppendUint16(b, etherTypeARP)
	b = append(b, 0, 1, 0x08, 0x00, 6, 4) // Ethernet, IPv4, sizes
	b = binary.BigEndian.AppendUint16(b, a.op)
	b = append(b, a.senderHW[:6]...)
	s := a.senderIP.As4()
	b = append(b, s[:]...)
	th := a.targetHW
	if th == nil {
		th = make(net.HardwareAddr, 6)
	}
	b = append(b, th[:6]...)
	t := a.targetIP.As4()
	return append(b, t[:]...)
}

var errNotARP = errors.New("not an Ethernet/IPv4 ARP frame")

// parseARPFrame reads an Ethernet frame carrying ARP for IPv4.
func parseARPFrame(b []byte) (arpPacket, error) {
	var a arpPacket
	if len(b) < ethHeaderLen+arpLen || binary.BigEndian.Uint16(b[12:]) != etherTypeARP {
		return a, errNotARP
	}
	p := b[ethHeaderLen:]
	if binary.BigEndian.Uint16(p[0:]) != 1 || binary.BigEndian.Uint16(p[2:]) != etherTypeIPv4 || p[4] != 6 || p[5] != 4 {
		return a, errNotARP
	}
	a.op = binary.BigEndian.Uint16(p[6:])
	a.senderHW = net.HardwareAddr(p[8:14:14])
	a.senderIP = netip.AddrFrom4([4]byte(p[14:18]))
	a.targetHW = net.HardwareAddr(p[18:24:24])
	a.targetIP = netip.AddrFrom4([4]byte(p[24:28]))
	return a, nil
}

// conflicts reports whether a, received while probing addr for hw, shows
// that another host uses or wants addr (RFC 5227 §2.1.1): any ARP message
// whose sender address is addr, or a probe for addr from another host.
func (a arpPacket) conflicts(addr netip.Addr, hw net.HardwareAddr) bool {
	if string(a.senderHW) == string(hw) {
		return false
	}
	if a.senderIP == addr {
		return true
	}
	return a.op == arpRequest && a.senderIP.IsUnspecified() && a.targetIP == addr
}

// ProbeTiming is the RFC 5227 §1.1 probe schedule.
type ProbeTiming struct {
	// Wait bounds the random delay before the first probe (PROBE_WAIT).
	Wait time.Duration
	// Num is the number of probes (PROBE_NUM).
	Num int
	// Min and Max bound the random interval between probes (PROBE_MIN,
	// PROBE_MAX).
	Min, Max time.Duration
	// AnnounceWait is the wait after the last probe (ANNOUNCE_WAIT).
	AnnounceWait time.Duration
}

// DefaultProbeTiming is RFC 5227's: 0-1 s, 3 probes 1-2 s apart, 2 s.
var DefaultProbeTiming = ProbeTiming{Wait: time.Second, Num: 3, Min: time.Second, Max: 2 * time.Second, AnnounceWait: 2 * time.Second}
