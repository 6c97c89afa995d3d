package client

import (
	"context"
	"errors"
	"strconv"
)

// EventKind says why an Action is called.
type EventKind uint8

// The events. Bound, Renew, Rebind, Reboot and Timeout carry the lease to
// apply; Expire, Nak and Release carry the lease to remove.
const (
	// EventBound: a new lease after DISCOVER, OFFER, REQUEST, ACK.
	EventBound EventKind = iota + 1
	// EventRenew: the lease was extended in RENEWING (or by a forced renew).
	EventRenew
	// EventRebind: the lease was extended in REBINDING, possibly by another
	// server.
	EventRebind
	// EventReboot: a stored lease was confirmed in REBOOTING.
	EventReboot
	// EventTimeout: no server answered in REBOOTING; the client keeps the
	// stored lease until it expires.
	EventTimeout
	// EventExpire: the lease ran out.
	EventExpire
	// EventNak: a server refused the lease.
	EventNak
	// EventRelease: the client released the lease.
	EventRelease
)

var eventNames = [...]string{
	EventBound:   "bound",
	EventRenew:   "renew",
	EventRebind:  "rebind",
	EventReboot:  "reboot",
	EventTimeout: "timeout",
	EventExpire:  "expire",
	EventNak:     "nak",
	EventRelease: "release",
}

func (k EventKind) String() string {
	if k > 0 && int(k) < len(eventNames) {
		return eventNames[k]
	}
	return "event(" + strconv.Itoa(int(k)) + ")"
}

// Applies reports whether the event installs a lease (as opposed to
// removing one).
func (k EventKind) Applies() bool { return k >= EventBound && k <= EventTimeout }

// Event is what an Action is asked to do.
type Event struct {
	Kind EventKind
	// Interface is the interface name; it may be empty for a client that
	// runs on a custom Transport without one.
	Interface string
	// Lease is the lease to apply for Bound, Renew, Rebind, Reboot and
	// Timeout; nil otherwise.
	Lease *Lease
	// Old is the lease being replaced or removed, nil if none.
	Old *Lease
}

// Action applies lease events to the system. It is called from the
// client's goroutine; an error stops the client (Run returns it), so that a
// supervisor can restart it.
type Action interface {
	Apply(ctx context.Context, ev Event) error
}

// ActionFunc adapts a function to the Action interface.
type ActionFunc func(ctx context.Context, ev Event) error

// Apply calls f.
func (f ActionFunc) Apply(ctx context.Context, ev Event) error { return f(ctx, ev) }

// Actions runs several actions in order. For events that remove a lease it
// runs all of them even when one fails, and returns the errors joined.
type Actions []Action

// Apply runs each action.
func (as Actions) Apply(ctx context.Context, ev Event) error {
	var errs []error
	for _, a := range as {
		if err := a.Apply(ctx, ev); err != nil {
			if ev.Kind.Applies() {
				return err
			}
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}
