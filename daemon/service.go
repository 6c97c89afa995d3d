package daemon

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/leased/leased/control"
	"github.com/leased/leased/ha"
)

// Origins of dhcp-disable and dhcp-enable, as Kea names them: an operator
// ("user", the default) or a high-availability partner ("ha-partner");
// and the lease database while its connection is being recovered
// ("db-connection", which no command sets or clears), and the hosts
// database likewise (shown as "db-connection" too, as Kea shows every
// database's). The service runs only while none has it disabled.
const (
	originUser = iota
	originHAPartner
	originDBConnection
	originHostsDBConnection
	numOrigins
)

// serviceState is Kea's network state: whether the DHCP service answers
// at all (dhcp-disable, dhcp-enable). The packet path reads off, one
// atomic load; commands change it under mu.
type serviceState struct {
	off atomic.Bool

	mu       sync.Mutex
	disabled [numOrigins]bool
	timer    *time.Timer // max-period of the last dhcp-disable that gave one
}

// disable stops the service for origin. With a max-period, every origin's
// disable ends after it, as Kea's delayed enable does.
func (s *serviceState) disable(origin int, maxPeriod time.Duration) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.disabled[origin] = true
	s.off.Store(true)
	if maxPeriod > 0 {
		if s.timer != nil {
			s.timer.Stop()
		}
		s.timer = time.AfterFunc(maxPeriod, s.enableAll)
	}
}

// enable ends origin's disable; the service runs again once no origin
// has it disabled.
func (s *serviceState) enable(origin int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.disabled[origin] = false
	s.update()
}

// enableAll ends every command's disable (a max-period ran out); a
// database connection being recovered keeps the service disabled.
func (s *serviceState) enableAll() {
	s.mu.Lock()
	defer s.mu.Unlock()
	db, hostsDB := s.disabled[originDBConnection], s.disabled[originHostsDBConnection]
	s.disabled = [numOrigins]bool{}
	s.disabled[originDBConnection], s.disabled[originHostsDBConnection] = db, hostsDB
	s.update()
}

// update sets off from disabled and drops a pending max-period once the
// service runs again. mu is held.
func (s *serviceState) update() {
	for _, d := range s.disabled {
		if d {
			return
		}
	}
	s.off.Store(false)
	if s.timer != nil {
		s.timer.Stop()
		s.timer = nil
	}
}

// status is the "dhcp-state" of status-get, in the keys of Kea's: whether
// the service is disabled at all, and by the operator.
func (s *serviceState) status() map[string]any {
	s.mu.Lock()
	defer s.mu.Unlock()
	return map[string]any{
		"globally-disabled":         s.off.Load(),
		"disabled-by-user":          s.disabled[originUser],
		"disabled-by-db-connection": s.disabled[originDBConnection] || s.disabled[originHostsDBConnection],
	}
}

// stop drops a pending max-period at shutdown.
func (s *serviceState) stop() {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.timer != nil {
		s.timer.Stop()
		s.timer = nil
	}
}

// cmdDhcpDisable answers dhcp-disable: {"max-period": seconds, "origin":
// "user"|"ha-partner"}, both optional. While disabled, the server drops
// every DHCP message it receives, uncounted, as Kea does.
// The texts are Kea's, including its habit of running several problems
// together.
func (p *process) cmdDhcpDisable(_ context.Context, raw json.RawMessage) control.Response {
	if ns, ok := p.fromHAPartner(ha.CmdDHCPDisable, raw); ok {
		p.ha.partnerDisable(ns.MaxPeriod)
		text := "DHCPv4 service disabled"
		if ns.MaxPeriod > 0 {
			text += fmt.Sprintf(" for %d seconds", int64(ns.MaxPeriod/time.Second))
		}
		p.log.Info(text, "origin", "ha-partner", "origin-id", ns.OriginID)
		return control.OK(text)
	}
	var msg strings.Builder
	var maxPeriod int64
	origin := originUser
	if a, ok := argsMap(raw, "dhcp-disable", &msg); ok {
		if a.Has("max-period") {
			n, err := a.Int("max-period")
			switch {
			case err != nil:
				msg.WriteString("'max-period' argument must be a number")
			case n <= 0:
				msg.WriteString("'max-period' must be positive integer")
			default:
				maxPeriod = n
			}
		}
		origin = originArg(a, &msg)
	}
	if msg.Len() > 0 {
		return control.Errorf("%s", msg.String())
	}
	p.service.disable(origin, time.Duration(maxPeriod)*time.Second)
	text := "DHCPv4 service disabled"
	if maxPeriod > 0 {
		text += fmt.Sprintf(" for %d seconds", maxPeriod)
	}
	p.log.Info(text, "origin", originName(origin))
	return control.OK(text)
}

