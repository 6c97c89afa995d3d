package ha

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"net/netip"
	"time"

	"github.com/leased/leased/control"
	"github.com/leased/leased/dhcpv4/optdef"
	"github.com/leased/leased/lease"
)

// The commands partners exchange, and the operator's HA commands.
const (
	CmdHeartbeat           = "ha-heartbeat"
	CmdLease4Update        = "lease4-update"
	CmdLease4Del           = "lease4-del"
	CmdLease4GetPage       = "lease4-get-page"
	CmdDHCPDisable         = "dhcp-disable"
	CmdDHCPEnable          = "dhcp-enable"
	CmdSyncCompleteNotify  = "ha-sync-complete-notify"
	CmdReset               = "ha-reset"
	CmdContinue            = "ha-continue"
	CmdScopes              = "ha-scopes"
	CmdSync                = "ha-sync"
	CmdMaintenanceStart    = "ha-maintenance-start"
	CmdMaintenanceCancel   = "ha-maintenance-cancel"
	CmdMaintenanceNotify   = "ha-maintenance-notify"
	CmdStatusGet           = "status-get"
	OriginHAPartner        = "ha-partner"
	DateTimeLayout         = "Mon, 02 Jan 2006 15:04:05 GMT"
	remoteOriginBase       = 2000
	serviceDHCP4           = "dhcp4"
	textHeartbeat          = "HA peer status returned."
	textSyncCompleteNotify = "Server successfully notified about the synchronization completion."
)

// RemoteOrigin is Kea 3.x's network-state origin of a partner's commands
// in relationship n: 2000 + n.
func RemoteOrigin(n int) int { return remoteOriginBase + n }

// NewCommand builds a command to a peer as Kea's HA hook does: always with
// "service": ["dhcp4"] (which Kea 2.2's kea-ctrl-agent routes by and a
// dedicated listener ignores), "arguments" only when args is not nil.
func NewCommand(name string, args any) (control.Command, error) {
	c := control.Command{Command: name, Service: []string{serviceDHCP4}}
	if args != nil {
		raw, err := marshal(args)
		if err != nil {
			return c, fmt.Errorf("%s: encoding arguments: %w", name, err)
		}
		if string(raw) != "null" {
			c.Arguments = raw
		}
	}
	return c, nil
}

// marshal is json.Marshal without escaping <, > and &, so that text
// (host names, user contexts) reaches the partner byte for byte.
func marshal(v any) ([]byte, error) {
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return nil, err
	}
	return bytes.TrimSuffix(b.Bytes(), []byte("\n")), nil
}

// EncodeCommand writes a command as the body of a request to a peer.
func EncodeCommand(c control.Command) ([]byte, error) {
	b, err := marshal(c)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", c.Command, err)
	}
	return b, nil
}

// EncodeAnswer writes an answer in the envelope a partner expects from
// kea-ctrl-agent or a dedicated listener: a one-element list.
func EncodeAnswer(r control.Response) ([]byte, error) {
	b, err := json.Marshal([]control.Response{r})
	if err != nil {
		return nil, fmt.Errorf("encoding answer: %w", err)
	}
	return b, nil
}

// ErrUnsupported is the error of an answer with result 2: the partner
// does not know the command.
var ErrUnsupported = errors.New("command not supported by the partner")

// AnswerError is an answer Kea's HA hook counts as a failure.
type AnswerError struct {
	Result int
	Text   string
}

func (e *AnswerError) Error() string {
	return fmt.Sprintf("partner answered result %d: %q", e.Result, e.Text)
}

// Is makes an answer with result 2 match ErrUnsupported.
func (e *AnswerError) Is(target error) bool {
	return target == ErrUnsupported && e.Result == control.Unsupported
}

