package manager

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"net"
	"sync"
	"time"

	"github.com/leased/leased/client"
	"github.com/leased/leased/client/leasefile"
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
}

// run is one run of the instance: it looks the interface up, loads the
// stored lease and runs a client until ctx ends or the client fails.
func (in *instance) run(ctx context.Context) error {
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

// releaseTimeout bounds the release of a lease when an instance stops.
const releaseTimeout = 10 * time.Second

// stop ends the instance and waits until its client has stopped. With
// release, a running client first releases its lease: it sends a
// DHCPRELEASE, its actions remove the lease and its lease file goes.
func (in *instance) stop(release bool) {
	if release {
		if c := in.client(); c != nil {
			ctx, cancel := context.WithTimeout(context.Background(), releaseTimeout)
			switch err := c.Release(ctx); {
			case err == nil, errors.Is(err, client.ErrNoLease):
			case errors.Is(err, client.ErrNotRunning):
				// Between two runs after a failure: dropStored cleans up.
			default:
				in.log.Error("releasing the lease failed", "error", err)
			}
			cancel()
		}
	}
	in.cancel()
	<-in.done
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

func (in *instance) started() {
	in.mu.Lock()
	defer in.mu.Unlock()
	in.runs++
	in.nextRestart = time.Time{}
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
	switch {
	case waiting:
		s.State = "FAILED"
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
