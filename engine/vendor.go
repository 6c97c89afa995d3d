package engine

import (
	"encoding/binary"
	"slices"

	"github.com/leased/leased/config"
	"github.com/leased/leased/dhcpv4"
	"github.com/leased/leased/dhcpv4/optdef"
)

// maxVendors bounds the enterprises answered in one option 125.
const maxVendors = 8

// addVendorOptions assembles option 125 (RFC 3925) as Kea does: for each
// enterprise the reply concerns — named by an option 125 configured for
// the client, or by the client's own option 125 or 124 — it sends the
// sub-options of space "vendor-<enterprise>" that apply to the client and
// are marked always-send or asked for in the enterprise's option request
// sub-option (code 1, the DOCSIS convention Kea follows).
func (t *txn) addVendorOptions(b *dhcpv4.Builder, ss *subnetState, ps *poolState) {
	var ents [maxVendors]uint32
	n := 0
	add := func(e uint32) {
		if n < maxVendors && !slices.Contains(ents[:n], e) {
			ents[n] = e
			n++
		}
	}
	configured := t.option(ss, ps, uint8(dhcpv4.OptionVIVendorSpecific))
	if configured != nil && !configured.NeverSend && len(configured.Data) >= 4 {
		add(binary.BigEndian.Uint32(configured.Data))
	}
	for _, code := range [2]dhcpv4.OptionCode{dhcpv4.OptionVIVendorSpecific, dhcpv4.OptionVIVendorClass} {
		t.p.VendorData(code, func(e uint32, _ []byte) bool { add(e); return true })
	}
	if n == 0 {
		return
	}
	buf := t.vendor[:0]
	for _, ent := range ents[:n] {
		oro := t.vendorORO(ent)
		start := len(buf)
		buf = binary.BigEndian.AppendUint32(buf, ent)
		buf = append(buf, 0) // data length, set below
		var sent [4]uint64
		t.eachScope(ss, ps, func(set *config.OptionSet) bool {
			for _, o := range set.All() {
				if id, ok := optdef.VendorID(o.Space); !ok || id != ent {
					continue
				}
				if sent[o.Code>>6]&(1<<(o.Code&63)) != 0 || !t.inClasses(o.ClientClasses) {
					continue
				}
				sent[o.Code>>6] |= 1 << (o.Code & 63)
				if o.NeverSend || !o.AlwaysSend && !slices.Contains(oro, o.Code) {
					continue
				}
				buf = append(buf, o.Code, byte(len(o.Data)))
				buf = append(buf, o.Data...)
			}
			return true
		})
		size := len(buf) - start - 5
		switch {
		case size > 255:
			// RFC 3925 gives each enterprise one length byte.
			t.s.log.Warn("vendor options do not fit option 125; left out", "enterprise", ent, "bytes", size)
			buf = buf[:start]
		case size == 0 && (configured == nil || binary.BigEndian.Uint32(configured.Data) != ent):
			buf = buf[:start]
		default:
			buf[start+4] = byte(size)
		}
	}
	t.vendor = buf
	if len(buf) > 0 {
		b.AddOption(dhcpv4.OptionVIVendorSpecific, buf)
	}
}

// vendorORO returns the option request sub-option (code 1) the client sent
// for an enterprise in its option 125.
func (t *txn) vendorORO(ent uint32) []byte {
	var oro []byte
	t.p.VendorData(dhcpv4.OptionVIVendorSpecific, func(e uint32, data []byte) bool {
		if e != ent {
			return true
		}
		for i := 0; i+1 < len(data) && i+2+int(data[i+1]) <= len(data); i += 2 + int(data[i+1]) {
			if data[i] == 1 {
				oro = data[i+2 : i+2+int(data[i+1])]
				return false
			}
		}
		return false
	})
	return oro
}
