//go:build linux

package testnet

import (
	"fmt"
	"net"
	"net/netip"
	"sync"
	"testing"
)

// Addresses of the Pair topology. They come from the documentation and
// benchmarking ranges and exist only inside the test's namespaces.
const (
	PairServerIf = "srv0" // server end of the veth, in Pair.Server
	PairClientIf = "cli0" // client end of the veth, in Pair.Client

	ServerAddr = "192.0.2.1" // on srv0, /24
	ClientAddr = "192.0.2.2" // on cli0, /24 (outside the pool)

	DirectNet       = "192.0.2.0/24" // the directly attached subnet
	DirectPoolFirst = "192.0.2.100"
	DirectPoolLast  = "192.0.2.199"

	// RelayAddr is on cli0 as well: perfdhcp binds to it (-l) and uses it
	// as giaddr, so a server picks RelayNet for its packets and unicasts
	// replies to RelayAddr:67. Server has an on-link route to RelayNet.
	RelayAddr      = "198.18.0.1"
	RelayNet       = "198.18.0.0/16"
	RelayPoolFirst = "198.18.1.0"
	RelayPoolLast  = "198.18.255.254"

	// MeshNet holds the mesh addresses of NewMesh's nodes: node i has
	// 203.0.113.(i+1)/24 on its mesh interface.
	MeshNet = "203.0.113.0/24"
)

// Pair is the standard two-namespace topology:
//
//	netns Server                      netns Client
//	srv0 192.0.2.1/24   <== veth ==>  cli0 192.0.2.2/24, 198.18.0.1/16
//	route 198.18.0.0/16 dev srv0      + macvlans c1, c2, ... from AddClientLink
//
// A server runs in Server on srv0 and serves DirectNet to clients that
// broadcast on the link, and RelayNet to perfdhcp, which acts as a relay
// with giaddr RelayAddr. Real clients each get their own macvlan on cli0
// (AddClientLink), so each has its own MAC and cli0's addresses stay put.
type Pair struct {
	Server *NS
	Client *NS

	ServerAddr netip.Addr   // 192.0.2.1
	ClientAddr netip.Addr   // 192.0.2.2
	RelayAddr  netip.Addr   // 198.18.0.1
	DirectNet  netip.Prefix // 192.0.2.0/24
	RelayNet   netip.Prefix // 198.18.0.0/16

	mu    sync.Mutex
	links int
}

// NewPair builds the Pair topology. Everything is removed when the test
// ends.
func NewPair(t testing.TB) *Pair {
	t.Helper()
	p := &Pair{
		Server:     NewNS(t, "srv"),
		Client:     NewNS(t, "cli"),
		ServerAddr: netip.MustParseAddr(ServerAddr),
		ClientAddr: netip.MustParseAddr(ClientAddr),
		RelayAddr:  netip.MustParseAddr(RelayAddr),
		DirectNet:  netip.MustParsePrefix(DirectNet),
		RelayNet:   netip.MustParsePrefix(RelayNet),
	}
	Veth(t, p.Server, PairServerIf, p.Client, PairClientIf)
	p.Server.AddAddr(t, PairServerIf, ServerAddr+"/24")
	p.Server.AddRoute(t, RelayNet, PairServerIf)
	p.Client.AddAddr(t, PairClientIf, ClientAddr+"/24")
	p.Client.AddAddr(t, PairClientIf, RelayAddr+"/16")
	return p
}

// AddClientLink adds a macvlan on cli0 in the client namespace for one
// client, with its own fresh MAC and IPv6 off (so the link carries only
// the client's DHCPv4 traffic). It returns the interface name and MAC.
func (p *Pair) AddClientLink(t testing.TB) (string, net.HardwareAddr) {
	t.Helper()
	p.mu.Lock()
	p.links++
	name := fmt.Sprintf("c%d", p.links)
	p.mu.Unlock()
	if err := p.Client.SetSysctl("net.ipv6.conf.default.disable_ipv6", "1"); err != nil {
		t.Fatal(err)
	}
	mac := p.Client.AddMacvlan(t, PairClientIf, name, nil)
	return name, mac
}

