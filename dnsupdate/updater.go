package dnsupdate

import (
	"context"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"github.com/miekg/dns"

	"github.com/leased/leased/config"
	"github.com/leased/leased/control"
	"github.com/leased/leased/ddns/ncr"
)

// ErrQueueFull is returned, wrapped, by Send for requests that found the
// queue full; they are dropped, as kea-dhcp-ddns drops them.
var ErrQueueFull = errors.New("DNS update queue is full")

// fullLogEvery is how often at most Send logs that the queue is full.
const fullLogEvery = time.Second

// ErrNoDomain wraps the refusal of a request whose name or address
// matches none of the configured domains of a direction it asks for;
// kea-dhcp-ddns drops such a request whole.
var ErrNoDomain = errors.New("no DNS domain matches")

// Options tune an Updater. The zero value is ready to use.
type Options struct {
	// MaxQueueSize bounds the requests waiting (default 1024, Kea's).
	MaxQueueSize int
	// Transactions bounds the transactions run at once (default 1024);
	// requests for one DHCID run one at a time whatever it is. Kea runs
	// at most 32, each sending its own messages; leased merges the
	// steps of the transactions running into few messages, one in
	// flight per server and zone at a time (batch.go), so that more
	// transactions at once make larger messages, not more of them:
	// with a backlog, hundreds of names in one UPDATE, which costs the
	// DNS server little more than one.
	Transactions int
	// RetryMin and RetryMax bound the wait before a request no DNS
	// server answered is tried again, doubling from RetryMin (default
	// 1 s) to RetryMax (default 1 minute). kea-dhcp-ddns gives such a
	// request up; leased keeps it until a server answers.
	RetryMin, RetryMax time.Duration
	// Journal, when set, records the requests not finished, so that
	// they are done after a restart; New's pending are those it held.
	Journal *ncr.Journal
	// Done, when set, is called after each request has finished: err
	// is nil when DNS holds what it asked for.
	Done   func(r ncr.Request, err error)
	Logger *slog.Logger
}

// Stats are an Updater's counts so far, named after kea-dhcp-ddns's
// statistics where it has them.
type Stats struct {
	Received  uint64 // requests accepted into the queue
	Dropped   uint64 // refused: queue full, or no domain matched
	Completed uint64 // transactions that left DNS as asked
	Failed    uint64 // transactions refused by DNS or given up
	Retried   uint64 // transactions no server answered, queued again
	Pending   int    // waiting or running now
	Running   int    // running now

	UpdateSent     uint64 // update-sent: UPDATE messages sent
	UpdateSigned   uint64 // update-signed
	UpdateUnsigned uint64 // update-unsigned
	UpdateSuccess  uint64 // update-success: answers received and verified, whatever their rcode
	UpdateTimeout  uint64 // update-timeout: attempts no answer came to
	UpdateError    uint64 // update-error: answers that did not decode or verify
	Batched        uint64 // steps sent merged with others in one UPDATE (batch.go)
	SentTCP        uint64 // UPDATE messages sent over TCP: merged, too large for UDP
}

type counters struct {
	received, dropped, completed, failed, retried     atomic.Uint64
	sent, signed, unsigned, success, timeouts, errors atomic.Uint64
	batched, tcp                                      atomic.Uint64
}

// item is one queued request.
type item struct {
	r   ncr.Request
	seq uint64 // in the journal; 0 without one
	// id is the DHCID in hex: requests with the same one run in order,
	// one at a time.
	id        string
	notBefore time.Time
	tries     int
}

// An Updater performs the DNS updates NameChangeRequests ask for, as
// kea-dhcp-ddns does: a bounded queue, up to Transactions at once, one
// per DHCID at a time in the order received.
type Updater struct {
	// plan is the configuration in force; Reconfigure replaces it, and
	// each transaction matches its domains with the plan of its start.
	plan atomic.Pointer[plan]
	opts Options
	log  *slog.Logger

	mu      sync.Mutex
	wake    chan struct{} // a request arrived or a DHCID became free
	queue   []*item
	running map[string]*item
	journal map[uint64]bool // sequence numbers not finished
	// unfinished holds the sequence numbers given, in increasing order,
	// from the oldest not finished on (finished ones are dropped from
	// its head only): its head is the journal's watermark at once,
	// where scanning journal took as long as the requests pending.
	unfinished []uint64
	// lastSeq is the highest sequence number given to a request in the
	// journal: once none is unfinished, every request up to it is.
	lastSeq uint64
	stats   counters
	// fullLogged is when a full queue was last logged; fullDrops counts
	// the requests it dropped since.
	fullLogged time.Time
	fullDrops  uint64

	// bufs holds answer buffers (*[]byte of dns.MaxMsgSize) for the
	// attempts to reuse: one allocated per attempt was most of the
	// updater's garbage under load.
	bufs sync.Pool
	// batch merges the steps waiting for one server and zone.
	batch batcher
}

