package daemon

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"math"
	"net/netip"
	"slices"
	"time"

	"github.com/leased/leased/config"
	"github.com/leased/leased/control"
	"github.com/leased/leased/hosts"
	hostspgsql "github.com/leased/leased/hosts/pgsql"
	"github.com/leased/leased/hosts/sqlhosts"
	"github.com/leased/leased/lease/mysql"
	"github.com/leased/leased/lease/pgsql"
	"github.com/leased/leased/stats"
)

// hostsRef holds the hosts database in force (nil store: none): the
// store the commands use, the guard the engine asks, and the recovery of
// its lost connections, ended by stop.
type hostsRef struct {
	store hosts.Store
	guard *hostsGuard
	stop  func()
}

// Statistics of the hosts database's failures. Kea has no statistic of
// its own for them, so these are leased's.
const (
	// statHostsDrop counts the messages dropped because the hosts
	// database could not be asked for the client's reservation; each is
	// counted in pkt4-receive-drop too.
	statHostsDrop = "pkt4-hosts-database-drop"
	// statHostsSkip counts the addresses not offered because the hosts
	// database could not say whether they are reserved for another
	// client.
	statHostsSkip = "v4-hosts-database-address-skip"
)

// hostsGuard is the hosts database as the engine asks it. The engine
// drops a message whose reservation lookup (Find) fails and skips an
// address whose lookup (ByAddress) fails, so that a reservation is never
// ignored because the database cannot be read; the guard counts both and
// reports a lost connection to the recovery.
type hostsGuard struct {
	hosts.Store
	// lost reports whether err is a lost connection, not a row the
	// database holds that cannot be read.
	lost   func(error) bool
	onLost func(error)
	pk     *stats.Packets
	drops  *stats.Counter
	skips  *stats.Counter
}

func (g *hostsGuard) failed(err error) {
	if g.lost(err) {
		g.onLost(err)
	}
}

// Find is the store's Find; a failure is a dropped message.
func (g *hostsGuard) Find(ctx context.Context, cfg *config.Config, subnets []uint32, ids []hosts.Identifier) ([]*config.Host, error) {
	hs, err := g.Store.Find(ctx, cfg, subnets, ids)
	if err != nil {
		g.pk.Drop(g.drops)
		g.failed(err)
	}
	return hs, err
}

// ByAddress is the store's ByAddress; a failure is an address skipped.
func (g *hostsGuard) ByAddress(ctx context.Context, cfg *config.Config, subnets []uint32, a netip.Addr) ([]*config.Host, error) {
	hs, err := g.Store.ByAddress(ctx, cfg, subnets, a)
	if err != nil {
		if g.skips != nil {
			g.skips.Add(1)
		}
		g.failed(err)
	}
	return hs, err
}

// hostsConnectionLost reports whether err, from a hosts database of type
// typ, is a lost connection: what the driver says, except a row that
// was read but cannot be a reservation (sqlhosts.DataError), which no
// reconnection mends.
func hostsConnectionLost(typ string, err error) bool {
	var de *sqlhosts.DataError
	if err == nil || errors.As(err, &de) || errors.Is(err, hosts.ErrExists) || errors.Is(err, hosts.ErrReadOnly) {
		return false
	}
	if typ == "mysql" {
		return mysql.ConnectionLost(err)
	}
	return pgsql.ConnectionLost(err)
}

// openHosts opens the hosts database of cfg, nil when it has none. Kea's
// defaults apply: host localhost, connect-timeout 5 s; the password comes
// from password-file (its first line) when that is given. When serving,
// with retry-on-startup and reconnection configured (max-reconnect-tries
// and reconnect-wait-time not 0), a database that cannot be reached is
// tried again every reconnect-wait-time before the server serves, as the
// lease database is; -T and a reload report it at once.
func openHosts(ctx context.Context, cfg *config.Config, log *slog.Logger, serving bool) (hosts.Store, error) {
	switch len(cfg.HostsDatabases) {
	case 0:
		return nil, nil
	case 1:
	default:
		return nil, fmt.Errorf("hosts-databases lists %d databases; leased reads reservations from one", len(cfg.HostsDatabases))
	}
	db := cfg.HostsDatabases[0]
	return openRetrying(ctx, log, "hosts", db.Database, serving,
		func() (hosts.Store, error) { return openHostsOnce(ctx, db) },
		func(err error) bool { return hostsConnectionLost(db.Type, err) })
}

