package daemon

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"slices"
	"sort"
	"strings"
	"sync/atomic"
	"time"

	"github.com/leased/leased/config"
	"github.com/leased/leased/config/jsonc"
	"github.com/leased/leased/control"
	"github.com/leased/leased/dhcpserver"
	"github.com/leased/leased/engine"
	"github.com/leased/leased/ha"
	"github.com/leased/leased/stats"
)

// haSet is this server's high availability: one haService per
// relationship of the libdhcp_ha.so entry. Kea 2.2 has exactly one; Kea
// 3.x's hub and spoke has several (all hot-standby), and each subnet
// names its relationship with "ha-server-name" in its user-context (or
// its shared network's): the name of any server of the relationship.
//
// With one relationship every query goes through that relationship's
// gate before the engine, as Kea's buffer4_receive decides. With several
// the decision waits for the subnet (engine.Options.SubnetSelected, Kea's
// subnet4_select): a query of a subnet that names no relationship is not
// answered. A lease change goes to the relationship of its subnet, a
// partner's command to the relationship of the server it names
// (server-name, which Kea 3.x sends), and a sync takes the partner's
// leases of that relationship's subnets only. A partner's dhcp-disable
// holds the whole server, as Kea's network state is the server's.
type haSet struct {
	all []*haService
	// byName finds the relationship of every server name (names are
	// unique across relationships).
	byName map[string]*haService
	// bySubnet is the relationship of each subnet of the configuration
	// in force (several relationships only).
	bySubnet atomic.Pointer[map[uint32]*haService]
	parked   atomic.Int64
	handlers []map[string]control.Handler // each relationship's commands
	log      *slog.Logger
}

// newHASet starts the state machines of cfg's relationships, on clock
// (nil: time.Now).
func newHASet(cfg *ha.Config, log *slog.Logger, clock func() time.Time) (*haSet, error) {
	if clock == nil {
		clock = time.Now
	}
	now := clock()
	if len(cfg.Relationships) == 0 {
		return nil, fmt.Errorf("high-availability: no relationship")
	}
	for _, p := range cfg.Ignored {
		log.Warn("high-availability parameter unknown to Kea, ignored", "parameter", p)
	}
	set := &haSet{byName: make(map[string]*haService), log: log}
	empty := map[uint32]*haService{}
	set.bySubnet.Store(&empty)
	for i, rel := range cfg.Relationships {
		l := log
		if len(cfg.Relationships) > 1 {
			l = log.With("relationship", rel.ThisServerName)
		}
		s := newHARelationship(rel, cfg.Dialect, i, &set.parked, l, now)
		s.clock = clock
		if len(cfg.Relationships) > 1 {
			s.owns = func(id uint32) bool { return (*set.bySubnet.Load())[id] == s }
		}
		set.all = append(set.all, s)
		set.handlers = append(set.handlers, s.commands())
		for _, p := range rel.Peers {
			set.byName[p.Name] = s
		}
	}
	return set, nil
}

// multi says the server has several relationships.
func (set *haSet) multi() bool { return len(set.all) > 1 }

// gate is the packet path's gate before the engine: the relationship's
// with one, none with several (see admitSubnet).
func (set *haSet) gate() *haGate {
	if set.multi() {
		return nil
	}
	return set.all[0].gate
}

// engineHooks are the engine's Options.Classes and SubnetSelected.
func (set *haSet) engineHooks() (classes func(*dhcpserver.Request, engine.ClassAdder), subnet func(*dhcpserver.Request, *config.Subnet, engine.ClassAdder) bool) {
	if set.multi() {
		return nil, set.admitSubnet
	}
	return set.all[0].gate.addClasses, nil
}

// admitSubnet is Kea's subnet4_select callout with several
// relationships: the query gets its relationship's HA_<server> class and
// is answered if that relationship's state machine lets this server.
func (set *haSet) admitSubnet(r *dhcpserver.Request, sn *config.Subnet, c engine.ClassAdder) bool {
	s := (*set.bySubnet.Load())[sn.ID]
	if s == nil {
		return false
	}
	s.gate.addClasses(r, c)
	return s.gate.admits(r.Packet)
}

// configure maps cfg's subnets to their relationships. A subnet that
// names no relationship, or one this server is not in, is logged: Kea
// drops its queries.
func (set *haSet) configure(cfg *config.Config) {
	if !set.multi() {
		return
	}
	m := make(map[uint32]*haService)
	for _, sn := range cfg.Subnets {
		name := haServerName(sn.UserContext)
		if name == "" && sn.Network != nil {
			name = haServerName(sn.Network.UserContext)
		}
		s := set.byName[name]
		if s == nil {
			set.log.Error("high availability: a subnet names no relationship of this server in its user-context's ha-server-name; its clients get no answer",
				"subnet-id", sn.ID, "subnet", sn.Prefix.String(), "ha-server-name", name, "servers", set.names())
			continue
		}
		m[sn.ID] = s
	}
	set.bySubnet.Store(&m)
}

func (set *haSet) names() string {
	var n []string
	for name := range set.byName {
		n = append(n, name)
	}
	sort.Strings(n)
	return strings.Join(n, ", ")
}

