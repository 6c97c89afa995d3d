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
// not on its records: TSIG, the zone's lock, its journal and a new SOA
// serial for each. While steps for one server and zone wait for a
// message in flight, they are merged into one UPDATE: the prerequisites
// of all in its prerequisite section, their updates in its update
// section. RFC 2136 checks every prerequisite before it applies any
// update, and applies all of a message or none, so a merged message that
// succeeds did exactly what each step alone would have done, as long as
// no two steps name the same owner name: steps that do wait for the next
// message. A merged message that fails (any rcode but NOERROR, or no
// usable answer) changed nothing, and each of its steps is then sent on
// its own, as if it had never been merged, to learn its own answer.

const (
	// laneInFlight bounds the messages in flight at once for one server
	// and zone.
	laneInFlight = 2
	// batchMaxSteps and batchMaxBytes bound a merged message (its names
	// compressed); the size keeps it under the usual 1,232-byte UDP
	// payload with room for the TSIG record.
	batchMaxSteps = 32
	batchMaxBytes = 1100
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
	done  chan batchResult
}

type batchResult struct {
	rc     int
	err    error
	merged bool // sent with others: a failure says nothing of this step
}

// batcher merges the steps of concurrent transactions; its zero value is
// ready.
type batcher struct {
	mu    sync.Mutex
	lanes map[laneKey]*lane
}

// send sends m, a step of zone, to s, merged with the steps waiting for
// the same server and zone, and returns its answer's rcode. A merged
// message that did not succeed is followed by m sent on its own.
func (u *Updater) send(ctx context.Context, s server, zone string, m *dns.Msg, timeout time.Duration) (int, error) {
	st := &batchStep{m: m, names: ownerNames(m), done: make(chan batchResult, 1)}
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
	var res batchResult
	select {
	case res = <-st.done:
	case <-ctx.Done():
		return 0, ctx.Err()
	}
	if res.merged && (res.err != nil || res.rc != dns.RcodeSuccess) {
		return u.attempt(ctx, s, m, timeout)
	}
	return res.rc, res.err
}

// flush sends the steps waiting in l, as few messages as it can, until
// none waits.
func (u *Updater) flush(ctx context.Context, s server, key laneKey, l *lane, timeout time.Duration) {
	b := &u.batch
	for {
		b.mu.Lock()
		steps, m := l.take(key.zone)
		if len(steps) == 0 {
			l.running--
			if l.running == 0 && len(l.waiting) == 0 {
				delete(b.lanes, key)
			}
			b.mu.Unlock()
			return
		}
		b.mu.Unlock()
		if len(steps) == 1 {
			rc, err := u.attempt(ctx, s, steps[0].m, timeout)
			steps[0].done <- batchResult{rc: rc, err: err}
			continue
		}
		rc, err := u.attempt(ctx, s, m, timeout)
		u.stats.batched.Add(uint64(len(steps)))
		for _, st := range steps {
			st.done <- batchResult{rc: rc, err: err, merged: true}
		}
	}
}

// take removes from l the steps of the next message, and returns them
// with that message for zone: the first waiting, and those after it
// that name none of the owner names already taken, within the bounds of
// a message. The caller holds the batcher's mu.
func (l *lane) take(zone string) ([]*batchStep, *dns.Msg) {
	if len(l.waiting) == 0 {
		return nil, nil
	}
	m := new(dns.Msg)
	m.SetUpdate(zone)
	m.Compress = true
	var steps []*batchStep
	taken := map[string]bool{}
	rest := l.waiting[:0]
	for _, st := range l.waiting {
		if len(steps) > 0 && (len(steps) >= batchMaxSteps || overlaps(taken, st.names)) {
			rest = append(rest, st)
			continue
		}
		na, nn := len(m.Answer), len(m.Ns)
		m.Answer = append(m.Answer, st.m.Answer...)
		m.Ns = append(m.Ns, st.m.Ns...)
		if len(steps) > 0 && m.Len() > batchMaxBytes {
			m.Answer, m.Ns = m.Answer[:na], m.Ns[:nn]
			rest = append(rest, st)
			continue
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
