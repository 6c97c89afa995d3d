package daemon

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"net/netip"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/leased/leased/control"
	"github.com/leased/leased/ddns/ncr"
	"github.com/leased/leased/dhcpv4"
	"github.com/leased/leased/dhcpv4/optdef"
	"github.com/leased/leased/engine"
	"github.com/leased/leased/ha"
	"github.com/leased/leased/lease"
)

// The lease4-* commands of Kea's lease_cmds hook, with its arguments,
// answer texts and result codes. Reads go to the store; changes go
// through the server, which keeps its allocators in step.

func (p *process) leaseCommands() map[string]control.Handler {
	return map[string]control.Handler{
		"lease4-add":               p.cmdLeaseAdd,
		"lease4-update":            p.cmdLeaseUpdate,
		"lease4-get":               p.cmdLeaseGet,
		"lease4-get-all":           p.cmdLeaseGetAll,
		"lease4-get-page":          p.cmdLeaseGetPage,
		"lease4-get-by-hw-address": p.cmdLeaseGetByHW,
		"lease4-get-by-client-id":  p.cmdLeaseGetByClientID,
		"lease4-get-by-hostname":   p.cmdLeaseGetByHostname,
		"lease4-del":               p.cmdLeaseDel,
		"lease4-wipe":              p.cmdLeaseWipe,
		"lease4-resend-ddns":       p.cmdLeaseResendDDNS,
		ha.CmdLeaseBulkApply:       p.cmdLeaseBulkApply,
	}
}

// leasesJSON is ls as Kea's lease commands show leases.
func leasesJSON(ls []lease.Lease) []lease.KeaJSON {
	out := make([]lease.KeaJSON, len(ls))
	for i := range ls {
		out[i] = ls[i].KeaJSON()
	}
	return out
}

// leasesAnswer is the answer of the commands that return a list: result
// 0 with the leases, or 3 (empty) when there are none.
func leasesAnswer(ls []lease.Lease, extra map[string]any) control.Response {
	args := map[string]any{"leases": leasesJSON(ls)}
	for k, v := range extra {
		args[k] = v
	}
	code := control.Success
	if len(ls) == 0 {
		code = control.Empty
	}
	return control.Answer(code, fmt.Sprintf("%d IPv4 lease(s) found.", len(ls)), args)
}

// idHex is the syntax of a hardware address or client identifier in a
// lease command: hexadecimal bytes of one or two digits separated by
// colons, dashes or spaces in any mix (empty groups skipped), or an
// unseparated string of digit pairs with an optional 0x or 0X.
const idHex = optdef.HexColon | optdef.HexDash | optdef.HexSpace | optdef.HexMixed |
	optdef.HexUpperPrefix | optdef.HexBarePrefix | optdef.HexEvenRun | optdef.HexStrictRun | optdef.HexNoEmpty

// parseHexID reads a hardware address or client identifier of at most
// max bytes.
func parseHexID(s string, max int) ([]byte, error) {
	if s == "" {
		return nil, errors.New("empty")
	}
	out, err := optdef.ParseHex(s, idHex)
	switch {
	case err != nil && strings.ContainsAny(s, ":- "):
		return nil, fmt.Errorf("%q is not a list of hexadecimal bytes", s)
	case err != nil:
		return nil, fmt.Errorf("%q is not hexadecimal", s)
	case len(out) > max:
		return nil, fmt.Errorf("%q is %d bytes long, more than %d", s, len(out), max)
	}
	return out, nil
}

// requireArgs reads mandatory map arguments with the lease_cmds text for
// their absence.
func requireArgs(raw json.RawMessage) (control.Args, error) {
	if isAbsent(raw) {
		return nil, errors.New("Command arguments missing or a not a map.")
	}
	var a control.Args
	if err := json.Unmarshal(raw, &a); err != nil || a == nil {
		return nil, errors.New("Command arguments missing or a not a map.")
	}
	return a, nil
}

func argAddr(a control.Args, key string) (netip.Addr, error) {
	s, err := a.String(key)
	if err != nil {
		return netip.Addr{}, err
	}
	ip, err := netip.ParseAddr(s)
	if err != nil || !ip.Is4() {
		return netip.Addr{}, fmt.Errorf("Invalid IPv4 address specified: %s", s)
	}
	return ip, nil
}

// conflictError marks a valid request that the server's state or
// configuration refuses (result 4).
type conflictError struct{ msg string }

