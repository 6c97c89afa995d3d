package manager

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"net"
	"path/filepath"
	"sync"
	"time"

	"github.com/leased/leased/client"
	"github.com/leased/leased/client/leasefile"
	"github.com/leased/leased/client6"
	"github.com/leased/leased/dhcpv4"
)

// instance is the client of one interface and its supervision record.
// Its configuration never changes: a reload that changes it replaces the
// instance.
type instance struct {
	cfg    InterfaceConfig
	dir    *leasefile.Dir
	log    *slog.Logger // with the interface name
	base   *slog.Logger // without: the client adds it
	bootID [16]byte

	cancel context.CancelFunc // ends the supervision; set by launch
	done   chan struct{}      // closed when the supervision ended

	mu          sync.Mutex
	c           *client.Client
	runs        int
	failures    int
	lastErr     string
	lastFailure time.Time
	nextRestart time.Time
	// The DHCPv6 client, supervised on its own.
	c6  *client6.Client
	sv6 supervision
}

// supervision is the record of a supervised client's runs and failures.
type supervision struct {
	runs        int
	failures    int
	lastErr     string
	lastFailure time.Time
	nextRestart time.Time
}

// run4 looks the interface up, loads the stored lease and runs a DHCPv4
// client until ctx ends or the client fails.
func (in *instance) run4(ctx context.Context) error {
	name := in.cfg.Name
	ifi, err := net.InterfaceByName(name)
	if err != nil {
		return fmt.Errorf("interface %s: %w", name, err)
	}
	tr, err := client.NewLinkTransport(name)
	if err != nil {
		return err
	}
	hw := tr.HardwareAddr()
	clientID := in.cfg.clientID(hw)
	cc := client.Config{
		Interface:            name,
		HardwareAddr:         hw,
		ClientID:             clientID,
		HostName:             in.cfg.HostName,
		FQDN:                 in.cfg.FQDN,
		VendorClass:          in.cfg.VendorClass,
		RequestedLeaseTime:   in.cfg.RequestedLeaseTime,
		ParameterRequestList: in.cfg.ParameterRequestList,
		BroadcastFlag:        in.cfg.BroadcastFlag,
		InitDelay:            in.cfg.InitDelay,
		// Not ReleaseOnStop: the manager releases before it stops the
		// client when it should, since a restart must not.
		Transport: tr,
		Store:     &leasefile.Store{Dir: in.dir, Interface: name, HardwareAddr: hw, BootID: in.bootID},
		Logger:    in.base,
		Resume:    in.storedLease(ifi, clientID),
	}
	if in.cfg.FQDNServerUpdate {
		cc.FQDNFlags = dhcpv4.FQDNServerUpdates
	}
	if actions := in.actions(); len(actions) > 0 {
		cc.Action = actions
	}
	if in.cfg.ARPProbe {
		p, err := client.NewARPProber(name, client.ProbeTiming{})
		if err != nil {
			return err
		}
		defer p.Close()
		cc.Prober = p
	}
	c, err := client.New(cc)
	if err != nil {
		return err
	}
	in.mu.Lock()
	in.c = c
	in.mu.Unlock()
	err = c.Run(ctx)
	if ctx.Err() == nil {
		// Keep the stopped client for status until the next run replaces
		// it: its last state is worth seeing.
		return err
	}
	return nil
}

// clientID is the client identifier ic gives a client on an interface
// with hardware address hw: the configured one, or by default the
// hardware type (1, Ethernet) followed by the address.
func (ic InterfaceConfig) clientID(hw net.HardwareAddr) []byte {
	if ic.ClientID != nil {
		return ic.ClientID
	}
	return append([]byte{1}, hw...)
}

// actions are the actions the configuration asks for.
func (in *instance) actions() client.Actions {
	var actions client.Actions
	if in.cfg.ConfigureInterface {
		actions = append(actions, &client.NetlinkAction{Metric: in.cfg.RouteMetric, ResolvConf: in.cfg.ResolvConf})
	}
	if in.cfg.Script != "" {
		actions = append(actions, &client.ScriptAction{Path: in.cfg.Script, Timeout: in.cfg.ScriptTimeout})
	}
	return actions
}

