package mesh

import (
	"bytes"
	"encoding/hex"
	"errors"
	"fmt"
	"net"
	"strings"
)

// A NodeID identifies a node in d2d headers. Ids are compared bytewise
// (unsigned, most significant byte first); the larger id wins every
// conflict over a block.
type NodeID [8]byte

// Compare returns -1, 0 or +1 as id sorts before, equal to or after other,
// the order ddhcpd uses for tie-breaks.
func (id NodeID) Compare(other NodeID) int { return bytes.Compare(id[:], other[:]) }

// IsZero reports whether id is all zero bytes, the id that ddhcpd master
// builds send.
func (id NodeID) IsZero() bool { return id == NodeID{} }

// String returns the id as 16 uppercase hexadecimal digits, as ddhcpdctl
// prints it.
func (id NodeID) String() string { return strings.ToUpper(hex.EncodeToString(id[:])) }

// ParseNodeID parses 16 hexadecimal digits (either case).
func ParseNodeID(s string) (NodeID, error) {
	var id NodeID
	if len(s) != 2*len(id) {
		return id, fmt.Errorf("mesh: node id %q: want 16 hex digits, have %d characters", s, len(s))
	}
	if _, err := hex.Decode(id[:], []byte(s)); err != nil {
		return id, fmt.Errorf("mesh: node id %q: %w", s, err)
	}
	return id, nil
}

// NodeIDFromMAC derives a node id from an Ethernet address the way Gluon's
// ddhcpd (3eefc27) does: the six MAC bytes followed by two zero bytes, so
// 02:00:00:00:01:01 gives 0200000001010000. The result competes fairly with
// Gluon nodes and beats every all-zero master node.
//
// An all-zero MAC is rejected: it would give the zero id, and equal ids make
// both owners of a block yield to each other.
func NodeIDFromMAC(mac net.HardwareAddr) (NodeID, error) {
	var id NodeID
	if len(mac) != 6 {
		return id, fmt.Errorf("mesh: node id from MAC %q: want a 6-byte Ethernet address, have %d bytes", mac, len(mac))
	}
	copy(id[:6], mac)
	if id.IsZero() {
		return id, errors.New("mesh: node id from MAC: the address is all zero")
	}
	return id, nil
}

// NodeIDForInterface reads the hardware address of the named interface
// (ddhcpd uses its -i interface) and derives the node id from it with
// NodeIDFromMAC.
func NodeIDForInterface(name string) (NodeID, error) {
	ifi, err := net.InterfaceByName(name)
	if err != nil {
		return NodeID{}, fmt.Errorf("mesh: node id for interface %q: %w", name, err)
	}
	id, err := NodeIDFromMAC(ifi.HardwareAddr)
	if err != nil {
		return NodeID{}, fmt.Errorf("mesh: node id for interface %q: %w", name, err)
	}
	return id, nil
}
