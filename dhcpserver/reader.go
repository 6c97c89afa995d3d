package dhcpserver

import (
	"fmt"
	"net/netip"
	"runtime"
	"time"
)

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

func (rd *reader) sockName() string {
	if rd.sock.ifname != "" {
		return rd.sock.ifname
	}
	return "the server socket"
}