func openHostsOnce(ctx context.Context, db config.HostsDatabase) (hosts.Store, error) {
	if db.Type == "mysql" {
		return openMysqlHosts(ctx, db)
	}
	o := hostspgsql.Options{
		Host: db.Host, Port: db.Port, Name: db.Name, User: db.User, Password: db.Password.Reveal(),
		ConnectTimeout: time.Duration(db.ConnectTimeout) * time.Second, ReadOnly: db.ReadOnly,
		SSLMode: db.SSLMode, TrustAnchor: db.TrustAnchor, CertFile: db.CertFile, KeyFile: db.KeyFile,
	}
	if o.Host == "" {
		o.Host = "localhost"
	}
	if o.ConnectTimeout == 0 {
		o.ConnectTimeout = 5 * time.Second
	}
	if db.PasswordFile != "" {
		pw, err := passwordFile("hosts-database", db.PasswordFile)
		if err != nil {
			return nil, err
		}
		o.Password = pw
	}
	s, err := hostspgsql.Open(ctx, o)
	if err != nil {
		return nil, err
	}
	return s, nil
}

// sameHostsDatabases reports whether a reload keeps the hosts database.
func sameHostsDatabases(a, b *config.Config) bool {
	return slices.EqualFunc(a.HostsDatabases, b.HostsDatabases, func(x, y config.HostsDatabase) bool {
		x.Pos, y.Pos = config.Pos{}, config.Pos{}
		return x == y
	})
}

// hostsStore returns the hosts database in force, nil when none.
func (p *process) hostsStore() hosts.Store {
	if r := p.hosts.Load(); r != nil {
		return r.store
	}
	return nil
}

// setHosts puts s, the hosts database of cfg, in force for the engine
// and the commands, with Kea's handling of its lost connections (on-fail,
// max-reconnect-tries, reconnect-wait-time; see dbRecovery): with
// stop-retry-exit the service is disabled while reconnecting; with the
// serve-retry modes it serves, and every message that needs the
// database is dropped until it answers (the engine's own rule), so that
// no client gets an address reserved for another, nor loses its own
// reservation. It returns the store it replaces, whose recovery has
// ended (and with it any disable of the service it made).
func (p *process) setHosts(cfg *config.Config, s hosts.Store) hosts.Store {
	old := p.hosts.Load()
	ref := &hostsRef{store: s}
	if s != nil {
		db := cfg.HostsDatabases[0]
		// The exit is asked for without waiting: a reload that replaces
		// this database runs on the loop and waits for this recovery to
		// end (stop).
		rec := newDBRecovery(db.Database, &p.service, p.log, func() {
			go p.onLoop(context.Background(), func() control.Response {
				p.exit, p.quit = 1, true
				return control.OK("")
			})
		})
		rec.origin, rec.what = originHostsDBConnection, "hosts database"
		rec.meanwhile = "every message that needs a reservation lookup is dropped until the database answers"
		rec.ping = s.Ping
		ref.guard = &hostsGuard{Store: s, onLost: rec.onLost, pk: p.metrics.pk,
			lost:  func(err error) bool { return hostsConnectionLost(db.Type, err) },
			drops: p.hostsCounter(statHostsDrop), skips: p.hostsCounter(statHostsSkip)}
		ctx, cancel := context.WithCancel(context.Background())
		done := make(chan struct{})
		go func() { rec.run(ctx); close(done) }()
		ref.stop = func() {
			cancel()
			<-done
			p.service.enable(originHostsDBConnection)
		}
	}
	p.hosts.Store(ref)
	if ref.guard != nil {
		p.srv.SetHosts(ref.guard)
	} else {
		p.srv.SetHosts(nil)
	}
	if old == nil {
		return nil
	}
	if old.stop != nil {
		old.stop()
	}
	return old.store
}