// haServerName is the "ha-server-name" of a user-context, "" without one
// (or when it is no string, which Kea refuses too).
func haServerName(uc *jsonc.Value) string {
	v := uc.Get("ha-server-name")
	if v == nil || v.Kind() != jsonc.String {
		return ""
	}
	return strings.TrimSpace(v.Str())
}

// route finds the relationship a partner's (or operator's) command is
// for: the one of the server its "server-name" names, the first without
// one (as Kea 3.x picks its default relationship).
func (set *haSet) route(command string, raw json.RawMessage) (int, error) {
	if !set.multi() {
		return 0, nil
	}
	var a struct {
		ServerName string `json:"server-name"`
	}
	if len(raw) > 0 {
		if err := json.Unmarshal(raw, &a); err != nil {
			return 0, fmt.Errorf("%s: arguments: %w", command, err)
		}
	}
	if a.ServerName == "" {
		return 0, nil
	}
	s := set.byName[a.ServerName]
	if s == nil {
		return 0, fmt.Errorf("%s: server-name %q is no server of this server's relationships (%s)", command, a.ServerName, set.names())
	}
	return slices.Index(set.all, s), nil
}

// commands are the HA commands, each handed to its relationship.
func (set *haSet) commands() map[string]control.Handler {
	out := make(map[string]control.Handler)
	for name := range set.handlers[0] {
		if set.multi() && (name == ha.CmdMaintenanceStart || name == ha.CmdMaintenanceCancel) {
			out[name] = set.everyRelationship(name)
			continue
		}
		out[name] = func(ctx context.Context, raw json.RawMessage) control.Response {
			i, err := set.route(name, raw)
			if err != nil {
				return control.Errorf("%v", err)
			}
			r := set.handlers[i][name](ctx, raw)
			if name == ha.CmdSyncCompleteNotify && r.Result == control.Success {
				// The partner's dhcp-disable held every relationship
				// (partnerDisable): its end of the sync lifts it on
				// the others too, as it enables Kea's one network state.
				for j, s := range set.all {
					if j != i {
						s.partnerEnable()
					}
				}
			}
			return r
		}
	}
	return out
}

// everyRelationship runs an operator's maintenance command in every
// relationship, as Kea 3.x does: ha-maintenance-start stops at the first
// relationship that refuses, ha-maintenance-cancel goes through them
// all; the answer is the last one's.
func (set *haSet) everyRelationship(name string) control.Handler {
	return func(ctx context.Context, raw json.RawMessage) control.Response {
		var r control.Response
		for i := range set.all {
			r = set.handlers[i][name](ctx, raw)
			if name == ha.CmdMaintenanceStart && r.Result != control.Success {
				break
			}
		}
		return r
	}
}

// status is status-get's "high-availability" list: one element per
// relationship.
func (set *haSet) status() []ha.Status {
	var out []ha.Status
	for _, s := range set.all {
		out = append(out, s.status()...)
	}
	return out
}

// partnerDisable and partnerEnable carry out a partner's dhcp-disable
// and dhcp-enable: Kea's network state is the whole server's.
func (set *haSet) partnerDisable(maxPeriod time.Duration) {
	for _, s := range set.all {
		s.partnerDisable(maxPeriod)
	}
}

func (set *haSet) partnerEnable() {
	for _, s := range set.all {
		s.partnerEnable()
	}
}

// step runs every state machine's handler.
func (set *haSet) step() {
	for _, s := range set.all {
		s.step()
	}
}

// setParking sets parked-packet-limit (one limit for the whole server, as
// Kea has one parking lot) and the counter of the replies it drops.
func (set *haSet) setParking(limit uint32, full *stats.Counter) {
	for _, s := range set.all {
		s.parkLimit.Store(limit)
		if full != nil {
			s.queueFull = full
		}
	}
}

// start starts every relationship's driver; stop ends them.
func (set *haSet) start(leases haLeases) error {
	for i, s := range set.all {
		if err := s.start(leases); err != nil {
			for _, started := range set.all[:i] {
				started.stop()
			}
			return err
		}
	}
	return nil
}

func (set *haSet) stop() {
	for _, s := range set.all {
		s.stop()
	}
}

// Replicate is the engine's Replicator: each client's lease changes go
// to the relationship of their subnet.
func (set *haSet) Replicate(batch []*engine.Replication) {
	if !set.multi() {
		set.all[0].Replicate(batch)
		return
	}
	bySubnet := *set.bySubnet.Load()
	groups := make(map[*haService][]*engine.Replication)
	for _, r := range batch {
		s := bySubnet[replicationSubnet(r)]
		if s == nil {
			// Its subnet was turned down at selection; a reload may
			// have moved it since. Nobody is told: no reply either.
			r.Done(false)
			continue
		}
		groups[s] = append(groups[s], r)
	}
	for s, g := range groups {
		s.Replicate(g)
	}
}

// replicationSubnet is the subnet of a client's lease changes.
func replicationSubnet(r *engine.Replication) uint32 {
	for _, c := range r.Changes {
		if c.New != nil {
			return c.New.SubnetID
		}
		if c.Old != nil {
			return c.Old.SubnetID
		}
	}
	return 0
}
