package daemon

import (
	"context"
	"errors"
	"fmt"
	"net/netip"
	"sync"
	"time"

	"github.com/leased/leased/control"
	"github.com/leased/leased/ha"
	"github.com/leased/leased/lease"
)

// haLeases is what the HA service changes leases through: the engine,
// which keeps its allocators in step with the store (engine.Engine).
type haLeases interface {
	LeaseStore() lease.Store
	AddLease(ctx context.Context, l *lease.Lease) error
	UpdateLease(ctx context.Context, l *lease.Lease, create bool) (added bool, err error)
}

// haInFlight bounds the requests under way to one peer: as many as its
// client keeps idle keep-alive connections for (ha.NewClient), so that a
// burst of lease updates reuses them, and fewer than a leased partner
// admits from a configured peer's address (haPeerConns), with room for a
// heartbeat.
const haInFlight = ha.MaxUpdatesInFlight

// haPeerConns is how many control connections a peer's address is
// admitted (control.Options.MaxConnsPerPeer): the updates a peer keeps
// under way to this server, and what any other address is admitted
// besides, for its heartbeats, pages of leases and an operator's commands
// from the same host.
const haPeerConns = haInFlight + control.DefaultMaxConnsPerSource

// admitPeers lets the control listener of o admit haPeerConns
// connections from each peer's address; a nil set changes nothing.
func (hs *haSet) admitPeers(o *control.Options) {
	if hs != nil {
		o.Peers, o.MaxConnsPerPeer = hs.peerAddrs(), haPeerConns
	}
}

// peerAddrs are the addresses of every peer of every relationship but
// this server, as their URLs name them.
func (hs *haSet) peerAddrs() []netip.Addr {
	var addrs []netip.Addr
	for _, s := range hs.all {
		for _, p := range s.rel.Peers {
			if p.Name != s.rel.ThisServerName {
				addrs = append(addrs, p.Addr.Addr())
			}
		}
	}
	return addrs
}

// syncWorkers bounds the leases of one page applied at once: each is a
// durable write, and writes made together share one flush of the lease
// journal (group commit).
const syncWorkers = 16

// stepEvery is how often the driver runs the state machine's handler
// when nothing else happens, so that max-response-delay and the end of a
// partner's dhcp-disable are noticed: at least every second, and as
// often as heartbeats go out.
func stepEvery(rel *ha.Relationship) time.Duration {
	d := time.Second
	if rel.HeartbeatDelay > 0 && rel.HeartbeatDelay < d {
		d = rel.HeartbeatDelay
	}
	return max(d, 10*time.Millisecond)
}

// start connects the service to the lease engine and starts the driver:
// heartbeats to the partner, the state machine's timer, and its tasks
// (sync, backlog, ha-reset). stop ends it.
func (s *haService) start(leases haLeases) error {
	s.leases = leases
	s.clients = make(map[string]*ha.Client)
	s.slots = make(map[string]chan struct{})
	for _, p := range s.rel.Peers {
		if p.Name == s.rel.ThisServerName {
			continue
		}
		c, err := ha.NewClient(p, s.d)
		if err != nil {
			s.closeClients()
			return fmt.Errorf("high-availability: %w", err)
		}
		s.clients[p.Name] = c
		s.slots[p.Name] = make(chan struct{}, haInFlight)
	}
	ctx, cancel := context.WithCancel(context.Background())
	s.ctx, s.cancel = ctx, cancel
	s.wake = make(chan struct{}, 1)
	s.spawn(func() { s.drive(ctx) })
	return nil
}

// spawn runs fn in a goroutine that stop waits for, and reports false
// (not running fn) once stop has begun.
func (s *haService) spawn(fn func()) bool {
	s.life.Lock()
	defer s.life.Unlock()
	if s.stopped {
		return false
	}
	s.wg.Add(1)
	go func() {
		defer s.wg.Done()
		fn()
	}()
	return true
}

// stop ends the driver and every exchange under way, and waits for them:
// lease updates still unanswered withhold their replies.
func (s *haService) stop() {
	if s.cancel == nil {
		return
	}
	s.life.Lock()
	s.stopped = true
	s.life.Unlock()
	s.cancel()
	s.wg.Wait()
	s.closeClients()
}

func (s *haService) closeClients() {
	for _, c := range s.clients {
		c.Close()
	}
}

// poke makes the driver look at the machine again (a task may be due).
func (s *haService) poke() {
	select {
	case s.wake <- struct{}{}:
	default:
	}
}

// partnerClient is the client of the failover partner, nil without one.
func (s *haService) partnerClient() *ha.Client {
	if p := s.rel.Partner(); p != nil {
		return s.clients[p.Name]
	}
	return nil
}

