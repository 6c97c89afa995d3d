//go:build linux

package ha

import (
	"context"
	"io"
	"net"
	"net/http"
	"net/netip"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/leased/leased/control"
	"github.com/leased/leased/internal/testnet"
	"github.com/leased/leased/lease"
)

// machinePartner is a standby built from this package alone: a Machine,
// its answers to Kea's commands, and a driver that sends heartbeats and
// runs the sync with a Client. It keeps leases in a map.
type machinePartner struct {
	mu     sync.Mutex
	m      *Machine
	rel    *Relationship
	leases map[netip.Addr]lease.Lease
	got    []string
}

func (p *machinePartner) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(r.Body)
	now := time.Now()
	p.mu.Lock()
	defer p.mu.Unlock()
	cmd, err := control.ParseCommand(body)
	var resp control.Response
	switch {
	case err != nil:
		resp = control.Errorf("%v", err)
	case cmd.Command == CmdHeartbeat:
		resp = HeartbeatResponse(p.m.State(), now, p.m.Scopes(), p.m.UnsentUpdates())
	case cmd.Command == CmdDHCPDisable || cmd.Command == CmdDHCPEnable:
		ns, err := DecodeNetworkState(cmd.Command, cmd.Arguments)
		switch {
		case err != nil:
			resp = control.Errorf("%v", err)
		case cmd.Command == CmdDHCPDisable:
			p.m.PartnerDisable(now, ns.MaxPeriod)
			resp = control.OK("DHCPv4 service disabled")
		default:
			p.m.PartnerEnable()
			resp = control.OK("DHCP service successfully enabled")
		}
	case cmd.Command == CmdLease4GetPage:
		if _, _, err := DecodeGetPage(cmd.Arguments); err != nil {
			resp = control.Errorf("%v", err)
		} else {
			resp = PageResponse(Kea22, nil)
		}
	case cmd.Command == CmdSyncCompleteNotify:
		p.m.SyncCompleteNotify()
		resp = SyncCompleteResponse()
	case cmd.Command == CmdLease4Update:
		l, _, err := DecodeLease4(cmd.Command, cmd.Arguments, Kea22, now)
		if err != nil {
			resp = control.Errorf("%v", err)
		} else {
			p.leases[l.Addr] = l
			resp = control.OK("IPv4 lease added.")
		}
	default:
		resp = control.Answer(control.Unsupported, "'"+cmd.Command+"' command not supported.", nil)
	}
	p.got = append(p.got, cmd.Command)
	b, _ := EncodeAnswer(resp)
	w.Header().Set("Content-Type", "application/json")
	w.Write(b)
}

// step is one turn of the driver: a heartbeat when due, the sync when
// asked for, then the handler.
func (p *machinePartner) step(ctx context.Context, c *Client) {
	p.mu.Lock()
	should, task := p.m.ShouldHeartbeat(), p.m.Pending()
	p.mu.Unlock()
	if should {
		hb, _ := c.Heartbeat(ctx, p.rel.ThisServerName)
		p.mu.Lock()
		p.m.HeartbeatDone(time.Now(), hb)
		task = p.m.Pending()
		p.mu.Unlock()
	}
	if task == TaskSync {
		ok := p.sync(ctx, c)
		p.mu.Lock()
		p.m.SyncDone(time.Now(), ok)
		p.mu.Unlock()
	}
	p.mu.Lock()
	p.m.Step(time.Now())
	p.mu.Unlock()
}

// sync fetches the partner's leases page by page, each page after a
// dhcp-disable, and ends with ha-sync-complete-notify (dhcp-enable when a
// page fails).
func (p *machinePartner) sync(ctx context.Context, c *Client) bool {
	var from netip.Addr
	for {
		if _, err := c.DisableDHCP(ctx, p.rel.SyncTimeout, 0); err != nil {
			return false
		}
		page, _, err := c.GetPage(ctx, from, p.rel.SyncPageLimit, p.rel.SyncTimeout)
		if err != nil {
			c.EnableDHCP(ctx, 0)
			return false
		}
		p.mu.Lock()
		for _, l := range page {
			if old, ok := p.leases[l.Addr]; !ok || old.CLTT < l.CLTT {
				p.leases[l.Addr] = l
			}
		}
		p.mu.Unlock()
		if uint32(len(page)) < p.rel.SyncPageLimit {
			break
		}
		from = page[len(page)-1].Addr
	}
	_, err := c.SyncComplete(ctx, p.rel.ThisServerName, 0)
	return err == nil
}

