package engine

import (
	"net/netip"
	"sync"

	"github.com/leased/leased/lease"
)

// offerTable remembers addresses offered to clients that have not yet
// requested them, so that two clients are not offered one address and a
// client that repeats its DISCOVER is offered the same address again.
// Entries expire; the addresses of expired entries go back to their pools.
type offerTable struct {
	mu       sync.Mutex
	byAddr   map[netip.Addr]offer
	byClient map[uint64]netip.Addr
}

type offer struct {
	client uint64
	until  int64 // Unix seconds
	// seen says the store's row of the address is known, as the DISCOVER
	// that made the offer read or wrote it: row, or none when row is nil.
	// The REQUEST that takes the offer writes on it without reading the
	// row again, since its write is guarded: an Add fails on a row
	// written meanwhile, an Update with the row as prev on a row changed
	// or gone (see answerRequest).
	seen bool
	row  *lease.Lease
}

func (o *offerTable) init() {
	o.byAddr = make(map[netip.Addr]offer)
	o.byClient = make(map[uint64]netip.Addr)
}

// put records that a was offered to client until the given time.
func (o *offerTable) put(a netip.Addr, client uint64, until int64) {
	o.mu.Lock()
	defer o.mu.Unlock()
	if old, ok := o.byAddr[a]; ok && old.client != client {
		delete(o.byClient, old.client)
	}
	if prev, ok := o.byClient[client]; ok && prev != a {
		delete(o.byAddr, prev)
	}
	o.byAddr[a] = offer{client: client, until: until}
	o.byClient[client] = a
}

// note records, for the offer of a to client, that the store held row at
// a (nil: no row) when it was made; the row is not changed afterwards.
func (o *offerTable) note(a netip.Addr, client uint64, row *lease.Lease) {
	o.mu.Lock()
	defer o.mu.Unlock()
	if of, ok := o.byAddr[a]; ok && of.client == client {
		of.seen, of.row = true, row
		o.byAddr[a] = of
	}
}

// seen returns the store's row of a as noted with client's live offer of
// a (nil: no row), and whether one was noted.
func (o *offerTable) seen(a netip.Addr, client uint64, now int64) (*lease.Lease, bool) {
	o.mu.Lock()
	defer o.mu.Unlock()
	of, ok := o.byAddr[a]
	if !ok || of.client != client || of.until < now || !of.seen {
		return nil, false
	}
	return of.row, true
}

// unnote forgets the row noted with the offer of a: the store has changed
// since.
func (o *offerTable) unnote(a netip.Addr) {
	o.mu.Lock()
	defer o.mu.Unlock()
	if of, ok := o.byAddr[a]; ok {
		of.seen, of.row = false, nil
		o.byAddr[a] = of
	}
}

// owner returns the client a live offer of a was made to.
func (o *offerTable) owner(a netip.Addr, now int64) (uint64, bool) {
	o.mu.Lock()
	defer o.mu.Unlock()
	of, ok := o.byAddr[a]
	if !ok || of.until < now {
		return 0, false
	}
	return of.client, true
}

// forClient returns the address of a live offer made to client.
func (o *offerTable) forClient(client uint64, now int64) (netip.Addr, bool) {
	o.mu.Lock()
	defer o.mu.Unlock()
	a, ok := o.byClient[client]
	if !ok || o.byAddr[a].until < now {
		return netip.Addr{}, false
	}
	return a, true
}

// drop forgets the offer of a.
func (o *offerTable) drop(a netip.Addr) {
	o.mu.Lock()
	defer o.mu.Unlock()
	if of, ok := o.byAddr[a]; ok {
		delete(o.byAddr, a)
		if o.byClient[of.client] == a {
			delete(o.byClient, of.client)
		}
	}
}

// expire removes the offers that ended before now and returns their
// addresses.
func (o *offerTable) expire(now int64, out []netip.Addr) []netip.Addr {
	o.mu.Lock()
	defer o.mu.Unlock()
	for a, of := range o.byAddr {
		if of.until < now {
			out = append(out, a)
			delete(o.byAddr, a)
			if o.byClient[of.client] == a {
				delete(o.byClient, of.client)
			}
		}
	}
	return out
}

// each calls fn for every address on offer.
func (o *offerTable) each(fn func(netip.Addr)) {
	o.mu.Lock()
	defer o.mu.Unlock()
	for a := range o.byAddr {
		fn(a)
	}
}
