// Package sqlhosts is what the hosts.Stores over Kea's SQL host tables
// (hosts/pgsql, hosts/mysql) share, whatever the engine: a host and its
// DHCPv4 options read from the rows of Kea's query (hosts LEFT JOIN
// dhcp4_options, one row per option, ordered by host and option) as
// kea-dhcp4 2.2 reads them, and the values Kea writes for a reservation.
// An engine's store is a dialect over these: its driver, placeholders,
// types and errors.
package sqlhosts

import (
	"encoding/json"
	"fmt"
	"net/netip"
	"strings"

	"github.com/leased/leased/config"
	"github.com/leased/leased/config/jsonc"
	"github.com/leased/leased/dhcpv4"
	"github.com/leased/leased/hosts"
)

// Columns is the select list of Kea's query of a host and its DHCPv4
// options, in Row's order; the engine completes it with its WHERE clause
// and OrderBy.
const Columns = `SELECT h.host_id, h.dhcp_identifier, h.dhcp_identifier_type, h.dhcp4_subnet_id,
	h.ipv4_address, h.hostname, h.dhcp4_client_classes, h.user_context, h.dhcp4_next_server,
	h.dhcp4_server_hostname, h.dhcp4_boot_file_name,
	o.option_id, o.code, o.value, o.formatted_value, o.space, o.persistent
FROM hosts AS h LEFT JOIN dhcp4_options AS o ON h.host_id = o.host_id `

// ColumnsCurrent is Columns for the current schemas (PostgreSQL 34.0),
// whose options also say whether they are never sent (cancelled) and the
// classes they are limited to (client_classes), in DestCurrent's order.
const ColumnsCurrent = `SELECT h.host_id, h.dhcp_identifier, h.dhcp_identifier_type, h.dhcp4_subnet_id,
	h.ipv4_address, h.hostname, h.dhcp4_client_classes, h.user_context, h.dhcp4_next_server,
	h.dhcp4_server_hostname, h.dhcp4_boot_file_name,
	o.option_id, o.code, o.value, o.formatted_value, o.space, o.persistent, o.cancelled, o.client_classes
FROM hosts AS h LEFT JOIN dhcp4_options AS o ON h.host_id = o.host_id `

// OrderBy orders the rows as Kea reads them: by host, then option.
const OrderBy = ` ORDER BY h.host_id, o.option_id`

// Row is one row of Columns, NULLs as nil, numbers widened to int64.
type Row struct {
	HostID     int64
	ID         []byte
	IDType     int64
	Subnet     *int64
	Addr       *int64
	Hostname   *string
	Classes    *string
	UserCtx    *string
	NextServer *int64
	SName      *string
	File       *string
	OptionID   *int64
	Code       *int64
	Value      []byte
	Formatted  *string
	Space      *string
	Persistent *bool
	// Cancelled and OptClasses are read by ColumnsCurrent only.
	Cancelled  *bool
	OptClasses *string
}

// Dest are the fields of r in Columns' order, for a driver's Scan.
func (r *Row) Dest() []any {
	return []any{&r.HostID, &r.ID, &r.IDType, &r.Subnet, &r.Addr, &r.Hostname, &r.Classes, &r.UserCtx,
		&r.NextServer, &r.SName, &r.File, &r.OptionID, &r.Code, &r.Value, &r.Formatted, &r.Space, &r.Persistent}
}

// DestCurrent are the fields of r in ColumnsCurrent's order.
func (r *Row) DestCurrent() []any {
	return append(r.Dest(), &r.Cancelled, &r.OptClasses)
}

func str(p *string) string {
	if p == nil {
		return ""
	}
	return *p
}

// Reader gathers the rows of one query into reservations, in host id
// order. Hosts without a DHCPv4 subnet id (DHCPv6 reservations) are left
// out, as kea-dhcp4 leaves them out.
type Reader struct {
	cfg        *config.Config
	out        []hosts.Entry
	stored     []config.StoredOption
	lastOption int64
}

// NewReader reads options by cfg's definitions.
func NewReader(cfg *config.Config) *Reader { return &Reader{cfg: cfg} }

