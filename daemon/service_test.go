package daemon

import (
	"context"
	"encoding/json"
	"log/slog"
	"sync/atomic"
	"testing"
	"time"

	"github.com/leased/leased/control"
	"github.com/leased/leased/dhcpserver"
	"github.com/leased/leased/dhcpserver/dhcptest"
	"github.com/leased/leased/dhcpv4"
	"github.com/leased/leased/stats"
)

// TestDhcpDisableArgs checks dhcp-disable's and dhcp-enable's answers,
// Kea's texts included, and that a refused command changes nothing.
func TestDhcpDisableArgs(t *testing.T) {
	for _, tc := range []struct {
		cmd, args string
		result    int
		text      string
		off       bool
	}{
		{"dhcp-disable", ``, control.Success, "DHCPv4 service disabled", true},
		{"dhcp-disable", `{}`, control.Success, "DHCPv4 service disabled", true},
		{"dhcp-disable", `{"max-period": 30}`, control.Success, "DHCPv4 service disabled for 30 seconds", true},
		{"dhcp-disable", `{"origin": "ha-partner"}`, control.Success, "DHCPv4 service disabled", true},
		{"dhcp-disable", `{"max-period": 0}`, control.Error, "'max-period' must be positive integer", false},
		{"dhcp-disable", `{"max-period": "5"}`, control.Error, "'max-period' argument must be a number", false},
		{"dhcp-disable", `{"max-period": 1.5}`, control.Error, "'max-period' argument must be a number", false},
		{"dhcp-disable", `{"origin": "me"}`, control.Error, "invalid value used for 'origin' parameter: me", false},
		{"dhcp-disable", `{"origin": ""}`, control.Error, "invalid value used for 'origin' parameter: (empty string)", false},
		{"dhcp-disable", `{"origin": 1}`, control.Error, "'origin' argument must be a string", false},
		{"dhcp-disable", `[1]`, control.Error, "arguments for the 'dhcp-disable' command must be a map", false},
		{"dhcp-enable", `{"origin": 2}`, control.Error, "'origin' argument must be a string", false},
		{"dhcp-enable", `"x"`, control.Error, "arguments for the 'dhcp-enable' command must be a map", false},
		{"dhcp-enable", ``, control.Success, "DHCP service successfully enabled", false},
	} {
		p := &process{log: slog.New(slog.DiscardHandler)}
		defer p.service.stop()
		h := p.cmdDhcpDisable
		if tc.cmd == "dhcp-enable" {
			h = p.cmdDhcpEnable
		}
		r := h(context.Background(), json.RawMessage(tc.args))
		if r.Result != tc.result || r.Text != tc.text || p.service.off.Load() != tc.off {
			t.Errorf("%s %s: %d %q, disabled %v; want %d %q, disabled %v", tc.cmd, tc.args, r.Result, r.Text, p.service.off.Load(), tc.result, tc.text, tc.off)
		}
	}
}

// TestServiceOrigins checks that the service runs only while no origin
// has it disabled, and that a max-period enables every origin again.
func TestServiceOrigins(t *testing.T) {
	var s serviceState
	defer s.stop()
	s.disable(originUser, 0)
	s.disable(originHAPartner, 0)
	s.enable(originUser)
	if !s.off.Load() {
		t.Fatal("enabled by the user while the HA partner still has it disabled")
	}
	if st := s.status(); st["globally-disabled"] != true || st["disabled-by-user"] != false {
		t.Errorf("dhcp-state %v while only the HA partner has it disabled", st)
	}
	s.enable(originHAPartner)
	if s.off.Load() {
		t.Fatal("still disabled after both origins enabled it")
	}
	s.disable(originUser, 0)
	s.disable(originHAPartner, 50*time.Millisecond)
	deadline := time.Now().Add(10 * time.Second)
	for s.off.Load() {
		if time.Now().After(deadline) {
			t.Fatal("max-period did not enable the service again")
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// TestHandlerDropsWhileDisabled checks that a disabled service counts a
// message as received and hands it to nobody.
func TestHandlerDropsWhileDisabled(t *testing.T) {
	m := stats.New(stats.Options{})
	served := 0
	var s serviceState
	var unseen atomic.Int64
	h := &socketFilter{off: &s.off, unseen: &unseen,
		next: &handler{next: dhcpserver.HandlerFunc(func(dhcpserver.ResponseWriter, *dhcpserver.Request) { served++ }),
			pk: m.Packets(), log: slog.New(slog.DiscardHandler)}}
	req := testRequest(t, dhcpv4.Discover)
	h.ServeDHCP(dhcptest.NewRecorder(req), req)
	s.disable(originUser, 0)
	h.ServeDHCP(dhcptest.NewRecorder(req), req)
	s.enable(originUser)
	h.ServeDHCP(dhcptest.NewRecorder(req), req)
	if served != 2 {
		t.Errorf("the server saw %d of 3 messages, want 2 (one came while disabled)", served)
	}
	// Kea drops what comes while it is disabled before it counts it.
	if n := m.Packets().DiscoverReceived.Load(); n != 2 {
		t.Errorf("pkt4-discover-received %d, want 2", n)
	}
	if n := unseen.Load(); n != 1 {
		t.Errorf("%d messages to take off pkt4-received, want 1", n)
	}
}

func TestLeasesReclaimArgs(t *testing.T) {
	p := &process{log: slog.New(slog.DiscardHandler)}
	for args, want := range map[string]string{
		``:                   "Missing mandatory 'remove' parameter.",
		`{}`:                 "Missing mandatory 'remove' parameter.",
		`{"remove": "true"}`: "'remove' parameter expected to be a boolean.",
		`{"remove": 1}`:      "'remove' parameter expected to be a boolean.",
	} {
		if r := p.cmdLeasesReclaim(context.Background(), json.RawMessage(args)); r.Result != control.Error || r.Text != want {
			t.Errorf("leases-reclaim %s: %d %q, want 1 %q", args, r.Result, r.Text, want)
		}
	}
}