// hostsCounter is the statistic name, created at 0 the first time; nil
// (not counted) when a statistic of another kind has the name.
func (p *process) hostsCounter(name string) *stats.Counter {
	c, err := p.stats.Counter(name)
	if err != nil {
		p.log.Error("hosts database statistic not kept", "statistic", name, "error", err)
		return nil
	}
	return c
}

// hostCommands are Kea's host_cmds commands (free since Kea 3.0) on the
// configuration's reservations and the hosts database: reservations are
// added to and deleted from the database, read from both.
func (p *process) hostCommands() map[string]control.Handler {
	return map[string]control.Handler{
		"reservation-add":      p.cmdReservationAdd,
		"reservation-get":      p.cmdReservationGet,
		"reservation-get-all":  p.cmdReservationGetAll,
		"reservation-get-page": p.cmdReservationGetPage,
		"reservation-del":      p.cmdReservationDel,
	}
}

// operationTarget reads operation-target: memory (the configuration),
// database, all, or default (absent), which is each command's own.
func operationTarget(a control.Args, def string) (string, error) {
	if !a.Has("operation-target") {
		return def, nil
	}
	t, err := a.String("operation-target")
	if err != nil {
		return "", err
	}
	switch t {
	case "memory", "database", "all":
		return t, nil
	case "default":
		return def, nil
	}
	return "", fmt.Errorf("The 'operation-target' value (%s) is not within expected set: (memory, database, all, default)", t)
}

func (p *process) cmdReservationAdd(ctx context.Context, raw json.RawMessage) control.Response {
	a, err := control.RequireArgs("reservation-add", raw)
	if err != nil {
		return control.Errorf("%v", err)
	}
	target, err := operationTarget(a, "database")
	if err != nil {
		return control.Errorf("%v", err)
	}
	res, ok := a["reservation"]
	if !ok {
		return control.Errorf("reservation must be specified")
	}
	cfg := p.srv.Config()
	h, err := cfg.ParseReservation(res)
	if err != nil {
		return control.Errorf("%v", err)
	}
	if target == "memory" {
		return control.Errorf("reservations in the configuration cannot be changed by command; add it to the file, or to the hosts database (operation-target \"database\")")
	}
	s := p.hostsStore()
	if s == nil {
		return control.Errorf("Host database not available, cannot add host.")
	}
	if err := s.Add(ctx, h); err != nil {
		return control.Errorf("%v", err)
	}
	p.log.Info("reservation added by command", "subnet-id", h.SubnetID, h.IDType.String(), hosts.FormatID(h.Identifier), "ip-address", h.Address)
	msg := "Host added."
	var keys map[string]json.RawMessage
	if json.Unmarshal(res, &keys) == nil && keys["subnet-id"] == nil {
		msg += " subnet-id not specified, assumed global (subnet-id 0)."
	}
	return control.OK(msg)
}

// hostKey is what reservation-get and reservation-del name: a subnet and
// either an address or an identifier.
type hostKey struct {
	subnet uint32
	addr   netip.Addr
	id     hosts.Identifier
}

func parseHostKey(command string, raw json.RawMessage) (hostKey, control.Args, error) {
	var k hostKey
	a, err := control.RequireArgs(command, raw)
	if err != nil {
		return k, nil, err
	}
	if k.subnet, err = requiredUint32(a, "subnet-id"); err != nil {
		return k, nil, err
	}
	if a.Has("ip-address") {
		s, err := a.String("ip-address")
		if err != nil {
			return k, nil, errors.New("'ip-address' is not a string.")
		}
		if k.addr, err = netip.ParseAddr(s); err != nil || !k.addr.Is4() {
			return k, nil, fmt.Errorf("Failed to parse IP address %s", s)
		}
		return k, a, nil
	}
	typ, err1 := a.String("identifier-type")
	val, err2 := a.String("identifier")
	switch {
	case err1 != nil:
		return k, nil, errors.New("No 'ip-address' provided and 'identifier-type' is either missing or not a string.")
	case err2 != nil:
		return k, nil, errors.New("No 'ip-address' provided and 'identifier' is either missing or not a string.")
	}
	t, id, err := config.ParseIdentifier(typ, val)
	if err != nil {
		return k, nil, err
	}
	k.id = hosts.Identifier{Type: t, Value: id}
	return k, a, nil
}