// finish gives the last host its options.
func (rd *Reader) finish() error {
	if len(rd.out) == 0 || rd.out[len(rd.out)-1].Host == nil {
		rd.stored = rd.stored[:0]
		return nil
	}
	h := rd.out[len(rd.out)-1].Host
	set, err := rd.cfg.ReservationOptions(rd.stored)
	if err != nil {
		return fmt.Errorf("host %d: %w", rd.out[len(rd.out)-1].ID, err)
	}
	h.Options = set
	rd.stored = rd.stored[:0]
	return nil
}

// DataError is a row that cannot be read as a reservation: the database
// answered, so its connection is not lost (the daemon's on-fail does not
// apply), but what it holds is not what Kea writes.
type DataError struct{ Err error }

func (e *DataError) Error() string { return e.Err.Error() }
func (e *DataError) Unwrap() error { return e.Err }

// Add takes one row; its byte slices are copied. Its errors are
// DataErrors.
func (rd *Reader) Add(r *Row) error {
	if err := rd.add(r); err != nil {
		return &DataError{err}
	}
	return nil
}

func (rd *Reader) add(r *Row) error {
	if len(rd.out) == 0 || rd.out[len(rd.out)-1].ID != uint64(r.HostID) {
		if err := rd.finish(); err != nil {
			return err
		}
		h, err := HostOf(r)
		if err != nil {
			return fmt.Errorf("host %d: %w", r.HostID, err)
		}
		rd.out = append(rd.out, hosts.Entry{ID: uint64(r.HostID), Host: h})
		rd.lastOption = -1
	}
	if r.OptionID == nil || *r.OptionID <= rd.lastOption {
		return nil
	}
	rd.lastOption = *r.OptionID
	if r.Code == nil || *r.Code < 0 || *r.Code > 255 {
		return fmt.Errorf("host %d: option %d has code %v, not 0 to 255", r.HostID, *r.OptionID, r.Code)
	}
	persistent := r.Persistent != nil && *r.Persistent
	classes, err := OptionClasses(str(r.OptClasses))
	if err != nil {
		return fmt.Errorf("host %d: option %d: %w", r.HostID, *r.OptionID, err)
	}
	rd.stored = append(rd.stored, config.StoredOption{Space: str(r.Space), Code: uint8(*r.Code),
		Formatted: str(r.Formatted), Value: append([]byte(nil), r.Value...), Persistent: persistent,
		Cancelled: r.Cancelled != nil && *r.Cancelled, ClientClasses: classes})
	return nil
}

// OptionClasses reads an option's client_classes column: Kea writes a
// JSON list of class names, "[  ]" when there is none; empty text (the
// column absent, or NULL) is none as well.
func OptionClasses(text string) ([]string, error) {
	if strings.TrimSpace(text) == "" {
		return nil, nil
	}
	var classes []string
	if err := json.Unmarshal([]byte(text), &classes); err != nil {
		return nil, fmt.Errorf("client_classes %s is not a JSON list of class names", jsonc.Quote(text))
	}
	for _, c := range classes {
		if c == "" {
			return nil, fmt.Errorf("client_classes %s names an empty class", jsonc.Quote(text))
		}
	}
	if len(classes) == 0 {
		return nil, nil
	}
	return classes, nil
}

// OptionClassesText is what Kea writes in an option's client_classes:
// the JSON list spelled as Kea spells lists, a space inside each bracket
// and after each comma ("[  ]" when empty, as the upgrade to 30.0 fills
// the column).
func OptionClassesText(classes []string) string {
	quoted := make([]string, len(classes))
	for i, c := range classes {
		b, _ := json.Marshal(c)
		quoted[i] = string(b)
	}
	return "[ " + strings.Join(quoted, ", ") + " ]"
}

// Entries returns the reservations read.
func (rd *Reader) Entries() ([]hosts.Entry, error) {
	if err := rd.finish(); err != nil {
		return nil, &DataError{err}
	}
	kept := rd.out[:0]
	for _, e := range rd.out {
		if e.Host != nil {
			kept = append(kept, e)
		}
	}
	return kept, nil
}

// MaxIdentifierLen is the longest identifier Kea reads from the hosts
// table (DHCP_IDENTIFIER_MAX_LEN).
const MaxIdentifierLen = 128

