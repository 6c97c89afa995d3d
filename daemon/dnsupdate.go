package daemon

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"

	"github.com/leased/leased/config"
	"github.com/leased/leased/control"
	"github.com/leased/leased/ddns/ncr"
	"github.com/leased/leased/dnsupdate"
)

// nameSender is where ncrService queues requests: an ncr.Sender to
// kea-dhcp-ddns, or inProcessDNS.
type nameSender interface {
	Send(reqs ...ncr.Request) error
	Stats() ncr.SenderStats
	Close() error
}

// inProcessDNS makes the DNS updates itself, with no kea-dhcp-ddns and
// no UDP hop, when the configuration holds a DhcpDdns section beside
// Dhcp4 (leased's own extension): the NameChangeRequests of the lease
// changes go straight to a dnsupdate.Updater, which records them in the
// same journal as a sender would, so that they survive a restart.
type inProcessDNS struct {
	u      *dnsupdate.Updater
	cancel context.CancelFunc
	done   chan struct{}
}

// startInProcessDNS starts updating DNS per d; pending are requests owed
// from before the restart (recorded in j, which may be nil).
func startInProcessDNS(d *config.DhcpDdns, maxQueue uint32, j *ncr.Journal, pending []ncr.Request, log *slog.Logger) (*inProcessDNS, error) {
	u, err := dnsupdate.New(d, pending, dnsupdate.Options{MaxQueueSize: int(maxQueue), Journal: j, Logger: log})
	if err != nil {
		return nil, err
	}
	ctx, cancel := context.WithCancel(context.Background())
	ip := &inProcessDNS{u: u, cancel: cancel, done: make(chan struct{})}
	go func() {
		defer close(ip.done)
		u.Run(ctx)
	}()
	return ip, nil
}

// Send queues reqs.
func (ip *inProcessDNS) Send(reqs ...ncr.Request) error { return ip.u.Send(reqs...) }

// Stats are the updater's counts in a sender's terms: a request is sent
// once DNS holds what it asks, failed when refused or dropped, queued
// while waiting or running.
func (ip *inProcessDNS) Stats() ncr.SenderStats {
	s := ip.u.Stats()
	return ncr.SenderStats{Sent: s.Completed, Failed: s.Failed + s.Dropped, Queued: s.Pending}
}

// Close stops updating; what is queued stays in the journal.
func (ip *inProcessDNS) Close() error {
	ip.cancel()
	<-ip.done
	return nil
}

// updater returns leased's own updater when it makes the DNS updates,
// else nil.
func (s *ncrService) updater() *dnsupdate.Updater {
	s.mu.Lock()
	defer s.mu.Unlock()
	if ip, ok := s.sender.(*inProcessDNS); ok {
		return ip.u
	}
	return nil
}

// cmdDdnsQueueGet lists the DNS updates waiting or running when leased
// makes them itself; when they go to kea-dhcp-ddns, how many wait to be
// sent.
func (p *process) cmdDdnsQueueGet(context.Context, json.RawMessage) control.Response {
	if u := p.ncr.updater(); u != nil {
		return dnsupdate.QueueAnswer(u.Queue())
	}
	if !p.ncr.cfg.Load().DHCPDDNS.EnableUpdates {
		return control.Answer(control.Empty, "DNS updates are off (dhcp-ddns enable-updates is false)", nil)
	}
	n := p.ncr.Stats().Queued
	return control.Answer(control.Success, fmt.Sprintf("DNS updates go to kea-dhcp-ddns; %d request(s) wait to be sent", n),
		map[string]int{"queued": n})
}
