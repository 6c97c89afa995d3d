package dhcpserver

import (
	"errors"
	"fmt"
	"log/slog"
	"net/netip"
	"runtime"
	"runtime/debug"
	"sync"
	"time"

	"github.com/leased/leased/dhcpv4"
)

// bufLen is the receive buffer of one message: more than a relay on an
// Ethernet link sends (1500 bytes, RFC 2131 §2) and than the replies
// clients ask for with option 57 in practice. A larger datagram (a jumbo
// frame, or IP fragments the kernel reassembled) is truncated by the
// kernel, counted as malformed and logged. Reading up to 64 KiB would
// make every job, of which a loaded server keeps thousands, 32 times
// larger.
const bufLen = 2048

// maxReply is the largest reply: what fits an Ethernet frame of 1500 bytes
// after the IPv4 and UDP headers.
const maxReply = 1500 - ipUDPLen

// A job is one received message on its way through the server, with its
// reply. Jobs are recycled through Server.free, so the steady state
// allocates nothing. A job carries everything its reply needs (builder,
// output buffer, system-call arguments), so that a deferred reply can be
// finished and sent from any goroutine while the reader or worker that
// received the message goes on with other messages.
type job struct {
	s     *Server
	buf   [bufLen]byte
	pkt   dhcpv4.Packet
	req   Request
	sock  *udpSocket
	spare bool // a reader's emergency buffer: read and dropped, never handled

	b       dhcpv4.Builder
	out     [ipUDPLen + maxReply]byte // IPv4+UDP headers (raw sends only), then the reply
	started bool                      // the handler called Reply
	dst     netip.AddrPort            // SetDestination
	// deferred is set by Defer and cleared by the first Send or Cancel,
	// which makes a repeated call harmless until the job is reused.
	deferred bool
	snd      sender
	raw      rawSender
}

func (s *Server) newJob() *job {
	j := &job{s: s}
	j.req.Packet = &j.pkt
	j.raw.init()
	return j
}

// getJob returns a free job, a new one while fewer than maxJobs exist, or
// the reader's spare for slot i when the pool is exhausted.
func (s *Server) getJob(rd *reader, i int) *job {
	select {
	case j := <-s.free:
		return j
	default:
	}
	if s.numJobs.Add(1) <= s.maxJobs {
		return s.newJob()
	}
	s.numJobs.Add(-1)
	if rd.spare[i] == nil {
		rd.spare[i] = &job{s: s, spare: true}
	}
	return rd.spare[i]
}

func (s *Server) putJob(j *job) {
	select {
	case s.free <- j:
	default:
		// More jobs than the readers and workers need (after a burst of
		// deferred replies): let this one go.
		s.numJobs.Add(-1)
	}
}

// loop reads from one socket until the server stops. In worker mode it
// hands each message to the worker of its client; in inline mode it runs
// the handler itself and sends the replies of each batch it read with one
// sendmmsg(2).
func (rd *reader) loop() error {
	s := rd.s
	for i := range rd.jobs {
		rd.jobs[i] = s.getJob(rd, i)
	}
	for {
		for i, j := range rd.jobs {
			if j.spare {
				rd.jobs[i] = s.getJob(rd, i)
			}
		}
		if s.closing.Load() {
			return nil
		}
		n, err := rd.recv()
		if s.closing.Load() {
			return nil
		}
		if err != nil {
			if transient(err) {
				continue
			}
			return fmt.Errorf("dhcpserver: reading from %s: %w", rd.sockName(), err)
		}
		rd.nout = 0
		for i := 0; i < n; i++ {
			s.stats.received.Add(1)
			j := rd.jobs[i]
			if j.spare {
				s.drop(dropNoBuffer, netip.AddrPort{}, nil)
				continue
			}
			size, whole := rd.datagram(i)
			if !whole {
				s.drop(dropTruncated, j.req.Src, errTruncated)
				continue
			}
			if err := j.pkt.Decode(j.buf[:size]); err != nil {
				s.drop(dropMalformed, j.req.Src, err)
				continue
			}
			j.req.IfName = s.ifName(j.req.IfIndex, rd.sock)
			j.sock = rd.sock
			if s.Inline {
				if s.abandon.Load() {
					continue
				}
				switch s.serve(j, &rd.rw) {
				case served:
					rd.out[rd.nout] = j
					rd.nout++
				case deferred:
					rd.jobs[i] = s.getJob(rd, i)
				}
				continue
			}
			w := s.workers[clientHash(&j.pkt)%uint32(len(s.workers))]
			select {
			case w.queue <- j:
				rd.jobs[i] = s.getJob(rd, i)
			default:
				s.drop(dropQueueFull, j.req.Src, nil)
			}
		}
		if rd.nout > 0 {
			rd.flush()
		}
		if rd.raw {
			rd.yieldP()
		}
	}
}