// run6 loads the stored DHCPv6 binding and runs a DHCPv6 client until ctx
// ends or the client fails.
func (in *instance) run6(ctx context.Context) error {
	name := in.cfg.Name
	ifi, err := net.InterfaceByName(name)
	if err != nil {
		return fmt.Errorf("interface %s: %w", name, err)
	}
	d6 := in.cfg.DHCP6
	cc := client6.Config{
		Interface:         name,
		DUIDFile:          filepath.Join(in.dir.Path(), name+".duid"),
		DUIDType:          d6.DUIDType,
		IANA:              d6.IANA,
		IAPD:              d6.IAPD,
		InformationOnly:   d6.InformationOnly,
		RapidCommit:       d6.RapidCommit,
		ReconfigureAccept: d6.ReconfigureAccept,
		Store:             &leasefile.Store6{Dir: in.dir, Interface: name, HardwareAddr: ifi.HardwareAddr, BootID: in.bootID},
		Logger:            in.base,
		Resume:            in.storedBinding(ifi),
	}
	if actions := in.actions6(); len(actions) > 0 {
		cc.Action = actions
	}
	c, err := client6.New(cc)
	if err != nil {
		return err
	}
	in.mu.Lock()
	in.c6 = c
	in.mu.Unlock()
	err = c.Run(ctx)
	if ctx.Err() == nil {
		return fmt.Errorf("DHCPv6: %w", err)
	}
	return nil
}

// actions6 are the DHCPv6 actions the configuration asks for.
func (in *instance) actions6() client6.Actions {
	var actions client6.Actions
	d6 := in.cfg.DHCP6
	if in.cfg.ConfigureInterface {
		actions = append(actions, &client6.NetlinkAction{})
	}
	if len(d6.Downstream) > 0 {
		actions = append(actions, &client6.DownstreamAction{Interfaces: d6.Downstream})
	}
	if d6.Script != "" {
		actions = append(actions, &client6.ScriptAction{Path: d6.Script, Timeout: d6.ScriptTimeout, Downstream: d6.Downstream})
	}
	return actions
}

// storedBinding loads the interface's DHCPv6 lease file and returns the
// binding to resume, or nil. A binding obtained with another hardware
// address is dropped; the client itself drops one of another DUID and
// the leases that expired.
func (in *instance) storedBinding(ifi *net.Interface) *client6.Binding {
	name := in.cfg.Name
	rec, err := in.dir.Load6(name)
	if err != nil {
		// None, or Load6 logged it and moved the file aside.
		return nil
	}
	if len(rec.HardwareAddr) > 0 && !bytes.Equal(rec.HardwareAddr, ifi.HardwareAddr) {
		in.log.Warn("stored DHCPv6 binding dropped: obtained with another hardware address", "stored", rec.HardwareAddr, "interface", ifi.HardwareAddr)
		if err := in.dir.Remove6(name); err != nil {
			in.log.Error("could not remove DHCPv6 lease file", "error", err)
		}
		return nil
	}
	in.log.Info("stored DHCPv6 binding found", "addresses", rec.Binding.Addrs(), "prefixes", rec.Binding.DelegatedPrefixes(), "server", rec.Binding.ServerID)
	return &rec.Binding
}

// releaseTimeout bounds the release of a lease when an instance stops.
const releaseTimeout = 10 * time.Second

// stop ends the instance and waits until its client has stopped. With
// release, a running client first releases its lease: it sends a
// DHCPRELEASE, its actions remove the lease and its lease file goes.
func (in *instance) stop(release bool) {
	if release {
		in.release4()
		in.release6()
	}
	in.cancel()
	<-in.done
}

// release4 makes the running DHCPv4 client release its lease.
func (in *instance) release4() {
	c := in.client()
	if c == nil {
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), releaseTimeout)
	defer cancel()
	switch err := c.Release(ctx); {
	case err == nil, errors.Is(err, client.ErrNoLease):
	case errors.Is(err, client.ErrNotRunning):
		// Between two runs after a failure: dropStored cleans up.
	default:
		in.log.Error("releasing the lease failed", "error", err)
	}
}

// release6 makes the running DHCPv6 client release its leases.
func (in *instance) release6() {
	c := in.client6()
	if c == nil {
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), releaseTimeout)
	defer cancel()
	switch err := c.Release(ctx); {
	case err == nil, errors.Is(err, client6.ErrNoBinding), errors.Is(err, client6.ErrNotRunning):
	default:
		in.log.Error("releasing the DHCPv6 leases failed", "error", err)
	}
}

