package client6

import (
	"bytes"
	"context"
	"fmt"
	"net/netip"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"time"
)

// ScriptAction runs a program for every event, with the event's name
// (bound, renew, rebind, confirm, timeout, informed, expire, notonlink,
// decline, release) as its only argument and the binding in its
// environment, in the variables the scripts of odhcp6c and of dhclient -6
// read. A non-zero exit status is an error.
//
// The environment, besides the process's own: interface; event; reason,
// dhclient's name of the event (BOUND6, RENEW6, REBIND6, REBOOT6 for a
// confirmed binding, TIMEOUT6, INFORM6, EXPIRE6, EXPIRE6 for notonlink,
// DECLINE6, RELEASE6); as odhcp6c sets them, ADDRESSES and PREFIXES
// ("address/length,preferred,valid" with the seconds left, space
// separated), RDNSS, DOMAINS, NTP_IP, NTP_FQDN and SERVER_DUID; as
// dhclient sets them for the first address and prefix, new_ip6_address,
// new_ip6_prefixlen (128), new_ip6_prefix, new_preferred_life,
// new_max_life, new_life_starts, new_iaid, new_renew, new_rebind,
// new_dhcp6_name_servers, new_dhcp6_domain_search, new_dhcp6_server_id,
// new_dhcp6_client_id; the binding being replaced or removed, if any,
// with old_ instead of new_; and DOWNSTREAM, the "interface=subnet" pairs
// of Downstream, when set.
type ScriptAction struct {
	// Path is the program to run.
	Path string
	// Timeout bounds a run; default 30 s.
	Timeout time.Duration
	// Env holds extra variables, "KEY=value".
	Env []string
	// Downstream are the interfaces the first delegated prefix's /64s go
	// to (see DownstreamPlan), for the DOWNSTREAM variable.
	Downstream []string
	// Now is the clock for the seconds left; default time.Now.
	Now func() time.Time
}

var dhclientReasons = map[EventKind]string{
	EventBound: "BOUND6", EventRenew: "RENEW6", EventRebind: "REBIND6", EventConfirm: "REBOOT6",
	EventTimeout: "TIMEOUT6", EventInformed: "INFORM6", EventExpire: "EXPIRE6", EventNotOnLink: "EXPIRE6",
	EventDecline: "DECLINE6", EventRelease: "RELEASE6",
}

// Apply runs the script for ev.
func (s *ScriptAction) Apply(ctx context.Context, ev Event) error {
	timeout := s.Timeout
	if timeout <= 0 {
		timeout = 30 * time.Second
	}
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, s.Path, ev.Kind.String())
	cmd.Env = append(os.Environ(), s.Env...)
	cmd.Env = append(cmd.Env, s.ScriptEnv(ev)...)
	cmd.WaitDelay = time.Second
	var out bytes.Buffer
	cmd.Stdout = &out
	cmd.Stderr = &out
	if err := cmd.Run(); err != nil {
		msg := strings.TrimSpace(out.String())
		if len(msg) > 512 {
			msg = "..." + msg[len(msg)-512:]
		}
		if msg != "" {
			return fmt.Errorf("script %s %s: %w: %s", s.Path, ev.Kind, err, msg)
		}
		return fmt.Errorf("script %s %s: %w", s.Path, ev.Kind, err)
	}
	return nil
}

// ScriptEnv returns the variables Apply sets for ev.
func (s *ScriptAction) ScriptEnv(ev Event) []string {
	now := time.Now()
	if s.Now != nil {
		now = s.Now()
	}
	env := []string{"interface=" + ev.Interface, "event=" + ev.Kind.String(), "reason=" + dhclientReasons[ev.Kind]}
	cur := ev.Binding
	if cur != nil {
		env = append(env, odhcp6cEnv(cur, now)...)
	}
	env = append(env, dhclientEnv("new_", cur, now)...)
	env = append(env, dhclientEnv("old_", ev.Old, now)...)
	if len(s.Downstream) > 0 {
		plan, _ := DownstreamPlan(cur, s.Downstream)
		var ds []string
		for _, d := range plan {
			ds = append(ds, d.Interface+"="+d.Subnet.String())
		}
		env = append(env, "DOWNSTREAM="+strings.Join(ds, " "))
	}
	return env
}

// left is the whole seconds of d, counted from start, left at now;
// 4294967295 for infinity.
func left(start time.Time, d time.Duration, now time.Time) string {
	return strconv.FormatUint(uint64(remaining(start, d, now)), 10)
}

func odhcp6cEnv(b *Binding, now time.Time) []string {
	var addrs, pfxs []string
	for _, ia := range b.IANA {
		for _, a := range ia.Addresses {
			addrs = append(addrs, fmt.Sprintf("%s/128,%s,%s", a.Addr, left(ia.Received, a.Preferred, now), left(ia.Received, a.Valid, now)))
		}
	}
	for _, ia := range b.IAPD {
		for _, p := range ia.Prefixes {
			pfxs = append(pfxs, fmt.Sprintf("%s,%s,%s", p.Prefix, left(ia.Received, p.Preferred, now), left(ia.Received, p.Valid, now)))
		}
	}
	return []string{
		"ADDRESSES=" + strings.Join(addrs, " "),
		"PREFIXES=" + strings.Join(pfxs, " "),
		"RDNSS=" + joinAddrs(b.DNS),
		"DOMAINS=" + strings.Join(b.Domains, " "),
		"NTP_IP=" + joinAddrs(b.NTP),
		"NTP_FQDN=" + strings.Join(b.NTPNames, " "),
		"SERVER_DUID=" + b.ServerID.String(),
	}
}

func dhclientEnv(prefix string, b *Binding, now time.Time) []string {
	if b == nil {
		return nil
	}
	var env []string
	set := func(k, v string) { env = append(env, prefix+k+"="+v) }
	for _, ia := range b.IANA {
		if len(ia.Addresses) == 0 {
			continue
		}
		a := ia.Addresses[0]
		set("ip6_address", a.Addr.String())
		set("ip6_prefixlen", "128")
		set("preferred_life", left(ia.Received, a.Preferred, now))
		set("max_life", left(ia.Received, a.Valid, now))
		set("life_starts", strconv.FormatInt(ia.Received.Unix(), 10))
		set("iaid", fmt.Sprintf("%08x", ia.IAID))
		t1, t2 := ia.times()
		set("renew", strconv.FormatInt(int64(t1/time.Second), 10))
		set("rebind", strconv.FormatInt(int64(t2/time.Second), 10))
		break
	}
	for _, ia := range b.IAPD {
		if len(ia.Prefixes) == 0 {
			continue
		}
		set("ip6_prefix", ia.Prefixes[0].Prefix.String())
		break
	}
	set("dhcp6_name_servers", joinAddrs(b.DNS))
	set("dhcp6_domain_search", strings.Join(b.Domains, " "))
	set("dhcp6_server_id", b.ServerID.String())
	set("dhcp6_client_id", b.ClientID.String())
	return env
}

func joinAddrs(as []netip.Addr) string {
	s := make([]string, len(as))
	for i, a := range as {
		s[i] = a.String()
	}
	return strings.Join(s, " ")
}