// HostOf reads the host's columns of r as kea-dhcp4 2.2 reads them: NULL
// text as empty, a NULL or zero address as none, client classes as a
// comma-separated list. A host with no DHCPv4 subnet id gives nil.
func HostOf(r *Row) (*config.Host, error) {
	if r.Subnet == nil {
		return nil, nil
	}
	if *r.Subnet < 0 || *r.Subnet > 0xfffffffe {
		return nil, fmt.Errorf("dhcp4_subnet_id %d is not a subnet id", *r.Subnet)
	}
	t := config.IdentifierType(r.IDType)
	switch t {
	case config.HWAddress, config.DUID, config.CircuitID, config.ClientID:
	default:
		if r.IDType != 4 {
			return nil, fmt.Errorf("identifier type %d is not one Kea knows", r.IDType)
		}
		// Kea's table numbers flex-id 4.
		t = config.FlexID
	}
	if len(r.ID) == 0 || len(r.ID) > MaxIdentifierLen {
		return nil, fmt.Errorf("identifier of %d bytes (1 to %d are allowed)", len(r.ID), MaxIdentifierLen)
	}
	h := &config.Host{
		SubnetID:       uint32(*r.Subnet),
		IDType:         t,
		Identifier:     append([]byte(nil), r.ID...),
		Hostname:       str(r.Hostname),
		ServerHostname: str(r.SName),
		BootFileName:   str(r.File),
	}
	if a, ok := addr(r.Addr); ok {
		h.Address = a
	} else if r.Addr != nil && *r.Addr != 0 {
		return nil, fmt.Errorf("ipv4_address %d is not an IPv4 address", *r.Addr)
	}
	if a, ok := addr(r.NextServer); ok {
		h.NextServer = a
	}
	for _, c := range strings.Split(str(r.Classes), ",") {
		if c = strings.TrimSpace(c); c != "" {
			h.ClientClasses = append(h.ClientClasses, c)
		}
	}
	if uc := str(r.UserCtx); uc != "" {
		doc := jsonc.Parse("user_context", []byte(uc), nil)
		if doc.Failed() || doc.Root.Kind() != jsonc.Object {
			return nil, fmt.Errorf("user_context %s is not a JSON map", jsonc.Quote(uc))
		}
		root := doc.Root
		h.UserContext = &root
	}
	return h, nil
}

// addr reads an address column: the unsigned 32-bit integer of the
// address, where NULL and 0 mean none.
func addr(v *int64) (netip.Addr, bool) {
	if v == nil || *v <= 0 || *v > 0xffffffff {
		return netip.Addr{}, false
	}
	return dhcpv4.Uint32ToAddr(uint32(*v)), true
}

// IDType is the number Kea's tables give an identifier type: flex-id is
// 4 there (host_identifier_type), 5 in Kea's configuration.
func IDType(t config.IdentifierType) int16 {
	if t == config.FlexID {
		return 4
	}
	return int16(t)
}

// AddrInt is an address column's value: the address as an unsigned
// 32-bit integer, 0 for none.
func AddrInt(a netip.Addr) int64 {
	if !a.Is4() {
		return 0
	}
	return int64(dhcpv4.AddrToUint32(a))
}

// UserContext is the user_context Kea writes for h: its JSON, NULL (nil)
// when there is none.
func UserContext(h *config.Host) *string {
	if h.UserContext == nil {
		return nil
	}
	u := string(h.UserContext.AppendJSON(nil, false, false))
	return &u
}

// OptionValue is what Kea writes for a reservation's option: the
// formatted value when it was given as comma-separated values (value
// NULL), else the payload (formatted_value NULL; value NULL when empty).
func OptionValue(o config.StoredOption) (value []byte, formatted *string) {
	if o.Formatted != "" {
		f := o.Formatted
		return nil, &f
	}
	if len(o.Value) > 0 {
		return o.Value, nil
	}
	return nil, nil
}

// Hosts are the reservations of es.
func Hosts(es []hosts.Entry) []*config.Host {
	out := make([]*config.Host, len(es))
	for i, e := range es {
		out[i] = e.Host
	}
	return out
}