func (e *conflictError) Error() string { return e.msg }

func conflictf(format string, args ...any) error { return &conflictError{fmt.Sprintf(format, args...)} }

func errorAnswer(err error) control.Response {
	var ce *conflictError
	if errors.As(err, &ce) {
		return control.Answer(control.Conflict, ce.msg, nil)
	}
	return control.Errorf("%s", err)
}

// parseLease reads the lease of lease4-add and lease4-update as Kea's
// lease parser does: ip-address and hw-address are required; subnet-id,
// when given, must name a configured subnet that contains the address,
// and is otherwise the subnet containing it; valid-lft defaults to the
// subnet's; expire sets cltt = expire - valid-lft.
func (p *process) parseLease(raw json.RawMessage) (*lease.Lease, bool, error) {
	a, err := requireArgs(raw)
	if err != nil {
		return nil, false, err
	}
	addr, err := argAddr(a, "ip-address")
	if err != nil {
		return nil, false, err
	}
	hwText, err := a.String("hw-address")
	if err != nil {
		return nil, false, err
	}
	// A declined lease has no client, and Kea (an HA partner's
	// lease4-update among others) sends it with an empty hw-address.
	var hw []byte
	if hwText != "" {
		if hw, err = parseHexID(hwText, lease.MaxHWAddrLen); err != nil {
			return nil, false, fmt.Errorf("invalid hw-address: %v", err)
		}
	}
	l := &lease.Lease{Addr: addr, HWAddr: hw}
	if len(hw) > 0 {
		l.HWType = lease.HTypeEthernet
	}
	cfg := p.srv.Config()
	if a.Has("subnet-id") {
		if l.SubnetID, err = a.Uint32("subnet-id"); err != nil {
			return nil, false, err
		}
	}
	if l.SubnetID != 0 {
		sn := cfg.SubnetByID(l.SubnetID)
		if sn == nil {
			return nil, false, conflictf("Invalid subnet-id: No IPv4 subnet with subnet-id=%d currently configured.", l.SubnetID)
		}
		if !sn.Prefix.Contains(addr) {
			return nil, false, conflictf("The address %v does not belong to subnet %v, subnet-id=%d", addr, sn.Prefix, l.SubnetID)
		}
	}
	sn := cfg.SubnetContaining(addr)
	if l.SubnetID == 0 {
		if sn == nil {
			return nil, false, conflictf("subnet-id not specified and failed to find a subnet for address %v", addr)
		}
		l.SubnetID = sn.ID
	} else {
		sn = cfg.SubnetByID(l.SubnetID)
	}
	if what := networkOrBroadcast(sn.Prefix, addr); what != "" {
		return nil, false, conflictf("The address %v is the %s address of subnet %v, subnet-id=%d", addr, what, sn.Prefix, sn.ID)
	}
	if a.Has("pool-id") {
		if l.PoolID, err = a.Uint32("pool-id"); err != nil {
			return nil, false, err
		}
	} else {
		for _, pl := range sn.Pools {
			if pl.Contains(addr) {
				l.PoolID = pl.ID
				break
			}
		}
	}
	if a.Has("client-id") {
		s, err := a.String("client-id")
		if err != nil {
			return nil, false, err
		}
		if l.ClientID, err = parseHexID(s, lease.MaxClientIDLen); err != nil {
			return nil, false, fmt.Errorf("invalid client-id: %v", err)
		}
	}
	l.ValidLifetime = sn.Params.ValidLifetime.Default
	if a.Has("valid-lft") {
		if l.ValidLifetime, err = a.Uint32("valid-lft"); err != nil {
			return nil, false, err
		}
	}
	l.CLTT = time.Now().Unix()
	if a.Has("expire") {
		exp, err := a.Int("expire")
		if err != nil {
			return nil, false, err
		}
		if exp <= 0 {
			return nil, false, fmt.Errorf("expiration time must be positive for address %v", addr)
		}
		if exp < int64(l.ValidLifetime) {
			return nil, false, fmt.Errorf("expiration time must be greater than valid lifetime for address %v", addr)
		}
		l.CLTT = exp - int64(l.ValidLifetime)
	}
	for _, f := range []struct {
		key string
		dst *bool
	}{{"fqdn-fwd", &l.FQDNFwd}, {"fqdn-rev", &l.FQDNRev}} {
		if a.Has(f.key) {
			if *f.dst, err = a.Bool(f.key); err != nil {
				return nil, false, err
			}
		}
	}
	if a.Has("hostname") {
		if l.Hostname, err = a.String("hostname"); err != nil {
			return nil, false, err
		}
	}
	if l.Hostname == "" && (l.FQDNFwd || l.FQDNRev) {
		return nil, false, errors.New("No hostname specified and either forward or reverse fqdn was set to true.")
	}
	if a.Has("state") {
		st, err := a.Int("state")
		if err != nil {
			return nil, false, err
		}
		if st < 0 || st > math.MaxUint8 || !lease.State(st).Valid() {
			return nil, false, fmt.Errorf("Invalid state value: %d, supported values are: 0 (default), 1 (declined), 2 (expired-reclaimed) and 3 (released)", st)
		}
		l.State = lease.State(st)
	}
	if len(l.HWAddr) == 0 && l.State != lease.StateDeclined {
		return nil, false, errors.New("invalid hw-address: empty, which only a declined lease (state 1) may be")
	}
	if raw, ok := a["user-context"]; ok {
		if !isMap(raw) {
			return nil, false, fmt.Errorf("Invalid user context '%s' is not a JSON map.", bytes.TrimSpace(raw))
		}
		var c bytes.Buffer
		if err := json.Compact(&c, raw); err != nil {
			return nil, false, fmt.Errorf("Invalid user context: %v", err)
		}
		l.UserContext = c.String()
	}
	force := false
	if a.Has("force-create") {
		if force, err = a.Bool("force-create"); err != nil {
			return nil, false, err
		}
	}
	if err := l.Validate(); err != nil {
		return nil, false, err
	}
	return l, force, nil
}

