package mesh

import (
	"errors"
	"fmt"
	"net/netip"
	"slices"
	"time"
)

// A BlockState is a node's view of one block. The numbers are the ones the
// control socket prints.
type BlockState uint8

// Block states.
const (
	Free      BlockState = 0 // nobody owns it
	Tentative BlockState = 1 // another node inquired it
	Claimed   BlockState = 2 // another node owns it
	Claiming  BlockState = 3 // this node is inquiring it
	Ours      BlockState = 4 // this node owns it
	Blocked   BlockState = 5 // defined by ddhcpd, never used
)

func (s BlockState) String() string {
	switch s {
	case Free:
		return "FREE"
	case Tentative:
		return "TENTATIVE"
	case Claimed:
		return "CLAIMED"
	case Claiming:
		return "CLAIMING"
	case Ours:
		return "OURS"
	case Blocked:
		return "BLOCKED"
	}
	return fmt.Sprintf("state(%d)", uint8(s))
}

// Fixed timings of ddhcpd.
const (
	ClaimInquiries   = 3                // INQUIREs before a block is owned
	RefreshFactor    = 4                // refresh a claim when less than B - B/4 remains
	OfferHold        = 12 * time.Second // an offered address is held this long
	LeaseServerDelta = 10 * time.Second // the owner keeps a lease this much past its lease time
)

// Defaults of settings ddhcpd does not have.
const (
	DefaultRenewTimeout = time.Second
	DefaultDeclineHold  = 24 * time.Hour
	// MaxBlocks bounds the block table a Node keeps.
	MaxBlocks = 1 << 18
	// maxForwards bounds renewals waiting for an owner's answer, and
	// maxPeers the peers whose byte order is remembered.
	maxForwards = 4096
	maxPeers    = 1024
	// maxReannounceEvery spaces the UPDATECLAIMs that traffic asks for
	// (a quarter of the tentative timeout if that is shorter), so that
	// a peer inquiring a block hears the claim long before it could own
	// the block.
	maxReannounceEvery = time.Second
)

// A Clock tells a Node the time. The Node never reads the system clock.
type Clock interface{ Now() time.Time }

// A Rand picks uniformly from [0, n); *math/rand/v2.Rand satisfies it. The
// Node uses it to choose which free block to claim.
type Rand interface{ IntN(n int) int }

// NodeConfig configures a Node.
type NodeConfig struct {
	Config Config // ddhcpd's settings; must pass Config.Validate
	ID     NodeID // must not be zero; see NodeIDFromMAC
	Clock  Clock
	Rand   Rand

	// Exclude lists addresses never offered, in addition to the network and
	// broadcast address of the range (e.g. the server identifier).
	Exclude []netip.Addr
	// RenewTimeout is how long a forwarded renewal waits for LEASEACK or
	// LEASENAK before it is retried once in the other byte order, then
	// given up. Zero means DefaultRenewTimeout.
	RenewTimeout time.Duration
	// DeclineHold is how long an address a client declined stays unused.
	// Zero means DefaultDeclineHold.
	DeclineHold time.Duration
}

// An OutputKind says what an Output asks of the caller.
type OutputKind uint8

// Output kinds.
const (
	// SendMulticast: send Data from port 1234 to [ff02::1234%iface]:1234,
	// hop limit 1; if that fails, hand Data back with SendFailed.
	SendMulticast OutputKind = iota + 1
	// SendUnicast: send Data from port 1235 to [To]:1235.
	SendUnicast
	// RenewAcked: the owner acknowledged a forwarded renewal; answer the
	// client (XID, CHAddr) with a DHCPACK for Addr.
	RenewAcked
	// RenewNaked: the owner refused it; answer the client with a DHCPNAK.
	RenewNaked
	// RenewFailed: the owner did not answer; the client gets nothing.
	RenewFailed
	// BlockOwned: Block became this node's.
	BlockOwned
	// BlockLost: another node took Block, or its claim lapsed; Leases
	// leases in it were dropped without telling their clients.
	BlockLost
	// BlockReleased: Block was unused for the needless timeout and was
	// given up; peers let it expire.
	BlockReleased
	// LearningEnded: the learning phase is over (ddhcpd's endlearning hook).
	LearningEnded
)