// New returns an Updater for the DhcpDdns section c; pending are
// requests to do first (from Options.Journal). It does nothing until
// Run is called.
func New(c *config.DhcpDdns, pending []ncr.Request, o Options) (*Updater, error) {
	p, err := compile(c)
	if err != nil {
		return nil, fmt.Errorf("DhcpDdns: %w", err)
	}
	if o.MaxQueueSize <= 0 {
		o.MaxQueueSize = 1024
	}
	if o.Transactions <= 0 {
		o.Transactions = 1024
	}
	if o.RetryMin <= 0 {
		o.RetryMin = time.Second
	}
	if o.RetryMax < o.RetryMin {
		o.RetryMax = max(time.Minute, o.RetryMin)
	}
	u := &Updater{opts: o, log: o.Logger, wake: make(chan struct{}, 1),
		running: map[string]*item{}, journal: map[uint64]bool{}}
	u.plan.Store(p)
	if u.log == nil {
		u.log = slog.New(slog.DiscardHandler)
	}
	for i, r := range pending {
		it, err := u.prepare(r)
		if err != nil {
			u.log.Warn("DNS update from the journal dropped", "request", r.String(), "err", err)
			u.stats.dropped.Add(1)
			continue
		}
		if o.Journal != nil {
			it.seq = uint64(i + 1)
			u.journal[it.seq] = true
			u.unfinished = append(u.unfinished, it.seq)
		}
		u.queue = append(u.queue, it)
	}
	if o.Journal != nil {
		// The journal numbers pending from 1; those dropped here are
		// done.
		u.lastSeq = uint64(len(pending))
	}
	u.settle()
	return u, nil
}

// prepare checks r and finds its domains in the configuration in force.
func (u *Updater) prepare(r ncr.Request) (*item, error) {
	if err := r.Validate(); err != nil {
		return nil, err
	}
	if _, err := u.plan.Load().domainsOf(&r); err != nil {
		return nil, err
	}
	return &item{r: r, id: hex.EncodeToString(r.DHCID)}, nil
}

// domainsOf finds r's domains as kea-dhcp-ddns does when it starts a
// transaction: a direction asked for whose configured domains do not
// match refuses the whole request; a direction without any domain
// configured is left out silently.
func (p *plan) domainsOf(r *ncr.Request) (ds [2]*domain, err error) {
	if r.Forward && len(p.forward) > 0 {
		if ds[fwd] = match(p.forward, r.FQDN); ds[fwd] == nil {
			return ds, fmt.Errorf("%w: %s is in none of the forward-ddns domains", ErrNoDomain, r.FQDN)
		}
	}
	if r.Reverse && len(p.reverse) > 0 {
		name, err := dns.ReverseAddr(r.Addr.String())
		if err != nil {
			return ds, fmt.Errorf("%s: %w", r.Addr, err)
		}
		if ds[rev] = match(p.reverse, name); ds[rev] == nil {
			return ds, fmt.Errorf("%w: %s (%s) is in none of the reverse-ddns domains", ErrNoDomain, name, r.Addr)
		}
	}
	if ds[fwd] == nil && ds[rev] == nil {
		return ds, fmt.Errorf("%w: %s: no forward-ddns or reverse-ddns domains configured for what it asks", ErrNoDomain, r.String())
	}
	return ds, nil
}

// Reconfigure puts a new DhcpDdns section in force: transactions that
// start from now on use its domains, servers, keys and timeout; those
// running finish with the old. On error nothing changes.
func (u *Updater) Reconfigure(c *config.DhcpDdns) error {
	p, err := compile(c)
	if err != nil {
		return fmt.Errorf("DhcpDdns: %w", err)
	}
	u.plan.Store(p)
	return nil
}