// networkOrBroadcast names what a is in prefix when it is the network or
// the broadcast address, which no client can hold, and returns "" for any
// other address. A /31 or /32 has neither (RFC 3021).
func networkOrBroadcast(prefix netip.Prefix, a netip.Addr) string {
	if !prefix.Addr().Is4() || prefix.Bits() >= 31 {
		return ""
	}
	first := prefix.Masked().Addr()
	host := uint32(1)<<(32-prefix.Bits()) - 1
	switch {
	case a == first:
		return "network"
	case a == dhcpv4.Uint32ToAddr(dhcpv4.AddrToUint32(first)|host):
		return "broadcast"
	}
	return ""
}

func (p *process) cmdLeaseAdd(ctx context.Context, raw json.RawMessage) control.Response {
	l, _, err := p.parseLease(raw)
	if err != nil {
		return errorAnswer(err)
	}
	if err := p.srv.AddLease(ctx, l); err != nil {
		if errors.Is(err, lease.ErrExists) {
			return control.Answer(control.Conflict, "IPv4 lease already exists.", nil)
		}
		return control.Errorf("%v", err)
	}
	p.log.Info("lease added by command", "address", l.Addr, "subnet-id", l.SubnetID)
	return control.OK(fmt.Sprintf("Lease for address %v, subnet-id %d added.", l.Addr, l.SubnetID))
}

func (p *process) cmdLeaseUpdate(ctx context.Context, raw json.RawMessage) control.Response {
	l, force, err := p.parseLease(raw)
	if err != nil {
		return errorAnswer(err)
	}
	added, err := p.srv.UpdateLease(ctx, l, force)
	switch {
	case errors.Is(err, lease.ErrNotFound), errors.Is(err, lease.ErrConflict):
		return control.Answer(control.Conflict, fmt.Sprintf("failed to update the lease with address %v either because the lease has been deleted or it has changed in the database, in both cases a retry might succeed", l.Addr), nil)
	case err != nil:
		return control.Errorf("%v", err)
	case added:
		p.log.Info("lease added by command", "address", l.Addr, "subnet-id", l.SubnetID)
		return control.OK("IPv4 lease added.")
	}
	p.log.Info("lease updated by command", "address", l.Addr, "subnet-id", l.SubnetID)
	return control.OK("IPv4 lease updated.")
}

