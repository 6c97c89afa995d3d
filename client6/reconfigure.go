package client6

import (
	"crypto/hmac"
	"crypto/md5"
	"encoding/binary"
	"slices"
	"time"

	"github.com/leased/leased/dhcpv6"
)

// The reconfigure key authentication protocol (RFC 8415 §20.4): the
// server gives the client a key in a Reply and signs its Reconfigure
// messages with HMAC-MD5 under it.
const (
	authProtoReconfigureKey = 3
	authAlgHMACMD5          = 1
	authRDMCounter          = 0
	authTypeKey             = 1
	authTypeHMAC            = 2
	authHeaderLen           = 11 // protocol, algorithm, RDM, replay detection
	authValueLen            = 16
)

// reconfigureKey returns the key of a reconfigure key Authentication
// option, nil if the message has none.
func reconfigureKey(o dhcpv6.Options) []byte {
	for v := range o.Values(dhcpv6.OptionAuth) {
		if len(v) == authHeaderLen+1+authValueLen && v[0] == authProtoReconfigureKey && v[1] == authAlgHMACMD5 &&
			v[2] == authRDMCounter && v[authHeaderLen] == authTypeKey {
			return slices.Clone(v[authHeaderLen+1:])
		}
	}
	return nil
}

// reconfigure obeys a Reconfigure (RFC 8415 §18.2.11) that carries a
// valid HMAC under the binding's key and a replay counter above the last
// one: it starts the Renew, Rebind or Information-request it asks for.
// Any other is dropped.
func (c *Client) reconfigure(m *dhcpv6.Message, now time.Time) error {
	o := m.Options()
	b := c.binding
	if !c.cfg.ReconfigureAccept || b == nil || b.ReconfigureKey == nil {
		return nil
	}
	if sid, _ := o.ServerID(); string(sid) != string(b.ServerID) {
		return nil
	}
	want, ok := o.ReconfigureMessage()
	if !ok {
		return nil
	}
	rd, ok := checkReconfigureAuth(m.Bytes(), b.ReconfigureKey)
	if !ok || (c.reconfRD != 0 && rd <= c.reconfRD) {
		c.log.Warn("dropped a Reconfigure that fails authentication", "server", b.ServerID)
		return nil
	}
	c.reconfRD = rd
	c.counters.Received[dhcpv6.Reconfigure]++
	switch {
	case want == dhcpv6.Renew && c.st == StateBound:
		c.log.Info("server asks to renew")
		c.startRenew(now)
	case want == dhcpv6.Rebind && c.st == StateBound:
		c.log.Info("server asks to rebind")
		c.startRebind(now, false)
	case want == dhcpv6.InformationRequest && (c.st == StateBound || c.st == StateInformed):
		c.log.Info("server asks for an Information-request")
		c.startInformationRequest(now, false)
	}
	return nil
}

// checkReconfigureAuth finds the reconfigure key Authentication option of
// msg and checks its HMAC-MD5, computed over the message with the HMAC
// field zeroed. It returns the replay detection counter.
func checkReconfigureAuth(msg []byte, key []byte) (uint64, bool) {
	off := dhcpv6.HeaderLen
	for off+4 <= len(msg) {
		code := dhcpv6.OptionCode(binary.BigEndian.Uint16(msg[off:]))
		n := int(binary.BigEndian.Uint16(msg[off+2:]))
		v := msg[off+4 : off+4+n]
		if code == dhcpv6.OptionAuth && n == authHeaderLen+1+authValueLen && v[0] == authProtoReconfigureKey &&
			v[1] == authAlgHMACMD5 && v[2] == authRDMCounter && v[authHeaderLen] == authTypeHMAC {
			got := slices.Clone(v[authHeaderLen+1:])
			zeroed := slices.Clone(msg)
			clear(zeroed[off+4+authHeaderLen+1 : off+4+n])
			mac := hmac.New(md5.New, key)
			mac.Write(zeroed)
			return binary.BigEndian.Uint64(v[3:]), hmac.Equal(mac.Sum(nil), got)
		}
		off += 4 + n
	}
	return 0, false
}
