package client

import (
	"encoding/binary"
	"slices"
	"testing"

	"golang.org/x/sys/unix"
)

// nlLink builds one RTM_NEWLINK (or another type) message.
func nlLink(typ uint16, index int32, flags uint32) []byte {
	b := make([]byte, unix.SizeofNlMsghdr+unix.SizeofIfInfomsg+8)
	binary.NativeEndian.PutUint32(b[0:], uint32(len(b)))
	binary.NativeEndian.PutUint16(b[4:], typ)
	m := b[unix.SizeofNlMsghdr:]
	binary.NativeEndian.PutUint32(m[4:], uint32(index))
	binary.NativeEndian.PutUint32(m[8:], flags)
	// An attribute after the header, as the kernel sends: IFLA_MTU.
	a := m[unix.SizeofIfInfomsg:]
	binary.NativeEndian.PutUint16(a[0:], 8)
	binary.NativeEndian.PutUint16(a[2:], unix.IFLA_MTU)
	binary.NativeEndian.PutUint32(a[4:], 1500)
	return b
}

func TestLinkState(t *testing.T) {
	upFlags := uint32(unix.IFF_UP | unix.IFF_RUNNING | unix.IFF_BROADCAST)
	cat := func(ms ...[]byte) []byte { return slices.Concat(ms...) }
	cases := []struct {
		name   string
		b      []byte
		up, ok bool
	}{
		{"up", nlLink(unix.RTM_NEWLINK, 7, upFlags), true, true},
		{"admin down", nlLink(unix.RTM_NEWLINK, 7, unix.IFF_BROADCAST), false, true},
		{"up without carrier", nlLink(unix.RTM_NEWLINK, 7, unix.IFF_UP|unix.IFF_BROADCAST), false, true},
		{"other interface", nlLink(unix.RTM_NEWLINK, 8, upFlags), false, false},
		{"deleted", nlLink(unix.RTM_DELLINK, 7, 0), false, false},
		{"last one counts", cat(nlLink(unix.RTM_NEWLINK, 7, 0), nlLink(unix.RTM_NEWLINK, 8, 0), nlLink(unix.RTM_NEWLINK, 7, upFlags)), true, true},
		{"truncated header", nlLink(unix.RTM_NEWLINK, 7, upFlags)[:20], false, false},
		{"length beyond the buffer", cat(nlLink(unix.RTM_NEWLINK, 7, 0), nlLink(unix.RTM_NEWLINK, 7, upFlags)[:30]), false, true},
		{"empty", nil, false, false},
	}
	for _, c := range cases {
		up, ok := linkState(c.b, 7)
		if up != c.up || ok != c.ok {
			t.Errorf("%s: up %v ok %v, want %v %v", c.name, up, ok, c.up, c.ok)
		}
	}
}

func FuzzLinkState(f *testing.F) {
	f.Add(nlLink(unix.RTM_NEWLINK, 7, unix.IFF_UP|unix.IFF_RUNNING))
	f.Add(slices.Concat(nlLink(unix.RTM_NEWLINK, 7, 0), nlLink(unix.RTM_DELLINK, 7, 0)))
	f.Add([]byte{16, 0, 0, 0, 16, 0})
	f.Fuzz(func(t *testing.T, b []byte) {
		linkState(b, 7)
	})
}
