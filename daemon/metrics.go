package daemon

import (
	"context"
	"log/slog"
	"net/http"
	"sync"
	"sync/atomic"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/leased/leased/config"
	"github.com/leased/leased/dhcpserver"
	"github.com/leased/leased/dhcpv4"
	"github.com/leased/leased/engine"
	"github.com/leased/leased/lease"
	"github.com/leased/leased/stats"
)

// metrics keeps kea-dhcp4's statistics in a stats.Manager. It is the
// server's engine.Metrics, and it counts what the DHCP sockets and the
// lease store know:
//
//   - The packet path counts through lock-free stats.Counter handles:
//     messages received by type (the packet handler, see handler.go),
//     replies sent, messages dropped, leases assigned and reclaimed.
//   - pkt4-received, pkt4-parse-failed, pkt4-queue-full and their share
//     of pkt4-receive-drop are the dhcpserver sockets' own counters, added
//     by sync, less the messages Kea would not have counted (unseen).
//   - assigned-addresses and declined-addresses are the lease store's
//     counts, set by sync: the store is the truth, so they need no
//     bookkeeping of every state change (a reclaimed lease may have been
//     assigned, declined or already released). As in Kea, a declined
//     address counts in both until it is reclaimed.
//
// sync runs every second and before every statistics command, so what an
// operator reads is exact.
type metrics struct {
	m      *stats.Manager
	pk     *stats.Packets
	global *stats.Leases
	// drops holds, for each of the server's drop reasons, the counter
	// Kea counts it in besides pkt4-receive-drop (nil: none); it is
	// read-only after newMetrics.
	drops [engine.NumDropReasons]*stats.Counter
	idx   atomic.Pointer[statIndex]
	// unseen counts the messages the sockets read (and so counted in
	// pkt4-received) that Kea would not have counted: those its sockets
	// would not have received (dhcp-socket-type "udp", use-routing) and
	// those that came while the service was disabled. sync takes them
	// off pkt4-received.
	unseen atomic.Int64

	mu    sync.Mutex // serialises sync, configure and the socket list
	store lease.Store
	libs  map[*dhcpserver.Server]dhcpserver.Stats // last counters seen
	log   *slog.Logger
}

// statIndex holds the counters of the subnets and pools of the
// configuration in force.
type statIndex struct {
	subnets map[uint32]*stats.Subnet
	pools   map[lease.PoolKey]*stats.Pool
}

func newMetrics(m *stats.Manager, store lease.Store, log *slog.Logger) *metrics {
	pk := m.Packets()
	mt := &metrics{
		m:      m,
		pk:     pk,
		global: m.GlobalLeases(),
		drops:  dropCounters(pk),
		store:  store,
		libs:   make(map[*dhcpserver.Server]dhcpserver.Stats),
		log:    log,
	}
	mt.idx.Store(&statIndex{subnets: map[uint32]*stats.Subnet{}, pools: map[lease.PoolKey]*stats.Pool{}})
	return mt
}

func (mt *metrics) Sent(t dhcpv4.MessageType) { mt.pk.CountSent(uint8(t)) }

func (mt *metrics) Dropped(r engine.DropReason) {
	if r == engine.DropNoAddress {
		// Kea counts an allocation failure, not a dropped message.
		mt.pk.AllocationFail.Add(1)
		return
	}
	if int(r) >= len(mt.drops) {
		// Not a reason the server gives; counted as a drop all the same.
		mt.pk.Drop(nil)
		return
	}
	mt.pk.Drop(mt.drops[r])
}