// dropStored removes a lease the interface's client left behind when it
// stopped without releasing it, having failed before: its actions remove
// it from the system and its file goes. No DHCPRELEASE can be sent
// without a client; the server's lease runs out.
func (in *instance) dropStored() {
	name := in.cfg.Name
	rec, err := in.dir.Load(name)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return
	case err == nil:
		in.log.Warn("removing a lease its stopped client did not release", "address", rec.Lease.Address)
		if actions := in.actions(); len(actions) > 0 {
			ctx, cancel := context.WithTimeout(context.Background(), releaseTimeout)
			err := actions.Apply(ctx, client.Event{Kind: client.EventRelease, Interface: name, Old: &rec.Lease})
			cancel()
			if err != nil {
				in.log.Error("removing the lease from the system failed", "error", err)
			}
		}
	}
	// A corrupt file was moved aside by Load; what is left goes.
	if err := in.dir.Remove(name); err != nil {
		in.log.Error("could not remove lease file", "error", err)
	}
	in.dropStored6()
}

// dropStored6 does for a DHCPv6 binding what dropStored does for a lease.
func (in *instance) dropStored6() {
	name := in.cfg.Name
	rec, err := in.dir.Load6(name)
	if err == nil && in.cfg.DHCP6 != nil {
		in.log.Warn("removing a DHCPv6 binding its stopped client did not release", "addresses", rec.Binding.Addrs(), "prefixes", rec.Binding.DelegatedPrefixes())
		if actions := in.actions6(); len(actions) > 0 {
			ctx, cancel := context.WithTimeout(context.Background(), releaseTimeout)
			err := actions.Apply(ctx, client6.Event{Kind: client6.EventRelease, Interface: name, Old: &rec.Binding})
			cancel()
			if err != nil {
				in.log.Error("removing the DHCPv6 leases from the system failed", "error", err)
			}
		}
	}
	if err := in.dir.Remove6(name); err != nil {
		in.log.Error("could not remove DHCPv6 lease file", "error", err)
	}
}

// storedLease loads the interface's lease file and returns the lease to
// resume, or nil. It drops leases that expired, and leases obtained with
// another hardware address or client identifier than the configuration
// now gives: the file never overrides the configuration.
func (in *instance) storedLease(ifi *net.Interface, clientID []byte) *client.Lease {
	name := in.cfg.Name
	rec, err := in.dir.Load(name)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return nil
	case err != nil:
		// Load logged it and moved the file aside.
		return nil
	}
	drop := func(why string, args ...any) *client.Lease {
		in.log.Warn("stored lease dropped: "+why, append([]any{"address", rec.Lease.Address}, args...)...)
		if err := in.dir.Remove(name); err != nil {
			in.log.Error("could not remove lease file", "error", err)
		}
		return nil
	}
	switch {
	case len(rec.HardwareAddr) > 0 && !bytes.Equal(rec.HardwareAddr, ifi.HardwareAddr):
		return drop("obtained with another hardware address", "stored", net.HardwareAddr(rec.HardwareAddr), "interface", ifi.HardwareAddr)
	case !bytes.Equal(rec.Lease.ClientID, clientID):
		return drop("obtained with another client identifier", "stored", fmt.Sprintf("%x", rec.Lease.ClientID), "configured", fmt.Sprintf("%x", clientID))
	case rec.Lease.Expired(time.Now()):
		return drop("expired", "expired", rec.Lease.Expires())
	}
	in.log.Info("stored lease found", "address", rec.Lease.Address, "server", rec.Lease.ServerID, "expires", rec.Lease.Expires())
	return &rec.Lease
}

func (in *instance) client() *client.Client {
	in.mu.Lock()
	defer in.mu.Unlock()
	return in.c
}

func (in *instance) client6() *client6.Client {
	in.mu.Lock()
	defer in.mu.Unlock()
	return in.c6
}

func (in *instance) started() {
	in.mu.Lock()
	defer in.mu.Unlock()
	in.runs++
	in.nextRestart = time.Time{}
}

func (in *instance) started6() {
	in.mu.Lock()
	defer in.mu.Unlock()
	in.sv6.runs++
	in.sv6.nextRestart = time.Time{}
}