func (k OutputKind) String() string {
	names := [...]string{"?", "SendMulticast", "SendUnicast", "RenewAcked", "RenewNaked", "RenewFailed",
		"BlockOwned", "BlockLost", "BlockReleased", "LearningEnded"}
	if int(k) < len(names) {
		return names[k]
	}
	return fmt.Sprintf("OutputKind(%d)", uint8(k))
}

// An Output is one thing a Node asks its caller to do or tells it.
type Output struct {
	Kind   OutputKind
	Data   []byte     // SendMulticast, SendUnicast: the datagram, owned by the caller
	To     netip.Addr // SendUnicast: destination (port UnicastPort)
	Block  uint32     // Block*
	Leases int        // BlockLost
	Addr   netip.Addr // Renew*: the client's address
	XID    uint32     // Renew*
	CHAddr [16]byte   // Renew*
}

// Errors HandleMulticast and HandleUnicast return for datagrams they drop.
// Malformed datagrams give a *PacketError.
var (
	ErrForeignSwarm = errors.New("mesh: packet from another swarm (prefix, length or block size differ)")
	ErrWrongSocket  = errors.New("mesh: message type does not belong on this socket")
)

type block struct {
	state      BlockState
	claims     uint8 // INQUIREs sent while claiming
	announce   bool  // send an UPDATECLAIM at once
	timeout    time.Time
	owner      NodeID
	ownerAddr  netip.Addr
	ownerUntil time.Time // expiry of another node's last claim
	first      time.Time // when this node took it (ordering)
	needless   time.Time // first seen unused; zero if not marked
	holdUntil  time.Time // no new offers before (see own)
	leases     []lease   // only while Ours
}

// A Node is one mesh node's block and lease state: ddhcpd's claim
// algorithm as a deterministic state machine. It does no I/O and starts no
// goroutines. Inputs are the Handle*, Tick and DHCP-facing methods; what
// the caller must send or know is collected as Outputs. A Node is not safe
// for concurrent use.
type Node struct {
	id    NodeID
	cfg   Config
	rng   Range
	hdr   Header
	clock Clock
	rand  Rand

	bs           int
	tentative    time.Duration
	blockTimeout time.Duration
	refreshEvery time.Duration // B/4 in whole seconds, at least 1 s
	hkEvery      time.Duration // t/2
	leaseTime    time.Duration
	renewTimeout time.Duration
	declineHold  time.Duration
	reserved     map[netip.Addr]bool

	blocks   []block
	owned    []uint32 // indices of Ours blocks, ascending
	claiming []uint32 // blocks being inquired, in pick order
	scratch  []uint32

	learning      bool
	learningUntil time.Time
	nextHK        time.Time
	// retryAt: no UPDATECLAIM before then, because the last multicast
	// send failed (SendFailed).
	retryAt time.Time
	// announceAt: no UPDATECLAIM that traffic asked for (an INQUIRE for
	// an own block, a smaller id's claim to one) before then; see
	// updateClaims.
	announceAt      time.Time
	reannounceEvery time.Duration

	// What each multicast datagram changed, so that SendFailed can undo
	// it: sent for the datagrams not yet collected by Outputs, last for
	// those the last Outputs call returned (see sendfail.go).
	sent, last []sentRecord

	clients   map[[16]byte]netip.Addr // client → its lease in an own block
	forwards  []*forward
	peerOrder map[netip.Addr]AddrOrder
	pending   map[uint32][]ResumeLease // leases from before a restart, by block not yet owned again

	out   []Output
	stats Stats
}

