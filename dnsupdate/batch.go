package dnsupdate

import (
	"context"
	"net/netip"
	"strings"
	"sync"
	"time"

	"github.com/miekg/dns"
)

// Batching. A DNS server spends most of an UPDATE's cost on the message,
// not on its records: TSIG, the zone's lock, its journal (written and
// synced to disk) and a new SOA serial for each. While steps for one
// server and zone wait for a message in flight, they are merged into one
// UPDATE: the prerequisites of all in its prerequisite section, their
// updates in its update section. RFC 2136 checks every prerequisite
// before it applies any update, and applies all of a message or none, so
// a merged message that succeeds did exactly what each step alone would
// have done, as long as no two steps name the same owner name: steps
// that do wait for the next message. A merged message the server
// answers with any rcode but NOERROR changed nothing; its steps are then
// sent again in two halves, each merged, and so on down to a few steps
// each, which go alone to learn their own answers: one step that fails
// among hundreds costs a few more messages, not hundreds. A merged
// message that gets no usable answer counts as a failed try of each of
// its steps, which are tried again (merged again) as any step is.
//
// Merged messages that fit in 1,100 bytes go over UDP, as single steps
// do; larger ones (many steps wait when the server is busy) go over TCP,
// up to 512 steps and 60,000 bytes, so that the server pays one
// message's cost for hundreds of names. A server whose TCP fails gets
// only UDP-sized messages for a minute.

const (
	// laneInFlight bounds the messages in flight at once for one server
	// and zone. One: the server applies a zone's updates one after the
	// other anyway, and the steps that wait meanwhile make the next
	// message larger (at 1,000 names a second, 18.8 steps a message
	// instead of 10.8 with two in flight, and about a fifth less CPU per
	// name in named and in leased: bench/RESULTS.md).
	laneInFlight = 1
	// batchMaxSteps and batchMaxBytes bound a merged message sent over
	// UDP (its names compressed); the size keeps it under the usual
	// 1,232-byte UDP payload with room for the TSIG record.
	batchMaxSteps = 32
	batchMaxBytes = 1100
	// tcpMaxSteps and tcpMaxBytes bound a merged message sent over TCP,
	// below the 65,535 bytes of a DNS message with room for the TSIG
	// record.
	tcpMaxSteps = 512
	tcpMaxBytes = 60000
	// aloneBelow is the size of a failed merged message's part whose
	// steps are sent alone rather than halved again.
	aloneBelow = 4
	// noTCPFor is how long a server whose TCP failed gets UDP only.
	noTCPFor = time.Minute
)

type laneKey struct {
	addr netip.AddrPort
	zone string
}

// lane holds the steps waiting to go to one server for one zone.
type lane struct {
	waiting []*batchStep
	running int // messages in flight
}

// batchStep is one step waiting in a lane, and its outcome.
type batchStep struct {
	m     *dns.Msg
	names []string // owner names of its records, lower case
	// size is what its records add to a message, uncompressed: at
	// least what they add compressed.
	size int
	done chan batchResult
}

type batchResult struct {
	rc  int
	err error
}

// batcher merges the steps of concurrent transactions; its zero value is
// ready.
type batcher struct {
	mu    sync.Mutex
	lanes map[laneKey]*lane
	// noTCP holds the servers whose TCP failed, until when they get
	// UDP-sized messages only.
	noTCP map[netip.AddrPort]time.Time
}

// send sends m, a step of zone, to s, merged with the steps waiting for
// the same server and zone, and returns its answer's rcode.
func (u *Updater) send(ctx context.Context, s server, zone string, m *dns.Msg, timeout time.Duration) (int, error) {
	st := &batchStep{m: m, names: ownerNames(m), size: recordsLen(m), done: make(chan batchResult, 1)}
	key := laneKey{s.addr, zone}
	b := &u.batch
	b.mu.Lock()
	if b.lanes == nil {
		b.lanes = map[laneKey]*lane{}
	}
	l := b.lanes[key]
	if l == nil {
		l = &lane{}
		b.lanes[key] = l
	}
	l.waiting = append(l.waiting, st)
	if l.running < laneInFlight {
		l.running++
		go u.flush(ctx, s, key, l, timeout)
	}
	b.mu.Unlock()
	select {
	case res := <-st.done:
		return res.rc, res.err
	case <-ctx.Done():
		return 0, ctx.Err()
	}
}

// flush sends the steps waiting in l, as few messages as it can, until
// none waits.
func (u *Updater) flush(ctx context.Context, s server, key laneKey, l *lane, timeout time.Duration) {
	b := &u.batch
	for {
		b.mu.Lock()
		tcp := time.Now().After(b.noTCP[s.addr])
		steps, m := l.take(key.zone, tcp)
		if len(steps) == 0 {
			l.running--
			if l.running == 0 && len(l.waiting) == 0 {
				delete(b.lanes, key)
			}
			b.mu.Unlock()
			return
		}
		b.mu.Unlock()
		u.sendSteps(ctx, s, key.zone, steps, m, timeout)
	}
}