// Send queues reqs. Requests that are not valid, match no domain or find
// the queue full are dropped and counted; Send returns the first such
// error. With a journal, the queued requests are recorded in it first.
func (u *Updater) Send(reqs ...ncr.Request) error {
	if len(reqs) == 0 {
		return nil
	}
	u.mu.Lock()
	if len(u.queue) >= u.opts.MaxQueueSize {
		// Full: dropped before any work is done for them (while DNS
		// is slower than DHCP, most requests end here).
		err := u.dropFull(len(reqs), reqs[0].FQDN)
		u.mu.Unlock()
		return err
	}
	u.mu.Unlock()
	var first error
	items := make([]*item, 0, len(reqs))
	for _, r := range reqs {
		it, err := u.prepare(r)
		if err != nil {
			u.stats.dropped.Add(1)
			u.log.Warn("DNS update request dropped", "request", r.String(), "err", err)
			first = firstErr(first, err)
			continue
		}
		items = append(items, it)
	}
	u.mu.Lock()
	room := max(u.opts.MaxQueueSize-len(u.queue), 0)
	if len(items) > room {
		first = firstErr(first, u.dropFull(len(items)-room, items[room].r.FQDN))
		items = items[:room]
	}
	if u.opts.Journal != nil && len(items) > 0 {
		rs := make([]ncr.Request, len(items))
		for i, it := range items {
			rs[i] = it.r
		}
		// Under u.mu, so that the journal's order is the queue's.
		if last, err := u.opts.Journal.Append(rs); err != nil {
			u.log.Error("DNS update requests not recorded; they are done but would not be after a restart", "err", err)
		} else {
			for i, it := range items {
				it.seq = last - uint64(len(items)-1-i)
				u.journal[it.seq] = true
				u.unfinished = append(u.unfinished, it.seq)
			}
			u.lastSeq = last
		}
	}
	u.queue = append(u.queue, items...)
	u.stats.received.Add(uint64(len(items)))
	u.mu.Unlock()
	u.settle()
	return first
}

// dropFull drops n requests, the first for fqdn, that found the queue
// full, and returns the error saying so. The caller holds mu.
func (u *Updater) dropFull(n int, fqdn string) error {
	u.stats.dropped.Add(uint64(n))
	err := fmt.Errorf("%w (max-queue-size %d): %d request(s) dropped, the first for %s", ErrQueueFull, u.opts.MaxQueueSize, n, fqdn)
	// Send is on the DHCP reply path, and while DNS is slower than DHCP
	// every Send finds the queue full: one line a second says so, with
	// the drops since the last (Stats counts each).
	u.fullDrops += uint64(n)
	if now := time.Now(); now.Sub(u.fullLogged) >= fullLogEvery {
		u.log.Warn("DNS update requests dropped", "err", err, "dropped-since-last-report", u.fullDrops)
		u.fullLogged, u.fullDrops = now, 0
	}
	return err
}

func firstErr(first, err error) error {
	if first != nil {
		return first
	}
	return err
}

// settle wakes a worker.
func (u *Updater) settle() {
	select {
	case u.wake <- struct{}{}:
	default:
	}
}

// next takes the first queued request whose DHCID has no transaction
// running, no earlier request waiting, and whose retry time has come.
// It returns nil and the time to look again (zero: when woken).
func (u *Updater) next(now time.Time) (*item, time.Time) {
	u.mu.Lock()
	defer u.mu.Unlock()
	if len(u.running) >= u.opts.Transactions {
		return nil, time.Time{}
	}
	var blocked map[string]bool
	var soonest time.Time
	for i, it := range u.queue {
		if u.running[it.id] != nil || blocked[it.id] {
			continue
		}
		if it.notBefore.After(now) {
			if blocked == nil {
				blocked = map[string]bool{}
			}
			blocked[it.id] = true
			if soonest.IsZero() || it.notBefore.Before(soonest) {
				soonest = it.notBefore
			}
			continue
		}
		u.queue = slices.Delete(u.queue, i, i+1)
		u.running[it.id] = it
		return it, time.Time{}
	}
	return nil, soonest
}

// Run performs the queued updates until ctx is done. Requests queued or
// running then are left: with a journal they are done after a restart.
func (u *Updater) Run(ctx context.Context) {
	var wg sync.WaitGroup
	defer wg.Wait()
	timer := time.NewTimer(time.Hour)
	defer timer.Stop()
	for {
		it, retryAt := u.next(time.Now())
		if it != nil {
			wg.Add(1)
			go func() {
				defer wg.Done()
				u.do(ctx, it)
			}()
			continue
		}
		var tick <-chan time.Time
		if !retryAt.IsZero() {
			timer.Reset(time.Until(retryAt))
			tick = timer.C
		}
		select {
		case <-ctx.Done():
			return
		case <-u.wake:
		case <-tick:
		}
		if !timer.Stop() {
			select {
			case <-timer.C:
			default:
			}
		}
	}
}

