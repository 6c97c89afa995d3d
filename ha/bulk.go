package ha

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/netip"

	"github.com/leased/leased/control"
	"github.com/leased/leased/lease"
)

// CmdLeaseBulkApply carries the lease changes of one group commit to a
// leased partner in one request: the partner applies them together and
// makes them durable with one flush, where lease4-update and lease4-del
// cost a request and an answer each. Its arguments and answer are those
// of Kea's lease6-bulk-apply ("deleted-leases" and "leases"; the answer
// lists "failed-deleted-leases" and "failed-leases", each with its result
// and error-message), with lease4-update's and lease4-del's lease fields.
//
// Kea has no IPv4 bulk command (its lease_cmds hook registers
// lease6-bulk-apply only, in 2.2 as in 3.x), so the name says whose
// command this is: were Kea to add lease4-bulk-apply, with a wire of its
// own, the two would not be mistaken for each other. A Kea partner
// answers it with result 2 (command not supported); the Client then
// sends that peer lease4-update and lease4-del, one lease a request, as
// Kea's HA hook does.
const CmdLeaseBulkApply = "leased-lease4-bulk-apply"

// MaxBulkLeases bounds the leases of one bulk request; a group commit
// larger than this goes in several.
const MaxBulkLeases = 1024

// BulkApplyArgs are the arguments of CmdLeaseBulkApply: deletes first,
// then updates (with force-create), each a lease as lease4-del and
// lease4-update carry it.
type BulkApplyArgs struct {
	DeletedLeases []Lease4 `json:"deleted-leases,omitempty"`
	Leases        []Lease4 `json:"leases,omitempty"`
}

// BulkApplyCommand is the request carrying dels (deleted) and ups
// (written) to a partner of dialect d.
func BulkApplyCommand(d Dialect, dels, ups []*lease.Lease) (control.Command, error) {
	if len(dels)+len(ups) == 0 {
		return control.Command{}, fmt.Errorf("%s: no lease to send", CmdLeaseBulkApply)
	}
	var a BulkApplyArgs
	for _, l := range dels {
		a.DeletedLeases = append(a.DeletedLeases, LeaseToWire(d, l, false))
	}
	for _, l := range ups {
		a.Leases = append(a.Leases, LeaseToWire(d, l, true))
	}
	return NewCommand(CmdLeaseBulkApply, a)
}

// DecodeBulkApply splits the arguments of CmdLeaseBulkApply into its
// deleted leases and leases, each left raw for the receiver's lease
// parser (the one of lease4-del and lease4-update). At least one of the
// two lists must be present, and each that is must be a list of maps.
func DecodeBulkApply(raw json.RawMessage) (dels, ups []json.RawMessage, err error) {
	var a struct {
		Deleted json.RawMessage `json:"deleted-leases"`
		Leases  json.RawMessage `json:"leases"`
	}
	if err := decodeArgs(CmdLeaseBulkApply, raw, &a); err != nil {
		return nil, nil, err
	}
	if isNull(a.Deleted) && isNull(a.Leases) {
		return nil, nil, fmt.Errorf("%s: neither 'deleted-leases' nor 'leases' is given", CmdLeaseBulkApply)
	}
	if dels, err = mapList("deleted-leases", a.Deleted); err != nil {
		return nil, nil, err
	}
	if ups, err = mapList("leases", a.Leases); err != nil {
		return nil, nil, err
	}
	return dels, ups, nil
}

func isNull(raw json.RawMessage) bool { return len(raw) == 0 || string(raw) == "null" }

// mapList reads raw, when present, as a list whose every element is a
// JSON map.
func mapList(key string, raw json.RawMessage) ([]json.RawMessage, error) {
	if isNull(raw) {
		return nil, nil
	}
	var list []json.RawMessage
	if err := json.Unmarshal(raw, &list); err != nil {
		return nil, fmt.Errorf("%s: '%s' must be a list", CmdLeaseBulkApply, key)
	}
	for i, e := range list {
		var m map[string]json.RawMessage
		if err := json.Unmarshal(e, &m); err != nil || m == nil {
			return nil, fmt.Errorf("%s: element %d of '%s' is not a map", CmdLeaseBulkApply, i, key)
		}
	}
	return list, nil
}

// BulkFailure is a lease the partner did not apply: its address, the
// result lease4-del or lease4-update would have answered (3 for a
// delete of a lease it does not have, which counts as done), and why.
type BulkFailure struct {
	IPAddress    string `json:"ip-address"`
	Result       int    `json:"result"`
	ErrorMessage string `json:"error-message"`
}