// DecodeAnswer reads a partner's HTTP answer body and judges it as Kea's
// HA hook does: the body must be a JSON list whose first element is the
// answer; result 0 and 3 (empty) are successes, anything else an
// *AnswerError (errors.Is(err, ErrUnsupported) for result 2). A bare map,
// as kea-ctrl-agent sends with 401 or 403, is a failure keeping its text.
// The answer is returned whenever it could be read, also with an error.
func DecodeAnswer(body []byte) (control.Response, error) {
	var r control.Response
	body = bytes.TrimSpace(body)
	if len(body) == 0 {
		return r, errors.New("empty answer")
	}
	switch body[0] {
	case '{':
		var m struct {
			Text string `json:"text"`
		}
		if err := json.Unmarshal(body, &m); err != nil {
			return r, fmt.Errorf("answer is not JSON: %w", err)
		}
		r = control.Response{Result: control.Error, Text: m.Text}
		return r, &AnswerError{Result: r.Result, Text: r.Text}
	case '[':
	default:
		return r, errors.New("answer is neither a JSON list nor a map")
	}
	var list []json.RawMessage
	if err := json.Unmarshal(body, &list); err != nil {
		return r, fmt.Errorf("answer is not a JSON list: %w", err)
	}
	if len(list) == 0 {
		return r, errors.New("answer is an empty list")
	}
	if err := json.Unmarshal(list[0], &r); err != nil {
		return r, fmt.Errorf("answer: %w", err)
	}
	if r.Result != control.Success && r.Result != control.Empty {
		return r, &AnswerError{Result: r.Result, Text: r.Text}
	}
	return r, nil
}

// decodeArgs decodes a command's arguments into v: present, and every
// known field of the right type; unknown fields are ignored, as Kea does.
func decodeArgs(command string, raw json.RawMessage, v any) error {
	if len(raw) == 0 || string(raw) == "null" {
		return fmt.Errorf("%s: arguments are missing", command)
	}
	if err := json.Unmarshal(raw, v); err != nil {
		var te *json.UnmarshalTypeError
		if errors.As(err, &te) && te.Field != "" {
			return fmt.Errorf("%s: '%s' has the wrong type: %s where %s is expected", command, te.Field, te.Value, te.Type)
		}
		return fmt.Errorf("%s: arguments: %w", command, err)
	}
	return nil
}

// ServerNameArgs are the arguments Kea 3.x adds to ha-heartbeat, ha-reset,
// ha-continue, ha-maintenance-start/cancel: the sender's (or the
// operator's chosen) relationship. Kea 2.2 sends no arguments.
type ServerNameArgs struct {
	ServerName string `json:"server-name,omitempty"`
}

// serverNameArgs returns the arguments of a command carrying only the
// server name: none in Kea 2.2.
func serverNameArgs(d Dialect, name string) any {
	if d == Kea22 {
		return nil
	}
	return ServerNameArgs{ServerName: name}
}

// HeartbeatCommand is the ha-heartbeat sent by this server.
func HeartbeatCommand(d Dialect, thisServer string) (control.Command, error) {
	return NewCommand(CmdHeartbeat, serverNameArgs(d, thisServer))
}

// ResetCommand is the ha-reset a communication-recovery server sends.
func ResetCommand(d Dialect, thisServer string) (control.Command, error) {
	return NewCommand(CmdReset, serverNameArgs(d, thisServer))
}

// DecodeServerName reads the optional server-name of a command's
// arguments ("" when absent, as from Kea 2.2).
func DecodeServerName(command string, raw json.RawMessage) (string, error) {
	if len(raw) == 0 || string(raw) == "null" {
		return "", nil
	}
	var a ServerNameArgs
	if err := decodeArgs(command, raw, &a); err != nil {
		return "", err
	}
	return a.ServerName, nil
}

// HeartbeatAnswer is the arguments of the answer to ha-heartbeat.
type HeartbeatAnswer struct {
	State             string   `json:"state"`
	DateTime          string   `json:"date-time"`
	Scopes            []string `json:"scopes"`
	UnsentUpdateCount uint64   `json:"unsent-update-count"`
}

// HeartbeatResponse is this server's answer to ha-heartbeat.
func HeartbeatResponse(state State, now time.Time, scopes []string, unsent uint64) control.Response {
	if scopes == nil {
		scopes = []string{}
	}
	return control.Answer(control.Success, textHeartbeat, HeartbeatAnswer{
		State: state.String(), DateTime: now.UTC().Format(DateTimeLayout),
		Scopes: scopes, UnsentUpdateCount: unsent,
	})
}

