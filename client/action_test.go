package client

import (
	"context"
	"errors"
	"net/netip"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/leased/leased/dhcpv4"
)

func TestScriptEnv(t *testing.T) {
	l := storedLease(time.Unix(1700000000, 0), time.Hour)
	l.DNS = []netip.Addr{testDNS, testRouter}
	l.DomainName = "example.test"
	l.MTU = 1400
	l.Routes = []Route{{Dest: netip.MustParsePrefix("198.51.100.0/24"), Gateway: testRouter}}
	l.Options = map[dhcpv4.OptionCode][]byte{26: {5, 0x78}, 3: {192, 0, 2, 254}}
	old := storedLease(time.Unix(1699990000, 0), time.Hour)
	old.Address = netip.MustParsePrefix("192.0.2.7/24")
	env := ScriptEnv(Event{Kind: EventRenew, Interface: "wan0", Lease: l, Old: old})
	for _, want := range []string{
		"interface=wan0", "reason=renew", "ip=192.0.2.50", "prefix=24", "subnet=255.255.255.0",
		"broadcast=192.0.2.255", "router=192.0.2.254", "dns=192.0.2.53 192.0.2.254", "domain=example.test",
		"mtu=1400", "serverid=192.0.2.1", "lease=3600", "renewal=1800", "rebinding=3150",
		"obtained=1700000000", "expiry=1700003600", "staticroutes=198.51.100.0/24 192.0.2.254",
		"clientid=01020000000001", "opt3=c00002fe", "opt26=0578", "old_ip=192.0.2.7",
	} {
		if !slices.Contains(env, want) {
			t.Errorf("environment lacks %q:\n%s", want, strings.Join(env, "\n"))
		}
	}
	// For a removal, the removed lease is described without the old_ prefix.
	env = ScriptEnv(Event{Kind: EventExpire, Interface: "wan0", Old: old})
	if !slices.Contains(env, "ip=192.0.2.7") || !slices.Contains(env, "reason=expire") {
		t.Errorf("expire environment:\n%s", strings.Join(env, "\n"))
	}
}

func TestScriptAction(t *testing.T) {
	if _, err := exec.LookPath("sh"); err != nil {
		t.Skip("no sh")
	}
	dir := t.TempDir()
	out := filepath.Join(dir, "out")
	script := filepath.Join(dir, "hook")
	os.WriteFile(script, []byte("#!/bin/sh\necho \"$1 $interface $ip $EXTRA\" >> "+out+"\n[ \"$1\" = nak ] && { echo 'cannot do that' >&2; exit 4; }\n[ \"$1\" = expire ] && sleep 5\nexit 0\n"), 0o755)
	a := &ScriptAction{Path: script, Env: []string{"EXTRA=x"}, Timeout: 500 * time.Millisecond}
	l := storedLease(time.Now(), time.Hour)
	if err := a.Apply(context.Background(), Event{Kind: EventBound, Interface: "wan0", Lease: l}); err != nil {
		t.Fatal(err)
	}
	b, _ := os.ReadFile(out)
	if string(b) != "bound wan0 192.0.2.50 x\n" {
		t.Errorf("script saw %q", b)
	}
	err := a.Apply(context.Background(), Event{Kind: EventNak, Interface: "wan0", Old: l})
	if err == nil || !strings.Contains(err.Error(), "exit status 4") || !strings.Contains(err.Error(), "cannot do that") {
		t.Errorf("failing script: %v", err)
	}
	start := time.Now()
	err = a.Apply(context.Background(), Event{Kind: EventExpire, Interface: "wan0", Old: l})
	if err == nil || time.Since(start) > 3*time.Second {
		t.Errorf("script past its timeout: %v after %v", err, time.Since(start))
	}
}

func TestActionsOrder(t *testing.T) {
	var calls []string
	fail := errors.New("fail")
	mk := func(name string, err error) Action {
		return ActionFunc(func(_ context.Context, ev Event) error { calls = append(calls, name); return err })
	}
	as := Actions{mk("a", fail), mk("b", nil)}
	if err := as.Apply(context.Background(), Event{Kind: EventBound}); !errors.Is(err, fail) || !slices.Equal(calls, []string{"a"}) {
		t.Errorf("applying: %v, calls %v", err, calls)
	}
	calls = nil
	if err := as.Apply(context.Background(), Event{Kind: EventRelease}); !errors.Is(err, fail) || !slices.Equal(calls, []string{"a", "b"}) {
		t.Errorf("removing: %v, calls %v", err, calls)
	}
}