// NewNode returns a node that starts now (by cfg.Clock) with every block
// FREE. Unless cfg.Config.LearningPhase is false, it only listens for the
// first BlockTimeout; the first Tick after that ends the learning phase.
func NewNode(cfg NodeConfig) (*Node, error) {
	c := cfg.Config
	if err := c.Validate(); err != nil {
		return nil, err
	}
	if cfg.ID.IsZero() {
		return nil, errors.New("mesh: node id is zero; equal ids never settle a conflict")
	}
	if cfg.Clock == nil || cfg.Rand == nil {
		return nil, errors.New("mesh: NodeConfig needs a Clock and a Rand")
	}
	rng, _ := c.Range()
	if rng.NumBlocks() > MaxBlocks {
		return nil, fmt.Errorf("mesh: range %v has %d blocks, more than the %d a node tracks", rng, rng.NumBlocks(), MaxBlocks)
	}
	opts := c.Options.Clone()
	opts.AddDefaults(rng)
	n := &Node{
		id: cfg.ID, cfg: c, rng: rng, clock: cfg.Clock, rand: cfg.Rand,
		hdr: Header{NodeID: cfg.ID, Prefix: rng.Prefix().As4(), PrefixLen: uint8(rng.PrefixLen()),
			BlockSize: uint8(rng.BlockSize())},
		bs:           rng.BlockSize(),
		tentative:    c.TentativeTimeout,
		blockTimeout: c.BlockTimeout,
		hkEvery:      c.TentativeTimeout / 2,
		leaseTime:    opts.LeaseTime(),
		renewTimeout: orDefault(cfg.RenewTimeout, DefaultRenewTimeout),
		declineHold:  orDefault(cfg.DeclineHold, DefaultDeclineHold),
		reserved:     map[netip.Addr]bool{rng.Network(): true, rng.Broadcast(): true},
		blocks:       make([]block, rng.NumBlocks()),
		clients:      map[[16]byte]netip.Addr{},
		peerOrder:    map[netip.Addr]AddrOrder{},
	}
	n.refreshEvery = max(c.BlockTimeout/time.Second/RefreshFactor*time.Second, time.Second)
	n.reannounceEvery = min(maxReannounceEvery, c.TentativeTimeout/4)
	for _, a := range cfg.Exclude {
		n.reserved[a.Unmap()] = true
	}
	now := n.clock.Now()
	// ddhcpd starts every block FREE with a timeout of start + B, so its
	// BLOCK_SHOW lists them all (as FREE) until then. Free blocks never
	// expire, so only that listing depends on it.
	for i := range n.blocks {
		n.blocks[i].timeout = now.Add(c.BlockTimeout)
	}
	n.learning = true
	n.learningUntil = now
	if c.LearningPhase {
		n.learningUntil = now.Add(c.BlockTimeout)
	}
	n.nextHK = n.learningUntil
	return n, nil
}

func orDefault(v, def time.Duration) time.Duration {
	if v > 0 {
		return v
	}
	return def
}

// ID returns the node's id.
func (n *Node) ID() NodeID { return n.id }

// Range returns the managed range.
func (n *Node) Range() Range { return n.rng }

// Learning reports whether the node is still in its learning phase.
func (n *Node) Learning() bool { return n.learning }

// LeaseTime returns the lease time announced to clients.
func (n *Node) LeaseTime() time.Duration { return n.leaseTime }

// SetLeaseTime changes the lease time, e.g. after option 51 was set or
// removed through the control socket (OptionStore.LeaseTime).
func (n *Node) SetLeaseTime(d time.Duration) { n.leaseTime = max(d, 0) }

// Outputs appends the pending outputs to dst, in the order they arose, and
// forgets them.
func (n *Node) Outputs(dst []Output) []Output {
	dst = append(dst, n.out...)
	clear(n.out)
	n.out = n.out[:0]
	n.collectSent()
	return dst
}

func (n *Node) emit(o Output) { n.out = append(n.out, o) }