// DecodeHeartbeat reads the answer to our ha-heartbeat as Kea does: state
// and date-time are mandatory, the state must be one Kea knows (or
// "unavailable"), date-time in RFC 1123 form; empty scope names are
// skipped. The Heartbeat returned is OK only when err is nil.
func DecodeHeartbeat(r control.Response) (Heartbeat, error) {
	var hb Heartbeat
	raw, err := r.RawArguments()
	if err != nil {
		return hb, err
	}
	if len(raw) == 0 {
		return hb, errors.New("ha-heartbeat answer: no arguments")
	}
	var a struct {
		State    *string         `json:"state"`
		DateTime *string         `json:"date-time"`
		Scopes   []string        `json:"scopes"`
		Unsent   json.RawMessage `json:"unsent-update-count"`
	}
	if err := json.Unmarshal(raw, &a); err != nil {
		return hb, fmt.Errorf("ha-heartbeat answer: %w", err)
	}
	if a.State == nil {
		return hb, errors.New("ha-heartbeat answer: no state")
	}
	if hb.State, err = ParseState(*a.State); err != nil {
		return hb, fmt.Errorf("ha-heartbeat answer: %w", err)
	}
	if a.DateTime == nil {
		return hb, errors.New("ha-heartbeat answer: no date-time")
	}
	if hb.Time, err = time.Parse(DateTimeLayout, *a.DateTime); err != nil {
		return hb, fmt.Errorf("ha-heartbeat answer: date-time %q is not of the form %q", *a.DateTime, DateTimeLayout)
	}
	for _, s := range a.Scopes {
		if s != "" {
			hb.Scopes = append(hb.Scopes, s)
		}
	}
	if len(a.Unsent) > 0 && string(a.Unsent) != "null" {
		if err := json.Unmarshal(a.Unsent, &hb.UnsentUpdates); err != nil {
			return hb, fmt.Errorf("ha-heartbeat answer: unsent-update-count %s is not a non-negative integer", a.Unsent)
		}
	}
	hb.OK = true
	return hb, nil
}

// Lease4 is a lease as lease4-update, lease4-del and lease4-get-page carry
// it. Replication sends Expire (cltt + valid-lft); lease4-get-page answers
// with CLTT. It is lease.KeaJSON, the form of Kea's lease commands, with
// the fields of the HA hook's updates, and pointers where this package
// must tell an absent field from a zero when it reads one.
type Lease4 struct {
	IPAddress   string          `json:"ip-address"`
	SubnetID    uint32          `json:"subnet-id"`
	HWAddress   string          `json:"hw-address"`
	ClientID    string          `json:"client-id,omitempty"`
	ValidLft    uint32          `json:"valid-lft"`
	Expire      *int64          `json:"expire,omitempty"`
	CLTT        *int64          `json:"cltt,omitempty"`
	FQDNFwd     bool            `json:"fqdn-fwd"`
	FQDNRev     bool            `json:"fqdn-rev"`
	Hostname    string          `json:"hostname"`
	State       uint8           `json:"state"`
	UserContext json.RawMessage `json:"user-context,omitempty"`
	// Kea 3.x: the pool the lease came from, when not 0.
	PoolID uint32 `json:"pool-id,omitempty"`
	// ForceCreate: insert the lease when the partner has none (updates).
	ForceCreate bool `json:"force-create,omitempty"`
	// Origin is "ha-partner" on Kea 3.x's updates and deletes.
	Origin string `json:"origin,omitempty"`
	// Comment is accepted by Kea's parser and kept nowhere here.
	Comment string `json:"comment,omitempty"`
}

// wireHex is how the lease commands' identifiers are spelled on the wire:
// colon-separated octets (one digit allowed), or a run of digits with or
// without "0x" or "0X".
const wireHex = optdef.HexColon | optdef.HexUpperPrefix | optdef.HexStrictRun | optdef.HexBarePrefix

