package ncr

import "math"

// TTLParams are a scope's ddns-ttl-percent, ddns-ttl, ddns-ttl-min and
// ddns-ttl-max; zero is unset.
type TTLParams struct {
	Percent       float64
	TTL, Min, Max uint32
}

// DefaultTTLMin is the lowest TTL Kea computes when ddns-ttl-min is unset.
const DefaultTTLMin = 600

// TTL returns the TTL of the DNS records for a lease of the given valid
// lifetime, as Kea 3.x computes it: ddns-ttl when set; else the lifetime
// times ddns-ttl-percent (RFC 4702's one third when unset), rounded, then
// raised to ddns-ttl-min (600 when unset) and lowered to ddns-ttl-max
// when set. Without any of them this is Kea 2.2's rule too, but for
// rounding where 2.2 truncates (3600 → 1200, 900 → 600 in both).
func TTL(lifetime uint32, p TTLParams) uint32 {
	if p.TTL > 0 {
		return p.TTL
	}
	percent := p.Percent
	if percent <= 0 {
		percent = 0.33333
	}
	ttl := uint32(min(math.Round(percent*float64(lifetime)), math.MaxUint32))
	lo := p.Min
	if lo == 0 {
		lo = DefaultTTLMin
	}
	if ttl < lo {
		return lo
	}
	if p.Max > 0 && ttl > p.Max {
		return p.Max
	}
	return ttl
}