// cmdLeaseBulkApply applies the lease changes an HA partner sends for one
// group commit of its own (ha.CmdLeaseBulkApply): each deleted lease as
// lease4-del by ip-address, each lease as lease4-update, with the same
// parser and answers, then one flush of the store for them all. The
// answer lists the leases that failed, each with the result its own
// command would have answered, so that the partner withholds only those
// clients' replies; when the flush fails, nothing is applied and the
// whole request fails. As with lease4-update and lease4-del from a
// partner, DNS is left alone and nothing is replicated further.
func (p *process) cmdLeaseBulkApply(ctx context.Context, raw json.RawMessage) control.Response {
	dels, ups, err := ha.DecodeBulkApply(raw)
	if err != nil {
		return control.Errorf("%v", err)
	}
	var ans ha.BulkApplyAnswer
	ws := make([]engine.LeaseWrite, 0, len(dels)+len(ups))
	// failed notes a lease the parser refused; writes[i] says, for each
	// lease written, which list and address its failure goes to.
	type origin struct {
		del  bool
		addr string
	}
	var writes []origin
	for _, d := range dels {
		q, err := parseLeaseQuery(d)
		if err == nil && !q.addr.IsValid() {
			err = errors.New("'ip-address' is missing: a deleted lease is named by its address")
		}
		if err != nil {
			ans.FailedDeletedLeases = append(ans.FailedDeletedLeases, ha.BulkFailure{IPAddress: bulkAddr(d), Result: control.Error, ErrorMessage: err.Error()})
			continue
		}
		ws = append(ws, engine.LeaseWrite{Del: true, Lease: &lease.Lease{Addr: q.addr}})
		writes = append(writes, origin{true, q.addr.String()})
	}
	for _, u := range ups {
		l, force, err := p.parseLease(u)
		if err != nil {
			f := errorAnswer(err)
			ans.FailedLeases = append(ans.FailedLeases, ha.BulkFailure{IPAddress: bulkAddr(u), Result: f.Result, ErrorMessage: f.Text})
			continue
		}
		ws = append(ws, engine.LeaseWrite{Create: force, Lease: l})
		writes = append(writes, origin{false, l.Addr.String()})
	}
	if err := p.srv.ApplyLeases(ctx, ws); err != nil {
		return control.Errorf("%s: the leases could not be made durable, none was applied: %v", ha.CmdLeaseBulkApply, err)
	}
	applied := 0
	for i, w := range ws {
		if w.Err == nil {
			applied++
			continue
		}
		f := ha.BulkFailure{IPAddress: writes[i].addr, Result: control.Error, ErrorMessage: w.Err.Error()}
		switch {
		case errors.Is(w.Err, lease.ErrNotFound) && w.Del:
			f.Result, f.ErrorMessage = control.Empty, "IPv4 lease not found."
		case errors.Is(w.Err, lease.ErrNotFound), errors.Is(w.Err, lease.ErrConflict):
			f.Result = control.Conflict
			f.ErrorMessage = fmt.Sprintf("failed to update the lease with address %v either because the lease has been deleted or it has changed in the database, in both cases a retry might succeed", writes[i].addr)
		}
		if w.Del {
			ans.FailedDeletedLeases = append(ans.FailedDeletedLeases, f)
		} else {
			ans.FailedLeases = append(ans.FailedLeases, f)
		}
	}
	p.log.Debug("leases applied by command", "command", ha.CmdLeaseBulkApply, "applied", applied, "failed", len(ans.FailedDeletedLeases)+len(ans.FailedLeases))
	return ha.BulkApplyResponse(len(dels)+len(ups), ans)
}

// bulkAddr is the ip-address a lease of a bulk request names, for the
// answer's list of failures ("" when it names none).
func bulkAddr(raw json.RawMessage) string {
	var a struct {
		IP any `json:"ip-address"`
	}
	if json.Unmarshal(raw, &a) != nil {
		return ""
	}
	s, _ := a.IP.(string)
	return s
}

// leaseQuery is the lease4-get and lease4-del way of naming a lease: by
// ip-address, or by identifier-type and identifier within subnet-id.
type leaseQuery struct {
	addr     netip.Addr
	subnetID uint32
	idType   string
	id       []byte
}