// parseHex reads a hardware address or client identifier of a lease
// update.
func parseHex(s string) ([]byte, error) {
	b, err := optdef.ParseHex(s, wireHex)
	if err != nil {
		return nil, fmt.Errorf("%q is not hex: %w", s, err)
	}
	return b, nil
}

// LeaseToWire is l as the HA hook replicates it (lease4-update with
// forceCreate, lease4-del without): expire instead of cltt; Kea 3.x adds
// the origin and a non-zero pool-id.
func LeaseToWire(d Dialect, l *lease.Lease, forceCreate bool) Lease4 {
	w := leaseFields(l)
	exp := l.CLTT + int64(l.ValidLifetime)
	w.Expire = &exp
	w.ForceCreate = forceCreate
	if d == Kea3 {
		w.Origin = OriginHAPartner
		w.PoolID = l.PoolID
	}
	return w
}

// LeaseToPage is l as lease4-get-page answers with it: with cltt (and
// Kea 3.x's pool-id).
func LeaseToPage(d Dialect, l *lease.Lease) Lease4 {
	w := leaseFields(l)
	cltt := l.CLTT
	w.CLTT = &cltt
	if d == Kea3 {
		w.PoolID = l.PoolID
	}
	return w
}

// leaseFields is l in the JSON form of Kea's lease commands
// (lease.KeaJSON), but for what LeaseToWire and LeaseToPage choose: cltt
// or expire, and pool-id, which Kea 2.2 does not know.
func leaseFields(l *lease.Lease) Lease4 {
	k := l.KeaJSON()
	return Lease4{
		IPAddress: k.IPAddress, SubnetID: k.SubnetID,
		HWAddress: k.HWAddress, ClientID: k.ClientID,
		ValidLft: k.ValidLft, FQDNFwd: k.FQDNFwd, FQDNRev: k.FQDNRev,
		Hostname: k.Hostname, State: k.State, UserContext: k.UserContext,
	}
}

// Lease returns the lease w describes, checked as Kea's lease parser
// checks it: an IPv4 address, a hardware address (empty only for a
// declined lease), a known state (Kea 2.2 knows 0 to 2), cltt from expire
// (which must be positive and not below valid-lft) or from cltt, else now;
// user-context a map.
func (w *Lease4) Lease(d Dialect, now time.Time) (lease.Lease, error) {
	var l lease.Lease
	addr, err := netip.ParseAddr(w.IPAddress)
	if err != nil || !addr.Is4() {
		return l, fmt.Errorf("ip-address %q is not an IPv4 address", w.IPAddress)
	}
	l.Addr = addr
	if l.HWAddr, err = parseHex(w.HWAddress); err != nil {
		return l, fmt.Errorf("hw-address: %w", err)
	}
	if len(l.HWAddr) > lease.MaxHWAddrLen {
		return l, fmt.Errorf("hw-address %q is longer than %d bytes", w.HWAddress, lease.MaxHWAddrLen)
	}
	if len(l.HWAddr) > 0 {
		l.HWType = 1
	}
	if l.ClientID, err = parseHex(w.ClientID); err != nil {
		return l, fmt.Errorf("client-id: %w", err)
	}
	maxState := uint8(lease.StateExpiredReclaimed)
	if d == Kea3 {
		maxState = 3
	}
	if w.State > maxState {
		return l, fmt.Errorf("state %d is not a lease state (0 to %d)", w.State, maxState)
	}
	l.State = lease.State(w.State)
	if len(l.HWAddr) == 0 && l.State != lease.StateDeclined {
		return l, errors.New("hw-address is empty, which only a declined lease (state 1) may be")
	}
	l.SubnetID = w.SubnetID
	if d == Kea3 {
		l.PoolID = w.PoolID // Kea 2.2 has no pool ids
	}
	l.ValidLifetime = w.ValidLft
	l.FQDNFwd, l.FQDNRev, l.Hostname = w.FQDNFwd, w.FQDNRev, w.Hostname
	switch {
	case w.Expire != nil:
		if *w.Expire <= 0 {
			return l, fmt.Errorf("expire %d must be positive", *w.Expire)
		}
		if *w.Expire < int64(w.ValidLft) {
			return l, fmt.Errorf("expire %d is earlier than valid-lft %d seconds after the epoch", *w.Expire, w.ValidLft)
		}
		l.CLTT = *w.Expire - int64(w.ValidLft)
	case w.CLTT != nil:
		l.CLTT = *w.CLTT
	default:
		l.CLTT = now.Unix()
	}
	if len(w.UserContext) > 0 && string(w.UserContext) != "null" {
		var m map[string]json.RawMessage
		if err := json.Unmarshal(w.UserContext, &m); err != nil {
			return l, errors.New("user-context must be a map")
		}
		// Compacted, so that the context stored is the same whoever
		// formatted it on the way.
		var c bytes.Buffer
		if err := json.Compact(&c, w.UserContext); err != nil {
			return l, fmt.Errorf("user-context: %w", err)
		}
		l.UserContext = c.String()
	}
	if err := l.Validate(); err != nil {
		return l, err
	}
	return l, nil
}