// do runs one transaction and settles its request.
func (u *Updater) do(ctx context.Context, it *item) {
	p := u.plan.Load()
	t := &txn{u: u, r: &it.r, fqdn: canonical(it.r.FQDN), timeout: p.timeout}
	var err error
	// The configuration may have changed since the request was queued.
	if t.domains, err = p.domainsOf(&it.r); err == nil {
		if t.domains[rev] != nil {
			t.rname, _ = dns.ReverseAddr(it.r.Addr.String())
		}
		err = t.run(ctx)
	}
	if ctx.Err() != nil {
		// Stopped: the request stays in the journal for the next start.
		u.mu.Lock()
		delete(u.running, it.id)
		u.mu.Unlock()
		return
	}
	u.mu.Lock()
	delete(u.running, it.id)
	if errors.Is(err, errNoAnswer) {
		// No server answered: the request waits at the head of its
		// DHCID's line and is tried again.
		it.tries++
		wait := min(u.opts.RetryMin<<min(it.tries-1, 20), u.opts.RetryMax)
		it.notBefore = time.Now().Add(wait)
		u.queue = slices.Insert(u.queue, 0, it)
		u.mu.Unlock()
		u.stats.retried.Add(1)
		u.log.Warn("DNS update not answered; tried again later", "request", it.r.String(), "in", wait, "err", err)
		u.settle()
		return
	}
	// The journal's watermark: everything before the oldest request
	// still unfinished, or everything when none is. Requests of other
	// DHCIDs finish out of order, so it.seq alone says nothing.
	var done uint64
	if it.seq != 0 {
		delete(u.journal, it.seq)
		n := 0
		for n < len(u.unfinished) && !u.journal[u.unfinished[n]] {
			n++
		}
		if n > 0 {
			// Only when the oldest finished: otherwise the watermark
			// has not moved.
			u.unfinished = u.unfinished[n:]
			done = u.lastSeq
			if len(u.unfinished) > 0 {
				done = u.unfinished[0] - 1
			}
		}
	}
	u.mu.Unlock()
	u.settle()
	if done != 0 {
		if jerr := u.opts.Journal.Done(done); jerr != nil {
			u.log.Error("DNS update journal", "err", jerr)
		}
	}
	if err != nil {
		u.stats.failed.Add(1)
		u.log.Error("DNS update failed", "request", it.r.String(), "err", err)
	} else {
		u.stats.completed.Add(1)
		u.log.Info("DNS updated", "request", it.r.String())
	}
	if u.opts.Done != nil {
		u.opts.Done(it.r, err)
	}
}

// Stats returns the counts so far.
func (u *Updater) Stats() Stats {
	u.mu.Lock()
	pending, running := len(u.queue)+len(u.running), len(u.running)
	u.mu.Unlock()
	c := &u.stats
	return Stats{
		Received: c.received.Load(), Dropped: c.dropped.Load(), Completed: c.completed.Load(),
		Failed: c.failed.Load(), Retried: c.retried.Load(), Pending: pending, Running: running,
		UpdateSent: c.sent.Load(), UpdateSigned: c.signed.Load(), UpdateUnsigned: c.unsigned.Load(),
		UpdateSuccess: c.success.Load(), UpdateTimeout: c.timeouts.Load(), UpdateError: c.errors.Load(),
		Batched: c.batched.Load(), SentTCP: c.tcp.Load(),
	}
}

// Queued is one request waiting or running, for `leased ctl`.
type Queued struct {
	Request ncr.Request
	Running bool
	// Tries counts the attempts no server answered.
	Tries     int
	NotBefore time.Time
}

// MarshalJSON writes q as ddns-queue-get shows it: the request as Kea's
// JSON, whether it runs, the tries no server answered, and when the
// next try is due.
func (q Queued) MarshalJSON() ([]byte, error) {
	req, err := q.Request.AppendJSON(nil)
	if err != nil {
		return nil, err
	}
	v := struct {
		Request json.RawMessage `json:"request"`
		Running bool            `json:"running"`
		Tries   int             `json:"unanswered-tries"`
		Next    string          `json:"next-try,omitempty"`
	}{Request: req, Running: q.Running, Tries: q.Tries}
	if !q.NotBefore.IsZero() {
		v.Next = q.NotBefore.UTC().Format(time.RFC3339)
	}
	return json.Marshal(v)
}

// QueueAnswer is the answer to ddns-queue-get listing q: result 0 with
// the requests, or 3 (empty) when there are none.
func QueueAnswer(q []Queued) control.Response {
	args := map[string]any{"requests": q}
	if len(q) == 0 {
		return control.Answer(control.Empty, "no DNS updates pending", args)
	}
	return control.Answer(control.Success, fmt.Sprintf("%d DNS update(s) pending", len(q)), args)
}

// Queue lists the requests running, then those waiting in order.
func (u *Updater) Queue() []Queued {
	u.mu.Lock()
	defer u.mu.Unlock()
	out := make([]Queued, 0, len(u.running)+len(u.queue))
	for _, it := range u.running {
		out = append(out, Queued{Request: it.r, Running: true, Tries: it.tries})
	}
	for _, it := range u.queue {
		out = append(out, Queued{Request: it.r, Tries: it.tries, NotBefore: it.notBefore})
	}
	return out
}