// sendSteps sends steps, merged in m when there are several, and hands
// each its answer; a merged message that the server refused is followed
// by its halves.
func (u *Updater) sendSteps(ctx context.Context, s server, zone string, steps []*batchStep, m *dns.Msg, timeout time.Duration) {
	if len(steps) == 1 {
		rc, err := u.attempt(ctx, s, steps[0].m, timeout)
		steps[0].done <- batchResult{rc: rc, err: err}
		return
	}
	if m == nil {
		m = merge(zone, steps)
	}
	tcp := len(steps) > batchMaxSteps || m.Len() > batchMaxBytes
	// The server works through a large message for as long as through
	// the UDP-sized messages it replaces.
	wait := timeout * time.Duration((len(steps)+batchMaxSteps-1)/batchMaxSteps)
	rc, err := u.exchange(ctx, s, m, tcp, wait)
	u.stats.batched.Add(uint64(len(steps)))
	if err != nil || rc == dns.RcodeSuccess {
		if err != nil && tcp && ctx.Err() == nil {
			u.batch.mu.Lock()
			if u.batch.noTCP == nil {
				u.batch.noTCP = map[netip.AddrPort]time.Time{}
			}
			u.batch.noTCP[s.addr] = time.Now().Add(noTCPFor)
			u.batch.mu.Unlock()
			u.log.Warn("DNS update over TCP failed; UDP only for a while", "server", s.addr, "for", noTCPFor, "err", err)
		}
		for _, st := range steps {
			st.done <- batchResult{rc: rc, err: err}
		}
		return
	}
	// Refused whole, so nothing changed: learn which steps fail.
	if len(steps) <= aloneBelow {
		for _, st := range steps {
			u.sendSteps(ctx, s, zone, []*batchStep{st}, nil, timeout)
		}
		return
	}
	half := len(steps) / 2
	u.sendSteps(ctx, s, zone, steps[:half], nil, timeout)
	u.sendSteps(ctx, s, zone, steps[half:], nil, timeout)
}

// merge returns one UPDATE for zone holding every step's prerequisites
// and updates.
func merge(zone string, steps []*batchStep) *dns.Msg {
	m := new(dns.Msg)
	m.SetUpdate(zone)
	m.Compress = true
	for _, st := range steps {
		m.Answer = append(m.Answer, st.m.Answer...)
		m.Ns = append(m.Ns, st.m.Ns...)
	}
	return m
}

// take removes from l the steps of the next message, and returns them
// with that message for zone: the first waiting, and those after it
// that name none of the owner names already taken, within the bounds of
// a message (TCP's when tcp is set). The caller holds the batcher's mu.
func (l *lane) take(zone string, tcp bool) ([]*batchStep, *dns.Msg) {
	if len(l.waiting) == 0 {
		return nil, nil
	}
	maxSteps, maxBytes := batchMaxSteps, batchMaxBytes
	if tcp {
		maxSteps, maxBytes = tcpMaxSteps, tcpMaxBytes
	}
	m := new(dns.Msg)
	m.SetUpdate(zone)
	m.Compress = true
	var steps []*batchStep
	taken := map[string]bool{}
	rest := l.waiting[:0]
	// size bounds the message's length from above: its compressed
	// length when last measured, plus the uncompressed lengths of the
	// steps added since. Measuring (compressing) the message at every
	// step would cost the square of its steps.
	size, full := m.Len(), false
	for _, st := range l.waiting {
		if full || len(steps) > 0 && (len(steps) >= maxSteps || overlaps(taken, st.names)) {
			rest = append(rest, st)
			continue
		}
		na, nn := len(m.Answer), len(m.Ns)
		m.Answer = append(m.Answer, st.m.Answer...)
		m.Ns = append(m.Ns, st.m.Ns...)
		size += st.size
		if len(steps) > 0 && size > maxBytes {
			if size = m.Len(); size > maxBytes {
				m.Answer, m.Ns = m.Answer[:na], m.Ns[:nn]
				rest = append(rest, st)
				full = true
				continue
			}
		}
		steps = append(steps, st)
		for _, n := range st.names {
			taken[n] = true
		}
	}
	clear(l.waiting[len(rest):])
	l.waiting = rest
	return steps, m
}

// recordsLen is the length m's prerequisites and updates add to a
// message, uncompressed.
func recordsLen(m *dns.Msg) int {
	head := dns.Msg{Question: m.Question}
	return m.Len() - head.Len()
}

func overlaps(taken map[string]bool, names []string) bool {
	for _, n := range names {
		if taken[n] {
			return true
		}
	}
	return false
}

// ownerNames lists the owner names of m's prerequisites and updates.
func ownerNames(m *dns.Msg) []string {
	var names []string
	for _, sec := range [][]dns.RR{m.Answer, m.Ns} {
		for _, rr := range sec {
			n := strings.ToLower(rr.Header().Name)
			if !contains(names, n) {
				names = append(names, n)
			}
		}
	}
	return names
}

func contains(names []string, n string) bool {
	for _, x := range names {
		if x == n {
			return true
		}
	}
	return false
}