// drive is the driver goroutine. Heartbeats go out one at a time, the
// next heartbeat-delay after the previous answer (as Kea re-arms its
// timer); the handler runs on a timer besides; a task the machine asks
// for runs in its own goroutine, one at a time, and reports back.
func (s *haService) drive(ctx context.Context) {
	var work sync.WaitGroup
	defer work.Wait()
	step := time.NewTicker(stepEvery(s.rel))
	defer step.Stop()
	hbTimer := time.NewTimer(0)
	defer hbTimer.Stop()
	type answer struct {
		hb    ha.Heartbeat
		epoch uint64 // s.epoch when the heartbeat went out
	}
	hbDone := make(chan answer, 1)
	taskDone := make(chan struct{}, 1)
	taskBusy := false
	for {
		select {
		case <-ctx.Done():
			return
		case <-hbTimer.C:
			s.mu.Lock()
			due, epoch := s.m.ShouldHeartbeat(), s.epoch
			s.mu.Unlock()
			c := s.partnerClient()
			if !due || c == nil {
				hbTimer.Reset(max(s.rel.HeartbeatDelay, stepEvery(s.rel)))
				break
			}
			work.Add(1)
			go func() {
				defer work.Done()
				hb, err := c.Heartbeat(ctx, s.rel.ThisServerName)
				if err != nil {
					if ctx.Err() != nil {
						return
					}
					s.log.Warn("high availability: heartbeat failed", "peer", c.Peer().Name, "error", err)
				} else {
					hb.OK = true
				}
				hbDone <- answer{hb, epoch}
			}()
		case a := <-hbDone:
			s.do(func(now time.Time) control.Response {
				if a.epoch == s.epoch {
					s.m.HeartbeatDone(now, a.hb)
				}
				return control.Response{}
			})
			hbTimer.Reset(s.rel.HeartbeatDelay)
		case <-step.C:
			s.step()
		case <-s.wake:
		case <-taskDone:
			taskBusy = false
		}
		if !taskBusy {
			if task := s.pending(); task != ha.TaskNone {
				taskBusy = true
				work.Add(1)
				go func() {
					defer work.Done()
					s.runTask(ctx, task)
					taskDone <- struct{}{}
				}()
			}
		}
	}
}

// pending returns the machine's task, if any.
func (s *haService) pending() ha.Task {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.m.Pending()
}

// runTask carries out one task of the machine and reports its outcome.
func (s *haService) runTask(ctx context.Context, task ha.Task) {
	c := s.partnerClient()
	switch task {
	case ha.TaskSync:
		err := s.syncLeases(ctx, c, s.rel.SyncTimeout)
		if ctx.Err() != nil {
			return
		}
		if err != nil {
			s.log.Error("high availability: lease sync failed", "peer", c.Peer().Name, "error", err)
		}
		s.do(func(now time.Time) control.Response {
			if err != nil {
				s.m.ExchangeFailed(now)
			}
			s.m.SyncDone(now, err == nil)
			return control.Response{}
		})
	case ha.TaskFlushBacklog:
		err := s.flushBacklog(ctx, c)
		if ctx.Err() != nil || err == nil {
			return
		}
		s.log.Error("high availability: sending the queued lease updates failed", "peer", c.Peer().Name, "error", err)
		s.do(func(now time.Time) control.Response {
			s.m.BacklogFlushed(now, false)
			return control.Response{}
		})
	case ha.TaskSendReset:
		_, err := c.Reset(ctx, s.rel.ThisServerName)
		if ctx.Err() != nil {
			return
		}
		if err != nil {
			s.log.Error("high availability: ha-reset failed", "peer", c.Peer().Name, "error", err)
		}
		s.do(func(now time.Time) control.Response {
			s.m.ResetSent(now, err == nil)
			return control.Response{}
		})
	}
}

// remoteOrigin is the network-state origin of this server's commands to
// its partner (Kea 3.x numbers relationships from 1).
func (s *haService) remoteOrigin() int { return ha.RemoteOrigin(s.idx + 1) }

