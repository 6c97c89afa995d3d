package client6

import (
	"context"
	"errors"
	"strconv"
)

// EventKind says why an Action is called.
type EventKind uint8

// The events. Those up to EventInformed carry the binding to apply in
// Event.Binding; the others carry the binding to remove in Event.Old, and
// what remains, if anything, in Event.Binding.
const (
	// EventBound: leases from a Request (or a Solicit with Rapid Commit).
	EventBound EventKind = iota + 1
	// EventRenew: leases extended by Renew (or by a Request after
	// NoBinding).
	EventRenew
	// EventRebind: leases extended by Rebind, possibly by another server.
	EventRebind
	// EventConfirm: a server confirmed that stored addresses are on link.
	EventConfirm
	// EventTimeout: no server answered the Confirm or Rebind after a
	// restart; the client uses the stored leases until they expire.
	EventTimeout
	// EventInformed: configuration from an Information-request.
	EventInformed
	// EventExpire: leases ran out.
	EventExpire
	// EventNotOnLink: a server said the stored addresses are not on this
	// link.
	EventNotOnLink
	// EventDecline: addresses found in use were given back.
	EventDecline
	// EventRelease: the client released its leases.
	EventRelease
)

var eventNames = [...]string{
	EventBound:     "bound",
	EventRenew:     "renew",
	EventRebind:    "rebind",
	EventConfirm:   "confirm",
	EventTimeout:   "timeout",
	EventInformed:  "informed",
	EventExpire:    "expire",
	EventNotOnLink: "notonlink",
	EventDecline:   "decline",
	EventRelease:   "release",
}

func (k EventKind) String() string {
	if k > 0 && int(k) < len(eventNames) {
		return eventNames[k]
	}
	return "event(" + strconv.Itoa(int(k)) + ")"
}

// Applies reports whether the event installs a binding (as opposed to
// removing leases).
func (k EventKind) Applies() bool { return k >= EventBound && k <= EventInformed }

// Event is what an Action is asked to do.
type Event struct {
	Kind      EventKind
	Interface string
	// Binding is the binding to apply, or what is left after a removal
	// (nil if nothing).
	Binding *Binding
	// Old is the binding before the event, nil if none.
	Old *Binding
}

// Action applies events to the system. It is called from the client's
// goroutine; an error stops the client (Run returns it).
type Action interface {
	Apply(ctx context.Context, ev Event) error
}

// ActionFunc adapts a function to the Action interface.
type ActionFunc func(ctx context.Context, ev Event) error

// Apply calls f.
func (f ActionFunc) Apply(ctx context.Context, ev Event) error { return f(ctx, ev) }

// Actions runs several actions in order. For events that remove leases
// it runs all of them even when one fails and returns the errors joined.
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

// NetlinkAction puts the addresses of IA_NAs on the interface with
// rtnetlink, as /128s with the lifetimes the server gave (so that the
// kernel removes them at expiry even if nobody is left to), and removes
// addresses the binding no longer holds. Delegated prefixes are not
// configured: they are for the Action of the program that delegates them
// downstream, which sees them in every Event.
//
// It is a [DADChecker]: it reports addresses whose duplicate address
// detection failed (the kernel's dadfailed flag), which the client then
// declines.
type NetlinkAction struct{}