// NextTick returns when Tick must next be called: the end of the learning
// phase, the next housekeeping pass (every half tentative timeout), the
// next claim refresh (not within half a tentative timeout of a failed
// send, see SendFailed), the end of an own claim that could not be
// refreshed, or a forwarded renewal's timeout, whichever is first.
func (n *Node) NextTick() time.Time {
	next := n.nextHK
	// Own blocks exist in the learning phase only when resumed (Resume).
	for _, i := range n.owned {
		due := n.refreshAt(i)
		if n.blocks[i].announce && n.announceAt.Before(due) {
			due = n.announceAt
		}
		if due.Before(n.retryAt) {
			due = n.retryAt
		}
		// A claim that could not be refreshed is given up when it runs out.
		if t := n.blocks[i].timeout; t.Before(due) {
			due = t
		}
		if due.Before(next) {
			next = due
		}
	}
	for _, f := range n.forwards {
		if d := f.sent.Add(n.renewTimeout); d.Before(next) {
			next = d
		}
	}
	return next
}

// Tick runs what is due: forwarded renewals that timed out, the end of the
// learning phase, housekeeping (at most every half tentative timeout, never
// in response to traffic, so two nodes cannot drive each other), claim
// refreshes that fall between housekeeping passes, and the end of own
// claims that could not be refreshed.
func (n *Node) Tick() {
	now := n.clock.Now()
	n.expireForwards(now)
	defer n.expireOwn(now)
	if n.learning {
		if now.Before(n.learningUntil) {
			n.updateClaims(now) // blocks resumed after a restart stay claimed
			return
		}
		n.learning = false
		n.emit(Output{Kind: LearningEnded})
	}
	if !now.Before(n.nextHK) {
		n.nextHK = now.Add(n.hkEvery)
		n.housekeeping(now)
		return
	}
	n.updateClaims(now)
}

// expireOwn gives up the own blocks whose claim has run out: announcing
// them failed (SendFailed) until the peers stopped counting them as
// claimed, or the node was paused (SIGSTOP, a stalled machine) past the
// claim's end. ddhcpd gives such a block up at its next housekeeping pass,
// up to t/2 later, by when a peer may already be claiming it; the Node does
// so at once, even in the learning phase, where housekeeping does not run,
// and before any input is acted on, since input can come before the Tick
// that was due during a pause.
func (n *Node) expireOwn(now time.Time) {
	for k := 0; k < len(n.owned); {
		i := n.owned[k]
		b := &n.blocks[i]
		if now.Before(b.timeout) {
			k++
			continue
		}
		n.lose(i) // removes i from n.owned
		b.state, b.owner = Free, NodeID{}
	}
}

// housekeeping is ddhcpd's HK pass (specification 5.3).
func (n *Node) housekeeping(now time.Time) {
	for i := range n.blocks {
		b := &n.blocks[i]
		if b.state != Free && b.state != Blocked && b.timeout.Before(now) {
			if b.state == Ours {
				n.lose(uint32(i))
			}
			b.state, b.owner = Free, NodeID{}
		}
	}
	for _, i := range n.owned {
		n.expireLeases(uint32(i), now)
	}

	needed := n.cfg.SpareLeases - n.spare(now)
	blocksNeeded := needed / n.bs
	if needed%n.bs > 0 {
		blocksNeeded++
	}
	if blocksNeeded < 0 {
		n.abandonClaims()
		n.dropUnused(now)
	} else {
		for _, i := range n.owned {
			n.blocks[i].needless = time.Time{}
		}
		if blocksNeeded > 0 {
			n.claim(blocksNeeded, now)
		} else {
			n.abandonClaims()
		}
	}
	n.updateClaims(now)
}