// cmdDhcpEnable answers dhcp-enable: {"origin": "user"|"ha-partner"},
// optional.
func (p *process) cmdDhcpEnable(_ context.Context, raw json.RawMessage) control.Response {
	if ns, ok := p.fromHAPartner(ha.CmdDHCPEnable, raw); ok {
		p.ha.partnerEnable()
		p.log.Info("DHCPv4 service enabled by the HA partner", "origin", "ha-partner", "origin-id", ns.OriginID)
		return control.OK("DHCP service successfully enabled")
	}
	var msg strings.Builder
	origin := originUser
	if a, ok := argsMap(raw, "dhcp-enable", &msg); ok {
		origin = originArg(a, &msg)
	}
	if msg.Len() > 0 {
		return control.Errorf("%s", msg.String())
	}
	p.service.enable(origin)
	if p.service.off.Load() {
		p.log.Info("DHCPv4 service still disabled by another origin", "origin", originName(origin))
	} else {
		p.log.Info("DHCPv4 service enabled", "origin", originName(origin))
	}
	return control.OK("DHCP service successfully enabled")
}

// cmdLeasesReclaim answers leases-reclaim: {"remove": bool}, mandatory.
// It reclaims every expired lease now, with no batch or time limit, and
// with remove deletes them instead of holding them for their clients.
func (p *process) cmdLeasesReclaim(ctx context.Context, raw json.RawMessage) control.Response {
	var a control.Args
	if json.Unmarshal(raw, &a) != nil || a == nil {
		return control.Errorf("Missing mandatory 'remove' parameter.")
	}
	remove, err := a.Bool("remove")
	if err != nil {
		return control.Errorf("%s", err)
	}
	n, err := p.srv.ReclaimAll(ctx, remove)
	if err != nil {
		return control.Errorf("reclaiming expired leases: %v", err)
	}
	p.log.Info("expired leases reclaimed on command", "leases", n, "remove", remove)
	return control.OK("Reclamation of expired leases is complete.")
}

// argsMap decodes optional arguments that must be a map when present.
func argsMap(raw json.RawMessage, command string, msg *strings.Builder) (control.Args, bool) {
	if isAbsent(raw) {
		return nil, false
	}
	var a control.Args
	if json.Unmarshal(raw, &a) != nil || a == nil {
		fmt.Fprintf(msg, "arguments for the '%s' command must be a map", command)
		return nil, false
	}
	return a, true
}

func originArg(a control.Args, msg *strings.Builder) int {
	if !a.Has("origin") {
		return originUser
	}
	s, err := a.String("origin")
	if err != nil {
		msg.WriteString("'origin' argument must be a string")
		return originUser
	}
	switch s {
	case "user":
		return originUser
	case "ha-partner":
		return originHAPartner
	case "":
		s = "(empty string)"
	}
	fmt.Fprintf(msg, "invalid value used for 'origin' parameter: %s", s)
	return originUser
}

func originName(o int) string {
	if o == originHAPartner {
		return "ha-partner"
	}
	return "user"
}