var errTruncated = fmt.Errorf("dhcpserver: datagram longer than %d bytes, truncated by the kernel", bufLen)

// dropReason is why the server dropped a message without handling it.
type dropReason uint8

const (
	dropNoBuffer  dropReason = iota // every job in use: read into a reader's spare and dropped
	dropTruncated                   // longer than the receive buffer
	dropMalformed                   // not a DHCP message
	dropQueueFull                   // its worker's queue was full
	numDropReasons
)

var dropReasonText = [numDropReasons]string{
	dropNoBuffer:  "every buffer in use",
	dropTruncated: "message longer than the receive buffer",
	dropMalformed: "malformed message",
	dropQueueFull: "queue full",
}

func (r dropReason) String() string { return dropReasonText[r] }

// drop counts a message dropped for reason why in Stats (Malformed for a
// message that is not a DHCP message, Dropped for one the server had no
// room for) and logs it.
func (s *Server) drop(why dropReason, src netip.AddrPort, err error) {
	switch why {
	case dropTruncated, dropMalformed:
		s.stats.malformed.Add(1)
	case dropNoBuffer, dropQueueFull:
		s.stats.dropped.Add(1)
	}
	s.drops.note(s.log, why, src, err)
}

// dropLog reports dropped messages without letting a flood of them flood
// the log: the first drop is logged at once, later ones at most once per
// dropLogEvery, each line with the number dropped since the last.
type dropLog struct {
	mu      sync.Mutex
	last    time.Time
	dropped uint64 // since the last line
}

const dropLogEvery = 10 * time.Second

func (d *dropLog) note(log *slog.Logger, why dropReason, src netip.AddrPort, err error) {
	d.mu.Lock()
	d.dropped++
	now := time.Now()
	if !d.last.IsZero() && now.Sub(d.last) < dropLogEvery {
		d.mu.Unlock()
		return
	}
	n := d.dropped
	d.last, d.dropped = now, 0
	d.mu.Unlock()
	attrs := []any{"src", src, "dropped", n}
	if err != nil {
		attrs = append(attrs, "error", err)
	}
	log.Info("dhcpserver: "+why.String()+", message dropped", attrs...)
}

// yieldEvery is how long a busy raw reader keeps its P before it lets the
// scheduler run other goroutines on it.
const yieldEvery = time.Millisecond

// yieldP lets other goroutines run on the reader's P once per yieldEvery.
// A reader blocked in a raw system call holds its P; when a program has
// as many such readers as Ps (several servers, each with its own socket),
// nothing else would run until the scheduler's monitor preempts one,
// every 10 ms.
func (rd *reader) yieldP() {
	if now := time.Now(); now.Sub(rd.yield) >= yieldEvery {
		rd.yield = now
		runtime.Gosched()
	}
}

func (s *Server) sendFailed(j *job, err error) {
	s.stats.sendErrors.Add(1)
	s.log.Error("dhcpserver: sending reply", "xid", j.pkt.XID(), "err", err)
}

func (rd *reader) sockName() string {
	if rd.sock.ifname != "" {
		return rd.sock.ifname
	}
	return "the server socket"
}

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

// send finishes j's reply and sends it.
func (s *Server) send(j *job) error {
	udp, err := s.prepare(j)
	if err == nil && udp {
		err = j.snd.send(j.sock)
	}
	if err != nil {
		s.sendFailed(j, err)
		return err
	}
	s.stats.sent.Add(1)
	return nil
}