// claim is ddhcpd's claim(n) (specification 6.2), except that a block is
// only taken if nobody contested it while it was being inquired: a block
// another node inquired with a larger id, or announced, leaves the list at
// once instead of being owned regardless; and the CLAIMING timeout is
// renewed with every INQUIRE.
func (n *Node) claim(need int, now time.Time) {
	kept := n.claiming[:0]
	for _, i := range n.claiming {
		b := &n.blocks[i]
		switch {
		case b.claims >= ClaimInquiries && (b.state == Claiming || b.state == Free):
			n.own(i, now)
			need--
		case b.state == Claiming:
			kept = append(kept, i)
		default:
			b.claims = 0
		}
	}
	n.claiming = kept
	for len(n.claiming) < need && len(n.claiming) < MaxInquireEntries {
		i, ok := n.pendingFree(now)
		if !ok {
			i, ok = n.randomFree()
		}
		if !ok {
			break // the network has no free blocks left
		}
		b := &n.blocks[i]
		b.state, b.claims, b.timeout = Claiming, 0, now.Add(n.tentative)
		n.claiming = append(n.claiming, i)
	}
	if len(n.claiming) == 0 {
		return
	}
	buf := make([]byte, WantLen(Inquire, len(n.claiming)))
	if _, err := EncodeInquire(buf, n.hdr, n.claiming); err != nil {
		panic("mesh: " + err.Error()) // the list is bounded above
	}
	n.sendMulticast(buf, StatMcastSendInquire)
	for _, i := range n.claiming {
		// Each INQUIRE keeps the block TENTATIVE at the peers for t, and
		// CLAIMING here just as long. ddhcpd counts t from the pick only,
		// which its whole-second clock gets away with; with a real clock
		// the fourth pass would come a moment after the lapse. If the
		// send fails, SendFailed takes both back.
		b := &n.blocks[i]
		n.noteUndo(i, b.timeout, now.Add(n.tentative), false)
		b.claims++
		b.timeout = now.Add(n.tentative)
	}
}

func (n *Node) randomFree() (uint32, bool) {
	free := n.scratch[:0]
	for i := range n.blocks {
		if n.blocks[i].state == Free {
			free = append(free, uint32(i))
		}
	}
	n.scratch = free
	if len(free) == 0 {
		return 0, false
	}
	return free[n.rand.IntN(len(free))], true
}

// abandonClaims stops inquiring: demand has gone, and a claim resumed later
// must start again with fresh INQUIREs rather than own a stale block.
func (n *Node) abandonClaims() {
	for _, i := range n.claiming {
		b := &n.blocks[i]
		b.claims = 0
		if b.state == Claiming {
			b.state = Free
		}
	}
	n.claiming = n.claiming[:0]
}

func (n *Node) dropClaim(i uint32) {
	if k := slices.Index(n.claiming, i); k >= 0 {
		n.claiming = slices.Delete(n.claiming, k, k+1)
	}
	n.blocks[i].claims = 0
}

// own makes block i this node's. If another node owned it until recently,
// its clients may still hold addresses from it, so new offers wait until
// every lease that owner could have granted has run out; renewals from
// those clients are accepted and recorded meanwhile.
func (n *Node) own(i uint32, now time.Time) {
	b := &n.blocks[i]
	// claims stays at 3, as ddhcpd leaves it (BLOCK_SHOW prints it).
	b.state, b.owner, b.first, b.announce = Ours, n.id, now, true
	b.needless = time.Time{}
	b.holdUntil = time.Time{}
	if !b.ownerUntil.IsZero() {
		if until := b.ownerUntil.Add(n.leaseTime + LeaseServerDelta); until.After(now) {
			b.holdUntil = until
		}
	}
	b.leases = make([]lease, n.bs)
	for j := range b.leases {
		if n.reserved[n.rng.Addr(i, j)] {
			b.leases[j].state = LeaseReserved
		}
	}
	k, _ := slices.BinarySearch(n.owned, i)
	n.owned = slices.Insert(n.owned, k, i)
	n.restorePending(i, now)
	n.emit(Output{Kind: BlockOwned, Block: i})
}

// lose drops block i from the own set with its leases.
func (n *Node) lose(i uint32) {
	n.emit(Output{Kind: BlockLost, Block: i, Leases: n.dropLeases(i)})
}

func (n *Node) dropLeases(i uint32) int {
	b := &n.blocks[i]
	inUse := 0
	for j := range b.leases {
		if l := &b.leases[j]; l.state == LeaseOffered || l.state == LeaseLeased {
			inUse++
			n.forgetClient(l.chaddr, n.rng.Addr(i, j))
		}
	}
	b.leases, b.needless, b.holdUntil = nil, time.Time{}, time.Time{}
	if k, found := slices.BinarySearch(n.owned, i); found {
		n.owned = slices.Delete(n.owned, k, k+1)
	}
	return inUse
}