func parseLeaseQuery(raw json.RawMessage) (leaseQuery, error) {
	var q leaseQuery
	var a control.Args
	if isAbsent(raw) || json.Unmarshal(raw, &a) != nil || a == nil {
		return q, errors.New("Parameters missing or are not a map.")
	}
	if a.Has("ip-address") {
		s, err := a.String("ip-address")
		if err != nil {
			return q, errors.New("'ip-address' is not a string.")
		}
		ip, err := netip.ParseAddr(s)
		if err != nil || !ip.Is4() {
			return q, fmt.Errorf("Invalid IPv4 address specified: %s", s)
		}
		q.addr = ip
		return q, nil
	}
	if !a.Has("subnet-id") {
		return q, errors.New("Mandatory 'subnet-id' parameter missing.")
	}
	id, err := a.Uint32("subnet-id")
	if err != nil {
		return q, errors.New("'subnet-id' parameter is not integer.")
	}
	q.subnetID = id
	typ, err := a.String("identifier-type")
	if err != nil {
		return q, errors.New("No 'ip-address' provided and 'identifier-type' is either missing or not a string.")
	}
	ident, err := a.String("identifier")
	if err != nil {
		return q, errors.New("No 'ip-address' provided and 'identifier' is either missing or not a string.")
	}
	switch typ {
	case "hw-address":
		if q.id, err = parseHexID(ident, lease.MaxHWAddrLen); err != nil {
			return q, fmt.Errorf("Bad 'hw-address' identifier: %v", err)
		}
	case "client-id":
		if q.id, err = parseHexID(ident, lease.MaxClientIDLen); err != nil {
			return q, fmt.Errorf("Bad 'client-id' identifier: %v", err)
		}
	case "duid":
		return q, errors.New("Query by duid is not allowed in v4.")
	default:
		return q, fmt.Errorf("Incorrect identifier type: %s, the only supported values are: address, hw-address, duid", typ)
	}
	q.idType = typ
	return q, nil
}

// find looks up the lease that the arguments of lease4-get or lease4-del
// name.
func (p *process) find(ctx context.Context, raw json.RawMessage, l *lease.Lease) (bool, error) {
	q, err := parseLeaseQuery(raw)
	if err != nil {
		return false, err
	}
	st := p.srv.LeaseStore()
	switch q.idType {
	case "hw-address":
		return st.GetByHWAddr(ctx, q.subnetID, q.id, l)
	case "client-id":
		return st.GetByClientID(ctx, q.subnetID, q.id, l)
	}
	return st.Get(ctx, q.addr, l)
}

func (p *process) cmdLeaseGet(ctx context.Context, raw json.RawMessage) control.Response {
	var l lease.Lease
	ok, err := p.find(ctx, raw, &l)
	if err != nil {
		return control.Errorf("%v", err)
	}
	if !ok {
		return control.Answer(control.Empty, "Lease not found.", nil)
	}
	return control.Answer(control.Success, "IPv4 lease found.", l.KeaJSON())
}

// cmdLeaseDel deletes a lease. With "update-ddns": true the DNS records
// the lease asked for are removed too, as Kea does; without it (and in
// the lease4-del an HA partner sends) DNS is left alone.
func (p *process) cmdLeaseDel(ctx context.Context, raw json.RawMessage) control.Response {
	var l lease.Lease
	ok, err := p.find(ctx, raw, &l)
	if err != nil {
		return control.Errorf("%v", err)
	}
	updateDNS, err := updateDDNSArg(raw)
	if err != nil {
		return control.Errorf("%v", err)
	}
	if !ok {
		return control.Answer(control.Empty, "IPv4 lease not found.", nil)
	}
	deleted, err := p.srv.DeleteLease(ctx, l.Addr)
	if err != nil {
		if errors.Is(err, lease.ErrNotFound) {
			return control.Answer(control.Empty, "IPv4 lease not found.", nil)
		}
		return control.Errorf("%v", err)
	}
	p.log.Info("lease deleted by command", "address", l.Addr, "subnet-id", l.SubnetID)
	if updateDNS && p.ncr != nil {
		p.ncr.NameChanges([]engine.Change{{Old: &deleted}})
	}
	return control.OK("IPv4 lease deleted.")
}