func (in *instance) failed6(err error, wait time.Duration) {
	in.mu.Lock()
	in.sv6.failures++
	in.sv6.lastErr = err.Error()
	in.sv6.lastFailure = time.Now()
	in.sv6.nextRestart = in.sv6.lastFailure.Add(wait)
	n := in.sv6.failures
	in.mu.Unlock()
	in.log.Error("DHCPv6 client failed, restarting", "error", err, "failures", n, "restart-in", wait)
}

func (in *instance) failed(err error, wait time.Duration) {
	in.mu.Lock()
	in.failures++
	in.lastErr = err.Error()
	in.lastFailure = time.Now()
	in.nextRestart = in.lastFailure.Add(wait)
	n := in.failures
	in.mu.Unlock()
	in.log.Error("client failed, restarting", "error", err, "failures", n, "restart-in", wait)
}

// Status is the state of one managed interface, as `status` reports it.
type Status struct {
	Interface string `json:"interface"`
	// State is the client's state, or "STARTING" before its first run
	// and "FAILED" while it waits to be restarted.
	State     string   `json:"state"`
	Address   string   `json:"address,omitempty"`
	ServerID  string   `json:"server-id,omitempty"`
	Routers   []string `json:"routers,omitempty"`
	DNS       []string `json:"dns,omitempty"`
	LeaseTime int64    `json:"lease-time,omitempty"`
	T1        int64    `json:"t1,omitempty"`
	T2        int64    `json:"t2,omitempty"`
	Obtained  string   `json:"obtained,omitempty"`
	Expires   string   `json:"expires,omitempty"`
	Remaining int64    `json:"remaining,omitempty"`
	ClientID  string   `json:"client-id,omitempty"`
	// LinkDown is set while the interface's link is down.
	LinkDown bool `json:"link-down,omitempty"`
	// Runs counts the client's starts; Failures its failures.
	Runs        int    `json:"runs"`
	Failures    int    `json:"failures"`
	LastError   string `json:"last-error,omitempty"`
	LastFailure string `json:"last-failure,omitempty"`
	NextRestart string `json:"next-restart,omitempty"`
	StoreError  string `json:"store-error,omitempty"`
	Sent        struct {
		Discovers uint64 `json:"discovers"`
		Requests  uint64 `json:"requests"`
		Declines  uint64 `json:"declines"`
		Releases  uint64 `json:"releases"`
	} `json:"sent"`
	// DHCP6 is the state of the interface's DHCPv6 client, if it runs
	// one.
	DHCP6 *Status6 `json:"dhcp6,omitempty"`
}

// Status6 is the state of an interface's DHCPv6 client.
type Status6 struct {
	State      string   `json:"state"`
	DUID       string   `json:"duid,omitempty"`
	ServerDUID string   `json:"server-duid,omitempty"`
	Addresses  []string `json:"addresses,omitempty"`
	Prefixes   []string `json:"prefixes,omitempty"`
	// Downstream are the /64s given to downstream interfaces,
	// "interface=subnet".
	Downstream []string `json:"downstream,omitempty"`
	DNS        []string `json:"dns,omitempty"`
	Domains    []string `json:"domains,omitempty"`
	Received   string   `json:"received,omitempty"`
	RenewAt    string   `json:"renew-at,omitempty"`
	RebindAt   string   `json:"rebind-at,omitempty"`
	// Expires is when the first address or prefix runs out unless
	// renewed, Remaining the seconds until then.
	Expires    string            `json:"expires,omitempty"`
	Remaining  int64             `json:"remaining,omitempty"`
	StoreError string            `json:"store-error,omitempty"`
	Sent       map[string]uint64 `json:"sent,omitempty"`
	// Runs counts the DHCPv6 client's starts, Failures its failures.
	Runs        int    `json:"runs"`
	Failures    int    `json:"failures"`
	LastError   string `json:"last-error,omitempty"`
	LastFailure string `json:"last-failure,omitempty"`
	NextRestart string `json:"next-restart,omitempty"`
}