// dropUnused is ddhcpd's drop_unused (specification 6.6).
func (n *Node) dropUnused(now time.Time) {
	var pick *block
	pi := uint32(0)
	for _, i := range n.owned {
		b := &n.blocks[i]
		if n.unused(b) && (pick == nil || pick.first.Before(b.first)) {
			pick, pi = b, i
		}
	}
	if pick == nil {
		return
	}
	if pick.needless.IsZero() {
		pick.needless = now
		return
	}
	if now.Sub(pick.needless) >= n.cfg.NeedlessTimeout {
		n.dropLeases(pi)
		pick.state, pick.owner = Free, NodeID{}
		n.emit(Output{Kind: BlockReleased, Block: pi})
	}
}

// refreshAt returns when own block i's claim is due for refresh: a quarter
// of the block timeout after it was last announced, which is ddhcpd's "less
// than B - B/4 left" (but at least a second, so that a tiny B cannot make
// the node announce in a loop).
func (n *Node) refreshAt(i uint32) time.Time {
	return n.blocks[i].timeout.Add(n.refreshEvery - n.blockTimeout)
}

// updateClaims is ddhcpd's update_claims (specification 6.1): own blocks in
// index order, in groups of 32; a group is announced if one of its blocks
// is due for refresh or must be re-announced at once. Nothing is sent
// within half a tentative timeout of a failed send: ddhcpd retries at its
// next housekeeping pass, which comes that much later on an idle link.
//
// Unlike ddhcpd, which answers every INQUIRE for an own block with an
// UPDATECLAIM, re-announcements that traffic asked for go out at most
// once per reannounceEvery: anyone on the mesh can send INQUIREs, and
// every node hears every UPDATECLAIM, so answering each one would turn a
// flood into a larger one on every node. The peer inquiring still hears
// the claim within a second, long before its third INQUIRE.
func (n *Node) updateClaims(now time.Time) {
	if now.Before(n.retryAt) {
		return
	}
	announce := !now.Before(n.announceAt)
	due := func(i uint32) bool {
		return n.blocks[i].announce && announce || !now.Before(n.refreshAt(i))
	}
	if !slices.ContainsFunc(n.owned, due) {
		return
	}
	var entries [MaxClaimsPerSend]Claim
	secs := uint16(n.blockTimeout / time.Second)
	for start := 0; start < len(n.owned); start += MaxClaimsPerSend {
		group := n.owned[start:min(start+MaxClaimsPerSend, len(n.owned))]
		if !slices.ContainsFunc(group, due) {
			continue
		}
		for k, i := range group {
			entries[k] = Claim{Block: i, Timeout: secs}
		}
		buf := make([]byte, WantLen(UpdateClaim, len(group)))
		if _, err := EncodeUpdateClaim(buf, n.hdr, entries[:len(group)]); err != nil {
			panic("mesh: " + err.Error()) // groups hold at most 32 entries
		}
		n.sendMulticast(buf, StatMcastSendUpdateClaim)
		n.announceAt = now.Add(n.reannounceEvery)
		for _, i := range group {
			b := &n.blocks[i]
			n.noteUndo(i, b.timeout, now.Add(n.blockTimeout), b.announce)
			b.timeout, b.announce = now.Add(n.blockTimeout), false
		}
	}
}

// sendMulticast emits datagram b, an INQUIRE or UPDATECLAIM. The caller
// then notes, with noteUndo, the state the datagram changed.
func (n *Node) sendMulticast(b []byte, kind Stat) {
	n.stats[StatMcastSendPkg]++
	n.stats[StatMcastSendByte] += int64(len(b))
	n.stats[kind]++
	n.emit(Output{Kind: SendMulticast, Data: b})
	n.sent = append(n.sent, sentRecord{data: b})
}

func (n *Node) sendUnicast(to netip.Addr, b []byte, kind Stat) {
	n.stats[StatDirectSendPkg]++
	n.stats[StatDirectSendByte] += int64(len(b))
	n.stats[kind]++
	n.emit(Output{Kind: SendUnicast, To: to, Data: b})
}

