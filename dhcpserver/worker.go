package dhcpserver

import (
	"context"
	"fmt"
	"log/slog"
	"net/netip"
	"runtime/debug"
	"sync"

	"github.com/leased/leased/dhcpv4"
	"golang.org/x/sys/unix"
)

// bufLen is the receive buffer of one message. A larger datagram is
// truncated by the kernel and counted as malformed.
const bufLen = 2048

// maxReply is the largest reply: what fits an Ethernet frame of 1500 bytes
// after the IPv4 and UDP headers.
const maxReply = 1500 - ipUDPLen

// A job is one received message on its way through the server. Jobs are
// recycled through Server.free, so the steady state allocates nothing.
type job struct {
	buf   [bufLen]byte
	pkt   dhcpv4.Packet
	req   Request
	sock  *udpSocket
	spare bool // a reader's emergency buffer: read and dropped, never queued
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
		j := new(job)
		j.req.Packet = &j.pkt
		return j
	}
	s.numJobs.Add(-1)
	if rd.spare[i] == nil {
		rd.spare[i] = &job{spare: true}
	}
	return rd.spare[i]
}

func (s *Server) putJob(j *job) {
	select {
	case s.free <- j:
	default:
	}
}

// loop reads from one socket and hands each message to the worker of its
// client, until the server stops.
func (rd *reader) loop() error {
	s := rd.s
	for i := range rd.jobs {
		rd.jobs[i] = s.getJob(rd, i)
	}
	debug := s.log.Enabled(context.Background(), slog.LevelDebug)
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
		for i := 0; i < n; i++ {
			s.stats.received.Add(1)
			j := rd.jobs[i]
			h := &rd.hdrs[i]
			if j.spare {
				s.stats.dropped.Add(1)
				continue
			}
			if h.Hdr.Flags&unix.MSG_TRUNC != 0 {
				s.stats.malformed.Add(1)
				continue
			}
			parseMeta(j, &rd.names[i], rd.oobs[i][:h.Hdr.Controllen])
			if err := j.pkt.Decode(j.buf[:h.Len]); err != nil {
				s.stats.malformed.Add(1)
				if debug {
					s.log.Debug("dhcpserver: malformed message dropped", "src", j.req.Src, "err", err)
				}
				continue
			}
			j.req.IfName = s.ifName(j.req.IfIndex, rd.sock)
			j.sock = rd.sock
			w := s.workers[clientHash(&j.pkt)%uint32(len(s.workers))]
			select {
			case w.queue <- j:
				rd.jobs[i] = s.getJob(rd, i)
			default:
				s.stats.dropped.Add(1)
				if debug {
					s.log.Debug("dhcpserver: queue full, message dropped", "src", j.req.Src)
				}
			}
		}
	}
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
	b     dhcpv4.Builder
	out   [ipUDPLen + maxReply]byte // IPv4+UDP headers (raw sends only), then the reply
	rw    response
	snd   sender
	raw   rawSender
}

func newWorker(s *Server, queueLen int) *worker {
	w := &worker{s: s, queue: make(chan *job, queueLen)}
	w.rw.w = w
	w.raw.init()
	return w
}

func (w *worker) run(wg *sync.WaitGroup) {
	defer wg.Done()
	for j := range w.queue {
		if !w.s.abandon.Load() {
			w.serve(j)
		}
		w.s.putJob(j)
	}
}

func (w *worker) serve(j *job) {
	s := w.s
	w.rw.j = j
	w.rw.started = false
	w.rw.dst = netip.AddrPort{}
	j.req.ctx = s.ctx
	if !w.call(j) {
		return
	}
	if !w.rw.started {
		s.stats.noReply.Add(1)
		return
	}
	msg, err := w.b.Finish()
	if err != nil {
		s.stats.sendErrors.Add(1)
		s.log.Error("dhcpserver: building reply", "xid", j.pkt.XID(), "err", err)
		return
	}
	if err := w.send(j, msg); err != nil {
		s.stats.sendErrors.Add(1)
		s.log.Error("dhcpserver: sending reply", "xid", j.pkt.XID(), "err", err)
		return
	}
	s.stats.sent.Add(1)
}

// call runs the handler, recovering a panic as net/http does: one bad
// message must not take the server down.
func (w *worker) call(j *job) (ok bool) {
	defer func() {
		if v := recover(); v != nil {
			w.s.stats.panics.Add(1)
			w.s.log.Error("dhcpserver: handler panicked", "xid", j.pkt.XID(), "panic", v, "stack", string(debug.Stack()))
			ok = false
		}
	}()
	w.s.Handler.ServeDHCP(&w.rw, &j.req)
	return true
}

// send routes msg, the finished reply to j, and sends it.
func (w *worker) send(j *job, msg []byte) error {
	s := w.s
	fd := j.sock.fd
	if w.rw.dst.IsValid() {
		return w.snd.sendUDP(fd, msg, w.rw.dst, 0, j.req.Local)
	}
	switch RouteReply(&j.pkt, msg) {
	case RouteRelay:
		if replyType(msg) == dhcpv4.Nak {
			msg[offFlags] |= byte(dhcpv4.FlagBroadcast >> 8)
		}
		gi := netip.AddrFrom4([4]byte(msg[offGIAddr : offGIAddr+4]))
		return w.snd.sendUDP(fd, msg, netip.AddrPortFrom(gi, s.relayPt), 0, j.req.Local)
	case RouteClient:
		return w.snd.sendUDP(fd, msg, netip.AddrPortFrom(j.pkt.CIAddr(), s.clientPt), 0, j.req.Local)
	case RouteHardware:
		if rs := s.raws[j.req.IfIndex]; rs != nil && ethernetRaw(msg[1], msg[2]) && len(msg) <= maxReply && j.req.Local.Is4() {
			if &msg[0] != &w.out[ipUDPLen] {
				copy(w.out[ipUDPLen:], msg)
			}
			frame := w.out[:ipUDPLen+len(msg)]
			yi := netip.AddrFrom4([4]byte(msg[offYIAddr : offYIAddr+4]))
			putIPUDP(frame, j.req.Local, yi, s.local.Port(), s.clientPt)
			return w.raw.send(rs, j.req.IfIndex, msg[28:34], frame)
		}
		s.stats.fallbacks.Add(1)
	}
	return w.snd.sendUDP(fd, msg, netip.AddrPortFrom(s.bcast, s.clientPt), j.req.IfIndex, j.req.Local)
}

// response is a worker's ResponseWriter, reused for every message.
type response struct {
	w       *worker
	j       *job
	started bool
	dst     netip.AddrPort
}

func (r *response) Reply(mt dhcpv4.MessageType) *dhcpv4.Builder {
	r.w.b.Reply(r.w.out[ipUDPLen:], &r.j.pkt, mt)
	r.started = true
	return &r.w.b
}

func (r *response) SetDestination(dst netip.AddrPort) { r.dst = dst }
