package dhcpserver

import "errors"

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