// syncLeases fetches every lease of peer c into the local store as Kea's
// HA sync does: before each page a dhcp-disable (max-period from
// maxPeriod) holds the peer's service off, the page comes with
// sync-page-limit leases at most within sync-timeout, and each lease is
// added when the address has none here and replaces the local one when
// that is older (its cltt); a page shorter than the limit is the last.
// Then ha-sync-complete-notify (or dhcp-enable, for a peer that does not
// know it) lets the peer serve again; a failure after a disable sends
// dhcp-enable. Only one sync runs at a time.
func (s *haService) syncLeases(ctx context.Context, c *ha.Client, maxPeriod time.Duration) error {
	s.syncMu.Lock()
	defer s.syncMu.Unlock()
	origin := s.remoteOrigin()
	disabled := false
	fail := func(err error) error {
		if disabled {
			if _, e := c.EnableDHCP(ctx, origin); e != nil {
				err = fmt.Errorf("%w; and re-enabling its service: %v", err, e)
			}
		}
		return err
	}
	var from netip.Addr
	total := 0
	for page := 1; ; page++ {
		if _, err := c.DisableDHCP(ctx, maxPeriod, origin); err != nil {
			return fail(err)
		}
		disabled = true
		leases, skipped, err := c.GetPage(ctx, from, s.rel.SyncPageLimit, s.rel.SyncTimeout)
		if err != nil {
			return fail(fmt.Errorf("page %d: %w", page, err))
		}
		for _, e := range skipped {
			s.log.Warn("high availability: a lease of the partner's page does not parse; skipped", "peer", c.Peer().Name, "page", page, "error", e)
		}
		if err := s.applyPage(ctx, leases); err != nil {
			return fail(fmt.Errorf("page %d: %w", page, err))
		}
		total += len(leases)
		if uint64(len(leases)+len(skipped)) < uint64(s.rel.SyncPageLimit) {
			break
		}
		if len(leases) == 0 {
			return fail(fmt.Errorf("page %d: not one of its %d leases parses, so the next page cannot be asked for", page, len(skipped)))
		}
		from = leases[len(leases)-1].Addr
	}
	if _, err := c.SyncComplete(ctx, s.rel.ThisServerName, origin); err != nil {
		return fmt.Errorf("after fetching %d leases: %w", total, err)
	}
	s.log.Info("high availability: leases synced", "peer", c.Peer().Name, "leases", total)
	return nil
}

// applyPage applies a page of the partner's leases, several at a time.
func (s *haService) applyPage(ctx context.Context, leases []lease.Lease) error {
	var (
		wg    sync.WaitGroup
		mu    sync.Mutex
		first error
	)
	work := make(chan *lease.Lease)
	for range min(syncWorkers, len(leases)) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for l := range work {
				if err := s.applyLease(ctx, l); err != nil {
					mu.Lock()
					if first == nil {
						first = err
					}
					mu.Unlock()
				}
			}
		}()
	}
	for i := range leases {
		if s.owns != nil && !s.owns(leases[i].SubnetID) {
			// Another relationship's lease (Kea 3.x's sync filter).
			continue
		}
		work <- &leases[i]
	}
	close(work)
	wg.Wait()
	return first
}

// applyLease is Kea's rule for one synced lease: add it when the address
// has no lease here, replace the local lease when that is older, else
// keep the local one.
func (s *haService) applyLease(ctx context.Context, l *lease.Lease) error {
	var cur lease.Lease
	ok, err := s.leases.LeaseStore().Get(ctx, l.Addr, &cur)
	if err != nil {
		return fmt.Errorf("%v: reading the local lease: %w", l.Addr, err)
	}
	switch {
	case !ok:
		err = s.leases.AddLease(ctx, l)
		if errors.Is(err, lease.ErrExists) {
			return s.applyLease(ctx, l) // a client took it meanwhile: compare again
		}
	case cur.CLTT < l.CLTT:
		_, err = s.leases.UpdateLease(ctx, l, true)
	}
	if err != nil {
		return fmt.Errorf("%v: %w", l.Addr, err)
	}
	return nil
}

// flushBacklog sends the queued lease updates to the partner, in order,
// as Kea does on leaving communication-recovery, until none is left:
// clients are served meanwhile and queue theirs behind, so the machine
// is told the flush succeeded (and leaves the state, which drops the
// backlog) under the same lock in which the backlog was found empty.
// A failure is left to the caller to report.
func (s *haService) flushBacklog(ctx context.Context, c *ha.Client) error {
	sent := 0
	for {
		now := s.now()
		s.mu.Lock()
		queued := s.backlog
		if len(queued) == 0 {
			s.m.BacklogFlushed(now, true)
			s.sync(now)
			s.mu.Unlock()
			return nil
		}
		s.mu.Unlock()
		if err := s.sendQueued(ctx, c, queued, sent); err != nil {
			return err
		}
		sent += len(queued)
		s.mu.Lock()
		// Unless the machine left the state meanwhile (and the backlog
		// went with it), what was sent is still the backlog's head.
		if len(s.backlog) >= len(queued) && s.backlog[0] == queued[0] {
			s.backlog = s.backlog[len(queued):]
		}
		s.mu.Unlock()
	}
}