func (in *instance) status6(now time.Time) *Status6 {
	if in.cfg.DHCP6 == nil {
		return nil
	}
	in.mu.Lock()
	c, sv := in.c6, in.sv6
	in.mu.Unlock()
	s := &Status6{Runs: sv.runs, Failures: sv.failures, LastError: sv.lastErr}
	if !sv.lastFailure.IsZero() {
		s.LastFailure = sv.lastFailure.UTC().Format(time.RFC3339Nano)
	}
	waiting := !sv.nextRestart.IsZero()
	if waiting {
		s.NextRestart = sv.nextRestart.UTC().Format(time.RFC3339Nano)
	}
	switch {
	case c == nil && waiting:
		s.State = "FAILED"
		return s
	case c == nil:
		s.State = "STARTING"
		return s
	}
	cs := c.Status()
	s.State, s.DUID, s.StoreError, s.Sent = cs.State.String(), c.DUID().String(), cs.StoreError, map[string]uint64{}
	if waiting {
		s.State = "FAILED"
	}
	for mt, n := range cs.Counters.Sent {
		s.Sent[mt.String()] = n
	}
	b := cs.Binding
	if b == nil {
		return s
	}
	s.ServerDUID = b.ServerID.String()
	for _, a := range b.Addrs() {
		s.Addresses = append(s.Addresses, a.String())
	}
	for _, p := range b.DelegatedPrefixes() {
		s.Prefixes = append(s.Prefixes, p.String())
	}
	plan, _ := client6.DownstreamPlan(b, in.cfg.DHCP6.Downstream)
	for _, d := range plan {
		s.Downstream = append(s.Downstream, d.Interface+"="+d.Subnet.String())
	}
	for _, d := range b.DNS {
		s.DNS = append(s.DNS, d.String())
	}
	s.Domains = b.Domains
	s.Received = b.Received.UTC().Format(time.RFC3339Nano)
	if t := b.RenewAt(); !t.IsZero() {
		s.RenewAt = t.UTC().Format(time.RFC3339Nano)
	}
	if t := b.RebindAt(); !t.IsZero() {
		s.RebindAt = t.UTC().Format(time.RFC3339Nano)
	}
	if t := b.NextExpiry(); !t.IsZero() {
		s.Expires = t.UTC().Format(time.RFC3339Nano)
		s.Remaining = int64(max(t.Sub(now), 0) / time.Second)
	}
	return s
}

func (in *instance) status(now time.Time) Status {
	in.mu.Lock()
	s := Status{
		Interface: in.cfg.Name,
		Runs:      in.runs,
		Failures:  in.failures,
		LastError: in.lastErr,
	}
	if !in.lastFailure.IsZero() {
		s.LastFailure = in.lastFailure.UTC().Format(time.RFC3339Nano)
	}
	waiting := !in.nextRestart.IsZero()
	if waiting {
		s.NextRestart = in.nextRestart.UTC().Format(time.RFC3339Nano)
	}
	c := in.c
	in.mu.Unlock()
	s.DHCP6 = in.status6(now)
	switch {
	case waiting:
		s.State = "FAILED"
	case !in.cfg.DHCP4:
		s.State = "DISABLED" // the DHCPv4 client; DHCP6 has the other
		return s
	case c == nil:
		s.State = "STARTING"
	}
	if c == nil {
		return s
	}
	cs := c.Status()
	if !waiting {
		s.State = cs.State.String()
	}
	s.StoreError = cs.StoreError
	s.LinkDown = cs.LinkDown
	s.Sent.Discovers, s.Sent.Requests = cs.Counters.Discovers, cs.Counters.Requests
	s.Sent.Declines, s.Sent.Releases = cs.Counters.Declines, cs.Counters.Releases
	if l := cs.Lease; l != nil {
		s.Address = l.Address.String()
		s.ServerID = l.ServerID.String()
		for _, r := range l.Routers {
			s.Routers = append(s.Routers, r.String())
		}
		for _, d := range l.DNS {
			s.DNS = append(s.DNS, d.String())
		}
		s.LeaseTime = int64(l.LeaseTime / time.Second)
		s.T1, s.T2 = int64(l.T1/time.Second), int64(l.T2/time.Second)
		s.Obtained = l.Obtained.UTC().Format(time.RFC3339Nano)
		s.Expires = l.Expires().UTC().Format(time.RFC3339Nano)
		s.Remaining = int64(l.Remaining(now) / time.Second)
		s.ClientID = fmt.Sprintf("%x", l.ClientID)
	}
	return s
}
