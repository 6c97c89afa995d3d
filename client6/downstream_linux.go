package client6

import (
	"context"
	"errors"
	"fmt"
	"net"
	"slices"
	"time"

	"golang.org/x/sys/unix"
)

// Apply applies ev to the downstream interfaces.
func (a *DownstreamAction) Apply(ctx context.Context, ev Event) error {
	if len(a.Interfaces) == 0 {
		return errNoDownstream
	}
	// A prefix with fewer /64s than interfaces serves the first ones; the
	// plan says so in its error, which is no reason to stop the client.
	want, _ := DownstreamPlan(ev.Binding, a.Interfaces)
	had, _ := DownstreamPlan(ev.Old, a.Interfaces)
	nl, err := dialNetlink()
	if err != nil {
		return err
	}
	defer nl.close()
	var errs []error
	for _, h := range had {
		if slices.ContainsFunc(want, func(w Downstream) bool { return w.Interface == h.Interface && w.Address == h.Address }) {
			continue
		}
		ifi, err := net.InterfaceByName(h.Interface)
		if err != nil {
			continue // gone with its addresses
		}
		if err := nl.prefixAddr(unix.RTM_DELADDR, 0, ifi.Index, h.Address, 0, 0); err != nil && !errors.Is(err, unix.EADDRNOTAVAIL) {
			errs = append(errs, fmt.Errorf("netlink: withdrawing %v from %s: %w", h.Address, h.Interface, err))
		}
	}
	now := time.Now()
	for _, w := range want {
		ifi, err := net.InterfaceByName(w.Interface)
		if err != nil {
			errs = append(errs, fmt.Errorf("netlink: downstream interface %q: %w", w.Interface, err))
			continue
		}
		pref, valid := remaining(w.Received, w.Preferred, now), remaining(w.Received, w.Valid, now)
		if valid == 0 {
			continue
		}
		if err := nl.prefixAddr(unix.RTM_NEWADDR, unix.NLM_F_CREATE|unix.NLM_F_REPLACE, ifi.Index, w.Address, pref, valid); err != nil {
			errs = append(errs, fmt.Errorf("netlink: adding %v to %s: %w", w.Address, w.Interface, err))
		}
	}
	return errors.Join(errs...)
}
