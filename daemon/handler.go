package daemon

import (
	"context"
	"log/slog"
	"net"
	"net/netip"

	"github.com/leased/leased/dhcpserver"
	"github.com/leased/leased/dhcpv4"
	"github.com/leased/leased/logging"
	"github.com/leased/leased/stats"
)

// handler is what the DHCP sockets call: it counts each message by type
// (pkt4-discover-received ... pkt4-unknown-received, also for the
// messages the server ignores), logs it on the packets logger when that
// logs at DEBUG level 40 or more, and passes it to the server.
//
// With packet logging off, the cost is one atomic load and a compare:
// nothing is formatted and nothing allocated (BenchmarkHandlerLogOff).
type handler struct {
	next dhcpserver.Handler
	pk   *stats.Packets
	log  *slog.Logger // leased.packets
}

func (h *handler) ServeDHCP(w dhcpserver.ResponseWriter, r *dhcpserver.Request) {
	p := r.Packet
	mt := p.MessageType()
	// pkt4-received itself is the sockets' count (metrics.syncSockets),
	// which includes the messages that could not be decoded.
	h.pk.ReceivedOfType(uint8(mt)).Add(1)
	if h.log.Enabled(context.Background(), logging.LevelPacket) {
		h.logRequest(r, mt)
		w = &loggingWriter{ResponseWriter: w, h: h, r: r}
	}
	h.next.ServeDHCP(w, r)
}

func (h *handler) logRequest(r *dhcpserver.Request, mt dhcpv4.MessageType) {
	p := r.Packet
	attrs := []slog.Attr{
		slog.String("type", mt.String()),
		slog.String("chaddr", net.HardwareAddr(p.CHAddr()).String()),
		slog.String("xid", hex32(p.XID())),
		slog.String("iface", r.IfName),
		slog.String("src", r.Src.String()),
	}
	if g := p.GIAddr(); g.IsValid() && !g.IsUnspecified() {
		attrs = append(attrs, slog.String("giaddr", g.String()))
	}
	h.log.LogAttrs(context.Background(), logging.LevelPacket, "packet received", attrs...)
}

// loggingWriter logs the reply a handler starts. It unwraps to the
// server's ResponseWriter, so that the server defers its ACKs as it does
// without logging.
type loggingWriter struct {
	dhcpserver.ResponseWriter
	h *handler
	r *dhcpserver.Request
}

func (w *loggingWriter) Reply(mt dhcpv4.MessageType) *dhcpv4.Builder {
	w.h.log.LogAttrs(context.Background(), logging.LevelPacket, "reply",
		slog.String("type", mt.String()),
		slog.String("chaddr", net.HardwareAddr(w.r.Packet.CHAddr()).String()),
		slog.String("xid", hex32(w.r.Packet.XID())))
	return w.ResponseWriter.Reply(mt)
}

func (w *loggingWriter) SetDestination(dst netip.AddrPort) { w.ResponseWriter.SetDestination(dst) }

// Unwrap lets dhcpserver.Defer reach the server's Deferrer.
func (w *loggingWriter) Unwrap() dhcpserver.ResponseWriter { return w.ResponseWriter }

func hex32(v uint32) string {
	const digits = "0123456789abcdef"
	b := []byte("0x00000000")
	for i := 9; i >= 2; i-- {
		b[i] = digits[v&0xf]
		v >>= 4
	}
	return string(b)
}