// TestStandbyMachineWithKea22 runs this package's Machine as the standby
// of a kea-dhcp4 2.2 primary (through its kea-ctrl-agent): both start in
// waiting; Kea syncs from us, we sync Kea's leases (several pages), both
// reach hot-standby; when Kea is killed, we go partner-down and serve its
// scope once max-response-delay has passed.
func TestStandbyMachineWithKea22(t *testing.T) {
	testnet.RequireBinaries(t, "kea-dhcp4", "kea-ctrl-agent")
	hooks := testnet.KeaHooksDir(t, "libdhcp_ha.so")
	dir := testnet.UnprivilegedDir(t)
	caPort, ourPort := testnet.FreeTCPPort(t, "127.0.0.1"), testnet.FreeTCPPort(t, "127.0.0.2")
	params := haParams(caPort, ourPort, "")
	ours := strings.Replace(params, `"this-server-name": "server1"`, `"this-server-name": "server2"`, 1)
	cfg, err := Parse([]byte(ours), Options{Dialect: Kea22})
	if err != nil {
		t.Fatal(err)
	}
	rel := cfg.Relationships[0]
	p := &machinePartner{m: NewMachine(rel, Kea22, time.Now()), rel: rel, leases: map[netip.Addr]lease.Lease{}}

	ln, err := net.Listen("tcp", rel.This().Addr.String())
	if err != nil {
		t.Fatal(err)
	}
	srv := &http.Server{Handler: p, ReadHeaderTimeout: 5 * time.Second}
	go srv.Serve(ln)
	defer srv.Close()

	kea := testnet.StartKea(t, dir, "kea-dhcp4", dhcp4Config(dir, hooks, params), testnet.KeaOptions{})
	testnet.StartKea(t, dir, "kea-ctrl-agent", agentConfig(dir, caPort), testnet.KeaOptions{})
	partner := *rel.Partner()
	partner.BasicAuthUser, partner.BasicAuthPassword = "ha", "s3cret"
	c, err := NewClient(&partner, Kea22)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	ctx := context.Background()

	// Leases Kea holds before we sync: more than one page (10).
	for i := 0; i < 15; i++ {
		l := lease.Lease{Addr: netip.AddrFrom4([4]byte{192, 0, 2, byte(100 + i)}), HWType: 1,
			HWAddr: []byte{2, 0, 0, 0, 0, byte(i)}, ValidLifetime: 600, CLTT: time.Now().Unix(), SubnetID: 1}
		for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(100 * time.Millisecond) {
			if _, err := c.UpdateLease(ctx, &l); err == nil {
				break
			} else if time.Now().After(deadline) {
				t.Fatalf("lease4-update to Kea: %v", err)
			}
		}
	}

	var keaState State
	for deadline := time.Now().Add(30 * time.Second); ; time.Sleep(rel.HeartbeatDelay) {
		p.step(ctx, c)
		hb, err := c.Heartbeat(ctx, "server2")
		if err == nil {
			keaState = hb.State
		}
		p.mu.Lock()
		st := p.m.State()
		p.mu.Unlock()
		if st == StateHotStandby && keaState == StateHotStandby {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("no hot-standby pair: ours %s, Kea %s; Kea sent us %v", st, keaState, p.got)
		}
	}
	p.mu.Lock()
	if len(p.leases) != 15 {
		t.Errorf("our sync fetched %d leases of Kea's 15", len(p.leases))
	}
	if !p.m.DHCPEnabled(time.Now()) || len(p.m.Scopes()) != 0 {
		t.Errorf("standby: dhcp %v scopes %v", p.m.DHCPEnabled(time.Now()), p.m.Scopes())
	}
	got := strings.Join(p.got, " ")
	p.mu.Unlock()
	for _, cmd := range []string{CmdHeartbeat, CmdDHCPDisable, CmdLease4GetPage, CmdSyncCompleteNotify} {
		if !strings.Contains(got, cmd) {
			t.Errorf("Kea never sent us %s (it sent %s)", cmd, got)
		}
	}

	// Kea dies: partner-down after max-response-delay, no sooner.
	kea.Kill()
	killed := time.Now()
	for deadline := killed.Add(15 * time.Second); ; time.Sleep(rel.HeartbeatDelay) {
		p.step(ctx, c)
		p.mu.Lock()
		st := p.m.State()
		p.mu.Unlock()
		if st == StatePartnerDown {
			break
		}
		if st != StateHotStandby || time.Now().After(deadline) {
			t.Fatalf("after Kea died: %s", st)
		}
	}
	if since := time.Since(killed); since < rel.MaxResponseDelay-rel.HeartbeatDelay {
		t.Errorf("partner-down %v after the kill, before max-response-delay %v", since, rel.MaxResponseDelay)
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	if !p.m.DHCPEnabled(time.Now()) || strings.Join(p.m.Scopes(), ",") != "server1" {
		t.Errorf("partner-down: dhcp %v scopes %v", p.m.DHCPEnabled(time.Now()), p.m.Scopes())
	}
}