// BulkApplyAnswer is the arguments of the answer to CmdLeaseBulkApply.
type BulkApplyAnswer struct {
	FailedDeletedLeases []BulkFailure `json:"failed-deleted-leases"`
	FailedLeases        []BulkFailure `json:"failed-leases"`
}

// BulkApplyResponse is the answer to a bulk request of n leases that was
// carried out, except for the failures listed.
func BulkApplyResponse(n int, a BulkApplyAnswer) control.Response {
	if a.FailedDeletedLeases == nil {
		a.FailedDeletedLeases = []BulkFailure{}
	}
	if a.FailedLeases == nil {
		a.FailedLeases = []BulkFailure{}
	}
	return control.Answer(control.Success, fmt.Sprintf("Bulk apply of %d IPv4 leases completed.", n), a)
}

// BulkResults is a partner's verdict on each lease of a bulk request, by
// address: a lease not listed was applied.
type BulkResults struct {
	Deleted map[netip.Addr]BulkFailure
	Updated map[netip.Addr]BulkFailure
}

// Err is the failure of the delete (del) or update of addr, nil when the
// partner applied it or (a delete) had no such lease, as Kea's HA hook
// counts a lease4-del answered with result 3. It is an *AnswerError,
// with the result lease4-update or lease4-del would have answered.
func (b BulkResults) Err(del bool, addr netip.Addr) error {
	m := b.Updated
	if del {
		m = b.Deleted
	}
	f, ok := m[addr]
	if !ok || (del && f.Result == control.Empty) {
		return nil
	}
	res := f.Result
	if res == control.Success || res == control.Empty {
		// A listed lease failed, whatever result it names.
		res = control.Error
	}
	return &AnswerError{Result: res, Text: fmt.Sprintf("%s of %s: %s", CmdLeaseBulkApply, addr, f.ErrorMessage)}
}

// DecodeBulkApplyAnswer reads the failures a partner's answer to
// CmdLeaseBulkApply lists. Every listed lease must name an IPv4 address.
func DecodeBulkApplyAnswer(r control.Response) (BulkResults, error) {
	res := BulkResults{Deleted: map[netip.Addr]BulkFailure{}, Updated: map[netip.Addr]BulkFailure{}}
	raw, err := r.RawArguments()
	if err != nil {
		return res, fmt.Errorf("%s answer: %w", CmdLeaseBulkApply, err)
	}
	if isNull(raw) {
		return res, nil
	}
	var a BulkApplyAnswer
	if err := json.Unmarshal(raw, &a); err != nil {
		var te *json.UnmarshalTypeError
		if errors.As(err, &te) && te.Field != "" {
			return res, fmt.Errorf("%s answer: '%s' has the wrong type: %s where %s is expected", CmdLeaseBulkApply, te.Field, te.Value, te.Type)
		}
		return res, fmt.Errorf("%s answer: %w", CmdLeaseBulkApply, err)
	}
	for _, l := range []struct {
		key  string
		from []BulkFailure
		to   map[netip.Addr]BulkFailure
	}{{"failed-deleted-leases", a.FailedDeletedLeases, res.Deleted}, {"failed-leases", a.FailedLeases, res.Updated}} {
		for _, f := range l.from {
			addr, err := netip.ParseAddr(f.IPAddress)
			if err != nil || !addr.Is4() {
				return res, fmt.Errorf("%s answer: '%s' names %q, not an IPv4 address", CmdLeaseBulkApply, l.key, f.IPAddress)
			}
			l.to[addr] = f
		}
	}
	return res, nil
}

// Bulk reports whether c sends a group's lease changes to its peer in
// one CmdLeaseBulkApply: true until the peer answered it with result 2.
func (c *Client) Bulk() bool { return !c.noBulk.Load() }

// ApplyLeases sends dels and ups to the peer in one CmdLeaseBulkApply and
// returns the peer's verdict on each lease. A peer that does not know the
// command (result 2) returns an error matching ErrUnsupported, and c
// remembers it: Bulk is false from then on. Any other failure of the
// whole request (transport, an answer that is not a success) is an
// error; no lease of it counts as applied.
func (c *Client) ApplyLeases(ctx context.Context, dels, ups []*lease.Lease) (BulkResults, error) {
	cmd, err := BulkApplyCommand(c.dialect, dels, ups)
	if err != nil {
		return BulkResults{}, err
	}
	r, err := c.Send(ctx, cmd, 0)
	if errors.Is(err, ErrUnsupported) {
		c.noBulk.Store(true)
	}
	if err != nil {
		return BulkResults{}, err
	}
	res, err := DecodeBulkApplyAnswer(r)
	if err != nil {
		return res, fmt.Errorf("%s to %s: %w", CmdLeaseBulkApply, c.peer.Name, err)
	}
	return res, nil
}