// requiredUint32 reads the host commands' mandatory integer key, with
// Kea's text when it is absent.
func requiredUint32(a control.Args, key string) (uint32, error) {
	if !a.Has(key) {
		return 0, fmt.Errorf("missing parameter '%s'", key)
	}
	return a.Uint32(key)
}

// lookup finds the reservation k names in the configuration (memory) or
// the database.
func (p *process) lookup(ctx context.Context, cfg *config.Config, k hostKey, target string) (*config.Host, error) {
	if target != "database" {
		var h *config.Host
		if k.addr.IsValid() {
			h = cfg.ReservationByAddress(k.subnet, k.addr)
		} else {
			h = cfg.Reservation(k.subnet, k.id.Type, k.id.Value)
		}
		if h != nil || target == "memory" {
			return h, nil
		}
	}
	s := p.hostsStore()
	if s == nil {
		return nil, nil
	}
	var found []*config.Host
	var err error
	if k.addr.IsValid() {
		found, err = s.ByAddress(ctx, cfg, []uint32{k.subnet}, k.addr)
	} else {
		found, err = s.Find(ctx, cfg, []uint32{k.subnet}, []hosts.Identifier{k.id})
	}
	if err != nil || len(found) == 0 {
		return nil, err
	}
	return found[0], nil
}

func (p *process) cmdReservationGet(ctx context.Context, raw json.RawMessage) control.Response {
	k, a, err := parseHostKey("reservation-get", raw)
	if err != nil {
		return control.Errorf("%v", err)
	}
	target, err := operationTarget(a, "all")
	if err != nil {
		return control.Errorf("%v", err)
	}
	cfg := p.srv.Config()
	h, err := p.lookup(ctx, cfg, k, target)
	if err != nil {
		return control.Errorf("%v", err)
	}
	if h == nil {
		return control.Answer(control.Empty, "Host not found.", nil)
	}
	return control.Answer(control.Success, "Host found.", hosts.JSON(cfg, h))
}

func (p *process) cmdReservationDel(ctx context.Context, raw json.RawMessage) control.Response {
	k, a, err := parseHostKey("reservation-del", raw)
	if err != nil {
		return control.Errorf("%v", err)
	}
	target, err := operationTarget(a, "database")
	if err != nil {
		return control.Errorf("%v", err)
	}
	if target == "memory" {
		return control.Errorf("reservations in the configuration cannot be changed by command; remove it from the file")
	}
	s := p.hostsStore()
	if s == nil {
		return control.Errorf("Host database not available, cannot delete host.")
	}
	var deleted bool
	if k.addr.IsValid() {
		deleted, err = s.DeleteAddress(ctx, k.subnet, k.addr)
	} else {
		deleted, err = s.Delete(ctx, k.subnet, k.id)
	}
	if err != nil {
		return control.Errorf("%v", err)
	}
	if !deleted {
		return control.Answer(control.Empty, "Host not deleted (not found).", nil)
	}
	p.log.Info("reservation deleted by command", "subnet-id", k.subnet)
	return control.OK("Host deleted.")
}

// checkSubnet refuses a subnet id the configuration does not have (0, the
// global scope, always exists).
func checkSubnet(cfg *config.Config, id uint32) error {
	if id != 0 && cfg.SubnetByID(id) == nil {
		return fmt.Errorf("IPv4 subnet with ID of '%d' is not configured", id)
	}
	return nil
}

// fileHosts are the configuration's reservations of a subnet, or of all
// (the global ones first), in the order of the file.
func fileHosts(cfg *config.Config, subnetID uint32, all bool) []*config.Host {
	if !all {
		if subnetID == 0 {
			return cfg.GlobalReservations
		}
		return cfg.SubnetByID(subnetID).Reservations
	}
	out := append([]*config.Host(nil), cfg.GlobalReservations...)
	for _, s := range cfg.Subnets {
		out = append(out, s.Reservations...)
	}
	return out
}

func hostsAnswer(cfg *config.Config, hs []*config.Host) control.Response {
	list := make([]map[string]any, len(hs))
	for i, h := range hs {
		list[i] = hosts.JSON(cfg, h)
	}
	result := control.Success
	if len(hs) == 0 {
		result = control.Empty
	}
	return control.Answer(result, fmt.Sprintf("%d IPv4 host(s) found.", len(hs)), map[string]any{"hosts": list})
}