// prepare finishes j's reply and routes it. A reply that goes through the
// UDP socket is left in j.snd for the caller to send (udp is true); one
// that goes through a packet socket is sent at once.
func (s *Server) prepare(j *job) (udp bool, err error) {
	msg, err := j.b.Finish()
	if err != nil {
		return false, fmt.Errorf("building reply: %w", err)
	}
	if j.dst.IsValid() {
		j.snd.prepare(msg, j.dst, 0, j.req.Local)
		return true, nil
	}
	route, dst := ReplyDestination(&j.pkt, msg, s.clientPt, s.relayPt)
	switch route {
	case RouteRelay, RouteClient:
		j.snd.prepare(msg, dst, 0, j.req.Local)
		return true, nil
	case RouteHardware:
		if rs := s.raws[j.req.IfIndex]; rs != nil && ethernetRaw(msg[1], msg[2]) && len(msg) <= maxReply && j.req.Local.Is4() {
			if &msg[0] != &j.out[ipUDPLen] {
				copy(j.out[ipUDPLen:], msg)
			}
			frame := j.out[:ipUDPLen+len(msg)]
			putIPUDP(frame, j.req.Local, dst.Addr(), s.local.Port(), s.clientPt)
			return false, j.raw.send(rs, j.req.IfIndex, msg[offCHAddr:offCHAddr+6], frame)
		}
		s.stats.fallbacks.Add(1)
	}
	j.snd.prepare(msg, netip.AddrPortFrom(s.bcast, s.clientPt), j.req.IfIndex, j.req.Local)
	return true, nil
}

// response is the ResponseWriter of one worker or inline reader, pointed
// at the job being handled.
type response struct {
	j *job
	// deferred: the handler took the reply over. It belongs to the
	// goroutine that called the handler, unlike j.deferred, which the
	// goroutine finishing the reply clears.
	deferred bool
}

func (r *response) Reply(mt dhcpv4.MessageType) *dhcpv4.Builder {
	j := r.j
	StartReply(&j.b, j.out[ipUDPLen:], &j.req, mt)
	j.started = true
	return &j.b
}

func (r *response) SetDestination(dst netip.AddrPort) { r.j.dst = dst }

// Defer implements Deferrer.
func (r *response) Defer() (Deferred, bool) {
	j := r.j
	if r.deferred {
		return j, true
	}
	s := j.s
	if s.numDeferred.Add(1) > int64(s.maxDeferred) {
		s.numDeferred.Add(-1)
		s.stats.deferRefused.Add(1)
		return nil, false
	}
	s.deferWG.Add(1)
	s.stats.deferred.Add(1)
	r.deferred, j.deferred = true, true
	return j, true
}

// Send implements Deferred.
func (j *job) Send() error {
	if !j.deferred {
		return ErrNotDeferred
	}
	j.deferred = false
	s := j.s
	var err error
	switch {
	case s.abandon.Load():
	case j.started:
		err = s.send(j)
	default:
		s.stats.noReply.Add(1)
	}
	s.release(j)
	return err
}

// SendAll sends the deferred replies ds, as Send would one by one, but
// with as few system calls as it can: the replies that leave through the
// same UDP socket go out together, with sendmmsg(2). ds may hold Deferreds
// of other implementations, which are sent with their Send. It returns the
// first error, and nil entries are skipped.
func SendAll(ds []Deferred) error {
	var b sendBatch
	var first error
	for _, d := range ds {
		j, ok := d.(*job)
		if !ok || !j.deferred || !j.started || j.s.abandon.Load() {
			if d != nil {
				if err := d.Send(); err != nil && first == nil && !errors.Is(err, ErrNotDeferred) {
					first = err
				}
			}
			continue
		}
		j.deferred = false
		s := j.s
		udp, err := s.prepare(j)
		switch {
		case err != nil:
			s.sendFailed(j, err)
			if first == nil {
				first = err
			}
			s.release(j)
		case !udp:
			s.stats.sent.Add(1)
			s.release(j)
		default:
			if b.n > 0 && (b.n == len(b.jobs) || b.jobs[0].sock != j.sock) {
				if err := b.flush(); err != nil && first == nil {
					first = err
				}
			}
			b.add(j)
		}
	}
	if err := b.flush(); err != nil && first == nil {
		first = err
	}
	return first
}

// Cancel implements Deferred.
func (j *job) Cancel() {
	if !j.deferred {
		return
	}
	j.deferred = false
	j.s.stats.noReply.Add(1)
	j.s.release(j)
}

// release ends a deferred reply: its job goes back to the pool.
func (s *Server) release(j *job) {
	s.putJob(j)
	s.numDeferred.Add(-1)
	s.deferWG.Done()
}