// DecodeLease4 reads the arguments of lease4-update or lease4-del into a
// lease, with the force-create flag.
func DecodeLease4(command string, raw json.RawMessage, d Dialect, now time.Time) (lease.Lease, bool, error) {
	var w Lease4
	if err := decodeArgs(command, raw, &w); err != nil {
		return lease.Lease{}, false, err
	}
	if w.IPAddress == "" {
		return lease.Lease{}, false, fmt.Errorf("%s: 'ip-address' is missing", command)
	}
	if command == CmdLease4Del {
		// A delete looks the lease up by address alone.
		addr, err := netip.ParseAddr(w.IPAddress)
		if err != nil || !addr.Is4() {
			return lease.Lease{}, false, fmt.Errorf("%s: ip-address %q is not an IPv4 address", command, w.IPAddress)
		}
		return lease.Lease{Addr: addr}, false, nil
	}
	l, err := w.Lease(d, now)
	if err != nil {
		return l, false, fmt.Errorf("%s: %w", command, err)
	}
	return l, w.ForceCreate, nil
}

// GetPageArgs are the arguments of lease4-get-page: From is "start" or the
// last address of the previous page (exclusive).
type GetPageArgs struct {
	From  string `json:"from"`
	Limit uint32 `json:"limit"`
}

// GetPageCommand is the lease4-get-page a syncing server sends; from is
// the invalid Addr for the first page.
func GetPageCommand(from netip.Addr, limit uint32) (control.Command, error) {
	if limit == 0 {
		return control.Command{}, errors.New("lease4-get-page: limit must be positive")
	}
	a := GetPageArgs{From: "start", Limit: limit}
	if from.IsValid() {
		a.From = from.String()
	}
	return NewCommand(CmdLease4GetPage, a)
}

// DecodeGetPage reads lease4-get-page's arguments: the address after which
// the page starts (invalid for "start") and the limit.
func DecodeGetPage(raw json.RawMessage) (netip.Addr, uint32, error) {
	var a struct {
		From  *string `json:"from"`
		Limit *int64  `json:"limit"`
	}
	if err := decodeArgs(CmdLease4GetPage, raw, &a); err != nil {
		return netip.Addr{}, 0, err
	}
	if a.From == nil {
		return netip.Addr{}, 0, errors.New("lease4-get-page: 'from' parameter is mandatory")
	}
	if a.Limit == nil {
		return netip.Addr{}, 0, errors.New("lease4-get-page: 'limit' parameter is mandatory")
	}
	if *a.Limit <= 0 || *a.Limit > math.MaxUint32 {
		return netip.Addr{}, 0, fmt.Errorf("lease4-get-page: page size of the retrieved leases must not be 0 nor greater than %d, not %d", uint32(math.MaxUint32), *a.Limit)
	}
	if *a.From == "start" {
		return netip.Addr{}, uint32(*a.Limit), nil
	}
	from, err := netip.ParseAddr(*a.From)
	if err != nil || !from.Is4() {
		return netip.Addr{}, 0, fmt.Errorf("lease4-get-page: 'from' %q is neither \"start\" nor an IPv4 address", *a.From)
	}
	return from, uint32(*a.Limit), nil
}

