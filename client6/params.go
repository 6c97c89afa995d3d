package client6

import (
	"time"

	"github.com/leased/leased/dhcpv6"
)

// params are the retransmission parameters of one message exchange (RFC
// 8415 §15): the initial and maximum retransmission time, the maximum
// count of transmissions and the maximum duration (0: no limit), and the
// longest random delay before the first transmission.
type params struct {
	irt, mrt time.Duration
	mrc      int
	mrd      time.Duration
	delay    time.Duration
}

// Transmission and retransmission parameters of RFC 8415 §7.6.
const (
	solMaxDelay = 1 * time.Second
	solTimeout  = 1 * time.Second
	solMaxRT    = 3600 * time.Second
	reqTimeout  = 1 * time.Second
	reqMaxRT    = 30 * time.Second
	reqMaxRC    = 10
	cnfMaxDelay = 1 * time.Second
	cnfTimeout  = 1 * time.Second
	cnfMaxRT    = 4 * time.Second
	cnfMaxRD    = 10 * time.Second
	renTimeout  = 10 * time.Second
	renMaxRT    = 600 * time.Second
	rebTimeout  = 10 * time.Second
	rebMaxRT    = 600 * time.Second
	infMaxDelay = 1 * time.Second
	infTimeout  = 1 * time.Second
	infMaxRT    = 3600 * time.Second
	relTimeout  = 1 * time.Second
	relMaxRC    = 4
	decTimeout  = 1 * time.Second
	decMaxRC    = 4

	// irtDefault and irtMinimum bound the information refresh time
	// (RFC 8415 §21.23).
	irtDefault = 86400 * time.Second
	irtMinimum = 600 * time.Second
)

// Bounds a server's SOL_MAX_RT and INF_MAX_RT must lie within to be used
// (RFC 8415 §21.24 and §21.25).
const (
	maxRTLowest  = 60 * time.Second
	maxRTHighest = 86400 * time.Second
)

// Random is the source of the client's transaction ids and jitter.
// *math/rand/v2.Rand satisfies it.
type Random interface {
	Uint32() uint32
	Int64N(n int64) int64
}

// jitter returns d times RAND, RAND uniform in [-0.1, +0.1] (RFC 8415
// §15), or in (0, +0.1] when positive is set, as the first Solicit's
// must be.
func jitter(d time.Duration, r Random, positive bool) time.Duration {
	span := int64(d / 10)
	if span <= 0 {
		return 0
	}
	if positive {
		return time.Duration(1 + r.Int64N(span))
	}
	return time.Duration(r.Int64N(2*span+1) - span)
}

// nextRT returns the retransmission timeout after prev (the first one
// when prev is 0), as RFC 8415 §15 computes it.
func nextRT(prev time.Duration, p params, r Random, solicit bool) time.Duration {
	var rt time.Duration
	if prev == 0 {
		rt = p.irt + jitter(p.irt, r, solicit)
	} else {
		rt = 2*prev + jitter(prev, r, false)
	}
	if p.mrt > 0 && rt > p.mrt {
		rt = p.mrt + jitter(p.mrt, r, false)
	}
	return rt
}

// maxRT reads a SOL_MAX_RT or INF_MAX_RT option: the value if the
// option is there and within the bounds RFC 8415 allows.
func maxRT(o dhcpv6.Options, code dhcpv6.OptionCode) (time.Duration, bool) {
	v, ok := o.Uint32(code)
	if !ok {
		return 0, false
	}
	d := time.Duration(v) * time.Second
	if d < maxRTLowest || d > maxRTHighest {
		return 0, false
	}
	return d, true
}
