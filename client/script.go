package client

import (
	"bytes"
	"context"
	"encoding/hex"
	"fmt"
	"net/netip"
	"os"
	"os/exec"
	"sort"
	"strconv"
	"strings"
	"time"
)

// ScriptAction runs a program for every event, the way udhcpc and
// dhclient run their scripts: the event name (bound, renew, rebind, reboot,
// timeout, expire, nak, release) is its only argument and the lease is in
// its environment. A non-zero exit status is an error.
//
// The environment, besides the process's own: interface, reason (the
// event), and for the lease the event applies (or removes, for expire, nak
// and release): ip, prefix (length), subnet (dotted mask), broadcast,
// router, dns, domain, mtu, serverid, lease, renewal, rebinding (seconds),
// obtained and expiry (Unix seconds), staticroutes ("dest/len gateway"
// pairs, space separated), clientid (hex), and opt<code> (hex) for every
// option of the ACK. The lease being replaced, if any, is given again with
// the prefix old_.
type ScriptAction struct {
	// Path is the program to run.
	Path string
	// Timeout bounds a run; default 30 s.
	Timeout time.Duration
	// Env holds extra variables, "KEY=value".
	Env []string
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
	cmd.Env = append(cmd.Env, ScriptEnv(ev)...)
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

// ScriptEnv returns the variables ScriptAction sets for ev.
func ScriptEnv(ev Event) []string {
	env := []string{"interface=" + ev.Interface, "reason=" + ev.Kind.String()}
	l := ev.Lease
	if l == nil {
		l = ev.Old
		env = append(env, leaseEnv("", l)...)
		return env
	}
	env = append(env, leaseEnv("", l)...)
	env = append(env, leaseEnv("old_", ev.Old)...)
	return env
}

func leaseEnv(prefix string, l *Lease) []string {
	if l == nil {
		return nil
	}
	var env []string
	set := func(k, v string) { env = append(env, prefix+k+"="+v) }
	set("ip", l.Address.Addr().String())
	set("prefix", strconv.Itoa(l.Address.Bits()))
	set("subnet", maskString(l.Address.Bits()))
	if l.Address.Bits() <= 30 {
		set("broadcast", broadcastAddr(l.Address).String())
	}
	set("router", joinAddrs(l.Routers))
	set("dns", joinAddrs(l.DNS))
	set("domain", l.DomainName)
	if l.MTU != 0 {
		set("mtu", strconv.Itoa(int(l.MTU)))
	}
	set("serverid", l.ServerID.String())
	set("lease", strconv.FormatInt(int64(l.LeaseTime/time.Second), 10))
	set("renewal", strconv.FormatInt(int64(l.T1/time.Second), 10))
	set("rebinding", strconv.FormatInt(int64(l.T2/time.Second), 10))
	set("obtained", strconv.FormatInt(l.Obtained.Unix(), 10))
	set("expiry", strconv.FormatInt(l.Expires().Unix(), 10))
	var routes []string
	for _, r := range l.Routes {
		routes = append(routes, r.Dest.String(), r.Gateway.String())
	}
	set("staticroutes", strings.Join(routes, " "))
	set("clientid", hex.EncodeToString(l.ClientID))
	codes := make([]int, 0, len(l.Options))
	for c := range l.Options {
		codes = append(codes, int(c))
	}
	sort.Ints(codes)
	for _, c := range codes {
		set("opt"+strconv.Itoa(c), hex.EncodeToString(l.Options[optionCode(c)]))
	}
	return env
}

func joinAddrs(as []netip.Addr) string {
	s := make([]string, len(as))
	for i, a := range as {
		s[i] = a.String()
	}
	return strings.Join(s, " ")
}

func maskString(bits int) string {
	var m uint32
	if bits > 0 {
		m = ^uint32(0) << (32 - bits)
	}
	return netip.AddrFrom4([4]byte{byte(m >> 24), byte(m >> 16), byte(m >> 8), byte(m)}).String()
}

func broadcastAddr(p netip.Prefix) netip.Addr {
	a := p.Masked().Addr().As4()
	host := ^uint32(0) >> p.Bits()
	return netip.AddrFrom4([4]byte{a[0] | byte(host>>24), a[1] | byte(host>>16), a[2] | byte(host>>8), a[3] | byte(host)})
}