func (p *process) cmdReservationGetAll(ctx context.Context, raw json.RawMessage) control.Response {
	a, err := control.RequireArgs("reservation-get-all", raw)
	if err != nil {
		return control.Errorf("%v", err)
	}
	id, err := requiredUint32(a, "subnet-id")
	if err != nil {
		return control.Errorf("%v", err)
	}
	target, err := operationTarget(a, "all")
	if err != nil {
		return control.Errorf("%v", err)
	}
	cfg := p.srv.Config()
	if err := checkSubnet(cfg, id); err != nil {
		return control.Errorf("%v", err)
	}
	var out []*config.Host
	if target != "database" {
		out = append(out, fileHosts(cfg, id, false)...)
	}
	if s := p.hostsStore(); s != nil && target != "memory" {
		var after uint64
		for {
			page, err := s.Page(ctx, cfg, id, false, after, 1000)
			if err != nil {
				return control.Errorf("%v", err)
			}
			if len(page) == 0 {
				break
			}
			for _, e := range page {
				out = append(out, e.Host)
			}
			after = page[len(page)-1].ID
		}
	}
	return hostsAnswer(cfg, out)
}

// cmdReservationGetPage pages as Kea's host manager does: source 0 is the
// configuration, whose reservations are numbered from 1 in file order,
// source 1 the hosts database, numbered by host_id; "from" is the last
// number of the previous page, and when a source is exhausted the next
// one is read from its start.
func (p *process) cmdReservationGetPage(ctx context.Context, raw json.RawMessage) control.Response {
	a, err := control.RequireArgs("reservation-get-page", raw)
	if err != nil {
		return control.Errorf("%v", err)
	}
	limit, err := requiredUint32(a, "limit")
	if err != nil {
		return control.Errorf("%v", err)
	}
	if limit == 0 {
		return control.Errorf("'limit' parameter must be greater than 0")
	}
	all := !a.Has("subnet-id")
	var subnetID uint32
	if !all {
		if subnetID, err = a.Uint32("subnet-id"); err != nil {
			return control.Errorf("%v", err)
		}
	}
	var source, from int64
	if a.Has("source-index") {
		if source, err = a.Int("source-index"); err != nil || source < 0 || source > 10 {
			return control.Errorf("'source-index' must be an integer from 0 to 10")
		}
	}
	if a.Has("from") {
		if from, err = a.Int("from"); err != nil || from < 0 {
			return control.Errorf("'from' must be a non-negative integer")
		}
	}
	cfg := p.srv.Config()
	if !all {
		if err := checkSubnet(cfg, subnetID); err != nil {
			return control.Errorf("%v", err)
		}
	}
	store := p.hostsStore()
	var page []hosts.Entry
	for {
		switch {
		case source == 0:
			file := fileHosts(cfg, subnetID, all)
			for i := int(min(from, math.MaxInt32)); i < len(file) && len(page) < int(limit); i++ {
				page = append(page, hosts.Entry{ID: uint64(i + 1), Host: file[i]})
			}
		case source == 1 && store != nil:
			if page, err = store.Page(ctx, cfg, subnetID, all, uint64(from), int(limit)); err != nil {
				return control.Errorf("%v", err)
			}
		default:
			return pageAnswer(cfg, source, nil)
		}
		if len(page) > 0 || source >= 1 || store == nil {
			return pageAnswer(cfg, source, page)
		}
		source, from = source+1, 0
	}
}

func pageAnswer(cfg *config.Config, source int64, page []hosts.Entry) control.Response {
	list := make([]map[string]any, len(page))
	for i, e := range page {
		list[i] = hosts.JSON(cfg, e.Host)
	}
	args := map[string]any{"hosts": list, "count": len(page)}
	result := control.Empty
	if len(page) > 0 {
		result = control.Success
		args["next"] = map[string]any{"from": page[len(page)-1].ID, "source-index": source}
	}
	return control.Answer(result, fmt.Sprintf("%d IPv4 host(s) found.", len(page)), args)
}