// HandleMulticast processes a datagram received on the multicast socket
// (port 1234) from src, the sender's IPv6 address. UPDATECLAIM and INQUIRE
// update the block table; an INQUIRE for an own block, or an UPDATECLAIM for
// one from a smaller id, makes the node re-announce at once. Unlike ddhcpd,
// a datagram does not trigger housekeeping.
//
// Dropped datagrams give an error: a *PacketError, ErrForeignSwarm or
// ErrWrongSocket. Dropping is all a real node does; the error is for
// logging.
//
// Like ddhcpd, the node does not filter its own id: the caller must not
// feed it its own datagrams (ddhcpd turns IPV6_MULTICAST_LOOP off), or it
// yields its blocks to itself.
func (n *Node) HandleMulticast(src netip.Addr, b []byte) error {
	n.stats[StatMcastRecvPkg]++
	n.stats[StatMcastRecvByte] += int64(len(b))
	p, err := n.accept(b)
	if err != nil {
		return err
	}
	now := n.clock.Now()
	n.expireOwn(now)
	switch p.Command() {
	case UpdateClaim:
		n.stats[StatMcastRecvUpdateClaim]++
		n.onUpdateClaim(src, p, now)
	case Inquire:
		n.stats[StatMcastRecvInquire]++
		n.onInquire(p, now)
	default:
		return fmt.Errorf("%w: %v on the multicast socket", ErrWrongSocket, p.Command())
	}
	n.updateClaims(now)
	return nil
}

func (n *Node) accept(b []byte) (Packet, error) {
	p, err := Parse(b)
	if err != nil {
		return nil, err
	}
	if !n.rng.Matches(p.Header()) {
		return nil, ErrForeignSwarm
	}
	return p, nil
}

// onInquire applies specification 6.3.
func (n *Node) onInquire(p Packet, now time.Time) {
	from := p.NodeID()
	for k := range p.Len() {
		i := p.Inquired(k)
		if i >= uint32(len(n.blocks)) {
			continue // "Malformed block number": skipped, the rest still counts
		}
		b := &n.blocks[i]
		switch b.state {
		case Ours:
			b.announce = true
		case Claiming:
			if from.Compare(n.id) > 0 {
				b.state, b.timeout = Tentative, now.Add(n.tentative)
				n.dropClaim(i)
			}
		default:
			b.state, b.timeout = Tentative, now.Add(n.tentative)
		}
	}
}

// onUpdateClaim applies specification 6.4.
func (n *Node) onUpdateClaim(src netip.Addr, p Packet, now time.Time) {
	from := p.NodeID()
	for k := range p.Len() {
		c := p.Claim(k)
		if c.Block >= uint32(len(n.blocks)) {
			continue
		}
		b := &n.blocks[c.Block]
		if b.state == Ours && from.Compare(n.id) < 0 {
			b.announce = true // the larger id keeps the block: re-assert it
			continue
		}
		switch b.state {
		case Ours:
			n.lose(c.Block)
		case Claiming:
			n.dropClaim(c.Block)
		}
		b.state, b.owner, b.ownerAddr = Claimed, from, src
		b.timeout = now.Add(time.Duration(c.Timeout) * time.Second)
		b.ownerUntil = b.timeout
	}
}

// HandleUnicast processes a datagram received on the unicast socket (port
// 1235) from src. A RENEWLEASE for an address in an own block is answered
// (see Node.Request for the checks); LEASEACK and LEASENAK complete a
// forwarded renewal if they come from the owner it went to and echo its
// address (others are ignored). Errors are as for HandleMulticast.
func (n *Node) HandleUnicast(src netip.Addr, b []byte) error {
	n.stats[StatDirectRecvPkg]++
	n.stats[StatDirectRecvByte] += int64(len(b))
	p, err := n.accept(b)
	if err != nil {
		return err
	}
	now := n.clock.Now()
	n.expireOwn(now)
	switch p.Command() {
	case RenewLease:
		n.stats[StatDirectRecvRenewLease]++
		n.onRenew(src, p, now)
	case LeaseAck:
		n.stats[StatDirectRecvLeaseAck]++
		n.onReply(src, p, true)
	case LeaseNak:
		n.stats[StatDirectRecvLeaseNak]++
		n.onReply(src, p, false)
	default:
		return fmt.Errorf("%w: %v on the unicast socket", ErrWrongSocket, p.Command())
	}
	return nil
}