// sendQueued sends queued (the backlog's head; sent were sent before
// it) to c, in order, stopping at the first failure: in bulk requests
// while the peer takes them (ha.CmdLeaseBulkApply, in pieces that keep
// the order, see changeChunks), else one lease a request, as Kea sends
// its backlog.
func (s *haService) sendQueued(ctx context.Context, c *ha.Client, queued []haChange, sent int) error {
	for _, chunk := range changeChunks(queued) {
		if c.Bulk() {
			err := s.sendChangesBulk(ctx, c, chunk.changes)
			if err == nil {
				continue
			}
			if !errors.Is(err, ha.ErrUnsupported) {
				return fmt.Errorf("queued updates %d to %d: %w", sent+chunk.first+1, sent+chunk.first+len(chunk.changes), err)
			}
		}
		for i, ch := range chunk.changes {
			if err := s.sendChange(ctx, c, ch); err != nil {
				return fmt.Errorf("queued update %d (%v): %w", sent+chunk.first+i+1, changeAddr(ch), err)
			}
		}
	}
	return nil
}

// changeChunk is a run of queued changes that go in one bulk request,
// first its place in the queue.
type changeChunk struct {
	first   int
	changes []haChange
}

// changeChunks splits changes, in order, into runs in which no address
// appears twice (a bulk request applies its deletes first and names its
// failures by address) and of at most ha.MaxBulkLeases changes.
func changeChunks(changes []haChange) []changeChunk {
	var chunks []changeChunk
	seen := map[netip.Addr]bool{}
	start := 0
	for i, ch := range changes {
		if i > start && (seen[ch.l.Addr] || i-start == ha.MaxBulkLeases) {
			chunks = append(chunks, changeChunk{start, changes[start:i]})
			start = i
			clear(seen)
		}
		seen[ch.l.Addr] = true
	}
	if start < len(changes) {
		chunks = append(chunks, changeChunk{start, changes[start:]})
	}
	return chunks
}

// sendChangesBulk sends changes to c in one ha.CmdLeaseBulkApply, within
// the peer's bound of requests under way; a change the peer did not
// apply fails it.
func (s *haService) sendChangesBulk(ctx context.Context, c *ha.Client, changes []haChange) error {
	slot := s.slots[c.Peer().Name]
	if err := s.takeSlot(ctx, slot); err != nil {
		return fmt.Errorf("none of the %d requests under way to %s ended: %w", cap(slot), c.Peer().Name, err)
	}
	defer func() { <-slot }()
	var dels, ups []*lease.Lease
	for _, ch := range changes {
		if ch.del {
			dels = append(dels, ch.l)
		} else {
			ups = append(ups, ch.l)
		}
	}
	res, err := c.ApplyLeases(ctx, dels, ups)
	if err != nil {
		return err
	}
	for _, ch := range changes {
		if err := res.Err(ch.del, ch.l.Addr); err != nil {
			return err
		}
	}
	return nil
}

// haChange is one lease change for a peer: del sends lease4-del of l,
// else lease4-update.
type haChange struct {
	del bool
	l   *lease.Lease
}

func changeAddr(ch haChange) netip.Addr { return ch.l.Addr }

// sendChange sends one change to peer c, within the peer's bound of
// requests under way. The wait for a free slot is bounded as the request
// is (ha.DefaultRequestTimeout): behind a partner that stopped answering,
// the updates queued for it fail as their requests would, instead of
// holding their clients' replies, and going out minutes later, stale,
// once it is back.
func (s *haService) sendChange(ctx context.Context, c *ha.Client, ch haChange) error {
	slot := s.slots[c.Peer().Name]
	if err := s.takeSlot(ctx, slot); err != nil {
		return fmt.Errorf("lease update of %v: none of the %d requests under way to %s ended: %w", changeAddr(ch), cap(slot), c.Peer().Name, err)
	}
	defer func() { <-slot }()
	var err error
	if ch.del {
		_, err = c.DeleteLease(ctx, ch.l)
	} else {
		_, err = c.UpdateLease(ctx, ch.l)
	}
	return err
}

// takeSlot takes a place in slot, waiting at most s.slotWait.
func (s *haService) takeSlot(ctx context.Context, slot chan struct{}) error {
	select {
	case slot <- struct{}{}:
		return nil
	default:
	}
	wait := s.slotWait
	if wait <= 0 {
		wait = ha.DefaultRequestTimeout
	}
	timer := time.NewTimer(wait)
	defer timer.Stop()
	select {
	case slot <- struct{}{}:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	case <-timer.C:
		return fmt.Errorf("waited %v", wait)
	}
}