// dropCounters returns, indexed by engine.DropReason, the counter Kea
// counts each drop in besides pkt4-receive-drop. Every reason is listed,
// nil or not: the literal's length is the highest reason listed plus
// one, and the result's type is sized by engine.NumDropReasons, so a
// reason added at the end of the server's list and not here fails to
// compile, and TestDropReasons checks each entry.
func dropCounters(pk *stats.Packets) [engine.NumDropReasons]*stats.Counter {
	return [...]*stats.Counter{
		engine.DropNotClientMessage: nil,
		engine.DropUnsupportedType:  nil,
		// Kea fails to parse such a message (its option 81 does not
		// unpack) and counts it so.
		engine.DropMalformedOption81: pk.ParseFailed,
		engine.DropClass:             pk.AdminFiltered,
		engine.DropNoSubnet:          nil,
		engine.DropNoAddress:         pk.AllocationFail, // not a drop: see Dropped
		engine.DropNotForUs:          pk.NotForUs,
		engine.DropMalformedRequest:  pk.RFCViolation,
		engine.DropUnknownInitReboot: nil,
		engine.DropUnknownRelease:    nil,
		engine.DropUnknownDecline:    nil,
		engine.DropNotDurable:        nil,
		engine.DropNotReplicated:     nil,
	}
}

func (mt *metrics) Assigned(subnetID, poolID uint32) {
	mt.global.CumulativeAssignedAddresses.Add(1)
	idx := mt.idx.Load()
	if sn := idx.subnets[subnetID]; sn != nil {
		sn.CumulativeAssignedAddresses.Add(1)
	}
	if p := idx.pools[lease.PoolKey{SubnetID: subnetID, PoolID: poolID}]; p != nil {
		p.CumulativeAssignedAddresses.Add(1)
	}
}

// Freed and Declined change assigned-addresses and declined-addresses,
// which sync reads from the store.
func (mt *metrics) Freed(uint32, uint32)    {}
func (mt *metrics) Declined(uint32, uint32) {}

func (mt *metrics) Reclaimed(subnetID, poolID uint32, declined bool) {
	count := func(l *stats.Leases) {
		l.ReclaimedLeases.Add(1)
		if declined {
			l.ReclaimedDeclinedAddresses.Add(1)
		}
	}
	count(mt.global)
	idx := mt.idx.Load()
	if sn := idx.subnets[subnetID]; sn != nil {
		count(&sn.Leases)
	}
	if p := idx.pools[lease.PoolKey{SubnetID: subnetID, PoolID: poolID}]; p != nil {
		count(&p.Leases)
	}
}

// configure creates the statistics of cfg's subnets and pools with their
// total-addresses, removes those of subnets and pools cfg no longer has,
// applies the sample limits, and brings the lease counts up to date.
// Pools that share a pool-id share their statistics, as in Kea.
func (mt *metrics) configure(ctx context.Context, cfg *config.Config) {
	mt.mu.Lock()
	old := mt.idx.Load()
	idx := &statIndex{subnets: map[uint32]*stats.Subnet{}, pools: map[lease.PoolKey]*stats.Pool{}}
	for _, sn := range cfg.Subnets {
		var total uint64
		byPool := map[uint32]uint64{}
		var order []uint32
		for _, p := range sn.Pools {
			total += p.Size()
			if _, seen := byPool[p.ID]; !seen {
				order = append(order, p.ID)
			}
			byPool[p.ID] += p.Size()
		}
		idx.subnets[sn.ID] = mt.m.Subnet(sn.ID, int64(total))
		for _, pid := range order {
			k := lease.PoolKey{SubnetID: sn.ID, PoolID: pid}
			idx.pools[k] = mt.m.Pool(sn.ID, pid, int64(byPool[pid]))
		}
	}
	for id := range old.subnets {
		if idx.subnets[id] == nil {
			mt.m.RemoveSubnet(id)
		}
	}
	for k := range old.pools {
		if idx.pools[k] == nil && idx.subnets[k.SubnetID] != nil {
			mt.m.RemovePrefix(stats.PoolName(k.SubnetID, k.PoolID, ""))
		}
	}
	mt.idx.Store(idx)
	mt.m.ApplyDefaults(cfg.StatisticDefaultSampleCount, time.Duration(cfg.StatisticDefaultSampleAge)*time.Second)
	mt.mu.Unlock()
	mt.sync(ctx)
}

