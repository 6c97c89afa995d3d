package dhcpserver

import (
	"net/netip"

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