// cmdLeaseResendDDNS asks again for the DNS records of the lease at
// ip-address, as Kea's lease4-resend-ddns does: an add request built
// from the lease as stored, for when DNS lost them.
func (p *process) cmdLeaseResendDDNS(ctx context.Context, raw json.RawMessage) control.Response {
	var a control.Args
	if isAbsent(raw) || json.Unmarshal(raw, &a) != nil || a == nil {
		return control.Errorf("Parameters missing or are not a map.")
	}
	s, err := a.String("ip-address")
	if err != nil {
		return control.Errorf("'ip-address' is missing or not a string.")
	}
	addr, err := netip.ParseAddr(s)
	if err != nil || !addr.Is4() {
		return control.Errorf("Invalid IPv4 address specified: %s", s)
	}
	if p.ncr == nil || !p.srv.Config().DHCPDDNS.EnableUpdates {
		return control.Errorf("DNS updates are off (dhcp-ddns enable-updates is false)")
	}
	var l lease.Lease
	ok, err := p.srv.LeaseStore().Get(ctx, addr, &l)
	if err != nil {
		return control.Errorf("%v", err)
	}
	if !ok {
		return control.Answer(control.Empty, fmt.Sprintf("No lease found for: %s", addr), nil)
	}
	if l.State != lease.StateDefault || !ncr.Wants(&l) {
		return control.Errorf("the lease of %s asks for no DNS records (no hostname, neither fqdn-fwd nor fqdn-rev, or not in use)", addr)
	}
	p.ncr.NameChanges([]engine.Change{{New: &l}})
	return control.OK(fmt.Sprintf("NameChangeRequest queued for %s, hostname %s", addr, l.Hostname))
}

// updateDDNSArg reads lease4-del's optional "update-ddns" (false when
// absent).
func updateDDNSArg(raw json.RawMessage) (bool, error) {
	var a control.Args
	if json.Unmarshal(raw, &a) != nil || !a.Has("update-ddns") {
		return false, nil
	}
	v, err := a.Bool("update-ddns")
	if err != nil {
		return false, errors.New("'update-ddns' is not a boolean")
	}
	return v, nil
}

// allLeases pages through the store: every lease of subnetID (0: all).
func (p *process) allLeases(ctx context.Context, subnetID uint32) ([]lease.Lease, error) {
	var out []lease.Lease
	var after netip.Addr
	for {
		page, err := p.srv.LeaseStore().Page(ctx, after, subnetID, 4096)
		if err != nil {
			return nil, err
		}
		if len(page) == 0 {
			return out, nil
		}
		out = append(out, page...)
		after = page[len(page)-1].Addr
	}
}

func (p *process) cmdLeaseGetAll(ctx context.Context, raw json.RawMessage) control.Response {
	var subnets []uint32
	if !isAbsent(raw) {
		a, err := requireArgs(raw)
		if err != nil {
			return control.Errorf("%s", err)
		}
		list, ok := a["subnets"]
		if !ok {
			return control.Errorf("'subnets' parameter not specified")
		}
		var ids []json.Number
		dec := json.NewDecoder(bytes.NewReader(list))
		dec.UseNumber()
		if !bytes.HasPrefix(bytes.TrimSpace(list), []byte("[")) {
			return control.Errorf("'subnets' parameter must be a list")
		}
		if err := dec.Decode(&ids); err != nil {
			return control.Errorf("listed subnet identifiers must be numbers")
		}
		for _, n := range ids {
			id, err := strconv.ParseUint(n.String(), 10, 32)
			if err != nil {
				return control.Errorf("out of range subnet identifier %s", n)
			}
			subnets = append(subnets, uint32(id))
		}
		if len(subnets) == 0 {
			return leasesAnswer(nil, nil)
		}
	}
	if subnets == nil {
		ls, err := p.allLeases(ctx, 0)
		if err != nil {
			return control.Errorf("%v", err)
		}
		return leasesAnswer(ls, nil)
	}
	var all []lease.Lease
	for _, id := range subnets {
		if id == 0 {
			continue // 0 means every subnet to the store; Kea has no subnet 0
		}
		ls, err := p.allLeases(ctx, id)
		if err != nil {
			return control.Errorf("%v", err)
		}
		all = append(all, ls...)
	}
	return leasesAnswer(all, nil)
}

func (p *process) cmdLeaseGetPage(ctx context.Context, raw json.RawMessage) control.Response {
	if isAbsent(raw) {
		return control.Errorf("no parameters specified for the lease4-get-page command")
	}
	a, err := requireArgs(raw)
	if err != nil {
		return control.Errorf("%s", err)
	}
	if !a.Has("from") {
		return control.Errorf("'from' parameter not specified")
	}
	from, err := a.String("from")
	if err != nil {
		return control.Errorf("'from' parameter must be a string")
	}
	var after netip.Addr
	if from != "start" {
		ip, err := netip.ParseAddr(from)
		if err != nil {
			return control.Errorf("'from' parameter value is neither 'start' keyword nor a valid IPv4 address")
		}
		if !ip.Is4() {
			return control.Errorf("'from' parameter value %s is not an IPv4 address", from)
		}
		if !ip.IsUnspecified() {
			after = ip
		}
	}
	if !a.Has("limit") {
		return control.Errorf("'limit' parameter not specified")
	}
	limit, err := a.Int("limit")
	switch {
	case err != nil:
		return control.Errorf("'limit' parameter must be a number")
	case limit < 0 || limit > math.MaxUint32:
		return control.Errorf("'limit' parameter is not a 32 bit unsigned integer.")
	case limit == 0:
		return control.Errorf("'limit' parameter must not be 0.")
	}
	ls, err := p.srv.LeaseStore().Page(ctx, after, 0, int(min(limit, 1<<20)))
	if err != nil {
		return control.Errorf("%v", err)
	}
	return leasesAnswer(ls, map[string]any{"count": len(ls)})
}

