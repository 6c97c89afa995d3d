package dhcpserver

import (
	"fmt"
	"net/netip"

	"github.com/leased/leased/dhcpv4"
)

// sendFailed counts and logs a reply that could not be finished or sent.
func (s *Server) sendFailed(j *job, err error) {
	s.stats.sendErrors.Add(1)
	s.log.Error("dhcpserver: sending reply", "xid", j.pkt.XID(), "err", err)
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