// onRenew answers a peer's forwarded renewal. Unlike ddhcpd, which
// acknowledges any address in its blocks without looking, the lease is
// checked against the client and recorded, so the address cannot be handed
// to anyone else while the roaming client holds it.
func (n *Node) onRenew(src netip.Addr, p Packet, now time.Time) {
	r := p.Renew()
	addr, order, certain, ok := n.rng.DecodeRenewAddr(r.Addr)
	if !ok {
		return // outside the range in both byte orders: real nodes stay silent
	}
	if certain {
		n.learnOrder(src, order)
	}
	cmd, stat := LeaseNak, StatDirectSendLeaseNak
	if i, j, ok := n.ownLease(addr); ok && n.grant(i, j, r.CHAddr, r.XID, now) {
		cmd, stat = LeaseAck, StatDirectSendLeaseAck
	}
	buf := make([]byte, RenewLen)
	if _, err := EncodeReply(buf, n.hdr, cmd, p); err != nil {
		panic("mesh: " + err.Error()) // p is a validated RENEWLEASE
	}
	n.sendUnicast(src, buf, stat)
}

func (n *Node) learnOrder(peer netip.Addr, o AddrOrder) {
	if _, known := n.peerOrder[peer]; known || len(n.peerOrder) < maxPeers {
		n.peerOrder[peer] = o
	}
}

// Block returns block i as the control socket shows it. ok is false if i is
// outside the range.
func (n *Node) Block(i uint32) (row BlockRow, ok bool) {
	if i >= uint32(len(n.blocks)) {
		return BlockRow{}, false
	}
	return n.row(i, n.clock.Now()), true
}

func (n *Node) row(i uint32, now time.Time) BlockRow {
	b := &n.blocks[i]
	r := BlockRow{Index: i, State: b.state, Owner: b.owner, Claims: int(b.claims),
		SecondsLeft: int64(b.timeout.Sub(now) / time.Second)}
	if b.leases != nil {
		r.HasLeases = true
		for _, l := range b.leases {
			switch l.state {
			case LeaseOffered:
				r.Offered++
			case LeaseLeased, LeaseDeclined:
				r.Leased++
			}
		}
	}
	return r
}

// Blocks returns every block in index order.
func (n *Node) Blocks() []BlockRow {
	now := n.clock.Now()
	rows := make([]BlockRow, len(n.blocks))
	for i := range rows {
		rows[i] = n.row(uint32(i), now)
	}
	return rows
}

// Owned returns the indices of the node's own blocks, ascending.
func (n *Node) Owned() []uint32 { return slices.Clone(n.owned) }

// Status returns the answer to the control socket's BLOCK_SHOW.
func (n *Node) Status() BlockStatus {
	now := n.clock.Now()
	s := BlockStatus{
		BlockSize: n.bs, NumBlocks: uint32(len(n.blocks)),
		TentativeTimeout: int(n.tentative / time.Second), BlockTimeout: int(n.blockTimeout / time.Second),
		RefreshFactor: RefreshFactor, SpareLeases: n.cfg.SpareLeases,
		Prefix: n.rng.Prefix(), PrefixLen: n.rng.PrefixLen(), NodeID: n.id,
	}
	for i := range n.blocks {
		if n.blocks[i].timeout.Sub(now) >= time.Second {
			s.Blocks = append(s.Blocks, n.row(uint32(i), now))
		}
	}
	return s
}

// Stats returns the d2d counters (mcast.* and direct.*).
func (n *Node) Stats() Stats { return n.stats }

// ResetStats zeroes the counters.
func (n *Node) ResetStats() { n.stats = Stats{} }