// stringArg reads the one argument of the lease4-get-by-* commands, a
// string, with lease_cmds' texts for a missing map, a missing key and a
// value that is not a string.
func stringArg(raw json.RawMessage, key string) (string, error) {
	a, err := requireArgs(raw)
	if err != nil {
		return "", err
	}
	if !a.Has(key) {
		return "", fmt.Errorf("'%s' parameter not specified", key)
	}
	s, err := a.String(key)
	if err != nil {
		return "", fmt.Errorf("'%s' parameter must be a string", key)
	}
	return s, nil
}

// foundAnswer is the answer of the lease4-get-by-* commands: the leases
// found, in address order.
func foundAnswer(ls []lease.Lease, err error) control.Response {
	if err != nil {
		return control.Errorf("%v", err)
	}
	return leasesAnswer(sortLeases(ls), nil)
}

func (p *process) cmdLeaseGetByHW(ctx context.Context, raw json.RawMessage) control.Response {
	s, err := stringArg(raw, "hw-address")
	if err != nil {
		return control.Errorf("%s", err)
	}
	if s == "" {
		return control.Errorf("'hw-address' parameter must not be empty")
	}
	hw, err := parseHexID(s, lease.MaxHWAddrLen)
	if err != nil {
		return control.Errorf("bad 'hw-address' parameter: %v", err)
	}
	return foundAnswer(p.srv.LeaseStore().FindByHWAddr(ctx, hw))
}

func (p *process) cmdLeaseGetByClientID(ctx context.Context, raw json.RawMessage) control.Response {
	s, err := stringArg(raw, "client-id")
	if err != nil {
		return control.Errorf("%s", err)
	}
	cid, err := parseHexID(s, lease.MaxClientIDLen)
	if err != nil {
		return control.Errorf("bad 'client-id' parameter: %v", err)
	}
	return foundAnswer(p.srv.LeaseStore().FindByClientID(ctx, cid))
}

func (p *process) cmdLeaseGetByHostname(ctx context.Context, raw json.RawMessage) control.Response {
	name, err := stringArg(raw, "hostname")
	if err != nil {
		return control.Errorf("%s", err)
	}
	if name == "" {
		return control.Errorf("'hostname' parameter is empty")
	}
	return foundAnswer(p.srv.LeaseStore().FindByHostname(ctx, name))
}

func sortLeases(ls []lease.Lease) []lease.Lease {
	sort.Slice(ls, func(i, j int) bool { return ls[i].Addr.Less(ls[j].Addr) })
	return ls
}

func (p *process) cmdLeaseWipe(ctx context.Context, raw json.RawMessage) control.Response {
	var ids []uint32
	if !isAbsent(raw) {
		a, err := requireArgs(raw)
		if err != nil {
			return control.Errorf("%s", err)
		}
		if a.Has("subnet-id") {
			id, err := a.Uint32("subnet-id")
			if err != nil {
				return control.Errorf("%s", err)
			}
			if id != 0 {
				ids = []uint32{id}
			}
		}
	}
	if ids == nil {
		for _, sn := range p.srv.Config().Subnets {
			ids = append(ids, sn.ID)
		}
	}
	n, err := p.srv.WipeLeases(ctx, ids...)
	if err != nil {
		return control.Errorf("%v", err)
	}
	var list strings.Builder
	for _, id := range ids {
		fmt.Fprintf(&list, " %d", id)
	}
	p.log.Info("leases wiped by command", "subnets", strings.TrimSpace(list.String()), "count", n)
	code := control.Success
	if n == 0 {
		code = control.Empty
	}
	return control.Answer(code, fmt.Sprintf("Deleted %d IPv4 lease(s) from subnet(s)%s", n, list.String()), nil)
}
