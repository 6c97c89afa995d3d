package dnsupdate

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"time"

	"github.com/miekg/dns"
)

// triesPerServer is how often one step is sent to a server that does not
// answer before the next server is tried (Kea's
// MAX_UPDATE_TRIES_PER_SERVER).
const triesPerServer = 3

// errNoAnswer is a step that no server answered: every attempt timed out
// or could not be sent. The request is kept and tried again later.
var errNoAnswer = errors.New("no DNS server answered")

// errBadAnswer is a step whose answers were all unusable: not an answer
// to the update, or failing TSIG verification.
var errBadAnswer = errors.New("no usable answer from the DNS servers")

// attempt sends msg once to s over UDP and returns the answer's rcode.
// The error says whether the server was silent (a net.Error timeout, or
// I/O) or answered with something unusable (wrapping errBadAnswer).
func (u *Updater) attempt(ctx context.Context, s server, msg *dns.Msg, timeout time.Duration) (int, error) {
	return u.exchange(ctx, s, msg, false, timeout)
}

// exchange sends msg once to s, over TCP when tcp is set (a merged
// message too large for UDP), else over UDP, and returns the answer's
// rcode, as attempt.
func (u *Updater) exchange(ctx context.Context, s server, msg *dns.Msg, tcp bool, timeout time.Duration) (int, error) {
	msg.Id = dns.Id()
	var wire []byte
	var reqMAC string
	var err error
	if s.key != nil {
		msg.SetTsig(s.key.Name, s.key.Algorithm, 300, time.Now().Unix())
		// TsigGenerateWithProvider takes the TSIG record back out of
		// msg, so that the next attempt signs afresh.
		wire, reqMAC, err = dns.TsigGenerateWithProvider(msg, s.key, "", false)
	} else {
		wire, err = msg.Pack()
	}
	if err != nil {
		return 0, fmt.Errorf("%w: building the update: %v", errBadAnswer, err)
	}
	network := "udp"
	if tcp {
		if len(wire) > dns.MaxMsgSize {
			return 0, fmt.Errorf("%w: building the update: %d bytes, more than a DNS message holds", errBadAnswer, len(wire))
		}
		network = "tcp"
	}
	var conn net.Conn
	if tcp {
		d := net.Dialer{Deadline: time.Now().Add(timeout)}
		conn, err = d.DialContext(ctx, network, s.addr.String())
	} else {
		conn, err = net.DialUDP(network, nil, net.UDPAddrFromAddrPort(s.addr))
	}
	if err != nil {
		return 0, fmt.Errorf("DNS server %v (%s): %w", s.addr, network, err)
	}
	defer conn.Close()
	stop := context.AfterFunc(ctx, func() { conn.SetDeadline(time.Unix(1, 0)) })
	defer stop()
	conn.SetDeadline(time.Now().Add(timeout))
	u.stats.sent.Add(1)
	if s.key != nil {
		u.stats.signed.Add(1)
	} else {
		u.stats.unsigned.Add(1)
	}
	if tcp {
		u.stats.tcp.Add(1)
		// RFC 1035 4.2.2: each message prefixed with its length.
		wire = append([]byte{byte(len(wire) >> 8), byte(len(wire))}, wire...)
	}
	if _, err := conn.Write(wire); err != nil {
		return 0, fmt.Errorf("DNS server %v (%s): %w", s.addr, network, err)
	}
	bp, _ := u.bufs.Get().(*[]byte)
	if bp == nil {
		b := make([]byte, dns.MaxMsgSize)
		bp = &b
	}
	defer u.bufs.Put(bp)
	buf := *bp
	for {
		var n int
		if tcp {
			n, err = readTCP(conn, buf)
		} else {
			n, err = conn.Read(buf)
		}
		if err != nil {
			return 0, fmt.Errorf("DNS server %v (%s): %w", s.addr, network, err)
		}
		rcode, err := checkAnswer(buf[:n], msg.Id, s.key, reqMAC)
		if errors.Is(err, errOtherID) {
			// A late answer to an earlier attempt, or noise: keep
			// waiting for ours.
			continue
		}
		if err != nil {
			return 0, fmt.Errorf("DNS server %v (%s): %w", s.addr, network, err)
		}
		return rcode, nil
	}
}

// readTCP reads one length-prefixed DNS message from c into buf (of
// dns.MaxMsgSize bytes) and returns its length.
func readTCP(c net.Conn, buf []byte) (int, error) {
	if _, err := io.ReadFull(c, buf[:2]); err != nil {
		return 0, err
	}
	n := int(buf[0])<<8 | int(buf[1])
	if _, err := io.ReadFull(c, buf[:n]); err != nil {
		return 0, err
	}
	return n, nil
}

var errOtherID = errors.New("answer to another message")

// checkAnswer decodes an answer to the update with ID id and checks its
// TSIG against key (nil: the update was not signed). It returns the
// rcode, extended by the OPT record's bits.
func checkAnswer(b []byte, id uint16, key *Key, reqMAC string) (int, error) {
	var m dns.Msg
	if err := m.Unpack(b); err != nil {
		if len(b) >= 2 && uint16(b[0])<<8|uint16(b[1]) != id {
			return 0, errOtherID
		}
		return 0, fmt.Errorf("%w: the answer does not decode: %v", errBadAnswer, err)
	}
	if m.Id != id {
		return 0, errOtherID
	}
	if !m.Response || m.Opcode != dns.OpcodeUpdate {
		return 0, fmt.Errorf("%w: not an answer to an UPDATE (opcode %s)", errBadAnswer, dns.OpcodeToString[m.Opcode])
	}
	if key != nil {
		t := m.IsTsig()
		if t == nil {
			return 0, fmt.Errorf("%w: the answer to a signed update is not signed (rcode %s)", errBadAnswer, dns.RcodeToString[m.Rcode])
		}
		if t.Error != dns.RcodeSuccess {
			return 0, fmt.Errorf("%w: the server refused the key %s: %s", errBadAnswer, key.Name, dns.RcodeToString[int(t.Error)])
		}
		if err := dns.TsigVerifyWithProvider(b, key, reqMAC, false); err != nil {
			return 0, fmt.Errorf("%w: the answer's TSIG does not verify with key %s: %v", errBadAnswer, key.Name, err)
		}
	}
	return m.Rcode, nil
}