// Bridge is a Linux bridge in a namespace of its own, a switch that
// namespaces are attached to with Attach. STP and multicast snooping are
// off, so every port forwards at once and multicast is flooded.
type Bridge struct {
	NS   *NS
	Name string // the bridge interface in NS: "br0"

	mu    sync.Mutex
	ports int
}

// NewBridge creates a namespace holding bridge br0, up.
func NewBridge(t testing.TB, label string) *Bridge {
	t.Helper()
	b := &Bridge{NS: NewNS(t, label), Name: "br0"}
	b.NS.MustRun(t, "ip", "link", "add", b.Name, "type", "bridge",
		"stp_state", "0", "forward_delay", "0", "mcast_snooping", "0")
	b.NS.SetUp(t, b.Name)
	return b
}

// Attach connects ns to the bridge with a veth: ifname in ns (up, no
// address) and a port named pN on the bridge. It returns the MAC of
// ifname.
func (b *Bridge) Attach(t testing.TB, ns *NS, ifname string) net.HardwareAddr {
	t.Helper()
	b.mu.Lock()
	b.ports++
	port := fmt.Sprintf("p%d", b.ports)
	b.mu.Unlock()
	Veth(t, b.NS, port, ns, ifname)
	b.NS.MustRun(t, "ip", "link", "set", port, "master", b.Name)
	b.NS.WaitCarrier(t, b.Name)
	return ns.HardwareAddr(t, ifname)
}

// Mesh is N nodes on one bridge, each with a client link of its own:
//
//	netns node[i]                                   netns client[i]
//	mesh0 203.0.113.(i+1)/24 --- bridge ---          cli0 (no address)
//	lan0 (no address)  <=========== veth ==========>
//
// Node namespaces are where mesh servers run; each talks to the others on
// mesh0 and serves its clients on lan0. IPv6 is on (link-local addresses,
// no DAD), for mesh protocols that use link-local multicast. Client links
// have no addresses: the test adds what its scenario needs with AddAddr.
type Mesh struct {
	Bridge *Bridge
	Nodes  []MeshNode
}

// MeshNode is one node of a Mesh.
type MeshNode struct {
	NS       *NS              // the node's namespace
	MeshIf   string           // "mesh0", attached to the bridge
	MeshAddr netip.Prefix     // 203.0.113.(i+1)/24 on MeshIf
	MeshMAC  net.HardwareAddr // MAC of MeshIf
	LANIf    string           // "lan0", the node's end of its client link
	Client   *NS              // the client namespace behind LANIf
	ClientIf string           // "cli0", the client's end of the link
}

// NewMesh builds a Mesh of n nodes (1 to 200).
func NewMesh(t testing.TB, n int) *Mesh {
	t.Helper()
	if n < 1 || n > 200 {
		t.Fatalf("NewMesh: %d nodes; want 1 to 200", n)
	}
	m := &Mesh{Bridge: NewBridge(t, "mesh")}
	for i := range n {
		node := MeshNode{
			NS:       NewNS(t, fmt.Sprintf("node%d", i)),
			MeshIf:   "mesh0",
			MeshAddr: netip.PrefixFrom(netip.AddrFrom4([4]byte{203, 0, 113, byte(i + 1)}), 24),
			LANIf:    "lan0",
			Client:   NewNS(t, fmt.Sprintf("node%d-cli", i)),
			ClientIf: "cli0",
		}
		node.MeshMAC = m.Bridge.Attach(t, node.NS, node.MeshIf)
		node.NS.AddAddr(t, node.MeshIf, node.MeshAddr.String())
		Veth(t, node.NS, node.LANIf, node.Client, node.ClientIf)
		m.Nodes = append(m.Nodes, node)
	}
	return m
}