// PageAnswer is the arguments of lease4-get-page's answer.
type PageAnswer struct {
	Leases []Lease4 `json:"leases"`
	Count  int      `json:"count"`
}

// PageResponse is the answer to lease4-get-page: result 3 when the page is
// empty.
func PageResponse(d Dialect, leases []lease.Lease) control.Response {
	a := PageAnswer{Leases: make([]Lease4, 0, len(leases)), Count: len(leases)}
	for i := range leases {
		a.Leases = append(a.Leases, LeaseToPage(d, &leases[i]))
	}
	if len(leases) == 0 {
		return control.Answer(control.Empty, "0 IPv4 lease(s) found.", a)
	}
	return control.Answer(control.Success, fmt.Sprintf("%d IPv4 lease(s) found.", len(leases)), a)
}

// DecodePage reads an answer to lease4-get-page. Leases that do not parse
// are returned as skipped errors, as Kea logs and skips them.
func DecodePage(r control.Response, d Dialect, now time.Time) (leases []lease.Lease, skipped []error, err error) {
	if r.Result == control.Empty {
		return nil, nil, nil
	}
	raw, err := r.RawArguments()
	if err != nil {
		return nil, nil, err
	}
	if len(raw) == 0 {
		return nil, nil, errors.New("lease4-get-page answer: no arguments")
	}
	var a struct {
		Leases []json.RawMessage `json:"leases"`
	}
	if err := json.Unmarshal(raw, &a); err != nil {
		return nil, nil, fmt.Errorf("lease4-get-page answer: %w", err)
	}
	if a.Leases == nil {
		return nil, nil, errors.New("lease4-get-page answer: no leases list")
	}
	for i, e := range a.Leases {
		var w Lease4
		if err := json.Unmarshal(e, &w); err != nil {
			skipped = append(skipped, fmt.Errorf("leases[%d]: %w", i, err))
			continue
		}
		l, err := w.Lease(d, now)
		if err != nil {
			skipped = append(skipped, fmt.Errorf("leases[%d] (%s): %w", i, w.IPAddress, err))
			continue
		}
		leases = append(leases, l)
	}
	return leases, skipped, nil
}

// NetworkStateArgs are the arguments of dhcp-disable and dhcp-enable sent
// by HA: origin "ha-partner", Kea 3.x's origin-id, and (disable only) the
// seconds after which the service comes back by itself.
type NetworkStateArgs struct {
	MaxPeriod uint32 `json:"max-period,omitempty"`
	Origin    string `json:"origin"`
	OriginID  int    `json:"origin-id,omitempty"`
}

// DisableCommand is the dhcp-disable a syncing server sends before each
// page: max-period is sync-timeout in seconds, at least 1. originID is
// used by Kea 3.x only.
func DisableCommand(d Dialect, syncTimeout time.Duration, originID int) (control.Command, error) {
	a := NetworkStateArgs{Origin: OriginHAPartner, MaxPeriod: uint32(max(1, syncTimeout/time.Second))}
	if d == Kea3 {
		a.OriginID = originID
	}
	return NewCommand(CmdDHCPDisable, a)
}

// EnableCommand is the dhcp-enable sent when a sync fails after the
// disable, or when the partner does not know ha-sync-complete-notify.
func EnableCommand(d Dialect, originID int) (control.Command, error) {
	a := NetworkStateArgs{Origin: OriginHAPartner}
	if d == Kea3 {
		a.OriginID = originID
	}
	return NewCommand(CmdDHCPEnable, a)
}

// NetworkState is a decoded dhcp-disable or dhcp-enable.
type NetworkState struct {
	// FromPartner: origin "ha-partner" or a numeric origin of HA (2000 and
	// up); else the command is the operator's ("user", or no origin).
	FromPartner bool
	OriginID    int
	MaxPeriod   time.Duration
}

