// Package mesh implements the node-to-node side of a distributed DHCP
// server that interoperates with ddhcpd, the daemon Freifunk's Gluon
// firmware runs (version 3eefc27).
//
// The nodes of a mesh share one IPv4 range. It is cut into blocks of 2^b
// addresses, and each node serves DHCP clients from the blocks it owns.
// Nodes agree on ownership over UDP/IPv6 without a coordinator: a node that
// needs addresses picks a free block at random, announces its interest
// three times (INQUIRE), then owns it and keeps announcing the claim
// (UPDATECLAIM) before the claim's timeout runs out. Conflicts go to the
// node with the numerically larger 8-byte node id. A client that roams to
// another node keeps its address: the node it now talks to forwards the
// renewal to the block's owner (RENEWLEASE) and answers the client after the
// owner's LEASEACK or LEASENAK.
//
// # Wire format
//
// Parse validates a datagram the way a real node does and returns a Packet,
// a read-only view of the buffer; decoding a valid datagram does not
// allocate. EncodeUpdateClaim, EncodeInquire, EncodeRenew and EncodeReply
// write into a caller-supplied buffer. Every message starts with a 16-byte
// Header. Lengths are exact (trailing bytes make a real node drop the
// datagram), the block-size byte carries the number of addresses rather
// than the power, and the address in a renew payload is in the sending
// host's byte order; Range.DecodeRenewAddr and AddrOrder handle that.
//
// # State machine
//
// A Node holds one node's view of every block and the leases in its own
// blocks. It performs no I/O, starts no goroutines and reads neither the
// system clock nor a global random source: time comes from a Clock and
// randomness from a Rand, both injected, so a Node is deterministic and
// several of them can be driven in one test. The caller feeds it
//
//   - datagrams: HandleMulticast (port 1234) and HandleUnicast (port 1235);
//   - time: Tick, whenever NextTick is reached;
//   - DHCP events: Offer (DISCOVER), Request, Release and Decline;
//   - send failures: SendFailed, for an INQUIRE or UPDATECLAIM that could
//     not be sent;
//
// and collects Outputs: datagrams to send, and events such as the answer
// to a forwarded renewal or a block won or lost.
//
// As in ddhcpd, only datagrams that went out count. The Node changes its
// state when it emits an INQUIRE or UPDATECLAIM, and SendFailed takes the
// change back: an INQUIRE nobody heard is not counted towards owning the
// block, and an own block keeps the timeout of its last claim that went
// out, so that a node whose mesh link is down owns no new block and
// gives its blocks up when its peers let them lapse, instead of serving
// addresses from them while a peer claims them. It retries at the pace of
// housekeeping.
//
// The Node follows ddhcpd's algorithm (learning phase, tentative period,
// three inquiries, refresh at a quarter of the block timeout, expiry, spare
// leases, release of unused blocks) and, where ddhcpd is careless, does
// better without changing what peers see: housekeeping runs on a timer only,
// never in response to traffic, so two nodes cannot drive each other into a
// storm; a block contested while it was being inquired is not taken; an
// owner checks the client before it acknowledges a forwarded renewal and
// records the lease; the answer to a forwarded renewal counts only from the
// owner it was sent to and only if it echoes the address asked about; declined addresses are set aside; the network and
// broadcast address of the range are never leased; a block taken over
// from a vanished node is not offered until that node's leases have run
// out; and an own block whose claim could not be announced, or ran out
// while the node was paused, is given up the moment the claim runs out,
// before any client or peer is answered, where ddhcpd waits for its next
// housekeeping pass, up to t/2 later, while peers may already be claiming
// the block.
//
// ddhcpd keeps everything in memory and forgets its clients on a restart.
// Resume hands a restarted Node the claims and leases its caller persisted:
// blocks whose claim still runs at the peers are owned again at once and
// their clients keep their addresses.
//
// # Configuration and control
//
// Config and ParseArgs read ddhcpd's command line with its defaults.
// ParseOption and Option.String handle ddhcpd's option syntax
// CODE:LEN:B1.B2…, and OptionStore its option list. ParseCtlRequest,
// AppendCtlRequest and ParseCtlArgs implement the requests of ddhcpd's
// control socket and of ddhcpdctl; AppendBlockStatus, AppendOptionsStatus
// and AppendStatistics produce its answers byte for byte.
package mesh
