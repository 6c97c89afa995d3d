package dhcpserver

import (
	"net/netip"
	"runtime/debug"
	"sync"

	"github.com/leased/leased/dhcpv4"
)

// clientHash identifies the client of p for sharding: its client
// identifier (option 61), or its hardware address when it sends none.
func clientHash(p *dhcpv4.Packet) uint32 {
	k := p.ClientID()
	if len(k) == 0 {
		k = p.CHAddr()
	}
	h := uint32(2166136261) // FNV-1a
	for _, b := range k {
		h ^= uint32(b)
		h *= 16777619
	}
	return h
}

// A worker calls the handler for the messages of its share of the clients,
// one at a time, and sends the replies.
type worker struct {
	s     *Server
	queue chan *job
	rw    response
}

func newWorker(s *Server, queueLen int) *worker {
	return &worker{s: s, queue: make(chan *job, queueLen)}
}

func (w *worker) run(wg *sync.WaitGroup) {
	defer wg.Done()
	s := w.s
	for j := range w.queue {
		if s.abandon.Load() {
			s.putJob(j)
			continue
		}
		switch s.serve(j, &w.rw) {
		case served:
			s.send(j)
		case deferred:
			continue // the handler's now
		}
		s.putJob(j)
	}
}

// outcome is what became of a message after its handler returned.
type outcome uint8

const (
	silent   outcome = iota // no reply (or the handler panicked)
	served                  // a reply to send now
	deferred                // the handler took the reply over
)

// serve runs the handler for j through rw. After deferred, j belongs to
// the handler: the caller must not touch it again, since another goroutine
// may already have sent it and put it back in the pool.
func (s *Server) serve(j *job, rw *response) outcome {
	j.started = false
	j.dst = netip.AddrPort{}
	j.deferred = false
	j.req.ctx = s.ctx
	j.req.Codecs = s.Codecs
	rw.j, rw.deferred = j, false
	ok := s.call(rw, j)
	rw.j = nil
	switch {
	case rw.deferred:
		return deferred
	case !ok:
		return silent
	case !j.started:
		s.stats.noReply.Add(1)
		return silent
	}
	return served
}

// call runs the handler, recovering a panic as net/http does: one bad
// message must not take the server down.
func (s *Server) call(rw *response, j *job) (ok bool) {
	defer func() {
		if v := recover(); v != nil {
			s.stats.panics.Add(1)
			s.log.Error("dhcpserver: handler panicked", "xid", j.pkt.XID(), "panic", v, "stack", string(debug.Stack()))
			ok = false
		}
	}()
	s.Handler.ServeDHCP(rw, &j.req)
	return true
}