// DecodeNetworkState reads the arguments of dhcp-disable or dhcp-enable
// as kea-dhcp4 does: origin "user" or "ha-partner" (3.x: or a number,
// origin-id winning), max-period a positive number of seconds.
func DecodeNetworkState(command string, raw json.RawMessage) (NetworkState, error) {
	var ns NetworkState
	if len(raw) == 0 || string(raw) == "null" {
		return ns, nil
	}
	var a struct {
		MaxPeriod *json.Number    `json:"max-period"`
		Origin    json.RawMessage `json:"origin"`
		OriginID  *json.Number    `json:"origin-id"`
	}
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber()
	if err := dec.Decode(&a); err != nil {
		return ns, fmt.Errorf("%s: arguments: %w", command, err)
	}
	if a.MaxPeriod != nil {
		if command != CmdDHCPDisable {
			return ns, fmt.Errorf("%s: 'max-period' is for dhcp-disable only", command)
		}
		n, err := a.MaxPeriod.Int64()
		if err != nil || n <= 0 || n > math.MaxUint32 {
			return ns, fmt.Errorf("%s: 'max-period' must be a positive integer, not %s", command, *a.MaxPeriod)
		}
		ns.MaxPeriod = time.Duration(n) * time.Second
	}
	if len(a.Origin) > 0 {
		var s string
		var n json.Number
		switch {
		case json.Unmarshal(a.Origin, &s) == nil:
			switch s {
			case "user":
			case OriginHAPartner:
				ns.FromPartner, ns.OriginID = true, remoteOriginBase
			default:
				return ns, fmt.Errorf("%s: invalid value %q of 'origin'; expected \"user\" or %q", command, s, OriginHAPartner)
			}
		case json.Unmarshal(a.Origin, &n) == nil:
			id, err := n.Int64()
			if err != nil || id < 0 || id > math.MaxUint16 {
				return ns, fmt.Errorf("%s: 'origin' %s is not an origin number", command, n)
			}
			ns.OriginID, ns.FromPartner = int(id), id >= 1000
		default:
			return ns, fmt.Errorf("%s: 'origin' must be a string or an integer", command)
		}
	}
	if a.OriginID != nil {
		id, err := a.OriginID.Int64()
		if err != nil || id < 0 || id > math.MaxUint16 {
			return ns, fmt.Errorf("%s: 'origin-id' %s is not an origin number", command, *a.OriginID)
		}
		ns.OriginID, ns.FromPartner = int(id), id >= 1000
	}
	return ns, nil
}

// SyncCompleteArgs are Kea 3.x's ha-sync-complete-notify arguments.
type SyncCompleteArgs struct {
	ServerName string `json:"server-name,omitempty"`
	OriginID   int    `json:"origin-id,omitempty"`
	Origin     int    `json:"origin,omitempty"`
}

// SyncCompleteCommand is the ha-sync-complete-notify a server sends after
// fetching the partner's leases.
func SyncCompleteCommand(d Dialect, thisServer string, originID int) (control.Command, error) {
	if d == Kea22 {
		return NewCommand(CmdSyncCompleteNotify, nil)
	}
	return NewCommand(CmdSyncCompleteNotify, SyncCompleteArgs{ServerName: thisServer, OriginID: originID, Origin: originID})
}

// DecodeSyncComplete reads ha-sync-complete-notify: the sender's name and
// the origin to re-enable (Kea 3.x's default 2001 when absent).
func DecodeSyncComplete(raw json.RawMessage) (serverName string, originID int, err error) {
	originID = remoteOriginBase + 1
	if len(raw) == 0 || string(raw) == "null" {
		return "", originID, nil
	}
	var a struct {
		ServerName string `json:"server-name"`
		OriginID   *int   `json:"origin-id"`
		Origin     *int   `json:"origin"`
	}
	if err := decodeArgs(CmdSyncCompleteNotify, raw, &a); err != nil {
		return "", 0, err
	}
	switch {
	case a.OriginID != nil:
		originID = *a.OriginID
	case a.Origin != nil:
		originID = *a.Origin
	}
	return a.ServerName, originID, nil
}

