package client

import (
	"encoding/binary"
	"errors"
	"fmt"
	"os"
	"syscall"

	"golang.org/x/sys/unix"
)

// WatchLink subscribes to the kernel's link notifications (rtnetlink
// RTMGRP_LINK) for the transport's interface. The socket is made in the
// calling goroutine's network namespace.
func (t *LinkTransport) WatchLink() (LinkWatch, error) {
	fd, err := unix.Socket(unix.AF_NETLINK, unix.SOCK_RAW|unix.SOCK_CLOEXEC|unix.SOCK_NONBLOCK, unix.NETLINK_ROUTE)
	if err != nil {
		return nil, fmt.Errorf("client: netlink socket for link events: %w", err)
	}
	if err := unix.Bind(fd, &unix.SockaddrNetlink{Family: unix.AF_NETLINK, Groups: unix.RTMGRP_LINK}); err != nil {
		unix.Close(fd)
		return nil, fmt.Errorf("client: subscribing to link events: %w", err)
	}
	// A non-blocking descriptor makes a pollable File, whose Close wakes a
	// goroutine waiting in Next.
	f := os.NewFile(uintptr(fd), "netlink-link-"+t.ifi.Name)
	rc, err := f.SyscallConn()
	if err != nil {
		f.Close()
		return nil, fmt.Errorf("client: netlink socket for link events: %w", err)
	}
	w := &linkWatch{f: f, rc: rc, index: t.ifi.Index, buf: make([]byte, 64<<10), last: -1}
	// The current state is asked for after subscribing, so that no change
	// falls between the two: the answer comes in order with the events.
	if err := w.query(); err != nil {
		f.Close()
		return nil, err
	}
	return w, nil
}

// linkWatch reads RTM_NEWLINK messages about one interface.
type linkWatch struct {
	f     *os.File
	rc    syscall.RawConn
	index int
	buf   []byte
	seq   uint32
	last  int8 // state last reported: -1 none yet, 0 down, 1 up
}

// query asks the kernel for the interface's current state; the answer is
// an RTM_NEWLINK like the notifications.
func (w *linkWatch) query() error {
	w.seq++
	body := make([]byte, unix.SizeofIfInfomsg)
	binary.NativeEndian.PutUint32(body[4:], uint32(w.index))
	msg := newNLMsg(unix.RTM_GETLINK, 0, w.seq, body).bytes()
	var serr error
	err := w.rc.Write(func(fd uintptr) bool {
		serr = unix.Sendto(int(fd), msg, 0, &unix.SockaddrNetlink{Family: unix.AF_NETLINK})
		return serr != unix.EAGAIN
	})
	if err = errors.Join(err, serr); err != nil {
		return fmt.Errorf("client: asking for the link state: %w", err)
	}
	return nil
}

// Next returns the next change of the link's state.
func (w *linkWatch) Next() (bool, error) {
	for {
		var n int
		var from unix.Sockaddr
		var rerr error
		err := w.rc.Read(func(fd uintptr) bool {
			n, from, rerr = unix.Recvfrom(int(fd), w.buf, 0)
			return rerr != unix.EAGAIN
		})
		switch {
		case err != nil:
			return false, fmt.Errorf("client: link events: %w", err)
		case errors.Is(rerr, unix.ENOBUFS):
			// The socket overflowed and notifications were lost: ask for
			// the state again.
			if err := w.query(); err != nil {
				return false, err
			}
			continue
		case rerr != nil:
			return false, fmt.Errorf("client: link events: %w", rerr)
		}
		if sa, ok := from.(*unix.SockaddrNetlink); !ok || sa.Pid != 0 {
			continue // not from the kernel
		}
		up, ok := linkState(w.buf[:n], w.index)
		if !ok || (w.last >= 0 && (w.last == 1) == up) {
			continue
		}
		w.last = 0
		if up {
			w.last = 1
		}
		return up, nil
	}
}

func (w *linkWatch) Close() error { return w.f.Close() }

// linkState reads the netlink messages in b and reports the state of
// interface index in the last RTM_NEWLINK about it: up when it is
// administratively up and has carrier (IFF_UP and IFF_RUNNING). ok is false
// when no message is about it. It stops at the first malformed message.
func linkState(b []byte, index int) (up, ok bool) {
	msgs, _ := splitNL(b)
	for _, r := range msgs {
		if r.typ != unix.RTM_NEWLINK || len(r.body) < unix.SizeofIfInfomsg {
			continue
		}
		if int(int32(binary.NativeEndian.Uint32(r.body[4:]))) == index {
			flags := binary.NativeEndian.Uint32(r.body[8:])
			up, ok = flags&unix.IFF_UP != 0 && flags&unix.IFF_RUNNING != 0, true
		}
	}
	return up, ok
}
