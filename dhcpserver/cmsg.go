//go:build linux || darwin || freebsd

package dhcpserver

import (
	"unsafe"

	"golang.org/x/sys/unix"
)

// nextCmsg splits the first control message off oob, without allocating
// (unix.ParseSocketControlMessage allocates a slice per datagram). ok is
// false at the end of oob and when the header is damaged.
func nextCmsg(oob []byte) (h unix.Cmsghdr, data, rest []byte, ok bool) {
	if len(oob) < unix.SizeofCmsghdr {
		return h, nil, nil, false
	}
	h = *(*unix.Cmsghdr)(unsafe.Pointer(&oob[0]))
	l := int(h.Len)
	if l < unix.CmsgLen(0) || l > len(oob) {
		return h, nil, nil, false
	}
	data = oob[unix.CmsgLen(0):l]
	if space := unix.CmsgSpace(l - unix.CmsgLen(0)); space < len(oob) {
		rest = oob[space:]
	}
	return h, data, rest, true
}