// SyncCompleteResponse is the answer to ha-sync-complete-notify.
func SyncCompleteResponse() control.Response { return control.OK(textSyncCompleteNotify) }

// MaintenanceNotifyArgs are the arguments of ha-maintenance-notify; Kea
// 3.x adds the sender's name and state.
type MaintenanceNotifyArgs struct {
	Cancel     bool   `json:"cancel"`
	ServerName string `json:"server-name,omitempty"`
	State      string `json:"state,omitempty"`
}

// MaintenanceNotifyCommand is the ha-maintenance-notify sent on
// ha-maintenance-start (cancel false) and ha-maintenance-cancel (true).
func MaintenanceNotifyCommand(d Dialect, cancel bool, thisServer string, state State) (control.Command, error) {
	a := MaintenanceNotifyArgs{Cancel: cancel}
	if d == Kea3 {
		a.ServerName, a.State = thisServer, state.String()
	}
	return NewCommand(CmdMaintenanceNotify, a)
}

// DecodeMaintenanceNotify reads ha-maintenance-notify; cancel is
// mandatory.
func DecodeMaintenanceNotify(raw json.RawMessage) (MaintenanceNotifyArgs, error) {
	var a struct {
		Cancel     *bool  `json:"cancel"`
		ServerName string `json:"server-name"`
		State      string `json:"state"`
	}
	if err := decodeArgs(CmdMaintenanceNotify, raw, &a); err != nil {
		return MaintenanceNotifyArgs{}, err
	}
	if a.Cancel == nil {
		return MaintenanceNotifyArgs{}, errors.New("ha-maintenance-notify: 'cancel' is mandatory and must be a boolean")
	}
	if a.State != "" {
		if _, err := ParseState(a.State); err != nil {
			return MaintenanceNotifyArgs{}, fmt.Errorf("ha-maintenance-notify: %w", err)
		}
	}
	return MaintenanceNotifyArgs{Cancel: *a.Cancel, ServerName: a.ServerName, State: a.State}, nil
}

// ScopesArgs are the arguments of ha-scopes.
type ScopesArgs struct {
	Scopes     []string `json:"scopes"`
	ServerName string   `json:"server-name,omitempty"`
}

// DecodeScopes reads ha-scopes: a list of scope names (possibly empty).
func DecodeScopes(raw json.RawMessage) (ScopesArgs, error) {
	var a struct {
		Scopes     *[]string `json:"scopes"`
		ServerName string    `json:"server-name"`
	}
	if err := decodeArgs(CmdScopes, raw, &a); err != nil {
		return ScopesArgs{}, err
	}
	if a.Scopes == nil {
		return ScopesArgs{}, errors.New("ha-scopes: 'scopes' is mandatory")
	}
	return ScopesArgs{Scopes: *a.Scopes, ServerName: a.ServerName}, nil
}

// SyncArgs are the arguments of ha-sync: the server to fetch leases from,
// and how long its service may stay disabled (seconds).
type SyncArgs struct {
	ServerName string `json:"server-name"`
	MaxPeriod  uint32 `json:"max-period,omitempty"`
}

// DecodeSync reads ha-sync: server-name mandatory, max-period positive.
func DecodeSync(raw json.RawMessage) (SyncArgs, error) {
	var a struct {
		ServerName *string `json:"server-name"`
		MaxPeriod  *int64  `json:"max-period"`
	}
	if err := decodeArgs(CmdSync, raw, &a); err != nil {
		return SyncArgs{}, err
	}
	if a.ServerName == nil {
		return SyncArgs{}, errors.New("ha-sync: 'server-name' is mandatory")
	}
	s := SyncArgs{ServerName: *a.ServerName}
	if a.MaxPeriod != nil {
		if *a.MaxPeriod <= 0 || *a.MaxPeriod > math.MaxUint32 {
			return SyncArgs{}, fmt.Errorf("ha-sync: 'max-period' must be a positive integer, not %d", *a.MaxPeriod)
		}
		s.MaxPeriod = uint32(*a.MaxPeriod)
	}
	return s, nil
}