// addSockets makes sync count a DHCP server's socket counters.
func (mt *metrics) addSockets(ds *dhcpserver.Server) {
	mt.mu.Lock()
	defer mt.mu.Unlock()
	mt.libs[ds] = dhcpserver.Stats{}
}

// removeSockets counts what a DHCP server did since the last sync and
// forgets it; call it once the server is shut down.
func (mt *metrics) removeSockets(ds *dhcpserver.Server) {
	mt.mu.Lock()
	defer mt.mu.Unlock()
	mt.syncSockets(ds)
	delete(mt.libs, ds)
}

// sync adds what the DHCP sockets counted since the last call and sets
// the lease counts from the store.
func (mt *metrics) sync(ctx context.Context) {
	mt.mu.Lock()
	defer mt.mu.Unlock()
	for ds := range mt.libs {
		mt.syncSockets(ds)
	}
	// Each unseen message was counted by its socket before the handler
	// saw it, so the sockets' counts just added include it.
	if n := mt.unseen.Swap(0); n > 0 {
		mt.pk.Received.Add(-n)
	}
	counts, err := mt.store.Stats(ctx)
	if err != nil {
		mt.log.Warn("cannot read lease counts for statistics", "error", err)
		return
	}
	idx := mt.idx.Load()
	type pair struct{ assigned, declined int64 }
	var global pair
	bySubnet := make(map[uint32]pair, len(idx.subnets))
	for k, c := range counts {
		// As Kea counts them: a declined address is still assigned
		// (its lease exists) until its probation ends and it is
		// reclaimed; released and reclaimed leases are not.
		p := pair{int64(c.Default) + int64(c.Declined), int64(c.Declined)}
		global.assigned += p.assigned
		global.declined += p.declined
		s := bySubnet[k.SubnetID]
		s.assigned += p.assigned
		s.declined += p.declined
		bySubnet[k.SubnetID] = s
		if pl := idx.pools[k]; pl != nil {
			pl.AssignedAddresses.Set(p.assigned)
			pl.DeclinedAddresses.Set(p.declined)
		}
	}
	for k, pl := range idx.pools {
		if _, ok := counts[k]; !ok {
			pl.AssignedAddresses.Set(0)
			pl.DeclinedAddresses.Set(0)
		}
	}
	for id, sn := range idx.subnets {
		p := bySubnet[id]
		sn.AssignedAddresses.Set(p.assigned)
		sn.DeclinedAddresses.Set(p.declined)
	}
	mt.global.AssignedAddresses.Set(global.assigned)
	mt.global.DeclinedAddresses.Set(global.declined)
}

// syncSockets adds one DHCP server's counters since the last look. mt.mu
// is held.
func (mt *metrics) syncSockets(ds *dhcpserver.Server) {
	last := mt.libs[ds]
	cur := ds.Stats()
	delta := func(now, before uint64) int64 {
		if now < before {
			return 0
		}
		return int64(now - before)
	}
	mt.pk.Received.Add(delta(cur.Received, last.Received))
	if n := delta(cur.Malformed, last.Malformed); n > 0 {
		mt.pk.ParseFailed.Add(n)
		mt.pk.ReceiveDrop.Add(n)
	}
	if n := delta(cur.Dropped, last.Dropped); n > 0 {
		mt.pk.QueueFull.Add(n)
		mt.pk.ReceiveDrop.Add(n)
	}
	mt.libs[ds] = cur
}

// handler serves the statistics in the Prometheus text format, brought
// up to date first.
func (mt *metrics) handler() http.Handler {
	reg := prometheus.NewRegistry()
	reg.MustRegister(mt.m, storeCollector{mt.store})
	h := promhttp.HandlerFor(reg, promhttp.HandlerOpts{ErrorHandling: promhttp.ContinueOnError})
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mt.sync(r.Context())
		h.ServeHTTP(w, r)
	})
}
