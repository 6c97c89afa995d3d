package dhcpserver

import (
	"net/netip"
	"sync"
	"time"
)

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

func (d *dropLog) note(log Logger, why dropReason, src netip.AddrPort, err error) {
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
